//! Counting a decision: pure functions of the frozen rules, the ballots and the delegations,
//! so every peer that holds the same changes computes the same tally (see `decisions.rs` for
//! which ballots those are).
//!
//! - Every member of the electorate carries their weight to exactly one ballot or to none:
//!   their own ballot if they cast one; else, if the decision allows delegation, the ballot of
//!   the first person along their chain of delegations who voted. A chain that loops, leaves
//!   the electorate or ends with someone who did not vote counts as not voted.
//! - Quorum and thresholds count against the whole electorate's weight, not the ballots cast.
//! - Abstaining takes part (it counts for the quorum) and supports nothing.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// How a decision is decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Method {
    /// Passes unless a member objects (objections carry a reason).
    Consent,
    /// An option is chosen when its support reaches the threshold of the electorate.
    Majority { threshold: Threshold },
    /// Instant runoff on ranked ballots; `ties` says who is eliminated when the fewest votes
    /// are shared.
    Ranked { ties: TieRule },
}

/// The support a majority needs, as a share of the electorate's weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Threshold {
    /// More than half.
    Simple,
    /// At least two thirds.
    TwoThirds,
    /// At least `percent` per cent (1–100).
    Percent { percent: u8 },
}

impl Threshold {
    pub fn met(self, support: u64, electorate: u64) -> bool {
        let (s, e) = (u128::from(support), u128::from(electorate));
        match self {
            Threshold::Simple => s * 2 > e,
            Threshold::TwoThirds => s * 3 >= e * 2,
            Threshold::Percent { percent } => s * 100 >= e * u128::from(percent.clamp(1, 100)),
        }
    }

    pub fn label(self) -> String {
        match self {
            Threshold::Simple => "more than half of the electorate".into(),
            Threshold::TwoThirds => "at least two thirds of the electorate".into(),
            Threshold::Percent { percent } => format!("at least {percent}% of the electorate"),
        }
    }
}

/// Who is eliminated in a ranked count when several options share the fewest votes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TieRule {
    /// The one with fewer votes in the latest earlier round where they differed; if they never
    /// differed, the one listed last.
    PriorRounds,
    /// The one listed last.
    ListedLast,
}

impl TieRule {
    pub fn label(self) -> &'static str {
        match self {
            TieRule::PriorRounds => {
                "fewer votes in the latest earlier round where they differed, then the one listed last"
            }
            TieRule::ListedLast => "the option listed last",
        }
    }
}

/// What a ballot says. Which choices a method accepts: see [`Choice::fits`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Choice {
    Consent,
    Object {
        reason: String,
    },
    Abstain,
    /// An option by its index (majority).
    Option {
        option: usize,
    },
    /// Options by index, most preferred first (ranked choice).
    Ranking {
        order: Vec<usize>,
    },
}

impl Choice {
    /// Whether this choice is a valid ballot under `method` with `options` options.
    pub fn fits(&self, method: Method, options: usize) -> bool {
        match (self, method) {
            (Choice::Abstain, _) => true,
            (Choice::Consent, Method::Consent) => true,
            (Choice::Object { reason }, Method::Consent) => !reason.trim().is_empty(),
            (Choice::Option { option }, Method::Majority { .. }) => *option < options,
            (Choice::Ranking { order }, Method::Ranked { .. }) => {
                let distinct: BTreeSet<_> = order.iter().collect();
                !order.is_empty()
                    && distinct.len() == order.len()
                    && order.iter().all(|o| *o < options)
            }
            _ => false,
        }
    }
}

/// Why nothing was adopted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    NoQuorum {
        needed: u64,
        took_part: u64,
    },
    /// Consent: this much weight objected.
    Objected {
        weight: u64,
    },
    /// Majority: no option reached the threshold.
    BelowThreshold,
    /// Majority: several options reached it with the same support.
    Tie,
    NoVotes,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Consent given (`option` is `None`), or the option chosen.
    Adopted {
        option: Option<usize>,
    },
    NotAdopted(Failure),
}

/// One member of the electorate, and where their weight went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoterLine {
    pub voter: String,
    pub weight: u64,
    /// The people their weight passed through, ending with whoever cast the ballot it counts
    /// for: `[voter]` for a direct ballot, `[]` when it counts for nothing.
    pub chain: Vec<String>,
    /// The ballot it counts for.
    pub choice: Option<Choice>,
    /// Why it counts for nothing (empty when it counts).
    pub note: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    /// The electorate's total weight.
    pub electorate: u64,
    pub took_part: u64,
    pub quorum_needed: u64,
    /// Consent: `[consent, object, abstain]`; majority: per option, then abstain; ranked: the
    /// first round per option, then abstain.
    pub counts: Vec<u64>,
    /// Ranked choice: each round's count per option (`None` once eliminated).
    pub rounds: Vec<Vec<Option<u64>>>,
    pub voters: Vec<VoterLine>,
    /// Weight each direct voter carries (their own and what was delegated to them).
    pub carried: BTreeMap<String, u64>,
    pub outcome: Outcome,
}

