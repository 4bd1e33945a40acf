//! `cargo xtask`: the two commands of the README and their helpers.
//!
//! - `cargo xtask run [-- <relay flags>]`: build the app (release) and start the relay on it.
//! - `cargo xtask test`: every test — native, wasm in headless Chromium, browser end to end.
//! - `cargo xtask build`: only build the app into `target/dist` and print its size.
//! - `cargo xtask bench`, `cargo xtask faults [--long]`: the figures (not part of `test`).
//!
//! Each installs what it needs when it is missing and skips work that is already done.

mod dist;
mod faults;
mod tools;

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use anyhow::{Context, Result, bail};

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => run(relay_args(&args[1..])),
        Some("test") => test(),
        Some("build") => build_dist().map(drop),
        Some("setup") => tools::ensure_all().and_then(|()| tools::ensure_interop().map(drop)),
        Some("bench") => bench(),
        Some("faults") => faults::run(args.iter().any(|a| a == "--long")),
        _ => {
            eprintln!(
                "usage: cargo xtask <run [-- relay flags] | test | bench | faults [--long] | build | setup>"
            );
            return std::process::ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("xtask: error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Everything after `--` goes to the relay untouched.
fn relay_args(args: &[String]) -> Vec<String> {
    match args.iter().position(|a| a == "--") {
        Some(i) => args[i + 1..].to_vec(),
        None => args.to_vec(),
    }
}

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_owned()
}

pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
}

pub fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(root());
    cmd
}

/// Runs a command with inherited output; a failure names the command.
pub fn status(cmd: &mut Command) -> Result<()> {
    let shown = format!("{cmd:?}");
    let status = cmd
        .status()
        .with_context(|| format!("cannot start {shown}"))?;
    if !status.success() {
        bail!("{shown} failed ({status})");
    }
    Ok(())
}

fn build_dist() -> Result<PathBuf> {
    tools::ensure_build_tools()?;
    dist::build()
}

fn run(relay_flags: Vec<String>) -> Result<()> {
    let dist = build_dist()?;
    status(cargo().args(["build", "--quiet", "--release", "-p", "moot-relay"]))?;
    let relay = target_dir().join("release").join("moot-relay");
    let mut cmd = Command::new(relay);
    cmd.current_dir(root())
        .env("MOOT_DIST", &dist)
        .args(&relay_flags);
    if std::env::var_os("RUST_LOG").is_none() {
        cmd.env("RUST_LOG", "moot_relay=info");
    }
    exec(cmd)
}

/// Replaces xtask with the relay so Ctrl-C and SIGTERM reach it directly.
#[cfg(unix)]
fn exec(mut cmd: Command) -> Result<()> {
    use std::os::unix::process::CommandExt;
    Err(cmd.exec()).context("cannot start moot-relay")
}

#[cfg(not(unix))]
fn exec(mut cmd: Command) -> Result<()> {
    status(&mut cmd)
}

/// The release relay and moot-bench, which `bench` and `faults` run.
pub fn build_release_relay_and_bench() -> Result<()> {
    status(cargo().args([
        "build",
        "--quiet",
        "--release",
        "-p",
        "moot-relay",
        "-p",
        "moot-bench",
    ]))
}

/// The benchmark figures beside their anchors (not part of `test`): prints the table, writes
/// target/bench/report.md and report.json, and puts the table into README.md.
fn bench() -> Result<()> {
    tools::ensure_all()?;
    let interop = tools::ensure_interop()?;
    let dist = build_dist()?;
    build_release_relay_and_bench()?;
    let out = target_dir().join("bench");
    let trace = root().join("../shared/bench/automerge-paper-edits.json.gz");
    status(
        Command::new(target_dir().join("release").join("moot-bench"))
            .current_dir(root())
            .env("MOOT_DIST", &dist)
            .env("MOOT_INTEROP_DIR", &interop)
            .env(
                "MOOT_RELAY_BIN",
                target_dir().join("release").join("moot-relay"),
            )
            .env("CHROMEDRIVER", tools::CHROMEDRIVER)
            .env("MOOT_TRACE", &trace)
            .env("MOOT_BENCH_OUT", &out),
    )?;
    let table = std::fs::read_to_string(out.join("report.md"))?;
    // A partial run (MOOT_BENCH_ONLY) replaces only the rows it measured.
    let table = match std::env::var("MOOT_BENCH_ONLY") {
        Ok(only) if !only.trim().is_empty() => {
            let readme = std::fs::read_to_string(root().join("README.md"))?;
            merge_bench_rows(&readme, &table, &only)
        }
        _ => table,
    };
    put_in_readme("bench", &table)
}

