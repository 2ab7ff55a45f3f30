//! Unit tests of the blackjack rules: the deal order, decisions, settlement, the wire
//! shapes and the dealer's odds, each checked on hands dealt card by card.

use super::hands::{dealer_stands, is_natural};
use super::odds::{outcome_index, OUTCOMES};
use super::*;
use crate::domain::cards::{parse_cards, Composition, Rank, Suit};
use crate::domain::error::RuleError;

fn cards(text: &str) -> Vec<Card> {
    parse_cards(text).unwrap()
}

fn round(rules: Rules, seats: &[(u8, i64)]) -> Round {
    let seats: Vec<(u8, Amount)> = seats.iter().map(|&(seat, stake)| (seat, Amount(stake))).collect();
    Round::new(rules, &seats).unwrap()
}

fn deal(round: &mut Round, text: &str) -> Vec<Target> {
    cards(text).into_iter().map(|card| round.deal(card).unwrap()).collect()
}

fn seat(seat: u8, hand: u8) -> Target {
    Target::Seat { seat, hand }
}

fn view(round: &Round, seat: u8, hand: u8) -> HandView {
    round
        .hands()
        .into_iter()
        .find(|h| h.seat == seat && h.hand == hand)
        .unwrap()
}

/// `(hand, bet, stake, payout, outcome)` per result of `seat`.
fn results(round: &Round, seat: u8) -> Vec<(u8, BetKind, i64, i64, Outcome)> {
    round
        .settle()
        .unwrap()
        .into_iter()
        .filter(|r| r.seat == seat)
        .map(|r| (r.hand, r.bet, r.stake.0, r.payout.0, r.outcome))
        .collect()
}

#[test]
fn deals_seats_then_up_card_then_seats_in_seat_order() {
    let mut r = round(Rules::default(), &[(5, 10), (2, 10), (7, 10)]);
    assert_eq!(r.next_card_target(), Some(seat(2, 0)));
    let targets = deal(&mut r, "9c 8c 7c 6d 5c 5d 5h");
    assert_eq!(
        targets,
        [
            seat(2, 0),
            seat(5, 0),
            seat(7, 0),
            Target::Dealer,
            seat(2, 0),
            seat(5, 0),
            seat(7, 0)
        ]
    );
    assert_eq!(r.dealer_cards(), cards("6d"));
    assert_eq!(r.next_card_target(), None);
    assert_eq!(r.awaiting_decision(), Some((2, 0)));
    assert_eq!(r.legal_actions(), [Action::Hit, Action::Stand, Action::Double]);
    assert_eq!(r.deal(cards("2c")[0]), Err(RuleError::NoCardExpected));
    assert_eq!(r.cards().len(), 7);
    let hand = view(&r, 5, 0);
    assert_eq!(
        (hand.total, hand.soft, hand.status, hand.stake),
        (13, false, HandStatus::Playing, Amount(10))
    );
}

#[test]
fn player_blackjack_does_not_act_and_pays_3_to_2_rounded_down() {
    let mut r = round(Rules::default(), &[(1, 5), (2, 10)]);
    deal(&mut r, "As 9c 9d Kh 8c");
    assert_eq!(view(&r, 1, 0).status, HandStatus::Blackjack);
    assert_eq!(r.awaiting_decision(), Some((2, 0)));
    assert_eq!(r.act(1, 0, Action::Stand), Err(RuleError::NotYourTurn));
    r.act(2, 0, Action::Stand).unwrap();
    assert_eq!(deal(&mut r, "9h"), [Target::Dealer]);
    assert!(r.is_finished());
    assert_eq!(results(&r, 1), [(0, BetKind::Main, 5, 12, Outcome::Blackjack)]);
    assert_eq!(results(&r, 2), [(0, BetKind::Main, 10, 0, Outcome::Lose)]);
}

