//! The always-visible sync status in the header.

use leptos::prelude::*;

/// Until a transport is connected the honest status is "offline": edits stay on this device.
#[component]
pub fn SyncStatus() -> impl IntoView {
    view! {
        <div class="sync-status" role="status" aria-live="polite" data-testid="sync-status">
            <span class="dot offline" aria-hidden="true"></span>
            <span data-testid="sync-state">"Offline"</span>
        </div>
    }
}
