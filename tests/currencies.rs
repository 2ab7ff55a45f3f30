//! Goal: money exists only in real ISO 4217 currencies, with each currency's own minor
//! units, and a player session only in a currency some table takes: anything else is
//! refused with a clear message before it can move money or strand a player in a session
//! where no bet is possible. Method: the real server with tables taking EUR, JPY and KWD;
//! launches, sandbox launches and deposits over signed and unsigned REST; a table file with
//! a made-up currency given to the real binary at start.

mod common;

use common::*;
use serde_json::json;

fn tables() -> Vec<(&'static str, String)> {
    let kwd = auto_table("rou", "roulette", "").replace("[limits.EUR]", "[limits.KWD]");
    vec![("b", auto_table("bac", "baccarat", "")), ("r", kwd)]
}

#[tokio::test]
async fn sessions_and_deposits_need_a_real_currency_a_table_takes() {
    let server = Server::start(&tables(), "");

    // Not a currency at all: refused as a bad request that says why.
    for path in ["/v1/sessions", "/v1/sandbox/launch"] {
        let body = json!({"player_id": "ann", "currency": "XYZ"}).to_string();
        let (status, reply) = server.signed("POST", path, &body).await;
        assert_eq!(
            (status, reply["code"].as_str()),
            (400, Some("bad_request")),
            "{path}: {reply}"
        );
        let message = reply["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("XYZ") && message.contains("ISO 4217"),
            "{path}: {reply}"
        );
    }
    let deposit = json!({"player_id": "ann", "currency": "XYZ", "amount": 500}).to_string();
    let (status, reply) = server.signed("POST", "/v1/sandbox/deposit", &deposit).await;
    assert_eq!((status, reply["code"].as_str()), (400, Some("bad_request")), "{reply}");
    let (_, balances) = server.signed("GET", "/v1/players/ann/balance", "").await;
    assert!(
        balances["balances"].get("XYZ").is_none(),
        "XYZ money was created: {balances}"
    );

    // A real currency that no table takes: refused, naming the currencies that are taken.
    for path in ["/v1/sessions", "/v1/sandbox/launch"] {
        let body = json!({"player_id": "ann", "currency": "USD"}).to_string();
        let (status, reply) = server.signed("POST", path, &body).await;
        assert_eq!(
            (status, reply["code"].as_str()),
            (400, Some("unsupported_currency")),
            "{path}: {reply}"
        );
        assert_eq!(
            reply["message"], "no table takes USD; the tables take EUR, JPY, KWD",
            "{path}: {reply}"
        );
    }

    // A currency a table takes: launched, and the sandbox welcome of 1000 major units is
    // counted in the currency's own minor units (KWD has three digits: 1,000.000).
    let body = json!({"player_id": "ann", "currency": "EUR"}).to_string();
    let (status, reply) = server.signed("POST", "/v1/sessions", &body).await;
    assert_eq!(status, 201, "{reply}");
    let body = json!({"player_id": "kim", "currency": "KWD"}).to_string();
    let (status, reply) = server.http("POST", "/v1/sandbox/launch", &[], &body).await;
    assert_eq!(status, 201, "{reply}");
    assert_eq!(server.balance("kim", "KWD").await, 1_000_000);
    server.assert_conserved().await;
}

/// Goal: a server without tables says so instead of listing no currencies.
#[tokio::test]
async fn without_tables_no_session_can_be_launched() {
    let server = Server::start(&[], "");
    let body = json!({"player_id": "ann", "currency": "EUR"}).to_string();
    let (status, reply) = server.signed("POST", "/v1/sessions", &body).await;
    assert_eq!(status, 400, "{reply}");
    assert_eq!(reply["code"], "unsupported_currency");
    assert_eq!(reply["message"], "no table takes EUR; the server has no tables");
}

/// Goal: a table file naming a made-up currency stops the server at start, with a message
/// that names the file and the code, instead of opening a table nobody can be paid at.
#[test]
fn a_table_with_a_made_up_currency_is_refused_at_start() {
    let table = auto_table("bac", "baccarat", "").replace("[limits.JPY]", "[limits.XYZ]");
    let refused = start_refused(&[("bac", table)], "");
    assert!(refused.contains("bac.toml"), "the refusal names the file: {refused}");
    assert!(
        refused.contains("\"XYZ\" is not an ISO 4217 currency code"),
        "and the code: {refused}"
    );
}