/// What counting needs: the frozen rules' part of it.
#[derive(Debug, Clone, Copy)]
pub struct Counting<'a> {
    pub method: Method,
    pub options: usize,
    pub quorum_percent: u8,
    pub electorate: &'a BTreeMap<String, u64>,
    pub delegation: bool,
}

/// Counts `ballots` (voter → valid choice) with `delegations` (voter → delegate).
pub fn count(
    rules: Counting<'_>,
    ballots: &BTreeMap<String, Choice>,
    delegations: &BTreeMap<String, String>,
) -> Tally {
    let electorate: u64 = rules
        .electorate
        .values()
        .fold(0, |a, w| a.saturating_add(*w));
    let (names, ends) = resolve_all(rules, ballots, delegations);
    // Each member's delegate, as an index, looked up once (chains are walked by index).
    let next: Vec<Option<usize>> = (0..names.len())
        .map(|i| next_index(&names, delegations, i))
        .collect();
    let mut voters = Vec::with_capacity(names.len());
    let mut carried: BTreeMap<String, u64> = BTreeMap::new();
    let mut resolved: Vec<(u64, &Choice)> = Vec::new();
    for (i, (end, weight)) in ends.iter().zip(rules.electorate.values()).enumerate() {
        let (chain, choice, note) = match *end {
            End::Ballot(j) => {
                let choice = &ballots[names[j]];
                *carried.entry(names[j].to_owned()).or_default() += *weight;
                resolved.push((*weight, choice));
                // The chain: the delegations from i to j.
                let mut chain = vec![names[i].to_owned()];
                let mut at = i;
                while at != j {
                    at = next[at].unwrap_or(j);
                    chain.push(names[at].to_owned());
                }
                (chain, Some(choice.clone()), "")
            }
            End::Nothing(note) => (Vec::new(), None, note),
        };
        voters.push(VoterLine {
            voter: names[i].to_owned(),
            weight: *weight,
            chain,
            choice,
            note,
        });
    }
    let took_part = resolved.iter().fold(0u64, |a, (w, _)| a.saturating_add(*w));
    let quorum_needed = ceil_percent(electorate, rules.quorum_percent);
    let mut rounds = Vec::new();
    let (counts, decided) = match rules.method {
        Method::Consent => {
            let mut c = vec![0u64; 3];
            for (w, choice) in &resolved {
                let i = match choice {
                    Choice::Consent => 0,
                    Choice::Object { .. } => 1,
                    _ => 2,
                };
                c[i] = c[i].saturating_add(*w);
            }
            // Silence is consent (once the quorum took part): only an objection stops it.
            let outcome = if c[1] > 0 {
                Outcome::NotAdopted(Failure::Objected { weight: c[1] })
            } else {
                Outcome::Adopted { option: None }
            };
            (c, outcome)
        }
        Method::Majority { threshold } => {
            let mut c = vec![0u64; rules.options + 1];
            for (w, choice) in &resolved {
                let i = match choice {
                    Choice::Option { option } if *option < rules.options => *option,
                    _ => rules.options,
                };
                c[i] = c[i].saturating_add(*w);
            }
            let reaching: Vec<usize> = (0..rules.options)
                .filter(|i| threshold.met(c[*i], electorate))
                .collect();
            let best = reaching.iter().map(|i| c[*i]).max();
            let top: Vec<usize> = reaching
                .into_iter()
                .filter(|i| Some(c[*i]) == best)
                .collect();
            let outcome = match top.as_slice() {
                [one] => Outcome::Adopted { option: Some(*one) },
                [] if took_part == 0 => Outcome::NotAdopted(Failure::NoVotes),
                [] => Outcome::NotAdopted(Failure::BelowThreshold),
                _ => Outcome::NotAdopted(Failure::Tie),
            };
            (c, outcome)
        }
        Method::Ranked { ties } => {
            let (winner, all_rounds) = runoff(rules.options, ties, &resolved);
            rounds = all_rounds;
            let mut c: Vec<u64> = rounds
                .first()
                .map(|r| r.iter().map(|v| v.unwrap_or(0)).collect())
                .unwrap_or_else(|| vec![0; rules.options]);
            let abstain = resolved
                .iter()
                .filter(|(_, ch)| matches!(ch, Choice::Abstain))
                .fold(0u64, |a, (w, _)| a.saturating_add(*w));
            c.push(abstain);
            let outcome = match winner {
                Some(w) => Outcome::Adopted { option: Some(w) },
                None => Outcome::NotAdopted(Failure::NoVotes),
            };
            (c, outcome)
        }
    };
    // Quorum comes first: without it nothing is adopted, whatever the counts.
    let outcome = if took_part < quorum_needed || (quorum_needed == 0 && electorate == 0) {
        Outcome::NotAdopted(Failure::NoQuorum {
            needed: quorum_needed,
            took_part,
        })
    } else {
        decided
    };
    Tally {
        electorate,
        took_part,
        quorum_needed,
        counts,
        rounds,
        voters,
        carried,
        outcome,
    }
}

