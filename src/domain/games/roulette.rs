//! European (single-zero) roulette: the bet spots and their wire names, which pockets each
//! covers, payouts, colours, the odds table and the holder of one spin's result.
//!
//! Pure rules: no I/O, no clock, no RNG, never a float for money (f64 only for the odds
//! table's probabilities). This module does not choose the pocket: the dealer console or
//! `fair::roulette_pocket` does, and hands it to [`Spin::set_pocket`]. Zero loses every
//! outside bet: no la partage, no en prison.

use std::fmt;
use std::str::FromStr;

use crate::domain::error::RuleError;
use crate::domain::money::Amount;

/// Highest number on the wheel; pockets are 0 to 36.
pub const POCKET_MAX: u8 = 36;

/// Pockets on the wheel.
const POCKETS: u8 = POCKET_MAX + 1;

/// Every winning bet returns `stake * 36 / covered pockets`: the one rule all payouts
/// follow, and why the house edge is 1/37 on every bet.
const RETURN_NUMERATOR: u8 = 36;

/// Longest spot text echoed back in an error, so a hostile client cannot make us copy a
/// megabyte into an error frame.
const ECHO_CHARS_MAX: usize = 64;

const RED: [u8; 18] = [1, 3, 5, 7, 9, 12, 14, 16, 18, 19, 21, 23, 25, 27, 30, 32, 34, 36];

fn echo(text: &str) -> String {
    text.chars().take(ECHO_CHARS_MAX).collect()
}

/// A place to bet on the layout. The numbers are the ones in the wire name (see
/// [`FromStr`]); parsed spots are always valid and a split always holds its lower number
/// first. A spot built by hand that is not on the layout covers no pocket and pays `None`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Spot {
    /// One number, 0 to 36.
    Straight(u8),
    /// Two numbers next to each other on the layout, lower first (0-1, 0-2 and 0-3 too).
    Split(u8, u8),
    /// A row of three: the first number of the row (1, 4, …, 34).
    Street(u8),
    /// Zero with two numbers: 1 is 0-1-2, 2 is 0-2-3.
    Trio(u8),
    /// The first four: 0, 1, 2, 3.
    Basket,
    /// Four numbers in a square: the lowest of them (covers N, N+1, N+3, N+4).
    Corner(u8),
    /// Six numbers, two rows: the first number of the upper row (1, 4, …, 31).
    Line(u8),
    /// 1 is 1-12, 2 is 13-24, 3 is 25-36.
    Dozen(u8),
    /// 1 is 1, 4, …, 34; 2 is 2, 5, …, 35; 3 is 3, 6, …, 36.
    Column(u8),
    Red,
    Black,
    Odd,
    Even,
    /// 1-18.
    Low,
    /// 19-36.
    High,
}

/// The first number of each of the 12 rows of three, 1 to 34.
fn is_row_start(n: u8) -> bool {
    (1..=34).contains(&n) && n % 3 == 1
}

/// True when `low` and `high` (low < high) share an edge on the layout: side by side in a
/// row, one above the other in a column, or zero next to 1, 2 or 3.
fn adjacent(low: u8, high: u8) -> bool {
    if low == 0 {
        return (1..=3).contains(&high);
    }
    let side_by_side = high == low + 1 && low % 3 != 0;
    let stacked = high == low + 3;
    high <= POCKET_MAX && (side_by_side || stacked)
}

