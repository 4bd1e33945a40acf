//! The shell (header, navigation, save and sync status) and the hash router.
//!
//! Routes live in the URL fragment — `#/` the start page, `#/w/<workspace id>/<page>` a
//! workspace — so a session link works from any static host and never reaches a server.

use leptos::prelude::*;

use crate::{
    components::{DirectBox, NewsBox, SaveStatus, SearchBox, ShareBox, SyncStatus, WhatsNew},
    pages,
    state::{Session, identity, workspaces},
    sync::{ANNOUNCE_MS, Direct, Here, SealedHub, SealedTabs, SyncHub, Tabs, relay::default_relay},
};

/// A page of a workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    Agenda,
    Workstreams,
    CodeOfConduct,
    Decisions,
    Members,
    History,
}

impl Page {
    pub const ALL: [Page; 6] = [
        Page::Agenda,
        Page::Workstreams,
        Page::CodeOfConduct,
        Page::Decisions,
        Page::Members,
        Page::History,
    ];

    fn slug(self) -> &'static str {
        match self {
            Page::Agenda => "agenda",
            Page::Workstreams => "workstreams",
            Page::CodeOfConduct => "coc",
            Page::Decisions => "decisions",
            Page::Members => "members",
            Page::History => "history",
        }
    }

    /// The part of the workspace this page shows (search and what's new name pages so).
    pub fn area(self) -> Option<moot_model::search::Area> {
        use moot_model::search::Area;
        Some(match self {
            Page::Agenda => Area::Agenda,
            Page::Workstreams => Area::Workstreams,
            Page::CodeOfConduct => Area::CodeOfConduct,
            Page::Decisions => Area::Decisions,
            Page::Members => Area::Members,
            Page::History => return None,
        })
    }

    pub fn label(self) -> &'static str {
        match self {
            Page::Agenda => "Agenda",
            Page::Workstreams => "Workstreams",
            Page::CodeOfConduct => "Code of Conduct",
            Page::Decisions => "Decisions",
            Page::Members => "Members",
            Page::History => "History",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Start,
    /// `#/connect/<code>`: a direct-link invitation or answer (what the QR codes carry).
    Connect(String),
    /// `#/p/<link>?relay=…`: a private workspace's link (its secret stays in the fragment,
    /// never sent to any server).
    Private {
        code: String,
        relay: Option<String>,
        /// A pairing link names the person this device will write as.
        person: Option<String>,
    },
    /// `relay` comes from a session link (`?relay=ws://…/sync`).
    Workspace {
        id: String,
        page: Page,
        relay: Option<String>,
    },
}

impl Route {
    /// Reads `#/w/<id>/<page>?relay=<url>` (`<id>` may be `automerge:<id>`); anything else is
    /// the start page.
    pub fn from_hash(hash: &str) -> Self {
        let hash = hash.trim_start_matches('#').trim_start_matches('/');
        let (path, query) = hash.split_once('?').unwrap_or((hash, ""));
        let relay = query
            .split('&')
            .find_map(|kv| kv.strip_prefix("relay="))
            .and_then(|v| js_sys::decode_uri_component(v).ok())
            .map(String::from)
            .filter(|r| r.starts_with("ws://") || r.starts_with("wss://"));
        if let Some(code) = path.strip_prefix("connect/") {
            return Route::Connect(code.to_owned());
        }
        if let Some(code) = path.strip_prefix("p/") {
            let code = code.split('/').next().unwrap_or(code).to_owned();
            let person = query
                .split('&')
                .find_map(|kv| kv.strip_prefix("as="))
                .filter(|p| moot_trust::key_of_person(p).is_some())
                .map(str::to_owned);
            return Route::Private {
                code,
                relay,
                person,
            };
        }
        let mut parts = path.split('/');
        match (parts.next(), parts.next(), parts.next()) {
            (Some("w"), Some(id), page) if !id.is_empty() => {
                let page = Page::ALL
                    .into_iter()
                    .find(|p| Some(p.slug()) == page)
                    .unwrap_or(Page::Agenda);
                let id = id.strip_prefix("automerge:").unwrap_or(id).to_owned();
                Route::Workspace { id, page, relay }
            }
            _ => Route::Start,
        }
    }

