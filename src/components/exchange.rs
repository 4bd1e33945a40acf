//! Workspace files: export the automerge binary, import (merge) one by picking or dropping it.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::{browser, state::Session};

/// Reads a dropped or picked file and merges it, telling the person what arrived.
pub fn import_file(session: Session, file: web_sys::File) {
    leptos::task::spawn_local(async move {
        let bytes = match wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await {
            Ok(buf) => js_sys::Uint8Array::new(&buf).to_vec(),
            Err(_) => {
                session.error.set(Some("the file could not be read".into()));
                return;
            }
        };
        if session.level.get_untracked().is_some() {
            match session.import_sealed(&bytes) {
                Ok(r) => {
                    session.error.set(None);
                    session.notice.set(Some(format!(
                        "Imported {}: {}{} new sealed change(s){}.",
                        file.name(),
                        if r.snapshot {
                            "a sealed snapshot of the workspace and "
                        } else {
                            ""
                        },
                        r.envelopes,
                        if r.refused.is_empty() {
                            String::new()
                        } else {
                            format!(", {} refused", r.refused.len())
                        }
                    )));
                }
                Err(e) => {
                    session.notice.set(None);
                    session
                        .error
                        .set(Some(format!("{} was not imported: {e}", file.name())));
                }
            }
            return;
        }
        match session.import(&bytes) {
            Ok(r) if r.new_changes == 0 => {
                session.error.set(None);
                session.notice.set(Some(format!(
                    "{}: nothing new, this workspace already had all of it.",
                    file.name()
                )));
            }
            Ok(r) => {
                session.error.set(None);
                session.notice.set(Some(format!(
                    "Imported {}: {} new change(s), {} new comment(s), {} new proposal(s).",
                    file.name(),
                    r.new_changes,
                    r.new_comments,
                    r.new_proposals
                )));
            }
            Err(e) => {
                session.notice.set(None);
                session
                    .error
                    .set(Some(format!("{} was not imported: {e}", file.name())));
            }
        }
    });
}

#[component]
pub fn Exchange() -> impl IntoView {
    let session = expect_context::<Session>();
    let private = move || session.level.get().is_some();
    let export = move |_| {
        let name = session
            .read_ok(|ws| ws.name())
            .unwrap_or_else(|| "workspace".into());
        // A private workspace leaves the device sealed, as the relay would hold it.
        let sealed = session.level.get_untracked().is_some();
        let bytes = if sealed {
            session.export_sealed()
        } else {
            session.with_doc_mut(|d| d.save())
        };
        let Some(bytes) = bytes else {
            return;
        };
        let file = format!(
            "{}.{}",
            name.replace(|c: char| !c.is_alphanumeric(), "-"),
            if sealed { "moot" } else { "automerge" }
        );
        if let Err(e) = browser::download(&file, "application/octet-stream", &bytes) {
            session.error.set(Some(e));
        }
    };
    // Everything in the workspace as JSON, for other tools (read with care: plain text).
    let export_json = move |_| {
        let name = session
            .read_ok(|ws| ws.name())
            .unwrap_or_else(|| "workspace".into());
        match session.read(|ws| ws.to_json()) {
            Some(Ok(json)) => {
                let file = format!("{}.json", name.replace(|c: char| !c.is_alphanumeric(), "-"));
                if let Err(e) = browser::download(&file, "application/json", json.as_bytes()) {
                    session.error.set(Some(e));
                }
            }
            Some(Err(e)) => session.error.set(Some(e.to_string())),
            None => {}
        }
    };
    let picked = move |ev: leptos::ev::Event| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        if let Some(file) = input.files().and_then(|f| f.get(0)) {
            import_file(session, file);
        }
        input.set_value("");
    };
    view! {
        <div class="row exchange">
            <button type="button" data-testid="export" on:click=export>
                {move || if private() { "Export sealed (.moot)" } else { "Export workspace (.automerge)" }}
            </button>
            <button type="button" data-testid="export-json" on:click=export_json
                title=move || if private() { "The whole workspace as plain JSON: decrypted, for your own use" } else { "The whole workspace as JSON, for other tools" }>
                "Export as JSON"
            </button>
            <label class="file-pick">"Import a workspace file "
                <input type="file" accept=".automerge,.moot,application/octet-stream" data-testid="import-file" on:change=picked />
            </label>
        </div>
        <p class="muted">{move || if private() {
            "Files are another way to sync: a sealed file holds only what the relay would (encrypted and signed); whoever imports it needs this workspace's link to read it."
        } else {
            "Files are another way to sync: an import merges, it never replaces. You can also drop a file on the page."
        }}</p>
    }
}
