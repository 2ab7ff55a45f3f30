//! The round against a plain model of bets and money, in the spirit of sled's
//! `prop_tree_matches_btreemap`: random sequences of place, confirm, refuse (drop), stop,
//! close, deal, undo, spin, act, settle, void and restart-from-records, for every game.
//!
//! The model is written from the rules, not from the code: which bet a round must take, what
//! a double or a split costs, and what every bet pays (baccarat, dragon tiger and roulette
//! from their payout tables, blackjack from its hands and the dealer's). Only where the
//! model would have to copy a game engine does it ask the round: where the next card goes
//! (the baccarat tableau, the blackjack deal order) and whether a blackjack decision is
//! legal (the game's own unit tests cover both).
//!
//! After every step: the round's bets are the model's; a refused command and a command
//! with nothing to do leave the round as it was (a clone compared before and after); what
//! the round says is staked is what the model debited (confirmed stakes plus doubles,
//! splits and insurance); nothing is pending once betting closed; and money is conserved
//! (what players hold, what the house made and what is at stake always add up to what
//! players started with). At settlement the payouts are the model's; at a void the refunds
//! are what was debited; a restart rebuilds, from the bets and steps the journal holds, the
//! very round that was running.

use std::collections::BTreeMap;

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

use super::{Bet, BetRules, Command, Event, Game, Outcome, Phase, Placement, Round, Spot};
use crate::domain::cards::Card;
use crate::domain::error::RuleError;
use crate::domain::games::{baccarat, blackjack, dragon_tiger, roulette};
use crate::domain::ids::{BetId, PlayerId, RoundId};
use crate::domain::money::{Amount, Currency};

const PLAYERS: [&str; 4] = ["ann", "bob", "cy", "dee"];
const BET_IDS: [&str; 3] = ["b0", "b1", "b2"];
/// Around the limits and odd enough that the banker's commission and dragon tiger's half
/// stake round.
const AMOUNTS: [i64; 10] = [-5, 0, 99, 100, 101, 333, 777, 2_500, 10_000, 10_001];
const STAKE_MIN: i64 = 100;
const STAKE_MAX: i64 = 10_000;
const BALANCE: i64 = 1_000_000_000;
const BET_WINDOW_US: i64 = 1_000;
const ROULETTE_SPOTS: [&str; 16] = [
    "straight:0",
    "straight:17",
    "split:0-3",
    "street:4",
    "trio:1",
    "basket",
    "corner:5",
    "line:31",
    "dozen:2",
    "column:3",
    "red",
    "black",
    "odd",
    "even",
    "low",
    "high",
];
const RED: [u8; 18] = [1, 3, 5, 7, 9, 12, 14, 16, 18, 19, 21, 23, 25, 27, 30, 32, 34, 36];

fn spot_names(game: Game) -> &'static [&'static str] {
    match game {
        Game::Baccarat => &["player", "banker", "tie", "player_pair", "banker_pair"],
        Game::DragonTiger => &["dragon", "tiger", "tie"],
        Game::Roulette => &ROULETTE_SPOTS,
        Game::Blackjack => &["main"],
    }
}

#[derive(Clone, Debug)]
enum Op {
    Place {
        player: usize,
        bet: usize,
        spot: usize,
        amount: usize,
        other_currency: bool,
        other_round: bool,
    },
    /// The wallet took the stake of the `pick`th pending bet (or of any bet of the pool,
    /// which is usually nothing to do).
    Confirm {
        pick: usize,
        pending: bool,
    },
    /// The wallet refused the stake.
    Refuse {
        pick: usize,
        pending: bool,
    },
    Wait {
        us: i64,
    },
    Stop,
    Close,
    /// `named`: the console names the expected position (true) or another one (false).
    Deal {
        card: u8,
        named: Option<bool>,
    },
    Undo,
    Ball {
        pocket: u8,
    },
    /// `legal`: one of the actions the round offers (else any); `other_hand`: a hand that is
    /// not the one whose turn it is.
    Act {
        action: usize,
        legal: bool,
        other_hand: bool,
    },
    Settle,
    Void,
    Restart,
}

fn place() -> impl Strategy<Value = Op> {
    let odd = || prop::bool::weighted(0.05);
    // Mostly stakes within the limits (AMOUNTS[3..9]).
    let amount = prop_oneof![4 => 3..9usize, 1 => 0..AMOUNTS.len()];
    (0..PLAYERS.len(), 0..BET_IDS.len(), 0..16usize, amount, odd(), odd()).prop_map(
        |(player, bet, spot, amount, other_currency, other_round)| Op::Place {
            player,
            bet,
            spot,
            amount,
            other_currency,
            other_round,
        },
    )
}

fn confirm() -> impl Strategy<Value = Op> {
    (any::<usize>(), prop::bool::weighted(0.9)).prop_map(|(pick, pending)| Op::Confirm { pick, pending })
}

fn refuse() -> impl Strategy<Value = Op> {
    (any::<usize>(), prop::bool::weighted(0.9)).prop_map(|(pick, pending)| Op::Refuse { pick, pending })
}

/// Any card, or an ace, an eight or a king: pairs to split, aces to insure, ties and naturals.
fn deal() -> impl Strategy<Value = Op> {
    let few = (0..4u8, prop::sample::select(vec![0u8, 7, 12])).prop_map(|(suit, rank)| suit * 13 + rank);
    let card = prop_oneof![0..52u8, few];
    let named = prop::option::weighted(0.3, prop::bool::weighted(0.8));
    (card, named).prop_map(|(card, named)| Op::Deal { card, named })
}

fn act() -> impl Strategy<Value = Op> {
    (any::<usize>(), prop::bool::weighted(0.8), prop::bool::weighted(0.05)).prop_map(|(action, legal, other_hand)| {
        Op::Act {
            action,
            legal,
            other_hand,
        }
    })
}