impl Spot {
    /// The kind, as the first part of the wire name and the odds table's `kind`.
    pub fn kind(&self) -> &'static str {
        match self {
            Spot::Straight(_) => "straight",
            Spot::Split(..) => "split",
            Spot::Street(_) => "street",
            Spot::Trio(_) => "trio",
            Spot::Basket => "basket",
            Spot::Corner(_) => "corner",
            Spot::Line(_) => "line",
            Spot::Dozen(_) => "dozen",
            Spot::Column(_) => "column",
            Spot::Red => "red",
            Spot::Black => "black",
            Spot::Odd => "odd",
            Spot::Even => "even",
            Spot::Low => "low",
            Spot::High => "high",
        }
    }

    /// True for a spot that is on the layout (every parsed spot is).
    pub fn is_valid(&self) -> bool {
        match *self {
            Spot::Straight(n) => n <= POCKET_MAX,
            Spot::Split(low, high) => low < high && adjacent(low, high),
            Spot::Street(n) => is_row_start(n),
            Spot::Trio(n) => n == 1 || n == 2,
            Spot::Corner(n) => (1..=32).contains(&n) && n % 3 != 0,
            Spot::Line(n) => is_row_start(n) && n <= 31,
            Spot::Dozen(n) | Spot::Column(n) => (1..=3).contains(&n),
            Spot::Basket | Spot::Red | Spot::Black | Spot::Odd | Spot::Even | Spot::Low | Spot::High => true,
        }
    }

    /// Every valid spot: 37 straights, 60 splits, 12 streets, 2 trios, the basket,
    /// 22 corners, 11 lines, 3 dozens, 3 columns and the 6 even-money chances (157).
    pub fn all() -> Vec<Spot> {
        let mut spots: Vec<Spot> = (0..=POCKET_MAX).map(Spot::Straight).collect();
        for low in 0..=POCKET_MAX {
            for high in low + 1..=POCKET_MAX {
                spots.push(Spot::Split(low, high));
            }
        }
        for n in 0..=POCKET_MAX {
            spots.extend([
                Spot::Street(n),
                Spot::Trio(n),
                Spot::Corner(n),
                Spot::Line(n),
                Spot::Dozen(n),
                Spot::Column(n),
            ]);
        }
        spots.extend([
            Spot::Basket,
            Spot::Red,
            Spot::Black,
            Spot::Odd,
            Spot::Even,
            Spot::Low,
            Spot::High,
        ]);
        spots.retain(Spot::is_valid);
        spots.sort();
        spots
    }

    /// What a win pays, to 1 (35 for a straight … 1 for an even chance); `None` for a spot
    /// not on the layout.
    pub fn pays(&self) -> Option<u32> {
        let covered = pockets(self).len();
        // Every valid spot covers 1, 2, 3, 4, 6, 12 or 18 pockets, all divisors of 36.
        (covered > 0).then(|| u32::from(RETURN_NUMERATOR) / covered as u32 - 1)
    }
}

impl fmt::Display for Spot {
    /// The wire name: `straight:17`, `split:0-3`, `street:4`, `trio:1`, `basket`,
    /// `corner:5`, `line:31`, `dozen:2`, `column:3`, `red`, `black`, `odd`, `even`, `low`, `high`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Spot::Straight(n)
            | Spot::Street(n)
            | Spot::Trio(n)
            | Spot::Corner(n)
            | Spot::Line(n)
            | Spot::Dozen(n)
            | Spot::Column(n) => write!(f, "{}:{n}", self.kind()),
            Spot::Split(a, b) => write!(f, "split:{}-{}", a.min(b), a.max(b)),
            _ => f.write_str(self.kind()),
        }
    }
}

/// A number as written in a wire name: 1 or 2 decimal digits, no sign, no leading zero
/// (so every spot has exactly one name).
fn parse_number(text: &str) -> Option<u8> {
    let canonical = matches!(text.len(), 1 | 2)
        && text.bytes().all(|b| b.is_ascii_digit())
        && (text.len() == 1 || !text.starts_with('0'));
    if canonical {
        text.parse().ok()
    } else {
        None
    }
}

impl FromStr for Spot {
    type Err = RuleError;

    /// Exact, case-sensitive wire names (see [`Display`](fmt::Display)); a split may name
    /// its numbers in either order.
    ///
    /// # Errors
    /// [`RuleError::UnknownSpot`] for anything that is not a spot on the layout.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let unknown = || RuleError::UnknownSpot(echo(s));
        let spot = match s.split_once(':') {
            None => match s {
                "basket" => Spot::Basket,
                "red" => Spot::Red,
                "black" => Spot::Black,
                "odd" => Spot::Odd,
                "even" => Spot::Even,
                "low" => Spot::Low,
                "high" => Spot::High,
                _ => return Err(unknown()),
            },
            Some(("split", numbers)) => {
                let (a, b) = numbers.split_once('-').ok_or_else(unknown)?;
                let (a, b) = (
                    parse_number(a).ok_or_else(unknown)?,
                    parse_number(b).ok_or_else(unknown)?,
                );
                Spot::Split(a.min(b), a.max(b))
            }
            Some((kind, number)) => {
                let n = parse_number(number).ok_or_else(unknown)?;
                match kind {
                    "straight" => Spot::Straight(n),
                    "street" => Spot::Street(n),
                    "trio" => Spot::Trio(n),
                    "corner" => Spot::Corner(n),
                    "line" => Spot::Line(n),
                    "dozen" => Spot::Dozen(n),
                    "column" => Spot::Column(n),
                    _ => return Err(unknown()),
                }
            }
        };
        if spot.is_valid() {
            Ok(spot)
        } else {
            Err(unknown())
        }
    }
}

