//! Playing cards, their text notation and shoe compositions.
//!
//! Notation is rank then suit: `As Kh Td 9c 2s` (`T` for ten). A [`Composition`] counts the
//! cards left in a shoe by rank, which is all the exact-odds engines need. Pure: no I/O.

use std::fmt;
use std::str::FromStr;

/// Card suits in the canonical order used by the fair shuffle (`c d h s`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Suit {
    Clubs,
    Diamonds,
    Hearts,
    Spades,
}

impl Suit {
    pub const ALL: [Suit; 4] = [Suit::Clubs, Suit::Diamonds, Suit::Hearts, Suit::Spades];

    pub fn symbol(self) -> char {
        match self {
            Suit::Clubs => 'c',
            Suit::Diamonds => 'd',
            Suit::Hearts => 'h',
            Suit::Spades => 's',
        }
    }
}

/// Card ranks; the discriminant is the face number (Ace = 1 … King = 13).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rank {
    Ace = 1,
    Two,
    Three,
    Four,
    Five,
    Six,
    Seven,
    Eight,
    Nine,
    Ten,
    Jack,
    Queen,
    King,
}

impl Rank {
    pub const ALL: [Rank; 13] = [
        Rank::Ace,
        Rank::Two,
        Rank::Three,
        Rank::Four,
        Rank::Five,
        Rank::Six,
        Rank::Seven,
        Rank::Eight,
        Rank::Nine,
        Rank::Ten,
        Rank::Jack,
        Rank::Queen,
        Rank::King,
    ];

    /// Face number, Ace = 1 … King = 13 (Dragon Tiger compares these).
    pub fn number(self) -> u8 {
        self as u8
    }

    /// Zero-based index, Ace = 0 … King = 12 (indexes [`Composition`]).
    pub fn index(self) -> usize {
        self as usize - 1
    }

    pub fn from_index(index: usize) -> Option<Rank> {
        Rank::ALL.get(index).copied()
    }

    /// Baccarat point value: Ace 1, 2–9 face, tens and pictures 0.
    pub fn baccarat_value(self) -> u8 {
        match self.number() {
            n @ 1..=9 => n,
            _ => 0,
        }
    }

    /// Blackjack value with the Ace counted as 1 (soft totals are the rules' business).
    pub fn blackjack_value(self) -> u8 {
        self.number().min(10)
    }

    pub fn symbol(self) -> char {
        match self {
            Rank::Ace => 'A',
            Rank::Ten => 'T',
            Rank::Jack => 'J',
            Rank::Queen => 'Q',
            Rank::King => 'K',
            other => (b'0' + other.number()) as char,
        }
    }

    fn from_symbol(c: char) -> Option<Rank> {
        Some(match c.to_ascii_uppercase() {
            'A' => Rank::Ace,
            '2' => Rank::Two,
            '3' => Rank::Three,
            '4' => Rank::Four,
            '5' => Rank::Five,
            '6' => Rank::Six,
            '7' => Rank::Seven,
            '8' => Rank::Eight,
            '9' => Rank::Nine,
            'T' => Rank::Ten,
            'J' => Rank::Jack,
            'Q' => Rank::Queen,
            'K' => Rank::King,
            _ => return None,
        })
    }
}

impl FromStr for Rank {
    type Err = CardError;

    /// Accepts `A 2 … 9 T J Q K` and also `10`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        if s == "10" {
            return Ok(Rank::Ten);
        }
        let mut chars = s.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => Rank::from_symbol(c).ok_or_else(|| CardError::BadRank(s.to_owned())),
            _ => Err(CardError::BadRank(s.to_owned())),
        }
    }
}

impl fmt::Display for Rank {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.symbol())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Card {
    pub rank: Rank,
    pub suit: Suit,
}

impl Card {
    pub const fn new(rank: Rank, suit: Suit) -> Card {
        Card { rank, suit }
    }

    /// Position in the canonical 52-card deck order the fair shuffle starts from:
    /// suits `c d h s`, each `A 2 … K`. `index = suit * 13 + (rank - 1)`.
    pub fn index(self) -> u8 {
        self.suit as u8 * 13 + (self.rank.number() - 1)
    }

    pub fn from_index(index: u8) -> Option<Card> {
        if index >= 52 {
            return None;
        }
        Some(Card {
            rank: Rank::ALL[(index % 13) as usize],
            suit: Suit::ALL[(index / 13) as usize],
        })
    }
}

impl fmt::Display for Card {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.rank.symbol(), self.suit.symbol())
    }
}

impl FromStr for Card {
    type Err = CardError;

    /// Parses `As`, `kh`, `Td`, `10d`: rank then suit, case-insensitive.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let text = s.trim();
        let bad = || CardError::BadCard(text.to_owned());
        let suit_char = text.chars().last().ok_or_else(bad)?;
        let suit = match suit_char.to_ascii_lowercase() {
            'c' => Suit::Clubs,
            'd' => Suit::Diamonds,
            'h' => Suit::Hearts,
            's' => Suit::Spades,
            _ => return Err(bad()),
        };
        let rank_text = &text[..text.len() - suit_char.len_utf8()];
        let rank = rank_text.parse::<Rank>().map_err(|_| bad())?;
        Ok(Card { rank, suit })
    }
}

