//! IndexedDB, promise-free: each request becomes a future, each write resolves only once its
//! transaction has committed (so "saved" is never shown early).
//!
//! Layout (same as automerge-repo's `IndexedDBStorageAdapter`): database `automerge`, object
//! store `documents`, out-of-line keys that are arrays of strings such as
//! `[docId, "incremental", hash]`, values `{ key, binary: Uint8Array }`.

use js_sys::{Array, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue, closure::Closure};
use wasm_bindgen_futures::JsFuture;
use web_sys::{IdbDatabase, IdbOpenDbRequest, IdbRequest, IdbTransaction, IdbTransactionMode};

pub const DATABASE: &str = "automerge";
pub const STORE: &str = "documents";
const VERSION: u32 = 1;

/// Why local storage failed; shown to the person, who keeps the in-memory document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StorageError {
    #[error("this browser offers no IndexedDB (private mode?): changes are kept in memory only")]
    Unavailable,
    #[error(
        "the browser's storage is full: free some space, changes are kept in memory until then"
    )]
    QuotaExceeded,
    #[error("local storage failed ({name}): {message}")]
    Failed { name: String, message: String },
}

impl StorageError {
    fn from_js(value: &JsValue) -> Self {
        match value.dyn_ref::<web_sys::DomException>() {
            Some(e) if e.name() == "QuotaExceededError" => StorageError::QuotaExceeded,
            Some(e) => StorageError::Failed {
                name: e.name(),
                message: e.message(),
            },
            None => StorageError::Failed {
                name: "Error".into(),
                message: value.as_string().unwrap_or_else(|| format!("{value:?}")),
            },
        }
    }
}

/// Turns an `IDBRequest` into a future of its result.
async fn request(req: &IdbRequest) -> Result<JsValue, StorageError> {
    let promise = Promise::new(&mut |resolve, reject| {
        let ok_req = req.clone();
        let on_success = Closure::once_into_js(move || {
            let _ = resolve.call1(
                &JsValue::UNDEFINED,
                &ok_req.result().unwrap_or(JsValue::UNDEFINED),
            );
        });
        let err_req = req.clone();
        let on_error = Closure::once_into_js(move || {
            let error = err_req
                .error()
                .ok()
                .flatten()
                .map(JsValue::from)
                .unwrap_or(JsValue::NULL);
            let _ = reject.call1(&JsValue::UNDEFINED, &error);
        });
        req.set_onsuccess(Some(on_success.unchecked_ref()));
        req.set_onerror(Some(on_error.unchecked_ref()));
    });
    JsFuture::from(promise)
        .await
        .map_err(|e| StorageError::from_js(&e))
}

/// Resolves once the transaction committed; rejects on error or abort.
async fn committed(tx: &IdbTransaction) -> Result<(), StorageError> {
    let promise = Promise::new(&mut |resolve, reject| {
        let on_complete = Closure::once_into_js(move || {
            let _ = resolve.call0(&JsValue::UNDEFINED);
        });
        let err_tx = tx.clone();
        let reject_abort = reject.clone();
        let abort_tx = tx.clone();
        let on_error = Closure::once_into_js(move || {
            let error = err_tx.error().map(JsValue::from).unwrap_or(JsValue::NULL);
            let _ = reject.call1(&JsValue::UNDEFINED, &error);
        });
        let on_abort = Closure::once_into_js(move || {
            let error = abort_tx.error().map(JsValue::from).unwrap_or(JsValue::NULL);
            let _ = reject_abort.call1(&JsValue::UNDEFINED, &error);
        });
        tx.set_oncomplete(Some(on_complete.unchecked_ref()));
        tx.set_onerror(Some(on_error.unchecked_ref()));
        tx.set_onabort(Some(on_abort.unchecked_ref()));
    });
    JsFuture::from(promise)
        .await
        .map(drop)
        .map_err(|e| StorageError::from_js(&e))
}

fn js_key(key: &[&str]) -> Array {
    key.iter().map(|part| JsValue::from_str(part)).collect()
}

/// The chunk store: one IndexedDB database in automerge-repo's layout.
#[derive(Clone)]
pub struct ChunkStore {
    db: IdbDatabase,
}

impl ChunkStore {
    /// Opens (and on first use creates) the database `name`.
    pub async fn open(name: &str) -> Result<Self, StorageError> {
        let factory = web_sys::window()
            .and_then(|w| w.indexed_db().ok().flatten())
            .ok_or(StorageError::Unavailable)?;
        let open: IdbOpenDbRequest = factory
            .open_with_u32(name, VERSION)
            .map_err(|e| StorageError::from_js(&e))?;
        let upgrade_req = open.clone();
        let on_upgrade = Closure::once_into_js(move || {
            if let Ok(db) = upgrade_req
                .result()
                .and_then(|r| r.dyn_into::<IdbDatabase>())
                && !db.object_store_names().contains(STORE)
            {
                let _ = db.create_object_store(STORE);
            }
        });
        open.set_onupgradeneeded(Some(on_upgrade.unchecked_ref()));
        let db = request(&open).await?;
        let db: IdbDatabase = db.dyn_into().map_err(|e| StorageError::from_js(&e))?;
        Ok(Self { db })
    }

    /// Opens the default database that automerge-repo uses.
    pub async fn open_default() -> Result<Self, StorageError> {
        Self::open(DATABASE).await
    }

