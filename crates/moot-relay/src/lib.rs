//! moot's optional relay: one binary that serves the built app and, at `/sync`, the
//! automerge-repo endpoint (samod, documents stored under `--data`); at `/sealed`, private
//! workspaces' sealed logs, which it checks and serves without reading; with `/healthz` and
//! `/metrics` (JSON: connections, peers, documents).
//!
//! The relay never reads the workspace schema: to it a workspace is an opaque automerge
//! document. It is the only part of moot that knows tokio and axum.
//!
//! ```no_run
//! # async fn demo() -> Result<(), moot_relay::Error> {
//! use clap::Parser;
//! let config = moot_relay::Config::parse_from(["moot-relay", "--listen", "127.0.0.1:0"]);
//! let relay = moot_relay::Relay::start(config).await?;
//! println!("serving on {}", relay.local_addr());
//! relay.run_until(moot_relay::shutdown_signal()).await
//! # }
//! ```

mod config;
mod limits;
mod log_storage;
mod postgres;
mod sealed;
mod static_files;
mod storage;
mod sync;
mod throwaway;

use std::{future::Future, net::SocketAddr, path::PathBuf, sync::Arc};

use axum::{Router, routing::get};
use tokio::net::TcpListener;

pub use config::Config;
pub use throwaway::ThrowawayPostgres;

