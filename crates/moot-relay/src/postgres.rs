//! Documents in PostgreSQL (`--database-url`), shared by any number of relays.
//!
//! One table holds every chunk samod writes: `(doc, key) → data`, where `doc` is the key's first
//! part (a document id) and `key` the rest joined by `/` (`incremental/<change hash>`,
//! `snapshot/<heads hash>`). samod names chunks by their contents, so two relays writing the
//! same change write the same row, and a compaction deletes only chunks its snapshot holds:
//! relays sharing the table never lose each other's words (samod's storage contract).
//!
//! **Writes in batches.** A put or delete joins a queue; one writer takes everything queued
//! (up to [`BATCH`]), writes it with one statement per kind (one commit, one WAL flush for the
//! whole batch) and only then completes each caller's future: samod hears "stored" only after
//! PostgreSQL committed. A batch that fails (database down, disk full, read-only) is held and
//! retried with a growing pause; `/healthz` fails meanwhile (as with the filesystem storage).
//!
//! **Live across relays.** The statement that stores a chunk also sends
//! `NOTIFY moot_chunks, '<relay> <doc> <key>'`, delivered at commit. Each relay LISTENs; for
//! a document one of its clients asked for, it reads that chunk and loads it into samod's copy,
//! which syncs it to its clients (and saves it again: the same row, a no-op). A relay that
//! lost its LISTEN connection reloads every such document from the table when it is back.
//! The notification carries names only, never contents.

use std::{
    collections::{HashMap, HashSet},
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use samod::storage::{Storage, StorageKey};
use tokio::sync::mpsc;
use tokio_postgres::{Client, NoTls};

use crate::storage::{Op, Queued, StorageHealth, join, split};

/// The most writes one statement carries.
const BATCH: usize = 512;
const RETRY_FIRST: Duration = Duration::from_millis(100);
const RETRY_MAX: Duration = Duration::from_secs(5);
/// The channel relays LISTEN on.
const CHANNEL: &str = "moot_chunks";

/// Relays starting together would race on `CREATE TABLE IF NOT EXISTS` (PostgreSQL then fails
/// one of them on its catalog's unique index): the schema is made in one transaction holding an
/// advisory lock until it commits.
const SCHEMA: &str = "
BEGIN;
SELECT pg_advisory_xact_lock(7420135066);
CREATE TABLE IF NOT EXISTS moot_chunks (
    doc  text  NOT NULL,
    key  text  NOT NULL,
    data bytea NOT NULL,
    PRIMARY KEY (doc, key)
);
CREATE TABLE IF NOT EXISTS moot_probes (doc text PRIMARY KEY);
COMMIT;
";

const PUT: &str = "
WITH written AS (
    INSERT INTO moot_chunks (doc, key, data)
    SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[])
    ON CONFLICT (doc, key) DO UPDATE SET data = EXCLUDED.data
        WHERE moot_chunks.data IS DISTINCT FROM EXCLUDED.data
    RETURNING doc, key
)
SELECT count(pg_notify('moot_chunks', $4 || ' ' || doc || ' ' || key)) FROM written";

const DELETE: &str = "
DELETE FROM moot_chunks
WHERE (doc, key) IN (SELECT * FROM unnest($1::text[], $2::text[]))";

#[derive(Debug, thiserror::Error)]
pub enum PgError {
    #[error("cannot reach the database: {0}")]
    Connect(String),
    #[error("cannot prepare the database: {0}")]
    Schema(String),
}

/// What went wrong, in PostgreSQL's words when it said something (tokio-postgres' own
/// `Display` is only "db error").
pub(crate) fn reason(err: &tokio_postgres::Error) -> String {
    match err.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => {
            let mut text = err.to_string();
            let mut source = std::error::Error::source(err);
            while let Some(cause) = source {
                text = format!("{text}: {cause}");
                source = cause.source();
            }
            text
        }
    }
}

/// The handle samod's repo holds (cheap to clone).
#[derive(Clone)]
pub(crate) struct PgStorage {
    shared: Arc<Shared>,
    writes: mpsc::UnboundedSender<Queued>,
}

