//! What's new since I last looked: pages marked in the navigation, and a list of what is for
//! me (replies, mentions, proposals, action points, decisions), each opening its place.
//!
//! This device remembers, per workspace in localStorage, the heads it had when its person
//! last looked at each page, the heads the list counts from, and the items opened since. The
//! model says what others wrote after those heads (`moot_model::news`); a peer's clock is never
//! trusted for it. A workspace seen for the first time on this device starts with nothing new.

use std::collections::{BTreeMap, BTreeSet};

use automerge::ChangeHash;
use leptos::prelude::*;
use moot_model::news::News;
use moot_model::search::Area;
use serde::{Deserialize, Serialize};

use crate::browser::When;
use crate::state::Session;

/// A peer typing sends many changes a second: the list is read again once they pause.
const NEWS_DELAY_MS: u64 = 300;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Record {
    /// Page slug → heads when its person last looked at it.
    pages: BTreeMap<String, Vec<String>>,
    /// Heads the list counts from ("mark all as seen" moves them).
    news: Vec<String>,
    /// Items opened since.
    opened: BTreeSet<String>,
}

fn key(doc: &str) -> String {
    format!("moot.seen.{doc}")
}

fn parse(heads: &[String]) -> Vec<ChangeHash> {
    heads.iter().filter_map(|h| h.parse().ok()).collect()
}

fn hex(heads: &[ChangeHash]) -> Vec<String> {
    heads.iter().map(ToString::to_string).collect()
}

fn slug(area: Area) -> &'static str {
    crate::components::search::slug(area)
}

/// What's new for the open workspace, shared by the header and the navigation.
#[derive(Clone, Copy)]
pub struct WhatsNew {
    session: Session,
    /// Pages others changed since I last looked at them.
    marks: RwSignal<BTreeSet<Area>>,
    /// The list, opened items left out.
    pub items: RwSignal<Vec<News>>,
    record: StoredValue<Option<(String, Record)>>,
    /// The heads up to which marks were counted.
    checked: StoredValue<Vec<ChangeHash>>,
    /// Bumped to read the list again after a pause.
    pending: StoredValue<u64>,
    /// System notifications shown (a test reads it).
    pub notified: RwSignal<u32>,
}

impl WhatsNew {
    /// Follows the open workspace and the page being viewed (`None` off a workspace page).
    pub fn new(session: Session, viewing: Memo<Option<Area>>) -> Self {
        let this = Self {
            session,
            marks: RwSignal::new(BTreeSet::new()),
            items: RwSignal::new(Vec::new()),
            record: StoredValue::new(None),
            checked: StoredValue::new(Vec::new()),
            pending: StoredValue::new(0),
            notified: RwSignal::new(0),
        };
        Effect::new(move |_| {
            let doc = session.doc_id.get();
            // Not `version`: my own changes are never new to me.
            session.outside.track();
            let page = viewing.get();
            // Whether the model is open is read untracked: `outside` is bumped when it opens.
            this.update(doc, page);
        });
        this
    }

    pub fn is_marked(&self, area: Area) -> bool {
        self.marks.with(|m| m.contains(&area))
    }

    fn save(&self) {
        self.record.with_value(|r| {
            if let Some((doc, record)) = r {
                crate::browser::local_set(
                    &key(doc),
                    &serde_json::to_string(record).unwrap_or_default(),
                );
            }
        });
    }

