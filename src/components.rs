//! Pieces shared by several pages.

mod save_status;
mod sync_status;

pub use save_status::SaveStatus;
pub use sync_status::SyncStatus;
