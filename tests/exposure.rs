//! Goal: the server is safe to put on the internet. Production refuses to start with the
//! documented sandbox secrets; a frame is refused from its header before its body is
//! buffered; strangers' dealer sockets are capped per address and a failed dealer
//! authentication is throttled; a client that stops reading is dropped for sure; protocol
//! violations close with their own code; authentication failures all look alike; the
//! sandbox launch is bounded; the client pages carry a Content-Security-Policy.
//! Method: the real binary on port 0, raw TCP where a WebSocket library would refuse to send
//! what an attacker sends, source addresses on 127.0.0.0/8 to play several clients, and the
//! server's own /proc status and metrics to see what it holds.

mod common;

use std::net::{IpAddr, SocketAddr};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use futures_util::SinkExt;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpSocket;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;

const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];
/// The address honest clients connect from; attackers use other 127.x addresses.
const LOCAL: [u8; 4] = [127, 0, 0, 1];

/// A client-to-server frame: `first` is the FIN/RSV/opcode byte, the payload is masked.
fn frame(first: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![first];
    match payload.len() {
        len @ 0..=125 => out.push(0x80 | len as u8),
        len @ 126..=65535 => {
            out.push(0x80 | 126);
            out.extend((len as u16).to_be_bytes());
        }
        len => {
            out.push(0x80 | 127);
            out.extend((len as u64).to_be_bytes());
        }
    }
    out.extend(MASK);
    out.extend(payload.iter().enumerate().map(|(i, b)| b ^ MASK[i % 4]));
    out
}

/// A TCP connection from `source` (any 127.x address) to the server.
async fn tcp_from(source: IpAddr, addr: &str, receive_buffer: Option<u32>) -> tokio::net::TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::new(source, 0)).unwrap();
    if let Some(bytes) = receive_buffer {
        socket.set_recv_buffer_size(bytes).unwrap();
    }
    socket.connect(addr.parse().unwrap()).await.expect("tcp connect")
}

/// The server's side of a hand-spoken WebSocket: frames as they arrive.
struct Frames {
    read: OwnedReadHalf,
    /// Bytes read and not yet parsed.
    buffered: Vec<u8>,
}

/// A WebSocket spoken by hand, so the test can send what no library sends.
struct Raw {
    frames: Frames,
    write: OwnedWriteHalf,
}

/// Opens a WebSocket handshake on `path` from `source`: on 101 the socket, otherwise the
/// status and the answer's body.
async fn upgrade(source: IpAddr, addr: &str, path: &str) -> Result<Raw, (u16, String)> {
    let stream = tcp_from(source, addr, None).await;
    upgrade_over(stream, addr, path).await
}

async fn upgrade_over(stream: tokio::net::TcpStream, addr: &str, path: &str) -> Result<Raw, (u16, String)> {
    let (read, mut write) = stream.into_split();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    write.write_all(request.as_bytes()).await.unwrap();
    let mut frames = Frames {
        read,
        buffered: Vec::new(),
    };
    let end = loop {
        if let Some(end) = frames.buffered.windows(4).position(|w| w == b"\r\n\r\n") {
            break end;
        }
        assert!(frames.fill().await, "closed during the handshake");
    };
    let head = String::from_utf8_lossy(&frames.buffered[..end]).into_owned();
    let status: u16 = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    frames.buffered.drain(..end + 4);
    if status == 101 {
        return Ok(Raw { frames, write });
    }
    let _ = tokio::time::timeout(Duration::from_secs(2), frames.read.read_to_end(&mut frames.buffered)).await;
    Err((status, String::from_utf8_lossy(&frames.buffered).into_owned()))
}

impl Frames {
    /// Reads more bytes; false at the end of the stream or on an error.
    async fn fill(&mut self) -> bool {
        let mut chunk = [0u8; 4096];
        match tokio::time::timeout(WAIT, self.read.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => {
                self.buffered.extend_from_slice(&chunk[..n]);
                true
            }
            Ok(_) => false,
            Err(_) => panic!("no bytes from the server within {WAIT:?}"),
        }
    }

