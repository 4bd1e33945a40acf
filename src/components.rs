//! Pieces shared by several pages.

pub mod exchange;
mod save_status;
mod share;
mod sync_status;

pub use save_status::SaveStatus;
pub use share::ShareBox;
pub use sync_status::SyncStatus;
