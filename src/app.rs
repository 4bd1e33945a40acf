//! The shell (header, navigation, sync status) and the hash router.
//!
//! Routes live in the URL fragment (`#/agenda`, later `#/w/automerge:<id>/…`) so that a session
//! link works from any static host and never reaches a server.

use leptos::prelude::*;

use crate::{components::SyncStatus, pages};

/// A page of the workspace, as named in the URL fragment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Agenda,
    CodeOfConduct,
    Members,
}

impl Route {
    pub const ALL: [Route; 3] = [Route::Agenda, Route::CodeOfConduct, Route::Members];

    /// Reads a fragment such as `#/coc`; anything unknown opens the agenda.
    pub fn from_hash(hash: &str) -> Self {
        match hash.trim_start_matches('#').trim_start_matches('/') {
            "coc" => Route::CodeOfConduct,
            "members" => Route::Members,
            _ => Route::Agenda,
        }
    }

    pub fn href(self) -> &'static str {
        match self {
            Route::Agenda => "#/agenda",
            Route::CodeOfConduct => "#/coc",
            Route::Members => "#/members",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Route::Agenda => "Agenda",
            Route::CodeOfConduct => "Code of Conduct",
            Route::Members => "Members",
        }
    }

    fn test_id(self) -> &'static str {
        match self {
            Route::Agenda => "nav-agenda",
            Route::CodeOfConduct => "nav-coc",
            Route::Members => "nav-members",
        }
    }
}

fn current_hash() -> String {
    window().location().hash().unwrap_or_default()
}

#[component]
pub fn App() -> impl IntoView {
    let (route, set_route) = signal(Route::from_hash(&current_hash()));
    let handle = window_event_listener(leptos::ev::hashchange, move |_| {
        set_route.set(Route::from_hash(&current_hash()));
    });
    on_cleanup(move || handle.remove());
    let workspace_name = "IOPA Governance";

    view! {
        <div class="shell">
            <header class="app-header" data-testid="app-header">
                <div class="brand" aria-hidden="true">"moot"</div>
                <h1 class="workspace-name" data-testid="workspace-name">{workspace_name}</h1>
                <SyncStatus />
            </header>
            <nav class="sections" aria-label="Workspace sections" data-testid="nav">
                {Route::ALL
                    .into_iter()
                    .map(|r| {
                        view! {
                            <a
                                href=r.href()
                                data-testid=r.test_id()
                                aria-current=move || (route.get() == r).then_some("page")
                            >
                                {r.label()}
                            </a>
                        }
                    })
                    .collect_view()}
            </nav>
            <main class="page" data-testid="page">
                {move || match route.get() {
                    Route::Agenda => pages::agenda::AgendaPage().into_any(),
                    Route::CodeOfConduct => pages::coc::CocPage().into_any(),
                    Route::Members => pages::members::MembersPage().into_any(),
                }}
            </main>
        </div>
    }
}
