//! The model's reads and exports on hostile documents: the input drives raw automerge writes
//! into a demo workspace — wrong types, cursor-like strings, deep nesting, duplicate ids, long
//! strings — and every read must return a value or an error, never panic or overflow.
#![no_main]
use std::sync::OnceLock;

use automerge::{
    AutoCommit, ObjId, ObjType, ROOT, ReadDoc, ScalarValue, transaction::Transactable,
};
use libfuzzer_sys::fuzz_target;
use moot_model::{Ctx, Workspace};

const KEYS: &[&str] = &[
    "sessions",
    "agenda",
    "id",
    "title",
    "minutes",
    "children",
    "parent",
    "order",
    "removed",
    "documents",
    "threads",
    "anchor",
    "start",
    "end",
    "text",
    "comments",
    "resolved",
    "tiers",
    "approval",
    "proposals",
    "acts",
    "kind",
    "by",
    "roster",
    "people",
    "name",
    "at",
    "utc",
    "duration_minutes",
    "action_points",
    "owners",
    "due",
    "done",
    "workstreams",
    "quote",
    "decisions",
    "delegations",
    "rules",
    "ballots",
    "closes",
    "outcome",
];
const STRINGS: &[&str] = &[
    "",
    "é",
    "-1@zz",
    "0@00",
    "4294967296@ab",
    "18446744073709551615@00",
    "1@",
    "@",
    "x",
    "2025-12-20T14:00:00Z",
    "9999-99-99T99:99:99Z",
    "self-certification",
    "ratification",
    "endorse",
    "object",
    "withdraw",
    "self-certify",
    "all",
    "\r\n\u{0}\u{2028}",
    r#"{"choice":{"kind":"option","option":99},"at":""}"#,
    r#"{"choice":{"kind":"ranking","order":[0,0]},"at":""}"#,
    r#"{"at":"2025-12-20T14:00:00Z","reveal":"00"}"#,
    r#"{"to":"p0","at":""}"#,
];

fn demo() -> &'static (AutoCommit, Vec<(ObjId, ObjType)>) {
    static DEMO: OnceLock<(AutoCommit, Vec<(ObjId, ObjType)>)> = OnceLock::new();
    DEMO.get_or_init(|| {
        // A small workspace with one of everything (the demo is too slow to hydrate per input
        // under the sanitizer): a session with nested agenda items, a draft with a thread, a
        // proposal.
        let ctx = Ctx::new("p0", "2025-12-20T14:00:00Z");
        let mut ws = Workspace::create(ctx, "Fuzz", "P0", 1).unwrap();
        let session = ws
            .add_session(ctx, "S", "2025-12-20T14:00:00Z", 60, "")
            .unwrap();
        let item = ws.add_agenda_item(ctx, &session, None, "one").unwrap();
        ws.add_agenda_item(ctx, &session, Some(&item), "sub")
            .unwrap();
        ws.add_agenda_item(ctx, &session, None, "two").unwrap();
        let draft = ws.documents().unwrap()[0].id.clone();
        ws.replace_text(ctx, &draft, "The quick brown fox.")
            .unwrap();
        ws.add_comment(ctx, &draft, 4, 9, "quick?", &[]).unwrap();
        // A decision with a ballot, a delegation and a close.
        let decision = ws
            .open_decision(
                ctx,
                moot_model::NewDecision {
                    question: "Q".into(),
                    details: String::new(),
                    options: vec!["a".into(), "b".into()],
                    method: moot_model::tally::Method::Ranked {
                        ties: moot_model::tally::TieRule::PriorRounds,
                    },
                    quorum_percent: 50,
                    tiers: vec![moot_model::decisions::ROSTER.into()],
                    chair: "p0".into(),
                    closes_at: None,
                    topic: None,
                    delegation: true,
                    subject: None,
                    hidden: None,
                },
            )
            .unwrap();
        ws.vote(
            ctx,
            &decision,
            moot_model::tally::Choice::Ranking { order: vec![1, 0] },
        )
        .unwrap();
        ws.close_decision(ctx, &decision).unwrap();
        let bytes = ws.save();
        let doc = AutoCommit::load(&bytes).unwrap();
        let objs = objects(&doc);
        (doc, objs)
    })
}