impl serde::Serialize for Spot {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Spot {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// True when a ball in `pocket` wins a bet on `spot`. False for a pocket above 36 and for
/// a spot not on the layout.
pub fn covers(spot: &Spot, pocket: u8) -> bool {
    if pocket > POCKET_MAX || !spot.is_valid() {
        return false;
    }
    let n = pocket;
    // Zero is in no row, column, dozen or even chance.
    let number = n != 0;
    match *spot {
        Spot::Straight(s) => n == s,
        Spot::Split(a, b) => n == a || n == b,
        Spot::Street(first) => number && (first..first + 3).contains(&n),
        Spot::Trio(1) => n <= 2,
        Spot::Trio(_) => n == 0 || n == 2 || n == 3,
        Spot::Basket => n <= 3,
        Spot::Corner(low) => [low, low + 1, low + 3, low + 4].contains(&n),
        Spot::Line(first) => number && (first..first + 6).contains(&n),
        Spot::Dozen(d) => number && (n - 1) / 12 + 1 == d,
        Spot::Column(c) => number && (n - 1) % 3 + 1 == c,
        Spot::Red => color(n) == Color::Red,
        Spot::Black => color(n) == Color::Black,
        Spot::Odd => number && n % 2 == 1,
        Spot::Even => number && n % 2 == 0,
        Spot::Low => number && n <= 18,
        Spot::High => n >= 19,
    }
}

/// The pockets `spot` covers, ascending; empty for a spot not on the layout.
pub fn pockets(spot: &Spot) -> Vec<u8> {
    (0..=POCKET_MAX).filter(|&pocket| covers(spot, pocket)).collect()
}

/// What a bet of `stake` on `spot` returns when the ball lands in `pocket`, stake
/// included: `stake * (pays + 1)` on a win (36x for a straight … 2x for an even chance),
/// 0 on a loss.
///
/// Returns `None` when the amount would overflow, and also for a negative stake, a pocket
/// above 36 or a spot not on the layout: validation rejects those long before settlement,
/// so settling one is a bug, not a loss.
pub fn payout(spot: &Spot, stake: Amount, pocket: u8) -> Option<Amount> {
    if pocket > POCKET_MAX {
        return None;
    }
    let best = max_return(spot, stake)?;
    Some(if covers(spot, pocket) { best } else { Amount::ZERO })
}

/// The most a bet of `stake` on `spot` can return, stake included: what exposure and
/// table-limit checks reserve. `None` on overflow, a negative stake or a spot not on the layout.
pub fn max_return(spot: &Spot, stake: Amount) -> Option<Amount> {
    if stake.minor() < 0 {
        return None;
    }
    stake.checked_mul(i64::from(spot.pays()?) + 1)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(rename = "RouletteColor")]
pub enum Color {
    Green,
    Red,
    Black,
}

/// The colour of a pocket on the standard single-zero wheel. Zero is green; so is any
/// number above 36, which is not on the wheel (a [`Spin`] never holds one).
pub fn color(pocket: u8) -> Color {
    if pocket == 0 || pocket > POCKET_MAX {
        Color::Green
    } else if RED.contains(&pocket) {
        Color::Red
    } else {
        Color::Black
    }
}

/// One row of the odds table: a bet kind and what it is worth.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct BetKindOdds {
    pub kind: &'static str,
    /// Pockets one bet of this kind covers.
    pub pockets: u8,
    pub win_probability: f64,
    /// What a win pays, to 1.
    pub pays: u32,
    /// The player's expected loss per unit staked: 1/37 for every kind.
    pub house_edge: f64,
}

/// One row per bet kind, inside bets first, in the order of [`Spot::kind`].
pub fn odds_table() -> Vec<BetKindOdds> {
    let mut kinds: Vec<Spot> = Vec::new();
    for spot in Spot::all() {
        if !kinds.iter().any(|seen| seen.kind() == spot.kind()) {
            kinds.push(spot);
        }
    }
    kinds
        .iter()
        .filter_map(|spot| {
            let covered = pockets(spot).len() as u32;
            let pays = spot.pays()?;
            // Out of 37 equally likely pockets, a unit bet gets back (pays + 1) on `covered`
            // of them: the edge is (37 - covered * (pays + 1)) / 37, exactly 1/37.
            let returned = covered * (pays + 1);
            Some(BetKindOdds {
                kind: spot.kind(),
                pockets: covered as u8,
                win_probability: f64::from(covered) / f64::from(POCKETS),
                pays,
                house_edge: (f64::from(POCKETS) - f64::from(returned)) / f64::from(POCKETS),
            })
        })
        .collect()
}

/// The ball of one round: unset until it lands. Only `set_pocket` and `undo` change it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Spin {
    pocket: Option<u8>,
}

