//! `/sync`: the automerge-repo WebSocket endpoint, served by samod with filesystem storage.
//!
//! The relay never announces documents: a peer gets a workspace only by asking for its id.
//! Limits: a maximum message size (a larger message closes that connection only), a maximum
//! number of connections (more are refused with 503 before the upgrade), and an idle timeout
//! (a connection that sends nothing for that long is closed; the app's presence messages keep
//! an open app well inside it).

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use axum::{
    extract::{State, WebSocketUpgrade},
    http::StatusCode,
    response::{IntoResponse, Response},
};

use crate::AppState;

pub(crate) struct SyncState {
    pub(crate) repo: samod::Repo,
    pub(crate) acceptor: samod::AcceptorHandle,
    pub(crate) storage: Arc<crate::storage::StorageHealth>,
    /// An empty document that only the relay holds: `/healthz` asks its actor to answer, so a
    /// stalled or dead document runner shows.
    probe: samod::DocHandle,
    /// A health probe still waiting on samod's repo lock (then the next one fails at once
    /// instead of stacking threads).
    probing: Arc<std::sync::atomic::AtomicBool>,
    pub(crate) open: AtomicUsize,
    pub(crate) max_connections: usize,
    pub(crate) max_frame_bytes: usize,
    pub(crate) idle_timeout: std::time::Duration,
    /// A send to a client that does not read for this long closes its connection.
    pub(crate) send_timeout: std::time::Duration,
    pub(crate) new_documents: crate::limits::NewDocuments,
    pub(crate) penalties: crate::limits::Penalties,
    /// Origins allowed besides the relay's own and loopback (`--allow-origin`).
    pub(crate) allow_origins: Vec<String>,
    /// Where documents are stored (to tell a new document from a stored one).
    pub(crate) store: Store,
    data: std::path::PathBuf,
    /// The last document count and when it was taken.
    counted: tokio::sync::Mutex<Option<(std::time::Instant, usize)>>,
}

/// Where the relay's documents are.
pub(crate) enum Store {
    /// automerge-repo's folder layout under `--data/documents`.
    Files(std::path::PathBuf),
    /// A PostgreSQL database shared with other relays (`--database-url`).
    Postgres(crate::postgres::PgStorage),
    /// Nothing stored (`--in-memory`): every document counts as new, none is counted.
    Memory,
}

impl Store {
    /// Whether `id` is stored (by this relay or, on PostgreSQL, any relay). A client asked for
    /// it, so on PostgreSQL what other relays store for it is followed from now on. When the
    /// database does not answer, the document counts as stored (the client is not charged
    /// for the relay's trouble).
    async fn stored(&self, id: &str) -> bool {
        match self {
            Store::Files(documents) => {
                let log = crate::log_storage::log_path(documents, id);
                let folder = documents.join(crate::storage::relative_path(id));
                tokio::fs::try_exists(log).await.unwrap_or(false)
                    || tokio::fs::try_exists(folder).await.unwrap_or(false)
            }
            Store::Postgres(pg) => {
                pg.serve(id);
                pg.exists(id).await.unwrap_or(true)
            }
            Store::Memory => false,
        }
    }
}

/// The window of `--max-new-documents-per-address`.
const NEW_DOCUMENT_WINDOW: std::time::Duration = std::time::Duration::from_secs(3600);
/// Ephemeral session ids one connection may use (an app uses one); each is kept by samod.
const MAX_SESSIONS_PER_CONNECTION: usize = 4;

/// A connection that sends nothing for this long is closed.
#[derive(Debug, thiserror::Error)]
#[error("no message for {0:?}: closing an idle connection")]
struct Idle(std::time::Duration);

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct WsError(String);

/// The first binary frame (`join`) must arrive within this long of the upgrade.
const HANDSHAKE_DEADLINE: std::time::Duration = std::time::Duration::from_secs(10);
/// The socket read buffer of a `/sync` connection (grown while a larger frame arrives).
const READ_BUFFER: usize = 4 * 1024;
/// Documents one connection may name at all (stored ones included).
const MAX_DOCUMENTS_PER_CONNECTION: usize = 4096;

