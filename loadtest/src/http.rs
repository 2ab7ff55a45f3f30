//! A minimal HTTP/1.1 client for the operator REST API: HMAC-signed requests over a small
//! pool of keep-alive connections.
//!
//! It only speaks what Croupier answers (JSON bodies with `Content-Length` or chunked
//! encoding) and is not a general client. Signing follows `src/transport/auth.rs`:
//! hex HMAC-SHA256 over `timestamp\nnonce\nMETHOD\npath_and_query\nbody`.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use croupier::transport::auth::sign;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufStream};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

/// Longest one REST exchange may take before it counts as failed.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest response body accepted (the ledger summary is the biggest answer).
const BODY_MAX: usize = 64 * 1024 * 1024;

pub struct Api {
    addr: SocketAddr,
    key_id: String,
    secret: String,
    /// Idle keep-alive connections; a request takes one or opens a new one.
    idle: Mutex<Vec<BufStream<TcpStream>>>,
    /// Requests in flight at once; bounds the REST load the ramp puts on the server and the
    /// sockets this client holds for REST (waiters queue here).
    permits: Semaphore,
    nonce_counter: AtomicU64,
    nonce_salt: u64,
}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub body: Value,
}

impl Api {
    pub fn new(addr: SocketAddr, key_id: String, secret: String, concurrency: usize) -> Api {
        Api {
            addr,
            key_id,
            secret,
            idle: Mutex::new(Vec::new()),
            permits: Semaphore::new(concurrency.max(1)),
            nonce_counter: AtomicU64::new(0),
            nonce_salt: crate::sys::Rng::from_clock(7).next_u64(),
        }
    }

    /// Sends one operator-signed request; retries once on a stale keep-alive connection.
    ///
    /// # Errors
    /// Connection failures, timeouts and unparsable responses, as text.
    pub async fn signed(&self, method: &str, path: &str, body: &str) -> Result<Response, String> {
        let _permit = self.permits.acquire().await.map_err(|e| e.to_string())?;
        let mut last_error = String::new();
        for _attempt in 0..2 {
            let pooled = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
            let reused = pooled.is_some();
            let mut conn = match pooled {
                Some(conn) => conn,
                None => {
                    let stream = TcpStream::connect(self.addr)
                        .await
                        .map_err(|e| format!("connect {}: {e}", self.addr))?;
                    let _ = stream.set_nodelay(true);
                    BufStream::new(stream)
                }
            };
            let request = self.request_text(method, path, body);
            match tokio::time::timeout(REQUEST_TIMEOUT, exchange(&mut conn, &request)).await {
                Ok(Ok((response, keep_alive))) => {
                    if keep_alive {
                        self.idle.lock().unwrap_or_else(|p| p.into_inner()).push(conn);
                    }
                    return Ok(response);
                }
                Ok(Err(error)) if reused => {
                    // Idle connections the server timed out are all stale alike: start afresh.
                    self.idle.lock().unwrap_or_else(|p| p.into_inner()).clear();
                    last_error = error;
                }
                Ok(Err(error)) => return Err(error),
                Err(_) => return Err(format!("{method} {path}: no answer in {REQUEST_TIMEOUT:?}")),
            }
        }
        Err(last_error)
    }

    fn request_text(&self, method: &str, path: &str, body: &str) -> String {
        let ts = (crate::sys::now_us() / 1_000_000).to_string();
        let n = self.nonce_counter.fetch_add(1, Ordering::Relaxed);
        let nonce = format!("{:016x}{:016x}", self.nonce_salt, n);
        let signature = sign(&self.secret, &ts, &nonce, method, path, body.as_bytes());
        let mut text = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\nX-Croupier-Key: {}\r\nX-Croupier-Timestamp: {ts}\r\nX-Croupier-Nonce: {nonce}\r\nX-Croupier-Signature: {signature}\r\n",
            self.addr,
            body.len(),
            self.key_id
        );
        if !body.is_empty() {
            text.push_str("Content-Type: application/json\r\n");
        }
        text.push_str("\r\n");
        text.push_str(body);
        text
    }
}

/// Writes one request and reads its response; returns whether the connection may be reused.
async fn exchange(conn: &mut BufStream<TcpStream>, request: &str) -> Result<(Response, bool), String> {
    conn.write_all(request.as_bytes()).await.map_err(|e| e.to_string())?;
    conn.flush().await.map_err(|e| e.to_string())?;
    let mut line = String::new();
    if conn.read_line(&mut line).await.map_err(|e| e.to_string())? == 0 {
        return Err("connection closed before the response".into());
    }
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("bad status line {line:?}"))?;
    let mut content_length: Option<usize> = None;
    let mut chunked = false;
    let mut keep_alive = true;
    loop {
        line.clear();
        if conn.read_line(&mut line).await.map_err(|e| e.to_string())? == 0 {
            return Err("connection closed in the headers".into());
        }
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        let Some((name, value)) = header.split_once(':') else {
            continue;
        };
        let (name, value) = (name.trim().to_ascii_lowercase(), value.trim().to_ascii_lowercase());
        match name.as_str() {
            "content-length" => content_length = value.parse().ok(),
            "transfer-encoding" => chunked = value.contains("chunked"),
            "connection" => keep_alive = !value.contains("close"),
            _ => {}
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            line.clear();
            conn.read_line(&mut line).await.map_err(|e| e.to_string())?;
            let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or("0"), 16)
                .map_err(|_| format!("bad chunk size {line:?}"))?;
            if body.len() + size > BODY_MAX {
                return Err("response too large".into());
            }
            let start = body.len();
            body.resize(start + size, 0);
            conn.read_exact(&mut body[start..]).await.map_err(|e| e.to_string())?;
            line.clear();
            conn.read_line(&mut line).await.map_err(|e| e.to_string())?;
            if size == 0 {
                break;
            }
        }
    } else if let Some(length) = content_length {
        if length > BODY_MAX {
            return Err("response too large".into());
        }
        body.resize(length, 0);
        conn.read_exact(&mut body).await.map_err(|e| e.to_string())?;
    } else {
        keep_alive = false;
        conn.take(BODY_MAX as u64)
            .read_to_end(&mut body)
            .await
            .map_err(|e| e.to_string())?;
    }
    let body = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&body).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()))
    };
    Ok((Response { status, body }, keep_alive))
}
