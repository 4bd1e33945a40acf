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
    /// Largest WebSocket message accepted on /sync, in bytes; larger ones close that connection.
    #[arg(long, env = "MOOT_MAX_FRAME_BYTES", default_value_t = moot_sync::MAX_FRAME)]
    pub max_frame_bytes: usize,
    /// Most simultaneous /sync connections; more are refused with 503.
    #[arg(long, env = "MOOT_MAX_CONNECTIONS", default_value_t = 1024)]
    pub max_connections: usize,
    /// Seconds without a message after which a /sync connection is closed.
    #[arg(long, env = "MOOT_IDLE_TIMEOUT_SECS", default_value_t = 120)]
    pub idle_timeout_secs: u64,
}

impl Config {
    /// Loopback, the given folders, default limits: for tests and embedding.
    pub fn local(dist: PathBuf, data: PathBuf) -> Self {
        Self {
            listen: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
            data,
            dist,
            max_frame_bytes: moot_sync::MAX_FRAME,
            max_connections: 1024,
            idle_timeout_secs: 120,
        }
    }
}
