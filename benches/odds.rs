//! Criterion benchmarks of the exact odds engines, which run after every dealt card on
//! every table: a full 8-deck baccarat shoe from an empty coup (the worst case), baccarat
//! after four cards, and Dragon Tiger. Measures only; asserts nothing about the values.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use croupier::domain::cards::{parse_cards, Composition};
use croupier::domain::games::{baccarat, dragon_tiger};

fn eight_decks() -> Composition {
    Composition::decks(8).expect("8 decks is a valid shoe")
}

fn baccarat_full_shoe(c: &mut Criterion) {
    let shoe = eight_decks();
    let coup = baccarat::Coup::new();
    c.bench_function("baccarat_odds_8_decks_empty_coup", |b| {
        b.iter(|| baccarat::odds(black_box(&shoe), black_box(&coup)))
    });
}

fn baccarat_after_four_cards(c: &mut Criterion) {
    // Player 5 and banker 4: the player draws and the banker's turn depends on it, the
    // costliest state after the first four cards.
    let cards = parse_cards("2h 4c 3d Ks").expect("valid cards");
    let mut shoe = eight_decks();
    shoe.remove_all(&cards).expect("an 8-deck shoe holds these cards");
    let mut coup = baccarat::Coup::new();
    for card in cards {
        coup.deal(card).expect("the coup takes four cards");
    }
    c.bench_function("baccarat_odds_8_decks_after_4_cards", |b| {
        b.iter(|| baccarat::odds(black_box(&shoe), black_box(&coup)))
    });
}

fn dragon_tiger_full_shoe(c: &mut Criterion) {
    let shoe = eight_decks();
    let coup = dragon_tiger::Coup::new();
    c.bench_function("dragon_tiger_odds_8_decks", |b| {
        b.iter(|| dragon_tiger::odds(black_box(&shoe), black_box(&coup)))
    });
}

criterion_group!(
    odds,
    baccarat_full_shoe,
    baccarat_after_four_cards,
    dragon_tiger_full_shoe
);
criterion_main!(odds);