/// Ephemeral bytes a connection may send per second, on average (presence is ~100 bytes every
/// 4 s, a direct-link offer a few KB); bursts up to [`EPHEMERAL_BURST`]. samod forwards each
/// one to every peer of the document, so a faster sender is closed.
const EPHEMERAL_BYTES_PER_SEC: f64 = 64.0 * 1024.0;
const EPHEMERAL_BURST: f64 = 512.0 * 1024.0;

/// What one connection has used of its limits.
struct Usage {
    documents: std::collections::HashSet<String>,
    new_documents: usize,
    sessions: std::collections::HashSet<String>,
    /// Token bucket of ephemeral bytes, and when it was last filled.
    ephemeral_budget: f64,
    filled: std::time::Instant,
    /// The peer id the connection joined as: every later frame speaks as it.
    peer_id: Option<String>,
}

impl Default for Usage {
    fn default() -> Self {
        Self {
            documents: Default::default(),
            new_documents: 0,
            sessions: Default::default(),
            ephemeral_budget: EPHEMERAL_BURST,
            filled: std::time::Instant::now(),
            peer_id: None,
        }
    }
}

impl Usage {
    /// Refuses a frame that takes more than this connection or its address may: documents the
    /// relay does not have yet (each one a document actor and files), ephemeral session ids.
    async fn admit(
        &mut self,
        sync: &SyncState,
        peer: std::net::IpAddr,
        envelope: moot_sync::Envelope<'_>,
        frame_len: usize,
    ) -> Result<(), String> {
        // samod passes on the `senderId` a frame names: other peers count offers and
        // presence by it, so a connection may not speak as anyone else (audit A4).
        match (envelope.kind, envelope.sender_id, &self.peer_id) {
            (Some("join"), Some(id), None) => self.peer_id = Some(id.to_owned()),
            (_, Some(id), Some(joined)) if id != joined => {
                return Err("a frame under another peer's senderId".into());
            }
            _ => {}
        }
        if envelope.kind == Some("ephemeral") {
            let now = std::time::Instant::now();
            let refill = now.duration_since(self.filled).as_secs_f64() * EPHEMERAL_BYTES_PER_SEC;
            self.filled = now;
            self.ephemeral_budget =
                (self.ephemeral_budget + refill).min(EPHEMERAL_BURST) - frame_len as f64;
            if self.ephemeral_budget < 0.0 {
                return Err("ephemeral messages faster than the relay forwards".into());
            }
        }
        if let (Some("ephemeral"), Some(session)) = (envelope.kind, envelope.session_id)
            && !self.sessions.contains(session)
        {
            if self.sessions.len() >= MAX_SESSIONS_PER_CONNECTION {
                return Err("too many ephemeral sessions on one connection".into());
            }
            self.sessions.insert(session.to_owned());
        }
        let Some(id) = envelope.document_id else {
            return Ok(());
        };
        if self.documents.contains(id) {
            return Ok(());
        }
        if self.documents.len() >= MAX_DOCUMENTS_PER_CONNECTION {
            return Err("too many documents on one connection".into());
        }
        self.documents.insert(id.to_owned());
        if sync.store.stored(id).await {
            return Ok(());
        }
        self.new_documents += 1;
        if self.new_documents > sync.new_documents.per_connection {
            return Err("too many new documents on one connection".into());
        }
        if !sync.new_documents.allow(peer, std::time::Instant::now()) {
            return Err("too many new documents from this address; try again later".into());
        }
        Ok(())
    }
}

