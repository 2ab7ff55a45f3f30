//! Shared harness: starts the real `croupier` binary on port 0 with a temp data dir and
//! talks to it over real sockets (signed REST, real WebSocket clients).

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::{SinkExt, StreamExt};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

pub const KEY_ID: &str = "sandbox";
pub const SECRET: &str = "sandbox-secret";
pub const DEALER_KEY: &str = "dealer-secret";
/// Longest a test waits for any one expected message.
pub const WAIT: Duration = Duration::from_secs(20);
/// Longest a test waits for one particular message among others.
pub const UNTIL_MAX: Duration = Duration::from_secs(120);

/// A fast auto table for tests: short bet window, no pauses between cards.
pub fn auto_table(id: &str, game: &str, extra: &str) -> String {
    format!(
        r#"id = "{id}"
name = "Test {id}"
game = "{game}"
dealer = "auto"
bet_window_ms = 1500
card_interval_ms = 0
result_pause_ms = 50
decision_ms = 1500
{extra}

[limits.EUR]
stake_min = 100
stake_max = 100000

[limits.JPY]
stake_min = 100
stake_max = 10000000
"#
    )
}

pub fn console_table(id: &str, game: &str) -> String {
    auto_table(id, game, "").replace("dealer = \"auto\"", "dealer = \"console\"")
}

pub struct Server {
    pub dir: tempfile::TempDir,
    pub addr: String,
    /// The metrics listener's address, when the config sets `metrics_listen`.
    pub metrics_addr: Option<String>,
    child: Option<Child>,
    /// Everything the server wrote to stderr (logs), for the no-secrets check.
    pub log_path: PathBuf,
    log_filter: String,
}

impl Server {
    /// Starts a server with the given table files (name → TOML) and extra config lines.
    pub fn start(tables: &[(&str, String)], config: &str) -> Server {
        Server::start_logging(tables, config, "info")
    }

    /// As `start`, with `RUST_LOG` set to `log_filter`.
    pub fn start_logging(tables: &[(&str, String)], config: &str, log_filter: &str) -> Server {
        let mut server = Server::prepare(tables, config, log_filter);
        server.spawn();
        server
    }

    /// As `start`, on a copy of an existing data dir (a journal written earlier, perhaps by
    /// another release): `data` itself is never opened, so a committed fixture stays as it is.
    pub fn start_on_copy(data: &Path, tables: &[(&str, String)], config: &str) -> Server {
        let mut server = Server::prepare(tables, config, "info");
        copy_dir(data, &server.data_dir());
        server.spawn();
        server
    }

