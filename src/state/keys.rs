//! This device's key and the secrets of its private workspaces, in their own IndexedDB
//! database (`moot-keys`, apart from the documents): never in a link this device did not
//! receive, never sent anywhere.

use moot_trust::{DeviceKey, Link};

use crate::storage::ChunkStore;

const DATABASE: &str = "moot-keys";

/// Random bytes from the browser's CSPRNG, or `None` where it has none (then no key is made:
/// `Math.random` is not good enough for one).
pub fn secure_bytes<const N: usize>() -> Option<[u8; N]> {
    let crypto = web_sys::window()?.crypto().ok()?;
    let mut bytes = [0u8; N];
    crypto.get_random_values_with_u8_array(&mut bytes).ok()?;
    Some(bytes)
}

async fn store() -> Result<ChunkStore, String> {
    ChunkStore::open(DATABASE).await.map_err(|e| e.to_string())
}

/// This device's key: made on first use and kept.
pub async fn device_key() -> Result<DeviceKey, String> {
    thread_local! {
        static SEED: std::cell::Cell<Option<[u8; 32]>> = const { std::cell::Cell::new(None) };
    }
    if let Some(seed) = SEED.with(|s| s.get()) {
        return Ok(DeviceKey::from_seed(seed));
    }
    let store = store().await?;
    let key = ["device", "ed25519", "seed"];
    let seed = match store.get(&key).await.map_err(|e| e.to_string())? {
        Some(bytes) => <[u8; 32]>::try_from(bytes.as_slice())
            .map_err(|_| "this device's key is damaged".to_owned())?,
        None => {
            let seed = secure_bytes::<32>().ok_or("this browser has no secure random numbers")?;
            store.put(&key, &seed).await.map_err(|e| e.to_string())?;
            seed
        }
    };
    SEED.with(|s| s.set(Some(seed)));
    Ok(DeviceKey::from_seed(seed))
}

/// This page's part of its actor ids: random per page load, so two tabs never write under
/// one actor.
pub fn tab() -> [u8; 8] {
    thread_local! {
        static TAB: [u8; 8] = secure_bytes::<8>().unwrap_or_else(super::identity::random_bytes::<8>);
    }
    TAB.with(|t| *t)
}

pub async fn save_link(doc_id: &str, link: &Link) -> Result<(), String> {
    let store = store().await?;
    store
        .put(&["link", doc_id, "secret"], link.encode().as_bytes())
        .await
        .map_err(|e| e.to_string())
}

pub async fn load_link(doc_id: &str) -> Result<Option<Link>, String> {
    let store = store().await?;
    let Some(bytes) = store
        .get(&["link", doc_id, "secret"])
        .await
        .map_err(|e| e.to_string())?
    else {
        return Ok(None);
    };
    let text = String::from_utf8(bytes).map_err(|_| "a stored link is damaged".to_owned())?;
    Link::decode(&text).map(Some).map_err(|e| e.to_string())
}

/// The person this device writes as in a workspace, when it was paired with another device of
/// theirs (a pairing link names them); otherwise its own key's person.
pub async fn save_person(doc_id: &str, person: &str) -> Result<(), String> {
    let store = store().await?;
    store
        .put(&["person", doc_id, "id"], person.as_bytes())
        .await
        .map_err(|e| e.to_string())
}

pub async fn load_person(doc_id: &str) -> Option<String> {
    let store = store().await.ok()?;
    let bytes = store.get(&["person", doc_id, "id"]).await.ok()??;
    String::from_utf8(bytes)
        .ok()
        .filter(|p| moot_trust::key_of_person(p).is_some())
}

/// The local document id of a private workspace (derived from its read secret; never sent).
pub fn doc_id_of(link: &Link) -> String {
    moot_sync::DocumentId::from_bytes(link.secret.read().document).to_string()
}