struct Shared {
    url: String,
    /// Names this relay in notifications, to skip its own.
    relay: String,
    /// The connection loads use (pipelined); `None` after it broke, until the next load.
    reader: tokio::sync::Mutex<Option<Arc<Client>>>,
    health: Arc<StorageHealth>,
    /// Documents a client of this relay asked for: changes other relays store for them are
    /// loaded here.
    served: Mutex<HashSet<String>>,
    /// Statements and notifications, for `/metrics` and the bench.
    pub(crate) statements: AtomicU64,
    pub(crate) notified: AtomicU64,
}

async fn connect(
    url: &str,
) -> Result<
    (
        Client,
        tokio_postgres::Connection<tokio_postgres::Socket, tokio_postgres::tls::NoTlsStream>,
    ),
    tokio_postgres::Error,
> {
    tokio_postgres::connect(url, NoTls).await
}

/// A client whose connection runs on its own task.
async fn connect_client(url: &str) -> Result<Client, tokio_postgres::Error> {
    let (client, connection) = connect(url).await?;
    tokio::spawn(async move {
        if let Err(err) = connection.await {
            tracing::warn!(err = reason(&err), "database connection ended");
        }
    });
    Ok(client)
}

impl PgStorage {
    /// Connects, creates the tables if missing and starts the writer. Fails (with the
    /// database's reason) when the database cannot be reached at start: a relay that cannot
    /// store must not accept edits.
    pub(crate) async fn open(url: &str, health: Arc<StorageHealth>) -> Result<Self, PgError> {
        let connect_error = |e: tokio_postgres::Error| PgError::Connect(reason(&e));
        let client = connect_client(url).await.map_err(connect_error)?;
        client
            .batch_execute(SCHEMA)
            .await
            .map_err(|e| PgError::Schema(reason(&e)))?;
        let writer = connect_client(url).await.map_err(connect_error)?;
        let relay = format!("{:016x}", rand_id());
        let shared = Arc::new(Shared {
            url: url.to_owned(),
            relay,
            reader: tokio::sync::Mutex::new(Some(Arc::new(client))),
            health,
            served: Default::default(),
            statements: AtomicU64::new(0),
            notified: AtomicU64::new(0),
        });
        let (writes, queue) = mpsc::unbounded_channel();
        tokio::spawn(write_batches(shared.clone(), writer, queue));
        Ok(Self { shared, writes })
    }

    /// The connection loads use, reconnecting after a failure.
    async fn reader(&self) -> Result<Arc<Client>, tokio_postgres::Error> {
        let mut reader = self.shared.reader.lock().await;
        if let Some(client) = reader.as_ref().filter(|c| !c.is_closed()) {
            return Ok(client.clone());
        }
        let client = Arc::new(connect_client(&self.shared.url).await?);
        *reader = Some(client.clone());
        Ok(client)
    }

    /// Runs a read until it succeeds (a load that answered "nothing" while the database was
    /// down would make samod think a stored document missing), or the relay stops.
    async fn read<T, F, Fut>(&self, what: &str, run: F) -> Option<T>
    where
        F: Fn(Arc<Client>) -> Fut,
        Fut: Future<Output = Result<T, tokio_postgres::Error>>,
    {
        let mut pause = RETRY_FIRST;
        let mut counted = false;
        let health = &self.shared.health;
        let result = loop {
            let attempt = match self.reader().await {
                Ok(client) => {
                    self.shared.statements.fetch_add(1, Ordering::Relaxed);
                    run(client).await
                }
                Err(err) => Err(err),
            };
            match attempt {
                Ok(value) => break Some(value),
                Err(err) => {
                    if !counted {
                        counted = true;
                        health.reads_failing.fetch_add(1, Ordering::SeqCst);
                    }
                    if health.stopping.load(Ordering::SeqCst) {
                        tracing::error!(
                            err = reason(&err),
                            what,
                            "relay stopping: a database read gave up"
                        );
                        break None;
                    }
                    tracing::error!(err = reason(&err), what, retry_in = ?pause, "cannot read from the database; retrying");
                    *self.shared.reader.lock().await = None;
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(RETRY_MAX);
                }
            }
        };
        if counted {
            health.reads_failing.fetch_sub(1, Ordering::SeqCst);
        }
        result
    }

