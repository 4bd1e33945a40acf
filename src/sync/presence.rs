//! Who else is in the workspace now, from presence messages on every transport. Keyed by
//! person, so someone seen through the relay, through another tab and directly counts once.
//! Direct-link signals travel in the same ephemeral messages and are handed on from here.

use std::{collections::BTreeMap, rc::Rc};

use leptos::prelude::*;
use moot_sync::{Presence, direct::Signal};

/// Presence is announced this often, and forgotten after `EXPIRY_MS` without news.
pub const ANNOUNCE_MS: u32 = 4_000;
const EXPIRY_MS: f64 = 20_000.0;

/// Gets the relay-level sender (the peer that carried it) and the signal.
type SignalHandler = Rc<dyn Fn(&str, Signal)>;

#[derive(Clone, Copy)]
pub struct Here {
    people: RwSignal<BTreeMap<String, (String, f64)>>,
    signals: StoredValue<Option<SignalHandler>, LocalStorage>,
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
            signals: StoredValue::new_local(None),
        }
    }

    /// Who gets the direct-link signals that arrive.
    pub fn on_signal(&self, f: impl Fn(&str, Signal) + 'static) {
        self.signals.set_value(Some(Rc::new(f)));
    }

    /// Records an ephemeral payload if it is presence from someone else.
    pub fn note(&self, me: Option<&str>, sender: &str, data: &[u8]) {
        let Some(p) = Presence::decode(data) else {
            if let (Some(s), Some(f)) = (Signal::decode(data), self.signals.get_value()) {
                f(sender, s);
            }
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