    /// A read-write transaction with `durability: "strict"`: it completes only once the data
    /// is flushed to disk, so "Saved on this device" survives a power cut, not just a crashed
    /// tab (browsers default to "relaxed"). Called through JS because web-sys has the options
    /// only behind its unstable flag.
    fn strict_transaction(&self) -> Result<IdbTransaction, StorageError> {
        let options = Object::new();
        Reflect::set(&options, &"durability".into(), &"strict".into())
            .map_err(|e| StorageError::from_js(&e))?;
        let transaction: js_sys::Function = Reflect::get(&self.db, &"transaction".into())
            .and_then(|f| f.dyn_into())
            .map_err(|e| StorageError::from_js(&e))?;
        transaction
            .call3(&self.db, &STORE.into(), &"readwrite".into(), &options)
            .and_then(|tx| tx.dyn_into())
            .map_err(|e| StorageError::from_js(&e))
    }

    fn store(
        &self,
        mode: IdbTransactionMode,
    ) -> Result<(IdbTransaction, web_sys::IdbObjectStore), StorageError> {
        let tx = if mode == IdbTransactionMode::Readwrite {
            self.strict_transaction()?
        } else {
            self.db
                .transaction_with_str_and_mode(STORE, mode)
                .map_err(|e| StorageError::from_js(&e))?
        };
        let store = tx
            .object_store(STORE)
            .map_err(|e| StorageError::from_js(&e))?;
        Ok((tx, store))
    }

    /// Writes `bytes` under `key`; returns once the write is durable in the browser's terms.
    pub async fn put(&self, key: &[&str], bytes: &[u8]) -> Result<(), StorageError> {
        self.replace(key, bytes, &[]).await
    }

    /// Writes `bytes` under `key` and removes the records under `old`, in one transaction:
    /// all of it or, on failure, none.
    pub async fn replace(
        &self,
        key: &[&str],
        bytes: &[u8],
        old: &[[&str; 3]],
    ) -> Result<(), StorageError> {
        let (tx, store) = self.store(IdbTransactionMode::Readwrite)?;
        let put_key = js_key(key);
        let record = Object::new();
        let set = |name: &str, value: &JsValue| {
            Reflect::set(&record, &JsValue::from_str(name), value)
                .map_err(|e| StorageError::from_js(&e))
        };
        set("key", &put_key)?;
        set("binary", &Uint8Array::from(bytes))?;
        store
            .put_with_key(&record, &put_key)
            .map_err(|e| StorageError::from_js(&e))?;
        for k in old {
            store
                .delete(&js_key(k))
                .map_err(|e| StorageError::from_js(&e))?;
        }
        committed(&tx).await
    }

    /// Reads the bytes under `key`, or `None` when there are none.
    pub async fn get(&self, key: &[&str]) -> Result<Option<Vec<u8>>, StorageError> {
        let (_tx, store) = self.store(IdbTransactionMode::Readonly)?;
        let req = store
            .get(&js_key(key))
            .map_err(|e| StorageError::from_js(&e))?;
        let record = request(&req).await?;
        if record.is_undefined() || record.is_null() {
            return Ok(None);
        }
        let binary = Reflect::get(&record, &JsValue::from_str("binary"))
            .map_err(|e| StorageError::from_js(&e))?;
        let bytes: Uint8Array = binary.dyn_into().map_err(|_| StorageError::Failed {
            name: "DataError".into(),
            message: format!("record {key:?} holds no bytes"),
        })?;
        Ok(Some(bytes.to_vec()))
    }

    /// Every record whose key starts with `[prefix]`, as (key, bytes), in key order.
    pub async fn load_prefix(
        &self,
        prefix: &str,
    ) -> Result<Vec<(Vec<String>, Vec<u8>)>, StorageError> {
        let (_tx, store) = self.store(IdbTransactionMode::Readonly)?;
        let lower: Array = [JsValue::from_str(prefix)].into_iter().collect();
        let upper: Array = [JsValue::from_str(prefix), JsValue::from(Array::new())]
            .into_iter()
            .collect();
        let range =
            web_sys::IdbKeyRange::bound(&lower, &upper).map_err(|e| StorageError::from_js(&e))?;
        let req = store
            .get_all_with_key(&range)
            .map_err(|e| StorageError::from_js(&e))?;
        let records: Array = request(&req)
            .await?
            .dyn_into()
            .map_err(|e| StorageError::from_js(&e))?;
        let mut out = Vec::with_capacity(records.length() as usize);
        for record in records.iter() {
            let key: Array = Reflect::get(&record, &JsValue::from_str("key"))
                .and_then(|k| k.dyn_into())
                .map_err(|e| StorageError::from_js(&e))?;
            let key: Vec<String> = key.iter().filter_map(|k| k.as_string()).collect();
            let Ok(bytes) = Reflect::get(&record, &JsValue::from_str("binary"))
                .and_then(|b| b.dyn_into::<Uint8Array>())
            else {
                continue;
            };
            out.push((key, bytes.to_vec()));
        }
        Ok(out)
    }

    /// Removes the record under `key` (absent keys are fine).
    pub async fn delete(&self, key: &[&str]) -> Result<(), StorageError> {
        let (tx, store) = self.store(IdbTransactionMode::Readwrite)?;
        store
            .delete(&js_key(key))
            .map_err(|e| StorageError::from_js(&e))?;
        committed(&tx).await
    }
}
