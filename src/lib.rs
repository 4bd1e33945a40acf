//! The moot app: a leptos (CSR) single-page app over the `moot-model` workspace document.
//!
//! Only this crate knows leptos and web-sys. `app` is the shell and router, `pages` one module
//! per route, `components` shared pieces, `storage` the IndexedDB layer.

mod app;
mod browser;
mod components;
mod pages;
pub mod state;
pub mod storage;
mod sync;

pub use app::App;
