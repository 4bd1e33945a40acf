//! `cargo xtask bench`: measures moot's figures on this machine beside their anchors and
//! prints one table (also written to target/bench/report.md and report.json). Nothing here
//! asserts a time; every run is bounded and talks only to 127.0.0.1.
//!
//! Inputs (set by `cargo xtask bench`): MOOT_DIST (the release app), MOOT_INTEROP_DIR (the npm
//! automerge packages), MOOT_RELAY_BIN (the release relay), CHROMEDRIVER, MOOT_TRACE (the
//! automerge-paper trace), MOOT_BENCH_OUT (where the report goes).

mod anchor;
mod browser;
mod decisions;
mod faults;
mod history;
mod load;
mod native;
mod private;
mod report;
mod scale;
mod sizes;

use std::{io::Read, path::PathBuf, time::Instant};

use anyhow::{Context, Result};
use report::{Row, failed};

pub struct Inputs {
    pub dist: PathBuf,
    pub interop: PathBuf,
    pub relay_bin: PathBuf,
    pub chromedriver: String,
    pub trace: PathBuf,
    pub out: PathBuf,
}

fn env_path(name: &str) -> Result<PathBuf> {
    std::env::var_os(name)
        .map(PathBuf::from)
        .with_context(|| format!("{name} is not set (run through `cargo xtask bench`)"))
}

impl Inputs {
    fn from_env() -> Result<Self> {
        Ok(Inputs {
            dist: env_path("MOOT_DIST")?,
            interop: env_path("MOOT_INTEROP_DIR")?,
            relay_bin: env_path("MOOT_RELAY_BIN")?,
            chromedriver: std::env::var("CHROMEDRIVER")
                .unwrap_or_else(|_| "/usr/bin/chromedriver".into()),
            trace: env_path("MOOT_TRACE")?,
            out: env_path("MOOT_BENCH_OUT")?,
        })
    }

    /// The final text of the automerge-paper trace (the "big draft").
    pub fn trace_text(&self) -> Result<String> {
        let mut text: Vec<char> = Vec::new();
        for (pos, del, ins) in paper_edits(&self.trace)? {
            text.splice(pos..pos + del, ins.chars());
        }
        Ok(text.into_iter().collect())
    }
}

/// The edits of the automerge-paper trace at `path` (gzipped JSON), in order.
pub fn paper_edits(path: &std::path::Path) -> Result<Vec<moot_model::fixtures::TraceEdit>> {
    let mut json = String::new();
    flate2::read::GzDecoder::new(
        std::fs::File::open(path).with_context(|| path.display().to_string())?,
    )
    .read_to_string(&mut json)?;
    Ok(moot_model::fixtures::paper_trace(&json)?)
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .next()
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map(|kb| format!("{:.0} GiB", kb as f64 / 1048576.0))
        .unwrap_or_default();
    let os = std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|o| {
            o.lines()
                .find(|l| l.starts_with("PRETTY_NAME="))
                .map(|l| l[12..].trim_matches('"').to_owned())
        })
        .unwrap_or_default();
    format!("{cpu}, {cores} cores, {mem}, {os}")
}

