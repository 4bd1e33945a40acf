//! `/sealed`: private workspaces. The relay keeps each one's sealed log (`moot_trust::Log`) in
//! memory while someone is connected and in an append-only file under `--data/sealed`, checks
//! every statement's and envelope's signature and its writer's level, and serves newcomers
//! and reconnects from what it holds. It cannot read a word: it knows a workspace by its
//! discovery id, and sees sizes, timing and device keys.
//!
//! A connection names one workspace in its first frame (a `Hello`, within the handshake
//! deadline). What it sends is written and fsynced before the relay acknowledges it or hands
//! it to the other connections of that workspace.

use std::{
    collections::HashMap,
    path::PathBuf,
    sync::{Arc, atomic::Ordering},
};

use axum::{
    extract::{State, WebSocketUpgrade, ws::Message as WsMessage},
    response::Response,
};
use moot_trust::{Exchange, Log, Message, Record, Relay};
use tokio::io::AsyncWriteExt;

use crate::AppState;

/// The first frame must arrive within this long of the upgrade.
const HANDSHAKE_DEADLINE: std::time::Duration = std::time::Duration::from_secs(10);

pub(crate) struct SealedState {
    dir: PathBuf,
    /// Workspaces someone is connected to.
    open: tokio::sync::Mutex<HashMap<[u8; 16], Arc<Workspace>>>,
    /// The most envelope and snapshot bytes one workspace may hold.
    max_bytes: usize,
    /// Set when the relay stops: connections end.
    stop: tokio::sync::watch::Sender<bool>,
}

struct Workspace {
    discovery: [u8; 16],
    inner: tokio::sync::Mutex<Inner>,
    /// Bumped after each change to the log, so other connections push what is new.
    changed: tokio::sync::watch::Sender<u64>,
    connections: std::sync::atomic::AtomicUsize,
}

struct Inner {
    log: Log,
    path: PathBuf,
    /// Opened on the first write: a hello for an id nobody stored leaves no file behind.
    file: Option<tokio::fs::File>,
    /// A write failed: the workspace takes nothing more until the relay restarts.
    broken: bool,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl SealedState {
    pub(crate) async fn new(data: &std::path::Path, max_bytes: usize) -> std::io::Result<Self> {
        let dir = data.join("sealed");
        tokio::fs::create_dir_all(&dir).await?;
        Ok(Self {
            dir,
            open: Default::default(),
            max_bytes,
            stop: tokio::sync::watch::channel(false).0,
        })
    }

    pub(crate) fn stop(&self) {
        let _ = self.stop.send(true);
    }

    pub(crate) async fn open_count(&self) -> usize {
        self.open.lock().await.len()
    }

    fn path(&self, discovery: &[u8; 16]) -> PathBuf {
        self.dir.join(hex(discovery))
    }

    /// Whether the relay has ever stored this workspace.
    async fn stored(&self, discovery: &[u8; 16]) -> bool {
        tokio::fs::try_exists(self.path(discovery))
            .await
            .unwrap_or(false)
    }

    /// The open workspace, loading it from its file (a torn record at the end, from a crash
    /// mid-append, is cut off).
    async fn workspace(&self, discovery: [u8; 16]) -> std::io::Result<Arc<Workspace>> {
        let mut open = self.open.lock().await;
        if let Some(w) = open.get(&discovery) {
            return Ok(w.clone());
        }
        let path = self.path(&discovery);
        let bytes = match tokio::fs::read(&path).await {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(e),
        };
        let (records, good) = Record::decode_all(&bytes, moot_sync::MAX_FRAME);
        let mut log = Log::new(discovery);
        log.replay(records);
        // Superseded snapshots (and anything else the log no longer holds) are dropped by
        // writing what it holds to a new file that replaces the old one whole.
        let held: Vec<u8> = log.records().iter().flat_map(Record::encode).collect();
        if !bytes.is_empty() && held.len() < good {
            compact(&path, &held).await?;
            tracing::info!(from = good, to = held.len(), "compacted a sealed log");
        }
        let bytes = if held.len() < good { held } else { bytes };
        let good = good.min(bytes.len());
        let mut file = None;
        if !bytes.is_empty() {
            let f = tokio::fs::OpenOptions::new()
                .append(true)
                .open(&path)
                .await?;
            if good < bytes.len() {
                tracing::warn!(
                    cut = bytes.len() - good,
                    "cutting a torn record off a sealed log"
                );
                f.set_len(good as u64).await?;
                f.sync_all().await?;
            }
            file = Some(f);
        }
        let w = Arc::new(Workspace {
            discovery,
            inner: tokio::sync::Mutex::new(Inner {
                log,
                path,
                file,
                broken: false,
            }),
            changed: tokio::sync::watch::channel(0).0,
            connections: Default::default(),
        });
        open.insert(discovery, w.clone());
        Ok(w)
    }

    async fn leave(&self, w: &Arc<Workspace>) {
        let mut open = self.open.lock().await;
        if w.connections.fetch_sub(1, Ordering::SeqCst) == 1 {
            open.remove(&w.discovery);
        }
    }
}

/// Replaces the file at `path` with `bytes`, atomically: a temporary file, fsynced, renamed
/// over it, the directory fsynced.
async fn compact(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    let temp = path.with_extension("compacting");
    {
        let mut f = tokio::fs::File::create(&temp).await?;
        f.write_all(bytes).await?;
        f.sync_all().await?;
    }
    tokio::fs::rename(&temp, path).await?;
    if let Some(dir) = path.parent() {
        tokio::fs::File::open(dir).await?.sync_all().await?;
    }
    Ok(())
}

impl Inner {
    /// Under an admin's snapshot, drops the envelopes it covers, in memory and on disk: the
    /// file is replaced whole by what the log still holds.
    async fn compact(&mut self) -> std::io::Result<()> {
        let dropped = self.log.compact();
        if dropped == 0 {
            return Ok(());
        }
        let held: Vec<u8> = self.log.records().iter().flat_map(Record::encode).collect();
        // The append handle names the old file: close it before the rename replaces it.
        self.file = None;
        compact(&self.path, &held).await?;
        self.file = Some(
            tokio::fs::OpenOptions::new()
                .append(true)
                .open(&self.path)
                .await?,
        );
        tracing::info!(
            dropped,
            to = held.len(),
            "compacted a sealed log under a snapshot"
        );
        Ok(())
    }

