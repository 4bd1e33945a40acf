//! Browser test harness: the real relay on 127.0.0.1:0 serving the built app, chromedriver in
//! its own process group (killed with all its browsers when the harness drops, pass or fail),
//! and one fresh Chromium profile per browser.

#![allow(dead_code)] // each test file uses a different part of the harness

pub mod netns;
pub mod pages;

use std::{
    net::{SocketAddr, TcpListener, TcpStream},
    os::unix::process::CommandExt,
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use tokio::sync::oneshot;

pub const DEADLINE: Duration = Duration::from_secs(20);

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A unique scratch folder under target/, removed when the harness drops.
fn scratch(tag: &str) -> PathBuf {
    static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = root()
        .join("target/e2e")
        .join(format!("{tag}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The file with extension `ext` in `dir`, if one is there (a browser's downloads folder).
pub fn downloaded(dir: &std::path::Path, ext: &str) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == ext))
}

/// Waits until `addr` accepts TCP connections.
fn wait_for_listener(addr: SocketAddr, what: &str) {
    let start = Instant::now();
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        assert!(
            start.elapsed() < DEADLINE,
            "{what} did not start listening on {addr} within {DEADLINE:?}"
        );
        std::thread::yield_now();
        std::thread::park_timeout(Duration::from_millis(50));
    }
}

/// Where `cargo xtask test` built the app: `MOOT_DIST`, else target/dist.
fn built_app() -> PathBuf {
    std::env::var_os("MOOT_DIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/dist"))
}

pub struct Harness {
    pub base_url: String,
    relay_addr: SocketAddr,
    dist: PathBuf,
    stop_relay: Option<oneshot::Sender<()>>,
    relay_task: Option<tokio::task::JoinHandle<Result<(), moot_relay::Error>>>,
    driver: Child,
    driver_url: String,
    scratch: PathBuf,
    /// Session ids of browsers whose console has not been checked by [`Self::close`] yet.
    unchecked: std::sync::Mutex<Vec<String>>,
    /// Whether the test stopped the relay at some point (the browsers then rightly report
    /// failed connections to it).
    relay_was_stopped: bool,
    /// What the test changed in the relay's configuration (kept across restarts).
    configure: fn(&mut moot_relay::Config),
}

impl Harness {
    /// Starts the relay on the built app (`MOOT_DIST`, else target/dist) and chromedriver.
    pub async fn start() -> Self {
        Self::start_serving(built_app(), scratch("harness"), |_| {}).await
    }

    /// Like [`Self::start`], with the relay configured by `configure` (a short idle timeout,
    /// say).
    pub async fn start_configured(configure: fn(&mut moot_relay::Config)) -> Self {
        Self::start_serving(built_app(), scratch("harness"), configure).await
    }