/// Any command at any time: mostly refused, which is the point.
fn any_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        place(),
        confirm(),
        refuse(),
        (0..800i64).prop_map(|us| Op::Wait { us }),
        Just(Op::Stop),
        Just(Op::Close),
        deal(),
        Just(Op::Undo),
        (0..40u8).prop_map(|pocket| Op::Ball { pocket }),
        act(),
        Just(Op::Settle),
        Just(Op::Void),
        Just(Op::Restart),
    ]
}

fn betting_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => place(),
        6 => confirm(),
        1 => refuse(),
        1 => (0..300i64).prop_map(|us| Op::Wait { us }),
        2 => any_op(),
    ]
}

/// What moves a round of `game` on once betting closed, now and then something else.
fn dealing_op(game: Game) -> BoxedStrategy<Op> {
    let ball = (0..=37u8).prop_map(|pocket| Op::Ball { pocket });
    let moves = match game {
        Game::Roulette => ball.boxed(),
        Game::Blackjack => prop_oneof![5 => deal(), 4 => act()].boxed(),
        Game::Baccarat | Game::DragonTiger => deal().boxed(),
    };
    prop_oneof![
        16 => moves,
        1 => Just(Op::Undo),
        1 => Just(Op::Restart),
        2 => any_op(),
    ]
    .boxed()
}

/// Rounds that get somewhere: bets, a close, cards or decisions, then mostly a settlement,
/// with any other command now and then.
fn ops(game: Game) -> impl Strategy<Value = Vec<Op>> {
    let end = prop_oneof![6 => Just(Op::Settle), 1 => Just(Op::Void), 1 => Just(Op::Restart)];
    let round = (
        prop::collection::vec(betting_op(), 2..16),
        prop::collection::vec(dealing_op(game), 0..40),
        end,
    );
    prop::collection::vec(round, 1..5).prop_map(|rounds| {
        let mut ops = Vec::new();
        for (betting, dealing, end) in rounds {
            ops.extend(betting);
            ops.push(Op::Close);
            ops.extend(dealing);
            ops.push(end);
        }
        ops
    })
}

fn rules() -> impl Strategy<Value = (BetRules, blackjack::Rules)> {
    (
        1..=4usize,
        1..=blackjack::SEAT_MAX,
        any::<bool>(),
        1..=4u8,
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(bets_per_round_max, seats_max, dealer_hits_soft_17, max_hands, double_after_split, insurance)| {
                let bet_rules = BetRules {
                    stake_min: Amount(STAKE_MIN),
                    stake_max: Amount(STAKE_MAX),
                    bets_per_round_max,
                    seats_max,
                };
                let blackjack_rules = blackjack::Rules {
                    dealer_hits_soft_17,
                    max_hands,
                    double_after_split,
                    insurance,
                };
                (bet_rules, blackjack_rules)
            },
        )
}

fn eur() -> Currency {
    "EUR".parse().unwrap()
}

/// A bet as the model holds it.
#[derive(Clone, Debug, PartialEq)]
struct ModelBet {
    player: PlayerId,
    bet_id: BetId,
    currency: Currency,
    spot: &'static str,
    amount: i64,
    seat: Option<u8>,
    confirmed: bool,
}

/// What the journal holds after betting closed, in order.
#[derive(Clone, Debug, PartialEq)]
enum Step {
    Card(String, Card),
    Action(u8, u8, blackjack::Action),
    Ball(u8),
}

/// A blackjack seat as the model plays it.
#[derive(Clone, Debug, Default)]
struct SeatModel {
    stake: i64,
    /// `(cards, stake)` per hand, in hand order.
    hands: Vec<(Vec<Card>, i64)>,
    insurance: i64,
    split: bool,
}

/// A blackjack round replayed from the bets at close and the journal.
#[derive(Debug, Default)]
struct Table {
    seats: BTreeMap<u8, SeatModel>,
    dealer: Vec<Card>,
    /// `(seat, amount)` of every double, split and insurance, in order.
    extras: Vec<(u8, i64)>,
}

impl Table {
    /// What `action` costs on top of the seat's stakes: a double the hand's stake again, a
    /// split the seat's stake again, insurance half the seat's stake rounded down.
    fn cost(&self, seat: u8, hand: u8, action: blackjack::Action) -> i64 {
        let Some(state) = self.seats.get(&seat) else { return 0 };
        match action {
            blackjack::Action::Hit | blackjack::Action::Stand => 0,
            blackjack::Action::Double => state.hands.get(usize::from(hand)).map_or(0, |h| h.1),
            blackjack::Action::Split => state.stake,
            blackjack::Action::Insurance => state.stake / 2,
        }
    }

    fn step(&mut self, step: &Step) {
        match step {
            Step::Card(to, card) if to == "dealer" => self.dealer.push(*card),
            Step::Card(to, card) => {
                let (seat, hand) = parse_seat(to);
                self.seats.get_mut(&seat).unwrap().hands[usize::from(hand)]
                    .0
                    .push(*card);
            }
            Step::Action(seat, hand, action) => {
                let cost = self.cost(*seat, *hand, *action);
                let state = self.seats.get_mut(seat).unwrap();
                let index = usize::from(*hand);
                match action {
                    blackjack::Action::Hit | blackjack::Action::Stand => {}
                    blackjack::Action::Double => state.hands[index].1 += cost,
                    blackjack::Action::Split => {
                        let second = state.hands[index].0.pop().unwrap();
                        state.hands.push((vec![second], cost));
                        state.split = true;
                    }
                    blackjack::Action::Insurance => state.insurance = cost,
                }
                if cost > 0 {
                    self.extras.push((*seat, cost));
                }
            }
            Step::Ball(_) => {}
        }
    }

