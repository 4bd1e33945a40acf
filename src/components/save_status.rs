//! "Saved" appears only after IndexedDB committed the last change.

use leptos::prelude::*;

use crate::state::{SaveState, Session};

#[component]
pub fn SaveStatus() -> impl IntoView {
    let session = expect_context::<Session>();
    let text = move || match session.save_state.get() {
        SaveState::Idle => String::new(),
        SaveState::Saving => "Saving…".to_owned(),
        SaveState::Saved => "Saved on this device".to_owned(),
        SaveState::Failed(e) => format!("Not saved: {e}"),
    };
    let class = move || match session.save_state.get() {
        SaveState::Failed(_) => "save-status failed",
        _ => "save-status",
    };
    view! {
        <span class=class role="status" aria-live="polite" data-testid="save-state">{text}</span>
    }
}
