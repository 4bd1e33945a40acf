//! The relay's /sync endpoint on a real socket, driven by native moot-sync clients: the same
//! protocol code the browser runs.

mod support;

use futures::{SinkExt, StreamExt};
use moot_sync::Event;
use support::{
    Client, DEADLINE, RunningRelay, closed, everyone_else_carries_on, new_doc, publish_new,
    raw_socket, temp,
};
use tokio_tungstenite::tungstenite::Message as Ws;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_clients_sync_through_the_relay() {
    let root = temp("two");
    let relay = RunningRelay::start(&root, |_| {}).await;
    let id = new_doc(1);
    let mut alice = Client::connect(relay.addr, "alice").await;
    publish_new(&mut alice, id, "IOPA Governance").await;

    let mut bob = Client::connect(relay.addr, "bob").await;
    assert_eq!(bob.fetch(id).await, Event::DocumentChanged(id));
    bob.wait_for_value(id, "title", "IOPA Governance").await;

    bob.edit(id, "comment", "from bob").await;
    alice.wait_for_value(id, "comment", "from bob").await;
    alice.edit(id, "reply", "from alice").await;
    bob.wait_for_value(id, "reply", "from alice").await;
    let metrics = relay.metrics().await;
    assert!(metrics.contains("\"connections\":2"), "{metrics}");
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_documents_are_unavailable() {
    let root = temp("unknown");
    let relay = RunningRelay::start(&root, |_| {}).await;
    let mut carol = Client::connect(relay.addr, "carol").await;
    assert_eq!(
        carol.fetch(new_doc(9)).await,
        Event::Unavailable(new_doc(9))
    );
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relay_restart_loses_nothing() {
    let root = temp("restart");
    let relay = RunningRelay::start(&root, |_| {}).await;
    let id = new_doc(2);
    let mut alice = Client::connect(relay.addr, "alice").await;
    publish_new(&mut alice, id, "before restart").await;
    alice.edit(id, "minutes", "we agreed").await;
    drop(alice);
    relay.stop().await;

    let relay = RunningRelay::start(&root, |_| {}).await;
    let mut bob = Client::connect(relay.addr, "bob").await;
    assert_eq!(bob.fetch(id).await, Event::DocumentChanged(id));
    bob.wait_for_value(id, "minutes", "we agreed").await;
    assert_eq!(bob.value(id, "title").as_deref(), Some("before restart"));
    let metrics = relay.metrics().await;
    assert!(metrics.contains("\"documents\":1"), "{metrics}");
    relay.stop().await;
}

/// A disk that refuses a document's writes (here: a file where its folder must go): the relay
/// holds the write and retries it, `/healthz` fails meanwhile, and once the disk is back the
/// write lands — after a restart the document is all there (audit R3).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_write_fails_healthz_and_lands_once_the_disk_is_back() {
    let root = temp("disk");
    let relay = RunningRelay::start(&root, |_| {}).await;
    let healthy = |r: &str| r.starts_with("HTTP/1.1 200") && r.ends_with("ok");
    relay
        .wait_for("/healthz", "healthy at start", healthy)
        .await;
    let id = new_doc(11);
    let folder = root.join("data/documents").join(&id.to_string()[..2]);
    std::fs::create_dir_all(folder.parent().unwrap()).unwrap();
    std::fs::write(&folder, b"not a folder").unwrap();

    let mut alice = Client::connect(relay.addr, "alice").await;
    let mut doc = automerge::AutoCommit::new();
    automerge::transaction::Transactable::put(
        &mut doc,
        automerge::ROOT,
        "title",
        "written while the disk fails",
    )
    .unwrap();
    doc.commit();
    alice.docs.insert(id, doc);
    // The exchange goes on (the relay asks for the changes, gets them, cannot store them);
    // its acknowledgement waits for the write.
    let publishing = tokio::spawn(async move {
        alice.publish(id).await;
        alice
    });
    let failing = relay
        .wait_for("/healthz", "healthz reports the failing disk", |r| {
            r.starts_with("HTTP/1.1 503")
        })
        .await;
    assert!(failing.contains("storage failing"), "{failing}");
    let metrics = relay.metrics().await;
    assert!(!metrics.contains("\"storage_failures\":0"), "{metrics}");

    assert!(
        !publishing.is_finished(),
        "acknowledged before it was stored"
    );
    std::fs::remove_file(&folder).unwrap();
    // Acknowledged once it is stored.
    let alice = tokio::time::timeout(support::DEADLINE, publishing)
        .await
        .expect("acknowledged once stored")
        .unwrap();
    relay
        .wait_for("/healthz", "healthy once the write landed", healthy)
        .await;
    drop(alice);
    relay.stop().await;

    let relay = RunningRelay::start(&root, |_| {}).await;
    let mut bob = Client::connect(relay.addr, "bob").await;
    assert_eq!(bob.fetch(id).await, Event::DocumentChanged(id));
    assert_eq!(
        bob.value(id, "title").as_deref(),
        Some("written while the disk fails")
    );
    relay.stop().await;
    let temp = root.join("data/tmp");
    let left: Vec<_> = std::fs::read_dir(&temp)
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "temporary files left behind: {left:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversize_and_garbage_frames_drop_only_their_connection() {
    let root = temp("bad");
    let relay = RunningRelay::start(&root, |c| c.max_frame_bytes = 64 * 1024).await;
    let id = new_doc(3);
    let mut alice = Client::connect(relay.addr, "alice").await;
    publish_new(&mut alice, id, "steady").await;

    let mut big = Client::connect_from(support::ATTACKER, relay.addr, "big").await;
    big.ws
        .send(Ws::Binary(vec![0u8; 200 * 1024].into()))
        .await
        .ok();
    closed(&mut big.ws, "an oversize frame").await;

    let mut garbage = raw_socket(&relay).await;
    garbage
        .send(Ws::Binary(b"\xff\x00 not cbor at all".to_vec().into()))
        .await
        .unwrap();
    closed(&mut garbage, "a garbage frame").await;

    everyone_else_carries_on(&relay, &mut alice, id).await;
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_limit_are_refused() {
    let root = temp("limit");
    let relay = RunningRelay::start(&root, |c| c.max_connections = 1).await;
    let _first = Client::connect(relay.addr, "first").await;
    let err = tokio_tungstenite::connect_async(format!("ws://{}/sync", relay.addr))
        .await
        .expect_err("second connection refused");
    assert!(err.to_string().contains("503"), "{err}");
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_are_closed_and_active_ones_kept() {
    let root = temp("idle");
    let relay = RunningRelay::start(&root, |c| c.idle_timeout_secs = 1).await;
    let id = new_doc(4);
    let mut active = Client::connect(relay.addr, "active").await;
    publish_new(&mut active, id, "busy").await;
    let mut idle = Client::connect(relay.addr, "idle").await;
    // The idle client says nothing: the relay closes it after a second. Meanwhile the active
    // one keeps talking (as the app's presence messages do).
    let closed = tokio::time::timeout(DEADLINE, async {
        let mut talk = tokio::time::interval(std::time::Duration::from_millis(200));
        loop {
            tokio::select! {
                _ = talk.tick() => {
                    if let Some(frame) = active.conn.ephemeral(id, vec![0xa0]) {
                        active.send(vec![frame]).await;
                    }
                }
                msg = idle.ws.next() => match msg {
                    None | Some(Err(_)) | Some(Ok(Ws::Close(_))) => break,
                    Some(Ok(_)) => {}
                },
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "an idle connection is closed");
    // The active one, which keeps talking, still syncs. (It keeps talking while the relay
    // stores the edit: the reply waits for the write, and a second without a frame from the
    // client would close it, fsync or not.)
    active.send_edit(id, "still", "here").await;
    let acknowledged = tokio::time::timeout(DEADLINE, async {
        let mut talk = tokio::time::interval(std::time::Duration::from_millis(200));
        loop {
            let heads = active.docs.get_mut(&id).unwrap().get_heads();
            if active.conn.is_synced(&id, &heads) {
                break;
            }
            tokio::select! {
                _ = talk.tick() => {
                    if let Some(frame) = active.conn.ephemeral(id, vec![0xa0]) {
                        active.send(vec![frame]).await;
                    }
                }
                msg = active.ws.next() => match msg {
                    Some(Ok(Ws::Binary(frame))) => {
                        let (out, _) = active
                            .conn
                            .receive(&frame, &mut active.docs)
                            .expect("valid frame from relay");
                        active.send(out).await;
                    }
                    Some(Ok(_)) => {}
                    other => panic!("the active connection ended: {other:?}"),
                },
            }
        }
    })
    .await;
    assert!(
        acknowledged.is_ok(),
        "the active client's edit is acknowledged"
    );
    let mut reader = Client::connect(relay.addr, "reader").await;
    assert_eq!(reader.fetch(id).await, Event::DocumentChanged(id));
    reader.wait_for_value(id, "still", "here").await;
    relay.stop().await;
}