    /// What a seat gets back: a blackjack (two cards, 21, never split) pays 3:2 and pushes
    /// against the dealer's; against a dealer blackjack every other hand loses only the
    /// original stake (doubles and splits come back); otherwise a bust loses, a higher total
    /// or a dealer bust wins 1:1, an equal total pushes. Insurance pays 2:1 on a dealer
    /// blackjack.
    fn seat_payout(&self, seat: u8) -> i64 {
        let state = &self.seats[&seat];
        let dealer = total(&self.dealer);
        let dealer_natural = self.dealer.len() == 2 && dealer == 21;
        let mut paid = 0;
        for (index, (cards, stake)) in state.hands.iter().enumerate() {
            let mine = total(cards);
            let natural = !state.split && cards.len() == 2 && mine == 21;
            paid += if natural {
                if dealer_natural {
                    *stake
                } else {
                    stake + stake * 3 / 2
                }
            } else if dealer_natural {
                stake - if index == 0 { state.stake } else { 0 }
            } else if mine > 21 {
                0
            } else if dealer > 21 || mine > dealer {
                2 * stake
            } else if mine == dealer {
                *stake
            } else {
                0
            };
        }
        if dealer_natural {
            paid += 3 * state.insurance;
        }
        paid
    }
}

fn parse_seat(position: &str) -> (u8, u8) {
    let (seat, hand) = position.strip_prefix("seat").unwrap().split_once('.').unwrap();
    (seat.parse().unwrap(), hand.parse().unwrap())
}

/// The best blackjack total: aces count 1, one of them 11 when that stays at most 21.
fn total(cards: &[Card]) -> u32 {
    let hard: u32 = cards.iter().map(|c| u32::from(c.rank.number().min(10))).sum();
    let ace = cards.iter().any(|c| c.rank.number() == 1);
    if ace && hard + 10 <= 21 {
        hard + 10
    } else {
        hard
    }
}

fn baccarat_points(cards: &[(String, Card)], hand: &str) -> u8 {
    let points: u32 = cards
        .iter()
        .filter(|(position, _)| position.starts_with(hand))
        .map(|(_, card)| match card.rank.number() {
            n @ 1..=9 => u32::from(n),
            _ => 0,
        })
        .sum();
    (points % 10) as u8
}

fn rank_at(cards: &[(String, Card)], position: &str) -> Option<u8> {
    cards.iter().find(|(p, _)| p == position).map(|(_, c)| c.rank.number())
}

/// Baccarat: player 1:1, banker 0.95:1 rounded down, tie 8:1, each pair 11:1; player and
/// banker bets get their stake back on a tie.
fn baccarat_payout(spot: &str, stake: i64, cards: &[(String, Card)]) -> i64 {
    let (player, banker) = (baccarat_points(cards, "player"), baccarat_points(cards, "banker"));
    let pair = |hand: &str| rank_at(cards, &format!("{hand}1")) == rank_at(cards, &format!("{hand}2"));
    match spot {
        "player" if player > banker => 2 * stake,
        "banker" if banker > player => stake + stake * 95 / 100,
        "player" | "banker" if player == banker => stake,
        "tie" if player == banker => 9 * stake,
        "player_pair" if pair("player") => 12 * stake,
        "banker_pair" if pair("banker") => 12 * stake,
        _ => 0,
    }
}

/// Dragon Tiger: dragon and tiger 1:1 (half the stake back, rounded down, on a tie), tie 8:1.
fn dragon_tiger_payout(spot: &str, stake: i64, cards: &[(String, Card)]) -> i64 {
    let (dragon, tiger) = (rank_at(cards, "dragon").unwrap(), rank_at(cards, "tiger").unwrap());
    match spot {
        "dragon" if dragon > tiger => 2 * stake,
        "tiger" if tiger > dragon => 2 * stake,
        "dragon" | "tiger" if dragon == tiger => stake / 2,
        "tie" if dragon == tiger => 9 * stake,
        _ => 0,
    }
}

fn roulette_pockets(spot: &str) -> Vec<u8> {
    let numbers = 1..=36u8;
    match spot {
        "straight:0" => vec![0],
        "straight:17" => vec![17],
        "split:0-3" => vec![0, 3],
        "street:4" => vec![4, 5, 6],
        "trio:1" => vec![0, 1, 2],
        "basket" => vec![0, 1, 2, 3],
        "corner:5" => vec![5, 6, 8, 9],
        "line:31" => (31..=36).collect(),
        "dozen:2" => (13..=24).collect(),
        "column:3" => numbers.filter(|n| n % 3 == 0).collect(),
        "red" => RED.to_vec(),
        "black" => numbers.filter(|n| !RED.contains(n)).collect(),
        "odd" => numbers.filter(|n| n % 2 == 1).collect(),
        "even" => numbers.filter(|n| n % 2 == 0).collect(),
        "low" => (1..=18).collect(),
        "high" => (19..=36).collect(),
        other => panic!("no pockets for {other}"),
    }
}

/// Roulette: a bet covering n pockets returns 36/n times its stake when the ball lands in one.
fn roulette_payout(spot: &str, stake: i64, pocket: u8) -> i64 {
    let covered = roulette_pockets(spot);
    if covered.contains(&pocket) {
        stake * 36 / covered.len() as i64
    } else {
        0
    }
}

/// The round's bets and steps as the model sees them, with the table's money.
struct Model {
    game: Game,
    bet_rules: BetRules,
    blackjack_rules: blackjack::Rules,
    now_us: i64,
    round_id: RoundId,
    closes_at_us: i64,
    betting: bool,
    bets: Vec<ModelBet>,
    /// The confirmed bets at close, as the journal's round record holds them.
    record: Vec<Bet>,
    journal: Vec<Step>,
    balances: BTreeMap<PlayerId, i64>,
    house: i64,
}

