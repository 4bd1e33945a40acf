//! Pieces shared by several pages.

mod direct;
pub mod exchange;
pub mod news;
mod save_status;
pub mod search;
pub mod share;
mod sync_status;

pub use direct::DirectBox;
pub use news::{NewsBox, WhatsNew};
pub use save_status::SaveStatus;
pub use search::SearchBox;
pub use share::ShareBox;
pub use sync_status::SyncStatus;
