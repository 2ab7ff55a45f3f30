//! Property tests of the blackjack rules: random tables, cards and legal decisions must
//! finish, settle within bounds and book exactly what was debited; small finite shoes give
//! odds that sum to one or to nothing.

use super::hands::{dealer_stands, is_natural};
use super::*;
use crate::domain::cards::{Composition, Rank, Suit};
use crate::domain::error::RuleError;
use proptest::prelude::*;

fn arb_rules() -> impl Strategy<Value = Rules> {
    (any::<bool>(), 1..=HANDS_PER_SEAT_LIMIT, any::<bool>(), any::<bool>()).prop_map(
        |(dealer_hits_soft_17, max_hands, double_after_split, insurance)| Rules {
            dealer_hits_soft_17,
            max_hands,
            double_after_split,
            insurance,
        },
    )
}

fn arb_seats() -> impl Strategy<Value = Vec<(u8, Amount)>> {
    proptest::collection::btree_map(SEAT_MIN..=SEAT_MAX, 1i64..=1_000, 1..=7)
        .prop_map(|seats| seats.into_iter().map(|(seat, stake)| (seat, Amount(stake))).collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Random tables, cards (biased towards pairs, so splits happen) and legal decisions,
    /// with the odd undo: every round finishes, settles, books exactly what was debited,
    /// pays no losing hand, and stays within max_return.
    #[test]
    fn random_rounds_finish_and_settle_within_bounds(
        rules in arb_rules(),
        seats in arb_seats(),
        choices in proptest::collection::vec(any::<u32>(), 400),
    ) {
        let mut round = Round::new(rules, &seats).unwrap();
        let mut debited: Vec<(u8, Amount)> = seats.clone();
        let mut choice = choices.into_iter().cycle();
        let mut last_rank = Rank::Ace;
        let mut steps = 0;
        while !round.is_finished() {
            steps += 1;
            prop_assert!(steps < 1_000, "the round never finished");
            prop_assert_eq!(round.settle(), None);
            let c = choice.next().unwrap_or(0);
            if round.next_card_target().is_some() {
                prop_assert_eq!(round.awaiting_decision(), None);
                let rank = if c % 3 == 0 { last_rank } else { Rank::ALL[(c / 3 % 13) as usize] };
                let card = Card::new(rank, Suit::ALL[(c / 64 % 4) as usize]);
                if c % 11 == 0 {
                    let before = round.clone();
                    let target = round.deal(card).unwrap();
                    prop_assert_eq!(round.undo(), Ok((target, card)));
                    prop_assert_eq!(&round, &before);
                }
                round.deal(card).unwrap();
                last_rank = rank;
            } else {
                let (seat, hand) = round.awaiting_decision().expect("neither a card nor a decision awaited");
                let legal = round.legal_actions();
                prop_assert!(legal.contains(&Action::Hit) && legal.contains(&Action::Stand));
                // Something not legal is refused without effect.
                if let Some(&illegal) = Action::ALL.iter().find(|a| !legal.contains(a)) {
                    let before = round.clone();
                    prop_assert!(round.act(seat, hand, illegal).is_err());
                    prop_assert_eq!(&round, &before);
                }
                prop_assert_eq!(round.act(seat.wrapping_add(1), hand, Action::Stand), Err(RuleError::NotYourTurn));
                // Lean towards splits and insurance, which uniform choices rarely reach.
                let action = if legal.contains(&Action::Split) && c % 4 != 3 {
                    Action::Split
                } else if legal.contains(&Action::Insurance) && c % 2 == 0 {
                    Action::Insurance
                } else {
                    legal[(c as usize >> 2) % legal.len()]
                };
                let quoted = round.extra_stake(seat, hand, action).unwrap();
                let effect = round.act(seat, hand, action).unwrap();
                match effect {
                    ActionEffect::None => prop_assert_eq!(quoted, Amount::ZERO),
                    ActionEffect::ExtraStake(extra) => {
                        prop_assert_eq!(quoted, extra);
                        prop_assert!(extra.is_positive());
                        let entry = debited.iter_mut().find(|(s, _)| *s == seat).unwrap();
                        entry.1 = entry.1.checked_add(extra).unwrap();
                    }
                }
                prop_assert_eq!(round.undo().is_err(), true);
            }
            for hand in round.hands() {
                prop_assert_eq!(hand.status == HandStatus::Busted, hand.total > 21);
                if hand.status == HandStatus::Playing && hand.cards.len() >= 2 {
                    prop_assert!(hand.total < 21);
                }
            }
        }
        prop_assert!(round.next_card_target().is_none() && round.awaiting_decision().is_none());

        let hands = round.hands();
        let dealer = round.dealer_cards();
        let (dealer_total, dealer_soft) = hand_total(dealer);
        let dealer_natural = is_natural(dealer);
        let nothing_to_beat = hands.iter().all(|h| matches!(h.status, HandStatus::Busted | HandStatus::Blackjack));
        if nothing_to_beat {
            prop_assert_eq!(dealer.len(), 2);
        } else {
            prop_assert!(dealer_total > 21 || dealer_stands(dealer_total, dealer_soft, rules.dealer_hits_soft_17));
            for drawn in 2..dealer.len() {
                let (total, soft) = hand_total(&dealer[..drawn]);
                prop_assert!(!dealer_stands(total, soft, rules.dealer_hits_soft_17));
            }
        }

        let results = round.settle().unwrap();
        for &(seat, stake) in &seats {
            let mine: Vec<&HandResult> = results.iter().filter(|r| r.seat == seat).collect();
            let staked = mine.iter().try_fold(Amount::ZERO, |sum, r| sum.checked_add(r.stake)).unwrap();
            let paid = mine.iter().try_fold(Amount::ZERO, |sum, r| sum.checked_add(r.payout)).unwrap();
            prop_assert_eq!(Some(&(seat, staked)), debited.iter().find(|(s, _)| *s == seat));
            prop_assert!(paid <= rules.max_return(stake).unwrap());
            prop_assert!(paid <= max_return(stake).unwrap());
            prop_assert!(mine.iter().filter(|r| r.bet == BetKind::Main).count() <= usize::from(rules.max_hands));
            let main_paid = mine
                .iter()
                .filter(|r| r.bet == BetKind::Main)
                .try_fold(Amount::ZERO, |sum, r| sum.checked_add(r.payout))
                .unwrap();
            let main_staked = hands.iter().filter(|h| h.seat == seat).map(|h| h.stake.0).sum::<i64>();
            let seat_blackjack = hands.iter().any(|h| h.seat == seat && h.status == HandStatus::Blackjack);
            if dealer_natural {
                // Original bets only: exactly the original stake is lost, or a blackjack pushes.
                let expected = if seat_blackjack { stake.0 } else { main_staked - stake.0 };
                prop_assert_eq!(main_paid.0, expected);
            }
        }
        for result in &results {
            prop_assert!(result.payout >= Amount::ZERO);
            if result.bet == BetKind::Insurance {
                prop_assert_eq!(result.payout.0, if dealer_natural { 3 * result.stake.0 } else { 0 });
                continue;
            }
            let hand = hands.iter().find(|h| h.seat == result.seat && h.hand == result.hand).unwrap();
            prop_assert_eq!(result.stake, hand.stake);
            if hand.status == HandStatus::Blackjack {
                prop_assert!(!hand.split && hand.cards.len() == 2 && hand.total == 21);
            }
            if dealer_natural {
                continue;
            }
            let lost = hand.status == HandStatus::Busted || (dealer_total <= 21 && hand.total < dealer_total);
            let expected = if hand.status == HandStatus::Blackjack {
                hand.stake.0 + hand.stake.0 * 3 / 2
            } else if lost {
                0
            } else if dealer_total > 21 || hand.total > dealer_total {
                2 * hand.stake.0
            } else {
                hand.stake.0
            };
            prop_assert_eq!(result.payout.0, expected);
        }
    }

    #[test]
    fn small_finite_shoes_sum_to_one_or_nothing(
        counts in proptest::array::uniform13(0u16..=2),
        upcard in 0usize..13,
        hits in any::<bool>(),
    ) {
        let shoe = Composition::from_counts(counts);
        let odds = dealer_odds(Rank::ALL[upcard], &Deck::Finite(shoe), hits);
        let total = odds.total();
        prop_assert!((total - 1.0).abs() < 1e-9 || total == 0.0, "{:?}", odds);
        prop_assert!(odds.as_array().iter().all(|p| (0.0..=1.0 + 1e-12).contains(p)));
    }
}