impl Model {
    fn new(game: Game, bet_rules: BetRules, blackjack_rules: blackjack::Rules) -> Model {
        Model {
            game,
            bet_rules,
            blackjack_rules,
            now_us: 0,
            round_id: RoundId(1),
            closes_at_us: BET_WINDOW_US,
            betting: true,
            bets: Vec::new(),
            record: Vec::new(),
            journal: Vec::new(),
            balances: PLAYERS.iter().map(|p| (PlayerId::parse(p).unwrap(), BALANCE)).collect(),
            house: 0,
        }
    }

    fn open(&self) -> Round {
        Round::open(self.round_id, self.game, self.closes_at_us, self.blackjack_rules)
    }

    /// The next round, once this one is settled or void.
    fn next_round(&mut self) -> Round {
        self.round_id = RoundId(self.round_id.0 + 1);
        self.closes_at_us = self.now_us + BET_WINDOW_US;
        self.betting = true;
        self.bets.clear();
        self.record.clear();
        self.journal.clear();
        self.open()
    }

    fn find(&self, player: &PlayerId, bet_id: &BetId) -> Option<usize> {
        self.bets
            .iter()
            .position(|b| &b.player == player && &b.bet_id == bet_id)
    }

    /// Blackjack: the seats, hands and extra stakes the bets at close and the journal make.
    fn table(&self) -> Table {
        let mut table = Table::default();
        if self.game != Game::Blackjack {
            return table;
        }
        for bet in &self.record {
            if let Some(seat) = bet.seat {
                let stake = bet.amount.minor();
                let hands = vec![(Vec::new(), stake)];
                table.seats.insert(
                    seat,
                    SeatModel {
                        stake,
                        hands,
                        ..SeatModel::default()
                    },
                );
            }
        }
        for step in &self.journal {
            table.step(step);
        }
        table
    }

    fn cards(&self) -> Vec<(String, Card)> {
        self.journal
            .iter()
            .filter_map(|step| match step {
                Step::Card(to, card) => Some((to.clone(), *card)),
                _ => None,
            })
            .collect()
    }

    fn pocket(&self) -> Option<u8> {
        self.journal.iter().find_map(|step| match step {
            Step::Ball(pocket) => Some(*pocket),
            _ => None,
        })
    }

    /// What a confirmed bet has put at stake, its seat's doubles, splits and insurance included.
    fn staked(&self, bet: &ModelBet, table: &Table) -> i64 {
        let extras: i64 = table
            .extras
            .iter()
            .filter(|(seat, _)| Some(*seat) == bet.seat)
            .map(|e| e.1)
            .sum();
        bet.amount + extras
    }

    /// The model's payout of a confirmed bet of a complete round.
    fn payout(&self, bet: &ModelBet, table: &Table) -> i64 {
        match self.game {
            Game::Baccarat => baccarat_payout(bet.spot, bet.amount, &self.cards()),
            Game::DragonTiger => dragon_tiger_payout(bet.spot, bet.amount, &self.cards()),
            Game::Roulette => roulette_payout(bet.spot, bet.amount, self.pocket().unwrap()),
            Game::Blackjack => table.seat_payout(bet.seat.unwrap()),
        }
    }

    /// The rules of a bet, in the order the round applies them: which error (by code) or
    /// which placement and seat.
    fn expect_place(&self, round_id: RoundId, bet: &ModelBet) -> Result<(Placement, Option<u8>), &'static str> {
        if round_id != self.round_id {
            return Err("wrong_round");
        }
        if let Some(at) = self.find(&bet.player, &bet.bet_id) {
            let existing = &self.bets[at];
            let same = existing.currency == bet.currency && existing.spot == bet.spot && existing.amount == bet.amount;
            return if same {
                Ok((
                    Placement::Repeat {
                        confirmed: existing.confirmed,
                    },
                    existing.seat,
                ))
            } else {
                Err("duplicate_bet")
            };
        }
        if !self.betting || self.now_us >= self.closes_at_us {
            return Err("betting_closed");
        }
        if bet.amount <= 0 {
            return Err("bad_amount");
        }
        if !(STAKE_MIN..=STAKE_MAX).contains(&bet.amount) {
            return Err("bet_limit");
        }
        let mine: Vec<&ModelBet> = self.bets.iter().filter(|b| b.player == bet.player).collect();
        if mine.len() >= self.bet_rules.bets_per_round_max {
            return Err("bet_limit");
        }
        if mine.iter().any(|b| b.currency != bet.currency) {
            return Err("wrong_currency");
        }
        let main = bet.spot == "main";
        if main && mine.iter().any(|b| b.spot == "main") {
            return Err("bet_limit");
        }
        if !main {
            return Ok((Placement::New, None));
        }
        let free = (1..=self.bet_rules.seats_max).find(|seat| self.bets.iter().all(|b| b.seat != Some(*seat)));
        free.map(|seat| (Placement::New, Some(seat))).ok_or("table_full")
    }

    fn pick(&self, pick: usize, pending: bool) -> (PlayerId, BetId) {
        let waiting: Vec<&ModelBet> = self.bets.iter().filter(|b| !b.confirmed).collect();
        if pending && !waiting.is_empty() {
            let bet = waiting[pick % waiting.len()];
            return (bet.player.clone(), bet.bet_id.clone());
        }
        let player = PLAYERS[pick % PLAYERS.len()];
        let bet_id = BET_IDS[(pick / PLAYERS.len()) % BET_IDS.len()];
        (PlayerId::parse(player).unwrap(), BetId::parse(bet_id).unwrap())
    }

    fn pay(&mut self, player: &PlayerId, amount: i64) {
        *self.balances.get_mut(player).unwrap() += amount;
    }
}