#[test]
fn twenty_one_stands_by_itself_and_a_bust_ends_the_hand() {
    let mut r = round(Rules::default(), &[(1, 10), (3, 10)]);
    deal(&mut r, "5c 9c 7d 6c 9d");
    r.act(1, 0, Action::Hit).unwrap();
    assert_eq!(r.awaiting_decision(), None);
    assert_eq!(r.next_card_target(), Some(seat(1, 0)));
    deal(&mut r, "Tc");
    assert_eq!(view(&r, 1, 0).status, HandStatus::Stood);
    assert_eq!(view(&r, 1, 0).total, 21);
    assert_eq!(r.awaiting_decision(), Some((3, 0)));
    r.act(3, 0, Action::Hit).unwrap();
    deal(&mut r, "Kh");
    assert_eq!(view(&r, 3, 0).status, HandStatus::Busted);
    assert_eq!(r.next_card_target(), Some(Target::Dealer));
    deal(&mut r, "Th"); // 7 + 10 = 17: stands
    assert!(r.is_finished());
    assert_eq!(results(&r, 1), [(0, BetKind::Main, 10, 20, Outcome::Win)]);
    assert_eq!(results(&r, 3), [(0, BetKind::Main, 10, 0, Outcome::Lose)]);
}

#[test]
fn ten_value_cards_split_and_new_hands_are_appended() {
    let mut r = round(Rules::default(), &[(4, 10)]);
    deal(&mut r, "Kc 6d Qh");
    assert!(r.legal_actions().contains(&Action::Split));
    assert_eq!(r.extra_stake(4, 0, Action::Split), Ok(Amount(10)));
    assert_eq!(r.act(4, 0, Action::Split), Ok(ActionEffect::ExtraStake(Amount(10))));
    assert_eq!(view(&r, 4, 0).cards, cards("Kc"));
    assert_eq!(view(&r, 4, 1).cards, cards("Qh"));
    assert_eq!(r.next_card_target(), Some(seat(4, 0)));
    deal(&mut r, "Ks");
    // Resplit: the third hand goes after hand 1, so hand 1 keeps its index.
    r.act(4, 0, Action::Split).unwrap();
    assert_eq!(view(&r, 4, 1).cards, cards("Qh"));
    assert_eq!(view(&r, 4, 2).cards, cards("Ks"));
    deal(&mut r, "Ac"); // 21 after a split: stands, not a blackjack
    assert_eq!(view(&r, 4, 0).status, HandStatus::Stood);
    assert_eq!(r.next_card_target(), Some(seat(4, 1)));
    deal(&mut r, "9c");
    r.act(4, 1, Action::Stand).unwrap();
    deal(&mut r, "7c");
    r.act(4, 2, Action::Stand).unwrap();
    deal(&mut r, "Td"); // dealer 16: draws
    deal(&mut r, "5d"); // 21
    assert!(r.is_finished());
    assert_eq!(
        results(&r, 4),
        [
            (0, BetKind::Main, 10, 10, Outcome::Push),
            (1, BetKind::Main, 10, 0, Outcome::Lose),
            (2, BetKind::Main, 10, 0, Outcome::Lose),
        ]
    );
}

#[test]
fn split_aces_take_one_card_each() {
    let mut r = round(Rules::default(), &[(1, 10)]);
    deal(&mut r, "Ac 9d Ah");
    r.act(1, 0, Action::Split).unwrap();
    deal(&mut r, "Kd");
    assert_eq!(view(&r, 1, 0).status, HandStatus::Stood);
    assert_eq!(r.next_card_target(), Some(seat(1, 1)));
    deal(&mut r, "As"); // a third ace: no resplit, the hand is done
    assert_eq!(view(&r, 1, 1).status, HandStatus::Stood);
    assert_eq!(r.awaiting_decision(), None);
    assert_eq!(r.next_card_target(), Some(Target::Dealer));
    deal(&mut r, "Tc"); // 19
    assert_eq!(
        results(&r, 1),
        [
            (0, BetKind::Main, 10, 20, Outcome::Win),
            (1, BetKind::Main, 10, 0, Outcome::Lose)
        ]
    );
}

