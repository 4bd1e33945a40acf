//! One document's chunks: `[docId, "snapshot", hash]` and `[docId, "incremental", hash]`.
//!
//! Every local change is written at once as an incremental chunk. After enough chunks the
//! whole document is written as a snapshot and the chunks it covers are deleted — only chunks
//! this tab loaded or wrote itself, never one another tab wrote meanwhile (it may hold changes
//! this tab has not seen).

use std::{cell::RefCell, collections::BTreeSet, rc::Rc};

use automerge::AutoCommit;

use super::{ChunkStore, StorageError};

const COMPACT_AFTER: usize = 32;
const AUTOMERGE_MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];

/// One write: its key, its bytes, the keys it makes redundant, and the heads it starts from
/// (what was already written when it was taken; a failed write rewinds to them).
pub struct Chunk {
    key: Vec<String>,
    bytes: Vec<u8>,
    replaces: Vec<Vec<String>>,
    from: Vec<automerge::ChangeHash>,
}

/// What loading found.
pub struct Loaded {
    pub doc: AutoCommit,
    /// Chunks that could not be read (kept on disk, reported to the person).
    pub unreadable: usize,
}

#[derive(Clone)]
pub struct DocStorage {
    store: ChunkStore,
    doc_id: String,
    inner: Rc<RefCell<Inner>>,
}

#[derive(Default)]
struct Inner {
    /// Keys whose contents are in the document this tab holds.
    covered: BTreeSet<Vec<String>>,
    incrementals: usize,
    /// The heads already written: the next incremental chunk holds what came after them.
    /// (Tracked here, not by automerge's own save cursor, which a load leaves at nothing —
    /// so its first incremental save would re-encode the whole document.)
    saved: Vec<automerge::ChangeHash>,
    /// After a failed write: what is really on disk, so the next chunk holds everything the
    /// failed one did (and what came after). `None` when every taken chunk was written.
    rewind: Option<Rewind>,
}

enum Rewind {
    /// The next incremental chunk starts from these heads.
    To(Vec<automerge::ChangeHash>),
    /// Two writes from different heads failed: the next chunk is a snapshot of everything.
    Snapshot,
}

