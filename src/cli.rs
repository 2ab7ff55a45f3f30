//! The `odds`, `verify` and `replay` subcommands: JSON on stdout, errors on stderr.

use serde_json::{json, Value};

use crate::domain::cards::{parse_cards, Composition, Rank};
use crate::domain::fair::{self, ServerSeed};
use crate::domain::games::{baccarat, blackjack, dragon_tiger, roulette};

/// `croupier odds baccarat|dragon-tiger --decks N [--seen …]`.
///
/// # Errors
/// Bad deck count or seen cards.
pub fn card_game_odds(game: &str, decks: u32, seen: Option<&str>) -> Result<Value, String> {
    let mut shoe = Composition::decks(decks).map_err(|e| e.to_string())?;
    let seen = parse_cards(seen.unwrap_or("")).map_err(|e| e.to_string())?;
    shoe.remove_all(&seen).map_err(|e| e.to_string())?;
    match game {
        "baccarat" => serde_json::to_value(baccarat::odds(&shoe, &baccarat::Coup::new())),
        _ => serde_json::to_value(dragon_tiger::odds(&shoe, &dragon_tiger::Coup::new())),
    }
    .map_err(|e| e.to_string())
}

/// `croupier odds blackjack --decks infinite|N --upcard R [--h17] [--seen …]`.
///
/// # Errors
/// Bad deck count, upcard or seen cards.
pub fn blackjack_odds(decks: &str, upcard: &str, h17: bool, seen: Option<&str>) -> Result<Value, String> {
    let upcard: Rank = upcard
        .parse()
        .map_err(|e: crate::domain::cards::CardError| e.to_string())?;
    let seen = parse_cards(seen.unwrap_or("")).map_err(|e| e.to_string())?;
    let deck = if decks == "infinite" {
        if !seen.is_empty() {
            return Err("--seen needs a finite --decks".into());
        }
        blackjack::Deck::Infinite
    } else {
        let n: u32 = decks
            .parse()
            .map_err(|_| format!("--decks must be a number or 'infinite', got {decks:?}"))?;
        let mut shoe = Composition::decks(n).map_err(|e| e.to_string())?;
        shoe.remove(upcard).map_err(|e| e.to_string())?;
        shoe.remove_all(&seen).map_err(|e| e.to_string())?;
        blackjack::Deck::Finite(shoe)
    };
    serde_json::to_value(blackjack::dealer_odds(upcard, &deck, h17)).map_err(|e| e.to_string())
}

pub fn roulette_odds() -> Value {
    let rows: Vec<Value> = roulette::odds_table()
        .into_iter()
        .map(|row| {
            json!({
                "kind": row.kind,
                "pockets": row.pockets,
                "win_probability": row.win_probability,
                "pays": row.pays,
                "house_edge": row.house_edge,
            })
        })
        .collect();
    json!({ "bets": rows })
}

/// `croupier verify`: the commit and the first `count` cards of a shoe.
///
/// # Errors
/// A seed that is not 64 hex characters, or a bad deck count.
pub fn verify(server_seed: &str, client_seed: &str, nonce: u64, decks: u32, count: usize) -> Result<Value, String> {
    let seed = ServerSeed::from_hex(server_seed).map_err(|e| e.to_string())?;
    let key = fair::shuffle_key(&seed, client_seed, nonce);
    let cards = fair::shuffled_shoe(decks, &key).map_err(|e| e.to_string())?;
    Ok(json!({
        "commit": fair::commit(&seed),
        "nonce": nonce,
        "decks": decks,
        "cards": cards.iter().take(count).map(ToString::to_string).collect::<Vec<_>>(),
        "roulette_pocket": fair::roulette_pocket(&key),
    }))
}
