//! P2's anchor: a minimal JS page on the npm @automerge/automerge (anchor/ in this crate) that
//! loads the same workspace bytes from IndexedDB and renders the same lists. It is served next
//! to the app (same relay, same origin rules) from a copy of the app folder.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// A copy of the app folder with the anchor page under /anchor/ and `bytes` as its workspace.
pub fn serve_dir(dist: &Path, interop: &Path, out: &Path, bytes: &[u8]) -> Result<PathBuf> {
    let dir = out.join("served");
    let _ = std::fs::remove_dir_all(&dir);
    copy_tree(dist, &dir, &|_| true)?;
    std::fs::create_dir_all(dir.join("anchor"))?;
    let anchor = dir.join("anchor");
    let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("anchor");
    copy_tree(&here, &anchor, &|_| true)?;
    let npm = interop.join("node_modules/@automerge/automerge/dist");
    // The ESM build for the web: no wasm copies (one is served beside), no base64 bundles, and
    // of the wasm-bindgen outputs only the web one.
    copy_tree(&npm.join("mjs"), &anchor.join("automerge"), &|p: &Path| {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let in_outputs = p
            .parent()
            .and_then(|d| d.file_name())
            .is_some_and(|d| d == "wasm_bindgen_output");
        if p.is_dir() {
            !in_outputs || name == "web"
        } else {
            name.ends_with(".js") && !name.contains("base64")
        }
    })?;
    std::fs::copy(npm.join("automerge.wasm"), anchor.join("automerge.wasm"))
        .context("automerge.wasm")?;
    std::fs::write(anchor.join("workspace.automerge"), bytes)?;
    Ok(dir)
}

fn copy_tree(from: &Path, to: &Path, keep: &dyn Fn(&Path) -> bool) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from).with_context(|| from.display().to_string())? {
        let path = entry?.path();
        let target = to.join(path.file_name().context("name")?);
        if !keep(&path) {
            continue;
        }
        if path.is_dir() {
            copy_tree(&path, &target, keep)?;
        } else {
            std::fs::copy(&path, &target)?;
        }
    }
    Ok(())
}