#[test]
fn splits_stop_at_the_hand_limit() {
    let mut r = round(
        Rules {
            max_hands: 2,
            ..Rules::default()
        },
        &[(1, 10)],
    );
    deal(&mut r, "8c 9d 8h");
    r.act(1, 0, Action::Split).unwrap();
    deal(&mut r, "8s");
    assert!(!r.legal_actions().contains(&Action::Split));
    assert!(matches!(r.act(1, 0, Action::Split), Err(RuleError::IllegalAction(_))));

    let mut r = round(
        Rules {
            max_hands: 1,
            ..Rules::default()
        },
        &[(1, 10)],
    );
    deal(&mut r, "8c 9d 8h");
    assert!(matches!(
        r.extra_stake(1, 0, Action::Split),
        Err(RuleError::IllegalAction(_))
    ));

    let mut r = round(Rules::default(), &[(1, 10)]);
    deal(&mut r, "8c 9d 8h");
    for _ in 0..3 {
        r.act(1, 0, Action::Split).unwrap();
        deal(&mut r, "8d");
    }
    assert_eq!(r.hands().len(), 4);
    assert!(matches!(r.act(1, 0, Action::Split), Err(RuleError::IllegalAction(_))));
    let mut r2 = round(Rules::default(), &[(1, 10)]);
    deal(&mut r2, "8c 9d 7h");
    assert!(matches!(r2.act(1, 0, Action::Split), Err(RuleError::IllegalAction(_))));
}

#[test]
fn a_double_takes_exactly_one_card() {
    let mut r = round(Rules::default(), &[(1, 10), (2, 10)]);
    deal(&mut r, "5c 6c 7d 6d 6h");
    assert_eq!(r.act(1, 0, Action::Double), Ok(ActionEffect::ExtraStake(Amount(10))));
    assert_eq!(r.awaiting_decision(), None);
    deal(&mut r, "2c");
    let hand = view(&r, 1, 0);
    assert_eq!(
        (hand.total, hand.status, hand.stake, hand.doubled),
        (13, HandStatus::Doubled, Amount(20), true)
    );
    assert_eq!(r.awaiting_decision(), Some((2, 0)));
    r.act(2, 0, Action::Double).unwrap();
    deal(&mut r, "Kc");
    assert_eq!(view(&r, 2, 0).status, HandStatus::Busted);
    deal(&mut r, "Ts"); // dealer 17
    assert_eq!(results(&r, 1), [(0, BetKind::Main, 20, 0, Outcome::Lose)]);
    assert_eq!(results(&r, 2), [(0, BetKind::Main, 20, 0, Outcome::Lose)]);

    let mut r = round(Rules::default(), &[(1, 10)]);
    deal(&mut r, "5c 6c 2d");
    r.act(1, 0, Action::Hit).unwrap();
    deal(&mut r, "2h");
    assert!(matches!(r.act(1, 0, Action::Double), Err(RuleError::IllegalAction(_))));
}

#[test]
fn double_after_split_follows_the_rules() {
    for das in [true, false] {
        let mut r = round(
            Rules {
                double_after_split: das,
                ..Rules::default()
            },
            &[(1, 10)],
        );
        deal(&mut r, "4c 6c 4d");
        r.act(1, 0, Action::Split).unwrap();
        deal(&mut r, "7s");
        assert_eq!(r.legal_actions().contains(&Action::Double), das);
        let doubled = r.act(1, 0, Action::Double);
        if das {
            assert_eq!(doubled, Ok(ActionEffect::ExtraStake(Amount(10))));
            deal(&mut r, "Th");
            assert_eq!(view(&r, 1, 0).stake, Amount(20));
            assert_eq!(view(&r, 1, 0).status, HandStatus::Doubled);
        } else {
            assert!(matches!(doubled, Err(RuleError::IllegalAction(_))));
        }
    }
}

#[test]
fn dealer_stands_on_soft_17_unless_the_table_hits_it() {
    for hits in [false, true] {
        let mut r = round(
            Rules {
                dealer_hits_soft_17: hits,
                ..Rules::default()
            },
            &[(1, 10)],
        );
        deal(&mut r, "Tc Ad 8c");
        r.act(1, 0, Action::Stand).unwrap();
        deal(&mut r, "6h");
        assert_eq!(r.is_finished(), !hits);
        if hits {
            deal(&mut r, "2h"); // soft 19
            assert!(r.is_finished());
            assert_eq!(results(&r, 1), [(0, BetKind::Main, 10, 0, Outcome::Lose)]);
        } else {
            assert_eq!(results(&r, 1), [(0, BetKind::Main, 10, 20, Outcome::Win)]);
        }
    }
    // Hard 17 stands under H17 too.
    let mut r = round(
        Rules {
            dealer_hits_soft_17: true,
            ..Rules::default()
        },
        &[(1, 10)],
    );
    deal(&mut r, "Tc Td 7c");
    r.act(1, 0, Action::Stand).unwrap();
    deal(&mut r, "7h");
    assert!(r.is_finished());
    assert_eq!(results(&r, 1), [(0, BetKind::Main, 10, 10, Outcome::Push)]);
}

