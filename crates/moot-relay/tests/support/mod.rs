//! Shared by the relay's integration tests: a relay on 127.0.0.1:0 and a native moot-sync
//! client over a real WebSocket.
#![allow(dead_code)] // each test file uses a different part

use std::{
    collections::BTreeMap,
    net::SocketAddr,
    path::{Path, PathBuf},
    time::Duration,
};

use automerge::{AutoCommit, ROOT, ReadDoc, transaction::Transactable};
use futures::{SinkExt, StreamExt};
use moot_relay::{Config, Relay};
use moot_sync::{Connection, DocumentId, Event, PeerMetadata};
use tokio::{net::TcpStream, sync::oneshot};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, tungstenite::Message as Ws};

pub const DEADLINE: Duration = Duration::from_secs(20);

pub struct RunningRelay {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), moot_relay::Error>>,
}

impl RunningRelay {
    pub async fn start(root: &Path, tweak: impl FnOnce(&mut Config)) -> Self {
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
        Self {
            addr,
            stop: Some(stop),
            task,
        }
    }

    /// Graceful stop: waits until storage is flushed.
    pub async fn stop(mut self) {
        self.stop.take().unwrap().send(()).unwrap();
        tokio::time::timeout(DEADLINE, self.task)
            .await
            .expect("relay stops in time")
            .unwrap()
            .unwrap();
    }

    pub async fn metrics(&self) -> String {
        self.get("/metrics").await
    }

    /// The whole HTTP response (status line, headers, body) to `GET path`.
    pub async fn get(&self, path: &str) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut s = TcpStream::connect(self.addr).await.unwrap();
        s.write_all(
            format!(
                "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
                self.addr
            )
            .as_bytes(),
        )
        .await
        .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).await.unwrap();
        out
    }

    /// Polls `GET path` until `done` holds for the response, within the deadline.
    pub async fn wait_for(&self, path: &str, what: &str, done: impl Fn(&str) -> bool) -> String {
        wait_for_get(self.addr, path, what, done).await
    }
}

pub fn temp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("moot-sync-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub struct Client {
    pub ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    pub conn: Connection,
    pub docs: BTreeMap<DocumentId, AutoCommit>,
}

impl Client {
    pub async fn connect(addr: SocketAddr, name: &str) -> Self {
        Self::connect_from(BYSTANDER, addr, name).await
    }

    /// [`Self::connect`] from loopback address `from` (an attacker uses [`ATTACKER`]: the
    /// relay pauses an address that broke the protocol, as a different host it would be).
    pub async fn connect_from(from: [u8; 4], addr: SocketAddr, name: &str) -> Self {
        let ws = socket_from(from, addr).await.expect("websocket connects");
        let metadata = PeerMetadata {
            storage_id: Some(format!("storage-{name}")),
            is_ephemeral: Some(false),
        };
        let (conn, join) = Connection::dial(name, metadata, &format!("session-{name}"));
        let mut client = Self {
            ws,
            conn,
            docs: BTreeMap::new(),
        };
        client.send(vec![join]).await;
        client.until(|_, e| matches!(e, Event::Connected(_))).await;
        client
    }

    pub async fn send(&mut self, frames: Vec<Vec<u8>>) {
        for f in frames {
            self.ws.send(Ws::Binary(f.into())).await.unwrap();
        }
    }

    /// Processes frames until an event satisfies `done`, within the deadline.
    pub async fn until(&mut self, mut done: impl FnMut(&Self, &Event) -> bool) -> Event {
        let deadline = tokio::time::Instant::now() + DEADLINE;
        loop {
            let msg = tokio::time::timeout_at(deadline, self.ws.next())
                .await
                .expect("expected event within the deadline");
            let Some(Ok(Ws::Binary(frame))) = msg else {
                match msg {
                    Some(Ok(_)) => continue,
                    other => panic!("connection ended: {other:?}"),
                }
            };
            let (out, events) = self
                .conn
                .receive(&frame, &mut self.docs)
                .expect("valid frame from relay");
            self.send(out).await;
            if let Some(e) = events.into_iter().find(|e| done(self, e)) {
                return e;
            }
        }
    }

    /// Sends local changes and keeps answering until the relay has all of them.
    pub async fn publish(&mut self, id: DocumentId) {
        let frames = self.conn.sync_document(id, self.docs.get_mut(&id).unwrap());
        self.send(frames).await;
        self.settle(id).await;
    }