    /// The next server frame (opcode, payload); `None` once the stream ends.
    async fn next_frame(&mut self) -> Option<(u8, Vec<u8>)> {
        loop {
            let b = &self.buffered;
            if b.len() >= 2 {
                let (len, head) = match b[1] & 0x7f {
                    126 if b.len() >= 4 => (u16::from_be_bytes([b[2], b[3]]) as usize, 4),
                    127 if b.len() >= 10 => (u64::from_be_bytes(b[2..10].try_into().unwrap()) as usize, 10),
                    126 | 127 => (usize::MAX, 0),
                    len => (len as usize, 2),
                };
                if len != usize::MAX && b.len() >= head + len {
                    let opcode = b[0] & 0x0f;
                    let payload = b[head..head + len].to_vec();
                    self.buffered.drain(..head + len);
                    return Some((opcode, payload));
                }
            }
            if !self.fill().await {
                return None;
            }
        }
    }

    /// Reads until the server's close frame: its code.
    async fn close_code(&mut self) -> Option<u16> {
        while let Some((opcode, payload)) = self.next_frame().await {
            if opcode == 8 {
                return payload.get(..2).map(|code| u16::from_be_bytes([code[0], code[1]]));
            }
        }
        None
    }
}

impl Raw {
    async fn send(&mut self, bytes: &[u8]) {
        self.write.write_all(bytes).await.unwrap();
    }

    async fn close_code(&mut self) -> Option<u16> {
        self.frames.close_code().await
    }
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .unwrap()
}

fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.trim().parse().ok())
        .unwrap_or(0.0)
}

async fn metrics(server: &Server) -> String {
    let (status, text) = server.signed("GET", "/metrics", "").await;
    assert_eq!(status, 200, "{text}");
    text.as_str().unwrap_or_default().to_owned()
}

/// Starts the binary with `config` and reports whether it came up (`Ok`) or refused to
/// start (`Err` with what it printed).
fn start_outcome(config: &str) -> Result<(), String> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("tables")).unwrap();
    std::fs::write(dir.path().join("tables/b.toml"), auto_table("bac", "baccarat", "")).unwrap();
    std::fs::write(dir.path().join("config.toml"), config).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_croupier"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(dir.path().join("data"))
        .arg("--tables")
        .arg(dir.path().join("tables"))
        .arg("--config")
        .arg(dir.path().join("config.toml"))
        .env_remove("CROUPIER_OPERATOR_KEY_ID")
        .env_remove("CROUPIER_OPERATOR_SECRET")
        .env_remove("CROUPIER_DEALER_KEY")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = String::new();
    let mut out = child.stdout.take().unwrap();
    let deadline = Instant::now() + WAIT;
    let came_up = loop {
        let mut chunk = [0u8; 256];
        let n = std::io::Read::read(&mut out, &mut chunk).unwrap_or(0);
        stdout.push_str(&String::from_utf8_lossy(&chunk[..n]));
        if stdout.contains("croupier listening on") {
            break true;
        }
        if n == 0 || Instant::now() > deadline {
            break false;
        }
    };
    if came_up {
        let _ = child.kill();
    }
    let output = child.wait_with_output().unwrap();
    if came_up {
        return Ok(());
    }
    assert!(!output.status.success(), "a refused start must exit non-zero");
    Err(String::from_utf8_lossy(&output.stderr).into_owned())
}

/// Goal: with sandbox off, the server starts only with secrets of its own: the documented
/// sandbox keys (left implicit or written out) and short secrets are refused at start with
/// a message naming the setting to fix.
#[test]
fn production_refuses_documented_or_short_secrets() {
    let real = "3f9a1c7e5b2d4f608192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8";
    let real_dealer = "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e8d";
    let cases = [
        ("sandbox = false\n", "[[operators]]"),
        (
            "sandbox = false\n[[operators]]\nkey_id = \"sandbox\"\nsecret = \"sandbox-secret\"\n",
            "operator key \"sandbox\"",
        ),
        (
            "sandbox = false\n[[operators]]\nkey_id = \"casino\"\nsecret = \"short-secret\"\n",
            "shorter than 32 bytes",
        ),
        (
            &format!(
                "sandbox = false\n[[operators]]\nkey_id = \"casino\"\nsecret = \"{real}\"\n\
                 [[dealers]]\nkey = \"dealer-secret\"\ntables = []\n"
            ),
            "dealers[0].key",
        ),
    ];
    for (config, names) in cases {
        let refused = start_outcome(config).expect_err(config);
        assert!(refused.contains(names), "the refusal should name {names}: {refused}");
        assert!(refused.contains("32 random bytes"), "and say how to fix it: {refused}");
    }
    let own = format!(
        "sandbox = false\n[[operators]]\nkey_id = \"casino\"\nsecret = \"{real}\"\n\
         [[dealers]]\nkey = \"{real_dealer}\"\ntables = []\n"
    );
    assert_eq!(start_outcome(&own), Ok(()), "real secrets start the server");
}

