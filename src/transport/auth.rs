//! Operator request signatures (HMAC-SHA256) with timestamp window and nonce replay guard.
//!
//! Signed string: `timestamp "\n" nonce "\n" METHOD "\n" path_and_query "\n" body`.
//! Headers: `X-Croupier-Key`, `X-Croupier-Timestamp`, `X-Croupier-Nonce`, `X-Croupier-Signature`.
//! Secrets never reach a log; failures say which check failed, not the secret or signature.
//! The client is told only that its request is not authenticated, whichever check failed.
//!
//! Replayed nonces are caught by remembering every nonce of a key for two rotations of its
//! store; a timer rotates the stores (`OperatorAuth::rotate`), so no request sweeps them.

use std::collections::HashSet;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::config::OperatorKey;

/// Nonces remembered per operator key; past it that key's requests are refused (`Busy`)
/// until a rotation forgets old ones. Other keys are unaffected.
const NONCES_PER_KEY_MAX: usize = 500_000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("missing header {0}")]
    Missing(&'static str),
    #[error("unknown key")]
    UnknownKey,
    #[error("timestamp outside the allowed window")]
    Stale,
    #[error("nonce must be 16 to 64 characters of [A-Za-z0-9_-]")]
    BadNonce,
    #[error("nonce already used")]
    Replay,
    #[error("signature does not match")]
    BadSignature,
    #[error("too many requests in the replay window")]
    Busy,
}

pub struct Signed<'a> {
    pub key_id: Option<&'a str>,
    pub timestamp: Option<&'a str>,
    pub nonce: Option<&'a str>,
    pub signature: Option<&'a str>,
    pub method: &'a str,
    pub path_and_query: &'a str,
    pub body: &'a [u8],
}

pub struct OperatorAuth {
    /// Each key with the nonces its requests used.
    keys: Vec<(OperatorKey, Mutex<Nonces>)>,
    window_s: u64,
}

/// The nonces one key used since the last rotation and in the one before. A nonce must be
/// remembered while its timestamp can pass the window check: at most two windows after it
/// arrives (its timestamp may be a window ahead of the clock). Rotating every
/// `2 × window + 1` s keeps each nonce at least that long.
#[derive(Default)]
struct Nonces {
    current: HashSet<String>,
    previous: HashSet<String>,
}

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &str, timestamp: &str, nonce: &str, method: &str, path_and_query: &str, body: &[u8]) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    for part in [
        timestamp.as_bytes(),
        b"\n",
        nonce.as_bytes(),
        b"\n",
        method.as_bytes(),
        b"\n",
        path_and_query.as_bytes(),
        b"\n",
    ] {
        mac.update(part);
    }
    mac.update(body);
    mac
}

/// Hex HMAC-SHA256 of the canonical string (clients and tests sign with this).
pub fn sign(secret: &str, timestamp: &str, nonce: &str, method: &str, path_and_query: &str, body: &[u8]) -> String {
    hex::encode(
        mac(secret, timestamp, nonce, method, path_and_query, body)
            .finalize()
            .into_bytes(),
    )
}

