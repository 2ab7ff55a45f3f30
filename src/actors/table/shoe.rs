//! The provably fair shoe: a new shoe is committed by its seed's hash before any bet,
//! shuffled (with the client seeds) when its first round closes betting, revealed when
//! it ends, and picked up where it stood after a restart.

use actix::prelude::*;

use crate::domain::cards::Composition;
use crate::domain::fair::{self, ServerSeed};
use crate::domain::round::Game;
use crate::domain::shoe::Shoe;
use crate::journal::events::{self, StoredEvent};
use crate::journal::records::{self, ShoeRecord};
use crate::journal::{self, table_key, table_prefix, Batch, Tree};
use crate::wire::event::TableEvent;
use crate::wire::CommandError;

use super::*;

/// The provably fair shoe (or roulette seed) in use.
pub(super) struct ShoeState {
    pub(super) nonce: u64,
    pub(super) seed: ServerSeed,
    pub(super) commit: String,
    pub(super) client_seeds: Vec<String>,
    /// The shuffled order; `None` until the first round of the shoe closes betting,
    /// because client seeds contributed while betting is open go into the shuffle.
    pub(super) cards: Option<Shoe>,
    pub(super) key: Option<[u8; 32]>,
}

impl TableActor {
    /// Picks up the shoe a stop interrupted: its seed is still secret and its order is fixed
    /// by what was committed, so dealing continues at the same card. Roulette spins and
    /// shoes that cannot be rebuilt are revealed at start instead (see `started`).
    pub(super) fn with_unrevealed_shoe(mut self) -> TableActor {
        let id = self.config.id.as_str().to_owned();
        let key = table_key(&id, self.shoe_nonce);
        let secret = self.journal.tree(Tree::Secrets).get(&key).ok().flatten();
        let record = self.journal.tree(Tree::Shoes).get(&key).ok().flatten();
        let (Some(secret), Some(record)) = (secret, record) else {
            return self;
        };
        let Ok(seed) = std::str::from_utf8(&secret)
            .map_err(|_| ())
            .and_then(|hex| ServerSeed::from_hex(hex).map_err(|_| ()))
        else {
            return self;
        };
        let Ok(record) = records::decode::<ShoeRecord>("shoes", &record) else {
            return self;
        };
        let mut shoe = ShoeState {
            nonce: record.nonce,
            seed,
            commit: record.commit,
            client_seeds: Vec::new(),
            cards: None,
            key: None,
        };
        if let Some(client_seed) = record.client_seed {
            let key = fair::shuffle_key(&shoe.seed, &client_seed, shoe.nonce);
            shoe.key = Some(key);
            if self.config.game != Game::Roulette {
                let Ok(cards) = fair::shuffled_shoe(self.config.decks, &key) else {
                    return self;
                };
                let position = match self.last_shoe_position(shoe.nonce) {
                    Ok(position) => position,
                    Err(error) => {
                        tracing::error!(table = %self.config.id, shoe = shoe.nonce, error = %error, "cannot find where the interrupted shoe stands; it is not continued");
                        return self;
                    }
                };
                let mut unseen = Composition::decks(self.config.decks).unwrap_or(self.unseen);
                let _ = unseen.remove_all(&cards[..position.min(cards.len())]);
                self.unseen = unseen;
                shoe.cards = Some(Shoe::at_position(
                    cards,
                    self.config.cut_cards_from_end as usize,
                    position,
                ));
            }
            // The client seeds were combined already; keep them for the reveal.
            if !client_seed.is_empty() {
                shoe.client_seeds = client_seed
                    .split(fair::CLIENT_SEED_SEPARATOR)
                    .map(str::to_owned)
                    .collect();
            }
        }
        tracing::info!(table = %self.config.id, shoe = shoe.nonce, position = shoe.cards.as_ref().map(Shoe::position), "continuing the interrupted shoe");
        self.shoe = Some(shoe);
        self
    }