    pub fn workspace(id: &str, page: Page) -> String {
        format!("#/w/{id}/{}", page.slug())
    }
}

fn current_hash() -> String {
    window().location().hash().unwrap_or_default()
}

pub fn go(href: &str) {
    let _ = window().location().set_hash(href);
}

/// A link named another relay for a workspace this device already syncs: asked, not done.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RelayOffer {
    id: String,
    page: Page,
    relay: String,
    /// The relay it syncs through now (none when this app has no relay of its own).
    current: Option<String>,
}

/// Whether opening the routed workspace worked.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Opening {
    Done,
    Loading,
    Fetching(String),
    Missing(String, String),
    Failed(String),
}

#[component]
pub fn App() -> impl IntoView {
    let session = Session::new();
    provide_context(session);
    provide_context(pages::decisions::Decisions::new(session));
    let here = Here::new();
    provide_context(here);
    let hub = SyncHub::new(session, here);
    provide_context(hub);
    let tabs = Tabs::new(session, here);
    provide_context(tabs);
    let direct = Direct::new(session, here, hub, tabs);
    provide_context(direct);
    let sealed = SealedHub::new(session, hub);
    provide_context(sealed);
    let sealed_tabs = SealedTabs::new(session, tabs.count);
    // What one sealed transport took, the others pass on.
    sealed.on_taken(move || {
        sealed_tabs.push();
        direct.push();
    });
    sealed_tabs.on_taken(move || {
        sealed.send_new();
        direct.push();
    });
    direct.on_taken(move || {
        sealed.send_new();
        sealed_tabs.push();
        // And to this device's other direct links (each is sent only what it lacks).
        direct.push();
    });
    // Presence: say who I am every few seconds while a workspace is open; forget the silent.
    // The app lives as long as the page: so does its timer.
    gloo_timers::callback::Interval::new(ANNOUNCE_MS, move || {
        here.sweep();
        // A private workspace says nothing in the clear: presence would name its people.
        if session.doc_id.get_untracked().is_none() || session.level.get_untracked().is_some() {
            return;
        }
        if let Some(me) = session.me.get_untracked() {
            let data = moot_sync::Presence {
                person: me.id,
                name: me.name,
            }
            .encode();
            hub.ephemeral(&data);
            tabs.ephemeral(&data);
            direct.ephemeral(&data);
            direct.hello();
        }
    })
    .forget();
    session.on_local_change(move || {
        if session.level.get_untracked().is_some() {
            // Sealed first (the relay link seals), then passed on to tabs and direct links.
            sealed.push();
            sealed_tabs.push();
            direct.push();
            return;
        }
        tabs.push();
        direct.push();
        hub.push();
    });
    let (route, set_route) = signal(Route::from_hash(&current_hash()));
    let handle = window_event_listener(leptos::ev::hashchange, move |_| {
        set_route.set(Route::from_hash(&current_hash()));
        // A search result names the element to show on its page.
        crate::components::search::show_place();
    });
    on_cleanup(move || handle.remove());

    let opening = RwSignal::new(Opening::Done);
    let relay_offer = RwSignal::new(None::<RelayOffer>);
    // A workspace that arrived another way (over a direct link) while its page waited for the
    // relay is open: the page shows it.
    Effect::new(move |_| {
        let open = session.doc_id.get();
        if let (Some(open), Route::Workspace { id, .. }) = (open, route.get_untracked())
            && open == id
            && !matches!(opening.get_untracked(), Opening::Done)
        {
            opening.set(Opening::Done);
        }
    });
    Effect::new(move |_| {
        if let Route::Private {
            code,
            relay,
            person,
        } = route.get()
        {
            // Kept on this device, then the address becomes the workspace's (the secret does
            // not stay in the address bar).
            let link = match moot_trust::Link::decode(&code) {
                Ok(l) => l,
                Err(e) => {
                    opening.set(Opening::Failed(format!(
                        "This private link cannot be opened: {e}"
                    )));
                    return;
                }
            };
            let id = crate::state::keys::doc_id_of(&link);
            leptos::task::spawn_local(async move {
                // A link of a lower level never replaces a higher one this device holds, nor
                // one of the same level from a later epoch (after the keys rotated).
                let held = crate::state::keys::load_link(&id).await.ok().flatten();
                if held
                    .as_ref()
                    .is_none_or(|h| (h.level(), h.epoch()) < (link.level(), link.epoch()))
                    && let Err(e) = crate::state::keys::save_link(&id, &link).await
                {
                    opening.set(Opening::Failed(e));
                    return;
                }
                if let Some(person) = &person {
                    let _ = crate::state::keys::save_person(&id, person).await;
                }
                workspaces::set_private(&id);
                if let Some(relay) = relay {
                    workspaces::set_relay(&id, &relay);
                }
                go(&Route::workspace(&id, Page::Agenda));
            });
            return;
        }
        if let Route::Connect(code) = route.get() {
            // Handled by "Connect directly"; the address goes back to where this tab was.
            direct.incoming.set(Some(code));
            match session.doc_id.get_untracked() {
                Some(id) => go(&Route::workspace(&id, Page::Agenda)),
                None => go("#/"),
            }
            return;
        }
        let Route::Workspace {
            id,
            relay: link_relay,
            page,
        } = route.get()
        else {
            hub.disconnect();
            return;
        };
        if moot_sync::DocumentId::parse(&id).is_err() {
            opening.set(Opening::Failed(format!(
                "“{id}” is not a valid workspace id: check the link you were sent"
            )));
            return;
        }
        // A link may name the relay of a workspace new to this device; it never silently
        // moves one this device already syncs elsewhere (that relay would see everything,
        // and Share would spread it): the person is asked.
        let mut relay = None;
        if let Some(link_relay) = link_relay {
            let current = workspaces::relay_of(&id).or_else(default_relay);
            if workspaces::is_known(&id) && current.as_deref() != Some(link_relay.as_str()) {
                relay_offer.set(Some(RelayOffer {
                    id: id.clone(),
                    page,
                    relay: link_relay,
                    current,
                }));
            } else {
                workspaces::set_relay(&id, &link_relay);
                relay = Some(link_relay);
            }
        }
        if session.doc_id.get_untracked().as_deref() == Some(id.as_str()) {
            return;
        }
        opening.set(Opening::Loading);
        let relay = relay
            .or_else(|| workspaces::relay_of(&id))
            .or_else(default_relay);
        if workspaces::is_private(&id) {
            leptos::task::spawn_local(open_private(session, sealed, opening, id, relay));
            return;
        }
        leptos::task::spawn_local(async move {
            match session.open(&id).await {
                Ok(true) => opening.set(Opening::Done),
                Ok(false) => match relay {
                    // Never seen here: fetch it from the relay the link names.
                    Some(relay) => {
                        opening.set(Opening::Fetching(relay.clone()));
                        let fetched_id = id.clone();
                        hub.fetch(&relay, &id, move |result| {
                            let id = fetched_id.clone();
                            match result.and_then(|doc| {
                                moot_model::Workspace::from_doc(doc, identity::random_u64())
                                    .map_err(|e| e.to_string())
                            }) {
                                Ok(ws) => leptos::task::spawn_local(async move {
                                    match session.adopt(&id, ws).await {
                                        Ok(()) => {
                                            hub.adopted();
                                            opening.set(Opening::Done);
                                        }
                                        Err(e) => opening.set(Opening::Failed(e)),
                                    }
                                }),
                                Err(e) => opening.set(Opening::Missing(id, e)),
                            }
                        });
                    }
                    None => opening.set(Opening::Missing(id, "no relay is known for it".into())),
                },
                Err(e) => opening.set(Opening::Failed(e)),
            }
        });
    });

    // Whichever workspace is open syncs through its relay (a link's, else this app's own).
    let tabs_on = StoredValue::new(None::<String>);
    Effect::new(move |_| {
        let id = session.doc_id.get();
        // A private workspace syncs sealed, through the relay, other tabs and direct links:
        // never in the clear.
        if let Some(id) = id.as_ref().filter(|id| workspaces::is_private(id)) {
            here.clear();
            tabs.close();
            tabs_on.set_value(None);
            hub.disconnect();
            if session.level.get_untracked().is_some() {
                direct.open(Some(id), true);
                if !sealed_tabs.is_open() {
                    sealed_tabs.open();
                }
                if !sealed.is_linked()
                    && let Some(relay) = workspaces::relay_of(id).or_else(default_relay)
                {
                    sealed.connect(&relay);
                }
            } else {
                direct.open(None, false);
            }
            return;
        }
        sealed.disconnect();
        sealed_tabs.close();
        direct.open(id.as_deref(), false);
        let Some(id) = id else {
            here.clear();
            tabs.close();
            tabs_on.set_value(None);
            return;
        };
        if tabs_on.get_value().as_deref() != Some(id.as_str()) {
            tabs.open(&id);
            tabs_on.set_value(Some(id.clone()));
        }
        if hub.linked_to().as_deref() == Some(id.as_str()) {
            return;
        }
        if let Some(relay) = workspaces::relay_of(&id).or_else(default_relay) {
            hub.connect(&relay, &id);
        }
    });

    let workspace_name = move || {
        session
            .read_ok(|ws| ws.name())
            // The start page: the brand beside it already says "moot".
            .unwrap_or_else(|| "Workspaces".to_owned())
    };
    let current_page = move || match route.get() {
        Route::Workspace { page, .. } => Some(page),
        Route::Start | Route::Connect(_) | Route::Private { .. } => None,
    };
    // What's new counts a page as looked at while it shows (not while it is still opening).
    let viewing = Memo::new(move |_| match opening.get() {
        Opening::Done => current_page().and_then(Page::area),
        _ => None,
    });
    let news = WhatsNew::new(session, viewing);
    provide_context(news);

    view! {
        <div
            class="shell"
            on:dragover=move |ev: leptos::ev::DragEvent| ev.prevent_default()
            on:drop=move |ev: leptos::ev::DragEvent| {
                ev.prevent_default();
                let file = ev.data_transfer().and_then(|d| d.files()).and_then(|f| f.get(0));
                match file {
                    Some(file) if session.is_open() => crate::components::exchange::import_file(session, file),
                    Some(_) => session.error.set(Some("open the workspace the file belongs to, then drop it again".into())),
                    None => {}
                }
            }
        >
            <header class="app-header" data-testid="app-header">
                <a class="brand" href="#/" aria-label="moot: all workspaces">"moot"</a>
                <h1 class="workspace-name" data-testid="workspace-name">{workspace_name}</h1>
                <Show when=move || current_page().is_some() && session.is_open()>
                    <SearchBox />
                    <NewsBox />
                </Show>
                <SaveStatus />
                <SyncStatus />
                <DirectBox />
            </header>
            <Show when=move || current_page().is_some() && session.is_open()>
                <ShareBox />
            </Show>
            <Show when=move || current_page().is_some() && session.is_open()>
                <nav class="sections" aria-label="Workspace sections" data-testid="nav">
                    {Page::ALL
                        .into_iter()
                        .map(|p| {
                            let href = move || session.doc_id.get().map(|id| Route::workspace(&id, p)).unwrap_or_default();
                            view! {
                                <a
                                    href=href
                                    data-testid=format!("nav-{}", p.slug())
                                    aria-current=move || (current_page() == Some(p)).then_some("page")
                                >
                                    {p.label()}
                                    <Show when=move || p.area().is_some_and(|a| news.is_marked(a))>
                                        <span class="new-dot" data-testid=format!("nav-new-{}", p.slug()) aria-hidden="true"></span>
                                        <span class="visually-hidden">" (new activity)"</span>
                                    </Show>
                                </a>
                            }
                        })
                        .collect_view()}
                </nav>
            </Show>
            {move || session.level.get().filter(|_| session.doc_id.get().is_some()).map(|level| view! {
                <p class="notice" data-testid="level-note" data-level=level.name()>
                    "Private workspace, end-to-end encrypted. " {crate::state::session::level_says(level)}
                </p>
            })}
            {move || (session.level.get().is_none() && session.doc_id.get().is_some()).then(|| view! {
                <p class="muted not-verified" data-testid="not-verified">
                    "Open workspace: whoever has its link can read and write, and names are not verified. Create a private workspace for signed, encrypted work."
                </p>
            })}
            {move || sealed.refused.get().map(|why| view! {
                <p class="error" role="alert" data-testid="relay-refused">"The relay refused something this device sent: " {why}</p>
            })}
            <Show when=move || session.error.get().is_some()>
                <p class="error" role="alert" data-testid="error">{move || session.error.get()}</p>
            </Show>
            {move || relay_offer.get().map(|offer| {
                let RelayOffer { id, page, relay, current } = offer;
                let (switch_id, switch_relay) = (id.clone(), relay.clone());
                let switch = move |_| {
                    workspaces::set_relay(&switch_id, &switch_relay);
                    if session.doc_id.get_untracked().as_deref() == Some(switch_id.as_str()) {
                        hub.connect(&switch_relay, &switch_id);
                    }
                    relay_offer.set(None);
                    go(&Route::workspace(&switch_id, page));
                };
                let keep = move |_| {
                    relay_offer.set(None);
                    go(&Route::workspace(&id, page));
                };
                view! {
                    <div class="card relay-offer" role="alertdialog" aria-labelledby="relay-offer-text" data-testid="relay-offer">
                        <p id="relay-offer-text">
                            "This link asks to sync this workspace through another relay: " <code data-testid="relay-offer-new">{relay}</code>
                            ". It syncs through " {match current { Some(c) => view! { <code>{c}</code> }.into_any(), None => view! { "no relay" }.into_any() }}
                            " now. A relay receives the whole workspace: switch only if you trust whoever sent the link."
                        </p>
                        <div class="row">
                            <button type="button" data-testid="relay-keep" on:click=keep>"Keep the current relay"</button>
                            <button type="button" data-testid="relay-switch" on:click=switch>"Switch relay"</button>
                        </div>
                    </div>
                }
            })}
            <Show when=move || { session.unreadable.get() > 0 }>
                <p class="notice" role="status" data-testid="unreadable">
                    {move || {
                        let n = session.unreadable.get();
                        format!(
                            "{n} {} sealed with keys this device does not hold: it was removed from the workspace, or its link is from before the keys changed. Ask an admin for a new link.",
                            if n == 1 { "change is" } else { "changes are" },
                        )
                    }}
                </p>
            </Show>
            <Show when=move || session.notice.get().is_some()>
                <p class="notice" role="status" data-testid="notice">{move || session.notice.get()}</p>
            </Show>
            <main class="page" data-testid="page">
                {move || match (route.get(), opening.get()) {
                    // A code in the address leaves an open workspace open.
                    (Route::Connect(_), _) if session.doc_id.get_untracked().is_some() => {
                        view! { <p class="muted">"Connecting directly…"</p> }.into_any()
                    }
                    (Route::Private { .. }, Opening::Failed(e)) => {
                        view! {
                            <section data-testid="workspace-failed">
                                <h2>"This workspace could not be opened"</h2>
                                <p>{e}</p>
                            </section>
                        }
                            .into_any()
                    }
                    (Route::Private { .. }, _) => {
                        view! { <p class="muted" data-testid="loading">"Opening the private workspace…"</p> }.into_any()
                    }
                    (Route::Start | Route::Connect(_), _) => pages::start::StartPage().into_any(),
                    (Route::Workspace { .. }, Opening::Loading) => {
                        view! { <p class="muted" data-testid="loading">"Opening the workspace…"</p> }.into_any()
                    }
                    (Route::Workspace { .. }, Opening::Fetching(relay)) => {
                        view! { <p class="muted" data-testid="fetching">"Fetching the workspace from " {relay} "…"</p> }.into_any()
                    }
                    (Route::Workspace { .. }, Opening::Missing(id, why)) => {
                        view! {
                            <section data-testid="workspace-missing">
                                <h2>"This workspace could not be found"</h2>
                                <p>"Workspace " <code>{id}</code> " is not on this device, and " {why} ". Check the session link, or ask for a new one."</p>
                                <p><a href="#/">"Back to your workspaces"</a></p>
                            </section>
                        }
                            .into_any()
                    }
                    (Route::Workspace { .. }, Opening::Failed(e)) => {
                        view! {
                            <section data-testid="workspace-failed">
                                <h2>"This workspace could not be opened"</h2>
                                <p>{e}</p>
                            </section>
                        }
                            .into_any()
                    }
                    (Route::Workspace { page, .. }, Opening::Done) => match page {
                        Page::Agenda => pages::agenda::AgendaPage().into_any(),
                        Page::Workstreams => pages::workstreams::WorkstreamsPage().into_any(),
                        Page::CodeOfConduct => pages::coc::CocPage().into_any(),
                        Page::Decisions => pages::decisions::DecisionsPage().into_any(),
                        Page::Members => pages::members::MembersPage().into_any(),
                        Page::History => pages::history::HistoryPage().into_any(),
                    },
                }}
            </main>
        </div>
    }
}