    /// Writes what the log took since the last call and fsyncs it.
    async fn persist(&mut self) -> std::io::Result<()> {
        let journal = self.log.take_journal();
        if journal.is_empty() {
            return Ok(());
        }
        let mut bytes = Vec::new();
        for r in &journal {
            bytes.extend(r.encode());
        }
        if self.file.is_none() {
            let f = tokio::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)
                .await?;
            // The new file's directory entry must survive a crash too.
            if let Some(dir) = self.path.parent() {
                tokio::fs::File::open(dir).await?.sync_all().await?;
            }
            self.file = Some(f);
        }
        let file = self.file.as_mut().expect("opened above");
        file.write_all(&bytes).await?;
        file.sync_data().await
    }
}

pub(crate) async fn upgrade(
    State(state): State<Arc<AppState>>,
    axum::Extension(crate::PeerAddr(peer)): axum::Extension<crate::PeerAddr>,
    headers: axum::http::HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    let slot = match crate::sync::admit(&state, peer, &headers, "/sealed") {
        Ok(slot) => slot,
        Err(refused) => return refused,
    };
    let sync = &state.sync;
    let max = sync.max_frame_bytes;
    ws.max_message_size(max)
        .max_frame_size(max)
        .on_upgrade(move |socket| async move {
            let state = slot.0.clone();
            if let Err(why) = serve(socket, &state, peer).await {
                tracing::info!(%why, "sealed connection closed");
            }
            drop(slot);
        })
}

/// Why a connection ended early.
#[derive(Debug, thiserror::Error)]
enum End {
    #[error("{0}")]
    Protocol(String),
    #[error("no message in time")]
    Idle,
    #[error("the peer does not read")]
    Stuck,
    #[error("storage failed: {0}")]
    Storage(#[from] std::io::Error),
}

async fn send(
    socket: &mut axum::extract::ws::WebSocket,
    messages: Vec<Message>,
    limit: std::time::Duration,
) -> Result<(), End> {
    for m in messages {
        let frame = WsMessage::Binary(m.encode().into());
        match tokio::time::timeout(limit, socket.send(frame)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(End::Protocol(e.to_string())),
            Err(_) => return Err(End::Stuck),
        }
    }
    Ok(())
}

/// The next binary frame, or why there is none.
async fn next_frame(
    socket: &mut axum::extract::ws::WebSocket,
    deadline: tokio::time::Instant,
) -> Result<Option<axum::body::Bytes>, End> {
    use futures::StreamExt;
    loop {
        match tokio::time::timeout_at(deadline, socket.next()).await {
            Err(_) => return Err(End::Idle),
            Ok(None) | Ok(Some(Ok(WsMessage::Close(_)))) => return Ok(None),
            Ok(Some(Ok(WsMessage::Binary(b)))) => return Ok(Some(b)),
            Ok(Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_)))) => continue,
            Ok(Some(Ok(WsMessage::Text(_)))) => {
                return Err(End::Protocol(
                    "text frames are not part of the protocol".into(),
                ));
            }
            Ok(Some(Err(e))) => return Err(End::Protocol(e.to_string())),
        }
    }
}