impl serde::Serialize for Card {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl schemars::JsonSchema for Card {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Card".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^([2-9TJQKA]|10)[cdhs]$",
            "description": "A card: rank (2-9, T or 10, J, Q, K, A) then suit (c, d, h, s), e.g. \"As\", \"Td\"."
        })
    }
}

impl<'de> serde::Deserialize<'de> for Card {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Parses a list of cards separated by commas and/or white space (`Kh,5d 9c`).
///
/// # Errors
/// [`CardError::BadCard`] naming the first token that is not a card.
pub fn parse_cards(text: &str) -> Result<Vec<Card>, CardError> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|token| !token.is_empty())
        .map(str::parse)
        .collect()
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CardError {
    #[error("not a card: {0:?} (expected rank then suit, like As, Kh, Td, 9c)")]
    BadCard(String),
    #[error("not a rank: {0:?} (expected A, 2-9, T, J, Q or K)")]
    BadRank(String),
    #[error("a shoe needs 1 to {max} decks, got {got}")]
    BadDeckCount { got: u32, max: u32 },
    #[error("the shoe holds no more {0} cards to remove")]
    Exhausted(Rank),
}

/// Largest shoe we build or compute odds for; keeps counts well inside `u16`.
pub const DECKS_MAX: u32 = 16;

/// Cards left in a shoe, counted by rank. Suits do not matter to any odds we compute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Composition {
    counts: [u16; 13],
    total: u16,
}

impl Composition {
    /// A full shoe of `decks` standard 52-card decks.
    ///
    /// # Errors
    /// [`CardError::BadDeckCount`] for zero decks or more than [`DECKS_MAX`].
    pub fn decks(decks: u32) -> Result<Composition, CardError> {
        if decks == 0 || decks > DECKS_MAX {
            return Err(CardError::BadDeckCount {
                got: decks,
                max: DECKS_MAX,
            });
        }
        let per_rank = (decks * 4) as u16;
        Ok(Composition {
            counts: [per_rank; 13],
            total: per_rank * 13,
        })
    }

    /// A composition from explicit counts per rank (Ace first); counts are capped so the
    /// total fits (no real shoe comes near the cap).
    pub fn from_counts(mut counts: [u16; 13]) -> Composition {
        let cap = u16::MAX / 13;
        for count in &mut counts {
            *count = (*count).min(cap);
        }
        Composition {
            counts,
            total: counts.iter().sum(),
        }
    }

    pub fn count(&self, rank: Rank) -> u16 {
        self.counts[rank.index()]
    }

    pub fn counts(&self) -> &[u16; 13] {
        &self.counts
    }

    pub fn total(&self) -> u16 {
        self.total
    }

    /// Takes one card of `rank` out.
    ///
    /// # Errors
    /// [`CardError::Exhausted`] when none of that rank is left (more seen than the shoe holds).
    pub fn remove(&mut self, rank: Rank) -> Result<(), CardError> {
        let slot = &mut self.counts[rank.index()];
        if *slot == 0 {
            return Err(CardError::Exhausted(rank));
        }
        *slot -= 1;
        self.total -= 1;
        Ok(())
    }

    /// Removes every card of `seen`.
    ///
    /// # Errors
    /// As [`Composition::remove`].
    pub fn remove_all(&mut self, seen: &[Card]) -> Result<(), CardError> {
        seen.iter().try_for_each(|card| self.remove(card.rank))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notation_round_trips_for_every_card() {
        for index in 0..52 {
            let card = Card::from_index(index).unwrap();
            assert_eq!(card.index(), index);
            assert_eq!(card.to_string().parse::<Card>().unwrap(), card);
        }
        assert_eq!("10d".parse::<Card>().unwrap().to_string(), "Td");
        assert_eq!("kH".parse::<Card>().unwrap().to_string(), "Kh");
    }

    #[test]
    fn bad_cards_are_errors_not_panics() {
        for text in ["", "X", "Zs", "Ax", "1s", "AAs", "é", "s", "10", "♠A"] {
            assert!(text.parse::<Card>().is_err(), "{text:?} parsed");
        }
        assert_eq!(parse_cards("Kh,5d  9c").unwrap().len(), 3);
        assert!(matches!(parse_cards("Kh,Qx"), Err(CardError::BadCard(t)) if t == "Qx"));
    }

    #[test]
    fn composition_counts_and_exhaustion() {
        assert!(Composition::decks(0).is_err());
        let mut one = Composition::decks(1).unwrap();
        assert_eq!(one.total(), 52);
        for _ in 0..4 {
            one.remove(Rank::King).unwrap();
        }
        assert_eq!(one.remove(Rank::King), Err(CardError::Exhausted(Rank::King)));
        assert_eq!(one.total(), 48);
    }
}