#[test]
fn dealer_takes_only_one_card_when_nothing_is_left_to_beat() {
    let mut r = round(Rules::default(), &[(1, 10), (2, 10)]);
    deal(&mut r, "Tc Ac 5d 6c Kd");
    r.act(1, 0, Action::Hit).unwrap();
    deal(&mut r, "Th");
    assert_eq!(view(&r, 1, 0).status, HandStatus::Busted);
    assert_eq!(r.next_card_target(), Some(Target::Dealer));
    deal(&mut r, "6h"); // dealer 11, would draw, but nobody is left to beat
    assert!(r.is_finished());
    assert_eq!(r.next_card_target(), None);
    assert_eq!(results(&r, 1), [(0, BetKind::Main, 10, 0, Outcome::Lose)]);
    assert_eq!(results(&r, 2), [(0, BetKind::Main, 10, 25, Outcome::Blackjack)]);
    assert_eq!(dealer_odds_for_round(&r, &Composition::decks(8).unwrap()), None);
}

#[test]
fn dealer_blackjack_takes_original_bets_only_and_pushes_blackjacks() {
    let mut r = round(Rules::default(), &[(1, 10), (2, 10), (3, 10)]);
    deal(&mut r, "5c 8c As Ad 6c 8d Ks");
    assert_eq!(r.act(1, 0, Action::Double), Ok(ActionEffect::ExtraStake(Amount(10))));
    deal(&mut r, "9c");
    r.act(2, 0, Action::Split).unwrap();
    deal(&mut r, "3h");
    r.act(2, 0, Action::Double).unwrap();
    deal(&mut r, "Kh");
    deal(&mut r, "9h");
    r.act(2, 1, Action::Stand).unwrap();
    deal(&mut r, "Kd");
    assert!(r.is_finished());
    assert_eq!(results(&r, 1), [(0, BetKind::Main, 20, 10, Outcome::Lose)]);
    assert_eq!(
        results(&r, 2),
        [
            (0, BetKind::Main, 20, 10, Outcome::Lose),
            (1, BetKind::Main, 10, 10, Outcome::Lose)
        ]
    );
    assert_eq!(results(&r, 3), [(0, BetKind::Main, 10, 10, Outcome::Push)]);
}

#[test]
fn dealer_blackjack_returns_the_extras_of_busted_hands_too() {
    let mut r = round(Rules::default(), &[(1, 10)]);
    deal(&mut r, "6c Kd 6h");
    r.act(1, 0, Action::Double).unwrap();
    deal(&mut r, "Kc");
    assert_eq!(view(&r, 1, 0).status, HandStatus::Busted);
    deal(&mut r, "As");
    assert_eq!(results(&r, 1), [(0, BetKind::Main, 20, 10, Outcome::Lose)]);
}

#[test]
fn wins_pushes_and_dealer_busts() {
    let mut r = round(Rules::default(), &[(1, 7), (2, 7), (3, 7), (4, 7)]);
    deal(&mut r, "Tc Td Tc 9d 6s Th 9h 6c 5d");
    for seat in 1..=4 {
        r.act(seat, 0, Action::Stand).unwrap();
    }
    deal(&mut r, "Ks 5h"); // 6 + 10 + 5 = 21
    assert_eq!(results(&r, 1)[0].3, 0);
    assert_eq!(results(&r, 2)[0].3, 0);

    let mut r = round(Rules::default(), &[(1, 7), (2, 7)]);
    deal(&mut r, "Tc Td 6s Th 9h");
    r.act(1, 0, Action::Stand).unwrap();
    r.act(2, 0, Action::Stand).unwrap();
    deal(&mut r, "4c Qc"); // 20
    assert_eq!(results(&r, 1), [(0, BetKind::Main, 7, 7, Outcome::Push)]);
    assert_eq!(results(&r, 2), [(0, BetKind::Main, 7, 0, Outcome::Lose)]);

    let mut r = round(Rules::default(), &[(1, 7)]);
    deal(&mut r, "2c 6s 3h");
    r.act(1, 0, Action::Stand).unwrap();
    deal(&mut r, "Tc 6c"); // 22
    assert_eq!(results(&r, 1), [(0, BetKind::Main, 7, 14, Outcome::Win)]);
}

