//! The relay's configuration: command-line flags, each with an environment variable.

use std::{net::SocketAddr, path::PathBuf};

/// moot-relay: serves the moot app and syncs its workspaces.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "moot-relay", version, about)]
pub struct Config {
    /// Address to listen on (keep it on loopback unless you mean to share it).
    #[arg(long, env = "MOOT_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Folder where the relay stores workspace documents (created if missing).
    #[arg(long, env = "MOOT_DATA", default_value = "moot-data")]
    pub data: PathBuf,
    /// Folder holding the built app (index.html, wasm, js, css).
    #[arg(long, env = "MOOT_DIST", default_value = "target/dist")]
    pub dist: PathBuf,
}