    /// A temp dir holding the table files and config, and a server not yet started.
    fn prepare(tables: &[(&str, String)], config: &str, log_filter: &str) -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        let tables_dir = dir.path().join("tables");
        std::fs::create_dir_all(&tables_dir).unwrap();
        for (name, toml) in tables {
            std::fs::write(tables_dir.join(format!("{name}.toml")), toml).unwrap();
        }
        std::fs::write(dir.path().join("config.toml"), config).unwrap();
        let log_path = dir.path().join("server.log");
        Server {
            dir,
            addr: String::new(),
            metrics_addr: None,
            child: None,
            log_path,
            log_filter: log_filter.to_owned(),
        }
    }

    fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log_path)
            .unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_croupier"))
            .args(["serve", "--listen", "127.0.0.1:0", "--data"])
            .arg(self.dir.path().join("data"))
            .arg("--tables")
            .arg(self.dir.path().join("tables"))
            .arg("--config")
            .arg(self.dir.path().join("config.toml"))
            .env("RUST_LOG", &self.log_filter)
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("start croupier");
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let addr = loop {
            let Some(Ok(line)) = lines.next() else {
                panic!("server exited before listening: {}", self.logs());
            };
            if let Some(metrics) = line.strip_prefix("croupier metrics on http://") {
                self.metrics_addr = Some(metrics.to_owned());
            }
            let listening = line.strip_prefix("croupier listening on ");
            if let Some(addr) = listening.and_then(|l| l.strip_prefix("http://").or(l.strip_prefix("https://"))) {
                break addr.to_owned();
            }
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        self.addr = addr;
        self.child = Some(child);
    }

    /// SIGKILL: no shutdown code runs.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM, then waits for the process to exit; returns whether it exited cleanly.
    pub fn terminate(&mut self) -> bool {
        let Some(mut child) = self.child.take() else {
            return false;
        };
        let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
        for _ in 0..300 {
            if let Ok(Some(status)) = child.try_wait() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        false
    }

    /// Starts again after `kill` or `terminate`, on the same data dir (a new port).
    pub fn start_again(&mut self) {
        self.spawn();
    }

    /// Restarts on the same data dir (a new port).
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    /// The server's process id (to read its memory from /proc).
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("the server is running").id()
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn logs(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    pub async fn http(&self, method: &str, path: &str, headers: &[(&str, String)], body: &str) -> (u16, Value) {
        http(&self.addr, method, path, headers, body).await
    }

    /// An operator request signed with the sandbox key.
    pub async fn signed(&self, method: &str, path: &str, body: &str) -> (u16, Value) {
        let headers = sign_headers(method, path, body, SECRET);
        self.http(method, path, &headers, body).await
    }

    pub async fn deposit(&self, player: &str, currency: &str, amount: i64) -> i64 {
        let body = json!({"player_id": player, "currency": currency, "amount": amount}).to_string();
        let (status, reply) = self.signed("POST", "/v1/sandbox/deposit", &body).await;
        assert_eq!(status, 200, "deposit failed: {reply}");
        reply["balance"].as_i64().unwrap()
    }

    pub async fn launch(&self, player: &str, currency: &str) -> Value {
        let body = json!({"player_id": player, "currency": currency}).to_string();
        let (status, reply) = self.signed("POST", "/v1/sessions", &body).await;
        assert_eq!(status, 201, "launch failed: {reply}");
        reply
    }

    /// Launches a session and connects; returns the client after `welcome`.
    pub async fn player(&self, player: &str, currency: &str) -> Client {
        let grant = self.launch(player, currency).await;
        let mut client = Client::connect(&format!(
            "ws://{}/v1/play?token={}",
            self.addr,
            grant["token"].as_str().unwrap()
        ))
        .await;
        let welcome = client.expect("welcome").await;
        client.resume_token = welcome["resume_token"].as_str().unwrap().to_owned();
        client.welcome = welcome;
        client
    }

    pub async fn balance(&self, player: &str, currency: &str) -> i64 {
        let (status, reply) = self.signed("GET", &format!("/v1/players/{player}/balance"), "").await;
        assert_eq!(status, 200, "{reply}");
        reply["balances"][currency].as_i64().unwrap_or(0)
    }

    /// The conservation invariant of DESIGN.md, through the operator API.
    pub async fn assert_conserved(&self) -> Value {
        let (status, summary) = self.signed("GET", "/v1/ledger/summary", "").await;
        assert_eq!(status, 200, "{summary}");
        for (currency, s) in summary["currencies"].as_object().unwrap() {
            let lhs = s["player_balances"].as_i64().unwrap() + s["house_result"].as_i64().unwrap();
            let rhs = s["deposits"].as_i64().unwrap() - s["withdrawals"].as_i64().unwrap();
            assert_eq!(lhs, rhs, "money not conserved in {currency}: {s}");
        }
        assert_eq!(summary["conserved"], json!(true));
        summary
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
        if std::thread::panicking() {
            // A failing test shows what the server said: CI keeps nothing else.
            let logs = self.logs();
            let tail: Vec<&str> = logs.lines().rev().take(60).collect();
            eprintln!("--- last server log lines ---");
            for line in tail.into_iter().rev() {
                eprintln!("{line}");
            }
        }
    }
}

pub fn sign_headers(method: &str, path: &str, body: &str, secret: &str) -> Vec<(&'static str, String)> {
    let ts = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .to_string();
    let mut nonce_bytes = [0u8; 16];
    getrandom::fill(&mut nonce_bytes).unwrap();
    let nonce = hex::encode(nonce_bytes);
    let signature = signature(secret, &ts, &nonce, method, path, body);
    vec![
        ("X-Croupier-Key", KEY_ID.to_owned()),
        ("X-Croupier-Timestamp", ts),
        ("X-Croupier-Nonce", nonce),
        ("X-Croupier-Signature", signature),
    ]
}

/// Written from the README's description, not from the server's code.
pub fn signature(secret: &str, ts: &str, nonce: &str, method: &str, path: &str, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{ts}\n{nonce}\n{method}\n{path}\n{body}").as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// The HTTP status a real WebSocket upgrade of `path` is answered with (101 on success).
pub async fn upgrade_status(addr: &str, path: &str) -> u16 {
    match tokio_tungstenite::connect_async(format!("ws://{addr}{path}")).await {
        Ok(_) => 101,
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => response.status().as_u16(),
        Err(other) => panic!("upgrade failed without an HTTP answer: {other}"),
    }
}

/// The HTTP status a real WebSocket upgrade of `/v1/play` presenting `token` the way the
/// protocol asks (the `croupier.token.<token>` subprotocol) is answered with.
pub async fn upgrade_status_token(addr: &str, token: &str) -> u16 {
    match tokio_tungstenite::connect_async(play_request(addr, token)).await {
        Ok(_) => 101,
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => response.status().as_u16(),
        Err(other) => panic!("upgrade failed without an HTTP answer: {other}"),
    }
}

/// A `/v1/play` upgrade request carrying `token` in `Sec-WebSocket-Protocol`.
pub fn play_request(addr: &str, token: &str) -> tokio_tungstenite::tungstenite::handshake::client::Request {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = format!("ws://{addr}/v1/play").into_client_request().unwrap();
    let protocols = format!("croupier.v1, croupier.token.{token}");
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", protocols.parse().unwrap());
    request
}

/// A minimal HTTP/1.1 client (one request per connection).
pub async fn http(addr: &str, method: &str, path: &str, headers: &[(&str, String)], body: &str) -> (u16, Value) {
    let stream = TcpStream::connect(addr).await.expect("connect");
    http_over(stream, addr, method, path, headers, body).await
}

/// One HTTP/1.1 request over an open stream (plain TCP or TLS).
pub async fn http_over(
    mut stream: impl tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: &str,
) -> (u16, Value) {
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    let typed = headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("content-type"));
    if !body.is_empty() && !typed {
        request.push_str("Content-Type: application/json\r\n");
    }
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    // A TLS peer may close without close_notify after `Connection: close`: keep what came.
    let _ = tokio::time::timeout(WAIT, stream.read_to_end(&mut raw))
        .await
        .expect("http timeout");
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status: u16 = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        dechunk(body)
    } else {
        body.to_owned()
    };
    (status, serde_json::from_str(&body).unwrap_or(Value::String(body)))
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if size == 0 || rest.len() < size {
            break;
        }
        out.push_str(&rest[..size]);
        body = rest[size..].trim_start_matches("\r\n");
    }
    out
}

