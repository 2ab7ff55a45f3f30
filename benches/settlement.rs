//! Criterion benchmarks of `Round::settle` on a finished round of 1,000 bets: baccarat over
//! its five spots and roulette over every spot on the layout. Settlement runs on the table
//! actor between the last card and the payouts, so in a bet storm its cost is added to the
//! wait of every player at the table. Measures only; asserts nothing about the amounts.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use croupier::config::Limits;
use croupier::domain::cards::parse_cards;
use croupier::domain::games::{baccarat, blackjack, roulette};
use croupier::domain::ids::{BetId, PlayerId, RoundId};
use croupier::domain::money::{Amount, Currency};
use croupier::domain::round::{Bet, BetRules, Command, Game, Phase, Round, Spot};

const BETS: usize = 1_000;

/// Bets per player: with the default per-round limit of 50 this spreads the round over
/// 200 players, as a busy table would, instead of one player holding every bet.
const BETS_PER_PLAYER: usize = 5;

const ROUND: RoundId = RoundId(1);
const CLOSES_AT_US: i64 = 1_000_000;

fn bet_rules() -> BetRules {
    BetRules {
        stake_min: Amount(100),
        stake_max: Amount(1_000_000),
        bets_per_round_max: Limits::default().bets_per_round_max,
        seats_max: 7,
    }
}

/// A round whose betting has closed with `BETS` confirmed bets on `spot_names`, in turn.
fn closed_round(game: Game, spot_names: &[String]) -> Round {
    let mut round = Round::open(ROUND, game, CLOSES_AT_US, blackjack::Rules::default());
    let currency: Currency = "EUR".parse().expect("EUR is a currency");
    let rules = bet_rules();
    for n in 0..BETS {
        let player = PlayerId::parse(&format!("player-{}", n / BETS_PER_PLAYER)).expect("valid player id");
        let bet_id = BetId::parse(&format!("bet-{n}")).expect("valid bet id");
        let bet = Bet {
            bet_id: bet_id.clone(),
            player: player.clone(),
            currency,
            spot: Spot::parse(game, &spot_names[n % spot_names.len()]).expect("valid spot"),
            // Varied stakes, so the banker commission rounds differently from bet to bet.
            amount: Amount(100 + 37 * (n as i64 % 50)),
            seat: None,
            confirmed: false,
        };
        round
            .apply(
                Command::PlaceBet {
                    round_id: ROUND,
                    bet,
                    rules,
                },
                0,
            )
            .expect("the bet is within the rules");
        round
            .apply(Command::ConfirmBet { player, bet_id }, 0)
            .expect("a pending bet can be confirmed");
    }
    round.apply(Command::CloseBetting, 0).expect("betting was open");
    round
}

fn baccarat_round() -> Round {
    let spots: Vec<String> = baccarat::Spot::ALL.iter().map(ToString::to_string).collect();
    let mut round = closed_round(Game::Baccarat, &spots);
    // Player 2-2 (a pair) draws a 3 for 7; banker 4 draws on it and makes 8. A banker win
    // with a player pair takes the commission path and a pair payout, not only flat losses.
    for card in parse_cards("2h 4c 2d Ks 3s 4d").expect("valid cards") {
        round
            .apply(Command::DealCard { card, position: None }, 0)
            .expect("the coup takes this card");
    }
    assert_eq!(round.phase(), Phase::Complete, "the six cards complete the coup");
    round
}

fn roulette_round() -> Round {
    // Every spot on the layout, so every kind of coverage check runs, not only straights.
    let spots: Vec<String> = roulette::Spot::all().iter().map(ToString::to_string).collect();
    let mut round = closed_round(Game::Roulette, &spots);
    round
        .apply(Command::LandBall { pocket: 17 }, 0)
        .expect("17 is a pocket");
    round
}

fn settle(c: &mut Criterion) {
    let baccarat = baccarat_round();
    let roulette = roulette_round();
    // A settlement that failed or skipped bets would make the figures meaningless.
    for round in [&baccarat, &roulette] {
        assert_eq!(round.settle().expect("the round is complete").len(), BETS);
    }
    let mut group = c.benchmark_group("settle");
    group.throughput(Throughput::Elements(BETS as u64));
    // `settle` takes `&self`, so one round serves every iteration without a clone.
    group.bench_function("baccarat_1000_bets", |b| b.iter(|| black_box(&baccarat).settle()));
    group.bench_function("roulette_1000_bets", |b| b.iter(|| black_box(&roulette).settle()));
    group.finish();
}

criterion_group!(settlement, settle);
criterion_main!(settlement);
