//! `cargo xtask faults [--long]`: the fault campaign, not part of `cargo xtask test`.
//!
//! - Fuzzing with cargo-fuzz (nightly, installed when missing): the frame codec,
//!   `Connection::receive`, the parsers of codes and ids, the direct-link joiner, `.automerge`
//!   import, and the model's reads and exports on generated hostile documents. Per target:
//!   executions, crashes, the slowest input, peak memory. 30 s per target, 10 minutes with
//!   `--long`. A crash's input stays in `fuzz/artifacts/<target>/` to become a regression test.
//! - Relay floods and `kill -9` trials on real sockets, and tab crash/close trials in
//!   Chromium (`moot-bench faults`, see crates/moot-bench/src/faults.rs and browser.rs).
//!
//! Prints one table, writes target/faults/report.md and puts the table into README.md.

use std::{path::Path, process::Command, time::Duration};

use anyhow::{Context, Result};

use crate::{root, status, target_dir};

const TARGETS: [(&str, &str); 8] = [
    ("frame", "frame codec and envelope check"),
    ("connection", "Connection::receive after a handshake"),
    ("codes", "document ids, URLs, direct-link codes"),
    ("joiner", "direct-link piece joiner"),
    ("import", "`.automerge` import (inflation check + model)"),
    ("model", "model reads and exports on hostile documents"),
    (
        "sealed",
        "private workspaces: sealed frames, statements, envelopes, records, files",
    ),
    ("comment_rule", "the comment rule on hostile changes"),
];

pub fn run(long: bool) -> Result<()> {
    let per_target = if long {
        Duration::from_secs(600)
    } else {
        Duration::from_secs(30)
    };
    let out = target_dir().join("faults");
    std::fs::create_dir_all(&out)?;
    let mut rows = String::new();

    ensure_cargo_fuzz()?;
    for (target, what) in TARGETS {
        println!("xtask: fuzzing {target} for {per_target:?}");
        rows += &fuzz(target, what, per_target).unwrap_or_else(|e| {
            format!(
                "| F3 | fuzz `{target}`: {what} | not measured: {e:#} | — | — | 0 crashes | ✗ |\n"
            )
        });
    }

    let dist = crate::build_dist()?;
    crate::build_release_relay_and_bench()?;
    let relay_rows = out.join("relay.md");
    let _ = std::fs::remove_file(&relay_rows);
    let bench = status(
        Command::new(target_dir().join("release").join("moot-bench"))
            .arg("faults")
            .current_dir(root())
            .env("MOOT_DIST", &dist)
            .env(
                "MOOT_RELAY_BIN",
                target_dir().join("release").join("moot-relay"),
            )
            .env("MOOT_FAULTS_OUT", &out)
            .env("MOOT_FAULTS_LONG", if long { "1" } else { "0" }),
    );
    match (bench, std::fs::read_to_string(&relay_rows)) {
        (Ok(()), Ok(relay)) => rows += &relay,
        (result, _) => {
            rows += &format!(
                "| F2 | relay floods and crash trials | not measured: {} | — | — | — | ✗ |\n",
                result
                    .err()
                    .map_or("no report".into(), |e| format!("{e:#}"))
            )
        }
    }

    let table = format!(
        "Fault campaign ({}, {}):\n\n| # | Figure | moot | Anchor (same run) | Ratio | Target | |\n|---|---|---|---|---|---|---|\n{rows}",
        if long { "long mode" } else { "short mode" },
        date()
    );
    println!("\n{table}");
    std::fs::write(out.join("report.md"), &table)?;
    crate::put_in_readme("faults", &table)
}

fn date() -> String {
    Command::new("date")
        .args(["-u", "+%Y-%m-%d"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

/// rustup's nightly toolchain and cargo-fuzz, installed when missing.
fn ensure_cargo_fuzz() -> Result<()> {
    let toolchains = Command::new("rustup")
        .args(["toolchain", "list"])
        .output()
        .context("rustup")?;
    if !String::from_utf8_lossy(&toolchains.stdout).contains("nightly") {
        println!("xtask: installing the nightly toolchain (cargo-fuzz needs it)");
        status(Command::new("rustup").args([
            "toolchain",
            "install",
            "nightly",
            "--profile",
            "minimal",
        ]))?;
    }
    let have = Command::new("cargo")
        .args(["fuzz", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !have {
        println!("xtask: installing cargo-fuzz");
        status(Command::new("cargo").args(["install", "cargo-fuzz", "--locked"]))?;
    }
    Ok(())
}

/// One target for `time`; its table row.
fn fuzz(target: &str, what: &str, time: Duration) -> Result<String> {
    let fuzz_dir = root().join("fuzz");
    let corpus = fuzz_dir.join("corpus").join(target);
    let artifacts = fuzz_dir.join("artifacts").join(target);
    std::fs::create_dir_all(&corpus)?;
    std::fs::create_dir_all(&artifacts)?;
    let before = count_files(&artifacts);
    let output = Command::new("cargo")
        .current_dir(&fuzz_dir)
        .args(["+nightly", "fuzz", "run", target])
        .arg(&corpus)
        .env("CARGO_TARGET_DIR", target_dir().join("fuzz"))
        .arg("--")
        .arg(format!("-max_total_time={}", time.as_secs()))
        .args([
            "-print_final_stats=1",
            "-rss_limit_mb=2048",
            "-timeout=20",
            "-max_len=65536",
        ])
        .output()
        .context("cargo fuzz")?;
    let log = String::from_utf8_lossy(&output.stderr);
    std::fs::write(
        target_dir()
            .join("faults")
            .join(format!("fuzz-{target}.log")),
        log.as_bytes(),
    )?;
    let stat = |name: &str| -> Option<f64> {
        log.lines()
            .find_map(|l| l.strip_prefix(&format!("stat::{name}:")))
            .and_then(|v| v.trim().parse().ok())
    };
    let execs = stat("number_of_executed_units").unwrap_or(0.0);
    let peak = stat("peak_rss_mb").unwrap_or(0.0);
    let slowest = stat("slowest_unit_time_sec").unwrap_or(0.0);
    let crashes = count_files(&artifacts) - before;
    anyhow::ensure!(
        execs > 0.0 || crashes > 0,
        "the fuzzer did not run (see target/faults/fuzz-{target}.log)"
    );
    Ok(format!(
        "| F3 | fuzz `{target}`: {what} | {execs:.0} executions in {}s, {crashes} crashes, slowest input {slowest:.2} s, peak RSS {peak:.0} MB | — | — | 0 crashes | {} |\n",
        time.as_secs(),
        if crashes == 0 { "✓" } else { "✗" }
    ))
}

fn count_files(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |d| d.flatten().count())
}
