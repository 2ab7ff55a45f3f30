//! `RuleError`: every way a command can break the rules of a game or a round.
//!
//! These go back to players and dealers as a stable snake_case `code`; keep the codes stable.

use crate::domain::cards::CardError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("betting is closed for this round")]
    BettingClosed,
    #[error("that round is not the current round")]
    WrongRound,
    #[error("unknown bet spot {0:?}")]
    UnknownSpot(String),
    #[error("amount must be a positive whole number of minor units")]
    BadAmount,
    #[error("bet outside the table limits: {0}")]
    BetLimit(String),
    #[error("a bet with this bet_id already exists with different content")]
    DuplicateBet,
    #[error("the table does not take that currency")]
    WrongCurrency,
    #[error("no card is expected now")]
    NoCardExpected,
    #[error("the next card goes to {expected}, not {got}")]
    WrongPosition { expected: String, got: String },
    #[error("nothing to undo")]
    NothingToUndo,
    #[error("it is not that hand's turn to act")]
    NotYourTurn,
    #[error("action not allowed now: {0}")]
    IllegalAction(String),
    #[error("the round is not in the phase for that: {0}")]
    WrongPhase(String),
    #[error("the table is paused")]
    Paused,
    #[error("no free seat at the table")]
    TableFull,
    #[error(transparent)]
    Card(#[from] CardError),
}

impl RuleError {
    /// The stable wire code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            RuleError::BettingClosed => "betting_closed",
            RuleError::WrongRound => "wrong_round",
            RuleError::UnknownSpot(_) => "unknown_spot",
            RuleError::BadAmount => "bad_amount",
            RuleError::BetLimit(_) => "bet_limit",
            RuleError::DuplicateBet => "duplicate_bet",
            RuleError::WrongCurrency => "wrong_currency",
            RuleError::NoCardExpected => "no_card_expected",
            RuleError::WrongPosition { .. } => "wrong_position",
            RuleError::NothingToUndo => "nothing_to_undo",
            RuleError::NotYourTurn => "not_your_turn",
            RuleError::IllegalAction(_) => "illegal_action",
            RuleError::WrongPhase(_) => "wrong_phase",
            RuleError::Paused => "table_paused",
            RuleError::TableFull => "table_full",
            RuleError::Card(_) => "bad_card",
        }
    }
}