/// Opens a private workspace: from this device's storage with its stored log, else joined
/// through the relay with its stored link.
async fn open_private(
    session: Session,
    sealed: SealedHub,
    opening: RwSignal<Opening>,
    id: String,
    relay: Option<String>,
) {
    use crate::state::keys;
    let link = match keys::load_link(&id).await {
        Ok(Some(link)) => link,
        Ok(None) => {
            opening.set(Opening::Missing(
                id,
                "this device does not hold its private link".into(),
            ));
            return;
        }
        Err(e) => {
            opening.set(Opening::Failed(e));
            return;
        }
    };
    let device = match keys::device_key().await {
        Ok(d) => d,
        Err(e) => {
            opening.set(Opening::Failed(e));
            return;
        }
    };
    let name = session
        .me
        .get_untracked()
        .map(|m| m.name)
        .unwrap_or_default();
    // Kept for a join, should the workspace not be on this device yet.
    let (join_link, join_seed) = (link.clone(), device.to_seed());
    let mut replica = crate::sync::sealed::replica_for(link, device);
    let (records, stored) = Session::load_sealed(&id).await;
    replica.log.restore(records);
    let (_, mut sealing) = crate::sync::sealed::into_sealing(replica);
    sealing.person = keys::load_person(&id).await;
    sealing.stored = stored;
    match session.open_as(&id, Some((sealing, name.clone()))).await {
        Ok(true) => opening.set(Opening::Done),
        Ok(false) => {
            let Some(relay) = relay else {
                opening.set(Opening::Missing(id, "no relay is known for it".into()));
                return;
            };
            opening.set(Opening::Fetching(relay.clone()));
            let device = moot_trust::DeviceKey::from_seed(join_seed);
            let replica = crate::sync::sealed::replica_for(join_link, device);
            let joined_relay = relay.clone();
            sealed.join(&relay, replica, move |result| {
                let id = id.clone();
                let relay = joined_relay.clone();
                if session.doc_id.get_untracked().as_deref() == Some(id.as_str()) {
                    // It arrived over a direct link meanwhile: sync that through the relay.
                    sealed.connect(&relay);
                    opening.set(Opening::Done);
                    return;
                }
                match result {
                    Ok(replica) => leptos::task::spawn_local(async move {
                        match session.adopt_joined(&id, replica).await {
                            Ok(()) => {
                                sealed.connect(&relay);
                                opening.set(Opening::Done);
                            }
                            Err(e) => opening.set(Opening::Failed(e)),
                        }
                    }),
                    Err(e) => opening.set(Opening::Missing(id, e)),
                }
            });
        }
        Err(e) => opening.set(Opening::Failed(e)),
    }
}
