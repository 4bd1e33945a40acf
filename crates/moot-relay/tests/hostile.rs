//! What a hostile client can send the relay: one frame, a socket that only pings, a page on
//! another origin, a decompression bomb. Each is refused on its own connection; everyone else
//! carries on (audit R1, R4, R5).

mod support;
#[path = "../../moot-sync/tests/common/mod.rs"]
mod sync_common;

use futures::{SinkExt, StreamExt};
use moot_sync::Event;
use support::{
    Client, RunningRelay, closed, everyone_else_carries_on, new_doc, publish_new, raw_socket, temp,
};
use tokio_tungstenite::tungstenite::{self, Message as Ws};

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
    evil.send(Ws::Binary(sync_common::long_id_frame(1_000_000).into()))
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

    // `--allow-origin` adds a site (where a static copy of the app is hosted).
    let relay = RunningRelay::start(&root, |c| {
        c.allow_origins = vec!["https://moot.example.org/".into()]
    })
    .await;
    let url = format!("ws://{}/sync", relay.addr);
    let with_origin = |origin: &str| {
        let mut req = url.as_str().into_client_request().unwrap();
        req.headers_mut().insert("Origin", origin.parse().unwrap());
        req
    };
    tokio_tungstenite::connect_async(with_origin("https://moot.example.org"))
        .await
        .expect("an allowed origin");
    assert!(
        tokio_tungstenite::connect_async(with_origin("https://evil.example"))
            .await
            .is_err()
    );
    relay.stop().await;
}

