//! Identifier newtypes and their validation. Ids that come from outside are checked here once.

use std::fmt;

macro_rules! text_id {
    ($name:ident, $what:literal, $max:expr) => {
        #[doc = concat!("A ", $what, ": 1 to ", stringify!($max), " characters of `A-Z a-z 0-9 _ - . :`.")]
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, schemars::JsonSchema)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// # Errors
            /// An [`IdError`] naming the kind of id when the text is empty, too long or has other characters.
            pub fn parse(text: &str) -> Result<$name, IdError> {
                let valid = !text.is_empty()
                    && text.len() <= $max
                    && text
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"_-.:".contains(&b));
                if valid {
                    Ok($name(text.to_owned()))
                } else {
                    Err(IdError($what))
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                $name::parse(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}

text_id!(PlayerId, "player id", 64);
text_id!(TableId, "table id", 32);
text_id!(BetId, "bet id", 64);

/// Rounds are numbered server-wide, so a round id alone finds its record.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(transparent)]
pub struct RoundId(pub u64);

impl fmt::Display for RoundId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {0}")]
pub struct IdError(pub &'static str);
