//! Goal: a flood of frames, an oversized frame and garbage close only the offending
//! connections: an honest player at the same table keeps seeing every event, betting and
//! being paid, and money is conserved. Method: real server; three flooding WebSocket clients
//! sending thousands of frames as fast as they can, beside one honest player.

mod common;

use common::*;
use futures_util::SinkExt;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn floods_and_oversized_frames_close_only_the_offender() {
    let server = Server::start(&[("b", auto_table("bac", "baccarat", ""))], "");
    server.deposit("honest", "EUR", 100_000).await;
    let mut honest = server.player("honest", "EUR").await;
    honest.join("bac").await;

    let mut floods = Vec::new();
    for i in 0..3 {
        server.deposit(&format!("flood{i}"), "EUR", 100_000).await;
        let mut flooder = server.player(&format!("flood{i}"), "EUR").await;
        flooder.join("bac").await;
        floods.push(tokio::spawn(async move {
            // A round that does not exist: every flood bet is refused, none moves money.
            let bet = json!({"type": "bet", "table": "bac", "round_id": 999_999, "spot": "banker", "amount": 100, "bet_id": "x"}).to_string();
            let mut sent = 0;
            for _ in 0..5_000 {
                if flooder.ws.send(Message::Text(bet.clone().into())).await.is_err() {
                    break;
                }
                sent += 1;
            }
            while flooder.next().await.is_some() {}
            (sent, flooder.close_code)
        }));
    }
    // An oversized frame (limit 16 KiB) closes that connection with 1009.
    let mut big = server.player("big", "EUR").await;
    let _ = big.ws.send(Message::Text("x".repeat(64 * 1024).into())).await;
    while big.next().await.is_some() {}
    assert_eq!(big.close_code, Some(1009));

    // Meanwhile the honest player plays two full rounds.
    for n in 0..2 {
        let round = honest.next_round("bac").await;
        let ack = honest.bet("bac", round, "player", 1_000, &format!("h{n}")).await;
        assert_eq!(ack["type"], "ack", "honest bet refused during the flood: {ack}");
        honest
            .until("settled", |m| m["type"] == "settled" && m["round_id"] == json!(round))
            .await;
    }
    for flood in floods {
        let (sent, code) = flood.await.unwrap();
        assert!(sent > 0);
        assert_eq!(code, Some(4009), "a flooding connection is closed as flooding");
    }
    // No flood bet moved money: each flooder still has exactly what it deposited.
    for i in 0..3 {
        assert_eq!(server.balance(&format!("flood{i}"), "EUR").await, 100_000);
    }
    server.assert_conserved().await;
}

/// Goal: clients that do not wait politely still get a working socket: a client that sends
/// its first message in the same packet as its handshake is answered, and a WebSocket
/// handshake to a path that is not a socket gets that path's HTTP answer. Method: real
/// server, raw TCP (a WebSocket library always waits for the 101).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_sent_with_the_handshake_is_answered() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let server = Server::start(&[("b", auto_table("bac", "baccarat", ""))], "");
    let grant = server.launch("eager", "EUR").await;
    let mut packet = format!(
        "GET /v1/play?token={} HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        grant["token"].as_str().unwrap(),
        server.addr
    )
    .into_bytes();
    // A masked text frame (RFC 6455 §5.3) right behind the request.
    let ping = br#"{"type":"ping","req":7}"#;
    let mask = [0x12, 0x34, 0x56, 0x78];
    packet.extend([0x81, 0x80 | ping.len() as u8]);
    packet.extend(mask);
    packet.extend(ping.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    let mut stream = tokio::net::TcpStream::connect(&server.addr).await.unwrap();
    stream.write_all(&packet).await.unwrap();

    let mut received = Vec::new();
    let pong = tokio::time::timeout(WAIT, async {
        loop {
            let mut buf = [0u8; 4096];
            let n = stream.read(&mut buf).await.unwrap();
            assert!(n > 0, "closed before the pong: {}", String::from_utf8_lossy(&received));
            received.extend_from_slice(&buf[..n]);
            let Some(end) = received.windows(4).position(|w| w == b"\r\n\r\n") else {
                continue;
            };
            assert!(
                received.starts_with(b"HTTP/1.1 101"),
                "{}",
                String::from_utf8_lossy(&received)
            );
            // Server frames are unmasked; every one here is a short text frame.
            let mut frames = &received[end + 4..];
            while frames.len() >= 2 {
                let (len, head) = match frames[1] {
                    126 if frames.len() >= 4 => (u16::from_be_bytes([frames[2], frames[3]]) as usize, 4),
                    126 => break,
                    len => (len as usize, 2),
                };
                if frames.len() < head + len {
                    break;
                }
                let message: serde_json::Value = serde_json::from_slice(&frames[head..head + len]).unwrap();
                if message["type"] == "pong" {
                    return message;
                }
                frames = &frames[head + len..];
            }
        }
    })
    .await
    .expect("no pong to the message sent with the handshake");
    assert_eq!(pong["req"], 7);

    assert_eq!(upgrade_status(&server.addr, "/no/such/socket").await, 404);
    assert_eq!(upgrade_status(&server.addr, "/healthz").await, 200);
}
