//! The list of workspaces on this device (ids and names, most recent first).

use serde::{Deserialize, Serialize};

const KEY: &str = "moot.workspaces";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Known {
    pub id: String,
    pub name: String,
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

pub fn list() -> Vec<Known> {
    storage()
        .and_then(|s| s.get_item(KEY).ok().flatten())
        .and_then(|raw| serde_json::from_str(&raw).ok())
        .unwrap_or_default()
}

/// Puts the workspace first in the list (adding or renaming it).
pub fn remember(id: &str, name: &str) {
    let mut known = list();
    known.retain(|k| k.id != id);
    known.insert(0, Known { id: id.to_owned(), name: name.to_owned() });
    if let Some(s) = storage() {
        let _ = s.set_item(KEY, &serde_json::to_string(&known).unwrap_or_default());
    }
}