impl Spin {
    pub fn new() -> Spin {
        Spin::default()
    }

    /// Where the ball landed, once it has.
    pub fn pocket(&self) -> Option<u8> {
        self.pocket
    }

    /// The ball lands in `pocket`.
    ///
    /// # Errors
    /// [`RuleError::NoCardExpected`] when the ball has already landed (undo first),
    /// [`RuleError::IllegalAction`] for a pocket above 36.
    pub fn set_pocket(&mut self, pocket: u8) -> Result<(), RuleError> {
        if self.pocket.is_some() {
            return Err(RuleError::NoCardExpected);
        }
        if pocket > POCKET_MAX {
            return Err(RuleError::IllegalAction(format!(
                "no pocket {pocket} on a single-zero wheel (0 to 36)"
            )));
        }
        self.pocket = Some(pocket);
        Ok(())
    }

    /// Takes back the pocket the dealer entered (a misread) and returns it.
    ///
    /// # Errors
    /// [`RuleError::NothingToUndo`] when the ball has not landed.
    pub fn undo(&mut self) -> Result<u8, RuleError> {
        self.pocket.take().ok_or(RuleError::NothingToUndo)
    }
}

/// The result of a spin, as players see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[schemars(rename = "RouletteOutcome")]
pub struct Outcome {
    pub pocket: u8,
    pub color: Color,
}