    pub async fn settle(&mut self, id: DocumentId) {
        let deadline = tokio::time::Instant::now() + DEADLINE;
        loop {
            let heads = self.docs.get_mut(&id).unwrap().get_heads();
            if self.conn.is_synced(&id, &heads) {
                return;
            }
            let msg = tokio::time::timeout_at(deadline, self.ws.next())
                .await
                .expect("relay acknowledges within the deadline");
            let Some(Ok(Ws::Binary(frame))) = msg else {
                match msg {
                    Some(Ok(_)) => continue,
                    other => panic!("connection ended: {other:?}"),
                }
            };
            let (out, _) = self
                .conn
                .receive(&frame, &mut self.docs)
                .expect("valid frame from relay");
            self.send(out).await;
        }
    }

    /// Makes an edit and sends it, without waiting for the relay to acknowledge it.
    pub async fn send_edit(&mut self, id: DocumentId, key: &str, value: &str) {
        let doc = self.docs.get_mut(&id).unwrap();
        doc.put(ROOT, key, value).unwrap();
        doc.commit();
        let frames = self.conn.sync_document(id, doc);
        self.send(frames).await;
    }

    pub async fn edit(&mut self, id: DocumentId, key: &str, value: &str) {
        let doc = self.docs.get_mut(&id).unwrap();
        doc.put(ROOT, key, value).unwrap();
        doc.commit();
        self.publish(id).await;
    }

    pub async fn fetch(&mut self, id: DocumentId) -> Event {
        let mut empty = AutoCommit::new();
        let frames = self.conn.request_document(id, &mut empty);
        self.send(frames).await;
        self.until(
            |_, e| matches!(e, Event::DocumentChanged(d) | Event::Unavailable(d) if *d == id),
        )
        .await
    }

    pub fn value(&self, id: DocumentId, key: &str) -> Option<String> {
        self.docs
            .get(&id)?
            .get(ROOT, key)
            .ok()??
            .0
            .into_string()
            .ok()
    }

    /// Waits until the document holds `key = value`.
    pub async fn wait_for_value(&mut self, id: DocumentId, key: &str, value: &str) {
        if self.value(id, key).as_deref() == Some(value) {
            return;
        }
        let (k, v) = (key.to_owned(), value.to_owned());
        self.until(move |c, e| {
            matches!(e, Event::DocumentChanged(d) if *d == id)
                && c.value(id, &k).as_deref() == Some(v.as_str())
        })
        .await;
    }
}

pub fn new_doc(seed: u8) -> DocumentId {
    DocumentId::from_bytes([seed; 16])
}

/// A first publish is acknowledged once the relay answers with its own sync message.
pub async fn publish_new(client: &mut Client, id: DocumentId, title: &str) {
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "title", title).unwrap();
    doc.commit();
    client.docs.insert(id, doc);
    client.publish(id).await;
}

/// Where honest test clients connect from.
pub const BYSTANDER: [u8; 4] = [127, 0, 0, 1];
/// Where hostile test clients connect from (another host, as far as the relay can tell).
pub const ATTACKER: [u8; 4] = [127, 0, 0, 3];

/// A WebSocket to `/sync` from loopback address `from`.
pub async fn socket_from(
    from: [u8; 4],
    addr: SocketAddr,
) -> Result<WebSocketStream<MaybeTlsStream<TcpStream>>, tokio_tungstenite::tungstenite::Error> {
    socket_at(from, addr, "/sync").await
}

/// A WebSocket to `path` from loopback address `from`.
pub async fn socket_at(
    from: [u8; 4],
    addr: SocketAddr,
    path: &str,
) -> Result<WebSocketStream<MaybeTlsStream<TcpStream>>, tokio_tungstenite::tungstenite::Error> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from((from, 0)))?;
    let tcp = socket.connect(addr).await?;
    let (ws, _) =
        tokio_tungstenite::client_async(format!("ws://{addr}{path}"), MaybeTlsStream::Plain(tcp))
            .await?;
    Ok(ws)
}

/// A bare WebSocket to the relay's `/sync` from [`ATTACKER`], that has said nothing yet.
pub async fn raw_socket(relay: &RunningRelay) -> WebSocketStream<MaybeTlsStream<TcpStream>> {
    socket_from(ATTACKER, relay.addr).await.unwrap()
}