/// Applies a command and checks what every command owes: a refusal changes nothing, an
/// answer with nothing to do changes nothing, anything else changes the round, and a phase
/// change is reported last.
fn apply(round: &mut Round, command: Command, now_us: i64) -> Result<Result<Vec<Event>, RuleError>, TestCaseError> {
    let before = round.clone();
    let result = round.apply(command.clone(), now_us);
    match &result {
        Err(error) => prop_assert_eq!(
            &*round,
            &before,
            "{:?} refused with {} changed the round",
            command,
            error
        ),
        Ok(events) if events.iter().all(|e| matches!(e, Event::BetRepeated { .. })) => {
            prop_assert_eq!(&*round, &before, "{:?} changed the round silently", command);
        }
        Ok(events) => {
            prop_assert_ne!(
                &*round,
                &before,
                "{:?} answered {:?} but changed nothing",
                command,
                events
            );
            let changed = round.phase() != before.phase();
            prop_assert_eq!(
                events.last() == Some(&Event::PhaseChanged { phase: round.phase() }),
                changed,
                "{:?}: phase {:?} -> {:?}, events {:?}",
                command,
                before.phase(),
                round.phase(),
                events
            );
        }
    }
    Ok(result)
}

fn code(result: &Result<Vec<Event>, RuleError>) -> Result<(), &'static str> {
    result.as_ref().map(drop).map_err(RuleError::code)
}

fn phase_event(phase: Phase) -> Event {
    Event::PhaseChanged { phase }
}

