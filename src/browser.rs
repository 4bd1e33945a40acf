//! Small browser helpers: local time, downloads, clipboard, performance marks.

use wasm_bindgen::{JsCast, JsValue};

/// An RFC 3339 instant in the viewer's own time zone, e.g. "20 Dec 2025, 15:00".
pub fn local_time(rfc3339: &str) -> String {
    let date = js_sys::Date::new(&JsValue::from_str(rfc3339));
    if date.get_time().is_nan() {
        return rfc3339.to_owned();
    }
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"dateStyle".into(), &"medium".into());
    let _ = js_sys::Reflect::set(&options, &"timeStyle".into(), &"short".into());
    date.to_locale_string("default", &options).into()
}

/// How long ago an RFC 3339 instant was, in words ("just now", "5 min ago", "3 h ago",
/// "2 days ago", then the date).
pub fn relative_time(rfc3339: &str) -> String {
    let then = js_sys::Date::parse(rfc3339);
    if then.is_nan() {
        return rfc3339.to_owned();
    }
    let secs = ((js_sys::Date::now() - then) / 1000.0).max(0.0) as u64;
    match secs {
        0..60 => "just now".into(),
        60..3600 => format!("{} min ago", secs / 60),
        3600..86_400 => format!("{} h ago", secs / 3600),
        86_400..604_800 => match secs / 86_400 {
            1 => "yesterday".into(),
            n => format!("{n} days ago"),
        },
        _ => rfc3339.get(..10).unwrap_or(rfc3339).to_owned(),
    }
}

/// When something was written: how long ago, with the exact time (local and UTC) on hover
/// and on focus.
#[leptos::component]
pub fn When(#[prop(into)] at: String) -> impl leptos::IntoView {
    use leptos::prelude::*;
    let exact = format!("{} ({})", local_time(&at), utc_time(&at));
    view! {
        <time class="when" data-testid="comment-time" datetime=at.clone() title=exact.clone() aria-label=exact tabindex="0">
            {relative_time(&at)}
        </time>
    }
}

/// The viewer's time zone name, e.g. "Europe/Berlin".
pub fn time_zone() -> String {
    let options = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new())
        .resolved_options();
    js_sys::Reflect::get(&options, &"timeZone".into())
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_else(|| "local time".into())
}

/// "2025-12-20 14:00 UTC" from an RFC 3339 UTC instant.
pub fn utc_time(rfc3339: &str) -> String {
    match (rfc3339.get(..10), rfc3339.get(11..16)) {
        (Some(d), Some(t)) => format!("{d} {t} UTC"),
        _ => rfc3339.to_owned(),
    }
}

/// Today's date (YYYY-MM-DD) in UTC.
pub fn today() -> String {
    crate::state::identity::now()
        .get(..10)
        .unwrap_or_default()
        .to_owned()
}

/// Offers `contents` as a file download.
pub fn download(filename: &str, mime: &str, contents: &[u8]) -> Result<(), String> {
    let array = js_sys::Uint8Array::from(contents);
    let parts = js_sys::Array::of1(&array);
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options)
        .map_err(|e| format!("{e:?}"))?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(|e| format!("{e:?}"))?;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let a: web_sys::HtmlAnchorElement = document
        .create_element("a")
        .map_err(|e| format!("{e:?}"))?
        .unchecked_into();
    a.set_href(&url);
    a.set_download(filename);
    a.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}

/// Copies text to the clipboard.
pub fn copy(text: &str) {
    if let Some(window) = web_sys::window() {
        let _ = window.navigator().clipboard().write_text(text);
    }
}

/// Marks the first time the workspace is on screen and editable (`moot:editable` in the
/// page's performance timeline, read by `cargo xtask bench`), once per page load.
pub fn mark_editable_once() {
    use std::sync::atomic::{AtomicBool, Ordering};
    static MARKED: AtomicBool = AtomicBool::new(false);
    if MARKED.swap(true, Ordering::Relaxed) {
        return;
    }
    // After the frame that shows it.
    leptos::prelude::request_animation_frame(|| {
        let performance = web_sys::window().and_then(|w| w.performance());
        if let Some(p) = performance {
            let _ = p.mark("moot:editable");
        }
    });
}

/// A named point in the page's performance timeline (for `cargo xtask bench`'s profile).
pub fn mark(name: &str) {
    if let Some(p) = web_sys::window().and_then(|w| w.performance()) {
        let _ = p.mark(name);
    }
}

/// A measure from mark `start` to now, named `name` (read by `cargo xtask bench`).
pub fn measure(name: &str, start: &str) {
    if let Some(p) = web_sys::window().and_then(|w| w.performance()) {
        let _ = p.measure_with_start_mark(name, start);
    }
}

/// A value kept in this browser's localStorage for the app's origin.
pub fn local_get(key: &str) -> Option<String> {
    web_sys::window()?
        .local_storage()
        .ok()??
        .get_item(key)
        .ok()?
}

pub fn local_set(key: &str, value: &str) {
    if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
        let _ = storage.set_item(key, value);
    }
}
