//! Search over the whole workspace: agenda titles, minutes and action points, workstream items
//! and their comments, the draft, threads and replies, proposals, decisions.
//!
//! [`Workspace::search_index`] reads every text once (build it once per change); a query then
//! scans the folded texts, so typing costs a scan, not a read of the document. Matching is
//! case-insensitive per character (each character folded to its first lowercase character, so
//! offsets stay the same), in Unicode scalar values.

use crate::{ModelError, Workspace, schema::AgendaItem};

/// The page a hit is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Area {
    Agenda,
    Workstreams,
    CodeOfConduct,
    Decisions,
    Members,
}

impl Area {
    /// Every page, in the navigation's order.
    pub const ALL: [Area; 5] = [
        Area::Agenda,
        Area::Workstreams,
        Area::CodeOfConduct,
        Area::Decisions,
        Area::Members,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Area::Agenda => "Agenda & minutes",
            Area::Workstreams => "Workstreams",
            Area::CodeOfConduct => "Code of Conduct",
            Area::Decisions => "Decisions",
            Area::Members => "Members",
        }
    }
}

/// Where a hit opens: the page and, on it, the element (`id`) that shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub area: Area,
    /// A DOM id on that page, or empty for the page itself.
    pub anchor: String,
    /// A decision to focus (the Decisions page).
    pub decision: Option<String>,
}

struct Entry {
    place: Place,
    /// What it is, for the result line ("Session 3 › 2 Item title — minutes").
    title: String,
    text: Vec<char>,
    folded: Vec<char>,
}

/// Every searchable text of a workspace, read once.
pub struct SearchIndex {
    entries: Vec<Entry>,
}

/// One match: where, what, and a snippet with the match at `matched` (char range in `snippet`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub place: Place,
    pub title: String,
    pub snippet: String,
    pub matched: (usize, usize),
}

const CONTEXT: usize = 40;
/// Matches shown from one long text (the draft): the first ones.
const PER_ENTRY: usize = 5;

fn fold(c: char) -> char {
    c.to_lowercase().next().unwrap_or(c)
}

impl SearchIndex {
    fn push(&mut self, place: Place, title: String, text: &str) {
        if text.trim().is_empty() {
            return;
        }
        let text: Vec<char> = text.chars().collect();
        let folded = text.iter().map(|c| fold(*c)).collect();
        self.entries.push(Entry {
            place,
            title,
            text,
            folded,
        });
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The first `limit` matches of `query` (trimmed; empty finds nothing), in page order.
    pub fn find(&self, query: &str, limit: usize) -> Vec<Hit> {
        let needle: Vec<char> = query.trim().chars().map(fold).collect();
        let mut hits = Vec::new();
        if needle.is_empty() {
            return hits;
        }
        'entries: for e in &self.entries {
            let mut from = 0;
            let mut found = 0;
            while let Some(at) = find_from(&e.folded, &needle, from) {
                let start = at.saturating_sub(CONTEXT);
                let end = (at + needle.len() + CONTEXT).min(e.text.len());
                let mut snippet: String = e.text[start..end].iter().collect();
                let mut offset = at - start;
                if start > 0 {
                    snippet.insert(0, '…');
                    offset += 1;
                }
                if end < e.text.len() {
                    snippet.push('…');
                }
                hits.push(Hit {
                    place: e.place.clone(),
                    title: e.title.clone(),
                    snippet: snippet.replace(['\n', '\r'], " "),
                    matched: (offset, offset + needle.len()),
                });
                if hits.len() >= limit {
                    break 'entries;
                }
                found += 1;
                if found >= PER_ENTRY {
                    break;
                }
                from = at + needle.len();
            }
        }
        hits.sort_by_key(|h| h.place.area);
        hits
    }
}

fn find_from(hay: &[char], needle: &[char], from: usize) -> Option<usize> {
    if needle.len() > hay.len() {
        return None;
    }
    let first = needle[0];
    (from..=hay.len() - needle.len())
        .find(|i| hay[*i] == first && hay[*i..*i + needle.len()] == *needle)
}