/// SHA-256 in hex, as automerge-repo names chunks: a stable name for a chunk's contents that no
/// two different chunks share (audit S3: a 64-bit FNV name could collide and overwrite).
fn chunk_hash(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl DocStorage {
    pub fn new(store: ChunkStore, doc_id: &str) -> Self {
        Self {
            store,
            doc_id: doc_id.to_owned(),
            inner: Rc::default(),
        }
    }

    /// Loads every chunk of the document; `None` when this device has none.
    pub async fn load(&self) -> Result<Option<Loaded>, StorageError> {
        let mut chunks = self.store.load_prefix(&self.doc_id).await?;
        // Snapshots first, then incrementals: load_incremental accepts either in any case.
        chunks.sort_by_key(|(key, _)| key.get(1).map(|k| k != "snapshot"));
        let chunks: Vec<_> = chunks
            .into_iter()
            .filter(|(key, _)| {
                matches!(
                    key.get(1).map(String::as_str),
                    Some("snapshot" | "incremental")
                )
            })
            .collect();
        if chunks.is_empty() {
            return Ok(None);
        }
        let mut doc = AutoCommit::new();
        let mut unreadable = 0;
        let mut inner = self.inner.borrow_mut();
        for (key, bytes) in chunks {
            // Every automerge chunk starts with the magic bytes; load_incremental would
            // silently skip anything else, and the person must hear about it.
            if !bytes.starts_with(&AUTOMERGE_MAGIC) {
                leptos::logging::warn!(
                    "moot: skipping unreadable chunk {key:?}: not automerge data"
                );
                unreadable += 1;
                continue;
            }
            match doc.load_incremental(&bytes) {
                Ok(_) => {
                    if key[1] == "incremental" {
                        inner.incrementals += 1;
                    }
                    inner.covered.insert(key);
                }
                Err(err) => {
                    leptos::logging::warn!("moot: skipping unreadable chunk {key:?}: {err}");
                    unreadable += 1;
                }
            }
        }
        // Later incremental saves continue from what was loaded.
        inner.saved = doc.get_heads();
        Ok(Some(Loaded { doc, unreadable }))
    }

    /// The chunk to write for the changes since the last call (taken synchronously, so the
    /// document can keep changing while it is written): an incremental chunk, or after enough
    /// of them a snapshot of the whole document. `None` when nothing changed.
    pub fn next_chunk(&self, doc: &mut AutoCommit) -> Option<Chunk> {
        let mut inner = self.inner.borrow_mut();
        let (compact, from) = match inner.rewind.take() {
            Some(Rewind::Snapshot) => (true, std::mem::take(&mut inner.saved)),
            Some(Rewind::To(heads)) => (inner.incrementals + 1 >= COMPACT_AFTER, heads),
            None => (
                inner.incrementals + 1 >= COMPACT_AFTER,
                std::mem::take(&mut inner.saved),
            ),
        };
        let (kind, bytes) = if compact {
            ("snapshot", doc.save())
        } else {
            ("incremental", doc.save_after(&from))
        };
        inner.saved = doc.get_heads();
        if bytes.is_empty() {
            return None;
        }
        let key = vec![self.doc_id.clone(), kind.to_owned(), chunk_hash(&bytes)];
        // A snapshot replaces exactly the chunks this tab knows it covers.
        let replaces = if compact {
            inner
                .covered
                .iter()
                .filter(|k| **k != key)
                .cloned()
                .collect()
        } else {
            Vec::new()
        };
        Some(Chunk {
            key,
            bytes,
            replaces,
            from,
        })
    }

    /// Whether a write failed and what it held is not on disk yet (the next chunk holds it).
    pub fn behind(&self) -> bool {
        self.inner.borrow().rewind.is_some()
    }

    /// A snapshot of the whole document (first save of a new or received workspace).
    pub fn snapshot(&self, doc: &mut AutoCommit) -> Chunk {
        let bytes = doc.save();
        let from = std::mem::replace(&mut self.inner.borrow_mut().saved, doc.get_heads());
        let key = vec![
            self.doc_id.clone(),
            "snapshot".to_owned(),
            chunk_hash(&bytes),
        ];
        let replaces = self
            .inner
            .borrow()
            .covered
            .iter()
            .filter(|k| **k != key)
            .cloned()
            .collect();
        Chunk {
            key,
            bytes,
            replaces,
            from,
        }
    }

    /// Writes a chunk; resolves once the browser committed it (then deletes what it replaces).
    /// If the write fails, the next chunk starts again from where this one started, so what it
    /// held is written by the next success (a retry, or the next change).
    pub async fn write(&self, chunk: Chunk) -> Result<(), StorageError> {
        if let Err(err) = self.put(&chunk.key, &chunk.bytes).await {
            let mut inner = self.inner.borrow_mut();
            inner.rewind = Some(match inner.rewind.take() {
                None => Rewind::To(chunk.from),
                Some(Rewind::To(heads)) if heads == chunk.from => Rewind::To(heads),
                Some(_) => Rewind::Snapshot,
            });
            return Err(err);
        }
        // The chunk is written: a chunk it replaces that cannot be deleted now is redundant,
        // not lost (the next snapshot tries again).
        let mut deleted = Vec::new();
        for old in chunk.replaces {
            let parts: Vec<&str> = old.iter().map(String::as_str).collect();
            match self.store.delete(&parts).await {
                Ok(()) => deleted.push(old),
                Err(err) => leptos::logging::warn!("moot: keeping a redundant chunk: {err}"),
            }
        }
        let mut inner = self.inner.borrow_mut();
        inner.covered.retain(|k| !deleted.contains(k));
        if chunk.key[1] == "snapshot" {
            inner.incrementals = 0;
        } else {
            inner.incrementals += 1;
        }
        inner.covered.insert(chunk.key);
        Ok(())
    }

    async fn put(&self, key: &[String], bytes: &[u8]) -> Result<(), StorageError> {
        let parts: Vec<&str> = key.iter().map(String::as_str).collect();
        self.store.put(&parts, bytes).await
    }
}