/// The README's bench table with the rows of a partial run (ids in `only`) replaced by the
/// new ones, sorted by id; the header says which rows were measured when.
fn merge_bench_rows(readme: &str, new_table: &str, only: &str) -> String {
    let old = readme
        .split("<!-- bench:start -->")
        .nth(1)
        .and_then(|r| r.split("<!-- bench:end -->").next())
        .unwrap_or_default();
    let id = |row: &str| {
        row.trim_start_matches('|')
            .split('|')
            .next()
            .unwrap_or("")
            .trim()
            .to_owned()
    };
    let is_row = |l: &&str| l.starts_with("| ") && !l.starts_with("| # ");
    let ids: Vec<String> = only.split(',').map(|s| s.trim().to_uppercase()).collect();
    let mut rows: Vec<&str> = old
        .lines()
        .filter(is_row)
        .filter(|l| !ids.contains(&id(l).to_uppercase()))
        .collect();
    rows.extend(new_table.lines().filter(is_row));
    rows.sort_by_key(|r| id(r));
    let old_header = old
        .lines()
        .find(|l| l.starts_with("moot benchmarks"))
        .unwrap_or_default();
    let new_header = new_table
        .lines()
        .find(|l| l.starts_with("moot benchmarks"))
        .unwrap_or_default();
    let when = new_header.split(" — ").nth(1).unwrap_or(new_header);
    let head: Vec<&str> = new_table
        .lines()
        .filter(|l| l.starts_with("| # ") || l.starts_with("|---"))
        .collect();
    // The header keeps when each partial run measured its rows; an earlier note for the same
    // rows gives way to this one.
    let ids_label = ids.join(", ");
    let mut parts = old_header.split("; rows ");
    let mut header = parts.next().unwrap_or_default().to_owned();
    for part in parts {
        if part.split(": ").next() != Some(ids_label.as_str()) {
            header.push_str("; rows ");
            header.push_str(part);
        }
    }
    format!(
        "{header}; rows {ids_label}: {when}\n\n{}\n{}\n",
        head.join("\n"),
        rows.join("\n")
    )
}

/// Puts `table` into README.md between `<!-- {name}:start -->` and `<!-- {name}:end -->`.
pub fn put_in_readme(name: &str, table: &str) -> Result<()> {
    let readme_path = root().join("README.md");
    let readme = std::fs::read_to_string(&readme_path)?;
    let (start, end) = (
        format!("<!-- {name}:start -->"),
        format!("<!-- {name}:end -->"),
    );
    if let (Some(a), Some(b)) = (readme.find(&start), readme.find(&end)) {
        let updated = format!("{}{start}\n{table}{}", &readme[..a], &readme[b..]);
        std::fs::write(&readme_path, updated)?;
        println!("xtask: README.md's {name} table updated");
    }
    Ok(())
}

fn test() -> Result<()> {
    tools::ensure_all()?;
    let interop = tools::ensure_interop()?;
    let dist = build_dist()?;
    let chromedriver = tools::CHROMEDRIVER;

    println!("== native tests (unit, property, relay, sync, npm interop, browser end to end)");
    status(
        cargo()
            .args(["test", "--workspace"])
            .env("MOOT_DIST", &dist)
            .env("MOOT_INTEROP_DIR", &interop)
            .env("CHROMEDRIVER", chromedriver)
            .env("MOOT_SCREENSHOTS", target_dir().join("screenshots")),
    )?;

    println!("== wasm32: model and sync crates build for the browser");
    status(cargo().args([
        "build",
        "--quiet",
        "--target",
        "wasm32-unknown-unknown",
        "-p",
        "moot-model",
        "-p",
        "moot-sync",
    ]))?;

    println!("== wasm tests in headless Chromium (wasm-bindgen-test)");
    // No `-q` here: cargo would pass it to wasm-bindgen-test-runner, which rejects it.
    status(
        cargo()
            .args([
                "test",
                "--target",
                "wasm32-unknown-unknown",
                "-p",
                "moot",
                "--tests",
            ])
            .env("CHROMEDRIVER", chromedriver)
            .env("WASM_BINDGEN_TEST_TIMEOUT", "120"),
    )?;
    println!("== all test tiers passed");
    Ok(())
}