    /// Like [`Self::start`] on a copy of the built app that the test may change (redeploy):
    /// [`Self::dist`].
    pub async fn start_on_a_copy_of_the_app() -> Self {
        let scratch = scratch("harness");
        let dist = scratch.join("dist");
        std::fs::create_dir_all(&dist).unwrap();
        for entry in std::fs::read_dir(built_app()).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), dist.join(entry.file_name())).unwrap();
        }
        Self::start_serving(dist, scratch, |_| {}).await
    }

    /// The relay's data folder (what it stores, as it would be on disk).
    pub fn relay_data(&self) -> PathBuf {
        self.scratch.join("relay-data")
    }

    /// The folder of app files the relay serves.
    pub fn dist(&self) -> &std::path::Path {
        &self.dist
    }

    async fn start_serving(
        dist: PathBuf,
        scratch: PathBuf,
        configure: fn(&mut moot_relay::Config),
    ) -> Self {
        assert!(
            dist.join("index.html").exists(),
            "no built app in {} — run the browser tests through `cargo xtask test`",
            dist.display()
        );
        let mut config = moot_relay::Config::local(dist.clone(), scratch.join("relay-data"));
        configure(&mut config);
        let relay = moot_relay::Relay::start(config)
            .await
            .expect("relay starts");
        let relay_addr = relay.local_addr();
        let (stop, stopped) = oneshot::channel::<()>();
        let relay_task = tokio::spawn(relay.run_until(async {
            let _ = stopped.await;
        }));

        let chromedriver =
            std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let port = free_port();
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start {chromedriver}: {e} (run `cargo xtask test`, which installs it)"
                )
            });
        wait_for_listener(SocketAddr::from(([127, 0, 0, 1], port)), "chromedriver");

        Self {
            base_url: format!("http://{relay_addr}/"),
            relay_addr,
            dist,
            stop_relay: Some(stop),
            relay_task: Some(relay_task),
            driver,
            driver_url: format!("http://127.0.0.1:{port}"),
            scratch,
            unchecked: Default::default(),
            relay_was_stopped: false,
            configure,
        }
    }

    /// Stops the relay (gracefully): the network is gone for the browsers.
    /// A scratch folder of this harness (removed when it drops).
    pub fn scratch_dir(&self, name: &str) -> PathBuf {
        let dir = self.scratch.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    pub async fn stop_relay(&mut self) {
        self.relay_was_stopped = true;
        if let Some(stop) = self.stop_relay.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.relay_task.take() {
            tokio::time::timeout(DEADLINE, task)
                .await
                .expect("relay stops")
                .unwrap()
                .unwrap();
        }
        assert!(
            TcpStream::connect_timeout(&self.relay_addr, Duration::from_millis(200)).is_err(),
            "relay still answers"
        );
    }

    /// Starts the relay again on the same address and data folder (documents survive).
    pub async fn restart_relay(&mut self) {
        let mut config =
            moot_relay::Config::local(self.dist.clone(), self.scratch.join("relay-data"));
        config.listen = self.relay_addr;
        (self.configure)(&mut config);
        let relay = moot_relay::Relay::start(config)
            .await
            .expect("relay restarts on the same port");
        let (stop, stopped) = oneshot::channel::<()>();
        self.relay_task = Some(tokio::spawn(relay.run_until(async {
            let _ = stopped.await;
        })));
        self.stop_relay = Some(stop);
    }

    /// A new headless Chromium with its own empty profile.
    pub async fn browser(&self) -> Client {
        let downloads = self.scratch.join(format!("downloads-{}", free_port()));
        self.browser_downloading_to(&downloads).await
    }

    /// A new headless Chromium whose downloads land in `downloads`.
    pub async fn browser_downloading_to(&self, downloads: &std::path::Path) -> Client {
        self.browser_with(downloads, false).await
    }

    /// A new headless Chromium whose person allowed the app's system notifications.
    pub async fn browser_allowing_notifications(&self) -> Client {
        let downloads = self.scratch.join(format!("downloads-{}", free_port()));
        self.browser_with(&downloads, true).await
    }

    async fn browser_with(&self, downloads: &std::path::Path, notifications: bool) -> Client {
        std::fs::create_dir_all(downloads).unwrap();
        let profile = self.scratch.join(format!("profile-{}", free_port()));
        std::fs::create_dir_all(&profile).unwrap();
        // WebRTC: literal host candidates inside a test's own network namespace; outside one,
        // no UDP at all (the profile's IP handling policy), so no test ever links over the
        // machine's real interfaces.
        let udp = if netns::inside() {
            "default"
        } else {
            "disable_non_proxied_udp"
        };
        let caps = serde_json::json!({
            "goog:loggingPrefs": { "browser": "ALL" },
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--window-size=1280,900",
                    "--disable-features=WebRtcHideLocalIpsWithMdns",
                    format!("--user-data-dir={}", profile.display()),
                ],
                "prefs": { "download.default_directory": downloads.display().to_string(), "download.prompt_for_download": false,
                    "webrtc.ip_handling_policy": udp }
            }
        });
        let mut caps = caps;
        if notifications {
            // As if the person had answered "Allow" (1) to the app's question.
            caps["goog:chromeOptions"]["prefs"]["profile.default_content_setting_values.notifications"] =
                1.into();
        }
        let caps: serde_json::Map<String, serde_json::Value> =
            caps.as_object().unwrap().clone().into_iter().collect();
        // chromedriver can reset the first connections while it starts under load: retry
        // those, and a Chromium that exits while starting, until the deadline, yielding in
        // between; any other refused session fails the test.
        let deadline = Instant::now() + DEADLINE;
        let client = loop {
            let attempt = ClientBuilder::new(HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&self.driver_url)
                .await;
            match attempt {
                Ok(client) => break client,
                Err(fantoccini::error::NewSessionError::FailedC(e))
                    if Instant::now() < deadline =>
                {
                    eprintln!("chromedriver not ready ({e}); trying again");
                    tokio::task::yield_now().await;
                }
                // Chromium sometimes exits while starting on a loaded machine (seen in CI:
                // "Chrome instance exited"); a fresh attempt starts a fresh one.
                Err(fantoccini::error::NewSessionError::SessionNotCreated(e))
                    if e.message.contains("exited") && Instant::now() < deadline =>
                {
                    eprintln!(
                        "chromium exited while starting ({}); trying again",
                        e.message
                    );
                    tokio::task::yield_now().await;
                }
                Err(e) => panic!("chromedriver opens a browser session: {e:?}"),
            }
        };
        let id = client.session_id().await.unwrap().expect("a session id");
        self.unchecked.lock().unwrap().push(id);
        client
    }

    /// Fails the test on anything the browser reported since the last check: a console error,
    /// an uncaught exception or rejected promise, a CSP violation, a failed load. While the
    /// test has stopped the relay, failed connections to the relay's address are expected.
    pub async fn check_console(&self, client: &Client) {
        self.check_console_allowing(client, &[]).await
    }

    /// [`Self::check_console`], also allowing errors that contain one of `expected` (what the
    /// test itself provoked, such as a refused file import).
    pub async fn check_console_allowing(&self, client: &Client, expected: &[&str]) {
        let errors = self.unexpected(console_errors(client).await, expected);
        assert!(
            errors.is_empty(),
            "the browser reported {} error(s):\n{}",
            errors.len(),
            errors.join("\n")
        );
    }

    /// The errors among `errors` that neither `expected` nor a stopped relay explain.
    pub fn unexpected(&self, errors: Vec<String>, expected: &[&str]) -> Vec<String> {
        let relay = self.relay_addr.to_string();
        errors
            .into_iter()
            .filter(|e| !expected.iter().any(|x| e.contains(x)))
            .filter(|e| !(self.relay_was_stopped && e.contains(&relay) && is_connection_failure(e)))
            .collect()
    }

    /// Checks the browser's console ([`Self::check_console`]) and closes it. Every browser of
    /// a test ends here: the harness fails a passing test that left one unchecked.
    pub async fn close(&self, client: Client) {
        self.close_allowing(client, &[]).await
    }

    /// [`Self::close`] with [`Self::check_console_allowing`]'s expected errors.
    pub async fn close_allowing(&self, client: Client, expected: &[&str]) {
        self.check_console_allowing(&client, expected).await;
        let id = client.session_id().await.unwrap().unwrap_or_default();
        self.unchecked.lock().unwrap().retain(|s| *s != id);
        client.close().await.unwrap();
    }
}

