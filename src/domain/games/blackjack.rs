//! Live blackjack, European no-hole-card (ENHC), as live-dealer studios run it: the round as
//! a pure state machine (dealing order, decisions, the dealer's drawing rule), settlement,
//! and the exact distribution of the dealer's final result for live odds.
//!
//! It owns the rules only. It must not know tables, timers, wallets or the journal: the
//! caller feeds it cards (from the RNG shoe or the dealer console) and decisions (from
//! players, or the decision timer's auto-stand), debits the extra stake that
//! [`Round::extra_stake`] quotes *before* calling [`Round::act`], and credits what
//! [`Round::settle`] returns. No I/O, clocks or RNGs.
//!
//! House rules, and the choices made where tables differ:
//! - **No hole card.** Each seat gets a card, the dealer one up card, each seat a second card.
//!   The dealer's second card comes only after every hand has acted, so nobody peeks.
//! - **Original bets only (OBO).** When the dealer turns a blackjack, a player blackjack
//!   pushes, and every other seat loses only its original main stake: the extra stake of
//!   doubles and splits comes back, *even on hands that busted* (we do not collect busted
//!   hands early; the loss is settled once, at the end). The lost stake is booked on hand 0.
//! - **Blackjack pays 3:2**, rounded down in minor units: stake + floor(stake × 3 / 2), so a
//!   stake of 5 returns 12.
//! - **Splits.** Any two cards of equal blackjack value split (K+Q too), up to
//!   [`Rules::max_hands`] hands per seat. A new hand is *appended* after the seat's existing
//!   hands, so hand indices never change once given out (they are on the wire and in the
//!   journal); hands are played in index order. Split aces take one card each and stop.
//!   21 after a split is not a blackjack.
//! - **Doubles** on any first two cards, after a split only with [`Rules::double_after_split`];
//!   exactly one card follows.
//! - **21 auto-stands**; a player blackjack does not act.
//! - **Dealer** draws to 17, stands on soft 17 unless [`Rules::dealer_hits_soft_17`]. When
//!   every hand is busted or a blackjack, the dealer still takes the second card (it decides
//!   blackjack pushes and insurance) and draws no more.
//! - **Insurance** (only with [`Rules::insurance`]): with an ace up, a seat may insure at its
//!   turn while its unsplit first hand holds two cards; it costs floor(stake / 2) and returns
//!   3 × cost (2:1) when the dealer makes blackjack. A player blackjack does not act, so it
//!   is never offered insurance ("even money"); it pushes against a dealer blackjack anyway.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use crate::domain::cards::{Card, Composition, Rank};
use crate::domain::error::RuleError;
use crate::domain::money::Amount;

/// Seats are numbered 1..=7, the table's physical layout.
pub const SEAT_MIN: u8 = 1;
pub const SEAT_MAX: u8 = 7;

/// Upper bound for [`Rules::max_hands`]. Live studios allow 2 to 4 hands per seat; capping it
/// keeps the round's state bounded and makes [`max_return`] (16 stakes) safe for every table.
pub const HANDS_PER_SEAT_LIMIT: u8 = 4;

/// A table's blackjack rules. Unknown keys are refused so a typo in a table file is loud.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Rules {
    /// H17 when true; S17 (stand on soft 17, the default) when false.
    pub dealer_hits_soft_17: bool,
    /// Most hands one seat may hold by splitting (1 forbids splits), 1..=[`HANDS_PER_SEAT_LIMIT`].
    pub max_hands: u8,
    /// Whether a hand made by a split may double.
    pub double_after_split: bool,
    /// Whether insurance is offered against an ace up.
    pub insurance: bool,
}

impl Default for Rules {
    fn default() -> Rules {
        Rules {
            dealer_hits_soft_17: false,
            max_hands: 4,
            double_after_split: true,
            insurance: false,
        }
    }
}

impl Rules {
    /// # Errors
    /// [`RuleError::IllegalAction`] when `max_hands` is outside 1..=[`HANDS_PER_SEAT_LIMIT`].
    pub fn validate(&self) -> Result<(), RuleError> {
        if (1..=HANDS_PER_SEAT_LIMIT).contains(&self.max_hands) {
            Ok(())
        } else {
            Err(RuleError::IllegalAction(format!(
                "max_hands must be 1 to {HANDS_PER_SEAT_LIMIT}, got {}",
                self.max_hands
            )))
        }
    }

    /// The most one seat's main bet of `stake` can get back, for exposure limits.
    ///
    /// Every hand split to the limit, every one doubled (when doubling after a split is
    /// allowed) and every one winning 1:1: `2 × 2 × max_hands` stakes, 16 with the default
    /// rules. Without double after split it is `2 × max(max_hands, 2)` (an unsplit hand can
    /// still double). A blackjack (2.5 stakes) never exceeds that. The bound also covers the
    /// seat's insurance: insurance pays only on a dealer blackjack, when the main bet returns
    /// at most its extras, so main plus insurance stays under `total staked + stake / 2`.
    /// `None` on overflow (and for rules that fail [`Rules::validate`]).
    pub fn max_return(&self, stake: Amount) -> Option<Amount> {
        self.validate().ok()?;
        let hands = i64::from(self.max_hands);
        let stakes_max = if self.double_after_split {
            2 * hands
        } else {
            hands.max(2)
        };
        stake.checked_mul(2 * stakes_max)
    }
}

/// [`Rules::max_return`] under the most generous rules a table can set (4 hands, all doubled,
/// all winning): 16 stakes, which is also what the default rules give. Safe for exposure
/// checks that do not know the table's rules; [`Rules::max_return`] is tighter for tables that
/// split less or forbid doubling after a split.
pub fn max_return(stake: Amount) -> Option<Amount> {
    Rules {
        max_hands: HANDS_PER_SEAT_LIMIT,
        double_after_split: true,
        ..Rules::default()
    }
    .max_return(stake)
}

/// A player decision. Wire names: `hit`, `stand`, `double`, `split`, `insurance`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Hit,
    Stand,
    Double,
    Split,
    Insurance,
}

impl Action {
    pub const ALL: [Action; 5] = [
        Action::Hit,
        Action::Stand,
        Action::Double,
        Action::Split,
        Action::Insurance,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Hit => "hit",
            Action::Stand => "stand",
            Action::Double => "double",
            Action::Split => "split",
            Action::Insurance => "insurance",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Action {
    type Err = RuleError;

    /// Parses the wire name, ignoring case and surrounding white space.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let text = s.trim();
        Action::ALL
            .into_iter()
            .find(|action| action.as_str().eq_ignore_ascii_case(text))
            // The text is untrusted: echo only a short prefix of it.
            .ok_or_else(|| {
                RuleError::IllegalAction(format!(
                    "unknown action {:?}",
                    text.chars().take(16).collect::<String>()
                ))
            })
    }
}

/// Where a card goes. Serialised as `{"kind":"seat","seat":3,"hand":0}` or `{"kind":"dealer"}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Target {
    Seat { seat: u8, hand: u8 },
    Dealer,
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Seat { seat, hand } => write!(f, "seat {seat} hand {hand}"),
            Target::Dealer => f.write_str("dealer"),
        }
    }
}

/// What a decision costs on top of what is already staked. The caller debits an
/// `ExtraStake` *before* calling [`Round::act`] (quote it with [`Round::extra_stake`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActionEffect {
    None,
    ExtraStake(Amount),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HandStatus {
    /// Still taking cards or waiting for a decision.
    Playing,
    /// Stood, by decision, by reaching 21, or as a split ace after its one card.
    Stood,
    Busted,
    /// A two-card 21 on an unsplit hand.
    Blackjack,
    /// Doubled and received its one card without busting.
    Doubled,
}

/// One player hand as clients see it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct HandView {
    pub seat: u8,
    pub hand: u8,
    pub cards: Vec<Card>,
    pub total: u8,
    pub soft: bool,
    /// Everything staked on this hand, its double included.
    pub stake: Amount,
    pub status: HandStatus,
    pub doubled: bool,
    /// Made by a split (so a 21 is not a blackjack).
    pub split: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BetKind {
    Main,
    Insurance,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Player blackjack against no dealer blackjack: 3:2.
    Blackjack,
    Win,
    Push,
    /// Lost. Under a dealer blackjack a losing hand still gets its double/split extras back
    /// (original bets only), so `payout` may be positive.
    Lose,
}

/// The settlement of one hand, or of a seat's insurance (`bet = insurance`, `hand = 0`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct HandResult {
    pub seat: u8,
    pub hand: u8,
    pub bet: BetKind,
    /// Everything staked on it, doubles included.
    pub stake: Amount,
    /// Everything returned, stake included (0 for a loss).
    pub payout: Amount,
    pub outcome: Outcome,
}

/// Best total and whether it is soft (an ace counted as 11). Hard totals above 255 saturate.
pub fn hand_total(cards: &[Card]) -> (u8, bool) {
    let hard = cards
        .iter()
        .map(|card| u32::from(card.rank.blackjack_value()))
        .sum::<u32>();
    let has_ace = cards.iter().any(|card| card.rank == Rank::Ace);
    let (total, soft) = if has_ace && hard + 10 <= 21 {
        (hard + 10, true)
    } else {
        (hard, false)
    };
    (u8::try_from(total).unwrap_or(u8::MAX), soft)
}

