//! The relay's default document storage: one append-only log file per document under
//! `--data/documents` (`3v/LmfzZ6….log`), written in batches, fsynced, compacted in the
//! background. A change costs an append to a file that exists, not a new file (file creation
//! was ~17% of the relay's CPU under load with one file per change).
//!
//! **Format.** A file starts with [`MAGIC`]; each record is `key length (u32 LE)`,
//! `data length (u32 LE, u32::MAX for a deletion)`, the key, the data, and a CRC-32 of all of
//! that. A file is read front to back, the last record for a key winning; a record cut short
//! or failing its CRC (a crash mid-append) ends the file: it was never acknowledged, and the
//! writer cuts it off before appending again.
//!
//! **Durability.** Writes join a queue; one writer thread takes everything queued, appends each
//! document's records in one write, fsyncs every file it touched (and the folder of a new
//! file), and only then completes each caller's future: samod hears "stored" only when the
//! bytes are on disk. A write that fails (disk full, I/O error) is cut off, held and retried with
//! a growing pause; `/healthz` fails meanwhile; only when the relay stops does it give up, with
//! an error in the log.
//!
//! **Compaction.** When a file holds more superseded bytes than live ones (samod's snapshots
//! replace incremental chunks), the writer rewrites it with the live records only, to a
//! temporary file that is fsynced and renamed over it (the folder fsynced): a crash leaves the
//! old file or the new one.
//!
//! **Older folders.** Documents stored by earlier relays (or automerge-repo's NodeFS storage)
//! as one file per chunk (`3v/LmfzZ6…/incremental/<hash>`) are read too, the log winning; a
//! deletion removes such a file as well. New chunks always go to the log.

use std::{
    collections::HashMap,
    fs::File,
    io::{Read, Seek, SeekFrom, Write},
    path::{Path, PathBuf},
    sync::{Arc, atomic::Ordering},
    time::Duration,
};

use crate::storage::{Op, Queued, StorageHealth, join, relative_path, split};
use samod::storage::{Storage, StorageKey, TokioFilesystemStorage};

pub(crate) const MAGIC: &[u8; 8] = b"MOOTLOG1";
const TOMBSTONE: u32 = u32::MAX;
/// The most writes one batch takes.
const BATCH: usize = 1024;
/// Open files the writer keeps (each with its keys' sizes).
const OPEN_FILES: usize = 512;
/// A file smaller than this is never compacted.
const COMPACT_FROM: u64 = 64 * 1024;
const RETRY_FIRST: Duration = Duration::from_millis(100);
const RETRY_MAX: Duration = Duration::from_secs(5);

#[derive(Clone)]
pub(crate) struct LogStorage {
    inner: Arc<Inner>,
}

struct Inner {
    root: PathBuf,
    legacy: TokioFilesystemStorage,
    writes: std::sync::mpsc::Sender<Queued>,
}

/// The log file of document `doc` under `root`.
pub(crate) fn log_path(root: &Path, doc: &str) -> PathBuf {
    let mut path = root.join(relative_path(doc));
    let name = format!(
        "{}.log",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("")
    );
    path.set_file_name(name);
    path
}

fn record(key: &str, data: Option<&[u8]>, out: &mut Vec<u8>) -> u64 {
    let start = out.len();
    out.extend_from_slice(&u32::try_from(key.len()).unwrap_or(0).to_le_bytes());
    let len = data.map_or(TOMBSTONE, |d| {
        u32::try_from(d.len()).unwrap_or(TOMBSTONE - 1)
    });
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(key.as_bytes());
    if let Some(d) = data {
        out.extend_from_slice(d);
    }
    let crc = crc32fast::hash(&out[start..]);
    out.extend_from_slice(&crc.to_le_bytes());
    (out.len() - start) as u64
}

/// What a log holds: each key's last value (`None`: deleted), each key's record size, the
/// length of the valid part and how many of its bytes are superseded.
#[derive(Default)]
struct Replayed {
    values: HashMap<String, Option<Vec<u8>>>,
    sizes: HashMap<String, u64>,
    valid: u64,
    dead: u64,
}