#[test]
fn insurance_costs_half_and_pays_2_to_1_on_a_dealer_blackjack() {
    let rules = Rules {
        insurance: true,
        ..Rules::default()
    };
    for dealer_second in ["Kd", "6d"] {
        let mut r = round(rules, &[(1, 11), (2, 10)]);
        deal(&mut r, "Tc 9c Ah 8c 8d");
        assert!(r.legal_actions().contains(&Action::Insurance));
        assert_eq!(r.extra_stake(1, 0, Action::Insurance), Ok(Amount(5)));
        assert_eq!(r.act(1, 0, Action::Insurance), Ok(ActionEffect::ExtraStake(Amount(5))));
        assert_eq!(r.awaiting_decision(), Some((1, 0)));
        assert!(matches!(
            r.act(1, 0, Action::Insurance),
            Err(RuleError::IllegalAction(_))
        ));
        assert_eq!(r.insurance(), [(1, Amount(5))]);
        r.act(1, 0, Action::Stand).unwrap();
        r.act(2, 0, Action::Hit).unwrap();
        deal(&mut r, "2s");
        assert!(matches!(
            r.act(2, 0, Action::Insurance),
            Err(RuleError::IllegalAction(_))
        ));
        r.act(2, 0, Action::Stand).unwrap();
        deal(&mut r, dealer_second);
        assert!(r.is_finished());
        if dealer_second == "Kd" {
            assert_eq!(
                results(&r, 1),
                [
                    (0, BetKind::Main, 11, 0, Outcome::Lose),
                    (0, BetKind::Insurance, 5, 15, Outcome::Win)
                ]
            );
        } else {
            assert_eq!(
                results(&r, 1),
                [
                    (0, BetKind::Main, 11, 22, Outcome::Win),
                    (0, BetKind::Insurance, 5, 0, Outcome::Lose)
                ]
            );
        }
    }
    // Not offered: table without insurance, no ace up, a stake too small to halve.
    let mut r = round(Rules::default(), &[(1, 10)]);
    deal(&mut r, "Tc Ah 8c");
    assert!(matches!(
        r.act(1, 0, Action::Insurance),
        Err(RuleError::IllegalAction(_))
    ));
    let mut r = round(rules, &[(1, 10)]);
    deal(&mut r, "Tc Kh 8c");
    assert!(!r.legal_actions().contains(&Action::Insurance));
    let mut r = round(rules, &[(1, 1)]);
    deal(&mut r, "Tc Ah 8c");
    assert!(matches!(
        r.act(1, 0, Action::Insurance),
        Err(RuleError::IllegalAction(_))
    ));
}

#[test]
fn decisions_out_of_turn_or_against_the_rules_are_errors() {
    let mut r = round(Rules::default(), &[(1, 10), (2, 10)]);
    assert_eq!(r.act(1, 0, Action::Stand), Err(RuleError::NotYourTurn));
    assert_eq!(r.undo(), Err(RuleError::NothingToUndo));
    assert_eq!(r.settle(), None);
    deal(&mut r, "Tc 9c 7d 6c 9d");
    assert_eq!(r.act(2, 0, Action::Stand), Err(RuleError::NotYourTurn));
    assert_eq!(r.act(1, 1, Action::Stand), Err(RuleError::NotYourTurn));
    assert_eq!(r.act(9, 0, Action::Stand), Err(RuleError::NotYourTurn));
    assert_eq!(r.extra_stake(1, 0, Action::Hit), Ok(Amount::ZERO));
    assert!(matches!(r.act(1, 0, Action::Split), Err(RuleError::IllegalAction(_))));
    r.act(1, 0, Action::Hit).unwrap();
    assert_eq!(r.act(1, 0, Action::Stand), Err(RuleError::NotYourTurn));
    assert_eq!(r.legal_actions(), []);
    deal(&mut r, "2c");
    r.act(1, 0, Action::Stand).unwrap();
    assert_eq!(r.undo(), Err(RuleError::NothingToUndo));
    r.act(2, 0, Action::Stand).unwrap();
    deal(&mut r, "Tc");
    assert_eq!(r.deal(cards("2c")[0]), Err(RuleError::NoCardExpected));
    assert_eq!(r.act(2, 0, Action::Stand), Err(RuleError::NotYourTurn));
}

