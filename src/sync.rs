//! Syncing the open workspace with other peers. `relay` is the WebSocket transport to an
//! automerge-repo relay; the protocol itself is `moot-sync` (sans-IO), shared with the relay's
//! tests and the load generator.

pub mod relay;

pub use relay::{SyncHub, SyncStatus};
