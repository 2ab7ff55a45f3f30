//! Pure game and money logic: no actix, tokio, sled, serde_json, clocks or RNGs it is not handed.
//!
//! The server, the CLI and the loadtest all share these modules.

pub mod cards;
pub mod error;
pub mod fair;
pub mod games;
pub mod ids;
pub mod money;
pub mod round;
pub mod shoe;