fn step(model: &mut Model, round: &mut Round, op: Op) -> Result<(), TestCaseError> {
    let now = model.now_us;
    match op {
        Op::Place {
            player,
            bet,
            spot,
            amount,
            other_currency,
            other_round,
        } => {
            let names = spot_names(model.game);
            let wanted = ModelBet {
                player: PlayerId::parse(PLAYERS[player]).unwrap(),
                bet_id: BetId::parse(BET_IDS[bet]).unwrap(),
                currency: if other_currency { "USD".parse().unwrap() } else { eur() },
                spot: names[spot % names.len()],
                amount: AMOUNTS[amount],
                seat: None,
                confirmed: false,
            };
            let round_id = if other_round {
                RoundId(model.round_id.0 + 7)
            } else {
                model.round_id
            };
            let expected = model.expect_place(round_id, &wanted);
            let bet = Bet {
                bet_id: wanted.bet_id.clone(),
                player: wanted.player.clone(),
                currency: wanted.currency,
                spot: Spot::parse(model.game, wanted.spot).unwrap(),
                amount: Amount(wanted.amount),
                seat: None,
                confirmed: true,
            };
            let rules = model.bet_rules;
            let result = apply(round, Command::PlaceBet { round_id, bet, rules }, now)?;
            match expected {
                Err(expected) => prop_assert_eq!(code(&result), Err(expected)),
                Ok((Placement::Repeat { confirmed }, _)) => {
                    let bet_id = wanted.bet_id.clone();
                    prop_assert_eq!(result?, vec![Event::BetRepeated { bet_id, confirmed }]);
                }
                Ok((Placement::New, seat)) => {
                    let placed = ModelBet { seat, ..wanted };
                    let events = result?;
                    prop_assert_eq!(Placement::of(&events), Placement::New);
                    let [Event::BetPlaced { bet }] = events.as_slice() else {
                        return Err(TestCaseError::fail(format!("placed: {events:?}")));
                    };
                    prop_assert_eq!((&bet.bet_id, bet.seat, bet.confirmed), (&placed.bet_id, seat, false));
                    if placed.spot == "main" {
                        prop_assert_eq!(round.seat_of(&placed.player), seat);
                    }
                    model.bets.push(placed);
                }
            }
        }
        Op::Confirm { pick, pending } => {
            let (player, bet_id) = model.pick(pick, pending);
            let at = model.find(&player, &bet_id).filter(|&at| !model.bets[at].confirmed);
            let command = Command::ConfirmBet {
                player: player.clone(),
                bet_id: bet_id.clone(),
            };
            let events = apply(round, command, now)??;
            match at {
                Some(at) => {
                    prop_assert_eq!(
                        events,
                        vec![Event::BetConfirmed {
                            player: player.clone(),
                            bet_id
                        }]
                    );
                    model.bets[at].confirmed = true;
                    let amount = model.bets[at].amount;
                    model.pay(&player, -amount);
                }
                None => prop_assert_eq!(events, vec![]),
            }
        }
        Op::Refuse { pick, pending } => {
            let (player, bet_id) = model.pick(pick, pending);
            let at = model.find(&player, &bet_id).filter(|&at| !model.bets[at].confirmed);
            let command = Command::DropBet {
                player: player.clone(),
                bet_id: bet_id.clone(),
            };
            let events = apply(round, command, now)??;
            match at {
                Some(at) => {
                    prop_assert_eq!(events, vec![Event::BetDropped { player, bet_id }]);
                    model.bets.remove(at);
                }
                None => prop_assert_eq!(events, vec![]),
            }
        }
        Op::Wait { us } => model.now_us += us,
        Op::Stop => {
            let result = apply(round, Command::StopBetting, now)?;
            if !model.betting {
                prop_assert_eq!(code(&result), Err("wrong_phase"));
            } else if now < model.closes_at_us {
                prop_assert_eq!(result?, vec![Event::BettingStopped { closes_at_us: now }]);
                model.closes_at_us = now;
            } else {
                prop_assert_eq!(result?, vec![]);
            }
        }
        Op::Close => {
            let result = apply(round, Command::CloseBetting, now)?;
            if !model.betting {
                prop_assert_eq!(code(&result), Err("wrong_phase"));
                return Ok(());
            }
            let mut expected: Vec<Event> = (model.bets.iter().filter(|b| !b.confirmed))
                .map(|b| Event::BetDropped {
                    player: b.player.clone(),
                    bet_id: b.bet_id.clone(),
                })
                .collect();
            model.bets.retain(|b| b.confirmed);
            model.betting = false;
            expected.push(Event::BettingClosed { bets: model.bets.len() });
            let seated = model.bets.iter().any(|b| b.seat.is_some());
            let nothing_to_deal = model.game == Game::Blackjack && !seated;
            expected.push(phase_event(if nothing_to_deal {
                Phase::Complete
            } else {
                Phase::Dealing
            }));
            prop_assert_eq!(result?, expected);
            model.record = (model.bets.iter())
                .map(|b| Bet {
                    bet_id: b.bet_id.clone(),
                    player: b.player.clone(),
                    currency: b.currency,
                    spot: Spot::parse(model.game, b.spot).unwrap(),
                    amount: Amount(b.amount),
                    seat: b.seat,
                    confirmed: true,
                })
                .collect();
        }
        Op::Deal { card, named } => {
            let card = Card::from_index(card).unwrap();
            let expected = round.next_position();
            let position = match named {
                None => None,
                Some(true) => Some(expected.clone().unwrap_or_else(|| "dealer".into())),
                Some(false) => Some("nowhere".to_owned()),
            };
            let result = apply(round, Command::DealCard { card, position }, now)?;
            match expected {
                None => prop_assert_eq!(code(&result), Err("no_card_expected")),
                Some(_) if named == Some(false) => prop_assert_eq!(code(&result), Err("wrong_position")),
                Some(to) => {
                    let events = result?;
                    prop_assert_eq!(&events[0], &Event::CardDealt { to: to.clone(), card });
                    prop_assert_eq!(super::moved_card(&events), Some((to.clone(), card)));
                    model.journal.push(Step::Card(to, card));
                }
            }
        }
        Op::Undo => {
            let result = apply(round, Command::UndoCard, now)?;
            match model.journal.last().cloned() {
                Some(Step::Card(position, card)) => {
                    let events = result?;
                    prop_assert_eq!(&events[0], &Event::CardUndone { position, card });
                    model.journal.pop();
                }
                _ => prop_assert_eq!(code(&result), Err("nothing_to_undo")),
            }
        }
        Op::Ball { pocket } => {
            let result = apply(round, Command::LandBall { pocket }, now)?;
            let spinning = model.game == Game::Roulette && !model.betting && model.journal.is_empty();
            if spinning && pocket <= 36 {
                prop_assert_eq!(
                    result?,
                    vec![Event::BallLanded { pocket }, phase_event(Phase::Complete)]
                );
                model.journal.push(Step::Ball(pocket));
            } else if spinning {
                prop_assert_eq!(code(&result), Err("illegal_action"));
            } else {
                prop_assert_eq!(code(&result), Err("no_card_expected"));
            }
        }
        Op::Act {
            action,
            legal,
            other_hand,
        } => {
            let offered = round.legal_actions();
            let action = match offered.len() {
                0 => blackjack::Action::ALL[action % blackjack::Action::ALL.len()],
                n if legal => offered[action % n],
                _ => blackjack::Action::ALL[action % blackjack::Action::ALL.len()],
            };
            let awaited = round.awaiting_decision();
            prop_assert_eq!(awaited.is_some(), round.phase() == Phase::Deciding);
            let (seat, hand) = match awaited {
                Some((seat, hand)) if other_hand => (seat, hand + 1),
                Some(turn) => turn,
                None => (1, 0),
            };
            if let Some((seat, hand)) = awaited {
                // Hitting and standing are always open to the hand whose turn it is.
                for free in [blackjack::Action::Hit, blackjack::Action::Stand] {
                    prop_assert_eq!(round.extra_stake(seat, hand, free), Ok(Amount::ZERO));
                    prop_assert!(round.legal_actions().contains(&free));
                }
            }
            let quote = round.extra_stake(seat, hand, action);
            prop_assert_eq!(quote.is_ok(), round.legal_actions().contains(&action) && !other_hand);
            let result = apply(round, Command::Act { seat, hand, action }, now)?;
            match quote {
                Err(error) => prop_assert_eq!(code(&result), Err(error.code())),
                Ok(extra_stake) => {
                    let table = model.table();
                    prop_assert_eq!(extra_stake, Amount(table.cost(seat, hand, action)), "{:?}", action);
                    let events = result?;
                    prop_assert_eq!(
                        &events[0],
                        &Event::ActionTaken {
                            seat,
                            hand,
                            action,
                            extra_stake
                        }
                    );
                    model.journal.push(Step::Action(seat, hand, action));
                    let player = model.bets.iter().find(|b| b.seat == Some(seat)).unwrap().player.clone();
                    model.pay(&player, -extra_stake.minor());
                }
            }
        }
        Op::Settle => settle(model, round)?,
        Op::Void => {
            let result = apply(round, Command::Void, now)?;
            if model.bets.iter().any(|b| !b.confirmed) {
                prop_assert_eq!(code(&result), Err("wrong_phase"));
                return Ok(());
            }
            prop_assert_eq!(result?, vec![phase_event(Phase::Void)]);
            void_is_final(model, round)?;
            refund(model, round)?;
            *round = model.next_round();
        }
        Op::Restart => {
            if model.betting {
                // A round that was still taking bets is voided at start; only confirmed
                // stakes were ever debited.
                model.bets.retain(|b| b.confirmed);
                let table = model.table();
                for bet in model.bets.clone() {
                    let refund = model.staked(&bet, &table);
                    model.pay(&bet.player, refund);
                }
                *round = model.next_round();
                return Ok(());
            }
            let mut rebuilt = Round::closed_with(
                model.round_id,
                model.game,
                model.closes_at_us,
                model.blackjack_rules,
                model.record.clone(),
            )
            .map_err(|e| TestCaseError::fail(format!("rebuild: {e}")))?;
            for step in &model.journal {
                let command = match step {
                    Step::Card(to, card) => Command::DealCard {
                        card: *card,
                        position: Some(to.clone()),
                    },
                    Step::Action(seat, hand, action) => Command::Act {
                        seat: *seat,
                        hand: *hand,
                        action: *action,
                    },
                    Step::Ball(pocket) => Command::LandBall { pocket: *pocket },
                };
                let replayed = rebuilt.apply(command, now);
                prop_assert!(replayed.is_ok(), "replaying {:?}: {:?}", step, replayed);
            }
            prop_assert_eq!(&rebuilt, &*round, "the rebuilt round differs from the one running");
            *round = rebuilt;
        }
    }
    Ok(())
}