/// The automerge-repo transport over an axum WebSocket. What arrives is checked
/// ([`moot_sync::read_envelope`]: one CBOR map, ids of bounded length, sync data that does not
/// inflate past its limit) before samod reads it (samod base58-decodes `documentId`,
/// quadratically, under its repo-wide lock), and against the connection's and its address's
/// limits ([`Usage`]). A connection closes when no binary frame arrived for `idle` (pings do
/// not count: a socket that only pings would hold its slot forever), when the first frame
/// does not come within [`HANDSHAKE_DEADLINE`], or when a send to it is stuck for
/// `--send-timeout-secs` (a client that does not read).
fn transport(
    socket: axum::extract::ws::WebSocket,
    state: Arc<AppState>,
    peer: std::net::IpAddr,
) -> samod::Transport {
    use axum::extract::ws::Message;
    use futures::{SinkExt, StreamExt};
    use tokio::time::Instant;
    let (idle, send_timeout) = (state.sync.idle_timeout, state.sync.send_timeout);
    let (sink, stream) = socket.split();
    let first = Instant::now() + HANDSHAKE_DEADLINE.min(idle);
    // Set when the writer gives up (a peer that does not read): the reading side then ends the
    // connection at once, instead of when samod next has something to send.
    let (writer_gone, gone) = tokio::sync::watch::channel(false);
    let frames = futures::stream::unfold(
        (stream, first, Usage::default()),
        move |(mut stream, deadline, mut usage)| {
            let state = state.clone();
            let mut gone = gone.clone();
            async move {
                loop {
                    let refuse = |why: String| Some(Err(WsError(why)));
                    let next = tokio::select! {
                        next = tokio::time::timeout_at(deadline, stream.next()) => next,
                        _ = gone.wait_for(|gone| *gone) => {
                            return Some((
                                Err(WsError("the peer does not read".into())),
                                (stream, deadline, usage),
                            ));
                        }
                    };
                    let item = match next {
                        Err(_) => {
                            tracing::info!(
                                ?idle,
                                "closing a sync connection that sent no message in time"
                            );
                            refuse(Idle(idle).to_string())
                        }
                        Ok(None) | Ok(Some(Ok(Message::Close(_)))) => None,
                        Ok(Some(Ok(Message::Binary(bytes)))) => {
                            let checked = match moot_sync::read_envelope(&bytes) {
                                Ok(envelope) => {
                                    match usage
                                        .admit(&state.sync, peer, envelope, bytes.len())
                                        .await
                                    {
                                        Ok(()) => check_data(&bytes, envelope).await,
                                        refused => refused,
                                    }
                                }
                                Err(why) => Err(format!("bad frame: {why}")),
                            };
                            let next = Instant::now() + idle;
                            return Some(match checked {
                                Ok(()) => (Ok(bytes.to_vec()), (stream, next, usage)),
                                Err(why) => {
                                    tracing::info!(%why, %peer, "closing a sync connection");
                                    state.sync.penalties.offend(peer, std::time::Instant::now());
                                    (Err(WsError(why)), (stream, next, usage))
                                }
                            });
                        }
                        Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
                        Ok(Some(Ok(Message::Text(_)))) => {
                            refuse("text frames are not part of the protocol".into())
                        }
                        Ok(Some(Err(e))) => refuse(e.to_string()),
                    };
                    return item.map(|item| (item, (stream, deadline, usage)));
                }
            }
        },
    );
    // samod's queue to a connection is unbounded and it forwards every ephemeral: frames go
    // into this connection's own queue instead, drained by a writer task; past
    // MAX_QUEUED_BYTES waiting (a peer that reads too slowly) the connection is dropped.
    let queued = Arc::new(AtomicUsize::new(0));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Vec<u8>>();
    let writing = queued.clone();
    tokio::spawn(async move {
        let mut sink = Deadline::new(sink.sink_map_err(|e| WsError(e.to_string())), send_timeout);
        while let Some(bytes) = rx.recv().await {
            let n = bytes.len();
            let sent = sink.send(Message::Binary(bytes.into())).await;
            writing.fetch_sub(n, Ordering::SeqCst);
            if sent.is_err() {
                break;
            }
        }
        rx.close();
        let _ = writer_gone.send(true);
        let _ = sink.close().await;
    });
    let sink = Queue {
        tx: Some(tx),
        queued,
    };
    samod::Transport::new(Box::pin(frames), Box::pin(sink))
}

/// The most bytes waiting to be sent to one connection.
const MAX_QUEUED_BYTES: usize = 16 * 1024 * 1024;

/// The sink samod sends a connection's frames into: never blocks, refuses past
/// [`MAX_QUEUED_BYTES`] waiting or once the writer has stopped.
struct Queue {
    tx: Option<tokio::sync::mpsc::UnboundedSender<Vec<u8>>>,
    queued: Arc<AtomicUsize>,
}

impl futures::Sink<Vec<u8>> for Queue {
    type Error = WsError;

    fn poll_ready(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), WsError>> {
        std::task::Poll::Ready(match &self.tx {
            Some(tx) if !tx.is_closed() => Ok(()),
            _ => Err(WsError("the connection's writer stopped".into())),
        })
    }

