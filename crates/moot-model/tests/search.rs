//! Search: every kind of text is found, case-insensitively and in non-ASCII text, with the
//! match marked in its snippet and the place it opens; limits hold.

use moot_model::search::Area;
use moot_model::{Ctx, demo_workspace};

const AT: &str = "2025-12-20T14:00:00Z";

#[test]
fn every_page_s_texts_are_found_with_the_match_marked() {
    let me = Ctx::new("ada", AT);
    let mut ws = demo_workspace(me, "Ada", 1).unwrap();
    let index = ws.search_index().unwrap();
    let hits = index.find("MEMBERSHIP", 100);
    let areas: std::collections::BTreeSet<Area> = hits.iter().map(|h| h.place.area).collect();
    assert!(
        areas.contains(&Area::Agenda)
            && areas.contains(&Area::Workstreams)
            && areas.contains(&Area::CodeOfConduct),
        "{areas:?}"
    );
    // Grouped by page, in page order.
    assert!(hits.windows(2).all(|w| w[0].place.area <= w[1].place.area));
    for h in &hits {
        let marked: String = h
            .snippet
            .chars()
            .skip(h.matched.0)
            .take(h.matched.1 - h.matched.0)
            .collect();
        assert_eq!(marked.to_lowercase(), "membership", "{h:?}");
    }
    // The agenda item "Membership" opens its title field.
    assert!(hits.iter().any(|h| h.place.area == Area::Agenda
        && h.place.anchor.starts_with("title-")
        && h.snippet == "Membership"));

    // Non-ASCII, case-insensitive, and every later text: a decision, a proposal.
    let draft = ws.documents().unwrap()[0].id.clone();
    ws.replace_text(me, &draft, "Über alles: Ärger wird offen besprochen.")
        .unwrap();
    let index = ws.search_index().unwrap();
    let hits = index.find("ärger", 10);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].place.area, Area::CodeOfConduct);
    let m: String = hits[0]
        .snippet
        .chars()
        .skip(hits[0].matched.0)
        .take(5)
        .collect();
    assert_eq!(m, "Ärger");
    assert!(index.find("   ", 10).is_empty());
    assert!(index.find("nothing like this anywhere", 10).is_empty());
    let hits = index.find("open hardware makers", 10);
    assert!(
        hits.iter()
            .any(|h| h.place.area == Area::Members && h.place.anchor.starts_with("proposal-"))
    );
    // A limit is a limit.
    assert_eq!(index.find("e", 7).len(), 7);
}

#[test]
fn a_long_text_gives_its_first_matches_with_context() {
    let me = Ctx::new("ada", AT);
    let mut ws = moot_model::Workspace::create(me, "W", "Ada", 1).unwrap();
    let draft = ws.documents().unwrap()[0].id.clone();
    let text = format!("{}{}", "x".repeat(100), "word ".repeat(1000));
    ws.replace_text(me, &draft, &text).unwrap();
    let hits = ws.search_index().unwrap().find("word", 100);
    assert_eq!(hits.len(), 5, "at most five from one text");
    let h = &hits[1];
    assert!(
        h.snippet.starts_with('…') && h.snippet.ends_with('…'),
        "{h:?}"
    );
    assert_eq!(h.snippet.chars().count(), 1 + 40 + 4 + 40 + 1);
}
