//! What a hostile client can send the relay: one frame, a socket that only pings, a page on
//! another origin, a decompression bomb. Each is refused on its own connection; everyone else
//! carries on (audit R1, R4, R5).

mod support;
#[path = "../../moot-sync/tests/common/mod.rs"]
#[allow(dead_code)] // the relay tests use only the bomb
mod sync_common;

use futures::{SinkExt, StreamExt};
use support::{
    Client, RunningRelay, closed, everyone_else_carries_on, new_doc, publish_new, raw_socket, temp,
};
use tokio_tungstenite::tungstenite::{self, Message as Ws};

/// A `request` frame with a `documentId` of `n` characters.
fn long_id_frame(n: usize) -> Vec<u8> {
    let mut e = minicbor::Encoder::new(Vec::new());
    e.map(5).unwrap();
    e.str("type").unwrap().str("request").unwrap();
    e.str("senderId").unwrap().str("x").unwrap();
    e.str("targetId").unwrap().str("y").unwrap();
    e.str("documentId").unwrap().str(&"2".repeat(n)).unwrap();
    e.str("data").unwrap().bytes(&[0]).unwrap();
    e.into_writer()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_frame_with_a_huge_id_does_not_stall_the_relay() {
    let root = temp("huge-id");
    let relay = RunningRelay::start(&root, |_| {}).await;
    let id = new_doc(7);
    let mut alice = Client::connect(relay.addr, "alice").await;
    publish_new(&mut alice, id, "minutes").await;
    // 1 MB of id: samod would base58-decode it (quadratic) under its repo-wide lock, for
    // minutes, stalling every connection. Before any handshake, as an attacker would.
    let mut evil = raw_socket(&relay).await;
    evil.send(Ws::Binary(long_id_frame(1_000_000).into()))
        .await
        .unwrap();
    closed(&mut evil, "a 1 MB documentId").await;
    // Everyone else carries on, within the test's deadline.
    everyone_else_carries_on(&relay, &mut alice, id).await;
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sockets_that_only_ping_or_never_join_are_closed() {
    let root = temp("ping-only");
    let relay = RunningRelay::start(&root, |c| c.idle_timeout_secs = 1).await;
    // Never joins, never pings.
    let mut silent = raw_socket(&relay).await;
    // Pings every 100 ms and sends nothing else: pings must not keep a slot.
    let pinger = raw_socket(&relay).await;
    let (mut tx, mut rx) = pinger.split();
    let pinging = tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_millis(100));
        loop {
            tick.tick().await;
            if tx.send(Ws::Ping(vec![1].into())).await.is_err() {
                break;
            }
        }
    });
    closed(&mut rx, "a ping-only socket").await;
    closed(&mut silent, "a socket that never joins").await;
    pinging.abort();
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_of_other_origins_are_refused() {
    use tungstenite::client::IntoClientRequest;
    let root = temp("origin");
    let relay = RunningRelay::start(&root, |_| {}).await;
    let url = format!("ws://{}/sync", relay.addr);
    let with_origin = |origin: &str| {
        let mut req = url.as_str().into_client_request().unwrap();
        req.headers_mut().insert("Origin", origin.parse().unwrap());
        req
    };
    let err = tokio_tungstenite::connect_async(with_origin("https://evil.example"))
        .await
        .expect_err("another site's page is refused");
    assert!(err.to_string().contains("403"), "{err}");
    // The app's own origin and pages on this machine are accepted; so are clients that are
    // not browsers (no Origin).
    for origin in [
        format!("http://{}", relay.addr),
        "http://localhost:5173".into(),
        "http://127.0.0.1:9".into(),
    ] {
        tokio_tungstenite::connect_async(with_origin(&origin))
            .await
            .unwrap_or_else(|e| panic!("{origin}: {e}"));
    }
    relay.stop().await;
}

/// The most memory this process has held at once (Linux `VmHWM`), in bytes.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/self/status");
    kb * 1024
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_decompression_bomb_is_refused_before_it_is_inflated() {
    let root = temp("bomb");
    let relay = RunningRelay::start(&root, |_| {}).await;
    let id = new_doc(9);
    let mut alice = Client::connect(relay.addr, "alice").await;
    publish_new(&mut alice, id, "minutes").await;
    // 1 GiB of zeros in about 1 MB: automerge would inflate it whole into memory.
    let (_, data) = sync_common::bomb(1 << 30);
    let before = peak_rss();
    let mut evil = Client::connect(relay.addr, "evil").await;
    let frame = moot_sync::Message::Sync {
        sender_id: "evil".into(),
        target_id: evil.conn.remote().unwrap().peer_id.clone(),
        document_id: id,
        data,
    }
    .encode();
    evil.send(vec![frame]).await;
    closed(&mut evil.ws, "a decompression bomb").await;
    everyone_else_carries_on(&relay, &mut alice, id).await;
    let grew = peak_rss().saturating_sub(before);
    assert!(
        grew < 256 << 20,
        "the relay's peak memory grew by {} MiB",
        grew >> 20
    );
    relay.stop().await;
}