    /// The chunks of `doc` whose key is `under` or below it (all of them for `""`).
    async fn rows(&self, doc: &str, under: &str) -> Vec<(String, Vec<u8>)> {
        let (doc, under) = (doc.to_owned(), under.to_owned());
        self.read("load a document", |client| {
            let (doc, under) = (doc.clone(), under.clone());
            async move {
                let rows = client
                    .query(
                        "SELECT key, data FROM moot_chunks WHERE doc = $1
                         AND ($2 = '' OR key = $2 OR left(key, length($2) + 1) = $2 || '/')",
                        &[&doc, &under],
                    )
                    .await?;
                Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
            }
        })
        .await
        .unwrap_or_default()
    }

    /// Whether any chunk of `doc` is stored (a document this relay or another one has).
    /// `None` when the database did not answer.
    pub(crate) async fn exists(&self, doc: &str) -> Option<bool> {
        let client = self.reader().await.ok()?;
        self.shared.statements.fetch_add(1, Ordering::Relaxed);
        let row = client
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM moot_chunks WHERE doc = $1)",
                &[&doc],
            )
            .await
            .ok()?;
        Some(row.get(0))
    }

    /// Stored documents, not counting relays' probe documents.
    pub(crate) async fn count(&self) -> Option<usize> {
        let client = self.reader().await.ok()?;
        let row = client
            .query_one(
                "SELECT count(DISTINCT doc) FROM moot_chunks
                 WHERE doc NOT IN (SELECT doc FROM moot_probes) AND key <> ''",
                &[],
            )
            .await
            .ok()?;
        let n: i64 = row.get(0);
        Some(usize::try_from(n).unwrap_or(0))
    }

    /// Marks `doc` as a relay's own health probe (not counted as a document).
    pub(crate) async fn mark_probe(&self, doc: &str) -> Result<(), tokio_postgres::Error> {
        let client = self.reader().await?;
        client
            .execute(
                "INSERT INTO moot_probes (doc) VALUES ($1) ON CONFLICT DO NOTHING",
                &[&doc],
            )
            .await
            .map(|_| ())
    }

    /// A client of this relay asked for `doc`: from now on, what other relays store for it is
    /// loaded here.
    pub(crate) fn serve(&self, doc: &str) {
        self.shared.served.lock().unwrap().insert(doc.to_owned());
    }

    pub(crate) fn statements(&self) -> u64 {
        self.shared.statements.load(Ordering::Relaxed)
    }

    pub(crate) fn notified(&self) -> u64 {
        self.shared.notified.load(Ordering::Relaxed)
    }

    /// LISTENs for chunks other relays store and loads them into `repo`'s copies of the
    /// documents this relay serves; reconnects (and then reloads those documents) when the
    /// connection breaks. Runs until the relay stops.
    pub(crate) fn follow(&self, repo: samod::Repo) {
        let storage = self.clone();
        tokio::spawn(async move {
            let mut pause = RETRY_FIRST;
            let mut first = true;
            loop {
                if storage.shared.health.stopping.load(Ordering::SeqCst) {
                    return;
                }
                match storage.listen(&repo, first).await {
                    Ok(()) => return,
                    Err(err) => {
                        tracing::warn!(%err, retry_in = ?pause, "lost the database's notifications; reconnecting");
                        first = false;
                        tokio::time::sleep(pause).await;
                        pause = (pause * 2).min(RETRY_MAX);
                    }
                }
            }
        });
    }

    async fn listen(&self, repo: &samod::Repo, first: bool) -> Result<(), String> {
        use futures::StreamExt;
        let (client, mut connection) =
            connect(&self.shared.url).await.map_err(|e| e.to_string())?;
        let (tx, mut notes) = mpsc::unbounded_channel();
        let messages = futures::stream::poll_fn(move |cx| connection.poll_message(cx));
        let pump = tokio::spawn(async move {
            let mut messages = std::pin::pin!(messages);
            while let Some(message) = messages.next().await {
                match message {
                    Ok(tokio_postgres::AsyncMessage::Notification(n)) => {
                        if tx.send(n.payload().to_owned()).is_err() {
                            return Ok(());
                        }
                    }
                    Ok(_) => {}
                    Err(err) => return Err(err),
                }
            }
            Ok(())
        });
        client
            .batch_execute(&format!("LISTEN {CHANNEL}"))
            .await
            .map_err(|e| reason(&e))?;
        if !first {
            // Notifications sent while we were away are gone: read what we serve afresh.
            let served: Vec<String> = self.shared.served.lock().unwrap().iter().cloned().collect();
            for doc in served {
                let rows = self.rows(&doc, "").await;
                apply(repo, &doc, rows.into_iter().map(|(_, data)| data).collect()).await;
            }
        }
        // Everything that arrived meanwhile is read in one query and loaded per document at
        // once: one notification at a time fell behind under load (hundreds a second).
        let mut payloads = Vec::new();
        while notes.recv_many(&mut payloads, 1024).await > 0 {
            let mut wanted: Vec<(String, String)> = Vec::new();
            {
                let served = self.shared.served.lock().unwrap();
                for payload in payloads.drain(..) {
                    let mut parts = payload.splitn(3, ' ');
                    let (Some(relay), Some(doc), Some(key)) =
                        (parts.next(), parts.next(), parts.next())
                    else {
                        continue;
                    };
                    if relay != self.shared.relay && served.contains(doc) {
                        wanted.push((doc.to_owned(), key.to_owned()));
                    }
                }
            }
            if wanted.is_empty() {
                continue;
            }
            wanted.sort();
            wanted.dedup();
            self.shared
                .notified
                .fetch_add(wanted.len() as u64, Ordering::Relaxed);
            let (docs, keys): (Vec<String>, Vec<String>) = wanted.into_iter().unzip();
            let rows = self
                .read("load chunks another relay stored", |client| {
                    let (docs, keys) = (docs.clone(), keys.clone());
                    async move {
                        let rows = client
                            .query(
                                "SELECT doc, data FROM moot_chunks
                                 WHERE (doc, key) IN (SELECT * FROM unnest($1::text[], $2::text[]))",
                                &[&docs, &keys],
                            )
                            .await?;
                        Ok(rows
                            .iter()
                            .map(|r| (r.get::<_, String>(0), r.get::<_, Vec<u8>>(1)))
                            .collect::<Vec<_>>())
                    }
                })
                .await
                .unwrap_or_default();
            // Chunks deleted since were compacted into a snapshot, which has its own notification.
            let mut by_doc: HashMap<String, Vec<Vec<u8>>> = HashMap::new();
            for (doc, data) in rows {
                by_doc.entry(doc).or_default().push(data);
            }
            let loads = by_doc
                .into_iter()
                .map(|(doc, chunks)| async move { apply(repo, &doc, chunks).await });
            futures::future::join_all(loads).await;
        }
        drop(client);
        match pump.await {
            Ok(Ok(())) => Err("the notification connection closed".into()),
            Ok(Err(err)) => Err(reason(&err)),
            Err(err) => Err(err.to_string()),
        }
    }
}

