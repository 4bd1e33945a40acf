//! H1: History on the automerge-paper draft (259,778 edits, as 2,598 changes of 100 edits by
//! two people taking turns every 5,000 edits): the text at a named version, the redline
//! between two versions and against now, and History's groups with their words — natively.

use std::io::Read;
use std::time::Instant;

use anyhow::{Context, Result};
use automerge::transaction::Transactable;
use automerge::{ObjType, ROOT, ReadDoc, Value, transaction::CommitOptions};
use moot_model::{Ctx, Workspace};

use crate::Inputs;
use crate::report::{Row, failed, ms};

const BATCH: usize = 100;
const TURN: usize = 5_000;
const T0: i64 = 1_796_122_800; // 2026-12-01T10:00:00Z

pub fn rows(inputs: &Inputs) -> Vec<Row> {
    match measure(inputs) {
        Ok(rows) => rows,
        Err(e) => vec![failed("H1", "History on the automerge-paper draft", &e)],
    }
}

/// The workspace with the paper's edits and versions at 25, 50, 75 and 100 %.
pub fn build(inputs: &Inputs) -> Result<(Workspace, String, Vec<Vec<String>>)> {
    let mut json = String::new();
    flate2::read::GzDecoder::new(
        std::fs::File::open(&inputs.trace).with_context(|| inputs.trace.display().to_string())?,
    )
    .read_to_string(&mut json)?;
    let edits = moot_model::fixtures::paper_trace(&json)?;
    let mut ws = Workspace::create(
        Ctx::new("ada", "2026-12-01T09:00:00Z"),
        "History bench",
        "Ada",
        1,
    )?;
    ws.set_person_name(Ctx::new("bea", "2026-12-01T09:00:00Z"), "bea", "Bea")?;
    let draft = ws.documents()?[0].id.clone();
    ws.replace_text(Ctx::new("ada", "2026-12-01T09:00:00Z"), &draft, "")?;
    let text = {
        let doc = ws.doc();
        let Some((Value::Object(ObjType::List), docs)) = doc.get(ROOT, "documents")? else {
            anyhow::bail!("no documents");
        };
        let Some((_, d)) = doc.get(&docs, 0)? else {
            anyhow::bail!("no draft");
        };
        let Some((_, text)) = doc.get(&d, "text")? else {
            anyhow::bail!("no text");
        };
        text
    };
    let quarters: Vec<usize> = (1..=4).map(|q| edits.len() * q / 4).collect();
    let mut versions = Vec::new();
    for (i, (pos, del, ins)) in edits.iter().enumerate() {
        ws.doc_mut().splice_text(&text, *pos, *del as isize, ins)?;
        let done = i + 1;
        if done % BATCH == 0 || done == edits.len() {
            let person = if (done / TURN).is_multiple_of(2) {
                "ada"
            } else {
                "bea"
            };
            ws.doc_mut().commit_with(
                CommitOptions::default()
                    .with_message(moot_model::history::message("edit text", person))
                    .with_time(T0 + (done / BATCH) as i64 * 30),
            );
        }
        if quarters.contains(&done) {
            let at = moot_model::time::format_instant(T0 + (done / BATCH) as i64 * 30 + 1);
            let id = ws.name_version(
                Ctx::new("ada", &at),
                &draft,
                &format!("{}%", done * 100 / edits.len()),
            )?;
            let v = ws
                .versions(&draft)
                .into_iter()
                .find(|v| v.id == id)
                .context("version")?;
            versions.push(v.heads);
        }
    }
    Ok((ws, draft, versions))
}

fn measure(inputs: &Inputs) -> Result<Vec<Row>> {
    let t = Instant::now();
    let (mut ws, draft, v) = build(inputs)?;
    eprintln!(
        "bench:   the paper draft with history built in {:?}",
        t.elapsed()
    );
    let runs = 5;
    let target = 0.100;
    let mut rows = Vec::new();
    let len = ws.text_at_version(&draft, Some(&v[1]))?.chars().count();
    let at = crate::decisions::median_of(
        || {
            ws.text_at_version(&draft, Some(&v[1]))
                .map(drop)
                .map_err(Into::into)
        },
        runs,
    )?;
    rows.push(
        Row::new(
            "H1",
            format!("Text at a named version (50 %: {len} chars) of the automerge-paper draft"),
        )
        .moot(ms(at))
        .anchor("goal 100 ms native")
        .ratio(at.as_secs_f64() / target)
        .target("≤ 100 ms", at.as_secs_f64() <= target),
    );
    let mut inserted = 0;
    let diff = crate::decisions::median_of(
        || {
            let runs = ws.redline(&draft, &v[0], Some(&v[2]))?;
            inserted = runs
                .iter()
                .filter(|r| r.mark == moot_model::history::Mark::Inserted)
                .map(|r| r.text.chars().count())
                .sum();
            Ok(())
        },
        runs,
    )?;
    rows.push(
        Row::new(
            "H1",
            format!("Redline between two versions (25 % → 75 %: {inserted} chars inserted)"),
        )
        .moot(ms(diff))
        .anchor("automerge's own diff fix: 5,000 changes 2,600 ms → ~25 ms; goal 100 ms")
        .ratio(diff.as_secs_f64() / target)
        .target("≤ 100 ms", diff.as_secs_f64() <= target),
    );
    let mut groups = Vec::new();
    let history = crate::decisions::median_of(
        || {
            groups = ws.history();
            let shown: Vec<_> = groups.iter().take(25).cloned().collect();
            for g in &shown {
                ws.describe(g);
            }
            Ok(())
        },
        runs,
    )?;
    let changes: usize = groups.iter().map(|g| g.changes.len()).sum();
    anyhow::ensure!(
        groups.len() > 40,
        "the bench history has {} groups",
        groups.len()
    );
    rows.push(
        Row::new(
            "H1",
            format!("History: {changes} changes grouped ({} groups), the first 25 (one page) told in words", groups.len()),
        )
        .moot(ms(history))
        .anchor("Google Drive keeps ≤ 100 revisions for 30 days; moot keeps all; goal 200 ms (page budget)")
        .ratio(history.as_secs_f64() / 0.200)
        .target("≤ 200 ms", history.as_secs_f64() <= 0.200),
    );
    Ok(rows)
}
