//! `moot-relay`: parse the configuration, start the relay, wait for SIGINT/SIGTERM.

use clap::Parser;
use moot_relay::{Config, Relay};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "moot_relay=info".into()),
        )
        .init();
    let config = Config::parse();
    let relay = match Relay::start(config).await {
        Ok(relay) => relay,
        Err(err) => {
            eprintln!("moot-relay: {err}");
            return std::process::ExitCode::FAILURE;
        }
    };
    println!("moot is running at http://{}/", relay.local_addr());
    match relay.run_until(moot_relay::shutdown_signal()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("moot-relay: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}
