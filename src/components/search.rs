//! Search over the whole workspace, as you type, from the header (`/` focuses it): results
//! grouped by page with the match marked, each opening its place.

use std::rc::Rc;

use leptos::prelude::*;
use moot_model::search::{Area, Hit, Place, SearchIndex};

use crate::state::Session;

const LIMIT: usize = 60;

pub fn slug(area: Area) -> &'static str {
    match area {
        Area::Agenda => "agenda",
        Area::Workstreams => "workstreams",
        Area::CodeOfConduct => "coc",
        Area::Decisions => "decisions",
        Area::Members => "members",
    }
}

/// Where a place opens: its page, with the element to show (`at`) and a decision to focus.
pub fn href(workspace: &str, place: &Place) -> String {
    let mut query = vec![format!(
        "at={}",
        String::from(js_sys::encode_uri_component(&place.anchor))
    )];
    if let Some(d) = &place.decision {
        query.push(format!(
            "d={}",
            String::from(js_sys::encode_uri_component(d))
        ));
    }
    format!("#/w/{workspace}/{}?{}", slug(place.area), query.join("&"))
}

/// Shows the element a search result named (`?at=<id>` in the address) once its page has
/// rendered it: scrolled into view and focused.
pub fn show_place() {
    let Some(at) = window()
        .location()
        .hash()
        .ok()
        .and_then(|h| h.split_once('?').map(|(_, q)| q.to_owned()))
        .and_then(|q| {
            q.split('&')
                .find_map(|kv| kv.strip_prefix("at=").map(str::to_owned))
        })
        .and_then(|v| js_sys::decode_uri_component(&v).ok().map(String::from))
        .filter(|a| !a.is_empty())
    else {
        return;
    };
    fn attempt(at: String, tries: u32) {
        match document().get_element_by_id(&at) {
            Some(el) => {
                el.scroll_into_view();
                if let Ok(el) = wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlElement>(el) {
                    let _ = el.focus();
                }
            }
            None if tries > 0 => request_animation_frame(move || attempt(at, tries - 1)),
            None => {}
        }
    }
    // The page renders after the route changes: look again for a few frames.
    request_animation_frame(move || attempt(at, 120));
}

#[component]
pub fn SearchBox() -> impl IntoView {
    let session = expect_context::<Session>();
    let query = RwSignal::new(String::new());
    let input = NodeRef::<leptos::html::Input>::new();
    // Built on the first query after a change, kept while the document stays the same.
    let cache: StoredValue<Option<(u64, Rc<SearchIndex>)>, LocalStorage> =
        StoredValue::new_local(None);
    let hits = Memo::new(move |_| {
        let q = query.get();
        if q.trim().is_empty() {
            return Vec::new();
        }
        // Not tracked: a peer's change does not re-run an open search (rebuilding the index
        // costs ≈ 0.3 s on the large workspace); the next keystroke sees it.
        let version = session.version.get_untracked();
        let cached = cache.with_value(|c| {
            c.as_ref()
                .filter(|(v, _)| *v == version)
                .map(|(_, i)| i.clone())
        });
        let index = match cached {
            Some(i) => i,
            None => {
                crate::browser::mark("moot:search-index-start");
                let Some(i) = session
                    .read_untracked(|ws| ws.search_index().ok())
                    .flatten()
                else {
                    return Vec::new();
                };
                crate::browser::measure("moot:search-index", "moot:search-index-start");
                let i = Rc::new(i);
                cache.set_value(Some((version, i.clone())));
                i
            }
        };
        crate::browser::mark("moot:search-start");
        let hits = index.find(&q, LIMIT);
        crate::browser::measure("moot:search", "moot:search-start");
        hits
    });
    // `/` anywhere but in a text field focuses the search.
    let keys = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.key() != "/" || ev.ctrl_key() || ev.meta_key() || ev.alt_key() {
            return;
        }
        let typing = ev
            .target()
            .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(t).ok())
            .is_some_and(|el| {
                matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
                    || el.has_attribute("contenteditable")
            });
        if !typing && let Some(i) = input.get() {
            ev.prevent_default();
            let _ = i.focus();
        }
    });
    on_cleanup(move || keys.remove());
    let groups = move || {
        let mut out: Vec<(Area, Vec<Hit>)> = Vec::new();
        for h in hits.get() {
            match out.last_mut() {
                Some((a, v)) if *a == h.place.area => v.push(h),
                _ => out.push((h.place.area, vec![h])),
            }
        }
        out
    };
    view! {
        <div class="search" role="search">
            <input type="search" node_ref=input data-testid="search-input" aria-label="Search the workspace" placeholder="Search (press /)"
                prop:value=move || query.get() on:input=move |ev| query.set(event_target_value(&ev))
                on:keydown=move |ev| if ev.key() == "Escape" { query.set(String::new()) } />
            <Show when=move || !query.with(|q| q.trim().is_empty())>
                <div class="search-results card" data-testid="search-results" aria-live="polite">
                    {move || {
                        let ws = session.doc_id.get().unwrap_or_default();
                        let groups = groups();
                        if groups.is_empty() {
                            return view! { <p class="muted" data-testid="search-none">{format!("Nothing found for “{}”", query.get().trim())}</p> }.into_any();
                        }
                        groups.into_iter().map(|(area, hits)| {
                            let n = hits.len();
                            view! {
                                <h3 data-testid="search-group">{format!("{} ({n})", area.label())}</h3>
                                <ul>
                                    {hits.into_iter().map(|h| {
                                        let chars: Vec<char> = h.snippet.chars().collect();
                                        let (a, b) = (h.matched.0.min(chars.len()), h.matched.1.min(chars.len()));
                                        let before: String = chars[..a].iter().collect();
                                        let matched: String = chars[a..b].iter().collect();
                                        let after: String = chars[b..].iter().collect();
                                        view! {
                                            <li>
                                                <a data-testid="search-hit" href=href(&ws, &h.place) on:click=move |_| query.set(String::new())>
                                                    <span class="hit-title">{h.title.clone()}</span>
                                                    <span class="hit-snippet">{before}<mark>{matched}</mark>{after}</span>
                                                </a>
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                            }
                        }).collect_view().into_any()
                    }}
                </div>
            </Show>
        </div>
    }
}