/// A void round takes nothing more.
fn void_is_final(model: &Model, round: &mut Round) -> Result<(), TestCaseError> {
    let bet = Bet {
        bet_id: BetId::parse("late").unwrap(),
        player: PlayerId::parse(PLAYERS[0]).unwrap(),
        currency: eur(),
        spot: Spot::parse(model.game, spot_names(model.game)[0]).unwrap(),
        amount: Amount(STAKE_MIN),
        seat: None,
        confirmed: false,
    };
    let rules = model.bet_rules;
    let card = Card::from_index(0).unwrap();
    let commands = [
        Command::PlaceBet {
            round_id: model.round_id,
            bet,
            rules,
        },
        Command::StopBetting,
        Command::CloseBetting,
        Command::DealCard { card, position: None },
        Command::UndoCard,
        Command::LandBall { pocket: 0 },
        Command::Act {
            seat: 1,
            hand: 0,
            action: blackjack::Action::Stand,
        },
        Command::Void,
    ];
    for command in commands {
        let result = apply(round, command.clone(), model.now_us)?;
        prop_assert!(result.is_err(), "a void round took {:?}", command);
    }
    prop_assert!(round.settle().is_err());
    prop_assert_eq!(round.outcome(), None);
    Ok(())
}

/// Refunds a void round as the table does, from what the round says it holds, and checks
/// that it is what the model debited.
fn refund(model: &mut Model, round: &Round) -> Result<(), TestCaseError> {
    let table = model.table();
    for bet in round.bets() {
        let extras = round.extra_stakes().iter().filter(|(seat, _)| Some(*seat) == bet.seat);
        let refund = extras.fold(bet.amount.minor(), |sum, (_, extra)| sum + extra.minor());
        let at = model.find(&bet.player, &bet.bet_id).unwrap();
        prop_assert_eq!(refund, model.staked(&model.bets[at], &table));
        model.pay(&bet.player, refund);
    }
    Ok(())
}

fn settle(model: &mut Model, round: &mut Round) -> Result<(), TestCaseError> {
    if round.phase() != Phase::Complete {
        prop_assert!(round.settle().is_err());
        return Ok(());
    }
    let payouts = round
        .settle()
        .map_err(|e| TestCaseError::fail(format!("settle: {e}")))?;
    prop_assert_eq!(round.settle(), Ok(payouts.clone()), "settle is not pure");
    let table = model.table();
    check_outcome(model, round, &table)?;
    prop_assert_eq!(payouts.len(), model.bets.len());
    let (mut staked, mut paid) = (0, 0);
    for (payout, bet) in payouts.iter().zip(&model.bets) {
        let expected = (
            &bet.player,
            &bet.bet_id,
            bet.spot,
            model.staked(bet, &table),
            model.payout(bet, &table),
        );
        let got = (
            &payout.player,
            &payout.bet_id,
            payout.spot.as_str(),
            payout.amount.minor(),
            payout.payout.minor(),
        );
        prop_assert_eq!(got, expected, "cards {:?}, pocket {:?}", model.cards(), model.pocket());
        staked += payout.amount.minor();
        paid += payout.payout.minor();
    }
    for payout in payouts {
        model.pay(&payout.player, payout.payout.minor());
    }
    // What was debited is what was paid plus what the house made.
    model.house += staked - paid;
    *round = model.next_round();
    Ok(())
}

