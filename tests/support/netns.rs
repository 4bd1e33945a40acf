//! WebRTC in tests without touching the machine's network: Chromium offers no 127.0.0.1
//! candidate, so a test that needs a direct link runs again inside a network namespace made for
//! it (loopback, and a veth pair with private addresses and a default route; nothing leaves it),
//! with the relay, chromedriver and both browsers inside, and the namespace is removed after.
//!
//! As root the namespace is `ip netns add`ed and deleted; otherwise `unshare` makes it inside a
//! user namespace of the test's own, and it ends with the test's process.

use std::process::Command;

/// Set in the copy of the test that runs inside the namespace.
const INSIDE: &str = "MOOT_NETNS";
/// Makes the namespace with `unshare` even as root (to test that path).
const FORCE_UNSHARE: &str = "MOOT_NETNS_UNSHARE";

/// The namespace's network, made from inside it.
const SETUP: &str = "ip link set lo up \
    && ip link add v0 type veth peer name v1 \
    && ip addr add 10.203.0.1/24 dev v0 && ip addr add 10.203.0.2/24 dev v1 \
    && ip link set v0 up && ip link set v1 up \
    && ip route add default via 10.203.0.2 dev v0";

/// Whether this process is the one inside a namespace.
pub fn inside() -> bool {
    std::env::var_os(INSIDE).is_some()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn run(command: &mut Command, what: &str) {
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("cannot {what}: {e} (the WebRTC tests need iproute2)"));
    assert!(
        out.status.success(),
        "cannot {what}: {}",
        String::from_utf8_lossy(&out.stderr).trim()
    );
}

struct Namespace(String);

impl Namespace {
    fn create() -> Self {
        static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name = format!("moot-{}-{n}", std::process::id());
        run(
            Command::new("ip").args(["netns", "add", &name]),
            "create a network namespace",
        );
        let ns = Namespace(name);
        run(
            Command::new("ip").args(["netns", "exec", &ns.0, "sh", "-c", SETUP]),
            "set up the namespace's network",
        );
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
    let exe = std::env::current_exe().expect("the test binary's path");
    let args = [name, "--exact", "--nocapture"];
    let status = if is_root() && std::env::var_os(FORCE_UNSHARE).is_none() {
        let ns = Namespace::create();
        let status = Command::new("ip")
            .args(["netns", "exec", &ns.0])
            .arg(&exe)
            .args(args)
            .env(INSIDE, &ns.0)
            .status();
        drop(ns);
        status
    } else {
        Command::new("unshare")
            .args(["--user", "--map-root-user", "--net", "sh", "-c"])
            .arg(format!("{SETUP} && exec \"$0\" \"$@\""))
            .arg(&exe)
            .args(args)
            .env(INSIDE, "unshare")
            .status()
    };
    let status = status.expect("run the test inside a network namespace");
    assert!(
        status.success(),
        "{name} failed inside its network namespace"
    );
    false
}