/// Errors the browser logged since the last read (chromedriver's browser log: console
/// messages at error level, uncaught exceptions, CSP violations, failed loads).
pub async fn console_errors(client: &Client) -> Vec<String> {
    #[derive(Debug)]
    struct BrowserLog;
    impl fantoccini::wd::WebDriverCompatibleCommand for BrowserLog {
        fn endpoint(
            &self,
            base: &url::Url,
            session: Option<&str>,
        ) -> Result<url::Url, url::ParseError> {
            base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
        }
        fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
            (http::Method::POST, Some(r#"{"type":"browser"}"#.into()))
        }
    }
    let entries = client
        .issue_cmd(BrowserLog)
        .await
        .expect("read the browser log");
    entries
        .as_array()
        .expect("the browser log is a list")
        .iter()
        .filter(|e| e["level"] == "SEVERE")
        .map(|e| {
            format!(
                "[{}] {}",
                e["source"].as_str().unwrap_or("?"),
                e["message"].as_str().unwrap_or("?")
            )
        })
        .collect()
}

/// A WebSocket or fetch that could not reach its server.
fn is_connection_failure(error: &str) -> bool {
    error.contains("ERR_CONNECTION_REFUSED")
        || (error.contains("WebSocket connection to") && error.contains("failed"))
}

impl Drop for Harness {
    fn drop(&mut self) {
        let unchecked = std::mem::take(&mut *self.unchecked.lock().unwrap());
        if let Some(stop) = self.stop_relay.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.relay_task.take() {
            task.abort();
        }
        // chromedriver and every Chromium it started share its process group.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.driver.id())])
            .status();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.scratch);
        if !unchecked.is_empty() && !std::thread::panicking() {
            panic!(
                "{} browser(s) were not closed through Harness::close, so their console was never checked",
                unchecked.len()
            );
        }
    }
}

/// Waits for the element, failing with what was awaited.
pub async fn wait_for(client: &Client, css: &str) -> fantoccini::elements::Element {
    client
        .wait()
        .at_most(DEADLINE)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css} did not appear within {DEADLINE:?}: {e}"))
}

pub fn testid(id: &str) -> String {
    format!("[data-testid=\"{id}\"]")
}

/// Saves a screenshot under target/screenshots (or MOOT_SCREENSHOTS) for review.
pub async fn screenshot(client: &Client, name: &str) {
    let dir = std::env::var_os("MOOT_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/screenshots"));
    std::fs::create_dir_all(&dir).unwrap();
    let png = client.screenshot().await.expect("screenshot");
    assert!(png.starts_with(b"\x89PNG"), "screenshot is not a PNG");
    std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
}
