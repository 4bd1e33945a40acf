//! One module per route.

pub mod agenda;
pub mod coc;
pub mod decisions;
pub mod history;
pub mod members;
pub mod start;
pub mod versions;
pub mod workstreams;
