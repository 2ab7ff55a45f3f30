//! The transaction-id scheme: the id of every money movement, derived from what the
//! movement is for, so that doing it again (a retry, a recovery after a crash) finds the
//! same id and moves nothing twice. The table, recovery and the audit all derive ids here.

use crate::domain::ids::RoundId;
use crate::domain::money::Currency;

/// A bet's stake.
pub fn stake(round: RoundId, bet_id: &str) -> String {
    format!("stake/{round}/{bet_id}")
}

/// A bet's `n`th extra stake (a blackjack double, split or insurance), counted from 1.
pub fn extra_stake(round: RoundId, bet_id: &str, n: u32) -> String {
    format!("{}/x{n}", stake(round, bet_id))
}

/// A player's winnings of a round in one currency (records of version 2 on).
pub fn payout(round: RoundId, currency: Currency) -> String {
    format!("payout/{round}/{currency}")
}

/// One winning bet's payout, as rounds recorded at version 1 paid it.
pub fn payout_of_bet(round: RoundId, bet_id: &str) -> String {
    format!("payout/{round}/{bet_id}")
}

/// The refund of a stake (of a void round, or of a double whose action never applied).
pub fn refund(stake_txid: &str) -> String {
    format!("refund/{stake_txid}")
}

/// An operator's deposit, by the operator's own transaction id.
pub fn deposit(tx_id: &str) -> String {
    format!("deposit/{tx_id}")
}

/// The sandbox's one welcome credit per player and currency.
pub fn sandbox_welcome(currency: Currency) -> String {
    deposit(&format!("sandbox-welcome/{currency}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Goal: the ids are the documented ones (the README lists them; journals hold them).
    #[test]
    fn ids_keep_their_documented_shape() {
        let eur: Currency = "EUR".parse().unwrap();
        assert_eq!(stake(RoundId(7), "b1"), "stake/7/b1");
        assert_eq!(extra_stake(RoundId(7), "b1", 2), "stake/7/b1/x2");
        assert_eq!(payout(RoundId(7), eur), "payout/7/EUR");
        assert_eq!(payout_of_bet(RoundId(7), "b1"), "payout/7/b1");
        assert_eq!(refund("stake/7/b1"), "refund/stake/7/b1");
        assert_eq!(sandbox_welcome(eur), "deposit/sandbox-welcome/EUR");
    }
}
