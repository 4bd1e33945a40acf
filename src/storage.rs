//! Local persistence. Workspaces are stored in IndexedDB in automerge-repo's layout, so the
//! data survives reloads and is readable by automerge-repo's own IndexedDB adapter.

pub mod idb;
mod repo;

pub use idb::{ChunkStore, StorageError};
pub use repo::{Chunk, DocStorage, Loaded};
