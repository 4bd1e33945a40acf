//! Work sessions: UTC time, invitation, rolling agenda, minutes and action points.

use leptos::prelude::*;

#[component]
pub fn AgendaPage() -> impl IntoView {
    view! {
        <section aria-labelledby="agenda-title" data-testid="agenda-page">
            <h2 id="agenda-title">"Agenda & minutes"</h2>
            <p class="muted">"Work sessions, the rolling agenda and action points will appear here."</p>
        </section>
    }
}