fn agenda(index: &mut SearchIndex, session: &str, items: &[AgendaItem], prefix: &str) {
    for (i, item) in items.iter().enumerate() {
        let n = if prefix.is_empty() {
            format!("{}", i + 1)
        } else {
            format!("{prefix}.{}", i + 1)
        };
        let place = |anchor: String| Place {
            area: Area::Agenda,
            anchor,
            decision: None,
        };
        index.push(
            place(format!("title-{}", item.id)),
            format!("{session} › {n}"),
            &item.title,
        );
        index.push(
            place(format!("minutes-{}", item.id)),
            format!("{session} › {n} {} — minutes", item.title),
            item.minutes.as_str(),
        );
        agenda(index, session, &item.children, &n);
    }
}

impl Workspace {
    /// Every searchable text, read once (see [`SearchIndex::find`]).
    pub fn search_index(&self) -> Result<SearchIndex, ModelError> {
        let mut index = SearchIndex {
            entries: Vec::new(),
        };
        let page = |area: Area, anchor: String| Place {
            area,
            anchor,
            decision: None,
        };
        for s in self.sessions()? {
            index.push(
                page(Area::Agenda, format!("session-{}", s.id)),
                "Work session".into(),
                &s.title,
            );
            index.push(
                page(Area::Agenda, format!("session-{}", s.id)),
                format!("{} — invitation", s.title),
                s.invitation.as_str(),
            );
            agenda(&mut index, &s.title, &s.agenda, "");
            for a in &s.action_points {
                index.push(
                    page(Area::Agenda, format!("action-{}", a.id)),
                    format!("{} — action point", s.title),
                    &a.text,
                );
            }
        }
        for w in self.workstreams()? {
            index.push(
                page(Area::Workstreams, format!("workstream-{}", w.id)),
                "Workstream".into(),
                &w.name,
            );
            for item in &w.items {
                index.push(
                    page(Area::Workstreams, format!("ws-item-{}", item.id)),
                    w.name.clone(),
                    &item.text,
                );
                for c in &item.comments {
                    index.push(
                        page(Area::Workstreams, format!("ws-item-{}", item.id)),
                        format!("{} — comment by {}", w.name, self.person_name(&c.author)),
                        &c.body,
                    );
                }
            }
        }
        for d in self.documents()? {
            index.push(
                page(Area::CodeOfConduct, "draft-text".into()),
                d.title.clone(),
                d.text.as_str(),
            );
            for t in &d.threads {
                for c in &t.comments {
                    index.push(
                        page(Area::CodeOfConduct, format!("thread-{}", t.id)),
                        format!(
                            "{} — comment by {} on “{}”",
                            d.title,
                            self.person_name(&c.author),
                            t.anchor.quote.chars().take(40).collect::<String>()
                        ),
                        &c.body,
                    );
                }
            }
        }
        for (id, rules, outcome) in self.decision_texts() {
            let place = Place {
                area: Area::Decisions,
                anchor: format!("decision-{id}"),
                decision: Some(id),
            };
            let q = &rules.question;
            index.push(place.clone(), "Decision".into(), q);
            index.push(place.clone(), format!("{q} — details"), &rules.details);
            index.push(
                place.clone(),
                format!("{q} — options"),
                &rules.options.join(" · "),
            );
            if let Some(o) = outcome {
                index.push(place, format!("{q} — outcome"), &o);
            }
        }
        for p in self.membership()?.proposals {
            let place = page(Area::Members, format!("proposal-{}", p.proposal.id));
            index.push(place.clone(), "Proposal".into(), &p.proposal.candidate.name);
            index.push(
                place.clone(),
                format!("{} — statement", p.proposal.candidate.name),
                &p.proposal.statement,
            );
            for a in &p.proposal.acts {
                index.push(
                    place.clone(),
                    format!(
                        "{} — comment by {}",
                        p.proposal.candidate.name,
                        self.person_name(&a.by)
                    ),
                    &a.comment,
                );
            }
        }
        Ok(index)
    }
}