fn lock(nonces: &Mutex<Nonces>) -> MutexGuard<'_, Nonces> {
    nonces.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl OperatorAuth {
    pub fn new(keys: Vec<OperatorKey>, window_s: u64) -> OperatorAuth {
        OperatorAuth {
            keys: keys.into_iter().map(|key| (key, Mutex::default())).collect(),
            window_s,
        }
    }

    /// How often [`OperatorAuth::rotate`] must run.
    pub fn rotation_interval(&self) -> Duration {
        Duration::from_secs(2 * self.window_s + 1)
    }

    /// Forgets the nonces of the rotation before last. The forgotten set is freed after the
    /// lock is released.
    pub fn rotate(&self) {
        for (_, nonces) in &self.keys {
            let forgotten = {
                let mut nonces = lock(nonces);
                let current = std::mem::take(&mut nonces.current);
                std::mem::replace(&mut nonces.previous, current)
            };
            drop(forgotten);
        }
    }

    /// Checks a request; returns the key id on success.
    ///
    /// # Errors
    /// The first failed check, as an [`AuthError`].
    pub fn verify(&self, request: &Signed<'_>, now_s: u64) -> Result<String, AuthError> {
        let key_id = request.key_id.ok_or(AuthError::Missing("X-Croupier-Key"))?;
        let timestamp = request.timestamp.ok_or(AuthError::Missing("X-Croupier-Timestamp"))?;
        let nonce = request.nonce.ok_or(AuthError::Missing("X-Croupier-Nonce"))?;
        let signature = request.signature.ok_or(AuthError::Missing("X-Croupier-Signature"))?;
        let (key, nonces) = self
            .keys
            .iter()
            .find(|(k, _)| k.key_id == key_id)
            .ok_or(AuthError::UnknownKey)?;
        let ts: u64 = timestamp.parse().map_err(|_| AuthError::Stale)?;
        if ts.abs_diff(now_s) > self.window_s {
            return Err(AuthError::Stale);
        }
        let nonce_ok = (16..=64).contains(&nonce.len())
            && nonce
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !nonce_ok {
            return Err(AuthError::BadNonce);
        }
        let presented = hex::decode(signature).map_err(|_| AuthError::BadSignature)?;
        mac(
            &key.secret,
            timestamp,
            nonce,
            request.method,
            request.path_and_query,
            request.body,
        )
        .verify_slice(&presented)
        .map_err(|_| AuthError::BadSignature)?;
        let mut nonces = lock(nonces);
        if nonces.current.contains(nonce) || nonces.previous.contains(nonce) {
            return Err(AuthError::Replay);
        }
        if nonces.current.len() + nonces.previous.len() >= NONCES_PER_KEY_MAX {
            return Err(AuthError::Busy);
        }
        nonces.current.insert(nonce.to_owned());
        Ok(key_id.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth() -> OperatorAuth {
        OperatorAuth::new(
            vec![OperatorKey {
                key_id: "k".into(),
                secret: "s".into(),
            }],
            30,
        )
    }

    fn request<'a>(sig: &'a str, nonce: &'a str, ts: &'a str) -> Signed<'a> {
        Signed {
            key_id: Some("k"),
            timestamp: Some(ts),
            nonce: Some(nonce),
            signature: Some(sig),
            method: "POST",
            path_and_query: "/v1/x",
            body: b"{}",
        }
    }

    #[test]
    fn accepts_good_and_refuses_replay_stale_and_forged() {
        let auth = auth();
        let nonce = "abcdefghijklmnop";
        let sig = sign("s", "1000", nonce, "POST", "/v1/x", b"{}");
        assert_eq!(auth.verify(&request(&sig, nonce, "1000"), 1010), Ok("k".into()));
        assert_eq!(auth.verify(&request(&sig, nonce, "1000"), 1010), Err(AuthError::Replay));
        let nonce2 = "abcdefghijklmnoq";
        let sig2 = sign("s", "1000", nonce2, "POST", "/v1/x", b"{}");
        assert_eq!(
            auth.verify(&request(&sig2, nonce2, "1000"), 1031),
            Err(AuthError::Stale)
        );
        let forged = sign("wrong", "1000", nonce2, "POST", "/v1/x", b"{}");
        assert_eq!(
            auth.verify(&request(&forged, nonce2, "1000"), 1000),
            Err(AuthError::BadSignature)
        );
        assert_eq!(
            auth.verify(&request(&sig2, "short", "1000"), 1000),
            Err(AuthError::BadNonce)
        );
    }

    #[test]
    fn a_nonce_is_refused_until_two_rotations_have_passed() {
        let auth = auth();
        let nonce = "abcdefghijklmnop";
        let sig = sign("s", "1000", nonce, "POST", "/v1/x", b"{}");
        assert!(auth.verify(&request(&sig, nonce, "1000"), 1000).is_ok());
        auth.rotate();
        assert_eq!(auth.verify(&request(&sig, nonce, "1000"), 1000), Err(AuthError::Replay));
        auth.rotate();
        assert!(auth.verify(&request(&sig, nonce, "1000"), 1000).is_ok());
    }
}
