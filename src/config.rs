//! Server configuration: defaults, the TOML config file, environment overrides and table files.
//!
//! Units are in field names. Every limit has a named default here so operators can see it.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::domain::games::blackjack;
use crate::domain::ids::TableId;
use crate::domain::money::{Amount, Currency};
use crate::domain::round::Game;

/// The operator key the README documents for the sandbox; never accepted with sandbox off.
pub const SANDBOX_OPERATOR_KEY_ID: &str = "sandbox";
pub const SANDBOX_OPERATOR_SECRET: &str = "sandbox-secret";
/// The dealer key the README documents for the sandbox; never accepted with sandbox off.
pub const SANDBOX_DEALER_KEY: &str = "dealer-secret";
/// Shortest operator secret or dealer key accepted with sandbox off: 256 bits.
pub const SECRET_BYTES_MIN: usize = 32;

/// An operator's API key: requests are HMAC-signed with `secret` and name `key_id`.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperatorKey {
    pub key_id: String,
    pub secret: String,
}

/// A dealer's key: opens the dealer console of the listed tables only.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DealerKey {
    pub key: String,
    pub tables: Vec<TableId>,
}

/// Bounds on what one client may do; see `docs/protocol.md` for how each is enforced.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Largest inbound WebSocket frame; larger frames close the connection (1009).
    pub frame_bytes_max: usize,
    /// Outbound frames queued for one socket before it is closed as too slow (4008).
    pub socket_queue_max: usize,
    /// Inbound messages per second per connection (token bucket rate) and its burst.
    pub messages_per_s: u32,
    pub messages_burst: u32,
    /// Bets one player may place in one round at one table.
    pub bets_per_round_max: usize,
    /// Tables one connection may have joined at once.
    pub tables_per_connection_max: usize,
    /// Open player connections on the whole server.
    pub connections_max: usize,
    /// Open connections of one player (each of its sessions holds at most one).
    pub connections_per_player_max: usize,
    /// Time a socket may stay silent (no pong, no message) before it is closed (4002).
    pub idle_timeout_ms: u64,
    /// Interval between server pings.
    pub heartbeat_ms: u64,
    /// Time data sent to a client may stay unacknowledged (it stopped reading, or its
    /// network vanished) before the kernel drops the connection and its buffers.
    pub write_timeout_ms: u64,
    /// Lifetime of a launch token before it is used.
    pub launch_token_ttl_s: u64,
    /// Lifetime of a session from its launch: its resume tokens stop working and its
    /// connection is closed (4003) when it ends.
    pub session_ttl_s: u64,
    /// Journal appends waiting for a group commit before new bets are refused with `busy`.
    pub journal_queue_max: usize,
    /// Messages waiting in a table's or wallet's mailbox before player commands get `busy`.
    pub mailbox_max: usize,
    /// A session that sends no command this long is warned, then closed (4007) a minute
    /// later if it stays silent; its bets stand and settle.
    pub session_idle_ms: u64,
    /// Table events kept per table for resuming clients; older resumes get a snapshot.
    pub history_events_max: u64,
    /// Sockets that have not authenticated yet (dealer consoles before their `auth`), on
    /// the whole server and from one client address; past either the upgrade is refused
    /// with 503 `busy` or 429 `too_many_connections`.
    pub unauthenticated_max: usize,
    pub unauthenticated_per_address_max: usize,
    /// Failed dealer authentications one address may make per minute (burst: the same
    /// number); past it its dealer upgrades are refused with 429 `rate_limited`.
    pub dealer_auth_failures_per_minute: u32,
    /// Once a socket is closing (its close frame queued, or it was found too slow), the
    /// longest it may take to be gone, whatever the peer does: then it is dropped.
    pub closing_timeout_ms: u64,
    /// Sandbox only: unsigned launches (`POST /v1/sandbox/launch`) per client address per
    /// minute, and new players that launches may create per minute on the whole server
    /// (each gets a welcome credit written to the journal); past either: 429 `rate_limited`.
    pub sandbox_launches_per_minute: u32,
    pub sandbox_new_players_per_minute: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            frame_bytes_max: 16 * 1024,
            socket_queue_max: 1024,
            messages_per_s: 20,
            messages_burst: 40,
            bets_per_round_max: 50,
            tables_per_connection_max: 8,
            connections_max: 50_000,
            connections_per_player_max: 5,
            idle_timeout_ms: 60_000,
            heartbeat_ms: 15_000,
            write_timeout_ms: 30_000,
            launch_token_ttl_s: 300,
            session_ttl_s: 8 * 3600,
            journal_queue_max: 100_000,
            mailbox_max: 4096,
            session_idle_ms: 30 * 60 * 1000,
            history_events_max: 100_000,
            unauthenticated_max: 1024,
            unauthenticated_per_address_max: 16,
            dealer_auth_failures_per_minute: 10,
            closing_timeout_ms: 5_000,
            sandbox_launches_per_minute: 30,
            sandbox_new_players_per_minute: 600,
        }
    }
}

