//! D1: tallying a decision (#14) with 1,000 voters, 10,000 ballot changes and delegation
//! chains of length 50 — natively here; in Chromium by `browser.rs`, which opens the same
//! workspace on its Decisions page and reads the app's `moot:tally` measure.

use std::time::{Duration, Instant};

use anyhow::Result;
use moot_model::decisions::{NewDecision, ROSTER};
use moot_model::tally::{Choice, Method, Threshold};
use moot_model::{Ctx, Workspace};

use crate::report::{Row, ms};

pub const VOTERS: usize = 1000;
pub const BALLOT_CHANGES: usize = 10_000;
pub const CHAIN: usize = 50;
const AT: &str = "2026-12-01T10:00:00Z";
const LATER: &str = "2026-12-01T11:00:00Z";

fn person(i: usize) -> String {
    format!("member-{i:04}")
}

/// The decision: half the electorate votes directly, changing their ballots until there have
/// been 10,000 ballot changes; the other half delegates in chains of 50 ending in a voter.
/// Returns the workspace and the decision's id.
pub fn workspace() -> Result<(Workspace, String)> {
    let chair = person(0);
    let t0 = Instant::now();
    let mut ws = Workspace::create(Ctx::new(&chair, AT), "Decisions bench", "Chair", 1)?;
    for i in 1..VOTERS {
        let p = person(i);
        ws.set_person_name(Ctx::new(&p, AT), &p, &format!("Member {i}"))?;
        ws.add_to_roster(Ctx::new(&chair, AT), &p)?;
    }
    eprintln!("bench:   roster of {VOTERS} in {:?}", t0.elapsed());
    let id = ws.open_decision(
        Ctx::new(&chair, AT),
        NewDecision {
            question: "Adopt the Code of Conduct v1".into(),
            details: String::new(),
            options: vec!["For".into(), "Against".into()],
            method: Method::Majority {
                threshold: Threshold::TwoThirds,
            },
            quorum_percent: 50,
            tiers: vec![ROSTER.into()],
            chair: chair.clone(),
            closes_at: None,
            topic: None,
            delegation: true,
            subject: None,
            hidden: None,
        },
    )?;
    let direct = VOTERS / 2;
    for k in 0..BALLOT_CHANGES {
        let voter = person(k % direct);
        let option = (k / direct + k) % 2;
        ws.vote(Ctx::new(&voter, AT), &id, Choice::Option { option })?;
    }
    eprintln!(
        "bench:   {BALLOT_CHANGES} ballot changes by {:?}",
        t0.elapsed()
    );
    // Delegators direct..VOTERS, in chains of CHAIN: each to the next, the last to a voter.
    for i in direct..VOTERS {
        let next = if (i - direct + 1).is_multiple_of(CHAIN) {
            person((i - direct) / CHAIN)
        } else {
            person(i + 1)
        };
        ws.delegate(Ctx::new(&person(i), AT), &id, Some(&next))?;
    }
    Ok((ws, id))
}

pub(crate) fn median_of(mut f: impl FnMut() -> Result<()>, runs: usize) -> Result<Duration> {
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        f()?;
        times.push(t.elapsed());
    }
    times.sort();
    Ok(times[runs / 2])
}

pub fn rows() -> Vec<Row> {
    match measure() {
        Ok(rows) => rows,
        Err(e) => vec![crate::report::failed("D1", "decision tally", &e)],
    }
}

fn measure() -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    let target = 0.010;
    let (mut ws, id) = workspace()?;
    for close in [false, true] {
        if close {
            ws.close_decision(Ctx::new(&person(0), LATER), &id)?;
        }
        let view = ws.decision(&id)?;
        let longest = view
            .tally
            .voters
            .iter()
            .map(|l| l.chain.len())
            .max()
            .unwrap_or(0);
        anyhow::ensure!(
            longest > CHAIN && view.tally.took_part == VOTERS as u64 && view.is_open() != close,
            "the bench decision is not what it should be (longest chain {longest})"
        );
        let runs = std::env::var("MOOT_TALLY_RUNS")
            .ok()
            .and_then(|r| r.parse().ok())
            .unwrap_or(21);
        let t = median_of(|| ws.decision(&id).map(drop).map_err(Into::into), runs)?;
        rows.push(
            Row::new(
                "D1",
                if close {
                    "Decision tally, closed (read at the close): 1,000 voters, 10,000 ballot changes, chains of 50"
                } else {
                    "Decision tally, open (provisional): 1,000 voters, 10,000 ballot changes, chains of 50"
                },
            )
            .moot(ms(t))
            .anchor("goal 10 ms native")
            .ratio(t.as_secs_f64() / target)
            .target("≤ 10 ms", t.as_secs_f64() <= target),
        );
    }
    Ok(rows)
}
