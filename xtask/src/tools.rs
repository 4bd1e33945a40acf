//! Installing what a fresh machine lacks, each step skipped when already done.
//!
//! See ../shared/TOOLCHAIN.md for why each tool comes from where it does (for instance
//! wasm-opt from npm's binaryen 132: Debian's binaryen 108 silently breaks the output).

use std::{path::PathBuf, process::Command};

use anyhow::{Context, Result, bail};

use crate::{root, status, target_dir};

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const BINARYEN: &str = "binaryen@132.0.0";

pub fn ensure_all() -> Result<()> {
    ensure_build_tools()?;
    ensure_browser()?;
    ensure_postgres()
}

/// The relay's PostgreSQL tests and bench start their own throwaway cluster with Debian's
/// server programs (initdb, postgres, pg_ctl, psql); nothing is started here.
fn ensure_postgres() -> Result<()> {
    let installed = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .any(|v| v.path().join("bin/initdb").exists() && v.path().join("bin/postgres").exists());
    if installed {
        return Ok(());
    }
    println!("xtask: installing PostgreSQL from Debian's packages (the relay's database tests)");
    apt_install(&["postgresql"])
}

/// What `cargo xtask build`/`run` need: the wasm target, wasm-bindgen-cli, wasm-opt, brotli.
pub fn ensure_build_tools() -> Result<()> {
    ensure_wasm_target()?;
    ensure_wasm_bindgen()?;
    ensure_wasm_opt()?;
    if !on_path("brotli") {
        apt_install(&["brotli"])?;
    }
    Ok(())
}

fn output(cmd: &mut Command) -> Option<String> {
    let out = cmd.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn on_path(tool: &str) -> bool {
    output(Command::new("sh").args(["-c", &format!("command -v {tool}")])).is_some()
}

fn ensure_wasm_target() -> Result<()> {
    let installed =
        output(Command::new("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    if !installed
        .lines()
        .any(|l| l.trim() == "wasm32-unknown-unknown")
    {
        println!("xtask: installing the wasm32-unknown-unknown target");
        status(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))?;
    }
    Ok(())
}

/// The wasm-bindgen version in Cargo.lock: the CLI must match it exactly.
pub fn locked_wasm_bindgen_version() -> Result<String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock")).context("reading Cargo.lock")?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == r#"name = "wasm-bindgen""#
            && let Some(v) = lines
                .next()
                .and_then(|l| l.trim().strip_prefix("version = "))
        {
            return Ok(v.trim_matches('"').to_owned());
        }
    }
    bail!("Cargo.lock has no wasm-bindgen entry")
}

fn ensure_wasm_bindgen() -> Result<()> {
    let want = locked_wasm_bindgen_version()?;
    let have = output(Command::new("wasm-bindgen").arg("--version")).unwrap_or_default();
    let runner = on_path("wasm-bindgen-test-runner");
    if have.split_whitespace().nth(1) == Some(want.as_str()) && runner {
        return Ok(());
    }
    println!("xtask: installing wasm-bindgen-cli {want} (a few minutes, once)");
    // Not --locked: its lockfile pins a webpki-roots version the registry no longer has.
    status(Command::new("cargo").args([
        "install",
        "wasm-bindgen-cli",
        "--version",
        &want,
        "--force",
    ]))
}

pub fn wasm_opt() -> PathBuf {
    tools_dir()
        .join("node_modules")
        .join(".bin")
        .join("wasm-opt")
}

fn tools_dir() -> PathBuf {
    target_dir().join("tools")
}

fn ensure_wasm_opt() -> Result<()> {
    let have = output(Command::new(wasm_opt()).arg("--version")).unwrap_or_default();
    if have.contains("version 132") {
        return Ok(());
    }
    println!("xtask: installing wasm-opt ({BINARYEN} from npm)");
    if !on_path("npm") {
        apt_install(&["nodejs", "npm"])?;
    }
    std::fs::create_dir_all(tools_dir())?;
    status(
        Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--silent", "--prefix"])
            .arg(tools_dir())
            .arg(BINARYEN),
    )
}

/// The pinned automerge-repo npm packages and the interop scripts, in target/interop.
/// Reinstalled only when tests/interop/package.json changes.
pub fn ensure_interop() -> Result<PathBuf> {
    let src = root().join("tests/interop");
    let dir = target_dir().join("interop");
    std::fs::create_dir_all(&dir)?;
    let manifest = std::fs::read(src.join("package.json")).context("tests/interop/package.json")?;
    let installed = std::fs::read(dir.join("package.json")).ok();
    if installed.as_deref() != Some(manifest.as_slice())
        || !dir.join("node_modules/@automerge/automerge-repo").is_dir()
    {
        println!("xtask: installing the automerge-repo npm packages for interop tests");
        if !on_path("npm") {
            apt_install(&["nodejs", "npm"])?;
        }
        std::fs::write(dir.join("package.json"), &manifest)?;
        status(
            Command::new("npm")
                .args(["install", "--no-audit", "--no-fund", "--silent"])
                .current_dir(&dir),
        )?;
    }
    for entry in std::fs::read_dir(&src)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "mjs") {
            std::fs::copy(&path, dir.join(path.file_name().unwrap()))?;
        }
    }
    Ok(dir)
}

fn ensure_browser() -> Result<()> {
    // The WebRTC tests make their own network namespace with iproute2's `ip`.
    if Command::new("ip").arg("-V").output().is_err() {
        println!("xtask: installing iproute2 (network namespaces for the WebRTC tests)");
        apt_install(&["iproute2"])?;
    }
    if std::path::Path::new(CHROMIUM).exists() && std::path::Path::new(CHROMEDRIVER).exists() {
        return Ok(());
    }
    println!("xtask: installing Chromium and chromedriver from Debian's packages");
    apt_install(&["chromium", "chromium-driver"])
}

fn apt_install(packages: &[&str]) -> Result<()> {
    let sudo = !is_root();
    let mut update = if sudo {
        Command::new("sudo")
    } else {
        Command::new("apt-get")
    };
    if sudo {
        update.arg("apt-get");
    }
    status(update.args(["update", "-qq"]))?;
    let mut install = if sudo {
        Command::new("sudo")
    } else {
        Command::new("apt-get")
    };
    if sudo {
        install.arg("apt-get");
    }
    status(
        install
            .env("DEBIAN_FRONTEND", "noninteractive")
            .args(["install", "-y", "-qq"])
            .args(packages),
    )
}

fn is_root() -> bool {
    output(Command::new("id").arg("-u")).is_some_and(|u| u.trim() == "0")
}
