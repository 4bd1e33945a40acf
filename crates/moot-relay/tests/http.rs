//! The relay on a real socket (127.0.0.1:0): what it serves, and how it refuses to start.

use std::{net::SocketAddr, path::Path};

use clap::Parser;
use moot_relay::{Config, Error, Relay};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    sync::oneshot,
};

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A plain HTTP/1.1 GET; the relay closes the connection when asked to.
async fn get(addr: SocketAddr, path: &str) -> Response {
    let mut stream = TcpStream::connect(addr).await.expect("connect to relay");
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("header end");
    let head = String::from_utf8(raw[..split].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Response {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    }
}

fn dist_with_files(dir: &Path) {
    std::fs::write(dir.join("index.html"), "<!doctype html><title>moot</title>").unwrap();
    std::fs::write(
        dir.join("moot-0123456789abcdef_bg.wasm"),
        b"\0asm\x01\0\0\0",
    )
    .unwrap();
    std::fs::write(dir.join("sw.js"), "// worker").unwrap();
    std::fs::write(dir.join(".inputs"), "build stamp").unwrap();
    let outside = dir.parent().unwrap().join(format!(
        "outside-{}.txt",
        dir.file_name().unwrap().to_string_lossy()
    ));
    std::fs::write(&outside, "not part of the app").unwrap();
    let _ = std::fs::remove_file(dir.join("linked.txt"));
    std::os::unix::fs::symlink(&outside, dir.join("linked.txt")).unwrap();
}

fn config(dist: &Path, data: &Path, listen: &str) -> Config {
    Config::parse_from([
        "moot-relay",
        "--listen",
        listen,
        "--dist",
        dist.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
    ])
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("moot-relay-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Starts a relay and returns its address and the sender that stops it.
async fn running_relay(
    name: &str,
) -> (
    SocketAddr,
    oneshot::Sender<()>,
    tokio::task::JoinHandle<Result<(), Error>>,
) {
    let root = temp_dir(name);
    let dist = root.join("dist");
    std::fs::create_dir_all(&dist).unwrap();
    dist_with_files(&dist);
    let relay = Relay::start(config(&dist, &root.join("data"), "127.0.0.1:0"))
        .await
        .unwrap();
    let addr = relay.local_addr();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(relay.run_until(async {
        let _ = stopped.await;
    }));
    (addr, stop, task)
}

#[tokio::test]
async fn serves_app_with_types_caching_and_csp() {
    let (addr, stop, task) = running_relay("serve").await;

    let index = get(addr, "/").await;
    assert_eq!(index.status, 200);
    assert_eq!(
        index.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(index.header("cache-control"), Some("no-cache"));
    let csp = index.header("content-security-policy").expect("CSP header");
    assert!(
        csp.contains("default-src 'self'") && csp.contains("'wasm-unsafe-eval'"),
        "{csp}"
    );
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    // Connections only to the app's own origin and to relays, never to any web address.
    assert!(csp.contains("connect-src 'self' ws: wss:;"), "{csp}");
    assert!(!csp.contains("http:") && !csp.contains("https:"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(index.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(
        index.header("cross-origin-opener-policy"),
        Some("same-origin")
    );
    assert_eq!(index.body, b"<!doctype html><title>moot</title>");

    // A symlink in the app folder is not followed; errors carry the protective headers.
    let missing = get(addr, "/linked.txt").await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.header("x-content-type-options"), Some("nosniff"));
    assert!(missing.header("content-security-policy").is_some());
    assert_eq!(get(addr, "/.inputs").await.status, 400, "no dotfiles");

    let wasm = get(addr, "/moot-0123456789abcdef_bg.wasm").await;
    assert_eq!(wasm.status, 200);
    assert_eq!(wasm.header("content-type"), Some("application/wasm"));
    assert_eq!(
        wasm.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );

    let sw = get(addr, "/sw.js").await;
    assert_eq!(
        sw.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert_eq!(sw.header("cache-control"), Some("no-cache"));

    assert_eq!(get(addr, "/missing.js").await.status, 404);
    assert_eq!(get(addr, "/healthz").await.body, b"ok");
    let escape = get(addr, "/%2e%2e/%2e%2e/etc/passwd").await;
    assert!(
        escape.status == 400 || escape.status == 404,
        "status {}",
        escape.status
    );
    assert_eq!(get(addr, "/../../etc/passwd").await.status, 400);

    stop.send(()).unwrap();
    task.await.unwrap().expect("graceful shutdown");
}

#[tokio::test]
async fn busy_port_is_a_clear_error() {
    let (addr, stop, task) = running_relay("busy").await;
    let root = temp_dir("busy2");
    dist_with_files(&root);
    let err = match Relay::start(config(&root, &root.join("data"), &addr.to_string())).await {
        Err(err) => err,
        Ok(_) => panic!("a second relay bound a busy port"),
    };
    assert!(matches!(err, Error::Listen { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains(&format!("cannot listen on {addr}")),
        "{err}"
    );
    stop.send(()).unwrap();
    task.await.unwrap().unwrap();
}

#[tokio::test]
async fn missing_app_folder_is_a_clear_error() {
    let root = temp_dir("nodist");
    let err = Relay::start(config(
        &root.join("nope"),
        &root.join("data"),
        "127.0.0.1:0",
    ))
    .await
    .err()
    .expect("must refuse a missing app folder");
    assert!(
        err.to_string().starts_with("cannot read app folder"),
        "{err}"
    );

    let empty = root.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let err = Relay::start(config(&empty, &root.join("data"), "127.0.0.1:0"))
        .await
        .err()
        .unwrap();
    assert!(matches!(err, Error::NoIndex { .. }), "{err:?}");
}

#[tokio::test]
async fn unusable_data_folder_is_a_clear_error() {
    let root = temp_dir("nodata");
    dist_with_files(&root);
    // A data "folder" that is a file cannot hold documents.
    let file = root.join("not-a-dir");
    std::fs::write(&file, "x").unwrap();
    let err = Relay::start(config(&root, &file, "127.0.0.1:0"))
        .await
        .err()
        .unwrap();
    assert!(matches!(err, Error::DataDir { .. }), "{err:?}");
    assert!(
        err.to_string().starts_with("cannot use data folder"),
        "{err}"
    );
}

#[tokio::test]
async fn binary_prints_its_url_and_stops_cleanly_on_sigterm() {
    use tokio::io::AsyncBufReadExt;
    let root = temp_dir("binary");
    dist_with_files(&root);
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_moot-relay"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--header-read-timeout-secs",
            "600",
            "--dist",
        ])
        .arg(&root)
        .env("MOOT_DATA", root.join("data"))
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let line = tokio::time::timeout(std::time::Duration::from_secs(20), lines.next_line())
        .await
        .expect("the relay prints its URL within 20 s")
        .unwrap()
        .unwrap();
    let url = line
        .strip_prefix("moot is running at http://")
        .expect(&line)
        .trim_end_matches('/');
    let addr: SocketAddr = url.parse().unwrap();
    assert_eq!(get(addr, "/healthz").await.body, b"ok");
    assert!(root.join("data").is_dir(), "MOOT_DATA is honoured");
    // Half a request that will never finish must not hold the stop (audit H4).
    let mut half = tokio::net::TcpStream::connect(addr).await.unwrap();
    tokio::io::AsyncWriteExt::write_all(&mut half, b"GET / HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();

    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().unwrap().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = tokio::time::timeout(std::time::Duration::from_secs(20), child.wait())
        .await
        .expect("the relay exits within 20 s of SIGTERM")
        .unwrap();
    assert!(exit.success(), "graceful shutdown exits 0, got {exit}");
}
