//! Operator request signatures (HMAC-SHA256) with timestamp window and nonce replay guard.
//!
//! Signed string: `timestamp "\n" nonce "\n" METHOD "\n" path_and_query "\n" body`.
//! Headers: `X-Croupier-Key`, `X-Croupier-Timestamp`, `X-Croupier-Nonce`, `X-Croupier-Signature`.
//! Secrets never reach a log; failures say which check failed, not the secret or signature.

use std::collections::HashMap;
use std::sync::Mutex;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::config::OperatorKey;

/// Nonces remembered at most; past it new requests are refused until old ones expire.
const NONCES_MAX: usize = 1_000_000;

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
    keys: Vec<OperatorKey>,
    window_s: u64,
    /// nonce → unix second after which it may be forgotten.
    nonces: Mutex<HashMap<String, u64>>,
}

type HmacSha256 = Hmac<Sha256>;

/// Hex HMAC-SHA256 of the canonical string (clients and tests sign with this).
pub fn sign(secret: &str, timestamp: &str, nonce: &str, method: &str, path_and_query: &str, body: &[u8]) -> String {
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
    hex::encode(mac.finalize().into_bytes())
}

impl OperatorAuth {
    pub fn new(keys: Vec<OperatorKey>, window_s: u64) -> OperatorAuth {
        OperatorAuth {
            keys,
            window_s,
            nonces: Mutex::new(HashMap::new()),
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
        let key = self
            .keys
            .iter()
            .find(|k| k.key_id == key_id)
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
        let expected = sign(
            &key.secret,
            timestamp,
            nonce,
            request.method,
            request.path_and_query,
            request.body,
        );
        let presented = hex::decode(signature).map_err(|_| AuthError::BadSignature)?;
        if !constant_time_eq(&hex::decode(expected).unwrap_or_default(), &presented) {
            return Err(AuthError::BadSignature);
        }
        let mut nonces = self.nonces.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if nonces.len() >= NONCES_MAX {
            nonces.retain(|_, forget_after| *forget_after >= now_s);
            if nonces.len() >= NONCES_MAX {
                return Err(AuthError::Busy);
            }
        }
        // Remembered until its timestamp can no longer pass the window check.
        let forget_after = ts.saturating_add(self.window_s).saturating_add(1);
        if nonces.insert(format!("{key_id}\n{nonce}"), forget_after).is_some() {
            return Err(AuthError::Replay);
        }
        Ok(key_id.to_owned())
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
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
}
