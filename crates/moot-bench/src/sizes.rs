//! P1: what a first load transfers (wasm + js + css), raw / gzip / brotli, beside the npm
//! automerge wasm file alone.

use std::{io::Write, path::Path, process::Command};

use anyhow::{Context, Result};

use crate::{
    Inputs,
    report::{Row, bytes},
};

#[derive(Default, Clone, Copy)]
struct Sizes {
    raw: usize,
    gzip: usize,
    brotli: usize,
}

fn sizes(path: &Path) -> Result<Sizes> {
    let data = std::fs::read(path).with_context(|| path.display().to_string())?;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&data)?;
    let out = Command::new("brotli")
        .args(["-q", "11", "-c"])
        .arg(path)
        .output()
        .context("brotli (installed by cargo xtask)")?;
    anyhow::ensure!(out.status.success(), "brotli failed on {}", path.display());
    Ok(Sizes {
        raw: data.len(),
        gzip: gz.finish()?.len(),
        brotli: out.stdout.len(),
    })
}

pub fn bundle(inputs: &Inputs) -> Result<Vec<Row>> {
    let mut total = Sizes::default();
    let mut parts = Vec::new();
    for entry in std::fs::read_dir(&inputs.dist)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_owned();
        let first_load = name.ends_with(".wasm")
            || name.ends_with(".css")
            || (name.ends_with(".js") && name != "sw.js");
        if first_load {
            let s = sizes(&path)?;
            total.raw += s.raw;
            total.gzip += s.gzip;
            total.brotli += s.brotli;
            parts.push((name, s.brotli));
        }
    }
    let anchor = sizes(
        &inputs
            .interop
            .join("node_modules/@automerge/automerge/dist/automerge.wasm"),
    )?;
    let ratio = total.brotli as f64 / anchor.brotli as f64;
    Ok(vec![
        Row::new("P1", "First-load transfer (wasm + js + css), brotli")
            .moot(bytes(total.brotli))
            .anchor(format!("npm automerge wasm {}", bytes(anchor.brotli)))
            .ratio(ratio)
            .target("≤ 300 kB (≤ 0.38×)", total.brotli <= 300_000),
        Row::new("P1", "First-load transfer, raw / gzip")
            .moot(format!("{} / {}", bytes(total.raw), bytes(total.gzip)))
            .anchor(format!("{} / {}", bytes(anchor.raw), bytes(anchor.gzip))),
    ])
}