/// Loads chunks another relay stored into samod's copy of `doc`, if it has one; samod then
/// syncs what is new to this relay's clients.
async fn apply(repo: &samod::Repo, doc: &str, chunks: Vec<Vec<u8>>) {
    let Ok(id) = doc.parse::<samod::DocumentId>() else {
        return;
    };
    let Ok(Some(handle)) = repo.find(id.clone()).await else {
        return;
    };
    let loaded = handle
        .with_document_async(move |doc| {
            chunks
                .iter()
                .filter_map(|c| doc.load_incremental(c).err())
                .map(|e| e.to_string())
                .next()
        })
        .await;
    if let Ok(Some(err)) = loaded {
        tracing::warn!(%err, doc = %id, "a chunk another relay stored does not load");
    }
}

fn rand_id() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.write_u32(std::process::id());
    h.finish()
}

/// The writer: takes every queued write (up to [`BATCH`]), keeps the last one per key, stores
/// them in one statement per kind, and completes each only when PostgreSQL committed.
async fn write_batches(
    shared: Arc<Shared>,
    writer: Client,
    mut queue: mpsc::UnboundedReceiver<Queued>,
) {
    let mut writer = Some(writer);
    let mut batch = Vec::with_capacity(BATCH);
    while queue.recv_many(&mut batch, BATCH).await > 0 {
        let mut last: HashMap<(String, String), usize> = HashMap::new();
        for (i, w) in batch.iter().enumerate() {
            last.insert((w.doc.clone(), w.key.clone()), i);
        }
        let (mut put, mut delete) = (Columns::default(), Columns::default());
        for (i, w) in batch.iter().enumerate() {
            if last[&(w.doc.clone(), w.key.clone())] != i {
                continue;
            }
            match &w.op {
                Op::Put(data) => put.push(w, Some(data)),
                Op::Delete => delete.push(w, None),
            }
        }
        let mut pause = RETRY_FIRST;
        let mut counted = false;
        loop {
            let result = async {
                let client = match writer.as_ref().filter(|c| !c.is_closed()) {
                    Some(c) => c,
                    None => writer.insert(connect_client(&shared.url).await?),
                };
                if !put.docs.is_empty() {
                    shared.statements.fetch_add(1, Ordering::Relaxed);
                    client
                        .execute(PUT, &[&put.docs, &put.keys, &put.data, &shared.relay])
                        .await?;
                }
                if !delete.docs.is_empty() {
                    shared.statements.fetch_add(1, Ordering::Relaxed);
                    client
                        .execute(DELETE, &[&delete.docs, &delete.keys])
                        .await?;
                }
                Ok::<_, tokio_postgres::Error>(())
            }
            .await;
            let Err(err) = result else { break };
            shared.health.failures.fetch_add(1, Ordering::Relaxed);
            if !counted {
                counted = true;
                shared
                    .health
                    .failing
                    .fetch_add(batch.len(), Ordering::SeqCst);
            }
            if shared.health.stopping.load(Ordering::SeqCst) {
                tracing::error!(
                    err = reason(&err),
                    writes = batch.len(),
                    "relay stopping: document chunks could not be stored"
                );
                break;
            }
            tracing::error!(err = reason(&err), writes = batch.len(), retry_in = ?pause, "cannot store document chunks; holding them and retrying");
            // A fresh session next time: one that broke, or whose settings refuse writes.
            writer = None;
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(RETRY_MAX);
        }
        if counted {
            shared
                .health
                .failing
                .fetch_sub(batch.len(), Ordering::SeqCst);
        }
        for w in batch.drain(..) {
            let _ = w.done.send(());
        }
    }
}