/// `ceil(percent/100 × total)`, as Loomio counts a quorum.
fn ceil_percent(total: u64, percent: u8) -> u64 {
    let p = u128::from(percent.min(100));
    u64::try_from((u128::from(total) * p).div_ceil(100)).unwrap_or(u64::MAX)
}

/// Where a member's weight ends up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// The ballot of electorate member `j` (themselves for a direct ballot).
    Ballot(usize),
    Nothing(&'static str),
}

const DID_NOT_VOTE: &str = "did not vote";
const NOBODY_VOTED: &str = "delegated, but nobody along the chain voted";

/// The electorate member that `i` delegates to, if any and in the electorate.
fn next_index(names: &[&str], delegations: &BTreeMap<String, String>, i: usize) -> Option<usize> {
    let to = delegations.get(names[i])?;
    names.binary_search(&to.as_str()).ok()
}

/// Follows every member's delegations to the ballot their weight counts for: a direct ballot
/// first; else along the chain to the first member who voted. Each step is taken once
/// (memoised), so chains of any length cost linear time.
fn resolve_all<'e>(
    rules: Counting<'e>,
    ballots: &BTreeMap<String, Choice>,
    delegations: &BTreeMap<String, String>,
) -> (Vec<&'e str>, Vec<End>) {
    let names: Vec<&str> = rules.electorate.keys().map(String::as_str).collect();
    let n = names.len();
    let mut end: Vec<Option<End>> = vec![None; n];
    let mut on_path = vec![false; n];
    for start in 0..n {
        let mut path: Vec<usize> = Vec::new();
        let mut at = start;
        let found = loop {
            if let Some(e) = end[at] {
                break e;
            }
            if ballots.contains_key(names[at]) {
                break End::Ballot(at);
            }
            if !rules.delegation {
                break End::Nothing(DID_NOT_VOTE);
            }
            if on_path[at] {
                break End::Nothing("delegations form a loop with no vote in it");
            }
            let Some(to) = delegations.get(names[at]) else {
                break End::Nothing(DID_NOT_VOTE);
            };
            let Ok(next) = names.binary_search(&to.as_str()) else {
                break End::Nothing("delegated to someone outside the electorate");
            };
            on_path[at] = true;
            path.push(at);
            at = next;
        };
        if end[at].is_none() {
            end[at] = Some(found);
        }
        // Whoever delegated into a chain where nobody votes "delegated, but nobody voted".
        let through = match found {
            End::Nothing(DID_NOT_VOTE) => End::Nothing(NOBODY_VOTED),
            other => other,
        };
        for p in path {
            on_path[p] = false;
            end[p] = Some(through);
        }
    }
    let ends = end
        .into_iter()
        .map(|e| e.unwrap_or(End::Nothing(DID_NOT_VOTE)))
        .collect();
    (names, ends)
}

/// Instant runoff: the winner (if any ballot ranks anything) and each round's counts.
fn runoff(
    options: usize,
    ties: TieRule,
    ballots: &[(u64, &Choice)],
) -> (Option<usize>, Vec<Vec<Option<u64>>>) {
    let rankings: Vec<(u64, &[usize])> = ballots
        .iter()
        .filter_map(|(w, c)| match c {
            Choice::Ranking { order } => Some((*w, order.as_slice())),
            _ => None,
        })
        .collect();
    let mut live = vec![true; options];
    let mut rounds: Vec<Vec<Option<u64>>> = Vec::new();
    loop {
        let mut round = vec![0u64; options];
        let mut continuing = 0u64;
        for (w, order) in &rankings {
            if let Some(first) = order.iter().find(|o| **o < options && live[**o]) {
                round[*first] = round[*first].saturating_add(*w);
                continuing = continuing.saturating_add(*w);
            }
        }
        rounds.push((0..options).map(|i| live[i].then_some(round[i])).collect());
        let alive: Vec<usize> = (0..options).filter(|i| live[*i]).collect();
        if continuing == 0 || alive.is_empty() {
            return (None, rounds);
        }
        if let Some(winner) = alive
            .iter()
            .find(|i| u128::from(round[**i]) * 2 > u128::from(continuing))
        {
            return (Some(*winner), rounds);
        }
        if alive.len() == 1 {
            return (Some(alive[0]), rounds);
        }
        let fewest = alive.iter().map(|i| round[*i]).min().unwrap_or(0);
        let mut tied: Vec<usize> = alive.into_iter().filter(|i| round[*i] == fewest).collect();
        if ties == TieRule::PriorRounds {
            // Look back through earlier rounds for one where the tied options differed.
            for earlier in rounds.iter().rev().skip(1) {
                let low = tied
                    .iter()
                    .map(|i| earlier[*i].unwrap_or(0))
                    .min()
                    .unwrap_or(0);
                let fewer: Vec<usize> = tied
                    .iter()
                    .copied()
                    .filter(|i| earlier[*i].unwrap_or(0) == low)
                    .collect();
                if fewer.len() < tied.len() {
                    tied = fewer;
                    if tied.len() == 1 {
                        break;
                    }
                }
            }
        }
        // Still tied: the one listed last goes.
        let out = *tied.iter().max().unwrap_or(&0);
        live[out] = false;
    }
}
