//! The Code of Conduct draft under review, with comment threads anchored to its text.

use leptos::prelude::*;

#[component]
pub fn CocPage() -> impl IntoView {
    view! {
        <section aria-labelledby="coc-title" data-testid="coc-page">
            <h2 id="coc-title">"Code of Conduct"</h2>
            <p class="muted">"The draft and its comment threads will appear here."</p>
        </section>
    }
}
