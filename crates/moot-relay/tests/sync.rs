//! The relay's /sync endpoint on a real socket, driven by native moot-sync clients: the same
//! protocol code the browser runs.

use std::{collections::BTreeMap, net::SocketAddr, path::Path, time::Duration};

use automerge::{AutoCommit, ReadDoc, ROOT, transaction::Transactable};
use futures::{SinkExt, StreamExt};
use moot_relay::{Config, Relay};
use moot_sync::{Connection, DocumentId, Event, PeerMetadata};
use tokio::{net::TcpStream, sync::oneshot};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, tungstenite::Message as Ws};

const DEADLINE: Duration = Duration::from_secs(20);

struct RunningRelay {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), moot_relay::Error>>,
}

impl RunningRelay {
    async fn start(root: &Path, tweak: impl FnOnce(&mut Config)) -> Self {
        let dist = root.join("dist");
        std::fs::create_dir_all(&dist).unwrap();
        std::fs::write(dist.join("index.html"), "<!doctype html>").unwrap();
        let mut config = Config::local(dist, root.join("data"));
        tweak(&mut config);
        let relay = Relay::start(config).await.unwrap();
        let addr = relay.local_addr();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(relay.run_until(async {
            let _ = stopped.await;
        }));
        Self { addr, stop: Some(stop), task }
    }

    /// Graceful stop: waits until storage is flushed.
    async fn stop(mut self) {
        self.stop.take().unwrap().send(()).unwrap();
        tokio::time::timeout(DEADLINE, self.task).await.expect("relay stops in time").unwrap().unwrap();
    }

    async fn metrics(&self) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut s = TcpStream::connect(self.addr).await.unwrap();
        s.write_all(format!("GET /metrics HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", self.addr).as_bytes()).await.unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).await.unwrap();
        out
    }
}