/// Every object reachable from the root, up to a bound.
fn objects(doc: &AutoCommit) -> Vec<(ObjId, ObjType)> {
    let mut found = vec![(ROOT, ObjType::Map)];
    let mut i = 0;
    while i < found.len() && found.len() < 2000 {
        let (obj, kind) = found[i].clone();
        let children: Vec<_> = match kind {
            ObjType::Map | ObjType::Table => doc
                .keys(&obj)
                .take(64)
                .filter_map(|k| doc.get(&obj, k.as_str()).ok().flatten())
                .collect(),
            ObjType::List | ObjType::Text => (0..doc.length(&obj).min(64))
                .filter_map(|n| doc.get(&obj, n).ok().flatten())
                .collect(),
        };
        for (value, id) in children {
            if let automerge::Value::Object(t) = value {
                found.push((id, t));
            }
        }
        i += 1;
    }
    found
}

fuzz_target!(|data: &[u8]| {
    let (demo, objs) = demo();
    let (mut doc, mut objs) = (demo.clone(), objs.clone());
    // At most 64 writes per input: enough to build any hostile shape, cheap enough to run
    // thousands of inputs.
    for op in data.chunks(4).take(64) {
        let [a, b, c, d] = [
            op[0],
            *op.get(1).unwrap_or(&0),
            *op.get(2).unwrap_or(&0),
            *op.get(3).unwrap_or(&0),
        ];
        let (obj, kind) = objs[usize::from(a) % objs.len()].clone();
        let key = KEYS[usize::from(b) % KEYS.len()];
        let at = |len: usize| usize::from(c) % (len + 1);
        let value: ScalarValue = match d % 6 {
            0 => STRINGS[usize::from(c) % STRINGS.len()].into(),
            1 => ScalarValue::Int(i64::from(c as i8) << (d % 64)),
            2 => ScalarValue::Uint(u64::MAX >> (c % 64)),
            3 => ScalarValue::F64(f64::from(c) / 0.0),
            4 => ScalarValue::Boolean(c % 2 == 0),
            _ => ScalarValue::Null,
        };
        let _ = match (kind, d >> 5) {
            // Deep nesting: a chain of maps (up to 130 000 levels in one op).
            (ObjType::Map, 7) => {
                let mut at = doc.put_object(&obj, key, ObjType::List);
                for _ in 0..(usize::from(c) * usize::from(c) * 2) {
                    at = at.and_then(|o| doc.insert_object(&o, 0, ObjType::Map));
                }
                at.map(drop)
            }
            // A copy of the first agenda item (duplicate ids) or a long string.
            (ObjType::Map, 6) => doc.put(&obj, key, "w".repeat(usize::from(c) * 4096)),
            (ObjType::Map, 5) => doc.put_object(&obj, key, ObjType::Text).map(drop),
            (ObjType::Map, 4) => doc.put_object(&obj, key, ObjType::List).map(drop),
            (ObjType::Map, 3) => doc.put_object(&obj, key, ObjType::Map).map(drop),
            (ObjType::Map, _) => doc.put(&obj, key, value),
            (ObjType::List, 0..=3) => {
                let n = doc.length(&obj);
                doc.insert(&obj, at(n), value)
            }
            (ObjType::List, _) => {
                let n = doc.length(&obj);
                doc.insert_object(&obj, at(n), ObjType::Map).map(drop)
            }
            (ObjType::Text, _) => {
                let n = doc.length(&obj);
                doc.splice_text(
                    &obj,
                    at(n),
                    isize::from(d % 3),
                    STRINGS[usize::from(b) % STRINGS.len()],
                )
                .map(drop)
            }
            (ObjType::Table, _) => Ok(()),
        };
        // Newly made objects become targets too.
        if d >> 5 >= 3 && objs.len() < 4000 {
            objs = objects(&doc);
        }
    }
    doc.commit();
    let bytes = doc.save();
    let _ = Workspace::load(&bytes, 1);
    for ws in [
        Workspace::from_doc(doc.clone(), 1).ok(),
        Workspace::from_stored(doc, 1).ok(),
    ]
    .into_iter()
    .flatten()
    {
        let _ = ws.name();
        let _ = ws.membership();
        // Decisions: hostile rules, slots and closes read without a panic.
        for d in ws.decisions().iter().take(4) {
            let _ = d.summary();
            let _ = d.outcome_label();
        }
        let _ = ws.workstreams();
        let _ = ws.to_json();
        if let Ok(sessions) = ws.sessions() {
            for s in sessions.iter().take(4) {
                let _ = ws.minutes_markdown(&s.id);
                let _ = ws.session_ics(&s.id, "20251220T140000Z");
            }
        }
        if let Ok(documents) = ws.documents() {
            for d in documents.iter().take(4) {
                let _ = ws.threads(&d.id);
                let _ = ws.document_text(&d.id);
            }
        }
    }
});
