//! Workspaces for benchmarks and load tests: a large one (scalable), and the
//! automerge-paper editing trace. Not used by the app (and dropped from its build).

use crate::{
    Ctx, ModelError, Workspace,
    schema::{Approval, Candidate, CandidateKind, ObjectionRule},
};

const AT: &str = "2025-12-20T14:00:00Z";

/// The large workspace, `scale` times over: 30 sessions (5 agenda items with minutes and an
/// action point each), 200 threads with 5 replies on a 20k-character draft edited 5k times,
/// and 50 proposals with 10 endorsements — each count times `scale`.
pub fn large_workspace(scale: usize) -> Result<Workspace, ModelError> {
    let me = Ctx::new("p0", AT);
    let mut ws = Workspace::create(me, "Large", "P0", 7)?;
    for i in 1..=12 {
        ws.set_person_name(me, &format!("p{i}"), &format!("Person {i}"))?;
        ws.add_to_roster(me, &format!("p{i}"))?;
    }
    for s in 0..30 * scale {
        let id = ws.add_session(
            me,
            &format!("Session {s}"),
            AT,
            90,
            "Invitation text for the session.",
        )?;
        for a in 0..5 {
            let item = ws.add_agenda_item(me, &id, None, &format!("Item {a}"))?;
            ws.set_minutes(
                me,
                &id,
                &item,
                "Minutes of the discussion, a sentence or two long.",
            )?;
        }
        ws.add_action_point(
            me,
            &id,
            "Follow up",
            &["p1".into()],
            Some("2026-01-17"),
            None,
        )?;
    }
    let draft = ws.documents()?[0].id.clone();
    let paragraph =
        "Members act with care and respect, and disagreements are settled in the open. ";
    let len = 20_000 * scale;
    let text: String = paragraph.chars().cycle().take(len).collect();
    ws.replace_text(me, &draft, &text)?;
    for e in 0..5_000 * scale {
        let pos = (e * 7919) % (len + e % 2 - 1);
        if e % 2 == 0 {
            ws.splice_text(me, &draft, pos, 0, "x")?
        } else {
            ws.splice_text(me, &draft, pos, 1, "")?
        }
    }
    for t in 0..200 * scale {
        let start = (t * 97) % (len - 1_000);
        let thread = ws.add_comment(
            Ctx::new(&format!("p{}", t % 12 + 1), AT),
            &draft,
            start,
            start + 40,
            "A comment on this passage.",
            &[],
        )?;
        for r in 0..5 {
            ws.reply(
                Ctx::new(&format!("p{}", (t + r) % 12 + 1), AT),
                &draft,
                &thread,
                "A reply in the thread.",
            )?;
        }
    }
    let tier = ws.add_tier(
        me,
        "Ratified",
        Approval::Ratification {
            endorsements: 10,
            objections: ObjectionRule::Subtract,
        },
    )?;
    for p in 0..50 * scale {
        let c = Candidate {
            kind: CandidateKind::Organisation,
            name: format!("Org {p}"),
            size: Some(10),
            person: None,
        };
        let id = ws.propose(me, c, &tier, "Statement")?;
        for e in 1..=10 {
            ws.endorse(Ctx::new(&format!("p{e}"), AT), &id, "")?;
        }
    }
    Ok(ws)
}

/// One edit of the automerge-paper trace: at `position` (chars) delete `deleted`, insert `inserted`.
pub type TraceEdit = (usize, usize, String);

/// Parses the automerge-paper trace (its JSON, decompressed): `[position, deleted, text?]`.
pub fn paper_trace(json: &str) -> Result<Vec<TraceEdit>, serde_json::Error> {
    // Deletions have no third element.
    let raw: Vec<Vec<serde_json::Value>> = serde_json::from_str(json)?;
    Ok(raw
        .into_iter()
        .map(|e| {
            let n = |i: usize| e.get(i).and_then(serde_json::Value::as_u64).unwrap_or(0) as usize;
            (
                n(0),
                n(1),
                e.get(2).and_then(|t| t.as_str()).unwrap_or("").to_owned(),
            )
        })
        .collect())
}

/// The length of the draft once the whole trace is applied.
pub const PAPER_TRACE_FINAL_CHARS: usize = 104_852;
