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
    /// Store documents in this PostgreSQL database instead of under `--data` (e.g.
    /// `postgresql://moot@127.0.0.1/moot`). Several relays on one database serve the same
    /// documents, live. Private workspaces' sealed logs stay under `--data`.
    #[arg(long, env = "MOOT_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Keep documents in memory only: nothing survives the relay's exit (for measurements).
    #[arg(long, env = "MOOT_IN_MEMORY", conflicts_with = "database_url")]
    pub in_memory: bool,
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
    /// Seconds a client has to send a request's headers (a slow sender is dropped).
    #[arg(long, env = "MOOT_HEADER_READ_TIMEOUT_SECS", default_value_t = 10)]
    pub header_read_timeout_secs: u64,
    /// Seconds a /sync client may leave the relay's messages unread before it is dropped (its
    /// queue would otherwise grow with every message for it).
    #[arg(long, env = "MOOT_SEND_TIMEOUT_SECS", default_value_t = 30)]
    pub send_timeout_secs: u64,
    /// Most simultaneous connections (HTTP and /sync) from one client address; more are
    /// closed at once. Behind a reverse proxy every client has the proxy's address: raise it.
    #[arg(long, env = "MOOT_MAX_CONNECTIONS_PER_ADDRESS", default_value_t = 64)]
    pub max_connections_per_address: usize,
    /// Most documents this relay does not have yet that one /sync connection may ask for
    /// (each is kept in memory and on disk); more close that connection.
    #[arg(
        long,
        env = "MOOT_MAX_NEW_DOCUMENTS_PER_CONNECTION",
        default_value_t = 16
    )]
    pub max_new_documents_per_connection: usize,
    /// Most such new documents one client address may ask for per hour.
    #[arg(
        long,
        env = "MOOT_MAX_NEW_DOCUMENTS_PER_ADDRESS",
        default_value_t = 256
    )]
    pub max_new_documents_per_address: usize,
    /// Most bytes of sealed envelopes and snapshots one private workspace may hold here.
    #[arg(long, env = "MOOT_MAX_SEALED_BYTES", default_value_t = 256 * 1024 * 1024)]
    pub max_sealed_bytes: usize,
    /// A web origin whose pages may open /sync besides the relay's own and loopback (e.g.
    /// `https://moot.example.org`, where a static copy of the app is hosted). Repeatable.
    #[arg(
        long = "allow-origin",
        env = "MOOT_ALLOW_ORIGIN",
        value_delimiter = ','
    )]
    pub allow_origins: Vec<String>,
}

impl Config {
    /// Loopback, the given folders, default limits: for tests and embedding.
    pub fn local(dist: PathBuf, data: PathBuf) -> Self {
        Self {
            listen: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
            data,
            database_url: None,
            in_memory: false,
            dist,
            max_frame_bytes: moot_sync::MAX_FRAME,
            max_connections: 1024,
            idle_timeout_secs: 120,
            header_read_timeout_secs: 10,
            send_timeout_secs: 30,
            max_connections_per_address: 64,
            max_new_documents_per_connection: 16,
            max_new_documents_per_address: 256,
            allow_origins: Vec::new(),
            max_sealed_bytes: 256 * 1024 * 1024,
        }
    }
}
