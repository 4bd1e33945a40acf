//! Serving the built app: MIME types, caching and the Content-Security-Policy.
//!
//! Build outputs carry a content hash in their names (`moot-0123456789abcdef.js`): those are
//! cached for a year as immutable. Everything else (index.html, the service worker, the
//! manifest) is revalidated on every load, so an update never leaves a person on a mix of old
//! and new files.

use std::{
    path::{Component, Path, PathBuf},
    sync::Arc,
};

use axum::{
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode, Uri, header},
    response::{IntoResponse, Response},
};

use crate::AppState;

/// The app runs its own wasm and scripts only, with no inline script or style; it connects only
/// to its own origin and to relays over WebSocket (a session link names the relay), so a
/// script injection could not post the workspace to an arbitrary web address.
///
/// `csp.txt` is also the `<meta>` policy that `cargo xtask build` writes into index.html, so
/// any static host enforces it; a header may also forbid framing, which a `<meta>` cannot.
pub(crate) const CONTENT_SECURITY_POLICY: &str =
    concat!(include_str!("csp.txt"), "; frame-ancestors 'none'");

pub(crate) async fn serve(State(state): State<Arc<AppState>>, uri: Uri) -> Response {
    let Some(relative) = safe_relative_path(uri.path()) else {
        return plain(StatusCode::BAD_REQUEST, "bad path\n");
    };
    let path = state.dist.join(&relative);
    // Only regular files: no folders, and no symlinks (they could point out of the app).
    let regular = tokio::fs::symlink_metadata(&path)
        .await
        .is_ok_and(|m| m.file_type().is_file());
    if !regular {
        return plain(StatusCode::NOT_FOUND, "not found\n");
    }
    let body = match tokio::fs::read(&path).await {
        Ok(body) => body,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            return plain(StatusCode::NOT_FOUND, "not found\n");
        }
        Err(err) => {
            tracing::warn!(path = %path.display(), %err, "cannot read app file");
            return plain(StatusCode::INTERNAL_SERVER_ERROR, "cannot read file\n");
        }
    };
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(mime_type(&relative)),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(cache_control(&relative)),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    // A page that opens moot in a window gets no handle on it.
    headers.insert(
        header::HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    (headers, body).into_response()
}

/// An error answer with the same protective headers as a file.
fn plain(status: StatusCode, text: &'static str) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        ],
        text,
    )
        .into_response()
}

/// Maps a request path onto a path inside the app folder, refusing anything that could leave
/// it (`..`, absolute parts, backslashes). `/` is `index.html`.
pub(crate) fn safe_relative_path(request_path: &str) -> Option<PathBuf> {
    let trimmed = request_path.trim_start_matches('/');
    if trimmed.is_empty() {
        return Some(PathBuf::from("index.html"));
    }
    if trimmed.contains('\\') || trimmed.contains('\0') {
        return None;
    }
    let path = PathBuf::from(trimmed);
    // No `..`, no absolute parts, and no dotfiles (the build stamp `.inputs`, say).
    path.components()
        .all(|c| matches!(c, Component::Normal(name) if !name.to_string_lossy().starts_with('.')))
        .then_some(path)
}

pub(crate) fn mime_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// `name-<16 hex digits>.ext` is a content-hashed build output.
pub(crate) fn is_hashed(path: &Path) -> bool {
    let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
        return false;
    };
    let stem = stem.strip_suffix("_bg").unwrap_or(stem);
    stem.rsplit_once('-')
        .is_some_and(|(_, hash)| hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
}

pub(crate) fn cache_control(path: &Path) -> &'static str {
    if is_hashed(path) {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_is_index() {
        assert_eq!(safe_relative_path("/"), Some(PathBuf::from("index.html")));
    }

    #[test]
    fn traversal_is_refused() {
        for bad in [
            "/../etc/passwd",
            "/a/../../b",
            "/..",
            "/a\\b",
            "/./x",
            "/.inputs",
            "/public/.hidden",
        ] {
            assert_eq!(safe_relative_path(bad), None, "{bad}");
        }
        assert_eq!(
            safe_relative_path("/public/style.css"),
            Some(PathBuf::from("public/style.css"))
        );
    }

    #[test]
    fn mime_types() {
        assert_eq!(
            mime_type(Path::new("moot-0123456789abcdef_bg.wasm")),
            "application/wasm"
        );
        assert_eq!(
            mime_type(Path::new("a.js")),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(
            mime_type(Path::new("manifest.webmanifest")),
            "application/manifest+json"
        );
        assert_eq!(
            mime_type(Path::new("index.html")),
            "text/html; charset=utf-8"
        );
    }

    #[test]
    fn only_hashed_files_are_immutable() {
        assert!(is_hashed(Path::new("moot-0123456789abcdef_bg.wasm")));
        assert!(is_hashed(Path::new("style-0123456789abcdef.css")));
        assert!(!is_hashed(Path::new("sw.js")));
        assert!(!is_hashed(Path::new("index.html")));
        assert!(!is_hashed(Path::new("moot-xyz.js")));
        assert_eq!(cache_control(Path::new("index.html")), "no-cache");
    }
}