/// The outcome players see is the one the cards (or the ball) make.
fn check_outcome(model: &Model, round: &Round, table: &Table) -> Result<(), TestCaseError> {
    let cards = model.cards();
    let outcome = round.outcome();
    match (model.game, outcome) {
        (Game::Baccarat, Some(Outcome::Baccarat(o))) => {
            let (player, banker) = (baccarat_points(&cards, "player"), baccarat_points(&cards, "banker"));
            let two = |hand: &str| {
                let first = &cards
                    .iter()
                    .filter(|(p, _)| p.starts_with(hand))
                    .take(2)
                    .cloned()
                    .collect::<Vec<_>>();
                baccarat_points(first, hand)
            };
            let winner = match player.cmp(&banker) {
                std::cmp::Ordering::Greater => baccarat::Winner::Player,
                std::cmp::Ordering::Less => baccarat::Winner::Banker,
                std::cmp::Ordering::Equal => baccarat::Winner::Tie,
            };
            prop_assert_eq!((o.player_total, o.banker_total, o.winner), (player, banker, winner));
            prop_assert_eq!(o.natural, two("player") >= 8 || two("banker") >= 8);
            prop_assert_eq!(o.player_pair, rank_at(&cards, "player1") == rank_at(&cards, "player2"));
            prop_assert_eq!(o.banker_pair, rank_at(&cards, "banker1") == rank_at(&cards, "banker2"));
            prop_assert!((4..=6).contains(&cards.len()));
        }
        (Game::DragonTiger, Some(Outcome::DragonTiger { winner })) => {
            let (dragon, tiger) = (rank_at(&cards, "dragon"), rank_at(&cards, "tiger"));
            let expected = match dragon.cmp(&tiger) {
                std::cmp::Ordering::Greater => dragon_tiger::Outcome::Dragon,
                std::cmp::Ordering::Less => dragon_tiger::Outcome::Tiger,
                std::cmp::Ordering::Equal => dragon_tiger::Outcome::Tie,
            };
            prop_assert_eq!(winner, expected);
        }
        (Game::Roulette, Some(Outcome::Roulette(o))) => {
            let pocket = model.pocket().unwrap();
            let color = match pocket {
                0 => roulette::Color::Green,
                n if RED.contains(&n) => roulette::Color::Red,
                _ => roulette::Color::Black,
            };
            prop_assert_eq!((o.pocket, o.color), (pocket, color));
        }
        (
            Game::Blackjack,
            Some(Outcome::Blackjack {
                dealer_total,
                dealer_blackjack,
                dealer_bust,
            }),
        ) => {
            let dealer = total(&table.dealer);
            prop_assert_eq!(u32::from(dealer_total), dealer);
            prop_assert_eq!(dealer_blackjack, table.dealer.len() == 2 && dealer == 21);
            prop_assert_eq!(dealer_bust, dealer > 21);
        }
        // A blackjack round nobody sat at completes with nothing dealt.
        (Game::Blackjack, None) => prop_assert!(table.seats.is_empty() && cards.is_empty()),
        (game, outcome) => prop_assert!(false, "{:?} ended with {:?}", game, outcome),
    }
    Ok(())
}

/// What must hold between any two steps.
fn invariants(model: &Model, round: &Round) -> Result<(), TestCaseError> {
    prop_assert_eq!(round.id(), model.round_id);
    prop_assert_eq!(round.closes_at_us(), model.closes_at_us);
    prop_assert_eq!(round.phase() == Phase::Betting, model.betting);
    let bets: Vec<ModelBet> = (round.bets().iter())
        .map(|b| ModelBet {
            player: b.player.clone(),
            bet_id: b.bet_id.clone(),
            currency: b.currency,
            spot: spot_names(model.game)
                .iter()
                .copied()
                .find(|name| *name == b.spot.name())
                .unwrap(),
            amount: b.amount.minor(),
            seat: b.seat,
            confirmed: b.confirmed,
        })
        .collect();
    prop_assert_eq!(&bets, &model.bets);
    prop_assert_eq!(round.has_pending_bets(), model.bets.iter().any(|b| !b.confirmed));
    if !model.betting {
        prop_assert!(!round.has_pending_bets(), "a bet is pending after the close");
    }
    for bet in round.bets() {
        prop_assert_eq!(
            round.seat_of(&bet.player).is_some(),
            model.bets.iter().any(|b| b.player == bet.player && b.seat.is_some())
        );
    }
    prop_assert_eq!(round.cards(), model.cards());
    prop_assert_eq!(round.pocket(), model.pocket());
    if round.next_position().is_some() {
        prop_assert_eq!(round.phase(), Phase::Dealing);
    }
    prop_assert_eq!(round.awaiting_decision().is_some(), round.phase() == Phase::Deciding);
    prop_assert_eq!(round.legal_actions().is_empty(), round.phase() != Phase::Deciding);
    prop_assert_eq!(round.settle().is_ok(), round.phase() == Phase::Complete);
    // Staked is what was debited: each confirmed stake plus its seat's extra stakes.
    let table = model.table();
    let extras: Vec<(u8, Amount)> = table
        .extras
        .iter()
        .map(|&(seat, extra)| (seat, Amount(extra)))
        .collect();
    prop_assert_eq!(round.extra_stakes(), extras.as_slice());
    let mut in_play = 0;
    for (bet, mine) in round.bets().iter().zip(&model.bets).filter(|(b, _)| b.confirmed) {
        let staked = model.staked(mine, &table);
        prop_assert_eq!(round.staked(bet).minor(), staked);
        in_play += staked;
    }
    // Money is conserved: what players hold, plus what is at stake, plus the house's result.
    let held: i64 = model.balances.values().sum();
    prop_assert_eq!(held + in_play + model.house, BALANCE * PLAYERS.len() as i64);
    Ok(())
}

fn matches_model(
    game: Game,
    (bet_rules, blackjack_rules): (BetRules, blackjack::Rules),
    ops: Vec<Op>,
) -> Result<(), TestCaseError> {
    let mut model = Model::new(game, bet_rules, blackjack_rules);
    let mut round = model.open();
    invariants(&model, &round)?;
    for op in ops {
        step(&mut model, &mut round, op)?;
        invariants(&model, &round)?;
    }
    Ok(())
}

// About three seconds of CPU for all four (debug build). Blackjack, with seats,
// decisions and extra stakes, gets the most cases.
proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn baccarat_round_matches_the_model(rules in rules(), ops in ops(Game::Baccarat)) {
        matches_model(Game::Baccarat, rules, ops)?;
    }

    #[test]
    fn dragon_tiger_round_matches_the_model(rules in rules(), ops in ops(Game::DragonTiger)) {
        matches_model(Game::DragonTiger, rules, ops)?;
    }

    #[test]
    fn roulette_round_matches_the_model(rules in rules(), ops in ops(Game::Roulette)) {
        matches_model(Game::Roulette, rules, ops)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn blackjack_round_matches_the_model(rules in rules(), ops in ops(Game::Blackjack)) {
        matches_model(Game::Blackjack, rules, ops)?;
    }
}
