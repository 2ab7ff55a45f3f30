//! Unit and property tests of the baccarat rules: names, the tableau cell by cell, payouts,
//! and the odds engine against published figures and brute force over small shoes.

use super::odds::odds_by_rank;
use super::*;
use crate::domain::cards::{parse_cards, Card, Composition, Rank, Suit};
use crate::domain::error::RuleError;
use crate::domain::money::Amount;
use proptest::prelude::*;

fn card(text: &str) -> Card {
    text.parse().unwrap()
}

/// A card of baccarat value `value` (0 is a King).
fn card_of_value(value: u8) -> Card {
    let rank = if value == 0 {
        Rank::King
    } else {
        Rank::ALL[usize::from(value) - 1]
    };
    Card::new(rank, Suit::Hearts)
}

fn coup_of(text: &str) -> Coup {
    let mut coup = Coup::new();
    for c in parse_cards(text).unwrap() {
        coup.deal(c).unwrap();
    }
    coup
}

fn composition_of(cards: &[Card]) -> Composition {
    let mut counts = [0u16; 13];
    for c in cards {
        counts[c.rank.index()] += 1;
    }
    Composition::from_counts(counts)
}

fn outcome(winner: Winner, player_pair: bool, banker_pair: bool) -> Outcome {
    Outcome {
        winner,
        player_total: 0,
        banker_total: 0,
        player_pair,
        banker_pair,
        natural: false,
    }
}

fn assert_close(got: f64, want: f64, tolerance: f64, what: &str) {
    assert!((got - want).abs() <= tolerance, "{what}: got {got}, want {want}");
}

fn assert_odds_close(got: &Odds, want: &Odds, tolerance: f64) {
    assert_close(got.banker, want.banker, tolerance, "banker");
    assert_close(got.player, want.player, tolerance, "player");
    assert_close(got.tie, want.tie, tolerance, "tie");
    assert_close(got.player_pair, want.player_pair, tolerance, "player_pair");
    assert_close(got.banker_pair, want.banker_pair, tolerance, "banker_pair");
}

#[test]
fn spots_and_positions_round_trip_their_names() {
    for spot in Spot::ALL {
        assert_eq!(spot.to_string().parse::<Spot>().unwrap(), spot);
    }
    for position in Position::ALL {
        assert_eq!(position.to_string().parse::<Position>().unwrap(), position);
    }
    assert_eq!("player_pair".parse::<Spot>().unwrap(), Spot::PlayerPair);
    assert_eq!("banker3".parse::<Position>().unwrap(), Position::Banker3);
    assert_eq!("Player".parse::<Spot>(), Err(RuleError::UnknownSpot("Player".into())));
    assert_eq!("".parse::<Spot>(), Err(RuleError::UnknownSpot(String::new())));
    let long = "x".repeat(10_000);
    assert!(matches!(long.parse::<Spot>(), Err(RuleError::UnknownSpot(t)) if t.len() == ECHO_CHARS_MAX));
    assert!("player4".parse::<Position>().is_err());
}

/// The banker's third-card tableau as printed on the layout, written out independently
/// of `banker_draws`. Rows: banker total 0..=7; columns: player's third card 0..=9,
/// then "player stood". D draws, S stands.
const TABLEAU: [&str; 8] = [
    "DDDDDDDDDD D", // 0
    "DDDDDDDDDD D", // 1
    "DDDDDDDDDD D", // 2
    "DDDDDDDDSD D", // 3: stands only on a player's 8
    "SSDDDDDDSS D", // 4: draws on 2-7
    "SSSSDDDDSS D", // 5: draws on 4-7
    "SSSSSSDDSS S", // 6: draws on 6-7
    "SSSSSSSSSS S", // 7
];