fn replay(bytes: &[u8]) -> Replayed {
    let mut out = Replayed::default();
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        return out;
    }
    let mut at = MAGIC.len();
    out.valid = at as u64;
    while let Some(head) = bytes.get(at..at + 8) {
        let key_len = u32::from_le_bytes(head[..4].try_into().unwrap()) as usize;
        let data_len = u32::from_le_bytes(head[4..].try_into().unwrap());
        let body = if data_len == TOMBSTONE {
            0
        } else {
            data_len as usize
        };
        let end = at + 8 + key_len + body;
        let (Some(whole), Some(crc)) = (bytes.get(at..end), bytes.get(end..end + 4)) else {
            break;
        };
        if crc32fast::hash(whole).to_le_bytes() != crc {
            break;
        }
        let Ok(key) = std::str::from_utf8(&whole[8..8 + key_len]) else {
            break;
        };
        let size = (end + 4 - at) as u64;
        if let Some(old) = out.sizes.insert(key.to_owned(), size) {
            out.dead += old;
        }
        let value = (data_len != TOMBSTONE).then(|| whole[8 + key_len..].to_vec());
        if value.is_none() {
            out.dead += size;
        }
        out.values.insert(key.to_owned(), value);
        at = end + 4;
        out.valid = at as u64;
    }
    out
}

impl LogStorage {
    /// Documents live under `root`; compaction writes its temporary files under `temp` (on the
    /// same filesystem: a rename is atomic only within one).
    pub(crate) fn new(root: PathBuf, temp: PathBuf, health: Arc<StorageHealth>) -> Self {
        let (writes, queue) = std::sync::mpsc::channel();
        let writer = Writer {
            root: root.clone(),
            temp,
            health,
            open: HashMap::new(),
            tick: 0,
        };
        std::thread::Builder::new()
            .name("moot-storage".into())
            .spawn(move || writer.run(queue))
            .expect("the storage thread starts");
        Self {
            inner: Arc::new(Inner {
                legacy: TokioFilesystemStorage::new(&root),
                root,
                writes,
            }),
        }
    }

    async fn log_of(&self, doc: &str) -> Replayed {
        match tokio::fs::read(log_path(&self.inner.root, doc)).await {
            Ok(bytes) => tokio::task::spawn_blocking(move || replay(&bytes))
                .await
                .unwrap_or_default(),
            Err(_) => Replayed::default(),
        }
    }

    fn queue(&self, key: StorageKey, op: Op) -> impl Future<Output = ()> + Send + use<> {
        let stored = crate::storage::queue(&key, op, |w| self.inner.writes.send(w).is_ok());
        stored.wait()
    }
}

impl Storage for LogStorage {
    fn load(&self, key: StorageKey) -> impl Future<Output = Option<Vec<u8>>> + Send {
        let this = self.clone();
        async move {
            let (doc, rest) = split(&key);
            match this.log_of(&doc).await.values.remove(&rest) {
                Some(value) => value,
                None => this.inner.legacy.load(key).await,
            }
        }
    }

    fn load_range(
        &self,
        prefix: StorageKey,
    ) -> impl Future<Output = HashMap<StorageKey, Vec<u8>>> + Send {
        let this = self.clone();
        async move {
            let (doc, _) = split(&prefix);
            let mut out = this.inner.legacy.load_range(prefix.clone()).await;
            for (key, value) in this.log_of(&doc).await.values {
                let Some(key) = join(&doc, &key).filter(|k| prefix.is_prefix_of(k)) else {
                    continue;
                };
                match value {
                    Some(data) => out.insert(key, data),
                    None => out.remove(&key),
                };
            }
            out
        }
    }

    fn put(&self, key: StorageKey, data: Vec<u8>) -> impl Future<Output = ()> + Send {
        self.queue(key, Op::Put(data))
    }

    fn delete(&self, key: StorageKey) -> impl Future<Output = ()> + Send {
        let legacy = self.inner.legacy.clone();
        let old = key.clone();
        let logged = self.queue(key, Op::Delete);
        async move {
            logged.await;
            legacy.delete(old).await;
        }
    }
}

/// One document's open log, as the writer knows it.
struct Open {
    file: File,
    len: u64,
    sizes: HashMap<String, u64>,
    dead: u64,
    used: u64,
}

struct Writer {
    root: PathBuf,
    temp: PathBuf,
    health: Arc<StorageHealth>,
    open: HashMap<String, Open>,
    tick: u64,
}

impl Writer {
    fn run(mut self, queue: std::sync::mpsc::Receiver<Queued>) {
        while let Ok(first) = queue.recv() {
            let mut batch = vec![first];
            while batch.len() < BATCH {
                match queue.try_recv() {
                    Ok(w) => batch.push(w),
                    Err(_) => break,
                }
            }
            self.store(&batch);
            for w in batch {
                let _ = w.done.send(());
            }
        }
    }

