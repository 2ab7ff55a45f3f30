//! Target `signature`: operator request signatures through
//! `croupier::transport::auth::OperatorAuth::verify`.
//!
//! The input is written like an HTTP request, so seeds are readable and libFuzzer's text
//! mutations make sense of it:
//!
//! ```text
//! POST /v1/sessions                      <- method, one space, path_and_query
//! X-Croupier-Key: sandbox                <- the four signature headers, each optional
//! X-Croupier-Timestamp: 1700000000
//! X-Croupier-Nonce: 0123456789abcdef0123456789abcdef
//! X-Croupier-Signature: 1971e613…
//! X-Fuzz-Now: 1700000010                 <- the server clock (default: the timestamp)
//! X-Fuzz-Window: 30                      <- signature_window_s (default 30)
//! X-Fuzz-Secret: sandbox-secret          <- the secret of key `sandbox` (default as shown)
//!                                        <- one empty line, then the body, byte for byte
//! {"player_id":"alice","currency":"EUR"}
//! ```
//!
//! Checks, in order:
//! 1. The request as written: `verify` answers exactly what an independent model of
//!    docs/protocol.md §1 answers (first failed check, or the key id), and never panics; an
//!    accepted request is refused as a replay when sent again.
//! 2. The same method, path and body, correctly signed with an HMAC computed here from the
//!    documented string (not with croupier's `sign`), a timestamp inside the window and a
//!    valid nonce made from the input's: accepted; sent again: `Replay`; the same signature
//!    under another nonce: `BadSignature`.
//! 3. The same, signed with a timestamp at either edge of the window (`now - window`,
//!    `now + window`): accepted, since the window is inclusive.
//!
//! The clock and the window are kept to what the server can have: `now` is at most what
//! `unix_now_s()` in routes.rs can return (i64 microseconds / 10^6), and the window at
//! most i64::MAX, the largest integer a TOML config can hold (the config does not bound
//! `signature_window_s` further).

use std::collections::HashMap;

use croupier::config::OperatorKey;
use croupier::transport::auth::{AuthError, OperatorAuth, Signed};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The largest `now_s` the server passes to `verify`: `(now_us() / 1_000_000) as u64`.
const CLOCK_MAX_S: u64 = (i64::MAX / 1_000_000) as u64;
/// The largest `signature_window_s` a TOML config file can express.
const WINDOW_MAX_S: u64 = i64::MAX as u64;
const WINDOW_DEFAULT_S: u64 = 30;
/// The sandbox key of the default config and of the docs' worked example.
const SANDBOX_KEY: &str = "sandbox";
const SANDBOX_SECRET: &str = "sandbox-secret";
/// A second key, so that the key lookup and per-key nonces are exercised.
const OTHER_KEY: &str = "operator-2";
const OTHER_SECRET: &str = "";
/// Characters a nonce may use (docs/protocol.md §1): exactly 64, so a byte maps onto one.
const NONCE_ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// One operator request as written in the fuzz input.
#[derive(Debug, Default)]
pub struct Request {
    pub method: String,
    pub path_and_query: String,
    pub key_id: Option<String>,
    pub timestamp: Option<String>,
    pub nonce: Option<String>,
    pub signature: Option<String>,
    pub now: Option<String>,
    pub window: Option<String>,
    pub secret: Option<String>,
    pub body: Vec<u8>,
}

impl Request {
    /// Reads the request format described in the module documentation. Never fails: a
    /// missing part is absent or empty.
    pub fn parse(data: &[u8]) -> Request {
        let (head, body) = match data.windows(2).position(|pair| pair == b"\n\n") {
            Some(at) => (&data[..at], &data[at + 2..]),
            None => (data, &[][..]),
        };
        let head = String::from_utf8_lossy(head);
        let mut lines = head.split('\n');
        let request_line = lines.next().unwrap_or_default();
        let (method, path_and_query) = request_line.split_once(' ').unwrap_or((request_line, ""));
        let mut request = Request {
            method: method.to_owned(),
            path_and_query: path_and_query.to_owned(),
            body: body.to_vec(),
            ..Request::default()
        };
        for line in lines {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            // HTTP drops the white space before a header value, not after it.
            let value = Some(value.trim_start_matches([' ', '\t']).to_owned());
            match name.to_ascii_lowercase().as_str() {
                "x-croupier-key" => request.key_id = value,
                "x-croupier-timestamp" => request.timestamp = value,
                "x-croupier-nonce" => request.nonce = value,
                "x-croupier-signature" => request.signature = value,
                "x-fuzz-now" => request.now = value,
                "x-fuzz-window" => request.window = value,
                "x-fuzz-secret" => request.secret = value,
                _ => {}
            }
        }
        request
    }

