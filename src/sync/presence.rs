//! Who else is in the workspace now, from presence messages on every transport. Keyed by
//! person, so someone seen through the relay and through another tab counts once.

use std::collections::BTreeMap;

use leptos::prelude::*;
use moot_sync::Presence;

/// Presence is announced this often, and forgotten after `EXPIRY_MS` without news.
pub const ANNOUNCE_MS: i32 = 4_000;
const EXPIRY_MS: f64 = 20_000.0;

#[derive(Clone, Copy)]
pub struct Here {
    people: RwSignal<BTreeMap<String, (String, f64)>>,
}

impl Default for Here {
    fn default() -> Self {
        Self::new()
    }
}

impl Here {
    pub fn new() -> Self {
        Self {
            people: RwSignal::new(BTreeMap::new()),
        }
    }

    /// Records an ephemeral payload if it is presence from someone else.
    pub fn note(&self, me: Option<&str>, data: &[u8]) {
        let Some(p) = Presence::decode(data) else {
            return;
        };
        if Some(p.person.as_str()) == me {
            return;
        }
        let now = js_sys::Date::now();
        self.people.update(|m| {
            m.insert(p.person, (p.name, now));
        });
    }

    /// Forgets whoever has been silent too long.
    pub fn sweep(&self) {
        let now = js_sys::Date::now();
        if self
            .people
            .with_untracked(|m| m.values().any(|(_, seen)| now - seen > EXPIRY_MS))
        {
            self.people
                .update(|m| m.retain(|_, (_, seen)| now - *seen <= EXPIRY_MS));
        }
    }

    pub fn clear(&self) {
        self.people.set(BTreeMap::new());
    }

    pub fn names(&self) -> Vec<String> {
        self.people
            .with(|m| m.values().map(|(n, _)| n.clone()).collect())
    }
}