/// Private messages: not part of a table's event stream, so they carry no stream seq.
const PRIVATE: [&str; 7] = ["ack", "error", "settled", "balance", "pong", "welcome", "console"];

type Ws = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

pub struct Client {
    pub ws: Ws,
    pub welcome: Value,
    pub resume_token: String,
    /// Last table seq seen, per table: table events must arrive gap-free.
    pub seqs: std::collections::HashMap<String, u64>,
    /// Each table stream's epoch as last seen (sent back with `last_seq` to resume).
    pub epochs: std::collections::HashMap<String, u64>,
    next_req: u64,
    pub close_code: Option<u16>,
    /// Messages that arrived while waiting for a reply: events may overtake a reply, and
    /// the test's next wait must still see them.
    backlog: std::collections::VecDeque<Value>,
}

impl Client {
    pub async fn connect(url: &str) -> Client {
        let (ws, _) = tokio_tungstenite::connect_async(url).await.expect("websocket connect");
        Client::over(ws)
    }

    /// Connects to `/v1/play` with `token` in `Sec-WebSocket-Protocol` (the way resume
    /// tokens must travel).
    pub async fn connect_token(addr: &str, token: &str) -> Client {
        let (ws, response) = tokio_tungstenite::connect_async(play_request(addr, token))
            .await
            .expect("websocket connect");
        assert_eq!(
            response
                .headers()
                .get("sec-websocket-protocol")
                .map(|v| v.to_str().unwrap()),
            Some("croupier.v1"),
            "the 101 names the protocol the client offered"
        );
        Client::over(ws)
    }

    fn over(ws: Ws) -> Client {
        Client {
            ws,
            welcome: Value::Null,
            resume_token: String::new(),
            seqs: Default::default(),
            epochs: Default::default(),
            next_req: 1,
            close_code: None,
            backlog: Default::default(),
        }
    }

    pub async fn send(&mut self, mut msg: Value) -> u64 {
        let req = self.next_req;
        self.next_req += 1;
        if msg.get("req").is_none() {
            msg["req"] = json!(req);
        }
        self.ws.send(Message::Text(msg.to_string().into())).await.expect("send");
        msg["req"].as_u64().unwrap_or(req)
    }

    pub async fn send_raw(&mut self, text: &str) {
        self.ws.send(Message::Text(text.to_owned().into())).await.expect("send");
    }

    /// The next JSON message. `None` once closed.
    pub async fn next(&mut self) -> Option<Value> {
        match self.backlog.pop_front() {
            Some(msg) => Some(msg),
            None => self.read().await,
        }
    }

    /// The next message off the socket, checking table seqs are gap-free.
    async fn read(&mut self) -> Option<Value> {
        loop {
            let msg = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .expect("timed out waiting for a message")?;
            match msg {
                Ok(Message::Text(text)) => {
                    let value: Value = serde_json::from_str(&text).expect("server sent JSON");
                    if let (Some(table), Some(epoch)) = (value["table"].as_str(), value["epoch"].as_u64()) {
                        self.epochs.insert(table.to_owned(), epoch);
                    }
                    if let (Some(table), Some(seq)) = (value["table"].as_str(), value["seq"].as_u64()) {
                        let kind = value["type"].as_str().unwrap_or("");
                        if kind == "snapshot" {
                            self.seqs.insert(table.to_owned(), seq);
                        } else if !PRIVATE.contains(&kind) {
                            if let Some(last) = self.seqs.get(table) {
                                assert_eq!(seq, last + 1, "gap or reorder in {table}'s events: {value}");
                            }
                            self.seqs.insert(table.to_owned(), seq);
                        }
                    }
                    return Some(value);
                }
                Ok(Message::Close(frame)) => {
                    self.close_code = frame.map(|f| u16::from(f.code));
                    // Complete the closing handshake as a real client does.
                    let _ = self.ws.flush().await;
                    return None;
                }
                Ok(_) => continue,
                Err(_) => return None,
            }
        }
    }