/// The header of a masked text frame declaring a 1 GiB payload.
fn gibibyte_header() -> Vec<u8> {
    let mut header = vec![0x81, 0x80 | 127];
    header.extend((1u64 << 30).to_be_bytes());
    header.extend(MASK);
    header
}

/// Sends a header declaring 1 GiB and 4 KiB of its body, then nothing more: only a check of
/// the header can answer. The close code seen.
async fn declare_a_gibibyte(mut socket: Raw) -> Option<u16> {
    socket.send(&gibibyte_header()).await;
    socket.send(&[b'x'; 4096]).await;
    socket.close_code().await
}

/// Sends a header declaring 1 GiB and streams up to `bytes` of its body while reading what
/// the server says: the close code seen.
async fn stream_into_a_gibibyte(socket: Raw, bytes: usize) -> Option<u16> {
    let Raw { mut frames, mut write } = socket;
    let reader = tokio::spawn(async move { frames.close_code().await });
    let _ = write.write_all(&gibibyte_header()).await;
    let chunk = vec![b'x'; 64 * 1024];
    let mut sent = 0;
    while sent < bytes && !reader.is_finished() {
        if write.write_all(&chunk).await.is_err() {
            break;
        }
        sent += chunk.len();
    }
    tokio::time::timeout(WAIT, reader).await.ok()?.ok()?
}

async fn player_socket(server: &Server, player: &str) -> Raw {
    let grant = server.launch(player, "EUR").await;
    let path = format!("/v1/play?token={}", grant["token"].as_str().unwrap());
    upgrade(LOCAL.into(), &server.addr, &path)
        .await
        .expect("player upgrade")
}

async fn dealer_socket(server: &Server, source: IpAddr, table: &str) -> Result<Raw, (u16, String)> {
    upgrade(source, &server.addr, &format!("/v1/deal?table={table}")).await
}

/// Goal: a frame whose header declares more than `frame_bytes_max` is refused from its
/// header (close 1009), on player sockets and on dealer sockets before any authentication,
/// and the server holds none of what such clients stream. Method: raw frames declaring
/// 1 GiB; first 4 KiB of body and nothing more (only a header check can answer), then
/// sixteen clients streaming 4 MiB each while the server's RSS is read from /proc.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frame_declaring_a_gibibyte_is_refused_from_its_header() {
    let server = Server::start(&[("b", auto_table("bac", "baccarat", ""))], "");
    let player = player_socket(&server, "gib").await;
    assert_eq!(declare_a_gibibyte(player).await, Some(1009), "player socket");
    let dealer = dealer_socket(&server, LOCAL.into(), "bac").await.unwrap();
    assert_eq!(declare_a_gibibyte(dealer).await, Some(1009), "dealer socket");

    let before = rss_kib(server.pid());
    let mut streams = Vec::new();
    for i in 0..8 {
        let player = player_socket(&server, &format!("gib{i}")).await;
        streams.push(tokio::spawn(stream_into_a_gibibyte(player, 4 << 20)));
        let dealer = dealer_socket(&server, LOCAL.into(), "bac").await.unwrap();
        streams.push(tokio::spawn(stream_into_a_gibibyte(dealer, 4 << 20)));
    }
    for stream in streams {
        assert_eq!(stream.await.unwrap(), Some(1009));
    }
    let grown = rss_kib(server.pid()).saturating_sub(before);
    assert!(
        grown < 8 * 1024,
        "the server's RSS grew {grown} KiB while sixteen clients streamed into 1 GiB frames"
    );
    // The server and its players are unaffected.
    server.deposit("after", "EUR", 10_000).await;
    let mut after = server.player("after", "EUR").await;
    after.join("bac").await;
    let round = after.next_round("bac").await;
    assert_eq!(after.bet("bac", round, "banker", 1_000, "a1").await["type"], "ack");
    server.assert_conserved().await;
}

