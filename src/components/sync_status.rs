//! The always-visible sync status in the header.

use leptos::prelude::*;

use crate::sync::{Direct, Here, SyncHub, SyncStatus, Tabs, direct::LinkState};

#[component]
pub fn SyncStatus() -> impl IntoView {
    let hub = expect_context::<SyncHub>();
    let tabs = expect_context::<Tabs>();
    let here = expect_context::<Here>();
    let direct = expect_context::<Direct>();
    let linked = move || {
        direct.links.with(|l| {
            l.iter()
                .filter(|l| l.state == LinkState::Open)
                .map(|l| {
                    if l.name.is_empty() {
                        "someone".to_owned()
                    } else {
                        l.name.clone()
                    }
                })
                .collect::<Vec<_>>()
        })
    };
    let session = expect_context::<crate::state::Session>();
    // With no workspace open nothing syncs: saying "Offline" would blame the network.
    let open = move || session.doc_id.get().is_some();
    let class = move || match hub.status.get() {
        _ if !open() => "dot idle",
        SyncStatus::Offline => "dot offline",
        SyncStatus::Connecting | SyncStatus::Syncing => "dot syncing",
        SyncStatus::UpToDate => "dot synced",
    };
    let title = move || {
        hub.relay
            .get()
            .map(|r| format!("Relay: {r}"))
            .unwrap_or_else(|| "No relay: changes stay on this device".into())
    };
    view! {
        <div class="sync-status" role="status" aria-live="polite" data-testid="sync-status" title=title>
            <span class=class aria-hidden="true"></span>
            <span data-testid="sync-state">{move || if open() { hub.status.get().label() } else { "No workspace open" }}</span>
            <Show when=move || { tabs.count.get() > 0 }>
                <span class="muted" data-testid="tab-count">{move || match tabs.count.get() { 1 => " · 1 other tab".to_owned(), n => format!(" · {n} other tabs") }}</span>
            </Show>
            <Show when=move || !linked().is_empty()>
                <span data-testid="direct-status">{move || format!(" · linked directly to {}", linked().join(", "))}</span>
            </Show>
            <Show when=move || !here.names().is_empty()>
                <span data-testid="here-now">{move || {
                    let names = here.names();
                    format!(" · {} here now: {}", if names.len() == 1 { "1 other person".to_owned() } else { format!("{} others", names.len()) }, names.join(", "))
                }}</span>
            </Show>
            <Show when=move || { hub.unsynced.get() > 0 }>
                <span class="muted" data-testid="unsynced">{move || match hub.unsynced.get() {
                    1 => " · 1 change not yet on the relay".to_owned(),
                    n => format!(" · {n} changes not yet on the relay"),
                }}</span>
            </Show>
        </div>
    }
}