    /// Skips messages until one of type `kind`.
    pub async fn expect(&mut self, kind: &str) -> Value {
        self.until(kind, |m| m["type"] == kind).await
    }

    /// Skips messages until `pred` holds; a table that keeps talking without ever sending
    /// it fails the test after `UNTIL_MAX` instead of hanging.
    pub async fn until(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + UNTIL_MAX;
        loop {
            assert!(tokio::time::Instant::now() < deadline, "no {what} within {UNTIL_MAX:?}");
            let msg = self
                .next()
                .await
                .unwrap_or_else(|| panic!("closed while waiting for {what}"));
            if pred(&msg) {
                return msg;
            }
        }
    }

    /// The reply (`ack` or `error`) to request `req`.
    /// Other messages meanwhile stay queued for the next wait.
    pub async fn reply(&mut self, req: u64) -> Value {
        let is_reply = |m: &Value| (m["type"] == "ack" || m["type"] == "error") && m["req"] == json!(req);
        if let Some(at) = self.backlog.iter().position(is_reply) {
            return self.backlog.remove(at).expect("position is in range");
        }
        let deadline = tokio::time::Instant::now() + UNTIL_MAX;
        loop {
            assert!(
                tokio::time::Instant::now() < deadline,
                "no reply to {req} within {UNTIL_MAX:?}"
            );
            let msg = self
                .read()
                .await
                .unwrap_or_else(|| panic!("closed while waiting for the reply to {req}"));
            if is_reply(&msg) {
                return msg;
            }
            self.backlog.push_back(msg);
        }
    }

    pub async fn join(&mut self, table: &str) -> Value {
        let req = self.send(json!({"type": "join", "table": table})).await;
        let mut snapshot = Value::Null;
        loop {
            let msg = self.next().await.expect("closed during join");
            if msg["type"] == "snapshot" {
                snapshot = msg;
            } else if msg["req"] == json!(req) {
                assert_eq!(msg["type"], "ack", "join refused: {msg}");
                return snapshot;
            }
        }
    }

    /// Waits for the next round on `table` to open and returns its id.
    pub async fn next_round(&mut self, table: &str) -> u64 {
        let open = self
            .until("round_open", |m| m["type"] == "round_open" && m["table"] == table)
            .await;
        open["round_id"].as_u64().unwrap()
    }

    pub async fn bet(&mut self, table: &str, round_id: u64, spot: &str, amount: i64, bet_id: &str) -> Value {
        let req = self
            .send(json!({"type": "bet", "table": table, "round_id": round_id, "spot": spot, "amount": amount, "bet_id": bet_id}))
            .await;
        self.reply(req).await
    }
}

/// Copies the directory tree `from` to `to` (created), files and subdirectories alike.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("create {}: {e}", to.display()));
    let entries = std::fs::read_dir(from).unwrap_or_else(|e| panic!("read {}: {e}", from.display()));
    for entry in entries {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap_or_else(|e| panic!("copy {}: {e}", entry.path().display()));
        }
    }
}

pub fn data_path(server: &Server) -> &Path {
    server.dir.path()
}

/// Starts the real binary with these table files and config and expects it to refuse to
/// start: it must exit non-zero without listening. Returns what it wrote to stderr.
pub fn start_refused(tables: &[(&str, String)], config: &str) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let tables_dir = dir.path().join("tables");
    std::fs::create_dir_all(&tables_dir).unwrap();
    for (name, toml) in tables {
        std::fs::write(tables_dir.join(format!("{name}.toml")), toml).unwrap();
    }
    std::fs::write(dir.path().join("config.toml"), config).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_croupier"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(dir.path().join("data"))
        .arg("--tables")
        .arg(&tables_dir)
        .arg("--config")
        .arg(dir.path().join("config.toml"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start croupier");
    let stdout = child.stdout.take().unwrap();
    // A server that does start prints its address; one that refuses exits and closes stdout.
    let listening = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .any(|line| line.starts_with("croupier listening on"));
    if listening {
        let _ = child.kill();
    }
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(!listening, "the server started: {stderr}");
    assert!(!output.status.success(), "a refused start must exit non-zero: {stderr}");
    stderr
}
