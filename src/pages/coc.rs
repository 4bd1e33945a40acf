//! The Code of Conduct draft under review: edit the text, select a passage and comment, and
//! threads beside it that follow their passage as the text changes.
//!
//! The draft is a textarea laid over a mirror of its own text in which the commented passages
//! are marked; the mirror gives the textarea its height (so the page scrolls, not the box) and
//! tells where each passage sits, so each thread card is placed beside its passage.

use std::collections::HashMap;

use leptos::{html, prelude::*};
use moot_model::{OPERATIONAL_QUESTION, Placement, TextEdit, ThreadView};
use wasm_bindgen::JsCast;

use crate::state::Session;
use moot_model::news::Part;

/// What the review page shows (names under [`Part::People`]).
const REVIEW: Part = Part::Area(moot_model::search::Area::CodeOfConduct);

fn split_tags(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

/// UTF-16 offsets (what the browser reports) to char offsets (what the model counts).
fn utf16_to_chars(text: &str, utf16: u32) -> usize {
    let mut units = 0u32;
    for (i, c) in text.chars().enumerate() {
        if units >= utf16 {
            return i;
        }
        units += c.len_utf16() as u32;
    }
    text.chars().count()
}

/// Where the caret at `caret` (UTF-16) belongs once `old` became `new`: before the changed
/// span it stays, after it it moves by the length difference, inside it goes to the span's end.
fn carry_caret(old: &[u16], new: &[u16], caret: usize) -> usize {
    let prefix = old.iter().zip(new).take_while(|(a, b)| a == b).count();
    let suffix = old[prefix..]
        .iter()
        .rev()
        .zip(new[prefix..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    if caret <= prefix {
        caret
    } else if caret >= old.len() - suffix {
        (caret + new.len()).saturating_sub(old.len())
    } else {
        new.len() - suffix
    }
}

/// A run of the draft in the mirror: plain or inside a commented passage, and the threads
/// whose passage starts here.
struct Run {
    text: String,
    marked: bool,
    pins: Vec<String>,
}

/// Cuts `text` at every passage boundary (passages may overlap or nest).
fn runs(text: &str, passages: &[(String, usize, usize)]) -> Vec<Run> {
    let len = text.chars().count();
    let mut cuts: Vec<usize> = passages
        .iter()
        .flat_map(|(_, s, e)| [*s, *e])
        .chain([0, len])
        .map(|c| c.min(len))
        .collect();
    cuts.sort_unstable();
    cuts.dedup();
    let bytes = byte_offsets(text, &cuts);
    cuts.windows(2)
        .zip(bytes.windows(2))
        .map(|(w, b)| Run {
            text: text[b[0]..b[1]].to_owned(),
            marked: passages.iter().any(|(_, s, e)| *s <= w[0] && w[1] <= *e),
            pins: passages
                .iter()
                .filter(|(_, s, _)| *s == w[0])
                .map(|(id, _, _)| id.clone())
                .collect(),
        })
        .collect()
}

/// The byte offsets of the char offsets `sorted` (ascending, each at most the text's length),
/// in one pass and without copying the text.
fn byte_offsets(text: &str, sorted: &[usize]) -> Vec<usize> {
    let mut out = Vec::with_capacity(sorted.len());
    let mut next = sorted.iter().peekable();
    for (i, (byte, _)) in text.char_indices().chain([(text.len(), ' ')]).enumerate() {
        while next.peek().is_some_and(|&&c| c == i) {
            out.push(byte);
            next.next();
        }
        if next.peek().is_none() {
            break;
        }
    }
    out
}

/// Chars per change when a long paste goes in: a few tens of milliseconds of work each.
const PASTE_PIECE: usize = 32 * 1024;

/// `text` cut into pieces of at most `size` chars.
fn pieces(text: &str, size: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    chars.chunks(size).map(|c| c.iter().collect()).collect()
}

/// Resolves on a later task, letting the browser paint and handle input in between.
async fn next_task() {
    gloo_timers::future::TimeoutFuture::new(0).await;
}

/// One line of the draft in the mirror.
struct Line {
    number: usize,
    /// A hash of the line's runs: same fingerprint, same rendering.
    fingerprint: u64,
    runs: Vec<Run>,
    empty: bool,
}

/// Splits runs at newlines into lines (a text ending in a newline ends with an empty line,
/// as in the textarea).
fn lines(runs: Vec<Run>) -> Vec<Line> {
    use std::hash::{Hash, Hasher};
    let mut out = Vec::new();
    let mut current: Vec<Run> = Vec::new();
    let finish = |current: &mut Vec<Run>, out: &mut Vec<Line>| {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        for r in current.iter() {
            (&r.text, r.marked, &r.pins).hash(&mut h);
        }
        let runs = std::mem::take(current);
        let empty = runs.iter().all(|r| r.text.is_empty());
        out.push(Line {
            number: out.len(),
            fingerprint: h.finish(),
            runs,
            empty,
        });
    };
    for run in runs {
        let mut parts = run.text.split('\n').peekable();
        let mut pins = run.pins;
        while let Some(part) = parts.next() {
            if !part.is_empty() || !pins.is_empty() {
                current.push(Run {
                    text: part.to_owned(),
                    marked: run.marked,
                    pins: std::mem::take(&mut pins),
                });
            }
            if parts.peek().is_some() {
                finish(&mut current, &mut out);
            }
        }
    }
    finish(&mut current, &mut out);
    out
}

const NARROW: f64 = 760.0;
const CARD_GAP: f64 = 12.0;

/// Places each thread card's quote level with its passage's first line, pushed down below the card
/// before it; orphaned threads follow. On a narrow screen the cards stay in the flow.
fn align_threads() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let Some(document) = window.document() else {
        return;
    };
    let Ok(Some(list)) = document.query_selector("[data-testid=threads]") else {
        return;
    };
    let wide = window
        .inner_width()
        .ok()
        .and_then(|w| w.as_f64())
        .is_some_and(|w| w > NARROW);
    let _ = list.class_list().toggle_with_force("aligned", wide);
    let origin = list.get_bounding_client_rect().top();
    let mut pins = HashMap::new();
    if let Ok(found) = document.query_selector_all(".draft-mirror [data-pin]") {
        for i in 0..found.length() {
            if let Some(pin) = found
                .item(i)
                .and_then(|n| n.dyn_into::<web_sys::Element>().ok())
            {
                let top = pin.get_bounding_client_rect().top() - origin;
                for id in pin.get_attribute("data-pin").unwrap_or_default().split(' ') {
                    pins.insert(id.to_owned(), top);
                }
            }
        }
    }
    let Ok(cards) = list.query_selector_all(":scope > [data-thread-id]") else {
        return;
    };
    let mut y: f64 = 0.0;
    for i in 0..cards.length() {
        let Some(card) = cards
            .item(i)
            .and_then(|n| n.dyn_into::<web_sys::HtmlElement>().ok())
        else {
            continue;
        };
        if !wide {
            let _ = card.style().remove_property("top");
            continue;
        }
        let id = card.get_attribute("data-thread-id").unwrap_or_default();
        // The card's quote (its first line) is what lines up with the passage.
        let lead = card
            .first_element_child()
            .and_then(|q| q.dyn_into::<web_sys::HtmlElement>().ok())
            .map_or(0, |q| q.offset_top());
        let top = pins.get(&id).map_or(y, |pin| pin - f64::from(lead)).max(y);
        let _ = card.style().set_property("top", &format!("{top}px"));
        y = top + f64::from(card.offset_height()) + CARD_GAP;
    }
    let list: web_sys::HtmlElement = list.unchecked_into();
    let style = list.style();
    if wide {
        let _ = style.set_property("min-height", &format!("{y}px"));
    } else {
        let _ = style.remove_property("min-height");
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Filter {
    All,
    Open,
    Resolved,
    Mine,
    Operational,
}

#[component]
pub fn CocPage() -> impl IntoView {
    let session = expect_context::<Session>();
    crate::pages::decisions::LinkedDecisions::provide(session);
    // The draft's id, title and text are read once per change (memos), not per use.
    let draft_doc = Memo::new(move |_| {
        session
            .read_ok_in(&[REVIEW], |ws| ws.document_titles())
            .and_then(|d| d.into_iter().next())
    });
    let doc_id = move || draft_doc.with(|d| d.as_ref().map(|d| d.0.clone()).unwrap_or_default());
    let title = move || draft_doc.with(|d| d.as_ref().map(|d| d.1.clone()).unwrap_or_default());
    // A long paste goes in as pieces, one change per task, so the page keeps answering; the
    // textarea is read-only meanwhile.
    let pasting = RwSignal::new(None::<(usize, usize)>);
    // The draft as shown. This page's own typing updates it directly (reading a long text
    // back from the document on every keystroke was most of a keystroke's time); it is read
    // from the document when the document changed otherwise: opened, a peer, an import.
    let shown = RwSignal::new(String::new());
    let reread = move || {
        let doc = draft_doc.with_untracked(|d| d.as_ref().map(|d| d.0.clone()).unwrap_or_default());
        let text = untrack(|| session.read_ok(|ws| ws.document_text(&doc))).unwrap_or_default();
        if shown.with_untracked(|t| *t != text) {
            shown.set(text);
        }
    };
    Effect::new(move |_| {
        session.outside.track();
        draft_doc.track();
        if pasting.get_untracked().is_none() {
            reread();
        }
    });
    // Set when the textarea itself produced the new text: nothing to write back to it.
    let echo = StoredValue::new(false);
    let draft: NodeRef<html::Textarea> = NodeRef::new();
    let selection = RwSignal::new(None::<(usize, usize, String)>);
    let comment = RwSignal::new(String::new());
    let operational = RwSignal::new(true);
    let other_tags = RwSignal::new(String::new());
    let filter = RwSignal::new(Filter::All);

    let read_selection = move || {
        let Some(area) = draft.get() else { return };
        let value = area.value();
        let (Ok(Some(s)), Ok(Some(e))) = (area.selection_start(), area.selection_end()) else {
            return;
        };
        let (s, e) = (utf16_to_chars(&value, s), utf16_to_chars(&value, e));
        if s < e {
            selection.set(Some((s, e, value.chars().skip(s).take(e - s).collect())));
        }
    };
    // Every keystroke is a change (so peers see typing as it happens); the textarea is only
    // written when the model's text differs from it — a remote edit — keeping the caret put.
    let save_text = move |ev: leptos::ev::Event| {
        if pasting.get_untracked().is_some() {
            return;
        }
        let value = event_target_value(&ev);
        let doc = doc_id();
        let edit = shown.with_untracked(|old| TextEdit::between(old, &value));
        if edit.is_empty() {
            return;
        }
        let pieces = pieces(&edit.inserted, PASTE_PIECE);
        if pieces.len() <= 1 {
            // Typing and deleting are one splice; anything else (several places at once) goes
            // through the model's diff so passages between the edits keep their comments.
            let result = if edit.removed == 0 || edit.inserted.is_empty() {
                session
                    .act(|ws, ctx| ws.splice_text(ctx, &doc, edit.at, edit.removed, &edit.inserted))
            } else {
                session.act(|ws, ctx| ws.replace_text(ctx, &doc, &value))
            };
            match result {
                Ok(()) => {
                    echo.set_value(true);
                    shown.set(value);
                }
                // Refused (too long…): show what the document holds again.
                Err(_) => reread(),
            }
            return;
        }
        pasting.set(Some((0, pieces.len())));
        leptos::task::spawn_local(async move {
            let (mut at, mut removed, total) = (edit.at, edit.removed, pieces.len());
            for (done, piece) in pieces.into_iter().enumerate() {
                if session
                    .act(|ws, ctx| ws.splice_text(ctx, &doc, at, removed, &piece))
                    .is_err()
                {
                    break;
                }
                (at, removed) = (at + piece.chars().count(), 0);
                pasting.set(Some((done + 1, total)));
                next_task().await;
            }
            pasting.set(None);
            reread();
        });
    };
    Effect::new(move |_| {
        let text = shown.get();
        if std::mem::take(&mut *echo.write_value()) {
            return;
        }
        let Some(area) = draft.get() else { return };
        let old = area.value();
        if old == text {
            return;
        }
        let focused = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.active_element())
            .is_some_and(|e| e == **area);
        let (start, end) = (
            area.selection_start().ok().flatten(),
            area.selection_end().ok().flatten(),
        );
        area.set_value(&text);
        if let (true, Some(start), Some(end)) = (focused, start, end) {
            let (old16, new16): (Vec<u16>, Vec<u16>) =
                (old.encode_utf16().collect(), text.encode_utf16().collect());
            let carry = |c: u32| carry_caret(&old16, &new16, c as usize) as u32;
            let _ = area.set_selection_range(carry(start), carry(end));
        }
    });
    let add_comment = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some((s, e, _)) = selection.get_untracked() else {
            return;
        };
        let mut tags = if operational.get_untracked() {
            vec![OPERATIONAL_QUESTION.to_owned()]
        } else {
            Vec::new()
        };
        tags.extend(split_tags(&other_tags.get_untracked()));
        let doc = doc_id();
        if session
            .act_comment(|ws, ctx| ws.add_comment(ctx, &doc, s, e, &comment.get_untracked(), &tags))
            .is_ok()
        {
            comment.set(String::new());
            other_tags.set(String::new());
            selection.set(None);
        }
    };
    let threads = move || {
        let me = session.me.get().map(|m| m.id).unwrap_or_default();
        let f = filter.get();
        // Who wrote each (in a private workspace, by which key) is read from the people.
        let threads = session
            .read_ok_in(&[REVIEW, Part::People], |ws| ws.threads(&doc_id()))
            .unwrap_or_default();
        // Each anchored thread's passage, cut from the text in one pass.
        let mut ends: Vec<usize> = threads
            .iter()
            .flat_map(|t| match t.placement {
                Placement::Anchored { start, end } => vec![start, end],
                Placement::Orphaned => vec![],
            })
            .collect();
        ends.sort_unstable();
        ends.dedup();
        let passages: Vec<String> = shown.with(|text| {
            let len = text.chars().count();
            let ends: Vec<usize> = ends.iter().map(|&c| c.min(len)).collect();
            let bytes = byte_offsets(text, &ends);
            let at = |c: usize| bytes[ends.binary_search(&c.min(len)).unwrap_or(0)];
            threads
                .iter()
                .map(|t| match t.placement {
                    Placement::Anchored { start, end } => text[at(start)..at(end)].to_owned(),
                    Placement::Orphaned => String::new(),
                })
                .collect()
        });
        threads
            .into_iter()
            .zip(passages)
            .filter(|(t, _)| match f {
                Filter::All => true,
                Filter::Open => !t.thread.resolved,
                Filter::Resolved => t.thread.resolved,
                Filter::Mine => t.thread.comments.iter().any(|c| c.author == me),
                Filter::Operational => t.thread.tags.iter().any(|g| g == OPERATIONAL_QUESTION),
            })
            .collect::<Vec<_>>()
    };
    let threads = Memo::new(move |_| threads());
    // Comments in someone else's name (private workspaces only: an open one signs nothing).
    // Only others' changes can bring one (what I write here is signed by my key; adding a
    // device happens on the Members page, and this page is built anew when opened): re-read
    // when the document changes from outside, not on every keystroke here.
    let forged = Memo::new(move |_| {
        session.outside.track();
        if session.level.get().is_none() {
            return Default::default();
        }
        session
            .read_untracked(|ws| ws.forged_comments(&doc_id()))
            .unwrap_or_default()
    });
    let passages = move || {
        threads.with(|ts| {
            ts.iter()
                .filter_map(|(t, _)| match t.placement {
                    Placement::Anchored { start, end } => Some((t.thread.id.clone(), start, end)),
                    Placement::Orphaned => None,
                })
                .collect::<Vec<_>>()
        })
    };
    // One block per line of the draft, keyed by its contents: a keystroke re-renders (and the
    // browser re-lays out) one line, not the whole text.
    let lines = move || shown.with(|text| lines(runs(text, &passages())));
    let mirror = view! {
        <For each=lines key=|l: &Line| (l.number, l.fingerprint) let:line>
            <div class="mline">
                {line.runs.into_iter().map(|r| {
                    let pin = (!r.pins.is_empty()).then(|| view! { <span class="pin" data-pin=r.pins.join(" ")></span> });
                    if r.marked {
                        view! { {pin}<mark data-testid="passage-mark">{r.text}</mark> }.into_any()
                    } else {
                        view! { {pin}{r.text} }.into_any()
                    }
                }).collect_view()}
                // An empty line still takes up its height.
                {line.empty.then(|| view! { <br /> })}
            </div>
        </For>
    };
    Effect::new(move |_| {
        shown.track();
        threads.track();
        request_animation_frame(align_threads);
    });
    let on_resize = window_event_listener(leptos::ev::resize, move |_| align_threads());
    on_cleanup(move || on_resize.remove());
    let filter_button = move |f: Filter, label: &'static str, testid: &'static str| {
        view! {
            <button type="button" data-testid=testid aria-pressed=move || (filter.get() == f).to_string() on:click=move |_| filter.set(f)>{label}</button>
        }
    };

    view! {
        <section aria-labelledby="coc-title" class="review" data-testid="coc-page">
            <h2 id="coc-title">{title}</h2>
            <Show when=move || session.may(moot_trust::Level::Edit)>
                <p><a data-testid="coc-propose-decision"
                    href=move || crate::pages::decisions::href(&session.doc_id.get().unwrap_or_default(), "from", &format!("document:{}", doc_id()))>
                    "Put the draft to a decision, as it stands"
                </a></p>
            </Show>
            <div class="review-grid">
                <div class="draft">
                    <label for="draft-text">"Draft text (everyone in the workspace can edit; select a passage to comment on it)"</label>
                    {move || pasting.get().map(|(done, total)| view! {
                        <p class="notice" role="status" data-testid="paste-progress">{format!("Adding the pasted text… {}%", done * 100 / total.max(1))}</p>
                    })}
                    <div class="draft-box">
                        <div class="draft-mirror draft-text" aria-hidden="true" data-testid="draft-mirror">{mirror}</div>
                        <textarea id="draft-text" node_ref=draft class="draft-text" data-testid="draft-text" spellcheck="true"
                            prop:readOnly=move || pasting.get().is_some() || !session.may(moot_trust::Level::Edit)
                            on:select=move |_| read_selection() on:mouseup=move |_| read_selection() on:keyup=move |_| read_selection()
                            on:input=save_text on:change=save_text></textarea>
                    </div>
                    <Show when=move || selection.get().is_some() && session.may(moot_trust::Level::Comment)>
                        <form class="card comment-form" on:submit=add_comment data-testid="comment-form">
                            <p class="quote" data-testid="selected-quote">{move || selection.get().map(|s| format!("“{}”", s.2))}</p>
                            <label for="new-comment">"Your comment"</label>
                            <textarea id="new-comment" data-testid="comment-input" rows="3" prop:value=move || comment.get() on:input=move |ev| comment.set(event_target_value(&ev))></textarea>
                            <label class="toggle"><input type="checkbox" data-testid="tag-operational" prop:checked=move || operational.get() on:change=move |ev| operational.set(event_target_checked(&ev)) />" Operational question"</label>
                            <label for="new-tags">"Other tags (comma separated)"</label>
                            <input id="new-tags" data-testid="comment-tags" placeholder="e.g. wording, reporting" prop:value=move || other_tags.get() on:input=move |ev| other_tags.set(event_target_value(&ev)) />
                            <button type="submit" data-testid="comment-submit">"Comment"</button>
                        </form>
                    </Show>
                </div>
                <aside class="threads" aria-label="Comment threads">
                    <div class="filters" role="group" aria-label="Show threads">
                        {filter_button(Filter::All, "All", "filter-all")}
                        {filter_button(Filter::Operational, "Operational questions", "filter-operational")}
                        {filter_button(Filter::Open, "Open", "filter-open")}
                        {filter_button(Filter::Resolved, "Resolved", "filter-resolved")}
                        {filter_button(Filter::Mine, "Mine", "filter-mine")}
                    </div>
                    <ul data-testid="threads">
                        <For each=move || threads.get() key=|(t, p): &(ThreadView, String)| format!("{t:?}{p}") let:t>
                            <ThreadCard doc_id=doc_id() view=t.0 passage=t.1 forged=forged />
                        </For>
                    </ul>
                </aside>
            </div>
            <crate::pages::versions::Versions document=Signal::derive(doc_id) />
        </section>
    }
}

#[component]
fn ThreadCard(
    doc_id: String,
    view: ThreadView,
    passage: String,
    forged: Memo<std::collections::BTreeSet<String>>,
) -> impl IntoView {
    let session = expect_context::<Session>();
    let doc = StoredValue::new(doc_id);
    let id = StoredValue::new(view.thread.id.clone());
    let decisions = expect_context::<crate::pages::decisions::LinkedDecisions>().0;
    let on_thread = Signal::derive(move || {
        decisions.with(|all| {
            all.iter()
                .filter(|d| matches!(&d.rules.subject, Some(moot_model::decisions::Subject::Thread { thread, .. }) if id.with_value(|i| i == thread)))
                .cloned()
                .collect::<Vec<_>>()
        })
    });
    let reply = RwSignal::new(String::new());
    let orphaned = view.is_orphaned();
    let resolved = view.thread.resolved;
    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if session
            .act_comment(|ws, ctx| {
                ws.reply(
                    ctx,
                    &doc.get_value(),
                    &id.get_value(),
                    &reply.get_untracked(),
                )
            })
            .is_ok()
        {
            reply.set(String::new());
        }
    };
    let name = move |person: &str| {
        session
            .read_in(&[Part::People], |ws| ws.person_name(person))
            .unwrap_or_else(|| person.to_owned())
    };
    let tags = StoredValue::new(view.thread.tags.clone());
    let new_tag = RwSignal::new(String::new());
    let add_tag = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let mut all = tags.get_value();
        all.extend(split_tags(&new_tag.get_untracked()));
        if session
            .act(|ws, ctx| ws.set_tags(ctx, &doc.get_value(), &id.get_value(), &all))
            .is_ok()
        {
            new_tag.set(String::new());
        }
    };
    view! {
        <li class="card thread" class:resolved=resolved class:orphaned=orphaned data-testid="thread" data-thread-id=id.get_value() id=format!("thread-{}", id.get_value()) tabindex="-1">
            {if orphaned {
                let origin = RwSignal::new(None::<(String, Option<(usize, usize)>)>);
                let show_origin = move |_| {
                    if origin.get_untracked().is_some() {
                        origin.set(None);
                        return;
                    }
                    match session.with_workspace_mut(|ws| ws.thread_origin(&doc.get_value(), &id.get_value())) {
                        Some(Ok(found)) => origin.set(Some(found)),
                        Some(Err(e)) => session.error.set(Some(e.to_string())),
                        None => {}
                    }
                };
                view! {
                    <p class="quote orphan" data-testid="thread-orphaned">"Passage deleted — originally: “" {view.thread.anchor.quote.clone()} "”"</p>
                    <button type="button" data-testid="thread-origin-toggle" aria-expanded=move || origin.with(Option::is_some).to_string() on:click=show_origin>
                        "Show the text it was made on"
                    </button>
                    {move || origin.get().map(|(text, range)| {
                        let chars: Vec<char> = text.chars().collect();
                        let (a, b) = range.map_or((chars.len(), chars.len()), |(a, b)| (a.min(chars.len()), b.min(chars.len())));
                        let before: String = chars[..a].iter().collect();
                        let passage: String = chars[a..b].iter().collect();
                        let after: String = chars[b..].iter().collect();
                        view! {
                            <pre class="version-text" data-testid="thread-origin">{before}<mark data-testid="thread-origin-passage">{passage}</mark>{after}</pre>
                        }
                    })}
                }.into_any()
            } else {
                view! { <p class="quote" data-testid="thread-quote">"“" {passage} "”"</p> }.into_any()
            }}
            <p class="tags">{view.thread.tags.iter().map(|t| view! { <span class="tag" data-testid="thread-tag">{t.clone()}</span> }).collect_view()}</p>
            <ol class="comments">
                {view.thread.comments.iter().map(|c| {
                    let cid = StoredValue::new(c.id.clone());
                    let is_forged = move || forged.with(|f| cid.with_value(|id| f.contains(id)));
                    view! {
                        <li data-testid="comment" class:forged=is_forged>
                            <strong>{name(&c.author)}</strong>" "<crate::browser::When at=c.created_at.clone() />
                            <Show when=is_forged>
                                <span class="forged-note" data-testid="comment-forged">" (not written by them: their key did not sign this)"</span>
                            </Show>
                            ": "<span data-testid="comment-body">{c.body.clone()}</span>
                        </li>
                    }
                }).collect_view()}
            </ol>
            <Show when=move || session.may(moot_trust::Level::Edit)>
            <form class="row" on:submit=add_tag>
                <input aria-label="Add tags" placeholder="Add a tag" data-testid="tag-input" prop:value=move || new_tag.get() on:input=move |ev| new_tag.set(event_target_value(&ev)) />
                <button type="submit" data-testid="tag-submit">"Tag"</button>
            </form>
            </Show>
            <Show when=move || session.may(moot_trust::Level::Comment)>
            <form class="row" on:submit=send>
                <input aria-label="Reply" placeholder="Reply" data-testid="reply-input" prop:value=move || reply.get() on:input=move |ev| reply.set(event_target_value(&ev)) />
                <button type="submit" data-testid="reply-submit">"Reply"</button>
            </form>
            </Show>
            <crate::pages::decisions::DecisionLinks on=on_thread />
            <Show when=move || session.may(moot_trust::Level::Edit)>
            <a class="propose-decision" data-testid="thread-adopt"
                href=move || crate::pages::decisions::href(&session.doc_id.get().unwrap_or_default(), "from", &format!("thread:{}:{}", doc.get_value(), id.get_value()))>
                "Adopt this wording (put it to a decision)"
            </a>
            </Show>
            <Show when=move || session.may(moot_trust::Level::Edit)>
            <button type="button" data-testid="resolve-toggle"
                on:click=move |_| { let _ = session.act(|ws, ctx| ws.set_resolved(ctx, &doc.get_value(), &id.get_value(), !resolved)); }>
                {if resolved { "Reopen" } else { "Resolve" }}
            </button>
            </Show>
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16(s: &str) -> Vec<u16> {
        s.encode_utf16().collect()
    }

    #[test]
    fn the_caret_stays_on_its_words_when_a_remote_edit_arrives() {
        let old = utf16("Be kind. Assume good intent.");
        // An insertion before the caret moves it right, one after leaves it.
        assert_eq!(
            carry_caret(&old, &utf16("Always be kind. Assume good intent."), 9),
            16
        );
        assert_eq!(
            carry_caret(&old, &utf16("Be kind. Assume good intent. Listen."), 9),
            9
        );
        // A deletion around the caret puts it where the deleted span was.
        assert_eq!(carry_caret(&old, &utf16("Be kind."), 20), 8);
        assert_eq!(carry_caret(&old, &old, 5), 5);
    }

    #[test]
    fn runs_cut_the_text_at_every_passage_boundary() {
        let passages = vec![("a".to_owned(), 0, 5), ("b".to_owned(), 3, 8)];
        let cut = runs("0123456789", &passages);
        let texts: Vec<_> = cut
            .iter()
            .map(|r| (r.text.as_str(), r.marked, r.pins.clone()))
            .collect();
        assert_eq!(
            texts,
            [
                ("012", true, vec!["a".to_owned()]),
                ("34", true, vec!["b".to_owned()]),
                ("567", true, vec![]),
                ("89", false, vec![])
            ]
        );
        assert_eq!(
            cut.iter().map(|r| r.text.as_str()).collect::<String>(),
            "0123456789"
        );
        assert_eq!(utf16_to_chars("añb", 2), 2);
        let wide = runs("añb€c", &[("x".to_owned(), 1, 3)]);
        assert_eq!(
            wide.iter().map(|r| r.text.as_str()).collect::<Vec<_>>(),
            ["a", "ñb", "€c"]
        );
        assert_eq!(byte_offsets("añb€c", &[0, 2, 5]), [0, 3, 8]);
    }

    #[test]
    fn lines_split_runs_at_newlines_and_keep_empty_lines() {
        let passages = vec![("a".to_owned(), 2, 7)];
        let text = "ab\ncd\n\nef\n";
        let lines = lines(runs(text, &passages));
        let shown: Vec<String> = lines
            .iter()
            .map(|l| {
                l.runs
                    .iter()
                    .map(|r| {
                        if r.marked {
                            format!("[{}]", r.text)
                        } else {
                            r.text.clone()
                        }
                    })
                    .collect()
            })
            .collect();
        assert_eq!(shown, ["ab[]", "[cd]", "", "ef", ""]);
        assert_eq!(
            lines.iter().map(|l| l.empty).collect::<Vec<_>>(),
            [false, false, true, false, true]
        );
        assert_eq!(
            lines[0].runs[1].pins,
            ["a"],
            "the pin stays where the passage starts"
        );
        assert!(lines[0].runs[1].text.is_empty() && lines[0].runs[1].marked);
        // Same contents, same fingerprint; a change shows in it.
        let again = super::lines(runs(text, &passages));
        assert_eq!(lines[3].fingerprint, again[3].fingerprint);
        let changed = super::lines(runs("ab\ncd\n\nex\n", &passages));
        assert_ne!(lines[3].fingerprint, changed[3].fingerprint);
        assert_eq!(lines[0].fingerprint, changed[0].fingerprint);
    }
}
