//! Goal: every input a fuzz target ever crashed on, and every seed, stays handled.
//! Method: replay each file of `seeds/<target>/` and `regressions/<target>/` through the
//! target's check function on the stable toolchain (no libFuzzer), one test per target,
//! reporting every failing file rather than stopping at the first. Plus the docs' worked
//! signature example against both the fuzz oracle and croupier's own `sign`.

use std::panic;
use std::path::Path;

fn replay(target: &str, check: fn(&[u8])) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut failed = Vec::new();
    let mut replayed = 0;
    for dir in ["seeds", "regressions"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir).join(target)) else {
            continue;
        };
        let mut paths: Vec<_> = entries.map(|entry| entry.expect("readable directory").path()).collect();
        paths.sort();
        for path in paths.into_iter().filter(|path| path.is_file()) {
            if path.file_name().is_some_and(|name| name == "README.md") {
                continue;
            }
            let data = std::fs::read(&path).expect("readable input");
            replayed += 1;
            if panic::catch_unwind(|| check(&data)).is_err() {
                failed.push(path.strip_prefix(root).unwrap_or(&path).display().to_string());
            }
        }
    }
    assert!(replayed > 0, "no inputs for {target}");
    assert!(
        failed.is_empty(),
        "{target}: {} of {replayed} inputs fail: {failed:#?}",
        failed.len()
    );
}

#[test]
fn protocol_inputs() {
    replay("protocol", croupier_fuzz::protocol::check);
}

#[test]
fn cards_and_bets_inputs() {
    replay("cards_and_bets", croupier_fuzz::cards_and_bets::check);
}

#[test]
fn signature_inputs() {
    replay("signature", croupier_fuzz::signature::check);
}

/// docs/protocol.md §1, "Worked example": the oracle the signature target trusts must agree
/// with the published values, and so must croupier's own `sign`.
#[test]
fn documented_signature_examples() {
    use croupier_fuzz::signature::{documented_hmac, to_hex};
    let (ts, nonce) = ("1700000000", "0123456789abcdef0123456789abcdef");
    let body = br#"{"player_id":"alice","currency":"EUR"}"#;
    let post = "1971e613a7114e6b5a63563bff6ed47de4ee44306a46d26f2fe74132b59aa2ba";
    let get = "e14f1181eadaaea7608b0c62d487de00f1139d7da0383139700cd8bcf39fd150";
    let oracle = |method, path, body: &[u8]| to_hex(&documented_hmac("sandbox-secret", ts, nonce, method, path, body));
    assert_eq!(oracle("POST", "/v1/sessions", body), post);
    assert_eq!(oracle("GET", "/v1/players/alice/balance", b""), get);
    let sign = croupier::transport::auth::sign;
    assert_eq!(sign("sandbox-secret", ts, nonce, "POST", "/v1/sessions", body), post);
    assert_eq!(
        sign("sandbox-secret", ts, nonce, "GET", "/v1/players/alice/balance", b""),
        get
    );

    // And the seed the signature target starts from is accepted, so the target's corpus
    // begins on the success path rather than only on refusals.
    let auth = croupier::transport::auth::OperatorAuth::new(
        vec![croupier::config::OperatorKey {
            key_id: "sandbox".into(),
            secret: "sandbox-secret".into(),
        }],
        30,
    );
    let signed = croupier::transport::auth::Signed {
        key_id: Some("sandbox"),
        timestamp: Some(ts),
        nonce: Some(nonce),
        signature: Some(post),
        method: "POST",
        path_and_query: "/v1/sessions",
        body,
    };
    assert_eq!(auth.verify(&signed, 1_700_000_010), Ok("sandbox".to_owned()));
}