    /// The signature the API documentation prescribes for this request under `secret`.
    fn documented_signature(&self, secret: &str, timestamp: &str, nonce: &str) -> String {
        to_hex(&documented_hmac(
            secret,
            timestamp,
            nonce,
            &self.method,
            &self.path_and_query,
            &self.body,
        ))
    }

    fn signed<'a>(
        &'a self,
        timestamp: Option<&'a str>,
        nonce: Option<&'a str>,
        signature: Option<&'a str>,
    ) -> Signed<'a> {
        Signed {
            key_id: self.key_id.as_deref(),
            timestamp,
            nonce,
            signature,
            method: &self.method,
            path_and_query: &self.path_and_query,
            body: &self.body,
        }
    }
}

/// The server configuration and clock one input runs under.
struct Setup {
    keys: HashMap<&'static str, String>,
    window_s: u64,
    now_s: u64,
}

impl Setup {
    fn of(request: &Request) -> Setup {
        // Saturating: a number too large for u64 stands for the largest value allowed.
        let number = |text: &Option<String>| {
            text.as_deref()
                .and_then(|t| t.trim().parse::<u128>().ok())
                .map(|n| u64::try_from(n).unwrap_or(u64::MAX))
        };
        let secret = request.secret.clone().unwrap_or_else(|| SANDBOX_SECRET.to_owned());
        Setup {
            keys: HashMap::from([(SANDBOX_KEY, secret), (OTHER_KEY, OTHER_SECRET.to_owned())]),
            window_s: number(&request.window).unwrap_or(WINDOW_DEFAULT_S).min(WINDOW_MAX_S),
            now_s: number(&request.now)
                .or_else(|| number(&request.timestamp))
                .unwrap_or(1_700_000_000)
                .min(CLOCK_MAX_S),
        }
    }

    /// A fresh verifier: no nonce of an earlier input is remembered.
    fn auth(&self) -> OperatorAuth {
        let keys = self
            .keys
            .iter()
            .map(|(key_id, secret)| OperatorKey {
                key_id: (*key_id).to_owned(),
                secret: secret.clone(),
            })
            .collect();
        OperatorAuth::new(keys, self.window_s)
    }

    /// docs/protocol.md §1, checked in the order the server documents, for a request that
    /// has not been seen before.
    fn model(&self, signed: &Signed<'_>) -> Result<String, AuthError> {
        let key_id = signed.key_id.ok_or(AuthError::Missing("X-Croupier-Key"))?;
        let timestamp = signed.timestamp.ok_or(AuthError::Missing("X-Croupier-Timestamp"))?;
        let nonce = signed.nonce.ok_or(AuthError::Missing("X-Croupier-Nonce"))?;
        let signature = signed.signature.ok_or(AuthError::Missing("X-Croupier-Signature"))?;
        let secret = self.keys.get(key_id).ok_or(AuthError::UnknownKey)?;
        if !self.in_window(timestamp) {
            return Err(AuthError::Stale);
        }
        if !valid_nonce(nonce) {
            return Err(AuthError::BadNonce);
        }
        let expected = documented_hmac(
            secret,
            timestamp,
            nonce,
            signed.method,
            signed.path_and_query,
            signed.body,
        );
        if from_hex(signature).as_deref() != Some(&expected[..]) {
            return Err(AuthError::BadSignature);
        }
        Ok(key_id.to_owned())
    }

    /// Unix seconds (as Rust reads a `u64`: digits, an optional leading `+`) no further
    /// than the window from the clock.
    fn in_window(&self, timestamp: &str) -> bool {
        timestamp
            .parse::<u64>()
            .is_ok_and(|ts| ts.abs_diff(self.now_s) <= self.window_s)
    }
}

