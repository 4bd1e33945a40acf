//! Pieces shared by several pages.

mod sync_status;

pub use sync_status::SyncStatus;
