//! Documents a hostile (or just different) peer can write: every read of the model survives
//! them, and what it cannot make sense of is skipped, not fatal (audit M1–M3, M6, M9–M11).

use automerge::{ObjId, ObjType, ROOT, ReadDoc, ScalarValue, transaction::Transactable};
use moot_model::{Ctx, Placement, Workspace};

const T: &str = "2025-12-01T10:00:00Z";

fn ada() -> Ctx<'static> {
    Ctx::new("ada", T)
}

fn get(ws: &Workspace, obj: &ObjId, prop: impl Into<automerge::Prop>) -> ObjId {
    ws.doc().get(obj, prop).unwrap().expect("present").1
}

/// A workspace with one session; returns (ws, session id, session object) for raw writes.
fn with_session(invitation: &str) -> (Workspace, String, ObjId) {
    let mut ws = Workspace::create(ada(), "Group", "Ada", 1).unwrap();
    let s = ws
        .add_session(ada(), "Session", "2025-12-20T12:00:00Z", 60, invitation)
        .unwrap();
    let session = get(&ws, &get(&ws, &ROOT, "sessions"), 0);
    (ws, s, session)
}

/// A workspace with a draft and one thread on "kind"; returns (ws, draft id, thread anchor obj).
fn with_thread() -> (Workspace, String, ObjId) {
    let mut ws = Workspace::create(ada(), "Group", "Ada", 1).unwrap();
    let draft = ws.documents().unwrap()[0].id.clone();
    ws.replace_text(ada(), &draft, "Be kind. Be open.").unwrap();
    ws.add_comment(ada(), &draft, 3, 7, "What is kind?", &[])
        .unwrap();
    let docs = get(&ws, &ROOT, "documents");
    let doc = get(&ws, &docs, 0);
    let threads = get(&ws, &doc, "threads");
    let thread = get(&ws, &threads, 0);
    let anchor = get(&ws, &thread, "anchor");
    (ws, draft, anchor)
}

#[test]
fn hostile_cursors_never_reach_automerge() {
    let (ws0, draft, anchor) = with_thread();
    // A real op outside the text: the thread's own comment list, and the workspace name.
    let docs = get(&ws0, &ROOT, "documents");
    let outside = get(&ws0, &get(&ws0, &docs, 0), "threads").to_string();
    let text_obj = get(&ws0, &get(&ws0, &docs, 0), "text");
    let inside = ws0
        .doc()
        .get_cursor(&text_obj, 3, None)
        .unwrap()
        .to_string();
    let (ctr, actor) = inside.split_once('@').unwrap();
    let payloads = [
        String::new(),
        "é".into(),
        "éé@00".into(),
        "-".into(),
        "@".into(),
        "1@".into(),
        "@ab".into(),
        "-é".into(),
        "s".into(),
        "e".into(),
        "0@ab".into(),
        format!("{}@{actor}", u64::MAX),
        // The same counter as a real character, plus 2^32: automerge would truncate it to
        // that character's counter in one column and not in the other.
        format!("{}@{actor}", ctr.parse::<u64>().unwrap() + (1 << 32)),
        format!("{ctr}@{}", "zz".repeat(8)),
        format!("{ctr}@{actor}0"),
        outside.clone(),
        format!("-{outside}"),
        "x".repeat(100_000),
    ];
    for payload in payloads {
        for field in ["start", "last", "end"] {
            let mut ws = ws0.clone();
            ws.doc_mut().put(&anchor, field, payload.as_str()).unwrap();
            ws.doc_mut().commit();
            // Falls back to the quote: still placed on "kind", never a panic.
            let threads = ws.threads(&draft).unwrap();
            assert_eq!(
                threads[0].placement,
                Placement::Anchored { start: 3, end: 7 },
                "{field} = {payload:?}"
            );
        }
    }
    // The real cursor still resolves (and follows an edit the quote search would not).
    let mut ws = ws0.clone();
    ws.splice_text(ada(), &draft, 0, 0, "kind ").unwrap();
    assert_eq!(
        ws.threads(&draft).unwrap()[0].placement,
        Placement::Anchored { start: 8, end: 12 }
    );
}

#[test]
fn a_hostile_session_start_is_an_error_on_export_not_a_crash() {
    let (mut ws, s, session) = with_session("");
    ws.doc_mut()
        .put(&session, "start", "2025-12-20T12:00:0é0Z")
        .unwrap();
    ws.doc_mut().commit();
    assert!(ws.minutes_markdown(&s).is_err());
    assert!(ws.session_ics(&s, T).is_err());
}