/// Waits until the relay closes `ws`; fails the test after the deadline.
pub async fn closed<S>(ws: &mut S, what: &str)
where
    S: futures::Stream<Item = Result<Ws, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    let ended = tokio::time::timeout(DEADLINE, async {
        loop {
            match ws.next().await {
                None | Some(Err(_)) | Some(Ok(Ws::Close(_))) => break,
                Some(Ok(_)) => {}
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "{what}: the relay closes that connection");
}

/// After some connection was refused or dropped: a new client fetches `id`, and an edit by
/// `alice` (who published it) reaches it.
pub async fn everyone_else_carries_on(relay: &RunningRelay, alice: &mut Client, id: DocumentId) {
    let mut bob = Client::connect(relay.addr, "bob").await;
    assert_eq!(bob.fetch(id).await, Event::DocumentChanged(id));
    alice.edit(id, "after", "still syncing").await;
    bob.wait_for_value(id, "after", "still syncing").await;
}

pub fn interop_dir() -> PathBuf {
    let dir = std::env::var_os("MOOT_INTEROP_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/interop"));
    assert!(
        dir.join("node_modules/@automerge/automerge-repo").is_dir(),
        "the automerge-repo npm packages are not installed in {} — run the tests through `cargo xtask test`",
        dir.display()
    );
    dir
}

/// Runs a node script to completion within the deadline; returns its last stdout line.
pub async fn node(script: &str, args: &[&str]) -> String {
    let dir = interop_dir();
    let out = tokio::time::timeout(
        DEADLINE * 2,
        tokio::process::Command::new("node")
            .arg(dir.join(script))
            .args(args)
            .current_dir(&dir)
            .kill_on_drop(true)
            .output(),
    )
    .await
    .unwrap_or_else(|_| panic!("node {script} did not finish in time"))
    .expect("node runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "node {script} failed: {}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout.lines().last().unwrap_or_default().to_owned()
}

/// The whole HTTP response to `GET path` at `addr`, or why there was none.
pub async fn http_get(addr: SocketAddr, path: &str) -> std::io::Result<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = TcpStream::connect(addr).await?;
    s.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await?;
    let mut out = String::new();
    s.read_to_string(&mut out).await?;
    Ok(out)
}

/// A relay as its own process (so that it can be killed with SIGKILL).
pub struct RelayProcess {
    pub addr: SocketAddr,
    pub child: tokio::process::Child,
}

impl RelayProcess {
    /// Starts `moot-relay` on a free port with `--data root/data` and `flags`.
    pub async fn start(root: &std::path::Path, flags: &[&str]) -> Self {
        let dist = root.join("dist");
        std::fs::create_dir_all(&dist).unwrap();
        std::fs::write(dist.join("index.html"), "<!doctype html>").unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_moot-relay"))
            .args(["--listen", &addr.to_string()])
            .args(flags)
            .arg("--data")
            .arg(root.join("data"))
            .arg("--dist")
            .arg(&dist)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("moot-relay starts");
        let relay = Self { addr, child };
        relay.until_healthy().await;
        relay
    }

    /// SIGTERM, and waits for the relay to finish its writes and exit.
    pub async fn stop(mut self) {
        let pid = self.child.id().expect("relay still running");
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let status = tokio::time::timeout(DEADLINE, self.child.wait())
            .await
            .expect("relay stops in time")
            .unwrap();
        assert!(status.success(), "relay exits cleanly: {status}");
    }

    async fn until_healthy(&self) {
        self.wait_for("/healthz", "the relay process becomes healthy", |r| {
            r.starts_with("HTTP/1.1 200")
        })
        .await;
    }

    /// [`RunningRelay::wait_for`] for a relay process.
    pub async fn wait_for(&self, path: &str, what: &str, done: impl Fn(&str) -> bool) -> String {
        wait_for_get(self.addr, path, what, done).await
    }
}

/// Polls `GET path` at `addr` (no answer counts as an empty one) until `done` holds for the
/// response, within the deadline; the response.
pub async fn wait_for_get(
    addr: SocketAddr,
    path: &str,
    what: &str,
    done: impl Fn(&str) -> bool,
) -> String {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        let response = http_get(addr, path).await.unwrap_or_default();
        if done(&response) {
            return response;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what}: last {path} response was {response}"
        );
        tokio::task::yield_now().await;
    }
}

/// Waits until `check` passes (`Err` says what it saw), yielding between tries, within the
/// deadline.
pub async fn eventually(what: &str, mut check: impl FnMut() -> Result<(), String>) {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        let seen = match check() {
            Ok(()) => return,
            Err(seen) => seen,
        };
        assert!(tokio::time::Instant::now() < deadline, "{what}: {seen}");
        tokio::task::yield_now().await;
    }
}
