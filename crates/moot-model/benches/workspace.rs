//! Model benchmarks: load, apply, hydrate and export a large workspace, and the
//! automerge-paper editing trace applied to a draft. Figures only; nothing here asserts time.
//!
//! Large = 30 sessions, 200 threads with 5 replies, 50 proposals with 10 endorsements, and a
//! 20k-character draft with 5k edits.

use std::{hint::black_box, io::Read, time::Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use moot_model::{
    Ctx, Workspace,
    schema::{Approval, Candidate, CandidateKind, ObjectionRule},
};

const AT: &str = "2025-12-20T14:00:00Z";

fn large_workspace() -> Workspace {
    let started = Instant::now();
    let me = Ctx::new("p0", AT);
    let mut ws = Workspace::create(me, "Large", "P0", 7).unwrap();
    for i in 1..=12 {
        ws.set_person_name(me, &format!("p{i}"), &format!("Person {i}"))
            .unwrap();
        ws.add_to_roster(me, &format!("p{i}")).unwrap();
    }
    for s in 0..30 {
        let id = ws
            .add_session(
                me,
                &format!("Session {s}"),
                AT,
                90,
                "Invitation text for the session.",
            )
            .unwrap();
        for a in 0..5 {
            let item = ws
                .add_agenda_item(me, &id, None, &format!("Item {a}"))
                .unwrap();
            ws.set_minutes(
                me,
                &id,
                &item,
                "Minutes of the discussion, a sentence or two long.",
            )
            .unwrap();
        }
        ws.add_action_point(
            me,
            &id,
            "Follow up",
            &["p1".into()],
            Some("2026-01-17"),
            None,
        )
        .unwrap();
    }
    eprintln!("  sessions: {:.1?}", started.elapsed());
    let draft = ws.documents().unwrap()[0].id.clone();
    let paragraph =
        "Members act with care and respect, and disagreements are settled in the open. ";
    let text: String = paragraph.chars().cycle().take(20_000).collect();
    ws.replace_text(me, &draft, &text).unwrap();
    for e in 0..5_000usize {
        let len = 20_000 + e % 2;
        let pos = (e * 7919) % (len - 1);
        if e % 2 == 0 {
            ws.splice_text(me, &draft, pos, 0, "x").unwrap()
        } else {
            ws.splice_text(me, &draft, pos, 1, "").unwrap()
        }
    }
    eprintln!("  draft edits: {:.1?}", started.elapsed());
    for t in 0..200usize {
        let start = (t * 97) % 19_000;
        let thread = ws
            .add_comment(
                Ctx::new(&format!("p{}", t % 12 + 1), AT),
                &draft,
                start,
                start + 40,
                "A comment on this passage.",
                &[],
            )
            .unwrap();
        for r in 0..5 {
            ws.reply(
                Ctx::new(&format!("p{}", (t + r) % 12 + 1), AT),
                &draft,
                &thread,
                "A reply in the thread.",
            )
            .unwrap();
        }
    }
    eprintln!("  threads: {:.1?}", started.elapsed());
    let tier = ws
        .add_tier(
            me,
            "Ratified",
            Approval::Ratification {
                endorsements: 8,
                objections: ObjectionRule::Subtract,
            },
        )
        .unwrap();
    for p in 0..50 {
        let c = Candidate {
            kind: CandidateKind::Organisation,
            name: format!("Org {p}"),
            size: Some(10),
            person: None,
        };
        let id = ws.propose(me, c, &tier, "Statement").unwrap();
        for e in 1..=10 {
            ws.endorse(Ctx::new(&format!("p{e}"), AT), &id, "").unwrap();
        }
    }
    eprintln!("large workspace built in {:.1?}", started.elapsed());
    ws
}

fn paper_trace() -> Vec<(usize, usize, String)> {
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
    // Each edit is [position, deleted, inserted text]; deletions omit the text.
    let raw: Vec<Vec<serde_json::Value>> = serde_json::from_str(&json).unwrap();
    raw.into_iter()
        .map(|e| {
            let n = |i: usize| e[i].as_u64().expect("position and count are numbers") as usize;
            (
                n(0),
                n(1),
                e.get(2).and_then(|t| t.as_str()).unwrap_or("").to_owned(),
            )
        })
        .collect()
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
                    assert_eq!(ws.document_text(&draft).unwrap().chars().count(), 104_852);
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
