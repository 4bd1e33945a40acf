//! "Share": the session link (this app's address, the workspace id and the relay) to copy.

use leptos::prelude::*;

use crate::{browser, state::Session, sync::SyncHub};

/// `<app address>#/<route>?relay=<relay>`.
fn app_link(route: &str, relay: Option<&str>) -> String {
    let location = window().location();
    let base = format!(
        "{}{}",
        location.origin().unwrap_or_default(),
        location.pathname().unwrap_or_default()
    );
    let relay = relay
        .map(|r| format!("?relay={}", String::from(js_sys::encode_uri_component(r))))
        .unwrap_or_default();
    format!("{base}#/{route}{relay}")
}

/// `<app address>#/w/automerge:<id>?relay=<relay>`.
pub fn session_link(doc_id: &str, relay: Option<&str>) -> String {
    app_link(&format!("w/automerge:{doc_id}"), relay)
}

/// `<app address>#/p/<link>?relay=<relay>`: a private workspace's link of one level.
pub fn private_link(code: &str, relay: Option<&str>) -> String {
    app_link(&format!("p/{code}"), relay)
}

/// `text` as a QR code: one SVG path of dark modules (drawn as elements, never as markup).
pub fn qr_code(text: &str, what: &'static str, testid: &'static str) -> AnyView {
    let Ok(qr) = qrcodegen::QrCode::encode_text(text, qrcodegen::QrCodeEcc::Low) else {
        return view! { <p class="muted">"The " {what} " is too long for a QR code: copy it instead."</p> }.into_any();
    };
    let size = qr.size();
    let border = 4;
    let mut d = String::new();
    for y in 0..size {
        for x in 0..size {
            if qr.get_module(x, y) {
                d.push_str(&format!("M{},{}h1v1h-1z", x + border, y + border));
            }
        }
    }
    let view_box = format!("0 0 {0} {0}", size + 2 * border);
    view! {
        <svg class="qr" viewBox=view_box role="img" aria-label=format!("QR code of the {what}") data-testid=testid>
            <rect width="100%" height="100%" fill="#ffffff"></rect>
            <path d=d fill="#1f2a28"></path>
        </svg>
    }
    .into_any()
}

#[component]
pub fn ShareBox() -> impl IntoView {
    let session = expect_context::<Session>();
    let hub = expect_context::<SyncHub>();
    let open = RwSignal::new(false);
    let copied = RwSignal::new(false);
    let link = move || {
        session
            .doc_id
            .get()
            .map(|id| session_link(&id, hub.relay.get().as_deref()))
            .unwrap_or_default()
    };
    let private_links = move || {
        let mine = session.level.get()?;
        let relay = hub.relay.get();
        Some(
            moot_trust::Level::ALL
                .into_iter()
                .rev()
                .filter(|l| *l <= mine)
                .filter_map(|l| {
                    let code = session.private_link(l)?;
                    let link = private_link(&code, relay.as_deref());
                    let what = match l {
                        moot_trust::Level::Read => "Read link: reads everything, writes nothing",
                        moot_trust::Level::Comment => "Comment link: reads, comments and replies",
                        moot_trust::Level::Edit => "Edit link: writes the content",
                        moot_trust::Level::Admin => "Admin link: everything, and manages people",
                    };
                    let testid = format!("share-link-{}", l.name());
                    Some(view! {
                        <label>{what}</label>
                        <div class="row">
                            <input readonly data-testid=testid prop:value=link.clone() />
                            <button type="button" on:click=move |_| browser::copy(&link)>"Copy"</button>
                        </div>
                    })
                })
                .collect_view(),
        )
    };
    view! {
        <div class="share">
            <button type="button" data-testid="share-toggle" aria-expanded=move || open.get().to_string() on:click=move |_| open.update(|o| *o = !*o)>"Share"</button>
            <Show when=move || open.get() && session.level.get().is_some()>
                <div class="card share-panel" data-testid="share-panel">
                    <p>"A private workspace: each link carries its key in the part after #, which never reaches a server. Whoever holds a link can do what it says, and derive the links below it, never above."</p>
                    {private_links}
                    <super::exchange::Exchange />
                    <p class="muted">{move || match hub.relay.get() {
                        Some(r) => format!("Sealed changes travel through the relay at {r}; it cannot read them."),
                        None => "No relay: this workspace stays on this device until one is available.".to_owned(),
                    }}</p>
                </div>
            </Show>
            <Show when=move || open.get() && session.level.get().is_none()>
                <div class="card share-panel" data-testid="share-panel">
                    <label for="share-link">"Session link: whoever opens it joins this workspace"</label>
                    <div class="row">
                        <input id="share-link" readonly data-testid="share-link" prop:value=link />
                        <button type="button" data-testid="share-copy" on:click=move |_| { browser::copy(&link()); copied.set(true); }>
                            {move || if copied.get() { "Copied" } else { "Copy" }}
                        </button>
                    </div>
                    {move || qr_code(&link(), "session link", "share-qr")}
                    <super::exchange::Exchange />
                    <p class="muted">{move || match hub.relay.get() {
                        Some(r) => format!("Changes travel through the relay at {r}."),
                        None => "No relay: this workspace stays on this device until one is available.".to_owned(),
                    }}</p>
                </div>
            </Show>
        </div>
    }
}
