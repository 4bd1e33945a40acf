//! The person using this device: a stable id made once, and a display name they choose.

use serde::{Deserialize, Serialize};

const KEY: &str = "moot.identity";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub id: String,
    pub name: String,
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

/// 16 random bytes from the browser's crypto, as hex.
pub fn random_hex() -> String {
    random_bytes::<16>()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    let crypto = web_sys::window().and_then(|w| w.crypto().ok());
    if let Some(crypto) = crypto {
        let _ = crypto.get_random_values_with_u8_array(&mut bytes);
    } else {
        for b in &mut bytes {
            *b = (js_sys::Math::random() * 256.0) as u8;
        }
    }
    bytes
}

pub fn random_u64() -> u64 {
    u64::from_le_bytes(random_bytes::<8>())
}

impl Identity {
    /// The saved identity, if the person has set a name on this device.
    pub fn load() -> Option<Self> {
        let raw = storage()?.get_item(KEY).ok()??;
        serde_json::from_str(&raw).ok()
    }

    /// Sets the display name, creating the id on first use.
    pub fn save_name(name: &str) -> Self {
        let id = Self::load()
            .map(|i| i.id)
            .unwrap_or_else(|| format!("person-{}", random_hex()));
        let identity = Self {
            id,
            name: name.trim().to_owned(),
        };
        if let Some(s) = storage() {
            let _ = s.set_item(KEY, &serde_json::to_string(&identity).unwrap_or_default());
        }
        identity
    }
}

/// Now, as RFC 3339 UTC (the model reads no clock of its own).
pub fn now() -> String {
    js_sys::Date::new_0().to_iso_string().into()
}
