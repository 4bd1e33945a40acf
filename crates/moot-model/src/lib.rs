//! The moot workspace document: one automerge document holding a governance group's work
//! sessions, the documents under review with their anchored comment threads, and member
//! proposals — with every operation on it, as pure Rust with no I/O.
//!
//! Callers pass in who acts and when ([`Ctx`]) and a seed for ids; the crate reads no clock,
//! no randomness and no files, so it runs the same in the browser, the relay and tests.
//!
//! ```
//! use moot_model::{Ctx, Workspace};
//!
//! let me = Ctx::new("ada", "2025-12-20T14:00:00Z");
//! let mut ws = Workspace::create(me, "IOPA Governance", "Ada", 42).unwrap();
//! let draft = ws.documents().unwrap()[0].id.clone();
//! ws.replace_text(me, &draft, "Be kind. Be open.").unwrap();
//! let thread = ws.add_comment(me, &draft, 0, 8, "Who decides what kind means?", &[]).unwrap();
//!
//! // Someone edits before the passage: the thread stays on "Be kind.".
//! ws.splice_text(me, &draft, 0, 0, "Rule one: ").unwrap();
//! let view = &ws.threads(&draft).unwrap()[0];
//! assert_eq!(view.thread.id, thread);
//! assert_eq!(view.placement, moot_model::Placement::Anchored { start: 10, end: 18 });
//!
//! let bytes = ws.save();
//! let reopened = Workspace::load(&bytes, 7).unwrap();
//! assert_eq!(reopened.state().unwrap(), ws.state().unwrap());
//! ```

mod acts;
mod agenda;
mod at;
pub mod decisions;
mod defaults;
mod demo;
mod error;
mod exchange;
mod export;
pub mod fixtures;
pub mod history;
mod membership;
mod migrate;
pub mod news;
mod review;
pub mod roster;
pub mod schema;
pub mod search;
mod sessions;
pub mod tally;
pub mod time;
mod tolerant;
pub mod trust;
mod workspace;
mod workstreams;

pub use agenda::MAX_DEPTH as AGENDA_MAX_DEPTH;
pub use decisions::{DecisionView, NewDecision};
pub use defaults::OPERATIONAL_QUESTION;
pub use demo::{ANDREW, ANNA, CODE_OF_CONDUCT, DEMO_SESSION_START, demo_workspace};
pub use error::ModelError;
pub use exchange::ImportReport;
pub use membership::{Membership, ProposalView, Status, derive as derive_membership};
pub use review::{Placement, TextEdit, ThreadView};
pub use sessions::Move;
pub use workspace::{Ctx, SCHEMA_VERSION, Workspace};