#[test]
fn every_cell_of_the_banker_tableau() {
    for (banker_total, row) in TABLEAU.iter().enumerate() {
        let cells: Vec<char> = row.chars().filter(|c| *c != ' ').collect();
        let banker_total = banker_total as u8;
        // Banker's first two cards: a King and the total (two Kings for 0).
        let banker = [card_of_value(0), card_of_value(banker_total)];
        for (column, &cell) in cells.iter().enumerate() {
            let mut coup = Coup::new();
            let player = if column < 10 {
                [card_of_value(2), card_of_value(3)]
            } else {
                [card_of_value(6), card_of_value(0)]
            };
            coup.deal(player[0]).unwrap();
            coup.deal(banker[0]).unwrap();
            coup.deal(player[1]).unwrap();
            coup.deal(banker[1]).unwrap();
            if column < 10 {
                assert_eq!(coup.next_position(), Some(Position::Player3));
                assert_eq!(coup.deal(card_of_value(column as u8)).unwrap(), Position::Player3);
            }
            let expected = if cell == 'D' { Some(Position::Banker3) } else { None };
            assert_eq!(coup.next_position(), expected, "banker {banker_total}, column {column}");
            if expected.is_some() {
                coup.deal(card_of_value(1)).unwrap();
                assert!(coup.is_complete());
            }
            assert!(coup.outcome().is_some());
        }
    }
}

#[test]
fn naturals_stop_the_coup() {
    for text in ["9h 2c Kd 3s", "2c 8h 3s Kd", "4h 5h 4c 4d", "8c 8d Kd Ks"] {
        let coup = coup_of(text);
        assert!(coup.is_complete(), "{text}");
        assert_eq!(coup.next_position(), None);
        assert!(coup.outcome().unwrap().natural);
    }
    let outcome = coup_of("4h 5h 4c 4d").outcome().unwrap();
    assert_eq!(
        (outcome.winner, outcome.player_total, outcome.banker_total),
        (Winner::Banker, 8, 9)
    );
    let tie = coup_of("8c 8d Kd Ks").outcome().unwrap();
    assert_eq!(tie.winner, Winner::Tie);
    assert!(!tie.player_pair && !tie.banker_pair);
}

#[test]
fn player_draws_on_0_to_5_and_stands_on_6_and_7() {
    for player_total in 0..=7u8 {
        let mut coup = Coup::new();
        coup.deal(card_of_value(player_total)).unwrap();
        coup.deal(card_of_value(7)).unwrap();
        coup.deal(card_of_value(0)).unwrap();
        coup.deal(card_of_value(0)).unwrap();
        let expected = if player_total <= 5 {
            Some(Position::Player3)
        } else {
            None
        };
        // Banker holds 7 and stands whenever the player stood.
        assert_eq!(coup.next_position(), expected, "player {player_total}");
    }
    // Player stands on 6 and the banker on 3 draws.
    let mut coup = coup_of("6h 3c Kd Ks");
    assert_eq!(coup.deal(card("2d")).unwrap(), Position::Banker3);
    assert!(coup.is_complete());
    assert_eq!(
        coup.cards().iter().map(|(p, _)| *p).collect::<Vec<_>>(),
        vec![
            Position::Player1,
            Position::Banker1,
            Position::Player2,
            Position::Banker2,
            Position::Banker3
        ]
    );
    assert_eq!((coup.player_total(), coup.banker_total()), (6, 5));
    assert_eq!(coup.outcome().unwrap().winner, Winner::Player);
}

#[test]
fn deal_to_checks_the_position_and_complete_coups_take_no_card() {
    let mut coup = Coup::new();
    assert_eq!(
        coup.deal_to(Position::Banker1, card("As")),
        Err(RuleError::WrongPosition {
            expected: "player1".into(),
            got: "banker1".into()
        })
    );
    assert!(coup.is_empty());
    coup.deal_to(Position::Player1, card("As")).unwrap();
    coup.deal_to(Position::Banker1, card("9s")).unwrap();
    coup.deal_to(Position::Player2, card("Ks")).unwrap();
    coup.deal_to(Position::Banker2, card("Ts")).unwrap();
    assert!(coup.is_complete());
    assert_eq!(
        coup.deal_to(Position::Player3, card("2s")),
        Err(RuleError::NoCardExpected)
    );
    assert_eq!(coup.deal(card("2s")), Err(RuleError::NoCardExpected));
    assert_eq!(coup.len(), 4);
}

