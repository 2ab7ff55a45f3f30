//! A table's blackjack rules ([`Rules`]: soft 17, splits, doubles after a split,
//! insurance), their validation, and the most a main bet can return under them
//! ([`Rules::max_return`], [`max_return`]), which exposure and table limits reserve.
//!
//! It owns the table options only: how a round plays them out is `dealing.rs`, what they
//! pay is `settlement.rs`. It must not know tables, wallets or the journal.

use crate::domain::error::RuleError;
use crate::domain::money::Amount;

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
