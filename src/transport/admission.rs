//! Who may open a socket or use the sandbox, counted per server and per client address.
//!
//! Every WebSocket holds a [`Slot`] from its handshake until the connection is really gone
//! (the taken-over connection owns it), so the limits count sockets, not actors that may
//! stop while their socket still lingers. A dealer socket's slot also counts as
//! unauthenticated until its `auth` succeeds. Per-address rates (failed dealer
//! authentications, sandbox launches) are token buckets in maps with a named bound, pruned
//! on a timer, never on the request path. Addresses are the TCP peer's: behind a proxy they
//! are the proxy's, and the per-address limits must be set for that.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crate::config::Limits;
use crate::transport::socket::TokenBucket;

/// Addresses one per-address rate map remembers; past it new addresses are refused until
/// the timer forgets idle ones (a flood from many addresses is refused, not remembered).
const ADDRESSES_MAX: usize = 100_000;
/// How often idle per-address buckets are forgotten (see [`Admission::prune`]).
pub const PRUNE_INTERVAL: Duration = Duration::from_secs(10);

/// Why a socket or launch was refused: the stable code and the HTTP status to answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The server holds `connections_max` sockets, or `unauthenticated_max` unauthenticated.
    Full,
    /// This address holds `unauthenticated_per_address_max` unauthenticated sockets.
    TooManyFromAddress,
    /// This address failed too many dealer authentications, or launched too often.
    RateLimited,
}

impl Refusal {
    pub fn code(self) -> &'static str {
        match self {
            Refusal::Full => "busy",
            Refusal::TooManyFromAddress => "too_many_connections",
            Refusal::RateLimited => "rate_limited",
        }
    }

    pub fn status(self) -> u16 {
        match self {
            Refusal::Full => 503,
            Refusal::TooManyFromAddress | Refusal::RateLimited => 429,
        }
    }
}

/// Whose socket a slot holds, for the open-connections gauge.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Player,
    Dealer,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Player => "player",
            Kind::Dealer => "dealer",
        }
    }
}

/// Token buckets per client address, bounded by `ADDRESSES_MAX`.
struct AddressRates {
    buckets: HashMap<IpAddr, TokenBucket>,
    per_minute: u32,
}

impl AddressRates {
    fn new(per_minute: u32) -> AddressRates {
        AddressRates {
            buckets: HashMap::new(),
            per_minute,
        }
    }

    fn bucket(&mut self, address: IpAddr) -> Option<&mut TokenBucket> {
        if self.buckets.len() >= ADDRESSES_MAX && !self.buckets.contains_key(&address) {
            return None;
        }
        let per_minute = self.per_minute;
        Some(
            self.buckets
                .entry(address)
                .or_insert_with(|| TokenBucket::per_minute(per_minute)),
        )
    }

    /// Takes one token from `address`'s bucket; false when it has none left.
    fn take(&mut self, address: IpAddr) -> bool {
        self.bucket(address).is_some_and(TokenBucket::take)
    }

    /// Whether `address` has a token left, without taking it.
    fn has(&mut self, address: IpAddr) -> bool {
        self.bucket(address).is_some_and(|bucket| bucket.peek())
    }

    /// Forgets buckets that have refilled: a new one would be the same.
    fn prune(&mut self) {
        self.buckets.retain(|_, bucket| !bucket.is_full());
    }
}

/// The server-wide counters and per-address rates; one per server, shared by every worker.
pub struct Admission {
    connections_max: usize,
    unauthenticated_max: usize,
    unauthenticated_per_address_max: usize,
    /// Open sockets, players and dealers alike.
    connections: AtomicUsize,
    /// Unauthenticated sockets per address; an address leaves the map at zero, so the map
    /// holds at most `unauthenticated_max` entries.
    unauthenticated: Mutex<Unauthenticated>,
    /// Failed dealer authentications, per address.
    dealer_failures: Mutex<AddressRates>,
    /// Sandbox launches, per address.
    sandbox_launches: Mutex<AddressRates>,
    /// New sandbox players on the whole server (their welcome credit grows the journal).
    sandbox_new_players: Mutex<TokenBucket>,
}