impl Limits {
    /// # Errors
    /// A sentence naming the first impossible setting.
    fn validate(&self) -> Result<(), String> {
        let positive = [
            ("frame_bytes_max", self.frame_bytes_max as u64),
            ("socket_queue_max", self.socket_queue_max as u64),
            ("messages_per_s", self.messages_per_s as u64),
            ("messages_burst", self.messages_burst as u64),
            ("connections_max", self.connections_max as u64),
            ("heartbeat_ms", self.heartbeat_ms),
            ("journal_queue_max", self.journal_queue_max as u64),
            ("mailbox_max", self.mailbox_max as u64),
            ("unauthenticated_max", self.unauthenticated_max as u64),
            (
                "unauthenticated_per_address_max",
                self.unauthenticated_per_address_max as u64,
            ),
            (
                "dealer_auth_failures_per_minute",
                self.dealer_auth_failures_per_minute as u64,
            ),
            ("closing_timeout_ms", self.closing_timeout_ms),
            ("sandbox_launches_per_minute", self.sandbox_launches_per_minute as u64),
            (
                "sandbox_new_players_per_minute",
                self.sandbox_new_players_per_minute as u64,
            ),
        ];
        if let Some((name, _)) = positive.iter().find(|(_, value)| *value == 0) {
            return Err(format!("limits.{name} must be above 0"));
        }
        if self.heartbeat_ms >= self.idle_timeout_ms {
            return Err("limits.heartbeat_ms must be below limits.idle_timeout_ms".into());
        }
        Ok(())
    }
}

/// The whole server configuration (`croupier serve --config FILE`).
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub tables_dir: PathBuf,
    pub web_dir: PathBuf,
    /// Sandbox mode: mock credits via `POST /v1/sandbox/deposit`. Off in production.
    pub sandbox: bool,
    /// Operator API keys. Empty in a sandbox means the documented sandbox key; production
    /// needs at least one, with a secret of its own (see [`Config::ready`]).
    pub operators: Vec<OperatorKey>,
    /// Dealer console keys. Empty in a sandbox means the documented sandbox key; empty in
    /// production means no console can attach.
    pub dealers: Vec<DealerKey>,
    /// Where `/metrics` is served without authentication (for a Prometheus scraper on a
    /// private network). On `listen`, `/metrics` always needs an operator signature.
    pub metrics_listen: Option<SocketAddr>,
    /// The `frame-ancestors` of the client pages' Content-Security-Policy: which sites may
    /// show the player client and dealer console in a frame.
    pub frame_ancestors: String,
    /// Operator request timestamps further than this from the server clock are refused.
    pub signature_window_s: u64,
    /// Multiplies every table's pacing (bet window, card interval, pauses); 0 deals instantly.
    pub pacing_scale: f64,
    /// sled page cache size.
    pub cache_capacity_bytes: u64,
    /// HTTPS and WSS instead of plain HTTP: a PEM certificate chain and its PEM private key.
    pub tls: Option<TlsFiles>,
    pub limits: Limits,
}

/// Where the server's certificate and key live, and the TLS versions it speaks.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsFiles {
    pub cert_pem: PathBuf,
    pub key_pem: PathBuf,
    /// The oldest TLS version a client may connect with: `"1.2"` (the default: TLS 1.2 and
    /// 1.3) or `"1.3"` (TLS 1.3 only, as some regulators require); a client offering only
    /// older versions fails the handshake. Any other value stops the server at start.
    #[serde(default)]
    pub min_version: TlsVersion,
}

/// A TLS protocol version, written `"1.2"` or `"1.3"` in the config file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TlsVersion {
    #[default]
    Tls12,
    Tls13,
}