#[derive(Default)]
struct Columns {
    docs: Vec<String>,
    keys: Vec<String>,
    data: Vec<Vec<u8>>,
}

impl Columns {
    fn push(&mut self, w: &Queued, data: Option<&Vec<u8>>) {
        self.docs.push(w.doc.clone());
        self.keys.push(w.key.clone());
        if let Some(data) = data {
            self.data.push(data.clone());
        }
    }
}

impl PgStorage {
    fn queue(&self, key: StorageKey, op: Op) -> impl Future<Output = ()> + Send + use<> {
        let stored = crate::storage::queue(&key, op, |w| self.writes.send(w).is_ok());
        stored.wait()
    }
}

impl Storage for PgStorage {
    fn load(&self, key: StorageKey) -> impl Future<Output = Option<Vec<u8>>> + Send {
        let this = self.clone();
        async move {
            let (doc, key) = split(&key);
            this.read("load a chunk", |client| {
                let (doc, key) = (doc.clone(), key.clone());
                async move {
                    let row = client
                        .query_opt(
                            "SELECT data FROM moot_chunks WHERE doc = $1 AND key = $2",
                            &[&doc, &key],
                        )
                        .await?;
                    Ok(row.map(|r| r.get::<_, Vec<u8>>(0)))
                }
            })
            .await
            .flatten()
        }
    }

    fn load_range(
        &self,
        prefix: StorageKey,
    ) -> impl Future<Output = HashMap<StorageKey, Vec<u8>>> + Send {
        let this = self.clone();
        async move {
            let (doc, under) = split(&prefix);
            this.rows(&doc, &under)
                .await
                .into_iter()
                .filter_map(|(key, data)| Some((join(&doc, &key)?, data)))
                .filter(|(key, _)| prefix.is_prefix_of(key))
                .collect()
        }
    }

    fn put(&self, key: StorageKey, data: Vec<u8>) -> impl Future<Output = ()> + Send {
        self.queue(key, Op::Put(data))
    }

    fn delete(&self, key: StorageKey) -> impl Future<Output = ()> + Send {
        self.queue(key, Op::Delete)
    }
}