#[test]
fn undo_takes_back_only_the_last_card() {
    let mut r = round(Rules::default(), &[(1, 10), (2, 10)]);
    let mut before = Vec::new();
    for card in cards("Tc Kc 7d 5c Ad") {
        before.push(r.clone());
        r.deal(card).unwrap();
    }
    assert_eq!(view(&r, 2, 0).status, HandStatus::Blackjack);
    assert_eq!(r.undo(), Ok((seat(2, 0), cards("Ad")[0])));
    assert_eq!(&r, before.last().unwrap());
    r.deal(cards("4d")[0]).unwrap();
    r.act(1, 0, Action::Hit).unwrap();
    let after_hit = r.clone();
    r.deal(cards("Kh")[0]).unwrap();
    assert_eq!(view(&r, 1, 0).status, HandStatus::Busted);
    assert_eq!(r.undo(), Ok((seat(1, 0), cards("Kh")[0])));
    assert_eq!(r, after_hit);
    assert_eq!(r.next_card_target(), Some(seat(1, 0)));
    assert_eq!(r.undo(), Err(RuleError::NothingToUndo));
    r.deal(cards("2h")[0]).unwrap();
    r.act(1, 0, Action::Stand).unwrap();
    r.act(2, 0, Action::Stand).unwrap();
    let before_dealer = r.clone();
    r.deal(cards("Th")[0]).unwrap();
    assert!(r.is_finished());
    r.undo().unwrap();
    assert_eq!(r, before_dealer);
    r.deal_to(Target::Dealer, cards("Th")[0]).unwrap();
    assert!(r.is_finished());
    assert!(r.clone().undo().is_ok());

    let mut r = round(Rules::default(), &[(1, 10)]);
    assert!(matches!(
        r.deal_to(Target::Dealer, cards("2c")[0]),
        Err(RuleError::WrongPosition { .. })
    ));
    assert_eq!(r.cards(), []);
}

#[test]
fn new_rounds_are_validated() {
    let ok = [(1, Amount(10))];
    assert!(Round::new(Rules::default(), &ok).is_ok());
    assert!(matches!(
        Round::new(Rules::default(), &[]),
        Err(RuleError::IllegalAction(_))
    ));
    for seat in [0, 8, 255] {
        assert!(matches!(
            Round::new(Rules::default(), &[(seat, Amount(10))]),
            Err(RuleError::UnknownSpot(_))
        ));
    }
    assert!(matches!(
        Round::new(Rules::default(), &[(3, Amount(10)), (1, Amount(5)), (3, Amount(10))]),
        Err(RuleError::UnknownSpot(_))
    ));
    for stake in [0, -5] {
        assert_eq!(
            Round::new(Rules::default(), &[(1, Amount(stake))]),
            Err(RuleError::BadAmount)
        );
    }
    assert!(matches!(
        Round::new(Rules::default(), &[(1, Amount(i64::MAX / 8))]),
        Err(RuleError::BetLimit(_))
    ));
    for max_hands in [0, 5, 255] {
        assert!(Round::new(
            Rules {
                max_hands,
                ..Rules::default()
            },
            &ok
        )
        .is_err());
    }
}

#[test]
fn max_return_counts_every_split_doubled() {
    assert_eq!(max_return(Amount(10)), Some(Amount(160)));
    assert_eq!(Rules::default().max_return(Amount(10)), Some(Amount(160)));
    assert_eq!(
        Rules {
            double_after_split: false,
            ..Rules::default()
        }
        .max_return(Amount(10)),
        Some(Amount(80))
    );
    assert_eq!(
        Rules {
            max_hands: 1,
            ..Rules::default()
        }
        .max_return(Amount(10)),
        Some(Amount(40))
    );
    assert_eq!(
        Rules {
            max_hands: 1,
            double_after_split: false,
            ..Rules::default()
        }
        .max_return(Amount(10)),
        Some(Amount(40))
    );
    assert_eq!(max_return(Amount(i64::MAX / 4)), None);
}

