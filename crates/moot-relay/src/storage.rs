//! The relay's document storage: automerge-repo's filesystem layout (so existing data folders
//! and automerge-repo-storage-nodefs read the same files), written so that a word a client
//! sent is never dropped quietly.
//!
//! samod's own filesystem storage writes with `tokio::fs::write` (no temporary file, no fsync)
//! and discards the error. Here each chunk is written to a temporary file, fsynced, renamed
//! into place and its folder fsynced: a crash leaves the old file or the new one, never half of
//! one. A write that fails (disk full, I/O error) is retried, with a growing pause, until it
//! succeeds; meanwhile `/healthz` fails and the log says so. samod's `Storage::put` cannot
//! return an error, so holding the write is the only way not to pretend it succeeded. Only
//! when the relay stops does a write give up, with an error in the log naming the chunk.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering},
    },
    time::Duration,
};

use samod::storage::{Storage, StorageKey, TokioFilesystemStorage};

/// First pause before retrying a failed write; it doubles up to [`RETRY_MAX`].
const RETRY_FIRST: Duration = Duration::from_millis(100);
const RETRY_MAX: Duration = Duration::from_secs(5);

/// What `/healthz` and `/metrics` read about storage.
#[derive(Debug, Default)]
pub(crate) struct StorageHealth {
    /// Writes that failed and are waiting to be retried.
    pub(crate) failing: AtomicUsize,
    /// Reads waiting for the database to answer again (PostgreSQL storage).
    pub(crate) reads_failing: AtomicUsize,
    /// Write attempts that failed since the relay started.
    pub(crate) failures: AtomicU64,
    /// Set when the relay stops: a failing write then gives up instead of holding shutdown.
    pub(crate) stopping: AtomicBool,
}

#[derive(Clone)]
pub(crate) struct DurableStorage {
    root: PathBuf,
    temp: PathBuf,
    reads: TokioFilesystemStorage,
    health: Arc<StorageHealth>,
}

impl DurableStorage {
    /// Documents live under `root`; temporary files under `temp`, which must be on the same
    /// filesystem (a rename is atomic only within one).
    pub(crate) fn new(root: PathBuf, temp: PathBuf, health: Arc<StorageHealth>) -> Self {
        Self {
            reads: TokioFilesystemStorage::new(&root),
            root,
            temp,
            health,
        }
    }

    fn path_of(&self, key: &StorageKey) -> PathBuf {
        let mut parts = key.into_iter();
        let mut path = self
            .root
            .join(relative_path(parts.next().map_or("", |p| p.as_str())));
        path.extend(parts);
        path
    }
}

/// automerge-repo's layout for a key's first part (a document id): split after two
/// characters, `3v/LmfzZ6…`.
pub(crate) fn relative_path(first: &str) -> PathBuf {
    let split = first
        .char_indices()
        .nth(2)
        .map_or(first.len(), |(at, _)| at);
    let mut path = PathBuf::from(&first[..split]);
    path.push(&first[split..]);
    path
}

/// Writes `data` to `path` atomically and durably (see the module docs).
fn write_atomically(temp_dir: &Path, path: &Path, data: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let parent = path
        .parent()
        .ok_or_else(|| std::io::Error::other("a chunk path has no folder"))?;
    std::fs::create_dir_all(parent)?;
    std::fs::create_dir_all(temp_dir)?;
    let temp = temp_dir.join(format!(
        "{}-{}.tmp",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let written = (|| {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(data)?;
        file.sync_all()?;
        std::fs::rename(&temp, path)?;
        std::fs::File::open(parent)?.sync_all()
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written
}

impl Storage for DurableStorage {
    fn load(&self, key: StorageKey) -> impl Future<Output = Option<Vec<u8>>> + Send {
        self.reads.load(key)
    }

    fn load_range(
        &self,
        prefix: StorageKey,
    ) -> impl Future<Output = HashMap<StorageKey, Vec<u8>>> + Send {
        self.reads.load_range(prefix)
    }

    fn put(&self, key: StorageKey, data: Vec<u8>) -> impl Future<Output = ()> + Send {
        let path = self.path_of(&key);
        let temp = self.temp.clone();
        let health = self.health.clone();
        async move {
            let data = Arc::new(data);
            let mut pause = RETRY_FIRST;
            let mut counted = false;
            loop {
                let (temp, path2, bytes) = (temp.clone(), path.clone(), data.clone());
                let result =
                    tokio::task::spawn_blocking(move || write_atomically(&temp, &path2, &bytes))
                        .await
                        .unwrap_or_else(|e| Err(std::io::Error::other(e)));
                let Err(err) = result else { break };
                health.failures.fetch_add(1, Ordering::Relaxed);
                if !counted {
                    counted = true;
                    health.failing.fetch_add(1, Ordering::SeqCst);
                }
                if health.stopping.load(Ordering::SeqCst) {
                    tracing::error!(path = %path.display(), %err, "relay stopping: a document chunk could not be stored");
                    break;
                }
                tracing::error!(path = %path.display(), %err, retry_in = ?pause, "cannot store a document chunk; holding it and retrying");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(RETRY_MAX);
            }
            if counted {
                health.failing.fetch_sub(1, Ordering::SeqCst);
            }
        }
    }

    fn delete(&self, key: StorageKey) -> impl Future<Output = ()> + Send {
        let path = self.path_of(&key);
        async move {
            match tokio::fs::remove_file(&path).await {
                Ok(()) => {}
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
                // A chunk that stays is redundant (compaction wrote its contents), not lost.
                Err(err) => {
                    tracing::warn!(path = %path.display(), %err, "cannot delete a compacted chunk")
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_automerge_repo_layout() {
        let storage = DurableStorage::new("/d".into(), "/t".into(), Default::default());
        let key = StorageKey::from_parts(["3vLmfzZ6", "incremental", "abc"]).unwrap();
        assert_eq!(
            storage.path_of(&key),
            PathBuf::from("/d/3v/LmfzZ6/incremental/abc")
        );
        let short = StorageKey::from_parts(["x"]).unwrap();
        assert_eq!(storage.path_of(&short), PathBuf::from("/d/x/"));
    }
}