fn temp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("moot-sync-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

struct Client {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    conn: Connection,
    docs: BTreeMap<DocumentId, AutoCommit>,
}

impl Client {
    async fn connect(addr: SocketAddr, name: &str) -> Self {
        let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/sync")).await.expect("websocket connects");
        let metadata = PeerMetadata { storage_id: Some(format!("storage-{name}")), is_ephemeral: Some(false) };
        let (conn, join) = Connection::dial(name, metadata, &format!("session-{name}"));
        let mut client = Self { ws, conn, docs: BTreeMap::new() };
        client.send(vec![join]).await;
        client.until(|_, e| matches!(e, Event::Connected(_))).await;
        client
    }

    async fn send(&mut self, frames: Vec<Vec<u8>>) {
        for f in frames {
            self.ws.send(Ws::Binary(f.into())).await.unwrap();
        }
    }

    /// Processes frames until an event satisfies `done`, within the deadline.
    async fn until(&mut self, mut done: impl FnMut(&Self, &Event) -> bool) -> Event {
        let deadline = tokio::time::Instant::now() + DEADLINE;
        loop {
            let msg = tokio::time::timeout_at(deadline, self.ws.next()).await.expect("expected event within the deadline");
            let Some(Ok(Ws::Binary(frame))) = msg else {
                match msg {
                    Some(Ok(_)) => continue,
                    other => panic!("connection ended: {other:?}"),
                }
            };
            let (out, events) = self.conn.receive(&frame, &mut self.docs).expect("valid frame from relay");
            self.send(out).await;
            if let Some(e) = events.into_iter().find(|e| done(self, e)) {
                return e;
            }
        }
    }

    /// Sends local changes and keeps answering until the relay has all of them.
    async fn publish(&mut self, id: DocumentId) {
        let frames = self.conn.sync_document(id, self.docs.get_mut(&id).unwrap());
        self.send(frames).await;
        self.settle(id).await;
    }

    async fn settle(&mut self, id: DocumentId) {
        let deadline = tokio::time::Instant::now() + DEADLINE;
        loop {
            let heads = self.docs.get_mut(&id).unwrap().get_heads();
            if self.conn.is_synced(&id, &heads) {
                return;
            }
            let msg = tokio::time::timeout_at(deadline, self.ws.next()).await.expect("relay acknowledges within the deadline");
            let Some(Ok(Ws::Binary(frame))) = msg else {
                match msg {
                    Some(Ok(_)) => continue,
                    other => panic!("connection ended: {other:?}"),
                }
            };
            let (out, _) = self.conn.receive(&frame, &mut self.docs).expect("valid frame from relay");
            self.send(out).await;
        }
    }

    async fn edit(&mut self, id: DocumentId, key: &str, value: &str) {
        let doc = self.docs.get_mut(&id).unwrap();
        doc.put(ROOT, key, value).unwrap();
        doc.commit();
        self.publish(id).await;
    }

    async fn fetch(&mut self, id: DocumentId) -> Event {
        let mut empty = AutoCommit::new();
        let frames = self.conn.request_document(id, &mut empty);
        self.send(frames).await;
        self.until(|_, e| matches!(e, Event::DocumentChanged(d) | Event::Unavailable(d) if *d == id)).await
    }

    fn value(&self, id: DocumentId, key: &str) -> Option<String> {
        self.docs.get(&id)?.get(ROOT, key).ok()??.0.into_string().ok()
    }

    /// Waits until the document holds `key = value`.
    async fn wait_for_value(&mut self, id: DocumentId, key: &str, value: &str) {
        if self.value(id, key).as_deref() == Some(value) {
            return;
        }
        let (k, v) = (key.to_owned(), value.to_owned());
        self.until(move |c, e| matches!(e, Event::DocumentChanged(d) if *d == id) && c.value(id, &k).as_deref() == Some(v.as_str())).await;
    }
}

fn new_doc(seed: u8) -> DocumentId {
    DocumentId::from_bytes([seed; 16])
}

/// A first publish is acknowledged once the relay answers with its own sync message.
async fn publish_new(client: &mut Client, id: DocumentId, title: &str) {
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "title", title).unwrap();
    doc.commit();
    client.docs.insert(id, doc);
    client.publish(id).await;
}

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
    assert_eq!(carol.fetch(new_doc(9)).await, Event::Unavailable(new_doc(9)));
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversize_and_garbage_frames_drop_only_their_connection() {
    let root = temp("bad");
    let relay = RunningRelay::start(&root, |c| c.max_frame_bytes = 64 * 1024).await;
    let id = new_doc(3);
    let mut alice = Client::connect(relay.addr, "alice").await;
    publish_new(&mut alice, id, "steady").await;

    let mut big = Client::connect(relay.addr, "big").await;
    big.ws.send(Ws::Binary(vec![0u8; 200 * 1024].into())).await.ok();
    let closed = tokio::time::timeout(DEADLINE, async {
        loop {
            match big.ws.next().await {
                None | Some(Err(_)) | Some(Ok(Ws::Close(_))) => break,
                Some(Ok(_)) => {}
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "an oversize frame closes that connection");

    let (mut garbage, _) = tokio_tungstenite::connect_async(format!("ws://{}/sync", relay.addr)).await.unwrap();
    garbage.send(Ws::Binary(b"\xff\x00 not cbor at all".to_vec().into())).await.unwrap();
    let closed = tokio::time::timeout(DEADLINE, async {
        loop {
            match garbage.next().await {
                None | Some(Err(_)) | Some(Ok(Ws::Close(_))) => break,
                Some(Ok(_)) => {}
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "a garbage frame closes that connection");

    // Everyone else carries on.
    let mut bob = Client::connect(relay.addr, "bob").await;
    assert_eq!(bob.fetch(id).await, Event::DocumentChanged(id));
    alice.edit(id, "after", "still syncing").await;
    bob.wait_for_value(id, "after", "still syncing").await;
    relay.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_limit_are_refused() {
    let root = temp("limit");
    let relay = RunningRelay::start(&root, |c| c.max_connections = 1).await;
    let _first = Client::connect(relay.addr, "first").await;
    let err = tokio_tungstenite::connect_async(format!("ws://{}/sync", relay.addr)).await.expect_err("second connection refused");
    assert!(err.to_string().contains("503"), "{err}");
    relay.stop().await;
}