#[test]
fn undo_takes_back_cards_in_reverse_order() {
    let mut coup = coup_of("2h 3c 3s Kd 4h 5d");
    assert_eq!(coup.len(), 6);
    assert_eq!(coup.undo().unwrap(), (Position::Banker3, card("5d")));
    assert_eq!(coup.undo().unwrap(), (Position::Player3, card("4h")));
    assert_eq!(coup.next_position(), Some(Position::Player3));
    for _ in 0..4 {
        coup.undo().unwrap();
    }
    assert_eq!(coup.undo(), Err(RuleError::NothingToUndo));
    assert_eq!(coup, Coup::new());
}

#[test]
fn payouts() {
    let stake = Amount(100);
    let player_wins = outcome(Winner::Player, false, false);
    let banker_wins = outcome(Winner::Banker, false, false);
    let tie = outcome(Winner::Tie, false, false);
    assert_eq!(payout(Spot::Player, stake, &player_wins), Some(Amount(200)));
    assert_eq!(payout(Spot::Player, stake, &banker_wins), Some(Amount(0)));
    assert_eq!(payout(Spot::Player, stake, &tie), Some(Amount(100)));
    assert_eq!(payout(Spot::Banker, stake, &banker_wins), Some(Amount(195)));
    assert_eq!(payout(Spot::Banker, stake, &player_wins), Some(Amount(0)));
    assert_eq!(payout(Spot::Banker, stake, &tie), Some(Amount(100)));
    assert_eq!(payout(Spot::Tie, stake, &tie), Some(Amount(900)));
    assert_eq!(payout(Spot::Tie, stake, &player_wins), Some(Amount(0)));
    assert_eq!(payout(Spot::Tie, stake, &banker_wins), Some(Amount(0)));
    let pairs = outcome(Winner::Player, true, false);
    assert_eq!(payout(Spot::PlayerPair, stake, &pairs), Some(Amount(1200)));
    assert_eq!(payout(Spot::BankerPair, stake, &pairs), Some(Amount(0)));
    let banker_pair = outcome(Winner::Tie, false, true);
    assert_eq!(payout(Spot::BankerPair, stake, &banker_pair), Some(Amount(1200)));
    assert_eq!(payout(Spot::PlayerPair, stake, &banker_pair), Some(Amount(0)));
}

#[test]
fn banker_commission_rounds_down_in_the_house_favour() {
    let banker_wins = outcome(Winner::Banker, false, false);
    for (stake, returned) in [(15, 29), (1, 1), (19, 37), (20, 39), (21, 40), (0, 0), (99, 193)] {
        assert_eq!(
            payout(Spot::Banker, Amount(stake), &banker_wins),
            Some(Amount(returned)),
            "stake {stake}"
        );
    }
    assert_eq!(max_return(Spot::Banker, Amount(15)), Some(Amount(29)));
}

#[test]
fn overflow_and_negative_stakes_are_refused_not_paid() {
    let tie = outcome(Winner::Tie, true, true);
    assert_eq!(payout(Spot::Tie, Amount(i64::MAX / 2), &tie), None);
    assert_eq!(max_return(Spot::PlayerPair, Amount(i64::MAX / 11)), None);
    assert_eq!(payout(Spot::Player, Amount(i64::MAX), &tie), Some(Amount(i64::MAX)));
    assert_eq!(payout(Spot::Banker, Amount(-5), &tie), None);
    assert_eq!(max_return(Spot::Tie, Amount(-5)), None);
}

#[test]
fn pairs_are_same_rank_not_same_value() {
    assert!(coup_of("Kh 2c Kd 3s 4h 4d").outcome().unwrap().player_pair);
    assert!(!coup_of("Kh 2c Qd 3s 4h 4d").outcome().unwrap().player_pair);
    let both = coup_of("4h 4c 4d 4s").outcome().unwrap();
    assert!(both.player_pair && both.banker_pair && both.winner == Winner::Tie);
}