/// A TCP connection that has read to its end (the relay closed it) within the deadline.
async fn hung_up(tcp: &mut tokio::net::TcpStream, what: &str) {
    use tokio::io::AsyncReadExt;
    let mut sink = [0u8; 1024];
    let ended = tokio::time::timeout(support::DEADLINE, async {
        loop {
            match tcp.read(&mut sink).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "{what}: the relay closes that connection");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_headers_and_too_many_connections_from_one_address_are_dropped() {
    use tokio::io::AsyncWriteExt;
    let root = temp("slowloris");
    let relay = RunningRelay::start(&root, |c| {
        c.header_read_timeout_secs = 1;
        c.max_connections_per_address = 3;
    })
    .await;
    // Half a request, then nothing: dropped after the header deadline.
    let mut slow = tokio::net::TcpStream::connect(relay.addr).await.unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    // Two more hold this address's other places; the next one is turned away at once.
    let mut held = Vec::new();
    for _ in 0..2 {
        held.push(tokio::net::TcpStream::connect(relay.addr).await.unwrap());
    }
    let mut over = tokio::net::TcpStream::connect(relay.addr).await.unwrap();
    hung_up(&mut over, "a fourth connection from one address").await;
    hung_up(&mut slow, "a request whose headers never finish").await;
    for mut tcp in held {
        hung_up(&mut tcp, "a connection that never sends a request").await;
    }
    // Their places are free again.
    relay
        .wait_for("/healthz", "the relay answers again", |r| r.ends_with("ok"))
        .await;
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_and_an_address_may_ask_for_only_so_many_new_documents() {
    let root = temp("quota");
    let relay = RunningRelay::start(&root, |c| {
        c.max_new_documents_per_connection = 3;
        c.max_new_documents_per_address = 5;
    })
    .await;
    let known = new_doc(1);
    let mut alice = Client::connect(relay.addr, "alice").await;
    publish_new(&mut alice, known, "minutes").await;
    // samod answers before its write lands: wait until the document is stored, so that it
    // counts as a stored one below.
    relay
        .wait_for("/metrics", "the known document is stored", |m| {
            m.contains("\"documents\":1")
        })
        .await;

    // Random ids: each would be a document actor samod keeps forever.
    let mut greedy = Client::connect_from(support::ATTACKER, relay.addr, "greedy").await;
    for seed in [100, 101] {
        let id = new_doc(seed);
        assert_eq!(greedy.fetch(id).await, Event::Unavailable(id));
    }
    // Stored documents do not count.
    assert_eq!(greedy.fetch(known).await, Event::DocumentChanged(known));
    let third = new_doc(102);
    assert_eq!(greedy.fetch(third).await, Event::Unavailable(third));
    let mut empty = automerge::AutoCommit::new();
    let frames = greedy.conn.request_document(new_doc(103), &mut empty);
    greedy.send(frames).await;
    closed(&mut greedy.ws, "a fourth new document on one connection").await;

    // The address is paused for what it just did; then it has used 3 of its 6: two more on a
    // new connection, then it is refused.
    let refused = support::socket_from(support::ATTACKER, relay.addr).await;
    assert!(
        refused.is_err_and(|e| e.to_string().contains("429")),
        "paused after breaking its quota"
    );
    let mut again = loop {
        // The pause is 2 s; waiting for it to end is a condition, bounded by the deadline.
        if let Ok(ws) = support::socket_from(support::ATTACKER, relay.addr).await {
            drop(ws);
            break Client::connect_from(support::ATTACKER, relay.addr, "again").await;
        }
        tokio::task::yield_now().await;
    };
    for seed in [104, 105] {
        let id = new_doc(seed);
        assert_eq!(again.fetch(id).await, Event::Unavailable(id));
    }
    let frames = again.conn.request_document(new_doc(106), &mut empty);
    again.send(frames).await;
    closed(&mut again.ws, "the address's sixth new document").await;
    everyone_else_carries_on(&relay, &mut alice, known).await;
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_connection_may_use_only_a_few_ephemeral_sessions() {
    let root = temp("sessions");
    let relay = RunningRelay::start(&root, |_| {}).await;
    let id = new_doc(4);
    let mut alice = Client::connect(relay.addr, "alice").await;
    publish_new(&mut alice, id, "minutes").await;
    let mut evil = Client::connect_from(support::ATTACKER, relay.addr, "evil").await;
    let target = evil.conn.remote().unwrap().peer_id.clone();
    // samod keeps every session id it sees; a fresh one per message would grow it forever.
    let frames = (0..5)
        .map(|n| {
            moot_sync::Message::Ephemeral {
                sender_id: "evil".into(),
                target_id: target.clone(),
                count: 1,
                session_id: format!("session-{n}"),
                document_id: id,
                data: vec![0xa0],
            }
            .encode()
        })
        .collect();
    evil.send(frames).await;
    closed(&mut evil.ws, "a fifth ephemeral session").await;
    everyone_else_carries_on(&relay, &mut alice, id).await;
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frame_in_another_peer_s_name_is_refused() {
    let root = temp("sender");
    let relay = RunningRelay::start(&root, |_| {}).await;
    let id = new_doc(5);
    let mut alice = Client::connect(relay.addr, "alice").await;
    publish_new(&mut alice, id, "minutes").await;
    // Each peer of the relay sees who sent an ephemeral message (a direct-link offer's cap
    // per sender counts by it): a connection may speak only as the peer it joined as, so a
    // new name takes a new connection, which the address's cap bounds.
    let mut evil = Client::connect_from(support::ATTACKER, relay.addr, "evil").await;
    let target = evil.conn.remote().unwrap().peer_id.clone();
    let as_someone = |sender: &str| {
        moot_sync::Message::Ephemeral {
            sender_id: sender.into(),
            target_id: target.clone(),
            count: 1,
            session_id: "s".into(),
            document_id: id,
            data: vec![0xa0],
        }
        .encode()
    };
    evil.send(vec![as_someone("evil")]).await;
    everyone_else_carries_on(&relay, &mut alice, id).await;
    evil.send(vec![as_someone("someone-else")]).await;
    closed(&mut evil.ws, "an ephemeral message under another peer's id").await;
    everyone_else_carries_on(&relay, &mut alice, id).await;
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
    let mut evil = Client::connect_from(support::ATTACKER, relay.addr, "evil").await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_is_dropped_not_queued_for() {
    let root = temp("slow-reader");
    let relay = RunningRelay::start(&root, |c| c.send_timeout_secs = 1).await;
    let id = new_doc(5);
    let mut alice = Client::connect(relay.addr, "alice").await;
    publish_new(&mut alice, id, "minutes").await;
    drop(alice);
    // The slow one opens the document, then never reads again.
    let mut slow = Client::connect(relay.addr, "slow").await;
    assert_eq!(slow.fetch(id).await, Event::DocumentChanged(id));
    // Many peers send ephemerals for the document, each within its own rate (a burst of
    // 480 KB): every one is forwarded to the slow reader, whose socket and queue fill up.
    let mut loud = Vec::new();
    for n in 0..48 {
        let mut peer = Client::connect(relay.addr, &format!("loud-{n}")).await;
        assert_eq!(peer.fetch(id).await, Event::DocumentChanged(id));
        let target = peer.conn.remote().unwrap().peer_id.clone();
        let frames = (1..=8)
            .map(|count| {
                moot_sync::Message::Ephemeral {
                    sender_id: format!("loud-{n}"),
                    target_id: target.clone(),
                    count,
                    session_id: format!("loud-session-{n}"),
                    document_id: id,
                    data: vec![0; 60_000],
                }
                .encode()
            })
            .collect();
        peer.send(frames).await;
        loud.push(peer);
    }
    // More than its socket holds: the relay's send is stuck, and after the send timeout the
    // reader is dropped, not queued for (its queue is bounded too).
    closed(&mut slow.ws, "a reader that stopped reading").await;
    drop(slow);
    let mut carol = Client::connect(relay.addr, "carol").await;
    assert_eq!(carol.fetch(id).await, Event::DocumentChanged(id));
    assert_eq!(carol.value(id, "title").as_deref(), Some("minutes"));
    relay.stop().await;
}
