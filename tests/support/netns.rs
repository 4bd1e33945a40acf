//! WebRTC in tests without touching the machine's network: Chromium offers no 127.0.0.1
//! candidate, so a test that needs a direct link runs again inside a network namespace made for
//! it (loopback, and a veth pair with private addresses and a default route; nothing leaves it),
//! with the relay, chromedriver and both browsers inside, and the namespace is removed after.

use std::process::Command;

/// Set in the copy of the test that runs inside the namespace.
const INSIDE: &str = "MOOT_NETNS";

/// Whether this process is the one inside a namespace.
pub fn inside() -> bool {
    std::env::var_os(INSIDE).is_some()
}

struct Namespace(String);

fn ip(args: &[&str]) {
    let out = Command::new("ip")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run `ip` (iproute2): {e}"));
    assert!(
        out.status.success(),
        "`ip {}` failed: {} (the WebRTC tests create a network namespace, which needs root)",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr).trim()
    );
}

impl Namespace {
    fn create() -> Self {
        static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name = format!("moot-{}-{n}", std::process::id());
        ip(&["netns", "add", &name]);
        let ns = Namespace(name);
        let name = ns.0.as_str();
        ip(&["-n", name, "link", "set", "lo", "up"]);
        ip(&[
            "-n", name, "link", "add", "v0", "type", "veth", "peer", "name", "v1",
        ]);
        ip(&["-n", name, "addr", "add", "10.203.0.1/24", "dev", "v0"]);
        ip(&["-n", name, "addr", "add", "10.203.0.2/24", "dev", "v1"]);
        ip(&["-n", name, "link", "set", "v0", "up"]);
        ip(&["-n", name, "link", "set", "v1", "up"]);
        ip(&[
            "-n",
            name,
            "route",
            "add",
            "default",
            "via",
            "10.203.0.2",
            "dev",
            "v0",
        ]);
        ns
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

/// Outside a namespace: runs test `name` of this binary again inside a new one and fails if
/// it fails there; returns false (the caller returns). Inside: returns true (run the test).
pub fn run_inside(name: &str) -> bool {
    if inside() {
        return true;
    }
    let ns = Namespace::create();
    let exe = std::env::current_exe().expect("the test binary's path");
    let status = Command::new("ip")
        .args(["netns", "exec", &ns.0])
        .arg(exe)
        .args([name, "--exact", "--nocapture"])
        .env(INSIDE, &ns.0)
        .status()
        .expect("run the test inside the namespace");
    assert!(
        status.success(),
        "{name} failed inside network namespace {}",
        ns.0
    );
    // The namespace must be gone afterwards.
    drop(ns);
    false
}
