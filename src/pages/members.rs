//! Member proposals, tiers and the approval policy.

use leptos::prelude::*;

#[component]
pub fn MembersPage() -> impl IntoView {
    view! {
        <section aria-labelledby="members-title" data-testid="members-page">
            <h2 id="members-title">"Members"</h2>
            <p class="muted">"Member proposals, endorsements and tiers will appear here."</p>
        </section>
    }
}