    /// Appends and fsyncs the batch, retrying until it is on disk (or the relay stops).
    fn store(&mut self, batch: &[Queued]) {
        let mut by_doc: Vec<(&str, Vec<&Queued>)> = Vec::new();
        let mut index: HashMap<&str, usize> = HashMap::new();
        for w in batch {
            let i = *index.entry(&w.doc).or_insert_with(|| {
                by_doc.push((&w.doc, Vec::new()));
                by_doc.len() - 1
            });
            by_doc[i].1.push(w);
        }
        let mut pause = RETRY_FIRST;
        let mut counted = false;
        loop {
            let result = self.append_all(&by_doc);
            let Err((doc, err)) = result else { break };
            self.health.failures.fetch_add(1, Ordering::Relaxed);
            if !counted {
                counted = true;
                self.health.failing.fetch_add(batch.len(), Ordering::SeqCst);
            }
            let path = log_path(&self.root, doc);
            if self.health.stopping.load(Ordering::SeqCst) {
                tracing::error!(path = %path.display(), %err, "relay stopping: document chunks could not be stored");
                break;
            }
            tracing::error!(path = %path.display(), %err, retry_in = ?pause, "cannot store document chunks; holding them and retrying");
            std::thread::sleep(pause);
            pause = (pause * 2).min(RETRY_MAX);
        }
        if counted {
            self.health.failing.fetch_sub(batch.len(), Ordering::SeqCst);
        }
        for (doc, _) in &by_doc {
            self.maybe_compact(doc);
        }
        self.close_some();
    }