#[derive(Default)]
struct Unauthenticated {
    total: usize,
    per_address: HashMap<IpAddr, usize>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Admission {
    pub fn new(limits: &Limits) -> Arc<Admission> {
        Arc::new(Admission {
            connections_max: limits.connections_max,
            unauthenticated_max: limits.unauthenticated_max,
            unauthenticated_per_address_max: limits.unauthenticated_per_address_max,
            connections: AtomicUsize::new(0),
            unauthenticated: Mutex::default(),
            dealer_failures: Mutex::new(AddressRates::new(limits.dealer_auth_failures_per_minute)),
            sandbox_launches: Mutex::new(AddressRates::new(limits.sandbox_launches_per_minute)),
            sandbox_new_players: Mutex::new(TokenBucket::per_minute(limits.sandbox_new_players_per_minute)),
        })
    }

    /// A slot for a player socket, which authenticated with its token in the handshake.
    ///
    /// # Errors
    /// `Full` at `connections_max`.
    pub fn admit_player(self: &Arc<Self>, address: IpAddr) -> Result<Slot, Refusal> {
        self.take_connection()?;
        Ok(Slot::new(self.clone(), Kind::Player, address, false))
    }

    /// A slot for a dealer socket, unauthenticated until [`Slot::authenticated`].
    ///
    /// # Errors
    /// `RateLimited` for an address that failed too many authentications, `Full` at
    /// `connections_max` or `unauthenticated_max`, `TooManyFromAddress` at
    /// `unauthenticated_per_address_max`.
    pub fn admit_dealer(self: &Arc<Self>, address: IpAddr) -> Result<Slot, Refusal> {
        if !lock(&self.dealer_failures).has(address) {
            return Err(Refusal::RateLimited);
        }
        {
            let mut unauthenticated = lock(&self.unauthenticated);
            if unauthenticated.total >= self.unauthenticated_max {
                return Err(Refusal::Full);
            }
            let from_address = unauthenticated.per_address.get(&address).copied().unwrap_or(0);
            if from_address >= self.unauthenticated_per_address_max {
                return Err(Refusal::TooManyFromAddress);
            }
            self.take_connection()?;
            unauthenticated.total += 1;
            *unauthenticated.per_address.entry(address).or_default() += 1;
        }
        Ok(Slot::new(self.clone(), Kind::Dealer, address, true))
    }

    /// Counts a failed dealer authentication against its address.
    pub fn dealer_auth_failed(&self, address: IpAddr) {
        lock(&self.dealer_failures).take(address);
    }

    /// A sandbox launch from `address`, within its per-minute rate.
    ///
    /// # Errors
    /// `RateLimited` past `sandbox_launches_per_minute`.
    pub fn sandbox_launch(&self, address: IpAddr) -> Result<(), Refusal> {
        if lock(&self.sandbox_launches).take(address) {
            Ok(())
        } else {
            Err(Refusal::RateLimited)
        }
    }

    /// Room for one new sandbox player.
    ///
    /// # Errors
    /// `RateLimited` past `sandbox_new_players_per_minute`.
    pub fn sandbox_new_player(&self) -> Result<(), Refusal> {
        if lock(&self.sandbox_new_players).take() {
            Ok(())
        } else {
            Err(Refusal::RateLimited)
        }
    }

    /// Forgets per-address buckets that have refilled. Runs on a timer (`PRUNE_INTERVAL`).
    pub fn prune(&self) {
        lock(&self.dealer_failures).prune();
        lock(&self.sandbox_launches).prune();
    }

    pub fn open_connections(&self) -> usize {
        self.connections.load(Ordering::Acquire)
    }

    fn take_connection(&self) -> Result<(), Refusal> {
        let taken = self
            .connections
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |open| {
                (open < self.connections_max).then_some(open + 1)
            });
        taken.map(|_| ()).map_err(|_| Refusal::Full)
    }

    fn release_unauthenticated(&self, address: IpAddr) {
        let mut unauthenticated = lock(&self.unauthenticated);
        unauthenticated.total -= 1;
        if let Some(count) = unauthenticated.per_address.get_mut(&address) {
            *count -= 1;
            if *count == 0 {
                unauthenticated.per_address.remove(&address);
            }
        }
    }
}

/// One socket's place in the counters, from its handshake until its connection is dropped.
pub struct Slot {
    admission: Arc<Admission>,
    kind: Kind,
    address: IpAddr,
    /// Counted among the unauthenticated until the socket authenticates.
    unauthenticated: AtomicBool,
}

impl Slot {
    fn new(admission: Arc<Admission>, kind: Kind, address: IpAddr, unauthenticated: bool) -> Slot {
        crate::telemetry::connection_opened(kind.label());
        Slot {
            admission,
            kind,
            address,
            unauthenticated: AtomicBool::new(unauthenticated),
        }
    }

    pub fn address(&self) -> IpAddr {
        self.address
    }

    /// The socket authenticated: it no longer counts against the unauthenticated caps.
    pub fn authenticated(&self) {
        if self.unauthenticated.swap(false, Ordering::AcqRel) {
            self.admission.release_unauthenticated(self.address);
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.authenticated();
        self.admission.connections.fetch_sub(1, Ordering::AcqRel);
        crate::telemetry::connection_closed(self.kind.label());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admission(connections_max: usize) -> Arc<Admission> {
        Admission::new(&Limits {
            connections_max,
            unauthenticated_max: 3,
            unauthenticated_per_address_max: 2,
            dealer_auth_failures_per_minute: 2,
            ..Limits::default()
        })
    }

    #[test]
    fn unauthenticated_sockets_are_capped_per_address_and_released_when_authenticated_or_gone() {
        let admission = admission(100);
        let a: IpAddr = [127, 0, 0, 2].into();
        let b: IpAddr = [127, 0, 0, 3].into();
        let first = admission.admit_dealer(a).unwrap();
        let _second = admission.admit_dealer(a).unwrap();
        assert_eq!(admission.admit_dealer(a).err(), Some(Refusal::TooManyFromAddress));
        let _third = admission.admit_dealer(b).unwrap();
        assert_eq!(admission.admit_dealer(b).err(), Some(Refusal::Full), "global cap");
        first.authenticated();
        let fourth = admission.admit_dealer(a).unwrap();
        assert_eq!(admission.open_connections(), 4, "an authenticated socket still counts");
        drop(fourth);
        drop(first);
        assert_eq!(admission.open_connections(), 2);
        admission.admit_dealer(a).unwrap();
    }

    #[test]
    fn players_and_dealers_share_the_connection_cap() {
        let admission = admission(2);
        let address: IpAddr = [127, 0, 0, 1].into();
        let _player = admission.admit_player(address).unwrap();
        let dealer = admission.admit_dealer(address).unwrap();
        assert_eq!(admission.admit_player(address).err(), Some(Refusal::Full));
        drop(dealer);
        admission.admit_player(address).unwrap();
    }

    #[test]
    fn failed_dealer_authentications_throttle_their_address_only() {
        let admission = admission(100);
        let a: IpAddr = [127, 0, 0, 2].into();
        admission.dealer_auth_failed(a);
        admission.dealer_auth_failed(a);
        assert_eq!(admission.admit_dealer(a).err(), Some(Refusal::RateLimited));
        admission.admit_dealer([127, 0, 0, 3].into()).unwrap();
    }
}
