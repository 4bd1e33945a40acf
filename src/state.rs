//! App state shared by pages: who I am, which workspace is open, whether it is saved.

pub mod identity;
pub mod keys;
pub mod session;
pub mod workspaces;

pub use identity::Identity;
pub use session::{SaveState, Session};
