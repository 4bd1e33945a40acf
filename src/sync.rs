//! Syncing the open workspace with other peers. `relay` is the WebSocket transport to an
//! automerge-repo relay; the protocol itself is `moot-sync` (sans-IO), shared with the relay's
//! tests and the load generator; `tabs` syncs tabs of one browser over a BroadcastChannel.

mod presence;
pub mod relay;
mod tabs;

pub use presence::{ANNOUNCE_MS, Here};
pub use relay::{SyncHub, SyncStatus};
pub use tabs::Tabs;