    /// The shoe position after the last card of shoe `nonce` found in the event stream
    /// (0 when none of its cards was dealt yet).
    ///
    /// # Errors
    /// An event that cannot be read, or a card of this shoe without its position.
    pub(super) fn last_shoe_position(&self, nonce: u64) -> Result<usize, String> {
        /// Events searched backwards; a shoe's last card is never far from the stream's end.
        const SCAN_MAX: usize = 100_000;
        let stream = self.journal.tree(Tree::Events).scan_prefix(table_prefix(self.id()));
        for entry in stream.rev().take(SCAN_MAX) {
            let (key, value) = entry.map_err(|e| e.to_string())?;
            let read = events::decode(&value).map_err(|e| format!("event {:?}: {e}", journal::table_key_n(&key)))?;
            match read.into_record().event {
                StoredEvent::Card {
                    shoe: Some(shoe),
                    shoe_pos,
                    ..
                } if shoe == nonce => {
                    return shoe_pos.ok_or_else(|| format!("a card of shoe {nonce} has no position"));
                }
                StoredEvent::RoundOpen { shoe: Some(shoe), .. } if shoe < nonce => break,
                _ => {}
            }
        }
        Ok(0)
    }

    pub(super) fn new_shoe(&mut self, batch: &mut Batch) -> Result<(), CommandError> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| internal(&e))?;
        let seed = ServerSeed::from_bytes(bytes);
        let commit = fair::commit(&seed);
        self.shoe_nonce += 1;
        let nonce = self.shoe_nonce;
        let key = table_key(self.id(), nonce);
        batch.insert(Tree::Secrets, key.clone(), seed.to_hex().into_bytes());
        let record = self.shoe_record(nonce, commit.clone(), None, None);
        batch.insert(Tree::Shoes, key, records::encode(&record));
        self.shoe = Some(ShoeState {
            nonce,
            seed,
            commit,
            client_seeds: Vec::new(),
            cards: None,
            key: None,
        });
        if let Ok(full) = Composition::decks(self.config.decks) {
            self.unseen = full;
        }
        Ok(())
    }

    /// This table's record of shoe `nonce`: public parts only.
    fn shoe_record(
        &self,
        nonce: u64,
        commit: String,
        client_seed: Option<String>,
        server_seed: Option<String>,
    ) -> ShoeRecord {
        ShoeRecord {
            v: records::RECORD_VERSION,
            table: self.config.id.clone(),
            nonce,
            game: self.config.game,
            decks: self.config.decks,
            commit,
            client_seed,
            server_seed,
        }
    }

    /// At the first close of betting of a shoe, its order is fixed: the server seed and the
    /// client seeds given while betting was open are combined and the shoe shuffled (a
    /// roulette spin's ball is drawn from the same key). The combined client seed is
    /// journaled with the close. Notes where the round's cards start.
    pub(super) fn shuffle_at_close(&mut self, batch: &mut Batch) {
        let Some(shoe) = self.shoe.as_mut() else { return };
        if shoe.key.is_none() {
            let client_seed = fair::combine_client_seeds(&shoe.client_seeds);
            let key = fair::shuffle_key(&shoe.seed, &client_seed, shoe.nonce);
            if self.config.game != Game::Roulette {
                match fair::shuffled_shoe(self.config.decks, &key) {
                    Ok(cards) => shoe.cards = Some(Shoe::new(cards, self.config.cut_cards_from_end as usize)),
                    Err(error) => tracing::error!(table = %self.config.id, error = %error, "cannot build shoe"),
                }
            }
            shoe.key = Some(key);
            let (nonce, commit) = (shoe.nonce, shoe.commit.clone());
            let record = self.shoe_record(nonce, commit, Some(client_seed), None);
            batch.insert(Tree::Shoes, table_key(self.id(), nonce), records::encode(&record));
        }
        let start = self.shoe.as_ref().and_then(|s| s.cards.as_ref()).map(Shoe::position);
        if let Some(live) = self.live.as_mut() {
            live.shoe_start = start;
        }
    }

    pub(super) fn reveal(&mut self, ctx: &mut Context<Self>) {
        let Some(shoe) = self.shoe.take() else { return };
        let key = table_key(self.id(), shoe.nonce);
        let client_seed = fair::combine_client_seeds(&shoe.client_seeds);
        let record = self.shoe_record(
            shoe.nonce,
            shoe.commit.clone(),
            Some(client_seed.clone()),
            Some(shoe.seed.to_hex()),
        );
        let mut batch = Batch::new();
        batch.insert(Tree::Shoes, key.clone(), records::encode(&record));
        batch.remove(Tree::Secrets, key);
        let event = TableEvent::Reveal {
            shoe: shoe.nonce,
            server_seed: shoe.seed.to_hex(),
            commit: shoe.commit,
            client_seed,
            decks: self.config.decks,
        };
        self.emit(ctx, vec![event], batch, None);
    }
}