#[test]
fn exports_do_not_pass_peer_text_through() {
    let (mut ws, s, session) = with_session("<b>hi</b>");
    ws.add_agenda_item(ada(), &s, None, "Item <script>alert(1)</script>")
        .unwrap();
    // A peer's id with a line break, and a duration that overflows seconds.
    ws.doc_mut()
        .put(&session, "id", format!("{s}\r\nATTACH:https://evil"))
        .unwrap();
    ws.doc_mut()
        .put(&session, "duration_minutes", ScalarValue::Uint(u64::MAX))
        .unwrap();
    ws.doc_mut().commit();
    let id = format!("{s}\r\nATTACH:https://evil");
    let ics = ws.session_ics(&id, T).unwrap();
    assert!(
        !ics.lines().any(|l| l.starts_with("ATTACH")),
        "no injected property: {ics}"
    );
    assert!(ics.contains("DTEND:20251221T120000Z"), "{ics}");
    let md = ws.minutes_markdown(&id).unwrap();
    assert!(!md.contains("<script>") && !md.contains("<b>"), "{md}");
    assert!(md.contains("&lt;script&gt;"), "{md}");
}

#[test]
fn a_text_object_in_a_string_field_is_not_fatal() {
    // JS automerge 3 writes strings as Text by default.
    let (mut ws, s, session) = with_session("");
    let title = ws
        .doc_mut()
        .put_object(&session, "title", ObjType::Text)
        .unwrap();
    ws.doc_mut().splice_text(&title, 0, 0, "From JS").unwrap();
    ws.doc_mut().commit();
    let read = ws.sessions().unwrap();
    assert_eq!(read[0].title, "From JS");
    ws.rename_session(ada(), &s, "Renamed").unwrap();
    assert_eq!(ws.sessions().unwrap()[0].title, "Renamed");
}

// ----- the agenda: moves change position, never identity or contents (M6), depth (M2) -----

fn peer(ws: &Workspace, n: u8) -> Workspace {
    let mut p = Workspace::load(&ws.clone().save(), u64::from(n)).unwrap();
    p.doc_mut().set_actor(automerge::ActorId::from(vec![n; 16]));
    p
}

fn merged(a: &mut Workspace, b: &mut Workspace) {
    a.merge(b).unwrap();
    b.merge(a).unwrap();
}

/// The agenda as `id(children)` with each item's minutes after a colon when set.
fn outline(ws: &Workspace) -> String {
    fn walk(items: &[moot_model::schema::AgendaItem]) -> String {
        items
            .iter()
            .map(|i| {
                let mut s = i.title.clone();
                if !i.minutes.as_str().is_empty() {
                    s += &format!(":{}", i.minutes.as_str());
                }
                if !i.children.is_empty() {
                    s += &format!("({})", walk(&i.children));
                }
                s
            })
            .collect::<Vec<_>>()
            .join(",")
    }
    walk(&ws.sessions().unwrap()[0].agenda)
}

fn agenda(titles: &[&str]) -> (Workspace, String, Vec<String>) {
    let (mut ws, s, _) = with_session("");
    let ids = titles
        .iter()
        .map(|t| ws.add_agenda_item(ada(), &s, None, t).unwrap())
        .collect();
    (ws, s, ids)
}

#[test]
fn minutes_typed_while_someone_moves_the_item_are_kept() {
    use moot_model::Move;
    let (ws, s, ids) = agenda(&["a", "b", "c"]);
    for how in [Move::Up, Move::Indent, Move::Down] {
        let (mut a, mut b) = (peer(&ws, 1), peer(&ws, 2));
        let item = if how == Move::Down { &ids[0] } else { &ids[1] };
        a.move_agenda_item(ada(), &s, item, how).unwrap();
        b.set_minutes(ada(), &s, item, "agreed").unwrap();
        b.add_agenda_item(ada(), &s, Some(item), "sub").unwrap();
        merged(&mut a, &mut b);
        assert_eq!(outline(&a), outline(&b));
        let shown = outline(&a);
        assert!(shown.contains(":agreed(sub)"), "{how:?}: {shown}");
        assert_eq!(shown.matches(":agreed").count(), 1, "{how:?}: {shown}");
    }
    // And the move itself took effect.
    let (mut a, mut b) = (peer(&ws, 1), peer(&ws, 2));
    a.move_agenda_item(ada(), &s, &ids[2], Move::Up).unwrap();
    b.set_minutes(ada(), &s, &ids[2], "m").unwrap();
    merged(&mut a, &mut b);
    assert_eq!(outline(&a), "a,c:m,b");
}

