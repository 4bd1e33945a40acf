//! Rows measured without a browser: sync bytes (P4) and model scaling (P8).

use std::time::{Duration, Instant};

use anyhow::Result;
use automerge::{AutoCommit, ReadDoc};
use moot_model::{Ctx, Workspace, fixtures};
use moot_sync::{
    DocumentId,
    loopback::{Exchange, reconnect},
};

use crate::report::{Row, bytes, ms};

const DOC: DocumentId = DocumentId::from_bytes_const([7; 16]);
const AT: &str = "2026-01-01T00:00:00Z";

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    median(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(f());
                t.elapsed()
            })
            .collect(),
    )
}

/// A new peer (empty) fetches the workspace from a peer that has it: the bytes both sent.
fn join_cost(doc: &AutoCommit) -> Result<Exchange> {
    let (cost, mut got) = moot_sync::loopback::fetch(DOC, doc)?;
    anyhow::ensure!(
        got.get_heads() == doc.clone().get_heads(),
        "the newcomer got the whole workspace"
    );
    Ok(cost)
}

/// P4: a new peer joining; a reconnect after N offline edits with persisted sync state.
pub fn sync_bytes(large: &Workspace) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut doc = large.doc().clone();
    let saved = doc.save().len();
    match join_cost(&doc) {
        Ok(cost) => {
            let r = cost.total() as f64 / saved as f64;
            rows.push(
                Row::new("P4", "Sync bytes: new peer joins the large workspace")
                    .moot(format!(
                        "{} in {} round trips (newcomer → host {}, host → newcomer {})",
                        bytes(cost.total()),
                        cost.round_trips,
                        bytes(cost.sent_a),
                        bytes(cost.sent_b)
                    ))
                    .anchor(format!("save() {}", bytes(saved)))
                    .ratio(r)
                    .target("≤ 1.05× save()", r <= 1.05),
            );
        }
        Err(e) => rows.push(crate::report::failed(
            "P4",
            "Sync bytes: new peer joins",
            &e,
        )),
    }
    for n in [1usize, 10, 1000] {
        match reconnect_cost(&doc, n) {
            Ok((cost, raw)) => {
                let bound = raw as f64 * 1.10 + 1024.0;
                rows.push(
                    Row::new(
                        "P4",
                        format!(
                            "Sync bytes: reconnect after {n} offline edits (persisted sync state)"
                        ),
                    )
                    .moot(format!(
                        "{} in {} round trips",
                        bytes(cost.total()),
                        cost.round_trips
                    ))
                    .anchor(format!("raw changes {}", bytes(raw)))
                    .ratio(cost.total() as f64 / raw as f64)
                    .target(
                        "≤ 1.10× raw + 1 kB, ≤ 2 round trips",
                        cost.total() as f64 <= bound && cost.round_trips <= 2,
                    ),
                );
            }
            Err(e) => rows.push(crate::report::failed(
                "P4",
                &format!("reconnect after {n} edits"),
                &e,
            )),
        }
    }
    rows
}

fn reconnect_cost(base: &AutoCommit, n: usize) -> Result<(Exchange, usize)> {
    let mut base = base.clone();
    let mut fork = |actor: u8| {
        base.fork()
            .with_actor(automerge::ActorId::from(vec![actor; 16]))
    };
    // Offline on A: n keystrokes in the draft, one change each, through the model.
    let r = reconnect(DOC, fork(1), fork(2), |doc| {
        let mut ws = Workspace::from_doc(std::mem::take(doc), 11)?;
        let draft = ws.documents()?[0].id.clone();
        for i in 0..n {
            ws.splice_text(Ctx::new("p1", AT), &draft, 100 + i, 0, "y")?;
        }
        *doc = ws.doc().clone();
        Ok::<_, anyhow::Error>(())
    })?;
    anyhow::ensure!(
        r.a.clone().get_heads() == r.b.clone().get_heads(),
        "converged"
    );
    Ok((r.cost, r.offline_bytes))
}

/// What P8 measures at one size.
pub struct Scaled {
    pub load: Duration,
    pub apply: Duration,
    pub sync: Duration,
}

/// P8 (native part): load, apply 100 remote keystrokes, and a new peer's sync, at ×1 ×2 ×4.
pub fn scaling(workspaces: &mut [(usize, Workspace)]) -> Result<Vec<Scaled>> {
    let mut out = Vec::new();
    for (_, ws) in workspaces.iter_mut() {
        let bytes = ws.save();
        let load = time(5, || Workspace::load(&bytes, 1).map(|_| ()));
        // 100 keystrokes made elsewhere, applied here.
        let mut other = ws
            .doc_mut()
            .fork()
            .with_actor(automerge::ActorId::from(vec![9; 16]));
        let mut remote = Workspace::from_doc(other.clone(), 5)?;
        let draft = remote.documents()?[0].id.clone();
        let before = remote.heads();
        for i in 0..100 {
            remote.splice_text(Ctx::new("p2", AT), &draft, 50 + i, 0, "z")?;
        }
        let changes: Vec<_> = remote.doc_mut().get_changes(&before);
        let apply = time(5, || {
            let mut target = ws.doc().clone();
            target
                .apply_changes(changes.clone())
                .map(|_| target.length(automerge::ROOT))
        });
        other = ws.doc().clone();
        let sync = time(3, || join_cost(&other).map(|c| c.total()));
        out.push(Scaled { load, apply, sync });
    }
    Ok(out)
}

/// P8 rows from the measurements: each doubling's factor, target ≤ 2.2×.
pub fn scaling_rows(s: &[Scaled], render: Option<&[Duration]>) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut push = |what: &str, times: Vec<Duration>| {
        let factors: Vec<f64> = times
            .windows(2)
            .map(|w| w[1].as_secs_f64() / w[0].as_secs_f64().max(1e-9))
            .collect();
        let worst = factors.iter().copied().fold(0.0, f64::max);
        rows.push(
            Row::new("P8", format!("Scaling ×1/×2/×4: {what}"))
                .moot(times.iter().map(|t| ms(*t)).collect::<Vec<_>>().join(" / "))
                .anchor(format!(
                    "doublings {}",
                    factors
                        .iter()
                        .map(|f| format!("{f:.2}×"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
                .ratio(worst)
                .target("each doubling ≤ 2.2×", worst <= 2.2),
        );
    };
    push("load", s.iter().map(|x| x.load).collect());
    push(
        "apply 100 remote keystrokes",
        s.iter().map(|x| x.apply).collect(),
    );
    push(
        "sync a new peer (in memory)",
        s.iter().map(|x| x.sync).collect(),
    );
    if let Some(render) = render {
        push("render in Chromium (open → agenda shown)", render.to_vec());
    }
    rows
}

/// Builds the large workspace at each scale (this takes a while at ×4).
pub fn build(scales: &[usize]) -> Result<Vec<(usize, Workspace)>> {
    scales
        .iter()
        .map(|&s| {
            let t = Instant::now();
            let ws = fixtures::large_workspace(s)?;
            eprintln!("bench: large workspace ×{s} built in {:.1?}", t.elapsed());
            Ok((s, ws))
        })
        .collect()
}