    fn start_send(mut self: std::pin::Pin<&mut Self>, frame: Vec<u8>) -> Result<(), WsError> {
        let waiting = self.queued.fetch_add(frame.len(), Ordering::SeqCst) + frame.len();
        if waiting > MAX_QUEUED_BYTES {
            tracing::info!(waiting, "closing a sync connection that reads too slowly");
            self.tx = None;
            return Err(WsError(format!(
                "the peer reads too slowly: {waiting} bytes waiting"
            )));
        }
        let tx = self.tx.as_ref().ok_or_else(|| WsError("closed".into()))?;
        tx.send(frame)
            .map_err(|_| WsError("the connection's writer stopped".into()))
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), WsError>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn poll_close(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), WsError>> {
        self.tx = None;
        std::task::Poll::Ready(Ok(()))
    }
}

/// Sync data larger than this is checked for inflation on the blocking pool, so a bomb costs
/// no async worker (inflating up to the limit takes a while).
const CHECK_INLINE_BYTES: usize = 64 * 1024;

async fn check_data(
    frame: &axum::body::Bytes,
    envelope: moot_sync::Envelope<'_>,
) -> Result<(), String> {
    let large = envelope
        .sync_data()
        .is_some_and(|d| d.len() > CHECK_INLINE_BYTES);
    let checked = if large {
        let frame = frame.clone();
        tokio::task::spawn_blocking(move || {
            moot_sync::read_envelope(&frame).and_then(|e| e.check_data())
        })
        .await
        .unwrap_or_else(|e| Err(moot_sync::DecodeError::Cbor(e.to_string())))
    } else {
        envelope.check_data()
    };
    checked.map_err(|why| format!("bad frame: {why}"))
}

/// A sink whose sends fail once the peer has not taken a message for `limit`.
struct Deadline<S> {
    inner: S,
    limit: std::time::Duration,
    stuck_since: Option<std::pin::Pin<Box<tokio::time::Sleep>>>,
}

impl<S> Deadline<S> {
    fn new(inner: S, limit: std::time::Duration) -> Self {
        Self {
            inner,
            limit,
            stuck_since: None,
        }
    }

