//! Goal: with a certificate and key configured, the server speaks only HTTPS and WSS, and
//! everything works over them: signed operator requests, a player's session, a bet.
//! Method: a certificate generated at test time for 127.0.0.1, the real server, a rustls
//! client that trusts only that certificate.

mod common;

use std::sync::Arc;

use common::*;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};
use tokio_rustls::TlsConnector;
use tokio_tungstenite::tungstenite::Message;

struct Tls {
    connector: TlsConnector,
    addr: String,
}

/// A certificate for 127.0.0.1 generated now, written to `dir`; the `[tls]` config section
/// naming it, with `extra` lines (such as `min_version`).
fn certificate(dir: &tempfile::TempDir, extra: &str) -> (rcgen::CertifiedKey, String) {
    let cert = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.key_pair.serialize_pem()).unwrap();
    let config = format!(
        "[tls]\ncert_pem = {:?}\nkey_pem = {:?}\n{extra}",
        cert_path.display().to_string(),
        key_path.display().to_string()
    );
    (cert, config)
}

/// A client that trusts only `cert` and offers only `versions`.
fn client(
    cert: &rcgen::CertifiedKey,
    versions: &[&'static tokio_rustls::rustls::SupportedProtocolVersion],
    addr: &str,
) -> Tls {
    let mut roots = RootCertStore::empty();
    roots.add(CertificateDer::from(cert.cert.der().to_vec())).unwrap();
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    Tls {
        connector: TlsConnector::from(Arc::new(config)),
        addr: addr.to_owned(),
    }
}

impl Tls {
    async fn connect(&self) -> tokio_rustls::client::TlsStream<TcpStream> {
        self.handshake().await.expect("TLS handshake")
    }

    async fn handshake(&self) -> std::io::Result<tokio_rustls::client::TlsStream<TcpStream>> {
        let tcp = TcpStream::connect(&self.addr).await.expect("tcp connect");
        let name = ServerName::try_from("127.0.0.1").unwrap();
        self.connector.connect(name, tcp).await
    }

    async fn signed(&self, method: &str, path: &str, body: &str) -> (u16, Value) {
        let headers = sign_headers(method, path, body, SECRET);
        http_over(self.connect().await, &self.addr, method, path, &headers, body).await
    }
}

async fn next_json<S>(ws: &mut tokio_tungstenite::WebSocketStream<S>) -> Value
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    loop {
        let msg = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("a message in time")
            .expect("open")
            .expect("a frame");
        if let Message::Text(text) = msg {
            return serde_json::from_str(&text).expect("JSON");
        }
    }
}

#[tokio::test]
async fn https_and_wss_carry_the_whole_api_and_plain_http_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, config) = certificate(&dir, "");
    let server = Server::start(&[("b", auto_table("bac", "baccarat", ""))], &config);
    let tls = client(&cert, tokio_rustls::rustls::DEFAULT_VERSIONS, &server.addr);

    // Plain HTTP on the TLS port gets no HTTP answer.
    let (status, _) = server.http("GET", "/healthz", &[], "").await;
    assert_eq!(status, 0, "plain HTTP was answered on the TLS port");

    let (status, _) = http_over(tls.connect().await, &tls.addr, "GET", "/healthz", &[], "").await;
    assert_eq!(status, 200);
    // Pages served over TLS tell the browser to keep to HTTPS.
    let mut page = tls.connect().await;
    let request = format!("GET / HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", tls.addr);
    tokio::io::AsyncWriteExt::write_all(&mut page, request.as_bytes())
        .await
        .unwrap();
    let mut raw = Vec::new();
    let _ = tokio::time::timeout(WAIT, tokio::io::AsyncReadExt::read_to_end(&mut page, &mut raw)).await;
    let head = String::from_utf8_lossy(&raw).to_lowercase();
    assert!(
        head.contains("strict-transport-security: max-age="),
        "no HSTS: {head:.400}"
    );
    let deposit = json!({"player_id": "tina", "currency": "EUR", "amount": 5_000}).to_string();
    let (status, reply) = tls.signed("POST", "/v1/sandbox/deposit", &deposit).await;
    assert_eq!(status, 200, "{reply}");
    let launch = json!({"player_id": "tina", "currency": "EUR"}).to_string();
    let (status, grant) = tls.signed("POST", "/v1/sessions", &launch).await;
    assert_eq!(status, 201, "{grant}");
    let ws_url = grant["ws_url"].as_str().unwrap();
    assert!(ws_url.starts_with("wss://"), "{ws_url}");

    let (mut ws, _) = tokio_tungstenite::client_async(ws_url, tls.connect().await)
        .await
        .expect("WSS handshake");
    assert_eq!(next_json(&mut ws).await["type"], "welcome");
    ws.send(Message::Text(
        json!({"type": "join", "table": "bac", "req": 1}).to_string().into(),
    ))
    .await
    .unwrap();
    let round = loop {
        let msg = next_json(&mut ws).await;
        if msg["type"] == "round_open" {
            break msg["round_id"].clone();
        }
    };
    let bet = json!({"type": "bet", "req": 2, "table": "bac", "round_id": round, "spot": "banker", "amount": 1_000, "bet_id": "t-1"});
    ws.send(Message::Text(bet.to_string().into())).await.unwrap();
    let ack = loop {
        let msg = next_json(&mut ws).await;
        if msg["req"] == 2 {
            break msg;
        }
    };
    assert_eq!(ack["type"], "ack", "{ack}");
    assert_eq!(ack["balance"]["amount"], 4_000, "{ack}");
}

/// Goal: an operator whose regulator demands TLS 1.3 only can have it: with
/// `min_version = "1.3"` a client that speaks no more than TLS 1.2 cannot connect and a
/// TLS 1.3 client works, while by default TLS 1.2 clients are still served; a version the
/// server cannot enforce is refused at start, naming the setting. Method: the real server
/// with a certificate generated now, rustls clients limited to one protocol version.
#[tokio::test]
async fn min_version_1_3_refuses_tls_1_2_clients() {
    use tokio_rustls::rustls::version::{TLS12, TLS13};
    let dir = tempfile::tempdir().unwrap();
    let (cert, config) = certificate(&dir, "min_version = \"1.3\"\n");
    let strict = Server::start(&[("b", auto_table("bac", "baccarat", ""))], &config);
    let old = client(&cert, &[&TLS12], &strict.addr);
    assert!(
        old.handshake().await.is_err(),
        "a TLS 1.2 client connected with min_version = \"1.3\""
    );
    let new = client(&cert, &[&TLS13], &strict.addr);
    let (status, _) = http_over(new.connect().await, &new.addr, "GET", "/healthz", &[], "").await;
    assert_eq!(status, 200, "a TLS 1.3 client is served");

    let (cert, config) = certificate(&dir, "");
    let default = Server::start(&[("b", auto_table("bac", "baccarat", ""))], &config);
    let old = client(&cert, &[&TLS12], &default.addr);
    let (status, _) = http_over(old.connect().await, &old.addr, "GET", "/healthz", &[], "").await;
    assert_eq!(status, 200, "by default a TLS 1.2 client is served");

    for bad in ["min_version = \"1.1\"\n", "min_version = 1.3\n"] {
        let (_, config) = certificate(&dir, bad);
        let refused = start_refused(&[("b", auto_table("bac", "baccarat", ""))], &config);
        assert!(
            refused.contains("min_version") && refused.contains("\"1.2\" or \"1.3\""),
            "the refusal names the setting and its values: {refused}"
        );
    }
}
