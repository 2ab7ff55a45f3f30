//! tokio-tungstenite on a two-thread tokio runtime, on 127.0.0.1:9912: the kind of bare
//! server the reference figures came from. One task and one bounded queue per
//! connection; a 4 KiB read buffer (the default 128 KiB one is zero-filled before every
//! read: 134 KiB and 28 µs per message here).

// tungstenite's handshake callback returns its own (large) error response type.
#![allow(clippy::result_large_err)]

use std::sync::{Arc, Mutex};

use croupier_baseline::{first_push_delay, group, push_text, GROUPS, PERIOD};
use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

type Groups = Arc<Vec<Mutex<Vec<mpsc::Sender<Utf8Bytes>>>>>;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let groups: Groups = Arc::new((0..GROUPS).map(|_| Mutex::new(Vec::new())).collect());
    for g in 0..GROUPS {
        let groups = groups.clone();
        tokio::spawn(async move {
            tokio::time::sleep(first_push_delay(g)).await;
            let mut tick = tokio::time::interval(PERIOD);
            for seq in 1.. {
                tick.tick().await;
                let text = Utf8Bytes::from(push_text(g, seq));
                for member in groups[g].lock().unwrap().iter() {
                    let _ = member.try_send(text.clone());
                }
            }
        });
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:9912")
        .await
        .expect("port 9912 free");
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        let _ = tcp.set_nodelay(true);
        tokio::spawn(serve(tcp, groups.clone()));
    }
}

async fn serve(tcp: tokio::net::TcpStream, groups: Groups) {
    let mut g = 0;
    let pick_group = |request: &Request, response: Response| {
        g = group(request.uri().query().unwrap_or(""));
        Ok(response)
    };
    let config = WebSocketConfig::default().read_buffer_size(4096).write_buffer_size(0);
    let Ok(ws) = tokio_tungstenite::accept_hdr_async_with_config(tcp, pick_group, Some(config)).await else {
        return;
    };
    let (queue, mut pushes) = mpsc::channel::<Utf8Bytes>(64);
    groups[g].lock().unwrap().push(queue);
    let (mut sink, mut inbound) = ws.split();
    loop {
        tokio::select! {
            push = pushes.recv() => {
                let Some(text) = push else { break };
                if sink.send(Message::Text(text)).await.is_err() {
                    break;
                }
            }
            message = inbound.next() => if !matches!(message, Some(Ok(_))) { break },
        }
    }
}
