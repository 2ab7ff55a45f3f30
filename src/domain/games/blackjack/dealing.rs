//! The round from its first card to its last decision: where each card goes ([`Target`]),
//! the two-pass deal, the decisions each hand may take and what they cost, the dealer's
//! drawing, and undoing a dealt card by replaying the round's log.
//!
//! It owns the order of play only: what a finished round pays is `settlement.rs`, the live
//! odds are `odds.rs`. It must not debit or credit anything: the caller debits the extra
//! stake [`Round::extra_stake`] quotes before [`Round::act`].

use std::fmt;

use crate::domain::cards::{Card, Rank};
use crate::domain::error::RuleError;
use crate::domain::money::Amount;

use super::hands::{dealer_stands, is_natural};
use super::{
    hand_total, Action, ActionEffect, Event, Hand, HandStatus, HandView, Phase, Round, Rules, Seat, SEAT_MAX, SEAT_MIN,
};

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
