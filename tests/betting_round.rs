//! Goal: a full round of every game pays every kind of bet exactly as the rules say, to the
//! minor unit, and money is conserved. Method: real server, real WebSocket players betting
//! on every spot; expected returns are computed here from the pushed cards and results,
//! independently of the server's settlement code.

mod common;

use common::*;
use serde_json::{json, Value};

fn baccarat_return(spot: &str, stake: i64, outcome: &Value) -> i64 {
    let winner = outcome["winner"].as_str().unwrap();
    match (spot, winner) {
        ("player", "player") => 2 * stake,
        ("banker", "banker") => stake + stake * 95 / 100,
        ("player" | "banker", "tie") => stake,
        ("tie", "tie") => 9 * stake,
        ("player_pair", _) if outcome["player_pair"] == json!(true) => 12 * stake,
        ("banker_pair", _) if outcome["banker_pair"] == json!(true) => 12 * stake,
        _ => 0,
    }
}

/// Places `bets`, waits for settlement, and checks the balance against `expected_return`.
async fn play_round(
    server: &Server,
    client: &mut Client,
    table: &str,
    bets: &[(&str, i64)],
    expected_return: impl Fn(&str, i64, &Value, &[Value]) -> i64,
) -> Value {
    let before = server
        .balance(client.welcome["player_id"].as_str().unwrap(), "EUR")
        .await;
    let round = client.next_round(table).await;
    let mut staked = 0;
    for (i, (spot, amount)) in bets.iter().enumerate() {
        let reply = client.bet(table, round, spot, *amount, &format!("r{round}-{i}")).await;
        assert_eq!(reply["type"], "ack", "bet on {spot} refused: {reply}");
        staked += amount;
    }
    let mut cards = Vec::new();
    let result = loop {
        let msg = client.next().await.expect("socket closed");
        if msg["type"] == "card" && msg["round_id"] == json!(round) {
            cards.push(msg);
        } else if msg["type"] == "decision" && msg["round_id"] == json!(round) {
            let req = client.send(json!({"type": "action", "table": table, "round_id": round, "hand": msg["hand"], "action": "stand"})).await;
            let _ = req;
        } else if msg["type"] == "result" && msg["round_id"] == json!(round) {
            break msg;
        }
    };
    let settled = client
        .until("settled", |m| m["type"] == "settled" && m["round_id"] == json!(round))
        .await;
    let returned: i64 = bets
        .iter()
        .map(|(spot, amount)| expected_return(spot, *amount, &result["outcome"], &cards))
        .sum();
    let paid: i64 = settled["payouts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["payout"].as_i64().unwrap())
        .sum();
    assert_eq!(paid, returned, "payouts {settled} for outcome {result}");
    let after = before - staked + returned;
    assert_eq!(settled["balance"]["amount"].as_i64().unwrap(), after, "{settled}");
    assert_eq!(
        server
            .balance(client.welcome["player_id"].as_str().unwrap(), "EUR")
            .await,
        after
    );
    json!({"result": result, "cards": cards})
}

#[tokio::test]
async fn baccarat_pays_every_spot_exactly() {
    let server = Server::start(&[("b", auto_table("bac", "baccarat", ""))], "");
    server.deposit("alice", "EUR", 1_000_000).await;
    let mut alice = server.player("alice", "EUR").await;
    alice.join("bac").await;
    // 1015 on banker: a commission of 50.75 rounds down to 50 in the house's favour.
    let bets = [
        ("player", 1000),
        ("banker", 1015),
        ("tie", 100),
        ("player_pair", 200),
        ("banker_pair", 300),
    ];
    for _ in 0..2 {
        let round = play_round(&server, &mut alice, "bac", &bets, |spot, stake, outcome, _| {
            baccarat_return(spot, stake, outcome)
        })
        .await;
        let cards = round["cards"].as_array().unwrap().len();
        assert!((4..=6).contains(&cards), "baccarat deals 4 to 6 cards, got {cards}");
    }
    server.assert_conserved().await;
}

#[tokio::test]
async fn dragon_tiger_pays_every_spot_exactly() {
    let server = Server::start(&[("d", auto_table("dt", "dragon_tiger", ""))], "");
    server.deposit("bob", "EUR", 1_000_000).await;
    let mut bob = server.player("bob", "EUR").await;
    bob.join("dt").await;
    // 101 on each side: half back on a tie rounds 50.5 down to 50.
    let bets = [("dragon", 101), ("tiger", 300), ("tie", 100)];
    play_round(&server, &mut bob, "dt", &bets, |spot, stake, outcome, cards| {
        assert_eq!(cards.len(), 2);
        let winner = outcome["winner"].as_str().unwrap();
        match (spot, winner) {
            ("dragon", "dragon") | ("tiger", "tiger") => 2 * stake,
            ("dragon" | "tiger", "tie") => stake / 2,
            ("tie", "tie") => 9 * stake,
            _ => 0,
        }
    })
    .await;
    server.assert_conserved().await;
}

const RED: [u8; 18] = [1, 3, 5, 7, 9, 12, 14, 16, 18, 19, 21, 23, 25, 27, 30, 32, 34, 36];

fn roulette_covers(spot: &str, p: u8) -> bool {
    let (kind, arg) = spot.split_once(':').unwrap_or((spot, ""));
    let n: u8 = arg.parse().unwrap_or(0);
    match kind {
        "straight" => p == n,
        "split" => arg.split('-').any(|x| x.parse::<u8>().unwrap() == p),
        "street" => p >= n && p < n + 3 && p != 0,
        "corner" => [n, n + 1, n + 3, n + 4].contains(&p),
        "line" => p >= n && p < n + 6 && p != 0,
        "dozen" => p != 0 && (p - 1) / 12 + 1 == n,
        "column" => p != 0 && (p - 1) % 3 + 1 == n,
        "trio" => {
            if n == 1 {
                [0, 1, 2].contains(&p)
            } else {
                [0, 2, 3].contains(&p)
            }
        }
        "basket" => p <= 3,
        "red" => RED.contains(&p),
        "black" => p != 0 && !RED.contains(&p),
        "odd" => p != 0 && p % 2 == 1,
        "even" => p != 0 && p % 2 == 0,
        "low" => (1..=18).contains(&p),
        "high" => (19..=36).contains(&p),
        _ => panic!("unknown spot {spot}"),
    }
}

fn roulette_pays(spot: &str) -> i64 {
    match spot.split(':').next().unwrap() {
        "straight" => 35,
        "split" => 17,
        "street" | "trio" => 11,
        "corner" | "basket" => 8,
        "line" => 5,
        "dozen" | "column" => 2,
        _ => 1,
    }
}

#[tokio::test]
async fn roulette_pays_every_kind_of_bet_exactly() {
    let server = Server::start(&[("r", auto_table("rou", "roulette", ""))], "");
    server.deposit("carol", "EUR", 10_000_000).await;
    let mut carol = server.player("carol", "EUR").await;
    carol.join("rou").await;
    let spots = [
        "straight:0",
        "straight:17",
        "split:17-20",
        "split:0-1",
        "street:16",
        "trio:1",
        "trio:2",
        "basket",
        "corner:16",
        "line:13",
        "dozen:2",
        "column:2",
        "red",
        "black",
        "odd",
        "even",
        "low",
        "high",
    ];
    let bets: Vec<(&str, i64)> = spots.iter().map(|s| (*s, 100)).collect();
    for _ in 0..2 {
        play_round(&server, &mut carol, "rou", &bets, |spot, stake, outcome, _| {
            let pocket = outcome["pocket"].as_u64().unwrap() as u8;
            if roulette_covers(spot, pocket) {
                stake * (roulette_pays(spot) + 1)
            } else {
                0
            }
        })
        .await;
    }
    server.assert_conserved().await;
}

fn blackjack_total(cards: &[&str]) -> u32 {
    let mut total = 0;
    let mut aces = 0;
    for card in cards {
        total += match &card[..1] {
            "A" => {
                aces += 1;
                11
            }
            "T" | "J" | "Q" | "K" => 10,
            digit => digit.parse::<u32>().unwrap(),
        };
    }
    while total > 21 && aces > 0 {
        total -= 10;
        aces -= 1;
    }
    total
}

#[tokio::test]
async fn blackjack_pays_a_standing_hand_exactly() {
    let server = Server::start(
        &[("j", auto_table("bj", "blackjack", "decks = 6\ncut_cards_from_end = 60"))],
        "",
    );
    server.deposit("dave", "EUR", 1_000_000).await;
    let mut dave = server.player("dave", "EUR").await;
    dave.join("bj").await;
    for _ in 0..3 {
        play_round(&server, &mut dave, "bj", &[("main", 1000)], |_, stake, _, cards| {
            let of = |pos: &str| -> Vec<&str> {
                cards
                    .iter()
                    .filter(|c| c["to"].as_str().unwrap().starts_with(pos))
                    .map(|c| c["card"].as_str().unwrap())
                    .collect()
            };
            let mine = of("seat1.");
            let dealer = of("dealer");
            let (me, house) = (blackjack_total(&mine), blackjack_total(&dealer));
            let my_bj = mine.len() == 2 && me == 21;
            let house_bj = dealer.len() == 2 && house == 21;
            match () {
                _ if my_bj && house_bj => stake,
                _ if my_bj => stake + stake * 3 / 2,
                _ if house_bj => 0,
                _ if me > 21 => 0,
                _ if house > 21 || me > house => 2 * stake,
                _ if me == house => stake,
                _ => 0,
            }
        })
        .await;
    }
    server.assert_conserved().await;
}