impl Outcome {
    /// The outcome of a ball in `pocket`; `None` above 36.
    pub fn of(pocket: u8) -> Option<Outcome> {
        (pocket <= POCKET_MAX).then(|| Outcome {
            pocket,
            color: color(pocket),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The layout as a grid, written out rather than computed: row r holds 3r+1, 3r+2, 3r+3.
    fn grid() -> [[u8; 3]; 12] {
        let mut rows = [[0u8; 3]; 12];
        for (r, row) in rows.iter_mut().enumerate() {
            *row = [3 * r as u8 + 1, 3 * r as u8 + 2, 3 * r as u8 + 3];
        }
        rows
    }

    fn spots_of(kind: &str) -> Vec<Spot> {
        Spot::all().into_iter().filter(|spot| spot.kind() == kind).collect()
    }

    #[test]
    fn every_spot_kind_has_the_right_count_and_payout() {
        let expected: [(&str, usize, usize, u32); 15] = [
            ("straight", 37, 1, 35),
            ("split", 60, 2, 17),
            ("street", 12, 3, 11),
            ("trio", 2, 3, 11),
            ("basket", 1, 4, 8),
            ("corner", 22, 4, 8),
            ("line", 11, 6, 5),
            ("dozen", 3, 12, 2),
            ("column", 3, 12, 2),
            ("red", 1, 18, 1),
            ("black", 1, 18, 1),
            ("odd", 1, 18, 1),
            ("even", 1, 18, 1),
            ("low", 1, 18, 1),
            ("high", 1, 18, 1),
        ];
        assert_eq!(Spot::all().len(), 157);
        for (kind, spots, covered, pays) in expected {
            let of_kind = spots_of(kind);
            assert_eq!(of_kind.len(), spots, "{kind}");
            for spot in of_kind {
                assert_eq!(pockets(&spot).len(), covered, "{spot}");
                assert_eq!(spot.pays(), Some(pays), "{spot}");
                assert_eq!(36 / covered as u32 - 1, pays, "{spot}");
                assert_eq!(max_return(&spot, Amount(10)), Some(Amount(10 * (i64::from(pays) + 1))));
            }
        }
    }

    #[test]
    fn each_pocket_is_covered_by_exactly_the_right_bets() {
        let grid = grid();
        for pocket in 0..=POCKET_MAX {
            let winners: Vec<Spot> = Spot::all().into_iter().filter(|spot| covers(spot, pocket)).collect();
            let count = |kind: &str| winners.iter().filter(|spot| spot.kind() == kind).count();
            assert_eq!(count("straight"), 1, "{pocket}");
            if pocket == 0 {
                // 0-1, 0-2, 0-3; both trios; the basket; nothing outside.
                assert_eq!((count("split"), count("trio"), count("basket")), (3, 2, 1));
                assert_eq!(winners.len(), 1 + 3 + 2 + 1);
                continue;
            }
            let (row, col) = ((pocket as usize - 1) / 3, (pocket as usize - 1) % 3);
            assert_eq!(grid[row][col], pocket);
            let neighbours = [row > 0, row < 11, col > 0, col < 2].iter().filter(|&&b| b).count();
            let zero_split = usize::from(pocket <= 3);
            assert_eq!(count("split"), neighbours + zero_split, "{pocket}");
            assert_eq!(count("street"), 1);
            // The corners touching a square: one per pair of adjacent rows and columns.
            let rows_pairs = [row > 0, row < 11].iter().filter(|&&b| b).count();
            let col_pairs = [col > 0, col < 2].iter().filter(|&&b| b).count();
            assert_eq!(count("corner"), rows_pairs * col_pairs, "{pocket}");
            assert_eq!(count("line"), rows_pairs, "{pocket}");
            let trios = match pocket {
                1 | 3 => 1,
                2 => 2,
                _ => 0,
            };
            assert_eq!(count("trio"), trios);
            assert_eq!(count("basket"), usize::from(pocket <= 3));
            assert_eq!(count("dozen"), 1);
            assert_eq!(count("column"), 1);
            assert!(winners.contains(&Spot::Column(col as u8 + 1)));
            assert!(winners.contains(&Spot::Dozen(row as u8 / 4 + 1)));
            // Exactly three of the six even chances.
            assert_eq!(
                ["red", "black", "odd", "even", "low", "high"]
                    .iter()
                    .map(|k| count(k))
                    .sum::<usize>(),
                3
            );
        }
    }

    #[test]
    fn inside_bets_are_adjacent_on_the_layout() {
        let grid = grid();
        let cell = |n: u8| ((n as i32 - 1) / 3, (n as i32 - 1) % 3);
        for spot in spots_of("split") {
            let (a, b) = match spot {
                Spot::Split(a, b) => (a, b),
                _ => unreachable!(),
            };
            assert!(a < b, "{spot}");
            if a == 0 {
                assert!((1..=3).contains(&b));
            } else {
                let ((ra, ca), (rb, cb)) = (cell(a), cell(b));
                assert_eq!((ra - rb).abs() + (ca - cb).abs(), 1, "{spot} not adjacent");
            }
        }
        for spot in spots_of("street") {
            let covered = pockets(&spot);
            assert!(grid.iter().any(|row| row.to_vec() == covered), "{spot}");
        }
        for spot in spots_of("corner") {
            let covered = pockets(&spot);
            let found = (0..11).any(|r| {
                (0..2).any(|c| {
                    let mut square = vec![grid[r][c], grid[r][c + 1], grid[r + 1][c], grid[r + 1][c + 1]];
                    square.sort();
                    square == covered
                })
            });
            assert!(found, "{spot} is not a square: {covered:?}");
        }
        for spot in spots_of("line") {
            let covered = pockets(&spot);
            assert!((0..11).any(|r| [grid[r], grid[r + 1]].concat() == covered), "{spot}");
        }
        assert_eq!(pockets(&Spot::Trio(1)), [0, 1, 2]);
        assert_eq!(pockets(&Spot::Trio(2)), [0, 2, 3]);
        assert_eq!(pockets(&Spot::Basket), [0, 1, 2, 3]);
        assert_eq!(
            pockets(&Spot::Column(1)),
            (0..12).map(|r| 3 * r + 1).collect::<Vec<u8>>()
        );
        assert_eq!(pockets(&Spot::Dozen(3)), (25..=36).collect::<Vec<u8>>());
        assert_eq!(pockets(&Spot::Low), (1..=18).collect::<Vec<u8>>());
        assert_eq!(pockets(&Spot::High), (19..=36).collect::<Vec<u8>>());
    }

    #[test]
    fn every_name_round_trips_and_nothing_else_parses() {
        let all = Spot::all();
        let mut names = std::collections::HashSet::new();
        for spot in &all {
            let name = spot.to_string();
            assert_eq!(name.parse::<Spot>(), Ok(*spot), "{name}");
            assert!(names.insert(name));
        }
        // Every candidate name with a number 0..=40 parses exactly when it names a valid spot.
        let mut parsed = 0;
        for kind in ["straight", "street", "trio", "corner", "line", "dozen", "column"] {
            for n in 0..=40 {
                if format!("{kind}:{n}").parse::<Spot>().is_ok() {
                    parsed += 1;
                }
            }
        }
        for a in 0..=40 {
            for b in 0..=40 {
                if let Ok(spot) = format!("split:{a}-{b}").parse::<Spot>() {
                    assert_eq!(spot.to_string(), format!("split:{}-{}", a.min(b), a.max(b)));
                    parsed += 1;
                }
            }
        }
        // Splits parse in both orders, so each counts twice.
        assert_eq!(parsed, 37 + 12 + 2 + 22 + 11 + 3 + 3 + 2 * 60);
        assert_eq!("split:3-0".parse::<Spot>(), Ok(Spot::Split(0, 3)));
    }

    #[test]
    fn bad_names_are_errors() {
        for bad in [
            "straight:37",
            "split:1-3",
            "corner:3",
            "dozen:0",
            "foo",
            "",
            "straight",
            "straight:",
            "straight:-1",
            "straight:+7",
            "straight:07",
            "straight:1000",
            "Straight:7",
            "red:1",
            "split:1-1",
            "split:1-2-3",
            "split:1",
            "split:3-4",
            "split:34-37",
            "street:2",
            "street:37",
            "trio:0",
            "trio:3",
            "corner:33",
            "corner:0",
            "line:34",
            "line:2",
            "column:4",
            "dozen:4",
            " red",
            "red ",
            "basket:0",
            "straight:٣",
        ] {
            let error = bad.parse::<Spot>().unwrap_err();
            assert_eq!(error, RuleError::UnknownSpot(bad.to_owned()), "{bad:?}");
            assert_eq!(error.code(), "unknown_spot");
        }
        let long = "x".repeat(10_000);
        assert_eq!(long.parse::<Spot>(), Err(RuleError::UnknownSpot("x".repeat(64))));
    }

    #[test]
    fn colours_match_the_standard_wheel() {
        assert_eq!(color(0), Color::Green);
        let reds: Vec<u8> = (0..=36).filter(|&n| color(n) == Color::Red).collect();
        assert_eq!(
            reds,
            [1, 3, 5, 7, 9, 12, 14, 16, 18, 19, 21, 23, 25, 27, 30, 32, 34, 36]
        );
        for n in 1..=36u8 {
            // The mnemonic: in 1-10 and 19-28 odd numbers are red; in 11-18 and 29-36 even ones are.
            let odd_is_red = (1..=10).contains(&n) || (19..=28).contains(&n);
            let red = (n % 2 == 1) == odd_is_red;
            assert_eq!(color(n), if red { Color::Red } else { Color::Black }, "{n}");
        }
        assert_eq!(pockets(&Spot::Black).len(), 18);
        assert_eq!(color(37), Color::Green);
    }

    #[test]
    fn house_edge_is_exactly_one_in_thirty_seven_for_every_bet() {
        for spot in Spot::all() {
            // Sum over the 37 equally likely pockets of what a stake of 1 returns: 36 for every
            // spot, so the player gets back 36/37 of what is staked.
            let returned: i64 = (0..=POCKET_MAX)
                .map(|pocket| payout(&spot, Amount(1), pocket).unwrap().minor())
                .sum();
            assert_eq!(returned, 36, "{spot}");
        }
        let table = odds_table();
        let kinds: Vec<&str> = table.iter().map(|row| row.kind).collect();
        assert_eq!(
            kinds,
            [
                "straight", "split", "street", "trio", "basket", "corner", "line", "dozen", "column", "red", "black",
                "odd", "even", "low", "high"
            ]
        );
        for row in &table {
            assert_eq!(row.house_edge, 1.0 / 37.0, "{}", row.kind);
            assert_eq!(row.win_probability, f64::from(row.pockets) / 37.0);
            assert_eq!((36 / u32::from(row.pockets)) - 1, row.pays);
        }
    }

    #[test]
    fn payouts_include_the_stake_and_zero_loses_outside_bets() {
        assert_eq!(payout(&Spot::Straight(17), Amount(100), 17), Some(Amount(3_600)));
        assert_eq!(payout(&Spot::Straight(17), Amount(100), 18), Some(Amount::ZERO));
        assert_eq!(payout(&Spot::Split(0, 3), Amount(100), 0), Some(Amount(1_800)));
        assert_eq!(payout(&Spot::Basket, Amount(100), 0), Some(Amount(900)));
        assert_eq!(payout(&Spot::Line(31), Amount(100), 36), Some(Amount(600)));
        assert_eq!(payout(&Spot::Dozen(2), Amount(100), 13), Some(Amount(300)));
        assert_eq!(payout(&Spot::Red, Amount(100), 1), Some(Amount(200)));
        for outside in [
            Spot::Red,
            Spot::Black,
            Spot::Odd,
            Spot::Even,
            Spot::Low,
            Spot::High,
            Spot::Dozen(1),
            Spot::Column(1),
        ] {
            assert_eq!(payout(&outside, Amount(100), 0), Some(Amount::ZERO), "{outside}");
        }
        // None only for overflow and for what validation never lets through.
        assert_eq!(payout(&Spot::Straight(1), Amount(i64::MAX / 36 + 1), 1), None);
        assert_eq!(
            max_return(&Spot::Straight(1), Amount(i64::MAX / 36)),
            Some(Amount(i64::MAX / 36 * 36))
        );
        assert_eq!(payout(&Spot::Red, Amount(-1), 1), None);
        assert_eq!(payout(&Spot::Red, Amount(1), 37), None);
        assert_eq!(payout(&Spot::Straight(40), Amount(1), 1), None);
        assert_eq!(max_return(&Spot::Corner(3), Amount(1)), None);
        assert!(!covers(&Spot::Corner(3), 3));
        assert!(pockets(&Spot::Split(1, 3)).is_empty());
    }

    #[test]
    fn a_spin_holds_one_pocket_until_undone() {
        let mut spin = Spin::new();
        assert_eq!(spin.pocket(), None);
        assert_eq!(spin.undo(), Err(RuleError::NothingToUndo));
        assert!(matches!(spin.set_pocket(37), Err(RuleError::IllegalAction(_))));
        assert_eq!(spin.pocket(), None);
        spin.set_pocket(0).unwrap();
        assert_eq!(spin.set_pocket(5), Err(RuleError::NoCardExpected));
        assert_eq!(spin.pocket(), Some(0));
        assert_eq!(spin.undo(), Ok(0));
        spin.set_pocket(36).unwrap();
        assert_eq!(spin.pocket(), Some(36));
        assert_eq!(
            Outcome::of(36),
            Some(Outcome {
                pocket: 36,
                color: Color::Red
            })
        );
        assert_eq!(Outcome::of(37), None);
    }
}
