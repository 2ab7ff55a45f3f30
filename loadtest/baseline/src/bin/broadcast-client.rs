//! `broadcast-client PORT SERVER_PID CLIENTS SECONDS`: connects CLIENTS WebSockets to a
//! baseline server on 127.0.0.1:PORT, waits 5 s, then for SECONDS measures push latency
//! (server time in the text to receipt), messages delivered per second, and the server's
//! CPU time and RSS from /proc/SERVER_PID.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use croupier_baseline::{pushed_at, unix_micros, GROUPS};
use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

/// The server's CPU seconds (user + system) and RSS in KiB.
fn server_usage(pid: u32) -> (f64, u64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("server pid");
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    let cpu = (fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap()) / ticks;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("server pid");
    let rss = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    (cpu, rss)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<u64> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let [port, pid, clients, seconds] = args[..] else {
        eprintln!("usage: broadcast-client PORT SERVER_PID CLIENTS SECONDS");
        std::process::exit(2);
    };
    let limit = libc::rlimit {
        rlim_cur: 20_000,
        rlim_max: 20_000,
    };
    unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) };
    let (_, rss_before) = server_usage(pid as u32);
    let delivered = Arc::new(AtomicU64::new(0));
    let latencies = Arc::new(Mutex::new(Vec::<u32>::new()));
    let measuring = Arc::new(AtomicBool::new(false));
    for i in 0..clients {
        let url = format!("ws://127.0.0.1:{port}/ws?g={}", i % GROUPS as u64);
        // Pushes are small: an 8 KiB read buffer (tungstenite zero-fills it before each read).
        let config = WebSocketConfig::default().read_buffer_size(8 * 1024);
        let (mut ws, _) = tokio_tungstenite::connect_async_with_config(url, Some(config), true)
            .await
            .expect("server accepts");
        let (delivered, latencies, measuring) = (delivered.clone(), latencies.clone(), measuring.clone());
        tokio::spawn(async move {
            let mut mine = Vec::new();
            while let Some(Ok(message)) = ws.next().await {
                let Message::Text(text) = message else { continue };
                delivered.fetch_add(1, Ordering::Relaxed);
                if let (true, Some(at)) = (measuring.load(Ordering::Relaxed), pushed_at(&text)) {
                    mine.push(unix_micros().saturating_sub(at) as u32);
                    if mine.len() >= 16 {
                        latencies.lock().unwrap().append(&mut mine);
                    }
                }
            }
        });
        if i % 500 == 499 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    tokio::time::sleep(Duration::from_secs(5)).await;
    let (cpu_start, rss_connected) = server_usage(pid as u32);
    let delivered_start = delivered.load(Ordering::Relaxed);
    measuring.store(true, Ordering::Relaxed);
    let start = Instant::now();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    measuring.store(false, Ordering::Relaxed);
    let (cpu_end, _) = server_usage(pid as u32);
    let messages = delivered.load(Ordering::Relaxed) - delivered_start;
    let elapsed = start.elapsed().as_secs_f64();
    let mut samples = latencies.lock().unwrap().clone();
    samples.sort_unstable();
    let at = |q: f64| {
        samples
            .get(((samples.len() as f64 - 1.0) * q) as usize)
            .copied()
            .unwrap_or(0) as f64
            / 1000.0
    };
    println!(
        "{clients} clients: {:.1} KiB RSS per connection; {:.0} msgs/s; server CPU {:.0}%, {:.2} µs per message; push p50 {:.2} / p99 {:.2} / p99.9 {:.2} ms",
        rss_connected.saturating_sub(rss_before) as f64 / clients as f64,
        messages as f64 / elapsed,
        100.0 * (cpu_end - cpu_start) / elapsed,
        1e6 * (cpu_end - cpu_start) / messages.max(1) as f64,
        at(0.5),
        at(0.99),
        at(0.999),
    );
}
