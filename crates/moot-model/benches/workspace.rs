//! Model benchmarks: load, apply, hydrate and export a large workspace, and the
//! automerge-paper editing trace applied to a draft. Figures only; nothing here asserts time.
//!
//! Large = 30 sessions, 200 threads with 5 replies, 50 proposals with 10 endorsements, and a
//! 20k-character draft with 5k edits.

use std::{hint::black_box, io::Read, time::Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use moot_model::{Ctx, Workspace, fixtures};

const AT: &str = "2025-12-20T14:00:00Z";

fn large_workspace() -> Workspace {
    let started = Instant::now();
    let ws = fixtures::large_workspace(1).unwrap();
    eprintln!("large workspace built in {:.1?}", started.elapsed());
    ws
}

fn paper_trace() -> Vec<fixtures::TraceEdit> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/bench/automerge-paper-edits.json.gz"
    );
    let mut json = String::new();
    flate2::read::GzDecoder::new(
        std::fs::File::open(path).expect("../shared/bench/automerge-paper-edits.json.gz"),
    )
    .read_to_string(&mut json)
    .unwrap();
    fixtures::paper_trace(&json).unwrap()
}

fn benches(c: &mut Criterion) {
    let mut ws = large_workspace();
    let bytes = ws.save();
    eprintln!("large workspace: {} bytes saved", bytes.len());
    let mut g = c.benchmark_group("large-workspace");
    g.sample_size(10);
    g.bench_function("load", |b| {
        b.iter(|| Workspace::load(black_box(&bytes), 1).unwrap())
    });
    g.bench_function("hydrate", |b| b.iter(|| black_box(ws.state().unwrap())));
    g.bench_function("threads(resolve anchors)", |b| {
        let draft = ws.documents().unwrap()[0].id.clone();
        b.iter(|| black_box(ws.threads(&draft).unwrap()))
    });
    // The first placement after opening also checks every cursor against the change that
    // made its op (hostile cursors must not reach automerge); later ones reuse the answers.
    g.bench_function("threads(first after load: cursor checks)", |b| {
        let draft = ws.documents().unwrap()[0].id.clone();
        b.iter_batched(
            || Workspace::load(&bytes, 4).unwrap(),
            |w| black_box(w.threads(&draft).unwrap()),
            criterion::BatchSize::LargeInput,
        )
    });
    g.bench_function("membership(derive)", |b| {
        b.iter(|| black_box(ws.membership().unwrap()))
    });
    g.bench_function("apply 10 comments", |b| {
        let draft = ws.documents().unwrap()[0].id.clone();
        b.iter_batched(
            || Workspace::load(&bytes, 3).unwrap(),
            |mut w| {
                for i in 0..10 {
                    w.add_comment(Ctx::new("p1", AT), &draft, i * 10, i * 10 + 5, "batch", &[])
                        .unwrap();
                }
                w
            },
            criterion::BatchSize::LargeInput,
        )
    });
    g.bench_function("export json", |b| {
        b.iter(|| black_box(ws.to_json().unwrap()))
    });
    let session = ws.sessions().unwrap()[0].id.clone();
    g.bench_function("export minutes markdown", |b| {
        b.iter(|| black_box(ws.minutes_markdown(&session).unwrap()))
    });
    g.bench_function("save", |b| b.iter(|| black_box(ws.save())));
    g.finish();

    let edits = paper_trace();
    let mut g = c.benchmark_group("automerge-paper");
    g.sample_size(10);
    g.bench_function(
        format!(
            "apply {} edits to a draft (one change per edit)",
            edits.len()
        ),
        |b| {
            b.iter_batched(
                || {
                    let me = Ctx::new("p0", AT);
                    let ws = Workspace::create(me, "Paper", "P0", 1).unwrap();
                    let draft = ws.documents().unwrap()[0].id.clone();
                    (ws, draft)
                },
                |(mut ws, draft)| {
                    let me = Ctx::new("p0", AT);
                    for (pos, del, ins) in &edits {
                        ws.splice_text(me, &draft, *pos, *del, ins).unwrap();
                    }
                    assert_eq!(
                        ws.document_text(&draft).unwrap().chars().count(),
                        fixtures::PAPER_TRACE_FINAL_CHARS
                    );
                    ws
                },
                criterion::BatchSize::PerIteration,
            )
        },
    );
    g.finish();
}

criterion_group!(model, benches);
criterion_main!(model);
