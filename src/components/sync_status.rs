//! The always-visible sync status in the header.

use leptos::prelude::*;

use crate::sync::{SyncHub, SyncStatus};

#[component]
pub fn SyncStatus() -> impl IntoView {
    let hub = expect_context::<SyncHub>();
    let class = move || match hub.status.get() {
        SyncStatus::Offline => "dot offline",
        SyncStatus::Connecting | SyncStatus::Syncing => "dot syncing",
        SyncStatus::UpToDate => "dot synced",
    };
    let title = move || hub.relay.get().map(|r| format!("Relay: {r}")).unwrap_or_else(|| "No relay: changes stay on this device".into());
    view! {
        <div class="sync-status" role="status" aria-live="polite" data-testid="sync-status" title=title>
            <span class=class aria-hidden="true"></span>
            <span data-testid="sync-state">{move || hub.status.get().label()}</span>
        </div>
    }
}
