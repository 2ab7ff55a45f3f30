//! A shoe being dealt: the committed card order, the dealing position and the cut card.
//!
//! Pure: the order comes from `fair::shuffled_shoe`, never from an RNG of our own.

use crate::domain::cards::{Card, Composition};

/// The dealing state of one shoe. Cards are dealt from index 0 upward.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shoe {
    cards: Vec<Card>,
    /// Index of the next card to deal.
    next: usize,
    /// Once `next` reaches this, the shoe ends after the current round.
    cut_at: usize,
}

impl Shoe {
    /// `cut_cards_from_end` cards stay behind the cut card (clamped to the shoe).
    pub fn new(cards: Vec<Card>, cut_cards_from_end: usize) -> Shoe {
        let cut_at = cards.len().saturating_sub(cut_cards_from_end);
        Shoe { cards, next: 0, cut_at }
    }

    /// Rebuilds a shoe dealt up to `position` (crash recovery).
    pub fn at_position(cards: Vec<Card>, cut_cards_from_end: usize, position: usize) -> Shoe {
        let mut shoe = Shoe::new(cards, cut_cards_from_end);
        shoe.next = position.min(shoe.cards.len());
        shoe
    }

    pub fn draw(&mut self) -> Option<Card> {
        let card = self.cards.get(self.next).copied()?;
        self.next += 1;
        Some(card)
    }

    /// Puts the last dealt card back (a dealer's undo).
    pub fn undraw(&mut self) {
        self.next = self.next.saturating_sub(1);
    }

    pub fn position(&self) -> usize {
        self.next
    }

    pub fn len(&self) -> usize {
        self.cards.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cards.is_empty()
    }

    /// True once the cut card has come out: finish this round, then change the shoe.
    pub fn past_cut(&self) -> bool {
        self.next >= self.cut_at
    }

    /// The cards not dealt yet, as the odds engines see them.
    pub fn remaining(&self) -> Composition {
        let mut counts = [0u16; 13];
        for card in &self.cards[self.next..] {
            counts[card.rank.index()] += 1;
        }
        Composition::from_counts(counts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::cards::parse_cards;

    #[test]
    fn deals_in_order_and_reaches_the_cut() {
        let mut shoe = Shoe::new(parse_cards("As Kd 2c 3h").unwrap(), 2);
        assert_eq!(shoe.draw().unwrap().to_string(), "As");
        assert!(!shoe.past_cut());
        assert_eq!(shoe.draw().unwrap().to_string(), "Kd");
        assert!(shoe.past_cut());
        shoe.undraw();
        assert_eq!(shoe.remaining().total(), 3);
        assert_eq!(shoe.draw().unwrap().to_string(), "Kd");
    }
}
