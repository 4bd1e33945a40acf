//! The list of workspaces on this device (ids and names, most recent first).

use serde::{Deserialize, Serialize};

const KEY: &str = "moot.workspaces";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Known {
    pub id: String,
    pub name: String,
    /// The relay this workspace syncs through (from its session link), if not this app's own.
    #[serde(default)]
    pub relay: Option<String>,
    /// A private workspace (its secret is in `keys`; it syncs only sealed).
    #[serde(default)]
    pub private: bool,
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

/// Puts the workspace first in the list (adding or renaming it, keeping its relay).
pub fn remember(id: &str, name: &str) {
    let mut known = list();
    let old = known.iter().find(|k| k.id == id);
    let relay = old.and_then(|k| k.relay.clone());
    let private = old.is_some_and(|k| k.private);
    known.retain(|k| k.id != id);
    known.insert(
        0,
        Known {
            id: id.to_owned(),
            name: name.to_owned(),
            relay,
            private,
        },
    );
    save(&known);
}

/// Records the relay a session link named for this workspace.
pub fn set_relay(id: &str, relay: &str) {
    let mut known = list();
    match known.iter_mut().find(|k| k.id == id) {
        Some(k) => k.relay = Some(relay.to_owned()),
        None => known.push(Known {
            id: id.to_owned(),
            name: String::new(),
            relay: Some(relay.to_owned()),
            private: false,
        }),
    }
    save(&known);
}

/// Marks a workspace private (from its creation or a private link).
pub fn set_private(id: &str) {
    let mut known = list();
    match known.iter_mut().find(|k| k.id == id) {
        Some(k) => k.private = true,
        None => known.push(Known {
            id: id.to_owned(),
            name: String::new(),
            relay: None,
            private: true,
        }),
    }
    save(&known);
}

pub fn is_private(id: &str) -> bool {
    list().iter().any(|k| k.id == id && k.private)
}

/// Whether this device knows the workspace (opened it, or a link named its relay before).
pub fn is_known(id: &str) -> bool {
    list().iter().any(|k| k.id == id)
}

pub fn relay_of(id: &str) -> Option<String> {
    list()
        .into_iter()
        .find(|k| k.id == id)
        .and_then(|k| k.relay)
}

fn save(known: &[Known]) {
    if let Some(s) = storage() {
        let _ = s.set_item(KEY, &serde_json::to_string(&known).unwrap_or_default());
    }
}