#[test]
fn concurrent_moves_of_one_item_leave_one_item() {
    use moot_model::Move;
    let (ws, s, ids) = agenda(&["a", "b", "c"]);
    let (mut a, mut b) = (peer(&ws, 1), peer(&ws, 2));
    a.move_agenda_item(ada(), &s, &ids[1], Move::Up).unwrap();
    b.move_agenda_item(ada(), &s, &ids[1], Move::Down).unwrap();
    merged(&mut a, &mut b);
    let shown = outline(&a);
    assert_eq!(shown, outline(&b));
    assert_eq!(shown.matches('b').count(), 1, "{shown}");
    assert!(shown == "b,a,c" || shown == "a,c,b", "{shown}");

    // Two concurrent indents into each other make a cycle: both stay visible.
    let (ws, s, ids) = agenda(&["a", "b", "c"]);
    let (mut a, mut b) = (peer(&ws, 1), peer(&ws, 2));
    a.move_agenda_item(ada(), &s, &ids[1], Move::Indent)
        .unwrap(); // b under a
    b.move_agenda_item(ada(), &s, &ids[1], Move::Up).unwrap(); // b, a, c
    b.move_agenda_item(ada(), &s, &ids[0], Move::Indent)
        .unwrap(); // a under b
    merged(&mut a, &mut b);
    let shown = outline(&a);
    assert_eq!(shown, outline(&b));
    for t in ["a", "b", "c"] {
        assert_eq!(shown.matches(t).count(), 1, "{shown}");
    }
    // Every operation still works on the result.
    a.move_agenda_item(ada(), &s, &ids[2], Move::Up).unwrap();
    a.remove_agenda_item(ada(), &s, &ids[0]).unwrap();
    assert!(!outline(&a).contains('a'));
}

#[test]
fn a_sub_point_added_to_an_item_removed_at_the_same_time_is_kept() {
    let (ws, s, ids) = agenda(&["a", "b"]);
    let (mut a, mut b) = (peer(&ws, 1), peer(&ws, 2));
    a.remove_agenda_item(ada(), &s, &ids[0]).unwrap();
    b.add_agenda_item(ada(), &s, Some(&ids[0]), "late").unwrap();
    merged(&mut a, &mut b);
    assert_eq!(outline(&a), outline(&b));
    assert!(outline(&a).contains("late") && !outline(&a).starts_with("a"));
}

/// An agenda nested `depth` deep the way schema 1 stored it (children lists), written raw.
fn nested(depth: usize) -> (Workspace, String) {
    let (mut ws, s, session) = with_session("");
    let mut list = get(&ws, &session, "agenda");
    let d = ws.doc_mut();
    for i in 0..depth {
        let item = d.insert_object(&list, 0, ObjType::Map).unwrap();
        d.put(&item, "id", format!("i{i}")).unwrap();
        d.put(&item, "title", format!("t{i}")).unwrap();
        d.put_object(&item, "minutes", ObjType::Text).unwrap();
        list = d.put_object(&item, "children", ObjType::List).unwrap();
    }
    d.commit();
    (ws, s)
}

#[test]
fn older_nested_agendas_still_read_and_move() {
    use moot_model::Move;
    let (mut ws, s) = nested(3);
    assert_eq!(outline(&ws), "t0(t1(t2))");
    ws.move_agenda_item(ada(), &s, "i2", Move::Outdent).unwrap();
    assert_eq!(outline(&ws), "t0(t1,t2)");
    ws.set_minutes(ada(), &s, "i2", "kept").unwrap();
    ws.move_agenda_item(ada(), &s, "i2", Move::Up).unwrap();
    ws.move_agenda_item(ada(), &s, "i2", Move::Outdent).unwrap();
    assert_eq!(outline(&ws), "t0(t1),t2:kept");
    let reopened = Workspace::load(&ws.save(), 3).unwrap();
    assert_eq!(outline(&reopened), "t0(t1),t2:kept");
}

#[test]
fn hostile_nesting_does_not_overflow_the_stack() {
    // 20 000 levels: a recursive read overflows a 1 MiB stack (the browser's) long before.
    let (ws, s) = nested(20_000);
    let bytes = ws.clone().save();
    std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(move || {
            let ws = Workspace::load(&bytes, 2).unwrap();
            let agenda = &ws.sessions().unwrap()[0].agenda;
            assert_eq!(agenda[0].title, "t0");
            ws.minutes_markdown(&s).unwrap();
            ws.to_json().unwrap();
            ws.state().unwrap();
        })
        .unwrap()
        .join()
        .expect("no stack overflow");
}