#[test]
fn eight_deck_odds_match_the_published_values() {
    let shoe = Composition::decks(8).unwrap();
    let odds = odds(&shoe, &Coup::new());
    assert_close(odds.banker, 0.458597, 5e-7, "banker");
    assert_close(odds.player, 0.446247, 5e-7, "player");
    assert_close(odds.tie, 0.095156, 5e-7, "tie");
    // 13 ranks of 32 cards: sum n(n-1) / (N(N-1)).
    let pair = 13.0 * 32.0 * 31.0 / (416.0 * 415.0);
    assert_close(odds.player_pair, pair, 1e-12, "player_pair");
    assert_close(odds.banker_pair, pair, 1e-12, "banker_pair");
    assert_close(odds.banker + odds.player + odds.tie, 1.0, 1e-12, "sum");
}

#[test]
fn odds_of_a_complete_coup_are_certain() {
    let coup = coup_of("Kh 2c Kd 3s 9h");
    let mut shoe = Composition::decks(8).unwrap();
    shoe.remove_all(&coup.cards().iter().map(|(_, c)| *c).collect::<Vec<_>>())
        .unwrap();
    let odds = odds(&shoe, &coup);
    let winner = coup.outcome().unwrap().winner;
    assert_eq!(winner, Winner::Player);
    assert_eq!(
        (odds.player, odds.banker, odds.tie, odds.player_pair, odds.banker_pair),
        (1.0, 0.0, 0.0, 1.0, 0.0)
    );
    // Even with an empty shoe: nothing is left to draw.
    assert_eq!(super::odds(&Composition::from_counts([0; 13]), &coup).player, 1.0);
}

/// The reference: every ordering of the physical cards left, dealt one by one into the
/// coup, each path weighed by the chance of drawing exactly those cards in that order.
fn brute_force(remaining: &[Card], coup: &Coup) -> Odds {
    fn walk(remaining: &[Card], used: &mut Vec<bool>, coup: &mut Coup, weight: f64, mass: &mut [f64; 5]) {
        if let Some(outcome) = coup.outcome() {
            match outcome.winner {
                Winner::Banker => mass[0] += weight,
                Winner::Player => mass[1] += weight,
                Winner::Tie => mass[2] += weight,
            }
            mass[3] += if outcome.player_pair { weight } else { 0.0 };
            mass[4] += if outcome.banker_pair { weight } else { 0.0 };
            return;
        }
        let left = used.iter().filter(|u| !**u).count();
        for i in 0..remaining.len() {
            if used[i] {
                continue;
            }
            used[i] = true;
            coup.deal(remaining[i]).unwrap();
            walk(remaining, used, coup, weight / left as f64, mass);
            coup.undo().unwrap();
            used[i] = false;
        }
    }
    let mut mass = [0.0; 5];
    walk(
        remaining,
        &mut vec![false; remaining.len()],
        &mut coup.clone(),
        1.0,
        &mut mass,
    );
    let total = mass[0] + mass[1] + mass[2];
    if total == 0.0 {
        return Odds::ZERO;
    }
    Odds {
        banker: mass[0] / total,
        player: mass[1] / total,
        tie: mass[2] / total,
        player_pair: mass[3] / total,
        banker_pair: mass[4] / total,
    }
}

/// `count` cards of one deck picked by a stride, none of them in `dealt`.
fn small_shoe(count: usize, stride: u8, offset: u8, dealt: &Coup) -> Vec<Card> {
    let dealt: Vec<Card> = dealt.cards().iter().map(|(_, c)| *c).collect();
    (0..52u32)
        .map(|i| Card::from_index(((i * u32::from(stride) + u32::from(offset)) % 52) as u8).unwrap())
        .filter(|c| !dealt.contains(c))
        .take(count)
        .collect()
}

