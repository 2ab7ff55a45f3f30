//! What the table actor does with the text fields of a parsed frame (`src/actors/table.rs`),
//! replayed on the pure domain types: spot names, blackjack actions, cards, positions,
//! pockets and client seeds. Shared by the `protocol` and `cards_and_bets` targets.
//!
//! Each check asserts the documented contract of one parser: a refusal is the error with the
//! documented wire code, an acceptance round-trips through the canonical text.

use croupier::domain::cards::{Card, CardError};
use croupier::domain::error::RuleError;
use croupier::domain::fair;
use croupier::domain::games::blackjack;
use croupier::domain::ids::{BetId, PlayerId, RoundId};
use croupier::domain::money::{Amount, Currency};
use croupier::domain::round::{moved_card, Bet, BetRules, Command, Game, Round, Spot};

pub const GAMES: [Game; 4] = [Game::Baccarat, Game::Blackjack, Game::Roulette, Game::DragonTiger];

/// Stakes worth trying against every parsed spot: zero, one, table-like and the edges of i64.
const STAKES: [i64; 7] = [0, 1, 100, 1_000_000, i64::MAX / 36, i64::MAX, -1];

/// `Spot::parse` for one game: a refusal is `unknown_spot`; an accepted name is the spot's
/// canonical name (a roulette split may name its numbers in either order); the exposure of
/// a parsed spot is computed without overflow.
pub fn spot(game: Game, name: &str) {
    match Spot::parse(game, name) {
        Ok(spot) => {
            let canonical = spot.name();
            assert_eq!(Spot::parse(game, &canonical).as_ref(), Ok(&spot), "{game:?} {name:?}");
            let reordered_split = matches!(spot, Spot::Roulette(_)) && name.starts_with("split:");
            assert!(
                canonical == name || reordered_split,
                "{game:?}: {name:?} parsed as {canonical:?}"
            );
            // A negative stake never gets this far (`place_bet` refuses it first), so only
            // the absence of a panic is asked of it: blackjack answers a negative exposure
            // where the other games answer `None`.
            for stake in STAKES {
                if let Some(most) = spot.max_return(Amount(stake)) {
                    assert!(stake < 0 || most >= Amount(stake), "{canonical} {stake} -> {most}");
                }
            }
        }
        Err(error) => assert_eq!(error.code(), "unknown_spot", "{game:?} {name:?}: {error:?}"),
    }
}

/// `blackjack::Action`'s `FromStr`: the wire name, case-insensitive, white space trimmed.
pub fn action(text: &str) {
    match text.parse::<blackjack::Action>() {
        Ok(action) => assert!(action.as_str().eq_ignore_ascii_case(text.trim()), "{text:?}"),
        Err(error) => assert_eq!(error.code(), "illegal_action", "{text:?}: {error:?}"),
    }
}

/// `Card`'s `FromStr`: an accepted card prints as two characters that parse back to it,
/// sits at its index of the canonical deck, and survives JSON; a refusal is `bad_card`.
pub fn card(text: &str) -> Option<Card> {
    match text.parse::<Card>() {
        Ok(card) => {
            let printed = card.to_string();
            assert_eq!(printed.len(), 2, "{text:?}");
            assert_eq!(printed.parse::<Card>(), Ok(card), "{text:?}");
            assert_eq!(Card::from_index(card.index()), Some(card), "{text:?}");
            let json = serde_json::to_string(&card).expect("a card serialises");
            assert_eq!(serde_json::from_str::<Card>(&json).ok(), Some(card), "{text:?}");
            Some(card)
        }
        Err(error) => {
            assert!(matches!(error, CardError::BadCard(_)), "{text:?}: {error:?}");
            assert_eq!(RuleError::from(error).code(), "bad_card");
            None
        }
    }
}

/// A round of `game` whose betting has closed, ready for the dealer's first card (a
/// blackjack round needs a seated main bet for that).
pub fn dealing_round(game: Game) -> Round {
    let mut round = Round::open(RoundId(1), game, i64::MAX, blackjack::Rules::default());
    if game == Game::Blackjack {
        let player = PlayerId::parse("fuzz-player").expect("a valid player id");
        let bet_id = BetId::parse("fuzz-bet").expect("a valid bet id");
        let bet = Bet {
            bet_id: bet_id.clone(),
            player: player.clone(),
            currency: "EUR".parse::<Currency>().expect("a valid currency"),
            spot: Spot::BlackjackMain,
            amount: Amount(100),
            seat: None,
            confirmed: false,
        };
        let rules = bet_rules();
        round
            .apply(
                Command::PlaceBet {
                    round_id: RoundId(1),
                    bet,
                    rules,
                },
                0,
            )
            .expect("a fresh round takes a main bet");
        round
            .apply(Command::ConfirmBet { player, bet_id }, 0)
            .expect("a pending bet can be confirmed");
    }
    round.apply(Command::CloseBetting, 0).expect("betting was open");
    round
}

pub fn bet_rules() -> BetRules {
    BetRules {
        stake_min: Amount(1),
        stake_max: Amount(1_000_000),
        bets_per_round_max: 8,
        seats_max: blackjack::SEAT_MAX,
    }
}

/// A dealer console `deal`: the card, then the optional position, into a fresh round of each
/// card game. A position other than the expected one is `wrong_position`, echoing at most 16
/// characters of it; the expected one (or none) takes the card.
pub fn deal(card_text: &str, position: Option<&str>) {
    let Some(card) = card(card_text) else { return };
    for game in GAMES.into_iter().filter(|game| game.uses_cards()) {
        let mut round = dealing_round(game);
        let expected = round.next_position().expect("a dealing round expects a card");
        let dealt = Command::DealCard {
            card,
            position: position.map(Into::into),
        };
        match round
            .apply(dealt, 0)
            .map(|events| moved_card(&events).map(|(to, _)| to))
        {
            Ok(to) => {
                let to = to.expect("a dealt card says where it went");
                assert_eq!(to, expected);
                assert!(position.is_none_or(|named| named == expected));
            }
            Err(RuleError::WrongPosition { expected: said, got }) => {
                assert_eq!(said, expected);
                let named = position.expect("only a named position can be wrong");
                assert_ne!(named, expected);
                assert!(got.chars().count() <= 16, "echoed {got:?}");
            }
            Err(error) => panic!("{game:?}: {card_text:?} to {position:?}: {error:?}"),
        }
    }
}

/// A dealer console `spin`: a pocket above 36 is refused, any other one completes the spin.
pub fn spin(pocket: u8) {
    let mut round = dealing_round(Game::Roulette);
    let landed = round.apply(Command::LandBall { pocket }, 0);
    assert_eq!(landed.is_ok(), pocket <= 36, "pocket {pocket}: {landed:?}");
}

/// A player's `client_seed`: 1 to 64 characters, each printable ASCII other than space.
pub fn client_seed(seed: &str) {
    let expected = (1..=64).contains(&seed.chars().count()) && seed.bytes().all(|b| (0x21..=0x7e).contains(&b));
    assert_eq!(fair::validate_client_seed(seed).is_ok(), expected, "{seed:?}");
}