    fn update(&self, doc: Option<String>, page: Option<Area>) {
        let Some(doc) = doc else {
            self.record.set_value(None);
            self.marks.set(BTreeSet::new());
            self.items.set(Vec::new());
            return;
        };
        let Some(now) = self.session.with_workspace_mut(|ws| ws.heads()) else {
            return;
        };
        if now.is_empty() {
            // Still arriving from a peer: count from once it has arrived.
            return;
        }
        let loaded = self
            .record
            .with_value(|r| r.as_ref().is_some_and(|(d, _)| *d == doc));
        if !loaded {
            self.load(&doc, &now);
        } else {
            // Only what arrived since the last look.
            let since = self.checked.get_value();
            let areas = self
                .session
                .with_workspace_mut(|ws| ws.activity(&since))
                .unwrap_or_default();
            if !areas.is_empty() {
                self.marks.update(|m| m.extend(areas));
            }
        }
        self.checked.set_value(now.clone());
        if let Some(area) = page {
            if self.marks.with_untracked(|m| m.contains(&area)) {
                self.marks.update(|m| {
                    m.remove(&area);
                });
            }
            self.record.update_value(|r| {
                if let Some((_, record)) = r {
                    record.pages.insert(slug(area).to_owned(), hex(&now));
                }
            });
            self.save();
        }
        self.schedule_list();
    }

    /// This device's record of the workspace, or a fresh one at `now` (first visit, or heads
    /// this document does not hold: the workspace was replaced).
    fn load(&self, doc: &str, now: &[ChangeHash]) {
        let stored: Option<Record> =
            crate::browser::local_get(&key(doc)).and_then(|raw| serde_json::from_str(&raw).ok());
        let session = self.session;
        let record = stored
            .filter(|r| {
                let all: Vec<ChangeHash> = r
                    .pages
                    .values()
                    .flat_map(|h| parse(h))
                    .chain(parse(&r.news))
                    .collect();
                session
                    .with_workspace_mut(|ws| ws.knows(&all))
                    .unwrap_or(false)
            })
            .unwrap_or_else(|| Record {
                pages: Area::ALL
                    .iter()
                    .map(|a| (slug(*a).to_owned(), hex(now)))
                    .collect(),
                news: hex(now),
                opened: BTreeSet::new(),
            });
        let mut marks = BTreeSet::new();
        // Pages last seen at the same heads are counted once.
        let mut by_heads: BTreeMap<Vec<String>, Vec<Area>> = BTreeMap::new();
        for area in Area::ALL {
            let heads = record
                .pages
                .get(slug(area))
                .cloned()
                .unwrap_or_else(|| record.news.clone());
            by_heads.entry(heads).or_default().push(area);
        }
        for (heads, areas) in by_heads {
            let touched = session
                .with_workspace_mut(|ws| ws.activity(&parse(&heads)))
                .unwrap_or_default();
            marks.extend(areas.into_iter().filter(|a| touched.contains(a)));
        }
        self.marks.set(marks);
        self.record.set_value(Some((doc.to_owned(), record)));
        self.save();
        self.read_list();
    }

    /// Reads the list again once changes pause.
    fn schedule_list(&self) {
        let this = *self;
        let n = self.pending.get_value() + 1;
        self.pending.set_value(n);
        set_timeout(
            move || {
                if this.pending.try_get_value() == Some(n) {
                    this.read_list();
                }
            },
            std::time::Duration::from_millis(NEWS_DELAY_MS),
        );
    }

    fn read_list(&self) {
        let Some((news, opened)) = self
            .record
            .with_value(|r| r.as_ref().map(|(_, r)| (parse(&r.news), r.opened.clone())))
        else {
            return;
        };
        let Some(me) = self.session.me.get_untracked().map(|i| i.id) else {
            self.items.set(Vec::new());
            return;
        };
        crate::browser::mark("moot:news-start");
        let items: Vec<News> = self
            .session
            .with_workspace_mut(|ws| ws.news(&news, &me))
            .unwrap_or_default()
            .into_iter()
            .filter(|n| !opened.contains(&n.key))
            .collect();
        crate::browser::measure("moot:news", "moot:news-start");
        let before: BTreeSet<String> = self
            .items
            .with_untracked(|i| i.iter().map(|n| n.key.clone()).collect());
        let fresh: Vec<&News> = items.iter().filter(|n| !before.contains(&n.key)).collect();
        if !fresh.is_empty() && notify(&fresh) {
            self.notified.update(|n| *n += 1);
        }
        if self.items.with_untracked(|i| *i != items) {
            self.items.set(items);
        }
    }

