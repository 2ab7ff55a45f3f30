//! The WebSocket protocol as types. What the server sends: a table's events
//! ([`event::TableEvent`], the same frame for every subscriber, encoded once) and the
//! private messages to one connection ([`message::ServerMsg`]). What it accepts: the
//! player's and the dealer console's messages ([`inbound`], parsed strictly).
//!
//! Actors build frames with this module and transport parses and writes them; it knows
//! neither (no actix, no sockets, no journal). No frame is assembled anywhere else.
//! `docs/protocol.md` explains the protocol to people; `docs/asyncapi.json` is generated
//! from these types ([`asyncapi`]).

pub mod asyncapi;
pub mod event;
pub mod inbound;
pub mod message;

/// A command's failure as the client sees it: a stable code and words for people.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct CommandError {
    /// Stable, snake_case: what a client switches on.
    pub code: &'static str,
    /// For people; its wording may change.
    pub message: String,
}

impl CommandError {
    pub fn new(code: &'static str, message: impl Into<String>) -> CommandError {
        CommandError {
            code,
            message: message.into(),
        }
    }
}

impl From<crate::domain::error::RuleError> for CommandError {
    fn from(error: crate::domain::error::RuleError) -> Self {
        CommandError::new(error.code(), error.to_string())
    }
}