impl<'de> Deserialize<'de> for TlsVersion {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Version;
        impl serde::de::Visitor<'_> for Version {
            type Value = TlsVersion;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("\"1.2\" or \"1.3\" (a string)")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<TlsVersion, E> {
                match text {
                    "1.2" => Ok(TlsVersion::Tls12),
                    "1.3" => Ok(TlsVersion::Tls13),
                    _ => Err(E::invalid_value(serde::de::Unexpected::Str(text), &self)),
                }
            }
        }
        deserializer.deserialize_str(Version)
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("data"),
            tables_dir: PathBuf::from("tables"),
            web_dir: PathBuf::from("web"),
            sandbox: true,
            operators: Vec::new(),
            dealers: Vec::new(),
            metrics_listen: None,
            frame_ancestors: "'self'".into(),
            signature_window_s: 30,
            pacing_scale: 1.0,
            cache_capacity_bytes: 256 * 1024 * 1024,
            tls: None,
            limits: Limits::default(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}: {message}")]
    Invalid { path: PathBuf, message: String },
}

impl Config {
    /// Reads a TOML config file; fields left out keep their defaults.
    ///
    /// # Errors
    /// Unreadable file or invalid TOML / unknown field.
    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        toml::from_str(&text).map_err(|error| ConfigError::Invalid {
            path: path.to_owned(),
            message: error.to_string(),
        })
    }

    /// Environment overrides for secrets, so they need not sit in a file:
    /// `CROUPIER_OPERATOR_KEY_ID` + `CROUPIER_OPERATOR_SECRET` replace the operator keys,
    /// `CROUPIER_DEALER_KEY` replaces the dealer keys (opening every table).
    pub fn apply_env(&mut self) {
        if let (Ok(key_id), Ok(secret)) = (
            std::env::var("CROUPIER_OPERATOR_KEY_ID"),
            std::env::var("CROUPIER_OPERATOR_SECRET"),
        ) {
            self.operators = vec![OperatorKey { key_id, secret }];
        }
        if let Ok(key) = std::env::var("CROUPIER_DEALER_KEY") {
            self.dealers = vec![DealerKey {
                key,
                tables: Vec::new(),
            }];
        }
    }

    /// The config the server runs with: in a sandbox, the documented keys where none are
    /// set; then every setting checked.
    ///
    /// # Errors
    /// A sentence naming the setting to fix: with sandbox off, a missing operator key, or
    /// any operator secret or dealer key that is a documented sandbox key or shorter than
    /// [`SECRET_BYTES_MIN`]; impossible limits anywhere.
    pub fn ready(mut self) -> Result<Config, String> {
        if self.sandbox {
            if self.operators.is_empty() {
                self.operators = vec![OperatorKey {
                    key_id: SANDBOX_OPERATOR_KEY_ID.into(),
                    secret: SANDBOX_OPERATOR_SECRET.into(),
                }];
            }
            if self.dealers.is_empty() {
                self.dealers = vec![DealerKey {
                    key: SANDBOX_DEALER_KEY.into(),
                    tables: Vec::new(),
                }];
            }
        } else {
            self.check_production_secrets()?;
        }
        for (index, operator) in self.operators.iter().enumerate() {
            if operator.key_id.is_empty() || operator.secret.is_empty() {
                return Err(format!("operators[{index}]: key_id and secret must not be empty"));
            }
            if self.operators[..index].iter().any(|o| o.key_id == operator.key_id) {
                return Err(format!("operators: key_id {:?} appears twice", operator.key_id));
            }
        }
        if self.frame_ancestors.is_empty() || self.frame_ancestors.contains([';', ',', '\r', '\n']) {
            return Err(
                "frame_ancestors: one or more CSP sources separated by spaces, like 'self' https://casino.example"
                    .into(),
            );
        }
        self.limits.validate()?;
        Ok(self)
    }

    fn check_production_secrets(&self) -> Result<(), String> {
        const FIX: &str = "set a secret of its own, at least 32 random bytes (`openssl rand -hex 32`)";
        if self.operators.is_empty() {
            return Err(format!(
                "sandbox = false needs an operator key: add [[operators]] key_id and secret ({FIX}), or set CROUPIER_OPERATOR_KEY_ID and CROUPIER_OPERATOR_SECRET"
            ));
        }
        let documented = [SANDBOX_OPERATOR_SECRET, SANDBOX_DEALER_KEY];
        for operator in &self.operators {
            if documented.contains(&operator.secret.as_str()) || operator.secret.len() < SECRET_BYTES_MIN {
                return Err(format!(
                    "sandbox = false, but the secret of operator key {:?} is a documented sandbox secret or shorter than {SECRET_BYTES_MIN} bytes: in [[operators]] (or CROUPIER_OPERATOR_SECRET) {FIX}",
                    operator.key_id
                ));
            }
        }
        for (index, dealer) in self.dealers.iter().enumerate() {
            if documented.contains(&dealer.key.as_str()) || dealer.key.len() < SECRET_BYTES_MIN {
                return Err(format!(
                    "sandbox = false, but dealers[{index}].key is a documented sandbox key or shorter than {SECRET_BYTES_MIN} bytes: in [[dealers]] (or CROUPIER_DEALER_KEY) {FIX}"
                ));
            }
        }
        Ok(())
    }

    /// A config for tests: loopback port 0, instant pacing, the given data dir.
    pub fn for_tests(data_dir: PathBuf) -> Config {
        Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir,
            pacing_scale: 0.0,
            ..Config::default()
        }
    }
}