fn today() -> String {
    std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

/// Whether row `id` is wanted: all, unless MOOT_BENCH_ONLY lists some (e.g. "P2,P8").
pub fn only(id: &str) -> bool {
    std::env::var("MOOT_BENCH_ONLY").map_or(true, |list| {
        list.split(',').any(|x| x.trim().eq_ignore_ascii_case(id))
    })
}

/// `moot-bench faults`: the relay floods and crash trials of `cargo xtask faults`; writes
/// MOOT_FAULTS_OUT/relay.md (the fuzzing rows come from xtask).
fn faults_main() -> Result<()> {
    let relay_bin = env_path("MOOT_RELAY_BIN")?;
    let dist = env_path("MOOT_DIST")?;
    let out = env_path("MOOT_FAULTS_OUT")?;
    let mode = faults::Mode::from_env();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    // MOOT_FAULTS_ONLY=tabs runs only the tab trials (while working on them).
    let tabs_only = std::env::var("MOOT_FAULTS_ONLY").is_ok_and(|v| v == "tabs");
    let mut rows = Vec::new();
    if !tabs_only {
        rows.extend(runtime.block_on(faults::floods(&relay_bin, &dist, &mode)));
        eprintln!("faults: relay kill -9 trials");
        rows.extend(runtime.block_on(faults::crash_trials(&relay_bin, &dist, &mode)));
    }
    eprintln!("faults: tab kill and close trials in Chromium");
    let inputs = Inputs {
        dist: dist.clone(),
        interop: PathBuf::new(),
        relay_bin: relay_bin.clone(),
        chromedriver: std::env::var("CHROMEDRIVER")
            .unwrap_or_else(|_| "/usr/bin/chromedriver".into()),
        trace: PathBuf::new(),
        out: out.clone(),
    };
    let tab_trials = if mode.trials >= 100 { 50 } else { 10 };
    rows.push(
        match runtime.block_on(browser::tab_kill_trials(&inputs, tab_trials)) {
            Ok((n, lost)) => report::Row::new(
                "F4",
                format!("tab crashed (its renderer process) or closed right after \"Saved on this device\" ({n} trials)"),
            )
            .moot(format!("{lost} of {n} saved edits lost"))
            .target("0 lost", lost == 0),
            Err(e) => report::failed("F4", "tab kill trials", &e),
        },
    );
    std::fs::create_dir_all(&out)?;
    std::fs::write(out.join("relay.md"), report::rows_markdown(&rows))?;
    Ok(())
}

fn main() -> Result<()> {
    if std::env::args().nth(1).as_deref() == Some("faults") {
        return faults_main();
    }
    // The decision tally rows alone (native, no inputs needed).
    if std::env::args().nth(1).as_deref() == Some("decisions") {
        report::print(&decisions::rows());
        return Ok(());
    }
    // The private-workspace rows alone (native; the trace from MOOT_TRACE or ../shared).
    if std::env::args().nth(1).as_deref() == Some("private") {
        let trace = std::env::var_os("MOOT_TRACE")
            .map(PathBuf::from)
            .unwrap_or_else(|| "../shared/bench/automerge-paper-edits.json.gz".into());
        report::print(&private::rows(&trace));
        return Ok(());
    }
    let inputs = Inputs::from_env()?;
    let started = Instant::now();
    let mut rows: Vec<Row> = Vec::new();

    if only("P1") {
        eprintln!("bench: P1 bundle sizes");
        rows.extend(
            sizes::bundle(&inputs)
                .unwrap_or_else(|e| vec![failed("P1", "First-load transfer", &e)]),
        );
    }

    let scales: &[usize] = if only("P8") { &[1, 2, 4] } else { &[1] };
    eprintln!("bench: building the large workspace at {scales:?}");
    let mut workspaces = native::build(scales)?;
    if only("P4") {
        eprintln!("bench: P4 sync bytes");
        rows.extend(native::sync_bytes(&workspaces[0].1));
    }
    if only("P9") {
        eprintln!("bench: P9 private workspaces");
        rows.extend(private::rows(&inputs.trace));
    }
    if only("D1") {
        eprintln!("bench: D1 decision tally (native)");
        rows.extend(decisions::rows());
    }
    if only("H1") {
        eprintln!("bench: H1 history on the automerge-paper draft (native)");
        rows.extend(history::rows(&inputs));
    }
    let scaled = if only("P8") {
        eprintln!("bench: P8 scaling (native)");
        Some(native::scaling(&mut workspaces)?)
    } else {
        None
    };

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    if only("P5") {
        eprintln!("bench: P5 relay under load");
        rows.extend(runtime.block_on(load::rows(&inputs)));
    }
    if only("R1") {
        eprintln!(
            "bench: R1 relay at scale (idle connections, one document, two relays on PostgreSQL)"
        );
        rows.extend(runtime.block_on(scale::rows(&inputs)));
    }

    eprintln!("bench: browser rows (P2, P3, P6, P7, P8 render)");
    let (browser_rows, render) = runtime.block_on(browser::rows(&inputs, &mut workspaces));
    rows.extend(browser_rows);
    if let Some(scaled) = scaled {
        rows.extend(native::scaling_rows(&scaled, render.as_deref()));
    }
    rows.sort_by_key(|r| r.id);

    let header = format!(
        "moot benchmarks — measured {} on {} (`cargo xtask bench`, {:.0} s)",
        today(),
        machine(),
        started.elapsed().as_secs_f64()
    );
    println!("\n{header}\n");
    report::print(&rows);
    report::write(&inputs.out, &rows, &header)?;
    println!("\nwritten to {}", inputs.out.join("report.md").display());
    Ok(())
}
