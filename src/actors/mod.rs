//! Thin actor shells: message → domain call → journal → fan-out. Only actors touch the journal.

pub mod lobby;
pub mod messages;
pub mod outbound;
pub mod sessions;
pub mod table;
pub mod wallet;
