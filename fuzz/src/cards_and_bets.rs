//! Target `cards_and_bets`: one arbitrary string through every text parser of the domain
//! that hostile input reaches: `parse_cards`, `Card` and `Rank`, `Spot::parse` for every
//! game, blackjack actions, baccarat and dragon tiger positions, the three text ids,
//! `Currency`, `Amount` as it arrives in JSON; and the input's first 32 bytes as numbers
//! through `Amount`'s checked arithmetic, against 128-bit arithmetic.
//!
//! Contract checked, besides "never panics": refusals carry the documented error; what is
//! accepted round-trips through its canonical text; ids and currency codes are accepted
//! exactly when the documented character set and length say so; money never wraps.

use croupier::domain::cards::{self, CardError, Rank};
use croupier::domain::games::{baccarat, dragon_tiger};
use croupier::domain::ids::{BetId, PlayerId, TableId};
use croupier::domain::money::{Amount, Currency};

use crate::table_side;

pub fn check(data: &[u8]) {
    // Every text this covers arrives as a JSON string or a URL path segment, both UTF-8;
    // lossy decoding still gives the mutator's bytes a string to test rather than none.
    let text = String::from_utf8_lossy(data);
    let text = text.as_ref();

    card_list(text);
    table_side::card(text);
    rank(text);
    for game in table_side::GAMES {
        table_side::spot(game, text);
    }
    table_side::action(text);
    positions(text);
    ids(text);
    currency(text);
    amount_json(text);
    arithmetic(data);
}

/// `parse_cards`: one card per non-empty token between commas and white space, in order;
/// a refusal names the first token that is not a card.
fn card_list(text: &str) {
    let tokens: Vec<&str> = text
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|token| !token.is_empty())
        .collect();
    match cards::parse_cards(text) {
        Ok(parsed) => {
            assert_eq!(parsed.len(), tokens.len(), "{text:?}");
            let printed: Vec<String> = parsed.iter().map(ToString::to_string).collect();
            assert_eq!(cards::parse_cards(&printed.join(",")).as_ref(), Ok(&parsed));
        }
        Err(CardError::BadCard(named)) => {
            let first_bad = tokens
                .iter()
                .find(|token| token.parse::<cards::Card>().is_err())
                .expect("a refusal names a token");
            assert_eq!(&named, first_bad.trim(), "{text:?}");
        }
        Err(other) => panic!("{text:?}: parse_cards answered {other:?}"),
    }
}

/// `Rank`: `A 2 … 9 T J Q K` (either case) or `10`, after trimming.
fn rank(text: &str) {
    match text.parse::<Rank>() {
        Ok(rank) => {
            let trimmed = text.trim();
            assert!(
                trimmed == "10" || trimmed.eq_ignore_ascii_case(&rank.to_string()),
                "{text:?}"
            );
        }
        Err(error) => assert!(matches!(error, CardError::BadRank(_)), "{text:?}: {error:?}"),
    }
}

/// Dealer-named positions: exact names only; an accepted one prints as itself.
fn positions(text: &str) {
    if let Ok(position) = text.parse::<baccarat::Position>() {
        assert_eq!(position.to_string(), text);
    }
    if let Ok(position) = text.parse::<dragon_tiger::Position>() {
        assert_eq!(position.to_string(), text);
    }
}

/// `A-Z a-z 0-9 _ - . :`, 1 to `max` bytes (docs/protocol.md, "Ids").
fn valid_id(text: &str, max: usize) -> bool {
    (1..=max).contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b':'))
}

macro_rules! check_id {
    ($id:ty, $max:expr, $text:expr) => {{
        let text: &str = $text;
        let parsed = <$id>::parse(text);
        assert_eq!(parsed.is_ok(), valid_id(text, $max), "{}: {text:?}", stringify!($id));
        // The wire form: a JSON string, with escapes decoded before the check.
        let json = serde_json::to_string(text).expect("a string serialises");
        let from_json = serde_json::from_str::<$id>(&json);
        assert_eq!(from_json.is_ok(), parsed.is_ok(), "{}: {json}", stringify!($id));
        if let Ok(id) = parsed {
            assert_eq!(id.as_str(), text);
            assert_eq!(from_json.ok(), Some(id));
        }
    }};
}

fn ids(text: &str) {
    check_id!(PlayerId, 64, text);
    check_id!(TableId, 32, text);
    check_id!(BetId, 64, text);
}

/// ISO 4217 alphabetic: only three upper-case ASCII letters can name a currency (which of
/// them do is the ISO table's business, checked by croupier's own tests), with 0 to 4
/// minor-unit digits; JSON agrees with the text form. The refusal echoes at most 16
/// characters of the input.
fn currency(text: &str) {
    let well_formed = text.len() == 3 && text.bytes().all(|b| b.is_ascii_uppercase());
    let parsed = text.parse::<Currency>();
    let json = serde_json::to_string(text).expect("a string serialises");
    assert_eq!(serde_json::from_str::<Currency>(&json).ok(), parsed.clone().ok(), "{json}");
    match parsed {
        Ok(currency) => {
            assert!(well_formed, "{text:?}");
            assert_eq!(currency.to_string(), text);
            assert!(currency.minor_digits() <= 4, "{text:?}");
        }
        Err(error) => {
            assert!(error.0.chars().count() <= 16, "echoed {:?}", error.0);
        }
    }
}

/// `Amount` from JSON (its serde form is a bare integer): accepted exactly when the text is
/// a JSON integer within i64, and then it is that integer.
fn amount_json(text: &str) {
    let parsed = serde_json::from_str::<Amount>(text);
    let expected = serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|value| value.as_i64());
    assert_eq!(parsed.ok().map(Amount::minor), expected, "{text:?}");
}

/// Checked money arithmetic against i128: `None` exactly when the true result leaves i64.
fn arithmetic(data: &[u8]) {
    let mut words = data
        .chunks_exact(8)
        .map(|chunk| i64::from_le_bytes(chunk.try_into().expect("8 bytes")));
    let (Some(a), Some(b), Some(numerator), Some(denominator)) =
        (words.next(), words.next(), words.next(), words.next())
    else {
        return;
    };
    let fits = |wide: i128| i64::try_from(wide).ok().map(Amount);
    let (x, y) = (Amount(a), Amount(b));
    assert_eq!(x.checked_add(y), fits(a as i128 + b as i128), "{a} + {b}");
    assert_eq!(x.checked_sub(y), fits(a as i128 - b as i128), "{a} - {b}");
    assert_eq!(x.checked_mul(b), fits(a as i128 * b as i128), "{a} * {b}");
    let ratio = x.mul_ratio_floor(numerator, denominator);
    if denominator <= 0 {
        assert_eq!(ratio, None, "{a} * {numerator} / {denominator}");
    } else {
        let product = a as i128 * numerator as i128;
        let floor = (product - product.rem_euclid(denominator as i128)) / denominator as i128;
        assert_eq!(ratio, fits(floor), "{a} * {numerator} / {denominator}");
    }
}