async fn serve(
    mut socket: axum::extract::ws::WebSocket,
    state: &Arc<AppState>,
    peer: std::net::IpAddr,
) -> Result<(), End> {
    let sync = &state.sync;
    let sealed = &state.sealed;
    let (idle, send_timeout) = (sync.idle_timeout, sync.send_timeout);
    let max = sync.max_frame_bytes;
    let offend = |why: String| {
        sync.penalties.offend(peer, std::time::Instant::now());
        End::Protocol(why)
    };
    // The hello names the workspace.
    let first = tokio::time::Instant::now() + HANDSHAKE_DEADLINE.min(idle);
    let Some(frame) = next_frame(&mut socket, first).await? else {
        return Ok(());
    };
    let hello = Message::decode(&frame, max).map_err(|e| offend(format!("bad frame: {e}")))?;
    let Message::Hello { discovery, .. } = &hello else {
        return Err(offend("the first message must be a hello".into()));
    };
    let discovery = *discovery;
    if !sealed.stored(&discovery).await
        && !sync.new_documents.allow(peer, std::time::Instant::now())
    {
        let refused = Message::Refused {
            reason: "too many new workspaces from this address; try again later".into(),
        };
        send(&mut socket, vec![refused], send_timeout).await?;
        return Ok(());
    }
    let workspace = sealed.workspace(discovery).await?;
    workspace.connections.fetch_add(1, Ordering::SeqCst);
    let limits = Limits {
        idle,
        send_timeout,
        max,
        peer,
    };
    let result = exchange(&mut socket, state, &workspace, hello, limits).await;
    sealed.leave(&workspace).await;
    if let Err(End::Protocol(why)) = &result {
        tracing::info!(%why, %peer, "closing a sealed connection");
    }
    result
}

struct Limits {
    idle: std::time::Duration,
    send_timeout: std::time::Duration,
    max: usize,
    peer: std::net::IpAddr,
}

async fn exchange(
    socket: &mut axum::extract::ws::WebSocket,
    state: &Arc<AppState>,
    workspace: &Arc<Workspace>,
    hello: Message,
    limits: Limits,
) -> Result<(), End> {
    let Limits {
        idle,
        send_timeout,
        max,
        peer,
    } = limits;
    let mut ex = Exchange::new();
    let mut changed = workspace.changed.subscribe();
    let mut stop = state.sealed.stop.subscribe();
    let mut pending = Some(hello);
    let mut deadline = tokio::time::Instant::now() + idle;
    loop {
        let message = match pending.take() {
            Some(m) => Some(m),
            None => tokio::select! {
                frame = next_frame(socket, deadline) => {
                    let Some(frame) = frame? else { return Ok(()) };
                    deadline = tokio::time::Instant::now() + idle;
                    match Message::decode(&frame, max) {
                        Ok(m) => Some(m),
                        Err(e) => {
                            state.sync.penalties.offend(peer, std::time::Instant::now());
                            return Err(End::Protocol(format!("bad frame: {e}")));
                        }
                    }
                }
                _ = changed.changed() => None,
                _ = stop.wait_for(|s| *s) => return Ok(()),
            },
        };
        let send_now = {
            let mut inner = workspace.inner.lock().await;
            let Some(message) = message else {
                // Another connection changed the log: push what this one lacks.
                let push = ex.push(&inner.log);
                drop(inner);
                send(socket, push, send_timeout).await?;
                continue;
            };
            if inner.broken {
                vec![Message::Refused {
                    reason: "this relay cannot store right now".into(),
                }]
            } else if matches!(message, Message::Envelopes(_) | Message::Snapshot(_))
                && inner.log.bytes() >= state.sealed.max_bytes
            {
                vec![Message::Refused {
                    reason: "this workspace is full on this relay".into(),
                }]
            } else {
                let out = ex.receive(&mut inner.log, message, &mut Relay);
                let mut stored = inner.persist().await;
                if out.snapshot && stored.is_ok() {
                    stored = inner.compact().await;
                }
                if let Err(e) = stored {
                    tracing::error!(%e, "cannot store a sealed log");
                    inner.broken = true;
                    return Err(End::Storage(e));
                }
                if !out.taken.is_empty() || out.statements > 0 || out.snapshot {
                    workspace.changed.send_modify(|n| *n += 1);
                }
                out.send
            }
        };
        send(socket, send_now, send_timeout).await?;
    }
}