/// Goal: frames the protocol forbids close with their own codes and a client's close is
/// answered with its own code; a dealer socket that has not authenticated is closed by
/// anything but a valid `auth`. Method: raw frames with reserved bits, binary and non-auth
/// frames before `auth`, and a library client closing with 4321.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protocol_violations_close_with_their_own_codes() {
    let server = Server::start(&[("b", auto_table("bac", "baccarat", ""))], "");
    // Reserved bits set, though no extension was negotiated: 1002, not a bad-UTF-8 error.
    let mut player = player_socket(&server, "rsv").await;
    player.send(&frame(0x80 | 0x40 | 0x1, br#"{"type":"ping"}"#)).await;
    assert_eq!(player.close_code().await, Some(1002));

    let mut closer = server.player("closer", "EUR").await;
    let close = CloseFrame {
        code: CloseCode::from(4321),
        reason: "bye".into(),
    };
    closer.ws.send(Message::Close(Some(close))).await.unwrap();
    while closer.next().await.is_some() {}
    assert_eq!(
        closer.close_code,
        Some(4321),
        "the server answers a close with its code"
    );

    let strangers: [&[u8]; 4] = [
        &frame(0x82, b"\x00\x01"),
        &frame(0x81, br#"{"type":"open_round"}"#),
        &frame(0x81, b"not json"),
        &frame(0x81, b"\xff\xfe"),
    ];
    for first in strangers {
        let mut dealer = dealer_socket(&server, LOCAL.into(), "bac").await.unwrap();
        dealer.send(first).await;
        assert_eq!(dealer.close_code().await, Some(1008), "{first:?} before auth");
    }
}

/// Goal: 500 dealer sockets from one address that never authenticate are refused past the
/// per-address cap while a real dealer still connects and drives the table; wrong dealer
/// keys are logged without the key and throttle their address. Method: raw upgrades from
/// 127.0.0.2 and 127.0.0.3, the real console from 127.0.0.1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn strangers_dealer_sockets_are_capped_and_wrong_keys_throttled() {
    let server = Server::start(&[("live", console_table("live", "baccarat"))], "");
    let attacker = IpAddr::from([127, 0, 0, 2]);
    let mut held = Vec::new();
    let mut refused = 0;
    for _ in 0..500 {
        match dealer_socket(&server, attacker, "live").await {
            Ok(socket) => held.push(socket),
            Err((status, body)) => {
                assert_eq!(status, 429, "{body}");
                assert!(body.contains("too_many_connections"), "{body}");
                refused += 1;
            }
        }
    }
    assert_eq!(held.len(), 16, "unauthenticated_per_address_max sockets are let in");
    assert_eq!(refused, 484);

    let mut console = Client::connect(&format!("ws://{}/v1/deal?table=live", server.addr)).await;
    let req = console.send(json!({"type": "auth", "key": DEALER_KEY})).await;
    assert_eq!(console.reply(req).await["type"], "ack");
    let req = console.send(json!({"type": "open_round"})).await;
    assert_eq!(
        console.reply(req).await["type"],
        "ack",
        "the real dealer drives the table"
    );

    let guesser = IpAddr::from([127, 0, 0, 3]);
    for n in 0..10 {
        let mut socket = dealer_socket(&server, guesser, "live")
            .await
            .unwrap_or_else(|refusal| panic!("attempt {n} refused: {refusal:?}"));
        let auth = json!({"type": "auth", "key": format!("guessed-key-{n}")}).to_string();
        socket.send(&frame(0x81, auth.as_bytes())).await;
        assert_eq!(socket.close_code().await, Some(1008));
    }
    let (status, body) = dealer_socket(&server, guesser, "live")
        .await
        .err()
        .expect("the eleventh attempt within a minute is refused");
    assert_eq!(status, 429);
    assert!(body.contains("rate_limited"), "{body}");
    let logs = server.logs();
    assert!(logs.contains("dealer authentication failed"), "failures are logged");
    assert!(!logs.contains("guessed-key"), "a presented key reached the log");
    let text = metrics(&server).await;
    assert_eq!(metric(&text, "croupier_auth_failures_total{kind=\"dealer\"}"), 10.0);
    drop(held);
}

/// Goal: a client that stops reading (here: reads a trickle) is gone within
/// `closing_timeout_ms` of being found too slow, whatever it does, and only then leaves
/// the connection count. Method: a player with a 4 KiB receive buffer asks for snapshots
/// over and over and reads 16 bytes every 100 ms; the server's metrics show when it was
/// marked too slow and when its socket was gone. The kernel's own write timeout is set
/// far away, so only the closing deadline can end it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_is_gone_within_the_closing_timeout() {
    let server = Server::start(
        &[("b", auto_table("bac", "baccarat", ""))],
        "[limits]\nsocket_queue_max = 256\nclosing_timeout_ms = 1000\nwrite_timeout_ms = 600000\n\
         messages_per_s = 1000\nmessages_burst = 1000\n",
    );
    let players = "croupier_connections{kind=\"player\"}";
    let grant = server.launch("trickle", "EUR").await;
    let path = format!("/v1/play?token={}", grant["token"].as_str().unwrap());
    let stream = tcp_from(LOCAL.into(), &server.addr, Some(4096)).await;
    let Raw { mut frames, mut write } = upgrade_over(stream, &server.addr, &path).await.unwrap();
    let trickle = tokio::spawn(async move {
        let mut byte = [0u8; 16];
        loop {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if !matches!(frames.read.read(&mut byte).await, Ok(n) if n > 0) {
                return;
            }
        }
    });
    assert_eq!(metric(&metrics(&server).await, players), 1.0);

    let join = frame(0x81, br#"{"type":"join","table":"bac"}"#);
    let started = Instant::now();
    let too_slow_at = loop {
        for _ in 0..50 {
            let _ = tokio::time::timeout(Duration::from_millis(100), write.write_all(&join)).await;
        }
        if metric(&metrics(&server).await, "croupier_sockets_too_slow_total") >= 1.0 {
            break Instant::now();
        }
        assert!(started.elapsed() < UNTIL_MAX, "the reader was never found too slow");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let gone = loop {
        if metric(&metrics(&server).await, players) == 0.0 {
            break too_slow_at.elapsed();
        }
        assert!(
            too_slow_at.elapsed() < Duration::from_secs(30),
            "a trickling reader still holds its socket 30 s after being found too slow"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        gone < Duration::from_secs(4),
        "gone {gone:?} after being found too slow; the closing timeout is 1 s"
    );
    trickle.abort();
}

/// An HTTP/1.1 request from `source`: status and body, as `common::http`.
async fn http_from(source: IpAddr, addr: &str, method: &str, path: &str, body: &str) -> (u16, serde_json::Value) {
    let stream = tcp_from(source, addr, None).await;
    http_over(stream, addr, method, path, &[], body).await
}

/// Goal: the unsigned sandbox launch cannot grow the journal without limit: launches are
/// rated per client address and new players per minute on the whole server; players who
/// exist still get in, and a refused new player gets no welcome credit. Method: real
/// server with small limits, launches from 127.0.0.1 and 127.0.0.2.
#[tokio::test]
async fn the_unsigned_sandbox_launch_is_bounded() {
    let server = Server::start(
        &[("b", auto_table("bac", "baccarat", ""))],
        "[limits]\nsandbox_launches_per_minute = 5\nsandbox_new_players_per_minute = 3\n",
    );
    let launch = |source: [u8; 4], player: &str| {
        let body = json!({"player_id": player, "currency": "EUR"}).to_string();
        let addr = server.addr.clone();
        async move { http_from(source.into(), &addr, "POST", "/v1/sandbox/launch", &body).await }
    };
    for player in ["s1", "s2", "s3"] {
        assert_eq!(launch(LOCAL, player).await.0, 201);
    }
    let (status, body) = launch(LOCAL, "s4").await;
    assert_eq!((status, body["code"].as_str()), (429, Some("rate_limited")), "{body}");
    assert_eq!(launch(LOCAL, "s1").await.0, 201, "a player who exists gets in");
    let (status, body) = launch(LOCAL, "s2").await;
    assert_eq!((status, body["code"].as_str()), (429, Some("rate_limited")), "{body}");
    assert_eq!(
        launch([127, 0, 0, 2], "s2").await.0,
        201,
        "another address has its own rate"
    );
    assert_eq!(
        server.balance("s4", "EUR").await,
        0,
        "a refused new player got a credit"
    );
    assert_eq!(server.balance("s1", "EUR").await, 100_000, "one welcome per player");
    server.assert_conserved().await;
}

/// Goal: every failed operator authentication gets the same answer, so that nothing tells
/// a key id that exists from one that does not, and `/metrics` needs a signature on the
/// main listener. Method: unknown key, wrong secret, stale timestamp, replayed nonce and a
/// missing header against one endpoint.
#[tokio::test]
async fn every_authentication_failure_gets_the_same_answer() {
    let server = Server::start(&[("b", auto_table("bac", "baccarat", ""))], "");
    let path = "/v1/ledger/summary";
    let mut unknown_key = sign_headers("GET", path, "", SECRET);
    unknown_key[0].1 = "nobody".into();
    let wrong_secret = sign_headers("GET", path, "", "not-the-secret");
    let mut stale = sign_headers("GET", path, "", SECRET);
    stale[1].1 = "1000000000".into();
    let mut missing = sign_headers("GET", path, "", SECRET);
    missing.pop();
    let replayed = sign_headers("GET", path, "", SECRET);
    assert_eq!(server.http("GET", path, &replayed, "").await.0, 200);
    let mut answers = Vec::new();
    for headers in [unknown_key, wrong_secret, stale, missing, replayed] {
        answers.push(server.http("GET", path, &headers, "").await);
    }
    answers.push(server.http("GET", "/metrics", &[], "").await);
    for answer in &answers {
        assert_eq!(answer, &answers[0], "authentication failures must look alike");
    }
    assert_eq!(answers[0].0, 401);
    assert_eq!(answers[0].1["code"], "unauthorized");
}

/// The response head (status line and headers, lower-cased) of a GET.
async fn head_of(addr: &str, path: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    let _ = tokio::time::timeout(WAIT, stream.read_to_end(&mut raw)).await;
    let text = String::from_utf8_lossy(&raw).to_lowercase();
    text.split("\r\n\r\n").next().unwrap_or_default().to_owned()
}

/// Goal: the client pages carry a Content-Security-Policy that allows only their own
/// scripts, styles and sockets and the configured frame ancestors; metrics for a scraper
/// are served on their own address and nothing else is. Method: real server with
/// `frame_ancestors` and `metrics_listen` set; response heads read raw.
#[tokio::test]
async fn client_pages_carry_a_content_security_policy() {
    let server = Server::start(
        &[("b", auto_table("bac", "baccarat", ""))],
        "frame_ancestors = \"'self' https://casino.example\"\nmetrics_listen = \"127.0.0.1:0\"\n",
    );
    for path in ["/", "/dealer", "/web/js/app.js"] {
        let head = head_of(&server.addr, path).await;
        assert!(head.starts_with("http/1.1 200"), "{path}: {head}");
        let policy = head
            .lines()
            .find_map(|line| line.strip_prefix("content-security-policy: "))
            .unwrap_or_else(|| panic!("{path} has no content-security-policy: {head}"));
        assert!(policy.contains("default-src 'self'"), "{policy}");
        assert!(
            policy.contains("frame-ancestors 'self' https://casino.example"),
            "{policy}"
        );
        assert!(
            !policy.contains("unsafe-inline") && !policy.contains("unsafe-eval"),
            "{policy}"
        );
        assert!(!head.contains("strict-transport-security"), "HSTS only under TLS");
    }
    let metrics_addr = server.metrics_addr.clone().expect("the metrics listener's address");
    let (status, text) = http(&metrics_addr, "GET", "/metrics", &[], "").await;
    assert_eq!(status, 200);
    assert!(text.as_str().unwrap_or_default().contains("croupier_"), "{text}");
    assert_eq!(http(&metrics_addr, "GET", "/v1/lobby", &[], "").await.0, 404);
    assert_eq!(server.http("GET", "/metrics", &[], "").await.0, 401);
}