#[test]
fn odds_equal_brute_force_over_orderings_of_a_small_shoe() {
    let cases: [(&str, usize, u8, u8); 9] = [
        ("", 9, 7, 0),
        ("", 9, 5, 3),
        ("", 8, 11, 1),
        ("Ah", 10, 3, 2),
        ("Ah 3d", 12, 7, 5),
        ("Ah 3d 4c", 13, 9, 1),
        ("2h 3d 3s Kd", 20, 7, 4),
        ("6h 3d Ks Kd", 20, 5, 0),
        ("2h 2d 3s 3d 7c", 25, 3, 1),
    ];
    for (dealt, count, stride, offset) in cases {
        let coup = coup_of(dealt);
        let remaining = small_shoe(count, stride, offset, &coup);
        assert_eq!(remaining.len(), count);
        let fast = odds(&composition_of(&remaining), &coup);
        let reference = brute_force(&remaining, &coup);
        assert_odds_close(&fast, &reference, 1e-12);
        assert_close(fast.banker + fast.player + fast.tie, 1.0, 1e-12, "sum");
    }
}

#[test]
fn short_shoes_condition_on_the_completions_that_exist() {
    for (dealt, count) in [
        ("", 0),
        ("", 3),
        ("", 4),
        ("", 5),
        ("Ah", 4),
        ("2h 3d", 3),
        ("2h 3d 3s Kd", 1),
    ] {
        let coup = coup_of(dealt);
        for stride in [1, 3, 5, 7, 11] {
            let remaining = small_shoe(count, stride, 0, &coup);
            let fast = odds(&composition_of(&remaining), &coup);
            assert_odds_close(&fast, &brute_force(&remaining, &coup), 1e-12);
            let sum = fast.banker + fast.player + fast.tie;
            assert!(sum == 0.0 || (sum - 1.0).abs() < 1e-12, "sum {sum}");
        }
    }
    let nothing = odds(&Composition::from_counts([0; 13]), &Coup::new());
    assert_eq!(nothing, Odds::ZERO);
}

#[test]
fn a_shoe_of_tens_always_ties_with_pairs() {
    let mut counts = [0u16; 13];
    counts[Rank::Ten.index()] = 100;
    let odds = odds(&Composition::from_counts(counts), &Coup::new());
    assert_odds_close(
        &odds,
        &Odds {
            banker: 0.0,
            player: 0.0,
            tie: 1.0,
            player_pair: 1.0,
            banker_pair: 1.0,
        },
        1e-12,
    );
}

#[test]
fn the_largest_shoes_a_composition_holds_neither_overflow_nor_panic() {
    let mut one_rank = [0u16; 13];
    one_rank[Rank::Two.index()] = u16::MAX;
    let mut two_ranks = [0u16; 13];
    two_ranks[Rank::Ten.index()] = 32_767;
    two_ranks[Rank::King.index()] = 32_768;
    let mut two_values = [0u16; 13];
    two_values[Rank::Ace.index()] = 32_767;
    two_values[Rank::Two.index()] = 32_768;
    for counts in [one_rank, two_ranks, two_values, [5041; 13]] {
        let shoe = Composition::from_counts(counts);
        for dealt in ["", "Ah", "2h 3d", "2h 3d 3s Kd"] {
            let odds = odds(&shoe, &coup_of(dealt));
            assert_close(odds.banker + odds.player + odds.tie, 1.0, 1e-9, dealt);
            for p in [odds.banker, odds.player, odds.tie, odds.player_pair, odds.banker_pair] {
                assert!((0.0..=1.0 + 1e-12).contains(&p), "{counts:?} {dealt}: {odds:?}");
            }
        }
    }
    // All twos: player 4, banker 4, both draw a 2: a tie every time.
    assert_close(
        odds(&Composition::from_counts(one_rank), &Coup::new()).tie,
        1.0,
        1e-12,
        "tie",
    );
}

fn any_card() -> impl Strategy<Value = Card> {
    (0u8..52).prop_map(|i| Card::from_index(i).unwrap())
}

fn any_outcome() -> impl Strategy<Value = Outcome> {
    proptest::collection::vec(any_card(), 6).prop_map(|cards| {
        let mut coup = Coup::new();
        for c in cards {
            if coup.deal(c).is_err() {
                break;
            }
        }
        coup.outcome().unwrap()
    })
}