/// Everything that stops the relay from starting or serving, each with the cause a person needs.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "cannot listen on {addr}: {source} (is another moot-relay or program using that port? pick another with --listen)"
    )]
    Listen {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot use data folder {path}: {source}")]
    DataDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read app folder {path}: {source} (build the app first: cargo xtask run)")]
    DistDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("app folder {path} has no index.html (build the app first: cargo xtask run)")]
    NoIndex { path: PathBuf },
    #[error("server failed: {0}")]
    Serve(#[source] std::io::Error),
    #[error("database: {0}")]
    Database(#[from] postgres::PgError),
    #[error("the sync engine stopped unexpectedly")]
    SyncStopped,
}

/// Shared state of the HTTP handlers.
pub(crate) struct AppState {
    /// Open TCP connections per client address.
    pub(crate) connections: Arc<limits::PerAddress>,
    /// Header bytes must arrive within this long of a request's start (slowloris).
    pub(crate) header_read_timeout: std::time::Duration,
    pub(crate) dist: PathBuf,
    pub(crate) sync: sync::SyncState,
    pub(crate) sealed: sealed::SealedState,
}

/// A relay bound to its socket, ready to serve.
pub struct Relay {
    listener: TcpListener,
    router: Router,
    local_addr: SocketAddr,
    state: Arc<AppState>,
}

impl Relay {
    /// Checks the folders, binds the socket and builds the routes. Every failure is a clear
    /// [`Error`]; nothing is served until all checks pass.
    pub async fn start(config: Config) -> Result<Self, Error> {
        let dist = check_dist(&config.dist).await?;
        check_data(&config.data).await?;
        let listener = TcpListener::bind(config.listen)
            .await
            .map_err(|source| Error::Listen {
                addr: config.listen,
                source,
            })?;
        let local_addr = listener.local_addr().map_err(|source| Error::Listen {
            addr: config.listen,
            source,
        })?;
        let sync = sync::start(&config).await?;
        let sealed = sealed::SealedState::new(&config.data, config.max_sealed_bytes)
            .await
            .map_err(|source| Error::DataDir {
                path: config.data.clone(),
                source,
            })?;
        let state = Arc::new(AppState {
            connections: limits::PerAddress::new(config.max_connections_per_address.max(1)),
            header_read_timeout: std::time::Duration::from_secs(
                config.header_read_timeout_secs.max(1),
            ),
            dist,
            sync,
            sealed,
        });
        tracing::info!(%local_addr, dist = %state.dist.display(), data = %config.data.display(), "relay started");
        Ok(Self {
            listener,
            router: router(state.clone()),
            local_addr,
            state,
        })
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Serves until `shutdown` resolves, then closes sync connections and waits for storage
    /// writes to finish, so nothing acknowledged is lost.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), Error> {
        let (stop_sync, sync_stopped) = tokio::sync::oneshot::channel::<()>();
        let state = self.state.clone();
        let shutdown = async move {
            shutdown.await;
            // WebSocket connections never end by themselves: close them so serving can stop.
            state.sync.acceptor.close();
            state.sealed.stop();
            let _ = stop_sync.send(());
        };
        let served = serve(self.listener, self.router, &self.state, shutdown).await;
        let _ = sync_stopped.await;
        // A write that keeps failing gives up now rather than hold the stop forever.
        self.state
            .sync
            .storage
            .stopping
            .store(true, std::sync::atomic::Ordering::SeqCst);
        self.state.sync.repo.stop().await;
        served?;
        tracing::info!("relay stopped");
        Ok(())
    }
}

/// After the stop signal, connections get this long to finish before they are dropped (a
/// half-sent request must not hold the stop forever).
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// The peer address of the TCP connection a request came on.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PeerAddr(pub(crate) std::net::IpAddr);

/// HTTP/1.1 with a header-read deadline, at most so many connections per address, each
/// request tagged with its [`PeerAddr`]; stops accepting on `shutdown` and waits at most
/// [`SHUTDOWN_GRACE`] for open connections.
async fn serve(
    listener: TcpListener,
    router: Router,
    state: &AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Error> {
    let (per_address, header_read_timeout) = (&state.connections, state.header_read_timeout);
    use tower::ServiceExt;
    let (stopping, stop_signal) = tokio::sync::watch::channel(false);
    let mut open = tokio::task::JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        while open.try_join_next().is_some() {}
        let (tcp, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors, say: keep serving who is connected.
                    tracing::warn!(%err, "cannot accept a connection");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Some(slot) = per_address.take(peer.ip()) else {
            tracing::warn!(address = %peer.ip(), "refusing a connection: too many from that address");
            continue;
        };
        // Sync frames are small and latency-bound: send each at once (no Nagle delay waiting
        // for the peer's delayed ACK, which showed as a 40 ms tail on edit → remote receive).
        if let Err(err) = tcp.set_nodelay(true) {
            tracing::debug!("cannot set TCP_NODELAY: {err}");
        }
        let router = router.clone();
        let service = hyper::service::service_fn(
            move |mut request: hyper::Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(PeerAddr(peer.ip()));
                router.clone().oneshot(request)
            },
        );
        let mut stop_signal = stop_signal.clone();
        open.spawn(async move {
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(header_read_timeout)
                .serve_connection(hyper_util::rt::TokioIo::new(tcp), service)
                .with_upgrades();
            let mut connection = std::pin::pin!(connection);
            let ended = tokio::select! {
                ended = connection.as_mut() => ended,
                _ = async { let _ = stop_signal.wait_for(|stop| *stop).await; } => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(err) = ended {
                tracing::debug!(%err, "connection ended with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    let _ = stopping.send(true);
    let finished = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while open.join_next().await.is_some() {}
    });
    if finished.await.is_err() {
        tracing::warn!(grace = ?SHUTDOWN_GRACE, "dropping connections that did not finish in time");
        open.abort_all();
    }
    Ok(())
}

fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/sync", get(sync::upgrade))
        .route("/sealed", get(sealed::upgrade))
        .route("/metrics", get(sync::stats))
        .fallback(get(static_files::serve))
        .with_state(state)
}

/// `ok`, or 503 with the reason sync is not healthy (storage failing, samod stuck).
async fn healthz(
    axum::extract::State(state): axum::extract::State<Arc<AppState>>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    match state.sync.trouble().await {
        None => "ok".into_response(),
        Some(why) => {
            tracing::warn!(%why, "health check failing");
            (
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                format!("{why}\n"),
            )
                .into_response()
        }
    }
}

async fn check_dist(path: &std::path::Path) -> Result<PathBuf, Error> {
    let dist = tokio::fs::canonicalize(path)
        .await
        .map_err(|source| Error::DistDir {
            path: path.to_owned(),
            source,
        })?;
    let _listing = tokio::fs::read_dir(&dist)
        .await
        .map_err(|source| Error::DistDir {
            path: path.to_owned(),
            source,
        })?;
    if !tokio::fs::try_exists(dist.join("index.html"))
        .await
        .unwrap_or(false)
    {
        return Err(Error::NoIndex {
            path: path.to_owned(),
        });
    }
    Ok(dist)
}

/// The data folder must exist (it is created) and be writable: a relay that accepts edits it
/// cannot store would lose words.
async fn check_data(path: &std::path::Path) -> Result<(), Error> {
    let fail = |source| Error::DataDir {
        path: path.to_owned(),
        source,
    };
    tokio::fs::create_dir_all(path).await.map_err(fail)?;
    let probe = path.join(".moot-write-check");
    tokio::fs::write(&probe, b"ok").await.map_err(fail)?;
    tokio::fs::remove_file(&probe).await.map_err(fail)?;
    Ok(())
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("SIGINT received, shutting down"),
        () = term => tracing::info!("SIGTERM received, shutting down"),
    }
}