    fn append_all<'a>(
        &mut self,
        by_doc: &[(&'a str, Vec<&Queued>)],
    ) -> Result<(), (&'a str, std::io::Error)> {
        let mut touched = Vec::new();
        for (doc, writes) in by_doc {
            self.append(doc, writes).map_err(|e| (*doc, e))?;
            touched.push(*doc);
        }
        // One fsync per file; in parallel, since each waits on the disk.
        let files: Vec<(&str, File)> = touched
            .iter()
            .filter_map(|d| Some((*d, self.open.get(*d)?.file.try_clone().ok()?)))
            .collect();
        let failed = std::thread::scope(|s| {
            let chunks: Vec<_> = files
                .chunks(files.len().div_ceil(8).max(1))
                .map(|chunk| {
                    s.spawn(move || {
                        chunk
                            .iter()
                            .find_map(|(doc, f)| f.sync_data().err().map(|e| (*doc, e)))
                    })
                })
                .collect();
            chunks.into_iter().find_map(|h| h.join().ok().flatten())
        });
        match failed {
            // The bytes may or may not be on disk: forget the file, so the next attempt reads
            // it afresh (cutting off what is torn) and appends again (a duplicate record is
            // harmless: the last one wins).
            Some((doc, err)) => {
                let doc = by_doc
                    .iter()
                    .find(|(d, _)| *d == doc)
                    .map_or(doc, |(d, _)| *d);
                self.open.remove(doc);
                Err((doc, err))
            }
            None => Ok(()),
        }
    }

    /// Opens (or creates) `doc`'s log, reading it once to learn its keys and cut off a torn
    /// tail.
    fn open(&mut self, doc: &str) -> std::io::Result<&mut Open> {
        self.tick += 1;
        if !self.open.contains_key(doc) {
            let path = log_path(&self.root, doc);
            let parent = path.parent().expect("a log has a folder").to_owned();
            std::fs::create_dir_all(&parent)?;
            let mut file = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)?;
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes)?;
            let replayed = replay(&bytes);
            let len = if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
                // New (or not a log: an empty file left by a crash before its header).
                file.set_len(0)?;
                file.seek(SeekFrom::Start(0))?;
                file.write_all(MAGIC)?;
                file.sync_all()?;
                File::open(&parent)?.sync_all()?;
                MAGIC.len() as u64
            } else {
                if replayed.valid < bytes.len() as u64 {
                    tracing::warn!(path = %path.display(), cut = bytes.len() as u64 - replayed.valid, "cutting off a torn record (a crash mid-write; never acknowledged)");
                    file.set_len(replayed.valid)?;
                }
                replayed.valid
            };
            self.open.insert(
                doc.to_owned(),
                Open {
                    file,
                    len,
                    sizes: replayed.sizes,
                    dead: replayed.dead,
                    used: 0,
                },
            );
        }
        let open = self.open.get_mut(doc).expect("just opened");
        open.used = self.tick;
        Ok(open)
    }

    fn append(&mut self, doc: &str, writes: &[&Queued]) -> std::io::Result<()> {
        let open = self.open(doc)?;
        let mut buf = Vec::new();
        let mut sizes = Vec::new();
        for w in writes {
            let data = match &w.op {
                Op::Put(d) => Some(d.as_slice()),
                Op::Delete => None,
            };
            sizes.push((
                w.key.as_str(),
                record(&w.key, data, &mut buf),
                data.is_none(),
            ));
        }
        open.file.seek(SeekFrom::Start(open.len))?;
        if let Err(err) = open.file.write_all(&buf) {
            let _ = open.file.set_len(open.len);
            self.open.remove(doc);
            return Err(err);
        }
        open.len += buf.len() as u64;
        for (key, size, deleted) in sizes {
            if let Some(old) = open.sizes.insert(key.to_owned(), size) {
                open.dead += old;
            }
            if deleted {
                open.dead += size;
            }
        }
        Ok(())
    }

    /// Rewrites `doc`'s log with its live records when most of it is superseded.
    fn maybe_compact(&mut self, doc: &str) {
        let Some(open) = self.open.get(doc) else {
            return;
        };
        if open.len < COMPACT_FROM || open.dead * 2 < open.len {
            return;
        }
        let path = log_path(&self.root, doc);
        if let Err(err) = self.compact(doc, &path) {
            // The old file is whole: nothing is lost, it stays larger than it needs to.
            tracing::warn!(path = %path.display(), %err, "cannot compact a document's log");
        }
    }

    fn compact(&mut self, doc: &str, path: &Path) -> std::io::Result<()> {
        let bytes = std::fs::read(path)?;
        let replayed = replay(&bytes);
        let mut out = MAGIC.to_vec();
        let mut sizes = HashMap::new();
        let mut keys: Vec<_> = replayed.values.iter().collect();
        keys.sort_by(|a, b| a.0.cmp(b.0));
        for (key, value) in keys {
            if let Some(data) = value {
                sizes.insert(key.clone(), record(key, Some(data), &mut out));
            }
        }
        std::fs::create_dir_all(&self.temp)?;
        let temp = self
            .temp
            .join(format!("{}-{}.log", std::process::id(), self.tick));
        let written = (|| {
            let mut file = File::create(&temp)?;
            file.write_all(&out)?;
            file.sync_all()?;
            std::fs::rename(&temp, path)?;
            File::open(path.parent().expect("a log has a folder"))?.sync_all()
        })();
        if written.is_err() {
            let _ = std::fs::remove_file(&temp);
            return written;
        }
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)?;
        self.open.insert(
            doc.to_owned(),
            Open {
                file,
                len: out.len() as u64,
                sizes,
                dead: 0,
                used: self.tick,
            },
        );
        Ok(())
    }

    /// Keeps at most [`OPEN_FILES`] logs open, closing the least recently used.
    fn close_some(&mut self) {
        if self.open.len() <= OPEN_FILES {
            return;
        }
        let mut used: Vec<(u64, String)> =
            self.open.iter().map(|(d, o)| (o.used, d.clone())).collect();
        used.sort();
        for (_, doc) in used.into_iter().take(self.open.len() - OPEN_FILES / 2) {
            self.open.remove(&doc);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_replays_last_value_wins_and_stops_at_a_torn_record() {
        let mut log = MAGIC.to_vec();
        record("incremental/a", Some(b"one"), &mut log);
        record("incremental/b", Some(b"two"), &mut log);
        record("incremental/a", None, &mut log);
        record("snapshot/s", Some(b"three"), &mut log);
        let whole = log.len() as u64;
        let r = replay(&log);
        assert_eq!(r.valid, whole);
        assert_eq!(r.values["incremental/a"], None);
        assert_eq!(r.values["incremental/b"].as_deref(), Some(&b"two"[..]));
        assert_eq!(r.values["snapshot/s"].as_deref(), Some(&b"three"[..]));
        assert!(r.dead > 0);
        // A crash mid-append: every cut of the last record ends the log before it.
        let before_last = {
            let mut l = MAGIC.to_vec();
            record("incremental/a", Some(b"one"), &mut l);
            record("incremental/b", Some(b"two"), &mut l);
            record("incremental/a", None, &mut l);
            l.len() as u64
        };
        for cut in before_last as usize..log.len() {
            let r = replay(&log[..cut]);
            assert_eq!(r.valid, before_last, "cut at {cut}");
            assert!(!r.values.contains_key("snapshot/s"));
        }
        // A flipped bit fails the CRC.
        let mut bad = log.clone();
        let n = bad.len();
        bad[n - 6] ^= 1;
        assert_eq!(replay(&bad).valid, before_last);
        // Not a log at all.
        assert_eq!(replay(b"hello").values.len(), 0);
    }

    #[test]
    fn log_paths_sit_beside_automerge_repo_folders() {
        assert_eq!(
            log_path(Path::new("/d"), "3vLmfzZ6"),
            PathBuf::from("/d/3v/LmfzZ6.log")
        );
    }
}