fn is_natural(cards: &[Card]) -> bool {
    cards.len() == 2 && hand_total(cards).0 == 21
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Hand {
    cards: Vec<Card>,
    stake: Amount,
    status: HandStatus,
    from_split: bool,
    doubled: bool,
    /// A hit or a double was decided and its card is not dealt yet.
    card_owed: bool,
}

impl Hand {
    fn new(cards: Vec<Card>, stake: Amount, from_split: bool) -> Hand {
        Hand {
            cards,
            stake,
            status: HandStatus::Playing,
            from_split,
            doubled: false,
            card_owed: false,
        }
    }

    fn is_split_aces(&self) -> bool {
        self.from_split && self.cards.first().is_some_and(|card| card.rank == Rank::Ace)
    }

    fn needs_card(&self) -> bool {
        self.cards.len() < 2 || self.card_owed
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Seat {
    number: u8,
    /// The original main stake; splits stake it again, doubles stake the hand's stake again.
    stake: Amount,
    /// Never empty; index = hand number.
    hands: Vec<Hand>,
    /// Zero when not insured.
    insurance: Amount,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// The two-pass deal: seats, dealer up card, seats.
    Opening,
    Players,
    Dealer,
    Finished,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Event {
    Card { target: Target, card: Card },
    Decision { seat: u8, hand: u8, action: Action },
}

/// One blackjack round from the first card to settlement.
///
/// The state is a pure function of the seats and the event log (cards and decisions), which
/// is how [`Round::undo`] works: it replays the log without its last card. Two rounds with the
/// same seats and log compare equal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Round {
    rules: Rules,
    /// In seat order.
    seats: Vec<Seat>,
    dealer: Vec<Card>,
    phase: Phase,
    /// Every card and decision, in order. Bounded by the rules: each hand stops by 21 and a
    /// seat holds at most `max_hands` hands.
    events: Vec<Event>,
}

impl Round {
    /// Opens a round for the occupied seats, `(seat, main stake)`, in any order.
    ///
    /// # Errors
    /// [`RuleError::IllegalAction`] for invalid rules or no seat at all,
    /// [`RuleError::UnknownSpot`] for a seat outside 1..=7 or listed twice,
    /// [`RuleError::BadAmount`] for a stake that is not positive, and
    /// [`RuleError::BetLimit`] for one so large its [`Rules::max_return`] overflows.
    pub fn new(rules: Rules, seats: &[(u8, Amount)]) -> Result<Round, RuleError> {
        rules.validate()?;
        if seats.is_empty() {
            return Err(RuleError::IllegalAction(
                "a round needs at least one occupied seat".into(),
            ));
        }
        let mut sorted = seats.to_vec();
        sorted.sort_by_key(|(seat, _)| *seat);
        for (index, &(seat, stake)) in sorted.iter().enumerate() {
            if !(SEAT_MIN..=SEAT_MAX).contains(&seat) {
                return Err(RuleError::UnknownSpot(format!("seat {seat}")));
            }
            if index > 0 && sorted[index - 1].0 == seat {
                return Err(RuleError::UnknownSpot(format!("seat {seat} listed twice")));
            }
            if !stake.is_positive() {
                return Err(RuleError::BadAmount);
            }
            // Settlement arithmetic stays below max_return, so checking it here makes every
            // later sum and product safe.
            if rules.max_return(stake).is_none() {
                return Err(RuleError::BetLimit(format!("stake {stake} too large")));
            }
        }
        Ok(Round {
            rules,
            seats: sorted
                .into_iter()
                .map(|(number, stake)| Seat {
                    number,
                    stake,
                    hands: vec![Hand::new(Vec::new(), stake, false)],
                    insurance: Amount::ZERO,
                })
                .collect(),
            dealer: Vec::new(),
            phase: Phase::Opening,
            events: Vec::new(),
        })
    }

    pub fn rules(&self) -> Rules {
        self.rules
    }

    /// Where the next card goes; `None` while a decision is awaited or once finished.
    pub fn next_card_target(&self) -> Option<Target> {
        match self.phase {
            Phase::Opening => {
                let seats = self.seats.len();
                let dealt = self.dealer.len() + self.seats.iter().map(|s| s.hands[0].cards.len()).sum::<usize>();
                if dealt == seats {
                    Some(Target::Dealer)
                } else {
                    let index = if dealt < seats { dealt } else { dealt - seats - 1 };
                    self.seats.get(index).map(|seat| Target::Seat {
                        seat: seat.number,
                        hand: 0,
                    })
                }
            }
            Phase::Players => {
                let (seat, hand) = self.active()?;
                let seat = &self.seats[seat];
                seat.hands[hand].needs_card().then_some(Target::Seat {
                    seat: seat.number,
                    hand: hand as u8,
                })
            }
            Phase::Dealer => Some(Target::Dealer),
            Phase::Finished => None,
        }
    }

    /// Deals `card` to [`Round::next_card_target`] and returns where it went.
    ///
    /// # Errors
    /// [`RuleError::NoCardExpected`] while a decision is awaited or once finished.
    pub fn deal(&mut self, card: Card) -> Result<Target, RuleError> {
        let target = self.next_card_target().ok_or(RuleError::NoCardExpected)?;
        self.apply_card(target, card);
        self.events.push(Event::Card { target, card });
        Ok(target)
    }

    /// Deals `card` to `expected`, for a dealer console that names the position it dealt to.
    ///
    /// # Errors
    /// As [`Round::deal`], and [`RuleError::WrongPosition`] when the card goes elsewhere.
    pub fn deal_to(&mut self, expected: Target, card: Card) -> Result<(), RuleError> {
        let target = self.next_card_target().ok_or(RuleError::NoCardExpected)?;
        if target != expected {
            return Err(RuleError::WrongPosition {
                expected: target.to_string(),
                got: expected.to_string(),
            });
        }
        self.deal(card).map(|_| ())
    }

    /// Takes back the last card dealt (a dealer console correction) and returns it with the
    /// position it had gone to. Decisions are never undone.
    ///
    /// # Errors
    /// [`RuleError::NothingToUndo`] when no card was dealt or the last event was a decision.
    pub fn undo(&mut self) -> Result<(Target, Card), RuleError> {
        let Some((&Event::Card { target, card }, earlier)) = self.events.split_last() else {
            return Err(RuleError::NothingToUndo);
        };
        *self = self.replay(earlier)?;
        Ok((target, card))
    }

    /// A fresh round with these seats driven through `events`. Each event was legal when it
    /// was logged and the rules are deterministic, so this succeeds; if it ever did not, the
    /// caller keeps its state untouched.
    fn replay(&self, events: &[Event]) -> Result<Round, RuleError> {
        let seats: Vec<(u8, Amount)> = self.seats.iter().map(|seat| (seat.number, seat.stake)).collect();
        let mut round = Round::new(self.rules, &seats)?;
        for event in events {
            match *event {
                Event::Card { target, card } => round.deal_to(target, card)?,
                Event::Decision { seat, hand, action } => {
                    round.act(seat, hand, action)?;
                }
            }
        }
        Ok(round)
    }

    /// `(seat, hand)` whose decision is awaited, if any.
    pub fn awaiting_decision(&self) -> Option<(u8, u8)> {
        let (seat, hand) = self.awaiting()?;
        Some((self.seats[seat].number, hand as u8))
    }

    /// The actions the hand awaiting a decision may take; empty when none is awaited.
    pub fn legal_actions(&self) -> Vec<Action> {
        let Some((seat, hand)) = self.awaiting_decision() else {
            return Vec::new();
        };
        Action::ALL
            .into_iter()
            .filter(|&action| self.extra_stake(seat, hand, action).is_ok())
            .collect()
    }

    /// The extra stake `action` needs (zero for hit and stand), checking it is legal now,
    /// without changing anything. Double and split cost the hand's stake again, insurance
    /// half the main stake rounded down.
    ///
    /// # Errors
    /// [`RuleError::NotYourTurn`] unless that hand's decision is awaited;
    /// [`RuleError::IllegalAction`] when the rules forbid the action now.
    pub fn extra_stake(&self, seat: u8, hand: u8, action: Action) -> Result<Amount, RuleError> {
        let (seat_index, hand_index) = self.awaiting().ok_or(RuleError::NotYourTurn)?;
        let seat_state = &self.seats[seat_index];
        if seat_state.number != seat || hand_index != usize::from(hand) {
            return Err(RuleError::NotYourTurn);
        }
        let current = &seat_state.hands[hand_index];
        let illegal = |why: &str| Err(RuleError::IllegalAction(format!("{action}: {why}")));
        match action {
            Action::Hit | Action::Stand => Ok(Amount::ZERO),
            Action::Double => {
                if current.cards.len() != 2 {
                    illegal("only on the first two cards")
                } else if current.from_split && !self.rules.double_after_split {
                    illegal("no double after a split at this table")
                } else {
                    Ok(current.stake)
                }
            }
            Action::Split => {
                if current.cards.len() != 2
                    || current.cards[0].rank.blackjack_value() != current.cards[1].rank.blackjack_value()
                {
                    illegal("only two cards of equal value split")
                } else if seat_state.hands.len() >= usize::from(self.rules.max_hands) {
                    illegal("the seat holds the most hands this table allows")
                } else {
                    Ok(seat_state.stake)
                }
            }
            Action::Insurance => {
                let cost = seat_state.stake.mul_ratio_floor(1, 2).unwrap_or(Amount::ZERO);
                if !self.rules.insurance {
                    illegal("this table offers no insurance")
                } else if self.dealer.first().map(|card| card.rank) != Some(Rank::Ace) {
                    illegal("only against an ace up")
                } else if hand_index != 0 || seat_state.hands.len() != 1 || current.cards.len() != 2 {
                    illegal("only on the first two cards of an unsplit hand")
                } else if seat_state.insurance.is_positive() {
                    illegal("already insured")
                } else if !cost.is_positive() {
                    illegal("the stake is too small to insure")
                } else {
                    Ok(cost)
                }
            }
        }
    }

    /// Applies a decision. Any extra stake it needs must already be debited: the effect
    /// reports it so the caller can check its books.
    ///
    /// # Errors
    /// As [`Round::extra_stake`]; nothing changes on error.
    pub fn act(&mut self, seat: u8, hand: u8, action: Action) -> Result<ActionEffect, RuleError> {
        let extra = self.extra_stake(seat, hand, action)?;
        let (seat_index, hand_index) = self.awaiting().ok_or(RuleError::NotYourTurn)?;
        let seat_state = &mut self.seats[seat_index];
        match action {
            Action::Hit => seat_state.hands[hand_index].card_owed = true,
            Action::Stand => seat_state.hands[hand_index].status = HandStatus::Stood,
            Action::Double => {
                let current = &mut seat_state.hands[hand_index];
                current.stake = current.stake.checked_add(extra).ok_or(RuleError::BadAmount)?;
                current.doubled = true;
                current.card_owed = true;
            }
            Action::Split => {
                let current = &mut seat_state.hands[hand_index];
                let second = current
                    .cards
                    .pop()
                    .ok_or_else(|| RuleError::IllegalAction("split: no cards".into()))?;
                current.from_split = true;
                seat_state.hands.push(Hand::new(vec![second], extra, true));
            }
            Action::Insurance => seat_state.insurance = extra,
        }
        self.events.push(Event::Decision { seat, hand, action });
        self.advance();
        Ok(if extra.is_positive() {
            ActionEffect::ExtraStake(extra)
        } else {
            ActionEffect::None
        })
    }

    pub fn is_finished(&self) -> bool {
        self.phase == Phase::Finished
    }

    pub fn dealer_cards(&self) -> &[Card] {
        &self.dealer
    }

    /// Every card dealt, in order, with where it went.
    pub fn cards(&self) -> Vec<(Target, Card)> {
        self.events
            .iter()
            .filter_map(|event| match *event {
                Event::Card { target, card } => Some((target, card)),
                Event::Decision { .. } => None,
            })
            .collect()
    }

    /// The insurance each insured seat bought, in seat order.
    pub fn insurance(&self) -> Vec<(u8, Amount)> {
        self.seats
            .iter()
            .filter(|seat| seat.insurance.is_positive())
            .map(|seat| (seat.number, seat.insurance))
            .collect()
    }

    /// Every player hand, in seat then hand order.
    pub fn hands(&self) -> Vec<HandView> {
        self.seats
            .iter()
            .flat_map(|seat| {
                seat.hands.iter().enumerate().map(move |(index, hand)| {
                    let (total, soft) = hand_total(&hand.cards);
                    HandView {
                        seat: seat.number,
                        hand: index as u8,
                        cards: hand.cards.clone(),
                        total,
                        soft,
                        stake: hand.stake,
                        status: hand.status,
                        doubled: hand.doubled,
                        split: hand.from_split,
                    }
                })
            })
            .collect()
    }

    /// Settles a finished round: one result per hand, in seat then hand order, each seat's
    /// insurance after its hands. `None` until [`Round::is_finished`]. (The arithmetic cannot
    /// overflow: [`Round::new`] refused stakes whose [`Rules::max_return`] would.)
    pub fn settle(&self) -> Option<Vec<HandResult>> {
        if !self.is_finished() {
            return None;
        }
        let dealer_natural = is_natural(&self.dealer);
        let (dealer_total, _) = hand_total(&self.dealer);
        let mut results = Vec::new();
        for seat in &self.seats {
            for (index, hand) in seat.hands.iter().enumerate() {
                let (total, _) = hand_total(&hand.cards);
                let (outcome, payout) = if hand.status == HandStatus::Blackjack {
                    if dealer_natural {
                        (Outcome::Push, hand.stake)
                    } else {
                        (
                            Outcome::Blackjack,
                            hand.stake.checked_add(hand.stake.mul_ratio_floor(3, 2)?)?,
                        )
                    }
                } else if dealer_natural {
                    // Original bets only: the seat loses its original stake, booked on hand 0;
                    // every extra (the doubles, the split hands) comes back.
                    let lost = if index == 0 { seat.stake } else { Amount::ZERO };
                    (Outcome::Lose, hand.stake.checked_sub(lost)?)
                } else if hand.status == HandStatus::Busted {
                    (Outcome::Lose, Amount::ZERO)
                } else if dealer_total > 21 || total > dealer_total {
                    (Outcome::Win, hand.stake.checked_mul(2)?)
                } else if total == dealer_total {
                    (Outcome::Push, hand.stake)
                } else {
                    (Outcome::Lose, Amount::ZERO)
                };
                results.push(HandResult {
                    seat: seat.number,
                    hand: index as u8,
                    bet: BetKind::Main,
                    stake: hand.stake,
                    payout,
                    outcome,
                });
            }
            if seat.insurance.is_positive() {
                let (outcome, payout) = if dealer_natural {
                    (Outcome::Win, seat.insurance.checked_mul(3)?)
                } else {
                    (Outcome::Lose, Amount::ZERO)
                };
                results.push(HandResult {
                    seat: seat.number,
                    hand: 0,
                    bet: BetKind::Insurance,
                    stake: seat.insurance,
                    payout,
                    outcome,
                });
            }
        }
        Some(results)
    }

    /// The first hand, in seat then hand order, still playing.
    fn active(&self) -> Option<(usize, usize)> {
        self.seats.iter().enumerate().find_map(|(seat_index, seat)| {
            seat.hands
                .iter()
                .position(|hand| hand.status == HandStatus::Playing)
                .map(|hand| (seat_index, hand))
        })
    }

    fn awaiting(&self) -> Option<(usize, usize)> {
        if self.phase != Phase::Players {
            return None;
        }
        let (seat, hand) = self.active()?;
        (!self.seats[seat].hands[hand].needs_card()).then_some((seat, hand))
    }

    /// `target` came from `next_card_target`, so it names the position this phase expects.
    fn apply_card(&mut self, target: Target, card: Card) {
        match (self.phase, target) {
            (Phase::Opening, Target::Dealer) => self.dealer.push(card),
            (Phase::Opening, Target::Seat { seat, .. }) => {
                let Some(seat_state) = self.seats.iter_mut().find(|s| s.number == seat) else {
                    return;
                };
                let hand = &mut seat_state.hands[0];
                hand.cards.push(card);
                if is_natural(&hand.cards) {
                    hand.status = HandStatus::Blackjack;
                }
                if self.seats.iter().all(|s| s.hands[0].cards.len() == 2) {
                    self.phase = Phase::Players;
                }
            }
            (Phase::Players, Target::Seat { seat, hand }) => {
                let Some(hand) = self
                    .seats
                    .iter_mut()
                    .find(|s| s.number == seat)
                    .and_then(|s| s.hands.get_mut(usize::from(hand)))
                else {
                    return;
                };
                hand.cards.push(card);
                hand.card_owed = false;
                let (total, _) = hand_total(&hand.cards);
                if total > 21 {
                    hand.status = HandStatus::Busted;
                } else if hand.doubled {
                    hand.status = HandStatus::Doubled;
                } else if total == 21 || (hand.is_split_aces() && hand.cards.len() == 2) {
                    hand.status = HandStatus::Stood;
                }
            }
            (Phase::Dealer, Target::Dealer) => self.dealer.push(card),
            _ => return,
        }
        self.advance();
    }

    /// Moves on from the players to the dealer to the end as soon as nothing is left to do.
    fn advance(&mut self) {
        if self.phase == Phase::Players && self.active().is_none() {
            self.phase = Phase::Dealer;
        }
        if self.phase == Phase::Dealer && self.dealer_done() {
            self.phase = Phase::Finished;
        }
    }

    fn dealer_done(&self) -> bool {
        if self.dealer.len() < 2 {
            return false;
        }
        let nothing_to_beat = self
            .seats
            .iter()
            .flat_map(|seat| &seat.hands)
            .all(|hand| matches!(hand.status, HandStatus::Busted | HandStatus::Blackjack));
        if nothing_to_beat {
            return true;
        }
        let (total, soft) = hand_total(&self.dealer);
        dealer_stands(total, soft, self.rules.dealer_hits_soft_17)
    }
}

fn dealer_stands(total: u8, soft: bool, hits_soft_17: bool) -> bool {
    total > 17 || (total == 17 && !(soft && hits_soft_17))
}

/// The cards the dealer draws from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Deck {
    /// Every draw independent: each rank 1/13, the four ten-value ranks 4/13 together.
    Infinite,
    /// Exactly these cards remain (the dealer's own cards already removed).
    Finite(Composition),
}

/// Distribution of the dealer's final result. Serialised with keys `"17"` … `"21"`, `"bust"`,
/// `"blackjack"`. `blackjack` is the two-card 21, not counted in `p21`.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[schemars(rename = "BlackjackDealerOdds")]
pub struct DealerOdds {
    #[serde(rename = "17")]
    pub p17: f64,
    #[serde(rename = "18")]
    pub p18: f64,
    #[serde(rename = "19")]
    pub p19: f64,
    #[serde(rename = "20")]
    pub p20: f64,
    #[serde(rename = "21")]
    pub p21: f64,
    pub bust: f64,
    pub blackjack: f64,
}

impl DealerOdds {
    /// The sum of all outcomes: 1 up to rounding, or 0 when no completion exists.
    pub fn total(&self) -> f64 {
        self.as_array().iter().sum()
    }

    fn as_array(&self) -> [f64; OUTCOMES] {
        [
            self.p17,
            self.p18,
            self.p19,
            self.p20,
            self.p21,
            self.bust,
            self.blackjack,
        ]
    }

    fn from_array(p: [f64; OUTCOMES]) -> DealerOdds {
        DealerOdds {
            p17: p[0],
            p18: p[1],
            p19: p[2],
            p20: p[3],
            p21: p[4],
            bust: p[5],
            blackjack: p[6],
        }
    }
}

/// 17, 18, 19, 20, 21, bust, blackjack.
const OUTCOMES: usize = 7;
const BUST: usize = 5;
const NATURAL: usize = 6;

/// Exact distribution of the dealer's final result given the up card, by enumerating every
/// draw (with removal for a finite deck). No conditioning on a peek: ENHC has none.
///
/// For a finite deck too small to finish every draw, the result is conditioned on the draws
/// that do finish; when none does it is all zeros. Never panics.
pub fn dealer_odds(upcard: Rank, deck: &Deck, dealer_hits_soft_17: bool) -> DealerOdds {
    dealer_odds_from(&[upcard], deck, dealer_hits_soft_17)
}

/// Live dealer odds for `round` once its up card is out, conditioned on every dealer card so
/// far. `shoe` holds the cards nobody has seen (all dealt cards removed). `None` before the up
/// card, and for a finished round whose dealer stopped below 17 (every hand busted or a
/// blackjack, so the dealer drew no more and no key fits).
pub fn dealer_odds_for_round(round: &Round, shoe: &Composition) -> Option<DealerOdds> {
    let dealer = round.dealer_cards();
    if dealer.is_empty() {
        return None;
    }
    if round.is_finished() {
        let (total, _) = hand_total(dealer);
        if total < 17 {
            return None;
        }
        let mut p = [0.0; OUTCOMES];
        p[outcome_index(total, is_natural(dealer))] = 1.0;
        return Some(DealerOdds::from_array(p));
    }
    let ranks: Vec<Rank> = dealer.iter().map(|card| card.rank).collect();
    Some(dealer_odds_from(
        &ranks,
        &Deck::Finite(*shoe),
        round.rules.dealer_hits_soft_17,
    ))
}

fn outcome_index(total: u8, natural: bool) -> usize {
    match total {
        _ if natural => NATURAL,
        22.. => BUST,
        17..=21 => usize::from(total - 17),
        // Callers only ask once the dealer stands, at 17 or more.
        _ => BUST,
    }
}

/// The dealer's hand during the enumeration: the sum with aces as 1, whether there is an ace,
/// and the number of cards (saturating at 3: only "exactly 2" matters, for the natural).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct DealerHand {
    hard: u8,
    ace: bool,
    cards: u8,
}

impl DealerHand {
    fn add(self, value: u8) -> DealerHand {
        DealerHand {
            hard: self.hard.saturating_add(value),
            ace: self.ace || value == 1,
            cards: (self.cards + 1).min(3),
        }
    }

    /// The final outcome if the dealer stands here, `None` if the dealer draws.
    fn outcome(self, hits_soft_17: bool) -> Option<usize> {
        let soft = self.ace && self.hard <= 11;
        let total = if soft { self.hard + 10 } else { self.hard };
        if total > 21 {
            Some(BUST)
        } else if self.cards >= 2 && dealer_stands(total, soft, hits_soft_17) {
            Some(outcome_index(total, self.cards == 2 && total == 21))
        } else {
            None
        }
    }
}

fn dealer_odds_from(cards: &[Rank], deck: &Deck, hits_soft_17: bool) -> DealerOdds {
    let start = cards.iter().fold(
        DealerHand {
            hard: 0,
            ace: false,
            cards: 0,
        },
        |hand, rank| hand.add(rank.blackjack_value()),
    );
    let raw = match deck {
        Deck::Infinite => infinite(start, hits_soft_17, &mut HashMap::new()),
        Deck::Finite(composition) => {
            // Counts by blackjack value (ace = index 0 … ten-value = index 9).
            let mut counts = [0u32; 10];
            for rank in Rank::ALL {
                counts[usize::from(rank.blackjack_value()) - 1] += u32::from(composition.count(rank));
            }
            let mut search = FiniteSearch {
                counts,
                drawn: [0; 10],
                hits_soft_17,
                memo: HashMap::new(),
            };
            search.run(start)
        }
    };
    let sum: f64 = raw.iter().sum();
    if sum > 0.0 {
        DealerOdds::from_array(raw.map(|p| p / sum))
    } else {
        DealerOdds::default()
    }
}

fn infinite(hand: DealerHand, hits_soft_17: bool, memo: &mut HashMap<DealerHand, [f64; OUTCOMES]>) -> [f64; OUTCOMES] {
    let mut result = [0.0; OUTCOMES];
    if let Some(outcome) = hand.outcome(hits_soft_17) {
        result[outcome] = 1.0;
        return result;
    }
    if let Some(known) = memo.get(&hand) {
        return *known;
    }
    for value in 1..=10u8 {
        let p = if value == 10 { 4.0 / 13.0 } else { 1.0 / 13.0 };
        let next = infinite(hand.add(value), hits_soft_17, memo);
        for (slot, q) in result.iter_mut().zip(next) {
            *slot += p * q;
        }
    }
    memo.insert(hand, result);
    result
}

/// Enumeration with removal. The dealer's hand and the cards left are both fixed by the
/// multiset of cards drawn so far, so that multiset is the memo key. Results are
/// unnormalised: draws that run out of cards contribute nothing.
struct FiniteSearch {
    counts: [u32; 10],
    drawn: [u8; 10],
    hits_soft_17: bool,
    memo: HashMap<[u8; 10], [f64; OUTCOMES]>,
}

impl FiniteSearch {
    fn run(&mut self, hand: DealerHand) -> [f64; OUTCOMES] {
        let mut result = [0.0; OUTCOMES];
        if let Some(outcome) = hand.outcome(self.hits_soft_17) {
            result[outcome] = 1.0;
            return result;
        }
        if let Some(known) = self.memo.get(&self.drawn) {
            return *known;
        }
        let remaining: u32 = self.counts.iter().sum();
        if remaining == 0 {
            return result;
        }
        for index in 0..10 {
            if self.counts[index] == 0 {
                continue;
            }
            let p = f64::from(self.counts[index]) / f64::from(remaining);
            self.counts[index] -= 1;
            self.drawn[index] += 1;
            let next = self.run(hand.add(index as u8 + 1));
            self.drawn[index] -= 1;
            self.counts[index] += 1;
            for (slot, q) in result.iter_mut().zip(next) {
                *slot += p * q;
            }
        }
        self.memo.insert(self.drawn, result);
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::cards::{parse_cards, Suit};

    fn cards(text: &str) -> Vec<Card> {
        parse_cards(text).unwrap()
    }

    fn round(rules: Rules, seats: &[(u8, i64)]) -> Round {
        let seats: Vec<(u8, Amount)> = seats.iter().map(|&(seat, stake)| (seat, Amount(stake))).collect();
        Round::new(rules, &seats).unwrap()
    }

    fn deal(round: &mut Round, text: &str) -> Vec<Target> {
        cards(text).into_iter().map(|card| round.deal(card).unwrap()).collect()
    }

    fn seat(seat: u8, hand: u8) -> Target {
        Target::Seat { seat, hand }
    }

    fn view(round: &Round, seat: u8, hand: u8) -> HandView {
        round
            .hands()
            .into_iter()
            .find(|h| h.seat == seat && h.hand == hand)
            .unwrap()
    }

    /// `(hand, bet, stake, payout, outcome)` per result of `seat`.
    fn results(round: &Round, seat: u8) -> Vec<(u8, BetKind, i64, i64, Outcome)> {
        round
            .settle()
            .unwrap()
            .into_iter()
            .filter(|r| r.seat == seat)
            .map(|r| (r.hand, r.bet, r.stake.0, r.payout.0, r.outcome))
            .collect()
    }

    #[test]
    fn deals_seats_then_up_card_then_seats_in_seat_order() {
        let mut r = round(Rules::default(), &[(5, 10), (2, 10), (7, 10)]);
        assert_eq!(r.next_card_target(), Some(seat(2, 0)));
        let targets = deal(&mut r, "9c 8c 7c 6d 5c 5d 5h");
        assert_eq!(
            targets,
            [
                seat(2, 0),
                seat(5, 0),
                seat(7, 0),
                Target::Dealer,
                seat(2, 0),
                seat(5, 0),
                seat(7, 0)
            ]
        );
        assert_eq!(r.dealer_cards(), cards("6d"));
        assert_eq!(r.next_card_target(), None);
        assert_eq!(r.awaiting_decision(), Some((2, 0)));
        assert_eq!(r.legal_actions(), [Action::Hit, Action::Stand, Action::Double]);
        assert_eq!(r.deal(cards("2c")[0]), Err(RuleError::NoCardExpected));
        assert_eq!(r.cards().len(), 7);
        let hand = view(&r, 5, 0);
        assert_eq!(
            (hand.total, hand.soft, hand.status, hand.stake),
            (13, false, HandStatus::Playing, Amount(10))
        );
    }

    #[test]
    fn player_blackjack_does_not_act_and_pays_3_to_2_rounded_down() {
        let mut r = round(Rules::default(), &[(1, 5), (2, 10)]);
        deal(&mut r, "As 9c 9d Kh 8c");
        assert_eq!(view(&r, 1, 0).status, HandStatus::Blackjack);
        assert_eq!(r.awaiting_decision(), Some((2, 0)));
        assert_eq!(r.act(1, 0, Action::Stand), Err(RuleError::NotYourTurn));
        r.act(2, 0, Action::Stand).unwrap();
        assert_eq!(deal(&mut r, "9h"), [Target::Dealer]);
        assert!(r.is_finished());
        assert_eq!(results(&r, 1), [(0, BetKind::Main, 5, 12, Outcome::Blackjack)]);
        assert_eq!(results(&r, 2), [(0, BetKind::Main, 10, 0, Outcome::Lose)]);
    }

    #[test]
    fn twenty_one_stands_by_itself_and_a_bust_ends_the_hand() {
        let mut r = round(Rules::default(), &[(1, 10), (3, 10)]);
        deal(&mut r, "5c 9c 7d 6c 9d");
        r.act(1, 0, Action::Hit).unwrap();
        assert_eq!(r.awaiting_decision(), None);
        assert_eq!(r.next_card_target(), Some(seat(1, 0)));
        deal(&mut r, "Tc");
        assert_eq!(view(&r, 1, 0).status, HandStatus::Stood);
        assert_eq!(view(&r, 1, 0).total, 21);
        assert_eq!(r.awaiting_decision(), Some((3, 0)));
        r.act(3, 0, Action::Hit).unwrap();
        deal(&mut r, "Kh");
        assert_eq!(view(&r, 3, 0).status, HandStatus::Busted);
        assert_eq!(r.next_card_target(), Some(Target::Dealer));
        deal(&mut r, "Th"); // 7 + 10 = 17: stands
        assert!(r.is_finished());
        assert_eq!(results(&r, 1), [(0, BetKind::Main, 10, 20, Outcome::Win)]);
        assert_eq!(results(&r, 3), [(0, BetKind::Main, 10, 0, Outcome::Lose)]);
    }

    #[test]
    fn ten_value_cards_split_and_new_hands_are_appended() {
        let mut r = round(Rules::default(), &[(4, 10)]);
        deal(&mut r, "Kc 6d Qh");
        assert!(r.legal_actions().contains(&Action::Split));
        assert_eq!(r.extra_stake(4, 0, Action::Split), Ok(Amount(10)));
        assert_eq!(r.act(4, 0, Action::Split), Ok(ActionEffect::ExtraStake(Amount(10))));
        assert_eq!(view(&r, 4, 0).cards, cards("Kc"));
        assert_eq!(view(&r, 4, 1).cards, cards("Qh"));
        assert_eq!(r.next_card_target(), Some(seat(4, 0)));
        deal(&mut r, "Ks");
        // Resplit: the third hand goes after hand 1, so hand 1 keeps its index.
        r.act(4, 0, Action::Split).unwrap();
        assert_eq!(view(&r, 4, 1).cards, cards("Qh"));
        assert_eq!(view(&r, 4, 2).cards, cards("Ks"));
        deal(&mut r, "Ac"); // 21 after a split: stands, not a blackjack
        assert_eq!(view(&r, 4, 0).status, HandStatus::Stood);
        assert_eq!(r.next_card_target(), Some(seat(4, 1)));
        deal(&mut r, "9c");
        r.act(4, 1, Action::Stand).unwrap();
        deal(&mut r, "7c");
        r.act(4, 2, Action::Stand).unwrap();
        deal(&mut r, "Td"); // dealer 16: draws
        deal(&mut r, "5d"); // 21
        assert!(r.is_finished());
        assert_eq!(
            results(&r, 4),
            [
                (0, BetKind::Main, 10, 10, Outcome::Push),
                (1, BetKind::Main, 10, 0, Outcome::Lose),
                (2, BetKind::Main, 10, 0, Outcome::Lose),
            ]
        );
    }

    #[test]
    fn split_aces_take_one_card_each() {
        let mut r = round(Rules::default(), &[(1, 10)]);
        deal(&mut r, "Ac 9d Ah");
        r.act(1, 0, Action::Split).unwrap();
        deal(&mut r, "Kd");
        assert_eq!(view(&r, 1, 0).status, HandStatus::Stood);
        assert_eq!(r.next_card_target(), Some(seat(1, 1)));
        deal(&mut r, "As"); // a third ace: no resplit, the hand is done
        assert_eq!(view(&r, 1, 1).status, HandStatus::Stood);
        assert_eq!(r.awaiting_decision(), None);
        assert_eq!(r.next_card_target(), Some(Target::Dealer));
        deal(&mut r, "Tc"); // 19
        assert_eq!(
            results(&r, 1),
            [
                (0, BetKind::Main, 10, 20, Outcome::Win),
                (1, BetKind::Main, 10, 0, Outcome::Lose)
            ]
        );
    }

    #[test]
    fn splits_stop_at_the_hand_limit() {
        let mut r = round(
            Rules {
                max_hands: 2,
                ..Rules::default()
            },
            &[(1, 10)],
        );
        deal(&mut r, "8c 9d 8h");
        r.act(1, 0, Action::Split).unwrap();
        deal(&mut r, "8s");
        assert!(!r.legal_actions().contains(&Action::Split));
        assert!(matches!(r.act(1, 0, Action::Split), Err(RuleError::IllegalAction(_))));

        let mut r = round(
            Rules {
                max_hands: 1,
                ..Rules::default()
            },
            &[(1, 10)],
        );
        deal(&mut r, "8c 9d 8h");
        assert!(matches!(
            r.extra_stake(1, 0, Action::Split),
            Err(RuleError::IllegalAction(_))
        ));

        let mut r = round(Rules::default(), &[(1, 10)]);
        deal(&mut r, "8c 9d 8h");
        for _ in 0..3 {
            r.act(1, 0, Action::Split).unwrap();
            deal(&mut r, "8d");
        }
        assert_eq!(r.hands().len(), 4);
        assert!(matches!(r.act(1, 0, Action::Split), Err(RuleError::IllegalAction(_))));
        let mut r2 = round(Rules::default(), &[(1, 10)]);
        deal(&mut r2, "8c 9d 7h");
        assert!(matches!(r2.act(1, 0, Action::Split), Err(RuleError::IllegalAction(_))));
    }

    #[test]
    fn a_double_takes_exactly_one_card() {
        let mut r = round(Rules::default(), &[(1, 10), (2, 10)]);
        deal(&mut r, "5c 6c 7d 6d 6h");
        assert_eq!(r.act(1, 0, Action::Double), Ok(ActionEffect::ExtraStake(Amount(10))));
        assert_eq!(r.awaiting_decision(), None);
        deal(&mut r, "2c");
        let hand = view(&r, 1, 0);
        assert_eq!(
            (hand.total, hand.status, hand.stake, hand.doubled),
            (13, HandStatus::Doubled, Amount(20), true)
        );
        assert_eq!(r.awaiting_decision(), Some((2, 0)));
        r.act(2, 0, Action::Double).unwrap();
        deal(&mut r, "Kc");
        assert_eq!(view(&r, 2, 0).status, HandStatus::Busted);
        deal(&mut r, "Ts"); // dealer 17
        assert_eq!(results(&r, 1), [(0, BetKind::Main, 20, 0, Outcome::Lose)]);
        assert_eq!(results(&r, 2), [(0, BetKind::Main, 20, 0, Outcome::Lose)]);

        let mut r = round(Rules::default(), &[(1, 10)]);
        deal(&mut r, "5c 6c 2d");
        r.act(1, 0, Action::Hit).unwrap();
        deal(&mut r, "2h");
        assert!(matches!(r.act(1, 0, Action::Double), Err(RuleError::IllegalAction(_))));
    }

    #[test]
    fn double_after_split_follows_the_rules() {
        for das in [true, false] {
            let mut r = round(
                Rules {
                    double_after_split: das,
                    ..Rules::default()
                },
                &[(1, 10)],
            );
            deal(&mut r, "4c 6c 4d");
            r.act(1, 0, Action::Split).unwrap();
            deal(&mut r, "7s");
            assert_eq!(r.legal_actions().contains(&Action::Double), das);
            let doubled = r.act(1, 0, Action::Double);
            if das {
                assert_eq!(doubled, Ok(ActionEffect::ExtraStake(Amount(10))));
                deal(&mut r, "Th");
                assert_eq!(view(&r, 1, 0).stake, Amount(20));
                assert_eq!(view(&r, 1, 0).status, HandStatus::Doubled);
            } else {
                assert!(matches!(doubled, Err(RuleError::IllegalAction(_))));
            }
        }
    }

    #[test]
    fn dealer_stands_on_soft_17_unless_the_table_hits_it() {
        for hits in [false, true] {
            let mut r = round(
                Rules {
                    dealer_hits_soft_17: hits,
                    ..Rules::default()
                },
                &[(1, 10)],
            );
            deal(&mut r, "Tc Ad 8c");
            r.act(1, 0, Action::Stand).unwrap();
            deal(&mut r, "6h");
            assert_eq!(r.is_finished(), !hits);
            if hits {
                deal(&mut r, "2h"); // soft 19
                assert!(r.is_finished());
                assert_eq!(results(&r, 1), [(0, BetKind::Main, 10, 0, Outcome::Lose)]);
            } else {
                assert_eq!(results(&r, 1), [(0, BetKind::Main, 10, 20, Outcome::Win)]);
            }
        }
        // Hard 17 stands under H17 too.
        let mut r = round(
            Rules {
                dealer_hits_soft_17: true,
                ..Rules::default()
            },
            &[(1, 10)],
        );
        deal(&mut r, "Tc Td 7c");
        r.act(1, 0, Action::Stand).unwrap();
        deal(&mut r, "7h");
        assert!(r.is_finished());
        assert_eq!(results(&r, 1), [(0, BetKind::Main, 10, 10, Outcome::Push)]);
    }

    #[test]
    fn dealer_takes_only_one_card_when_nothing_is_left_to_beat() {
        let mut r = round(Rules::default(), &[(1, 10), (2, 10)]);
        deal(&mut r, "Tc Ac 5d 6c Kd");
        r.act(1, 0, Action::Hit).unwrap();
        deal(&mut r, "Th");
        assert_eq!(view(&r, 1, 0).status, HandStatus::Busted);
        assert_eq!(r.next_card_target(), Some(Target::Dealer));
        deal(&mut r, "6h"); // dealer 11, would draw, but nobody is left to beat
        assert!(r.is_finished());
        assert_eq!(r.next_card_target(), None);
        assert_eq!(results(&r, 1), [(0, BetKind::Main, 10, 0, Outcome::Lose)]);
        assert_eq!(results(&r, 2), [(0, BetKind::Main, 10, 25, Outcome::Blackjack)]);
        assert_eq!(dealer_odds_for_round(&r, &Composition::decks(8).unwrap()), None);
    }

    #[test]
    fn dealer_blackjack_takes_original_bets_only_and_pushes_blackjacks() {
        let mut r = round(Rules::default(), &[(1, 10), (2, 10), (3, 10)]);
        deal(&mut r, "5c 8c As Ad 6c 8d Ks");
        assert_eq!(r.act(1, 0, Action::Double), Ok(ActionEffect::ExtraStake(Amount(10))));
        deal(&mut r, "9c");
        r.act(2, 0, Action::Split).unwrap();
        deal(&mut r, "3h");
        r.act(2, 0, Action::Double).unwrap();
        deal(&mut r, "Kh");
        deal(&mut r, "9h");
        r.act(2, 1, Action::Stand).unwrap();
        deal(&mut r, "Kd");
        assert!(r.is_finished());
        assert_eq!(results(&r, 1), [(0, BetKind::Main, 20, 10, Outcome::Lose)]);
        assert_eq!(
            results(&r, 2),
            [
                (0, BetKind::Main, 20, 10, Outcome::Lose),
                (1, BetKind::Main, 10, 10, Outcome::Lose)
            ]
        );
        assert_eq!(results(&r, 3), [(0, BetKind::Main, 10, 10, Outcome::Push)]);
    }

    #[test]
    fn dealer_blackjack_returns_the_extras_of_busted_hands_too() {
        let mut r = round(Rules::default(), &[(1, 10)]);
        deal(&mut r, "6c Kd 6h");
        r.act(1, 0, Action::Double).unwrap();
        deal(&mut r, "Kc");
        assert_eq!(view(&r, 1, 0).status, HandStatus::Busted);
        deal(&mut r, "As");
        assert_eq!(results(&r, 1), [(0, BetKind::Main, 20, 10, Outcome::Lose)]);
    }

    #[test]
    fn wins_pushes_and_dealer_busts() {
        let mut r = round(Rules::default(), &[(1, 7), (2, 7), (3, 7), (4, 7)]);
        deal(&mut r, "Tc Td Tc 9d 6s Th 9h 6c 5d");
        for seat in 1..=4 {
            r.act(seat, 0, Action::Stand).unwrap();
        }
        deal(&mut r, "Ks 5h"); // 6 + 10 + 5 = 21
        assert_eq!(results(&r, 1)[0].3, 0);
        assert_eq!(results(&r, 2)[0].3, 0);

        let mut r = round(Rules::default(), &[(1, 7), (2, 7)]);
        deal(&mut r, "Tc Td 6s Th 9h");
        r.act(1, 0, Action::Stand).unwrap();
        r.act(2, 0, Action::Stand).unwrap();
        deal(&mut r, "4c Qc"); // 20
        assert_eq!(results(&r, 1), [(0, BetKind::Main, 7, 7, Outcome::Push)]);
        assert_eq!(results(&r, 2), [(0, BetKind::Main, 7, 0, Outcome::Lose)]);

        let mut r = round(Rules::default(), &[(1, 7)]);
        deal(&mut r, "2c 6s 3h");
        r.act(1, 0, Action::Stand).unwrap();
        deal(&mut r, "Tc 6c"); // 22
        assert_eq!(results(&r, 1), [(0, BetKind::Main, 7, 14, Outcome::Win)]);
    }

    #[test]
    fn insurance_costs_half_and_pays_2_to_1_on_a_dealer_blackjack() {
        let rules = Rules {
            insurance: true,
            ..Rules::default()
        };
        for dealer_second in ["Kd", "6d"] {
            let mut r = round(rules, &[(1, 11), (2, 10)]);
            deal(&mut r, "Tc 9c Ah 8c 8d");
            assert!(r.legal_actions().contains(&Action::Insurance));
            assert_eq!(r.extra_stake(1, 0, Action::Insurance), Ok(Amount(5)));
            assert_eq!(r.act(1, 0, Action::Insurance), Ok(ActionEffect::ExtraStake(Amount(5))));
            assert_eq!(r.awaiting_decision(), Some((1, 0)));
            assert!(matches!(
                r.act(1, 0, Action::Insurance),
                Err(RuleError::IllegalAction(_))
            ));
            assert_eq!(r.insurance(), [(1, Amount(5))]);
            r.act(1, 0, Action::Stand).unwrap();
            r.act(2, 0, Action::Hit).unwrap();
            deal(&mut r, "2s");
            assert!(matches!(
                r.act(2, 0, Action::Insurance),
                Err(RuleError::IllegalAction(_))
            ));
            r.act(2, 0, Action::Stand).unwrap();
            deal(&mut r, dealer_second);
            assert!(r.is_finished());
            if dealer_second == "Kd" {
                assert_eq!(
                    results(&r, 1),
                    [
                        (0, BetKind::Main, 11, 0, Outcome::Lose),
                        (0, BetKind::Insurance, 5, 15, Outcome::Win)
                    ]
                );
            } else {
                assert_eq!(
                    results(&r, 1),
                    [
                        (0, BetKind::Main, 11, 22, Outcome::Win),
                        (0, BetKind::Insurance, 5, 0, Outcome::Lose)
                    ]
                );
            }
        }
        // Not offered: table without insurance, no ace up, a stake too small to halve.
        let mut r = round(Rules::default(), &[(1, 10)]);
        deal(&mut r, "Tc Ah 8c");
        assert!(matches!(
            r.act(1, 0, Action::Insurance),
            Err(RuleError::IllegalAction(_))
        ));
        let mut r = round(rules, &[(1, 10)]);
        deal(&mut r, "Tc Kh 8c");
        assert!(!r.legal_actions().contains(&Action::Insurance));
        let mut r = round(rules, &[(1, 1)]);
        deal(&mut r, "Tc Ah 8c");
        assert!(matches!(
            r.act(1, 0, Action::Insurance),
            Err(RuleError::IllegalAction(_))
        ));
    }

    #[test]
    fn decisions_out_of_turn_or_against_the_rules_are_errors() {
        let mut r = round(Rules::default(), &[(1, 10), (2, 10)]);
        assert_eq!(r.act(1, 0, Action::Stand), Err(RuleError::NotYourTurn));
        assert_eq!(r.undo(), Err(RuleError::NothingToUndo));
        assert_eq!(r.settle(), None);
        deal(&mut r, "Tc 9c 7d 6c 9d");
        assert_eq!(r.act(2, 0, Action::Stand), Err(RuleError::NotYourTurn));
        assert_eq!(r.act(1, 1, Action::Stand), Err(RuleError::NotYourTurn));
        assert_eq!(r.act(9, 0, Action::Stand), Err(RuleError::NotYourTurn));
        assert_eq!(r.extra_stake(1, 0, Action::Hit), Ok(Amount::ZERO));
        assert!(matches!(r.act(1, 0, Action::Split), Err(RuleError::IllegalAction(_))));
        r.act(1, 0, Action::Hit).unwrap();
        assert_eq!(r.act(1, 0, Action::Stand), Err(RuleError::NotYourTurn));
        assert_eq!(r.legal_actions(), []);
        deal(&mut r, "2c");
        r.act(1, 0, Action::Stand).unwrap();
        assert_eq!(r.undo(), Err(RuleError::NothingToUndo));
        r.act(2, 0, Action::Stand).unwrap();
        deal(&mut r, "Tc");
        assert_eq!(r.deal(cards("2c")[0]), Err(RuleError::NoCardExpected));
        assert_eq!(r.act(2, 0, Action::Stand), Err(RuleError::NotYourTurn));
    }

    #[test]
    fn undo_takes_back_only_the_last_card() {
        let mut r = round(Rules::default(), &[(1, 10), (2, 10)]);
        let mut before = Vec::new();
        for card in cards("Tc Kc 7d 5c Ad") {
            before.push(r.clone());
            r.deal(card).unwrap();
        }
        assert_eq!(view(&r, 2, 0).status, HandStatus::Blackjack);
        assert_eq!(r.undo(), Ok((seat(2, 0), cards("Ad")[0])));
        assert_eq!(&r, before.last().unwrap());
        r.deal(cards("4d")[0]).unwrap();
        r.act(1, 0, Action::Hit).unwrap();
        let after_hit = r.clone();
        r.deal(cards("Kh")[0]).unwrap();
        assert_eq!(view(&r, 1, 0).status, HandStatus::Busted);
        assert_eq!(r.undo(), Ok((seat(1, 0), cards("Kh")[0])));
        assert_eq!(r, after_hit);
        assert_eq!(r.next_card_target(), Some(seat(1, 0)));
        assert_eq!(r.undo(), Err(RuleError::NothingToUndo));
        r.deal(cards("2h")[0]).unwrap();
        r.act(1, 0, Action::Stand).unwrap();
        r.act(2, 0, Action::Stand).unwrap();
        let before_dealer = r.clone();
        r.deal(cards("Th")[0]).unwrap();
        assert!(r.is_finished());
        r.undo().unwrap();
        assert_eq!(r, before_dealer);
        r.deal_to(Target::Dealer, cards("Th")[0]).unwrap();
        assert!(r.is_finished());
        assert!(r.clone().undo().is_ok());

        let mut r = round(Rules::default(), &[(1, 10)]);
        assert!(matches!(
            r.deal_to(Target::Dealer, cards("2c")[0]),
            Err(RuleError::WrongPosition { .. })
        ));
        assert_eq!(r.cards(), []);
    }

    #[test]
    fn new_rounds_are_validated() {
        let ok = [(1, Amount(10))];
        assert!(Round::new(Rules::default(), &ok).is_ok());
        assert!(matches!(
            Round::new(Rules::default(), &[]),
            Err(RuleError::IllegalAction(_))
        ));
        for seat in [0, 8, 255] {
            assert!(matches!(
                Round::new(Rules::default(), &[(seat, Amount(10))]),
                Err(RuleError::UnknownSpot(_))
            ));
        }
        assert!(matches!(
            Round::new(Rules::default(), &[(3, Amount(10)), (1, Amount(5)), (3, Amount(10))]),
            Err(RuleError::UnknownSpot(_))
        ));
        for stake in [0, -5] {
            assert_eq!(
                Round::new(Rules::default(), &[(1, Amount(stake))]),
                Err(RuleError::BadAmount)
            );
        }
        assert!(matches!(
            Round::new(Rules::default(), &[(1, Amount(i64::MAX / 8))]),
            Err(RuleError::BetLimit(_))
        ));
        for max_hands in [0, 5, 255] {
            assert!(Round::new(
                Rules {
                    max_hands,
                    ..Rules::default()
                },
                &ok
            )
            .is_err());
        }
    }

    #[test]
    fn max_return_counts_every_split_doubled() {
        assert_eq!(max_return(Amount(10)), Some(Amount(160)));
        assert_eq!(Rules::default().max_return(Amount(10)), Some(Amount(160)));
        assert_eq!(
            Rules {
                double_after_split: false,
                ..Rules::default()
            }
            .max_return(Amount(10)),
            Some(Amount(80))
        );
        assert_eq!(
            Rules {
                max_hands: 1,
                ..Rules::default()
            }
            .max_return(Amount(10)),
            Some(Amount(40))
        );
        assert_eq!(
            Rules {
                max_hands: 1,
                double_after_split: false,
                ..Rules::default()
            }
            .max_return(Amount(10)),
            Some(Amount(40))
        );
        assert_eq!(max_return(Amount(i64::MAX / 4)), None);
    }

    #[test]
    fn actions_round_trip_through_their_wire_names() {
        for action in Action::ALL {
            assert_eq!(action.to_string().parse::<Action>(), Ok(action));
        }
        assert_eq!(" Hit ".parse::<Action>(), Ok(Action::Hit));
        for bad in ["", "surrender", "hitt", "é"] {
            assert!(matches!(bad.parse::<Action>(), Err(RuleError::IllegalAction(_))));
        }
    }

    #[test]
    fn wire_shapes() {
        let odds = serde_json::to_value(dealer_odds(Rank::Six, &Deck::Infinite, false)).unwrap();
        let mut keys: Vec<&str> = odds.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["17", "18", "19", "20", "21", "blackjack", "bust"]);
        assert_eq!(
            serde_json::to_string(&seat(3, 1)).unwrap(),
            r#"{"kind":"seat","seat":3,"hand":1}"#
        );
        assert_eq!(serde_json::to_string(&Target::Dealer).unwrap(), r#"{"kind":"dealer"}"#);
        assert_eq!(serde_json::to_string(&Action::Double).unwrap(), r#""double""#);
    }

    // ---- dealer odds ----

    #[test]
    fn six_up_bust_matches_the_published_infinite_deck_figure() {
        let s17 = dealer_odds(Rank::Six, &Deck::Infinite, false);
        assert!((s17.bust - 0.4232).abs() < 5e-4, "{s17:?}");
        assert_eq!(s17.blackjack, 0.0);
        let h17 = dealer_odds(Rank::Six, &Deck::Infinite, true);
        assert!(h17.bust > s17.bust + 0.01, "{h17:?}");
        assert!(h17.p17 < s17.p17);
    }

    #[test]
    fn distributions_sum_to_one_for_every_upcard() {
        for hits in [false, true] {
            for rank in Rank::ALL {
                for deck in [Deck::Infinite, Deck::Finite(Composition::decks(1).unwrap())] {
                    let odds = dealer_odds(rank, &deck, hits);
                    assert!((odds.total() - 1.0).abs() < 1e-12, "{rank:?} {odds:?}");
                    assert!(odds.as_array().iter().all(|p| (0.0..=1.0).contains(p)));
                }
            }
        }
        let ace = dealer_odds(Rank::Ace, &Deck::Infinite, false);
        assert!((ace.blackjack - 4.0 / 13.0).abs() < 1e-12);
        let king = dealer_odds(Rank::King, &Deck::Infinite, false);
        assert!((king.blackjack - 1.0 / 13.0).abs() < 1e-12);
        // One deck, ten up: 4 aces among the 51 cards left.
        let ten = dealer_odds(
            Rank::Ten,
            &Deck::Finite(without(Composition::decks(1).unwrap(), &[Rank::Ten])),
            false,
        );
        assert!((ten.blackjack - 4.0 / 51.0).abs() < 1e-12);
    }

    fn without(mut composition: Composition, ranks: &[Rank]) -> Composition {
        for &rank in ranks {
            composition.remove(rank).unwrap();
        }
        composition
    }

    #[test]
    fn eight_decks_are_close_to_an_infinite_deck() {
        for hits in [false, true] {
            for rank in Rank::ALL {
                let shoe = without(Composition::decks(8).unwrap(), &[rank]);
                let finite = dealer_odds(rank, &Deck::Finite(shoe), hits).as_array();
                let infinite = dealer_odds(rank, &Deck::Infinite, hits).as_array();
                for (f, i) in finite.iter().zip(infinite) {
                    assert!((f - i).abs() < 0.005, "{rank:?}: {finite:?} vs {infinite:?}");
                }
            }
        }
    }

    /// Deals every ordering of the physical cards of `shoe` to a dealer holding `upcard` and
    /// counts the results of the orderings that finish.
    fn brute_force(upcard: Rank, shoe: &Composition, hits: bool) -> DealerOdds {
        let mut deck = Vec::new();
        for rank in Rank::ALL {
            deck.extend(vec![rank; usize::from(shoe.count(rank))]);
        }
        let mut tally = [0.0; OUTCOMES];
        let mut used = vec![false; deck.len()];
        fn walk(
            hand: &mut Vec<Card>,
            deck: &[Rank],
            used: &mut [bool],
            hits: bool,
            weight: f64,
            tally: &mut [f64; OUTCOMES],
        ) {
            let (total, soft) = hand_total(hand);
            if hand.len() >= 2 && (total > 21 || dealer_stands(total, soft, hits)) {
                tally[outcome_index(total, is_natural(hand))] += weight;
                return;
            }
            let left = used.iter().filter(|u| !**u).count();
            for index in 0..deck.len() {
                if !used[index] {
                    used[index] = true;
                    hand.push(Card::new(deck[index], Suit::Clubs));
                    walk(hand, deck, used, hits, weight / left as f64, tally);
                    hand.pop();
                    used[index] = false;
                }
            }
        }
        walk(
            &mut vec![Card::new(upcard, Suit::Spades)],
            &deck,
            &mut used,
            hits,
            1.0,
            &mut tally,
        );
        let sum: f64 = tally.iter().sum();
        DealerOdds::from_array(if sum > 0.0 { tally.map(|p| p / sum) } else { tally })
    }

    fn assert_close(a: DealerOdds, b: DealerOdds) {
        for (x, y) in a.as_array().iter().zip(b.as_array()) {
            assert!((x - y).abs() < 1e-12, "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn finite_deck_equals_brute_force_on_tiny_shoes() {
        let mut counts = [0u16; 13];
        counts[Rank::Ace.index()] = 1;
        counts[Rank::Two.index()] = 2;
        counts[Rank::Five.index()] = 1;
        counts[Rank::Six.index()] = 1;
        counts[Rank::King.index()] = 2;
        counts[Rank::Queen.index()] = 1;
        let shoe = Composition::from_counts(counts);
        for hits in [false, true] {
            for upcard in [Rank::Ace, Rank::Two, Rank::Six, Rank::Ten] {
                let exact = dealer_odds(upcard, &Deck::Finite(shoe), hits);
                assert_close(exact, brute_force(upcard, &shoe, hits));
                assert!((exact.total() - 1.0).abs() < 1e-12);
            }
        }
        // Too small to finish from a 2: some orderings run out and are left out.
        let mut counts = [0u16; 13];
        counts[Rank::Two.index()] = 2;
        counts[Rank::Three.index()] = 1;
        counts[Rank::Ten.index()] = 1;
        let shoe = Composition::from_counts(counts);
        let exact = dealer_odds(Rank::Two, &Deck::Finite(shoe), false);
        assert_close(exact, brute_force(Rank::Two, &shoe, false));
        assert!((exact.total() - 1.0).abs() < 1e-12);
        // Nothing can finish: all zeros, no panic.
        let empty = dealer_odds(Rank::Two, &Deck::Finite(Composition::from_counts([0; 13])), false);
        assert_eq!(empty, DealerOdds::default());
    }

    #[test]
    fn live_odds_follow_the_dealer_cards() {
        let mut r = round(Rules::default(), &[(1, 10)]);
        let mut shoe = Composition::decks(8).unwrap();
        assert_eq!(dealer_odds_for_round(&r, &shoe), None);
        for card in cards("Tc 6d 9c") {
            r.deal(card).unwrap();
            shoe.remove(card.rank).unwrap();
        }
        let live = dealer_odds_for_round(&r, &shoe).unwrap();
        assert_close(live, dealer_odds(Rank::Six, &Deck::Finite(shoe), false));
        r.act(1, 0, Action::Stand).unwrap();
        r.deal(cards("5h")[0]).unwrap();
        shoe.remove(Rank::Five).unwrap();
        let live = dealer_odds_for_round(&r, &shoe).unwrap();
        assert_eq!(live.blackjack, 0.0);
        assert!((live.total() - 1.0).abs() < 1e-12);
        assert!(live.p21 > 0.1, "11 makes 21 with any ten: {live:?}");
        r.deal(cards("8h")[0]).unwrap();
        shoe.remove(Rank::Eight).unwrap();
        assert!(r.is_finished());
        assert_eq!(
            dealer_odds_for_round(&r, &shoe),
            Some(DealerOdds {
                p19: 1.0,
                ..DealerOdds::default()
            })
        );
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use crate::domain::cards::Suit;
    use proptest::prelude::*;

    fn arb_rules() -> impl Strategy<Value = Rules> {
        (any::<bool>(), 1..=HANDS_PER_SEAT_LIMIT, any::<bool>(), any::<bool>()).prop_map(
            |(dealer_hits_soft_17, max_hands, double_after_split, insurance)| Rules {
                dealer_hits_soft_17,
                max_hands,
                double_after_split,
                insurance,
            },
        )
    }

    fn arb_seats() -> impl Strategy<Value = Vec<(u8, Amount)>> {
        proptest::collection::btree_map(SEAT_MIN..=SEAT_MAX, 1i64..=1_000, 1..=7)
            .prop_map(|seats| seats.into_iter().map(|(seat, stake)| (seat, Amount(stake))).collect())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Random tables, cards (biased towards pairs, so splits happen) and legal decisions,
        /// with the odd undo: every round finishes, settles, books exactly what was debited,
        /// pays no losing hand, and stays within max_return.
        #[test]
        fn random_rounds_finish_and_settle_within_bounds(
            rules in arb_rules(),
            seats in arb_seats(),
            choices in proptest::collection::vec(any::<u32>(), 400),
        ) {
            let mut round = Round::new(rules, &seats).unwrap();
            let mut debited: Vec<(u8, Amount)> = seats.clone();
            let mut choice = choices.into_iter().cycle();
            let mut last_rank = Rank::Ace;
            let mut steps = 0;
            while !round.is_finished() {
                steps += 1;
                prop_assert!(steps < 1_000, "the round never finished");
                prop_assert_eq!(round.settle(), None);
                let c = choice.next().unwrap_or(0);
                if round.next_card_target().is_some() {
                    prop_assert_eq!(round.awaiting_decision(), None);
                    let rank = if c % 3 == 0 { last_rank } else { Rank::ALL[(c / 3 % 13) as usize] };
                    let card = Card::new(rank, Suit::ALL[(c / 64 % 4) as usize]);
                    if c % 11 == 0 {
                        let before = round.clone();
                        let target = round.deal(card).unwrap();
                        prop_assert_eq!(round.undo(), Ok((target, card)));
                        prop_assert_eq!(&round, &before);
                    }
                    round.deal(card).unwrap();
                    last_rank = rank;
                } else {
                    let (seat, hand) = round.awaiting_decision().expect("neither a card nor a decision awaited");
                    let legal = round.legal_actions();
                    prop_assert!(legal.contains(&Action::Hit) && legal.contains(&Action::Stand));
                    // Something not legal is refused without effect.
                    if let Some(&illegal) = Action::ALL.iter().find(|a| !legal.contains(a)) {
                        let before = round.clone();
                        prop_assert!(round.act(seat, hand, illegal).is_err());
                        prop_assert_eq!(&round, &before);
                    }
                    prop_assert_eq!(round.act(seat.wrapping_add(1), hand, Action::Stand), Err(RuleError::NotYourTurn));
                    // Lean towards splits and insurance, which uniform choices rarely reach.
                    let action = if legal.contains(&Action::Split) && c % 4 != 3 {
                        Action::Split
                    } else if legal.contains(&Action::Insurance) && c % 2 == 0 {
                        Action::Insurance
                    } else {
                        legal[(c as usize >> 2) % legal.len()]
                    };
                    let quoted = round.extra_stake(seat, hand, action).unwrap();
                    let effect = round.act(seat, hand, action).unwrap();
                    match effect {
                        ActionEffect::None => prop_assert_eq!(quoted, Amount::ZERO),
                        ActionEffect::ExtraStake(extra) => {
                            prop_assert_eq!(quoted, extra);
                            prop_assert!(extra.is_positive());
                            let entry = debited.iter_mut().find(|(s, _)| *s == seat).unwrap();
                            entry.1 = entry.1.checked_add(extra).unwrap();
                        }
                    }
                    prop_assert_eq!(round.undo().is_err(), true);
                }
                for hand in round.hands() {
                    prop_assert_eq!(hand.status == HandStatus::Busted, hand.total > 21);
                    if hand.status == HandStatus::Playing && hand.cards.len() >= 2 {
                        prop_assert!(hand.total < 21);
                    }
                }
            }
            prop_assert!(round.next_card_target().is_none() && round.awaiting_decision().is_none());

            let hands = round.hands();
            let dealer = round.dealer_cards();
            let (dealer_total, dealer_soft) = hand_total(dealer);
            let dealer_natural = is_natural(dealer);
            let nothing_to_beat = hands.iter().all(|h| matches!(h.status, HandStatus::Busted | HandStatus::Blackjack));
            if nothing_to_beat {
                prop_assert_eq!(dealer.len(), 2);
            } else {
                prop_assert!(dealer_total > 21 || dealer_stands(dealer_total, dealer_soft, rules.dealer_hits_soft_17));
                for drawn in 2..dealer.len() {
                    let (total, soft) = hand_total(&dealer[..drawn]);
                    prop_assert!(!dealer_stands(total, soft, rules.dealer_hits_soft_17));
                }
            }

            let results = round.settle().unwrap();
            for &(seat, stake) in &seats {
                let mine: Vec<&HandResult> = results.iter().filter(|r| r.seat == seat).collect();
                let staked = mine.iter().try_fold(Amount::ZERO, |sum, r| sum.checked_add(r.stake)).unwrap();
                let paid = mine.iter().try_fold(Amount::ZERO, |sum, r| sum.checked_add(r.payout)).unwrap();
                prop_assert_eq!(Some(&(seat, staked)), debited.iter().find(|(s, _)| *s == seat));
                prop_assert!(paid <= rules.max_return(stake).unwrap());
                prop_assert!(paid <= max_return(stake).unwrap());
                prop_assert!(mine.iter().filter(|r| r.bet == BetKind::Main).count() <= usize::from(rules.max_hands));
                let main_paid = mine
                    .iter()
                    .filter(|r| r.bet == BetKind::Main)
                    .try_fold(Amount::ZERO, |sum, r| sum.checked_add(r.payout))
                    .unwrap();
                let main_staked = hands.iter().filter(|h| h.seat == seat).map(|h| h.stake.0).sum::<i64>();
                let seat_blackjack = hands.iter().any(|h| h.seat == seat && h.status == HandStatus::Blackjack);
                if dealer_natural {
                    // Original bets only: exactly the original stake is lost, or a blackjack pushes.
                    let expected = if seat_blackjack { stake.0 } else { main_staked - stake.0 };
                    prop_assert_eq!(main_paid.0, expected);
                }
            }
            for result in &results {
                prop_assert!(result.payout >= Amount::ZERO);
                if result.bet == BetKind::Insurance {
                    prop_assert_eq!(result.payout.0, if dealer_natural { 3 * result.stake.0 } else { 0 });
                    continue;
                }
                let hand = hands.iter().find(|h| h.seat == result.seat && h.hand == result.hand).unwrap();
                prop_assert_eq!(result.stake, hand.stake);
                if hand.status == HandStatus::Blackjack {
                    prop_assert!(!hand.split && hand.cards.len() == 2 && hand.total == 21);
                }
                if dealer_natural {
                    continue;
                }
                let lost = hand.status == HandStatus::Busted || (dealer_total <= 21 && hand.total < dealer_total);
                let expected = if hand.status == HandStatus::Blackjack {
                    hand.stake.0 + hand.stake.0 * 3 / 2
                } else if lost {
                    0
                } else if dealer_total > 21 || hand.total > dealer_total {
                    2 * hand.stake.0
                } else {
                    hand.stake.0
                };
                prop_assert_eq!(result.payout.0, expected);
            }
        }

        #[test]
        fn small_finite_shoes_sum_to_one_or_nothing(
            counts in proptest::array::uniform13(0u16..=2),
            upcard in 0usize..13,
            hits in any::<bool>(),
        ) {
            let shoe = Composition::from_counts(counts);
            let odds = dealer_odds(Rank::ALL[upcard], &Deck::Finite(shoe), hits);
            let total = odds.total();
            prop_assert!((total - 1.0).abs() < 1e-9 || total == 0.0, "{:?}", odds);
            prop_assert!(odds.as_array().iter().all(|p| (0.0..=1.0 + 1e-12).contains(p)));
        }
    }
}