/// Betting limits of one currency at one table, per bet, in minor units.
#[derive(Clone, Copy, Debug, Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StakeLimits {
    pub stake_min: Amount,
    pub stake_max: Amount,
}

/// How a table's rounds are driven.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DealerMode {
    /// Deals from the committed RNG shoe on a timer.
    Auto,
    /// Driven by a dealer console over `/v1/deal`.
    Console,
}

/// One live table, from `tables/<id>.toml`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableConfig {
    pub id: TableId,
    pub name: String,
    pub game: Game,
    #[serde(default = "default_dealer")]
    pub dealer: DealerMode,
    /// Decks in the shoe (card games).
    #[serde(default = "default_decks")]
    pub decks: u32,
    /// Cards left behind the cut card; reaching it ends the shoe after the current round.
    #[serde(default = "default_cut")]
    pub cut_cards_from_end: u32,
    #[serde(default = "default_bet_window")]
    pub bet_window_ms: u64,
    #[serde(default = "default_card_interval")]
    pub card_interval_ms: u64,
    /// Pause after settlement before the next round opens.
    #[serde(default = "default_result_pause")]
    pub result_pause_ms: u64,
    /// Blackjack: time a hand has to act before it stands.
    #[serde(default = "default_decision")]
    pub decision_ms: u64,
    #[serde(default = "default_seats")]
    pub seats_max: u8,
    /// Blackjack: the dealer hits soft 17 (H17) when true, stands on it (S17) when false.
    #[serde(default)]
    pub dealer_hits_soft_17: bool,
    /// Blackjack: insurance is offered when the dealer shows an ace: a seat may insure at its
    /// turn, before it splits, for half its main bet (rounded down), paid 2:1 on a dealer
    /// blackjack. Off by default.
    #[serde(default)]
    pub insurance: bool,
    pub limits: BTreeMap<Currency, StakeLimits>,
}

fn default_dealer() -> DealerMode {
    DealerMode::Auto
}
fn default_decks() -> u32 {
    8
}
fn default_cut() -> u32 {
    16
}
fn default_bet_window() -> u64 {
    12_000
}
fn default_card_interval() -> u64 {
    700
}
fn default_result_pause() -> u64 {
    3_000
}
fn default_decision() -> u64 {
    10_000
}
fn default_seats() -> u8 {
    7
}

impl TableConfig {
    /// Scales every pacing interval (tests run with 0: instant dealing, but a bet window
    /// is kept at a floor so bets can still be placed).
    pub fn scaled(mut self, scale: f64) -> TableConfig {
        let scale_ms = |ms: u64| (ms as f64 * scale).round() as u64;
        self.card_interval_ms = scale_ms(self.card_interval_ms);
        self.result_pause_ms = scale_ms(self.result_pause_ms);
        if scale != 1.0 {
            self.bet_window_ms = scale_ms(self.bet_window_ms).max(self.bet_window_ms.min(200));
            self.decision_ms = scale_ms(self.decision_ms).max(self.decision_ms.min(200));
        }
        self
    }

    /// The blackjack rules this table's rounds are played by: its own choices, the house
    /// defaults for the rest (4 hands per seat, doubling after a split).
    pub fn blackjack_rules(&self) -> blackjack::Rules {
        blackjack::Rules {
            dealer_hits_soft_17: self.dealer_hits_soft_17,
            insurance: self.insurance,
            ..blackjack::Rules::default()
        }
    }

