//! The bets a baccarat table takes ([`Spot`], with their wire names) and what each returns
//! after a coup ([`payout`]), or at most ([`max_return`]), in integer minor units with the
//! banker's commission rounded down.
//!
//! It owns the payout arithmetic only; it must not move money nor judge a coup: the
//! [`Outcome`] comes from `coup.rs`.

use std::fmt;
use std::str::FromStr;

use crate::domain::error::RuleError;
use crate::domain::money::Amount;

use super::{echo, Outcome, Winner};

/// The bets a baccarat table takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Spot {
    Player,
    Banker,
    Tie,
    PlayerPair,
    BankerPair,
}

impl Spot {
    pub const ALL: [Spot; 5] = [
        Spot::Player,
        Spot::Banker,
        Spot::Tie,
        Spot::PlayerPair,
        Spot::BankerPair,
    ];

    /// The wire name (`player`, `banker`, `tie`, `player_pair`, `banker_pair`).
    pub fn as_str(self) -> &'static str {
        match self {
            Spot::Player => "player",
            Spot::Banker => "banker",
            Spot::Tie => "tie",
            Spot::PlayerPair => "player_pair",
            Spot::BankerPair => "banker_pair",
        }
    }
}

impl fmt::Display for Spot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Spot {
    type Err = RuleError;

    /// Exact, case-sensitive wire names only: a spot is a contract, not free text.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Spot::ALL
            .into_iter()
            .find(|spot| spot.as_str() == s)
            .ok_or_else(|| RuleError::UnknownSpot(echo(s)))
    }
}

impl serde::Serialize for Spot {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Spot {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// What a bet of `stake` on `spot` returns after `outcome`, stake included (0 on a loss).
///
/// Player pays 1:1, banker 0.95:1, tie 8:1, each pair 11:1; player and banker bets push
/// (the stake comes back) on a tie. The banker's 5 % commission is taken on the win and the
/// win is rounded DOWN to a whole minor unit, so any fraction goes to the house: a
/// banker win on a stake of 15 returns 15 + floor(14.25) = 29.
///
/// Returns `None` when the amount would overflow, and for a negative stake (bet
/// validation rejects those long before settlement; settling one is a bug, not a loss).
pub fn payout(spot: Spot, stake: Amount, outcome: &Outcome) -> Option<Amount> {
    if stake.minor() < 0 {
        return None;
    }
    let won = match spot {
        Spot::Player => match outcome.winner {
            Winner::Player => return stake.checked_mul(2),
            Winner::Tie => return Some(stake),
            Winner::Banker => false,
        },
        Spot::Banker => match outcome.winner {
            Winner::Banker => return banker_win(stake),
            Winner::Tie => return Some(stake),
            Winner::Player => false,
        },
        Spot::Tie => outcome.winner == Winner::Tie,
        Spot::PlayerPair => outcome.player_pair,
        Spot::BankerPair => outcome.banker_pair,
    };
    if won {
        max_return(spot, stake)
    } else {
        Some(Amount::ZERO)
    }
}

fn banker_win(stake: Amount) -> Option<Amount> {
    stake.checked_add(stake.mul_ratio_floor(95, 100)?)
}

/// The most a bet of `stake` on `spot` can return, stake included: what exposure and
/// table-limit checks reserve. `None` on overflow or a negative stake.
pub fn max_return(spot: Spot, stake: Amount) -> Option<Amount> {
    if stake.minor() < 0 {
        return None;
    }
    match spot {
        Spot::Player => stake.checked_mul(2),
        Spot::Banker => banker_win(stake),
        Spot::Tie => stake.checked_mul(9),
        Spot::PlayerPair | Spot::BankerPair => stake.checked_mul(12),
    }
}