    /// An item was opened: it leaves the list.
    pub fn opened(&self, key: &str) {
        self.record.update_value(|r| {
            if let Some((_, record)) = r {
                record.opened.insert(key.to_owned());
            }
        });
        self.save();
        self.items.update(|i| i.retain(|n| n.key != key));
    }

    /// Everything in the list is seen: it counts from now.
    pub fn mark_all_seen(&self) {
        let Some(now) = self.session.with_workspace_mut(|ws| ws.heads()) else {
            return;
        };
        self.record.update_value(|r| {
            if let Some((_, record)) = r {
                record.news = hex(&now);
                record.opened.clear();
            }
        });
        self.save();
        self.items.set(Vec::new());
    }
}

fn permission() -> web_sys::NotificationPermission {
    web_sys::Notification::permission()
}

/// A system notification for new items, when this tab is in the background and the person
/// allowed them. Whether one was shown.
fn notify(fresh: &[&News]) -> bool {
    let hidden = document().hidden();
    if !hidden || permission() != web_sys::NotificationPermission::Granted {
        return false;
    }
    let title = match fresh {
        [one] => format!("moot: {}", one.what),
        many => format!("moot: {} new for you", many.len()),
    };
    let options = web_sys::NotificationOptions::new();
    options.set_body(&fresh[0].excerpt);
    options.set_tag(&fresh[0].key);
    web_sys::Notification::new_with_options(&title, &options).is_ok()
}

/// The header's "What's new" list.
#[component]
pub fn NewsBox() -> impl IntoView {
    let news = expect_context::<WhatsNew>();
    let session = expect_context::<Session>();
    let open = RwSignal::new(false);
    let asked = RwSignal::new(permission());
    let count = move || news.items.with(Vec::len);
    let ask = move |_| {
        if let Ok(p) = web_sys::Notification::request_permission() {
            leptos::task::spawn_local(async move {
                let _ = wasm_bindgen_futures::JsFuture::from(p).await;
                asked.set(permission());
            });
        }
    };
    view! {
        <div class="news" data-testid="news" data-notified=move || news.notified.get()>
            <button type="button" class="news-toggle" data-testid="news-toggle"
                aria-expanded=move || open.get().to_string() aria-controls="news-panel"
                on:click=move |_| open.update(|o| *o = !*o)>
                "What's new"
                <Show when=move || { count() > 0 }>
                    <span class="news-count" data-testid="news-count">{count}</span>
                    <span class="visually-hidden">" new for you"</span>
                </Show>
            </button>
            <Show when=move || open.get()>
                <section id="news-panel" class="news-panel card" data-testid="news-panel" aria-label="New since your last visit">
                    <h2>"New since your last visit"</h2>
                    {move || {
                        let items = news.items.get();
                        if items.is_empty() {
                            return view! { <p class="muted" data-testid="news-none">"Nothing new for you."</p> }.into_any();
                        }
                        let ws = session.doc_id.get().unwrap_or_default();
                        view! {
                            <ul class="news-list">
                                {items.into_iter().map(|n| {
                                    let href = crate::components::search::href(&ws, &n.place);
                                    let key = n.key.clone();
                                    view! {
                                        <li data-testid="news-item" data-kind=n.kind.label()>
                                            <a href=href data-testid="news-open" on:click=move |_| {
                                                news.opened(&key);
                                                open.set(false);
                                            }>
                                                <span class="news-kind">{n.kind.label()}</span>
                                                <span class="news-what">{n.what.clone()}</span>
                                                <span class="news-excerpt">{n.excerpt.clone()}</span>
                                            </a>
                                            {(!n.at.is_empty()).then(|| view! { <When at=n.at.clone() /> })}
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                            <button type="button" data-testid="news-seen" on:click=move |_| news.mark_all_seen()>"Mark all as seen"</button>
                        }.into_any()
                    }}
                    <Show when=move || asked.get() == web_sys::NotificationPermission::Default>
                        <p>
                            <button type="button" data-testid="news-notify" on:click=ask>
                                "Notify me when this tab is in the background"
                            </button>
                        </p>
                    </Show>
                </section>
            </Show>
        </div>
    }
}