#[test]
fn actions_round_trip_through_their_wire_names() {
    for action in Action::ALL {
        assert_eq!(action.to_string().parse::<Action>(), Ok(action));
    }
    assert_eq!(" Hit ".parse::<Action>(), Ok(Action::Hit));
    for bad in ["", "surrender", "hitt", "é"] {
        assert!(matches!(bad.parse::<Action>(), Err(RuleError::IllegalAction(_))));
    }
}

#[test]
fn wire_shapes() {
    let odds = serde_json::to_value(dealer_odds(Rank::Six, &Deck::Infinite, false)).unwrap();
    let mut keys: Vec<&str> = odds.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["17", "18", "19", "20", "21", "blackjack", "bust"]);
    assert_eq!(
        serde_json::to_string(&seat(3, 1)).unwrap(),
        r#"{"kind":"seat","seat":3,"hand":1}"#
    );
    assert_eq!(serde_json::to_string(&Target::Dealer).unwrap(), r#"{"kind":"dealer"}"#);
    assert_eq!(serde_json::to_string(&Action::Double).unwrap(), r#""double""#);
}

// ---- dealer odds ----

#[test]
fn six_up_bust_matches_the_published_infinite_deck_figure() {
    let s17 = dealer_odds(Rank::Six, &Deck::Infinite, false);
    assert!((s17.bust - 0.4232).abs() < 5e-4, "{s17:?}");
    assert_eq!(s17.blackjack, 0.0);
    let h17 = dealer_odds(Rank::Six, &Deck::Infinite, true);
    assert!(h17.bust > s17.bust + 0.01, "{h17:?}");
    assert!(h17.p17 < s17.p17);
}

#[test]
fn distributions_sum_to_one_for_every_upcard() {
    for hits in [false, true] {
        for rank in Rank::ALL {
            for deck in [Deck::Infinite, Deck::Finite(Composition::decks(1).unwrap())] {
                let odds = dealer_odds(rank, &deck, hits);
                assert!((odds.total() - 1.0).abs() < 1e-12, "{rank:?} {odds:?}");
                assert!(odds.as_array().iter().all(|p| (0.0..=1.0).contains(p)));
            }
        }
    }
    let ace = dealer_odds(Rank::Ace, &Deck::Infinite, false);
    assert!((ace.blackjack - 4.0 / 13.0).abs() < 1e-12);
    let king = dealer_odds(Rank::King, &Deck::Infinite, false);
    assert!((king.blackjack - 1.0 / 13.0).abs() < 1e-12);
    // One deck, ten up: 4 aces among the 51 cards left.
    let ten = dealer_odds(
        Rank::Ten,
        &Deck::Finite(without(Composition::decks(1).unwrap(), &[Rank::Ten])),
        false,
    );
    assert!((ten.blackjack - 4.0 / 51.0).abs() < 1e-12);
}

fn without(mut composition: Composition, ranks: &[Rank]) -> Composition {
    for &rank in ranks {
        composition.remove(rank).unwrap();
    }
    composition
}

#[test]
fn eight_decks_are_close_to_an_infinite_deck() {
    for hits in [false, true] {
        for rank in Rank::ALL {
            let shoe = without(Composition::decks(8).unwrap(), &[rank]);
            let finite = dealer_odds(rank, &Deck::Finite(shoe), hits).as_array();
            let infinite = dealer_odds(rank, &Deck::Infinite, hits).as_array();
            for (f, i) in finite.iter().zip(infinite) {
                assert!((f - i).abs() < 0.005, "{rank:?}: {finite:?} vs {infinite:?}");
            }
        }
    }
}

/// Deals every ordering of the physical cards of `shoe` to a dealer holding `upcard` and
/// counts the results of the orderings that finish.
fn brute_force(upcard: Rank, shoe: &Composition, hits: bool) -> DealerOdds {
    let mut deck = Vec::new();
    for rank in Rank::ALL {
        deck.extend(vec![rank; usize::from(shoe.count(rank))]);
    }
    let mut tally = [0.0; OUTCOMES];
    let mut used = vec![false; deck.len()];
    fn walk(
        hand: &mut Vec<Card>,
        deck: &[Rank],
        used: &mut [bool],
        hits: bool,
        weight: f64,
        tally: &mut [f64; OUTCOMES],
    ) {
        let (total, soft) = hand_total(hand);
        if hand.len() >= 2 && (total > 21 || dealer_stands(total, soft, hits)) {
            tally[outcome_index(total, is_natural(hand))] += weight;
            return;
        }
        let left = used.iter().filter(|u| !**u).count();
        for index in 0..deck.len() {
            if !used[index] {
                used[index] = true;
                hand.push(Card::new(deck[index], Suit::Clubs));
                walk(hand, deck, used, hits, weight / left as f64, tally);
                hand.pop();
                used[index] = false;
            }
        }
    }
    walk(
        &mut vec![Card::new(upcard, Suit::Spades)],
        &deck,
        &mut used,
        hits,
        1.0,
        &mut tally,
    );
    let sum: f64 = tally.iter().sum();
    DealerOdds::from_array(if sum > 0.0 { tally.map(|p| p / sum) } else { tally })
}

fn assert_close(a: DealerOdds, b: DealerOdds) {
    for (x, y) in a.as_array().iter().zip(b.as_array()) {
        assert!((x - y).abs() < 1e-12, "{a:?} vs {b:?}");
    }
}

#[test]
fn finite_deck_equals_brute_force_on_tiny_shoes() {
    let mut counts = [0u16; 13];
    counts[Rank::Ace.index()] = 1;
    counts[Rank::Two.index()] = 2;
    counts[Rank::Five.index()] = 1;
    counts[Rank::Six.index()] = 1;
    counts[Rank::King.index()] = 2;
    counts[Rank::Queen.index()] = 1;
    let shoe = Composition::from_counts(counts);
    for hits in [false, true] {
        for upcard in [Rank::Ace, Rank::Two, Rank::Six, Rank::Ten] {
            let exact = dealer_odds(upcard, &Deck::Finite(shoe), hits);
            assert_close(exact, brute_force(upcard, &shoe, hits));
            assert!((exact.total() - 1.0).abs() < 1e-12);
        }
    }
    // Too small to finish from a 2: some orderings run out and are left out.
    let mut counts = [0u16; 13];
    counts[Rank::Two.index()] = 2;
    counts[Rank::Three.index()] = 1;
    counts[Rank::Ten.index()] = 1;
    let shoe = Composition::from_counts(counts);
    let exact = dealer_odds(Rank::Two, &Deck::Finite(shoe), false);
    assert_close(exact, brute_force(Rank::Two, &shoe, false));
    assert!((exact.total() - 1.0).abs() < 1e-12);
    // Nothing can finish: all zeros, no panic.
    let empty = dealer_odds(Rank::Two, &Deck::Finite(Composition::from_counts([0; 13])), false);
    assert_eq!(empty, DealerOdds::default());
}

#[test]
fn live_odds_follow_the_dealer_cards() {
    let mut r = round(Rules::default(), &[(1, 10)]);
    let mut shoe = Composition::decks(8).unwrap();
    assert_eq!(dealer_odds_for_round(&r, &shoe), None);
    for card in cards("Tc 6d 9c") {
        r.deal(card).unwrap();
        shoe.remove(card.rank).unwrap();
    }
    let live = dealer_odds_for_round(&r, &shoe).unwrap();
    assert_close(live, dealer_odds(Rank::Six, &Deck::Finite(shoe), false));
    r.act(1, 0, Action::Stand).unwrap();
    r.deal(cards("5h")[0]).unwrap();
    shoe.remove(Rank::Five).unwrap();
    let live = dealer_odds_for_round(&r, &shoe).unwrap();
    assert_eq!(live.blackjack, 0.0);
    assert!((live.total() - 1.0).abs() < 1e-12);
    assert!(live.p21 > 0.1, "11 makes 21 with any ten: {live:?}");
    r.deal(cards("8h")[0]).unwrap();
    shoe.remove(Rank::Eight).unwrap();
    assert!(r.is_finished());
    assert_eq!(
        dealer_odds_for_round(&r, &shoe),
        Some(DealerOdds {
            p19: 1.0,
            ..DealerOdds::default()
        })
    );
}