proptest! {
    #[test]
    fn settlement_never_pays_a_losing_bet(outcome in any_outcome(), stake in 0i64..=1_000_000_000_000) {
        let stake = Amount(stake);
        for spot in Spot::ALL {
            let paid = payout(spot, stake, &outcome).unwrap();
            prop_assert!(paid.minor() >= 0);
            prop_assert!(paid <= max_return(spot, stake).unwrap());
        }
        let paid = |spot| payout(spot, stake, &outcome).unwrap();
        match outcome.winner {
            Winner::Player => {
                prop_assert_eq!(paid(Spot::Banker), Amount::ZERO);
                prop_assert_eq!(paid(Spot::Tie), Amount::ZERO);
                prop_assert!(paid(Spot::Player) > stake || stake == Amount::ZERO);
            }
            Winner::Banker => {
                prop_assert_eq!(paid(Spot::Player), Amount::ZERO);
                prop_assert_eq!(paid(Spot::Tie), Amount::ZERO);
            }
            Winner::Tie => {
                prop_assert_eq!(paid(Spot::Player), stake);
                prop_assert_eq!(paid(Spot::Banker), stake);
            }
        }
        if !outcome.player_pair {
            prop_assert_eq!(paid(Spot::PlayerPair), Amount::ZERO);
        }
        if !outcome.banker_pair {
            prop_assert_eq!(paid(Spot::BankerPair), Amount::ZERO);
        }
    }

    #[test]
    fn any_stake_settles_without_panicking(outcome in any_outcome(), stake in any::<i64>()) {
        for spot in Spot::ALL {
            let paid = payout(spot, Amount(stake), &outcome);
            if let Some(paid) = paid {
                prop_assert!(paid.minor() >= 0);
            }
            // A stake whose best case overflows is refused at betting time, so the
            // bound only has to hold where it exists.
            if let (Some(paid), Some(most)) = (paid, max_return(spot, Amount(stake))) {
                prop_assert!(paid <= most);
            }
        }
    }

    #[test]
    fn deal_then_undo_restores_every_state(cards in proptest::collection::vec(any_card(), 0..10)) {
        let mut coup = Coup::new();
        let mut states = vec![coup.clone()];
        let mut dealt = Vec::new();
        for c in cards {
            let expected = coup.next_position();
            match coup.deal(c) {
                Ok(position) => {
                    prop_assert_eq!(Some(position), expected);
                    dealt.push((position, c));
                    states.push(coup.clone());
                }
                Err(error) => {
                    prop_assert_eq!(error, RuleError::NoCardExpected);
                    prop_assert!(coup.is_complete());
                    prop_assert!(coup.outcome().is_some());
                }
            }
        }
        prop_assert_eq!(coup.cards(), dealt.clone());
        states.pop();
        while let Some(previous) = states.pop() {
            let undone = coup.undo().unwrap();
            prop_assert_eq!(Some(undone), dealt.pop());
            prop_assert_eq!(&coup, &previous);
        }
        prop_assert_eq!(coup.undo(), Err(RuleError::NothingToUndo));
    }

    /// The fast engine against the rank-by-rank walk, on random shoes from a handful of
    /// cards to eight decks, after at least three cards (keeps the walk quick).
    #[test]
    fn fast_odds_equal_the_rank_walk(
        cards in proptest::collection::vec(any_card(), 3..7),
        counts in proptest::array::uniform13(0u16..=32),
    ) {
        let mut coup = Coup::new();
        for c in cards {
            if coup.deal(c).is_err() {
                break;
            }
        }
        let shoe = Composition::from_counts(counts);
        let fast = odds(&shoe, &coup);
        let reference = odds_by_rank(&shoe, &coup);
        assert_odds_close(&fast, &reference, 1e-9);
        for p in [fast.banker, fast.player, fast.tie, fast.player_pair, fast.banker_pair] {
            prop_assert!((0.0..=1.0 + 1e-12).contains(&p));
        }
    }
}
