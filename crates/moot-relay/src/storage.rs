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
    fn paths_follow_automerge_repo_layout() {
        assert_eq!(relative_path("3vLmfzZ6"), PathBuf::from("3v/LmfzZ6"));
        assert_eq!(relative_path("x"), PathBuf::from("x/"));
    }
}
