//! What the relay's document storages share: their health (read by `/healthz` and
//! `/metrics`) and automerge-repo's folder layout for a document id. The storages themselves:
//! [`crate::log_storage`] (the default, under `--data`) and [`crate::postgres`]
//! (`--database-url`). samod's own filesystem storage writes with `tokio::fs::write` (no
//! temporary file, no fsync) and discards the error; samod's `Storage::put` cannot return an
//! error, so both of moot's hold a failing write and retry it rather than pretend it succeeded.

use std::{
    path::PathBuf,
    sync::atomic::{AtomicBool, AtomicU64, AtomicUsize},
};

use samod::storage::StorageKey;
use tokio::sync::oneshot;

/// A write for a storage's writer: stored (or deleted) before `done` is sent.
pub(crate) struct Queued {
    pub(crate) doc: String,
    pub(crate) key: String,
    pub(crate) op: Op,
    pub(crate) done: oneshot::Sender<()>,
}

pub(crate) enum Op {
    Put(Vec<u8>),
    Delete,
}

/// Hands a write to a writer (`send` says whether it took it); [`Stored::wait`] resolves once
/// it is stored: what samod's `put`/`delete` return.
pub(crate) fn queue(key: &StorageKey, op: Op, send: impl FnOnce(Queued) -> bool) -> Stored {
    let (doc, key) = split(key);
    let (done, stored) = oneshot::channel();
    Stored(send(Queued { doc, key, op, done }).then_some(stored))
}

pub(crate) struct Stored(Option<oneshot::Receiver<()>>);

impl Stored {
    pub(crate) async fn wait(self) {
        if let Some(stored) = self.0 {
            let _ = stored.await;
        }
    }
}

/// A storage key as `(doc, rest of the key joined by '/')`.
pub(crate) fn split(key: &StorageKey) -> (String, String) {
    let mut parts = key.into_iter();
    let doc = parts.next().cloned().unwrap_or_default();
    let rest: Vec<&str> = parts.map(String::as_str).collect();
    (doc, rest.join("/"))
}

/// [`split`] undone.
pub(crate) fn join(doc: &str, key: &str) -> Option<StorageKey> {
    let parts = std::iter::once(doc).chain(key.split('/').filter(|p| !p.is_empty()));
    StorageKey::from_parts(parts).ok()
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_split_and_join_back() {
        let key = StorageKey::from_parts(["3vLmfzZ6", "incremental", "abc"]).unwrap();
        let (doc, rest) = split(&key);
        assert_eq!(
            (doc.as_str(), rest.as_str()),
            ("3vLmfzZ6", "incremental/abc")
        );
        assert_eq!(join(&doc, &rest), Some(key));
        let single = StorageKey::from_parts(["storage-adapter-id"]).unwrap();
        let (doc, rest) = split(&single);
        assert_eq!(rest, "");
        assert_eq!(join(&doc, &rest), Some(single));
    }

    #[test]
    fn paths_follow_automerge_repo_layout() {
        assert_eq!(relative_path("3vLmfzZ6"), PathBuf::from("3v/LmfzZ6"));
        assert_eq!(relative_path("x"), PathBuf::from("x/"));
    }
}