    fn validate(&self) -> Result<(), String> {
        if self.limits.is_empty() {
            return Err("a table needs limits for at least one currency".into());
        }
        for (currency, limits) in &self.limits {
            if !limits.stake_min.is_positive() || limits.stake_max < limits.stake_min {
                return Err(format!("limits.{currency}: need 0 < stake_min <= stake_max"));
            }
        }
        if self.game != Game::Roulette {
            crate::domain::cards::Composition::decks(self.decks).map_err(|e| e.to_string())?;
            if self.cut_cards_from_end as u64 + 20 > self.decks as u64 * 52 {
                return Err("cut_cards_from_end leaves too few cards to deal".into());
            }
        }
        if self.game == Game::Blackjack && !(1..=7).contains(&self.seats_max) {
            return Err("seats_max must be 1..=7".into());
        }
        Ok(())
    }
}

/// Loads every `*.toml` in `dir` (not recursing), sorted by file name.
///
/// # Errors
/// An unreadable directory or file, an invalid table, or two tables with one id.
pub fn load_tables(dir: &Path) -> Result<Vec<TableConfig>, ConfigError> {
    let read_err = |source| ConfigError::Read {
        path: dir.to_owned(),
        source,
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(read_err)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    paths.sort();
    let mut tables: Vec<TableConfig> = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
            path: path.clone(),
            source,
        })?;
        let invalid = |message: String| ConfigError::Invalid {
            path: path.clone(),
            message,
        };
        let table: TableConfig = toml::from_str(&text).map_err(|e| invalid(e.to_string()))?;
        table.validate().map_err(invalid)?;
        if tables.iter().any(|t| t.id == table.id) {
            return Err(invalid(format!("duplicate table id {}", table.id)));
        }
        tables.push(table);
    }
    Ok(tables)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table_with_limits(currency: &str) -> String {
        format!(
            "id = \"bac\"\nname = \"Baccarat\"\ngame = \"baccarat\"\n\n[limits.{currency}]\nstake_min = 100\nstake_max = 500000\n"
        )
    }

    /// A table file is the operator's only way to name a currency: a code that is not an
    /// ISO 4217 currency stops the server at start with the file and the code named.
    #[test]
    fn a_table_file_with_a_currency_outside_iso_4217_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        for code in ["XYZ", "XAU", "eur"] {
            std::fs::write(dir.path().join("bac.toml"), table_with_limits(code)).unwrap();
            let error = load_tables(dir.path()).expect_err(code).to_string();
            assert!(error.contains("bac.toml"), "{error}");
            assert!(
                error.contains(&format!("\"{code}\" is not an ISO 4217 currency code")),
                "{error}"
            );
        }
        std::fs::write(dir.path().join("bac.toml"), table_with_limits("KWD")).unwrap();
        let tables = load_tables(dir.path()).unwrap();
        let kwd: Currency = "KWD".parse().unwrap();
        assert_eq!(tables[0].limits[&kwd].stake_max, Amount(500_000));
    }

    /// Insurance is the table's choice, off unless its file turns it on, and reaches the
    /// rules its rounds are played by together with the dealer's soft-17 rule.
    #[test]
    fn a_blackjack_table_chooses_insurance_and_soft_17() {
        let table = |extra: &str| -> TableConfig {
            toml::from_str(&format!(
                "id = \"bj\"\nname = \"Blackjack\"\ngame = \"blackjack\"\n{extra}\n[limits.EUR]\nstake_min = 100\nstake_max = 500000\n"
            ))
            .unwrap()
        };
        let plain = table("").blackjack_rules();
        assert!(!plain.insurance && !plain.dealer_hits_soft_17);
        assert_eq!(plain, blackjack::Rules::default());
        let chosen = table("insurance = true\ndealer_hits_soft_17 = true").blackjack_rules();
        assert!(chosen.insurance && chosen.dealer_hits_soft_17);
        assert_eq!(chosen.max_hands, blackjack::Rules::default().max_hands);
        let typo: Result<TableConfig, _> =
            toml::from_str("id = \"bj\"\nname = \"B\"\ngame = \"blackjack\"\ninsurence = true\n");
        assert!(typo.unwrap_err().to_string().contains("insurence"));
    }
}