fn valid_nonce(nonce: &str) -> bool {
    (16..=64).contains(&nonce.len()) && nonce.bytes().all(|b| NONCE_ALPHABET.contains(&b))
}

/// HMAC-SHA256, keyed with the secret, of
/// `timestamp + "\n" + nonce + "\n" + METHOD + "\n" + path_and_query + "\n" + body`.
pub fn documented_hmac(
    secret: &str,
    timestamp: &str,
    nonce: &str,
    method: &str,
    path_and_query: &str,
    body: &[u8],
) -> Vec<u8> {
    let mut message = format!("{timestamp}\n{nonce}\n{method}\n{path_and_query}\n").into_bytes();
    message.extend_from_slice(body);
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(&message);
    mac.finalize().into_bytes().to_vec()
}

pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Hex of either case, as the server accepts it (the docs ask clients for lower case).
fn from_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    let digit = |b: u8| (b as char).to_digit(16);
    text.as_bytes()
        .chunks_exact(2)
        .map(|pair| Some((digit(pair[0])? * 16 + digit(pair[1])?) as u8))
        .collect()
}

/// A valid nonce made from any text: each byte mapped onto the alphabet, then cut or padded
/// to 16..=64 characters.
fn nonce_from(text: &str) -> String {
    let mut nonce: String = text
        .bytes()
        .take(64)
        .map(|b| NONCE_ALPHABET[usize::from(b) % NONCE_ALPHABET.len()] as char)
        .collect();
    while nonce.len() < 16 {
        nonce.push('0');
    }
    nonce
}

pub fn check(data: &[u8]) {
    let request = Request::parse(data);
    let setup = Setup::of(&request);

    // 1. As written.
    let auth = setup.auth();
    let as_written = request.signed(
        request.timestamp.as_deref(),
        request.nonce.as_deref(),
        request.signature.as_deref(),
    );
    let answer = auth.verify(&as_written, setup.now_s);
    assert_eq!(answer, setup.model(&as_written), "{request:?}");
    if answer.is_ok() {
        assert_eq!(
            auth.verify(&as_written, setup.now_s),
            Err(AuthError::Replay),
            "{request:?}"
        );
    }

    // 2. The same request, correctly signed.
    let key_id = match request.key_id.as_deref() {
        Some(key_id) if setup.keys.contains_key(key_id) => key_id,
        _ => SANDBOX_KEY,
    };
    let timestamp = match request.timestamp.as_deref() {
        Some(timestamp) if setup.in_window(timestamp) => timestamp.to_owned(),
        _ => setup.now_s.to_string(),
    };
    let nonce = nonce_from(request.nonce.as_deref().unwrap_or_default());
    let secret = &setup.keys[key_id];
    let signature = request.documented_signature(secret, &timestamp, &nonce);
    let signed = Signed {
        key_id: Some(key_id),
        ..request.signed(Some(&timestamp), Some(&nonce), Some(&signature))
    };
    let auth = setup.auth();
    assert_eq!(auth.verify(&signed, setup.now_s), Ok(key_id.to_owned()), "{request:?}");
    assert_eq!(auth.verify(&signed, setup.now_s), Err(AuthError::Replay), "{request:?}");
    // Another valid nonce under the same signature: the nonce is part of what is signed.
    let other_nonce = format!("{}{}", &nonce[1..], if nonce.starts_with('0') { '1' } else { '0' });
    let moved = Signed {
        nonce: Some(&other_nonce),
        ..signed
    };
    assert_eq!(
        auth.verify(&moved, setup.now_s),
        Err(AuthError::BadSignature),
        "{request:?}"
    );

    // 3. The window is inclusive: signed at either edge of it, the request is accepted.
    for edge in [
        setup.now_s.saturating_sub(setup.window_s),
        setup.now_s.saturating_add(setup.window_s),
    ] {
        let timestamp = edge.to_string();
        let signature = request.documented_signature(secret, &timestamp, &nonce);
        let signed = Signed {
            key_id: Some(key_id),
            ..request.signed(Some(&timestamp), Some(&nonce), Some(&signature))
        };
        let answer = setup.auth().verify(&signed, setup.now_s);
        assert_eq!(answer, Ok(key_id.to_owned()), "edge {edge}: {request:?}");
    }
}