    /// `Pending` from the inner sink starts (or continues) the clock; past the limit, an error.
    fn watch<T>(
        &mut self,
        cx: &mut std::task::Context<'_>,
        polled: std::task::Poll<Result<T, WsError>>,
    ) -> std::task::Poll<Result<T, WsError>> {
        use std::{future::Future, task::Poll};
        match polled {
            Poll::Ready(result) => {
                self.stuck_since = None;
                Poll::Ready(result)
            }
            Poll::Pending => {
                let limit = self.limit;
                let timer = self
                    .stuck_since
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
                match timer.as_mut().poll(cx) {
                    Poll::Ready(()) => {
                        tracing::info!(?limit, "closing a sync connection that does not read");
                        Poll::Ready(Err(WsError(format!("the peer read nothing for {limit:?}"))))
                    }
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

impl<S, T> futures::Sink<T> for Deadline<S>
where
    S: futures::Sink<T, Error = WsError> + Unpin,
{
    type Error = WsError;

    fn poll_ready(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), WsError>> {
        let polled = std::pin::Pin::new(&mut self.inner).poll_ready(cx);
        self.watch(cx, polled)
    }

    fn start_send(mut self: std::pin::Pin<&mut Self>, item: T) -> Result<(), WsError> {
        std::pin::Pin::new(&mut self.inner).start_send(item)
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), WsError>> {
        let polled = std::pin::Pin::new(&mut self.inner).poll_flush(cx);
        self.watch(cx, polled)
    }

    fn poll_close(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), WsError>> {
        let polled = std::pin::Pin::new(&mut self.inner).poll_close(cx);
        self.watch(cx, polled)
    }
}

/// Whether a browser page from `origin` may open `/sync` on this relay (`host` is the
/// request's Host): the app's own origin, or a page on this machine (loopback). Clients that
/// are not browsers send no Origin and are not affected. Without this, any web page a person
/// visits could drive a relay on their machine (cross-site WebSocket).
pub(crate) fn origin_allowed(origin: Option<&str>, host: Option<&str>, also: &[String]) -> bool {
    let Some(origin) = origin else {
        return true;
    };
    if also
        .iter()
        .any(|allowed| allowed.trim_end_matches('/').eq_ignore_ascii_case(origin))
    {
        return true;
    }
    let Some(rest) = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
    else {
        return false;
    };
    if host.is_some_and(|h| h.eq_ignore_ascii_case(rest)) {
        return true;
    }
    let name = match rest.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => rest.split(':').next().unwrap_or(""),
    };
    name == "localhost" || name == "::1" || name.starts_with("127.")
}

pub(crate) async fn start(config: &crate::Config) -> Result<SyncState, crate::Error> {
    let data = config.data.as_path();
    let storage = Arc::new(crate::storage::StorageHealth::default());
    let temp = data.join("tmp");
    // Left by a crash mid-write: never renamed into place, so never part of a document.
    let _ = tokio::fs::remove_dir_all(&temp).await;
    let policy = samod::ShareConfig::read_write().with_announce(false);
    let (repo, store) = match &config.database_url {
        None if config.in_memory => {
            let repo = samod::Repo::build_tokio()
                .with_share_policy(policy)
                .load()
                .await;
            (repo, Store::Memory)
        }
        None => {
            let repo = samod::Repo::build_tokio()
                .with_storage(crate::log_storage::LogStorage::new(
                    data.join("documents"),
                    temp,
                    storage.clone(),
                ))
                .with_share_policy(policy)
                .load()
                .await;
            (repo, Store::Files(data.join("documents")))
        }
        Some(url) => {
            let pg = crate::postgres::PgStorage::open(url, storage.clone()).await?;
            let repo = samod::Repo::build_tokio()
                .with_storage(pg.clone())
                .with_share_policy(policy)
                .load()
                .await;
            pg.follow(repo.clone());
            (repo, Store::Postgres(pg))
        }
    };
    let url = samod::Url::parse("ws://moot-relay/sync").expect("static URL");
    let acceptor = repo
        .make_acceptor(url)
        .map_err(|_| crate::Error::SyncStopped)?;
    let probe = probe_document(&repo, data).await?;
    if let Store::Postgres(pg) = &store {
        pg.mark_probe(&probe.document_id().to_string())
            .await
            .map_err(|e| {
                crate::Error::Database(crate::postgres::PgError::Schema(crate::postgres::reason(
                    &e,
                )))
            })?;
    }
    Ok(SyncState {
        repo,
        acceptor,
        storage,
        probe,
        probing: Default::default(),
        open: AtomicUsize::new(0),
        max_connections: config.max_connections,
        max_frame_bytes: config.max_frame_bytes,
        idle_timeout: std::time::Duration::from_secs(config.idle_timeout_secs.max(1)),
        send_timeout: std::time::Duration::from_secs(config.send_timeout_secs.max(1)),
        new_documents: crate::limits::NewDocuments::new(
            config.max_new_documents_per_connection,
            config.max_new_documents_per_address,
            NEW_DOCUMENT_WINDOW,
        ),
        penalties: Default::default(),
        allow_origins: config.allow_origins.clone(),
        store,
        data: data.to_owned(),
        counted: Default::default(),
    })
}

/// Where the id of the relay's own probe document is kept (one per data folder, not one per
/// start).
const PROBE_ID_FILE: &str = "probe-id";

/// The empty document `/healthz` asks samod about: found again after a restart, created once.
async fn probe_document(
    repo: &samod::Repo,
    data: &std::path::Path,
) -> Result<samod::DocHandle, crate::Error> {
    let file = data.join(PROBE_ID_FILE);
    if let Ok(id) = tokio::fs::read_to_string(&file).await
        && let Ok(id) = id.trim().parse::<samod::DocumentId>()
        && let Ok(Some(handle)) = repo.find(id).await
    {
        return Ok(handle);
    }
    let handle = repo
        .create(automerge::Automerge::new())
        .await
        .map_err(|_| crate::Error::SyncStopped)?;
    tokio::fs::write(&file, handle.document_id().to_string())
        .await
        .map_err(|source| crate::Error::DataDir { path: file, source })?;
    Ok(handle)
}

/// The probe document's id, if this data folder has one (not counted as a document).
pub(crate) fn probe_id(data: &std::path::Path) -> Option<String> {
    std::fs::read_to_string(data.join(PROBE_ID_FILE))
        .ok()
        .map(|s| s.trim().to_owned())
}

/// `/metrics` walks the data folder at most this often (a request flood must not tie up the
/// blocking pool that storage shares).
const COUNT_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// How long `/healthz` waits for samod before calling sync stuck.
const PROBE_DEADLINE: std::time::Duration = std::time::Duration::from_secs(2);

impl SyncState {
    /// The number of stored documents, counted at most every [`COUNT_EVERY`]; one count at a
    /// time, the others get the last figure.
    pub(crate) async fn document_count(&self) -> usize {
        let mut counted = self.counted.lock().await;
        if let Some((at, n)) = *counted
            && at.elapsed() < COUNT_EVERY
        {
            return n;
        }
        let n = match &self.store {
            Store::Files(documents) => {
                let (documents, data) = (documents.clone(), self.data.clone());
                tokio::task::spawn_blocking(move || {
                    count_documents(&documents, probe_id(&data).as_deref())
                })
                .await
                .unwrap_or(0)
            }
            Store::Postgres(pg) => match pg.count().await {
                Some(n) => n,
                None => return counted.map_or(0, |(_, n)| n),
            },
            Store::Memory => 0,
        };
        *counted = Some((std::time::Instant::now(), n));
        n
    }

    /// Why sync is not healthy, if it is not: storage writes failing, samod's repo lock held
    /// (a frame stuck in its hub), or its document runner not answering.
    pub(crate) async fn trouble(&self) -> Option<String> {
        let failing = self.storage.failing.load(Ordering::SeqCst);
        if failing > 0 {
            return Some(format!(
                "storage failing: {failing} document write(s) waiting to be retried"
            ));
        }
        let reads = self.storage.reads_failing.load(Ordering::SeqCst);
        if reads > 0 {
            return Some(format!(
                "storage failing: {reads} document read(s) waiting for the database"
            ));
        }
        if self.probing.swap(true, Ordering::SeqCst) {
            return Some("sync stuck: samod's repo lock is still held".into());
        }
        let (repo, probing) = (self.repo.clone(), self.probing.clone());
        let locked = tokio::task::spawn_blocking(move || {
            let _ = repo.peer_id();
            probing.store(false, Ordering::SeqCst);
        });
        if tokio::time::timeout(PROBE_DEADLINE, locked).await.is_err() {
            return Some("sync stuck: samod's repo lock is held".into());
        }
        let answered = self.probe.with_document_async(|doc| doc.get_heads().len());
        match tokio::time::timeout(PROBE_DEADLINE, answered).await {
            Ok(Ok(_)) => None,
            Ok(Err(_)) => Some("sync stopped: the document runner is gone".into()),
            Err(_) => Some("sync stuck: documents do not answer".into()),
        }
    }
}

/// Decrements the open-connection count when a connection ends, however it ends.
pub(crate) struct Slot(pub(crate) Arc<AppState>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.sync.open.fetch_sub(1, Ordering::SeqCst);
    }
}

/// What every WebSocket endpoint checks before the upgrade: the page's origin, the address's
/// penalty, the connection limit. The slot is held while the connection lives.
pub(crate) fn admit(
    state: &Arc<AppState>,
    peer: std::net::IpAddr,
    headers: &axum::http::HeaderMap,
    endpoint: &str,
) -> Result<Slot, Response> {
    let sync = &state.sync;
    let header = |name| {
        headers
            .get(name)
            .and_then(|v: &axum::http::HeaderValue| v.to_str().ok())
    };
    let origin = header(axum::http::header::ORIGIN);
    if !origin_allowed(
        origin,
        header(axum::http::header::HOST),
        &sync.allow_origins,
    ) {
        tracing::warn!(
            ?origin,
            endpoint,
            "refusing a connection from another origin"
        );
        return Err((
            StatusCode::FORBIDDEN,
            "this relay does not accept pages from that origin\n",
        )
            .into_response());
    }
    if sync.penalties.waiting(peer, std::time::Instant::now()) {
        return Err((
            StatusCode::TOO_MANY_REQUESTS,
            "this address sent what the relay refused; try again later\n",
        )
            .into_response());
    }
    if sync.open.fetch_add(1, Ordering::SeqCst) >= sync.max_connections {
        sync.open.fetch_sub(1, Ordering::SeqCst);
        tracing::warn!(
            max = sync.max_connections,
            endpoint,
            "refusing a connection: too many connections"
        );
        return Err((
            StatusCode::SERVICE_UNAVAILABLE,
            "too many connections, try again later\n",
        )
            .into_response());
    }
    Ok(Slot(state.clone()))
}

pub(crate) async fn upgrade(
    State(state): State<Arc<AppState>>,
    axum::Extension(crate::PeerAddr(peer)): axum::Extension<crate::PeerAddr>,
    headers: axum::http::HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    let slot = match admit(&state, peer, &headers, "/sync") {
        Ok(slot) => slot,
        Err(refused) => return refused,
    };
    let sync = &state.sync;
    let max = sync.max_frame_bytes;
    // tungstenite reads into a 128 KiB buffer per connection by default: 10,000 quiet
    // connections held 1.4 GB. Frames are small; larger ones grow the buffer as they come.
    ws.max_message_size(max)
        .max_frame_size(max)
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(0)
        .on_failed_upgrade(|err| tracing::warn!(%err, "websocket upgrade failed"))
        .on_upgrade(move |socket| async move {
            let state = slot.0.clone();
            let connection =
                match state
                    .sync
                    .acceptor
                    .accept(transport(socket, state.clone(), peer))
                {
                    Ok(c) => c,
                    Err(_) => {
                        tracing::warn!("sync repo stopped; dropping connection");
                        return;
                    }
                };
            let mut events = connection.events();
            match connection.handshake_complete().await {
                Ok(peer) => {
                    // Peer ids carry the app's person id: logged only at debug level (H3), so info
                    // logs do not follow one person across workspaces.
                    tracing::debug!(peer = %peer.peer_id, "sync peer joined");
                    tracing::info!(
                        open = state.sync.open.load(Ordering::SeqCst),
                        "sync peer joined"
                    );
                    while let Some(event) = futures::StreamExt::next(&mut events).await {
                        if let samod::AcceptorEvent::ClientDisconnected { reason, .. } = event {
                            tracing::debug!(peer = %peer.peer_id, ?reason, "sync peer left");
                            break;
                        }
                    }
                }
                Err(reason) => {
                    tracing::info!(?reason, "sync connection ended before its handshake")
                }
            }
            drop(slot);
        })
}

/// Documents stored under the data folder (a log `xx/rest-of-id.log`, or automerge-repo's
/// layout `xx/rest-of-id/...` from older relays), not counting `except` (the relay's probe
/// document) and samod's storage id.
pub(crate) fn count_documents(root: &std::path::Path, except: Option<&str>) -> usize {
    let Ok(prefixes) = std::fs::read_dir(root) else {
        return 0;
    };
    let skip = |id: &str| Some(id) == except || id == "storage-adapter-id";
    let mut ids = std::collections::HashSet::new();
    for prefix in prefixes.flatten().filter(|p| p.path().is_dir()) {
        let first = prefix.file_name().to_string_lossy().into_owned();
        for entry in std::fs::read_dir(prefix.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            let name = entry.file_name().to_string_lossy().into_owned();
            let rest = match name.strip_suffix(".log") {
                Some(rest) if entry.path().is_file() => rest.to_owned(),
                _ if entry.path().is_dir() => name,
                _ => continue,
            };
            let id = format!("{first}{rest}");
            if !skip(&id) {
                ids.insert(id);
            }
        }
    }
    ids.len()
}

pub(crate) async fn stats(State(state): State<Arc<AppState>>) -> Response {
    let documents = state.sync.document_count().await;
    let body = format!(
        "{{\"connections\":{},\"peers\":{},\"documents\":{},\"storage_failing\":{},\"storage_failures\":{},\"sealed_open\":{}{}}}\n",
        state.sync.open.load(Ordering::SeqCst),
        state.sync.acceptor.connection_count(),
        documents,
        state.sync.storage.failing.load(Ordering::SeqCst),
        state.sync.storage.failures.load(Ordering::Relaxed),
        state.sealed.open_count().await,
        match &state.sync.store {
            Store::Files(_) | Store::Memory => String::new(),
            Store::Postgres(pg) => format!(
                ",\"database_statements\":{},\"database_notifications\":{}",
                pg.statements(),
                pg.notified()
            ),
        },
    );
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}
