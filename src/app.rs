//! The shell (header, navigation, save and sync status) and the hash router.
//!
//! Routes live in the URL fragment — `#/` the start page, `#/w/<workspace id>/<page>` a
//! workspace — so a session link works from any static host and never reaches a server.

use leptos::prelude::*;

use crate::{
    components::{SaveStatus, SyncStatus},
    pages,
    state::Session,
};

/// A page of a workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    Agenda,
    Workstreams,
    CodeOfConduct,
    Members,
}

impl Page {
    pub const ALL: [Page; 4] = [Page::Agenda, Page::Workstreams, Page::CodeOfConduct, Page::Members];

    fn slug(self) -> &'static str {
        match self {
            Page::Agenda => "agenda",
            Page::Workstreams => "workstreams",
            Page::CodeOfConduct => "coc",
            Page::Members => "members",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Page::Agenda => "Agenda",
            Page::Workstreams => "Workstreams",
            Page::CodeOfConduct => "Code of Conduct",
            Page::Members => "Members",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Start,
    Workspace { id: String, page: Page },
}

impl Route {
    /// Reads `#/w/<id>/<page>`; anything else is the start page.
    pub fn from_hash(hash: &str) -> Self {
        let path = hash.trim_start_matches('#').trim_start_matches('/');
        let mut parts = path.split('/');
        match (parts.next(), parts.next(), parts.next()) {
            (Some("w"), Some(id), page) if !id.is_empty() => {
                let page = Page::ALL.into_iter().find(|p| Some(p.slug()) == page).unwrap_or(Page::Agenda);
                Route::Workspace { id: id.to_owned(), page }
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

/// Whether opening the routed workspace worked.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Opening {
    Done,
    Loading,
    Missing(String),
    Failed(String),
}

#[component]
pub fn App() -> impl IntoView {
    let session = Session::new();
    provide_context(session);
    let (route, set_route) = signal(Route::from_hash(&current_hash()));
    let handle = window_event_listener(leptos::ev::hashchange, move |_| set_route.set(Route::from_hash(&current_hash())));
    on_cleanup(move || handle.remove());

    let opening = RwSignal::new(Opening::Done);
    Effect::new(move |_| {
        let Route::Workspace { id, .. } = route.get() else {
            return;
        };
        if session.doc_id.get_untracked().as_deref() == Some(id.as_str()) {
            return;
        }
        opening.set(Opening::Loading);
        leptos::task::spawn_local(async move {
            match session.open(&id).await {
                Ok(true) => opening.set(Opening::Done),
                Ok(false) => opening.set(Opening::Missing(id)),
                Err(e) => opening.set(Opening::Failed(e)),
            }
        });
    });

    let workspace_name = move || session.read_ok(|ws| ws.state().map(|s| s.name)).unwrap_or_else(|| "moot".to_owned());
    let current_page = move || match route.get() {
        Route::Workspace { page, .. } => Some(page),
        Route::Start => None,
    };

    view! {
        <div class="shell">
            <header class="app-header" data-testid="app-header">
                <a class="brand" href="#/" aria-label="moot: all workspaces">"moot"</a>
                <h1 class="workspace-name" data-testid="workspace-name">{workspace_name}</h1>
                <SaveStatus />
                <SyncStatus />
            </header>
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
                                </a>
                            }
                        })
                        .collect_view()}
                </nav>
            </Show>
            <Show when=move || session.error.get().is_some()>
                <p class="error" role="alert" data-testid="error">{move || session.error.get()}</p>
            </Show>
            <main class="page" data-testid="page">
                {move || match (route.get(), opening.get()) {
                    (Route::Start, _) => pages::start::StartPage().into_any(),
                    (Route::Workspace { .. }, Opening::Loading) => {
                        view! { <p class="muted" data-testid="loading">"Opening the workspace…"</p> }.into_any()
                    }
                    (Route::Workspace { .. }, Opening::Missing(id)) => {
                        view! {
                            <section data-testid="workspace-missing">
                                <h2>"This workspace is not on this device yet"</h2>
                                <p>"Workspace " <code>{id}</code> " has not been opened here before. Ask for a session link that names a relay, or import the workspace file."</p>
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
                        Page::Members => pages::members::MembersPage().into_any(),
                    },
                }}
            </main>
        </div>
    }
}
