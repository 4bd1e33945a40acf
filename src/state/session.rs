//! The open workspace: the model, its storage, and signals the pages react to.
//!
//! The model lives in a local (non-`Send`) stored value; `version` changes after every change
//! (local or remote), and page views read the model inside closures that track it.

use leptos::prelude::*;
use moot_model::{Ctx, ModelError, Workspace};

use super::{Identity, identity};
use crate::storage::{ChunkStore, DocStorage, StorageError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaveState {
    /// Nothing open, or nothing written yet.
    Idle,
    Saving,
    Saved,
    Failed(String),
}

const SAVE_RETRY_FIRST_MS: i32 = 1_000;
const SAVE_RETRY_MAX_MS: i32 = 30_000;

#[derive(Clone, Copy)]
pub struct Session {
    model: StoredValue<Option<Workspace>, LocalStorage>,
    storage: StoredValue<Option<DocStorage>, LocalStorage>,
    pub doc_id: RwSignal<Option<String>>,
    pub version: RwSignal<u64>,
    /// Bumped when the document changes other than by this tab's own acts: opened, changed
    /// by a peer, or an import. A view that mirrors its own edits (the draft) re-reads then.
    pub outside: RwSignal<u64>,
    pub save_state: RwSignal<SaveState>,
    pub me: RwSignal<Option<Identity>>,
    /// The last error an act produced, shown near the page title.
    pub error: RwSignal<Option<String>>,
    /// A short confirmation (an import's result), shown near the page title.
    pub notice: RwSignal<Option<String>>,
    pending_saves: RwSignal<u32>,
    /// After a failed write: whether a retry is scheduled, and the pause before the next one.
    save_retry: StoredValue<(bool, i32)>,
    /// Called after every local change (the sync hub pushes it to peers).
    on_local_change: StoredValue<Option<std::rc::Rc<dyn Fn()>>, LocalStorage>,
}

impl Session {
    pub fn new() -> Self {
        Self {
            model: StoredValue::new_local(None),
            storage: StoredValue::new_local(None),
            doc_id: RwSignal::new(None),
            version: RwSignal::new(0),
            outside: RwSignal::new(0),
            save_state: RwSignal::new(SaveState::Idle),
            me: RwSignal::new(Identity::load()),
            error: RwSignal::new(None),
            notice: RwSignal::new(None),
            pending_saves: RwSignal::new(0),
            save_retry: StoredValue::new((false, SAVE_RETRY_FIRST_MS)),
            on_local_change: StoredValue::new_local(None),
        }
    }

    pub fn is_open(&self) -> bool {
        self.version.track();
        self.model.with_value(Option::is_some)
    }

    /// Reads the open workspace, re-running when it changes. `None` when none is open.
    pub fn read<T>(&self, f: impl FnOnce(&Workspace) -> T) -> Option<T> {
        self.version.track();
        self.model.with_value(|m| m.as_ref().map(f))
    }

    /// Like `read`, flattening a model result into an option (errors are shown elsewhere).
    pub fn read_ok<T>(&self, f: impl FnOnce(&Workspace) -> Result<T, ModelError>) -> Option<T> {
        self.read(f).and_then(Result::ok)
    }

    /// Performs an act as me, now: saves it at once; returns the model's answer.
    /// `f` must not read the session (the model is borrowed while it runs): read first.
    pub fn act<T>(
        &self,
        f: impl FnOnce(&mut Workspace, Ctx<'_>) -> Result<T, ModelError>,
    ) -> Result<T, ModelError> {
        let me = self
            .me
            .get_untracked()
            .ok_or(ModelError::NotAllowed("set your name first".into()))?;
        let at = identity::now();
        let result = self
            .model
            .try_update_value(|m| m.as_mut().map(|ws| f(ws, Ctx::new(&me.id, &at))))
            .flatten()
            .ok_or(ModelError::NotAllowed("no workspace is open".into()))?;
        match &result {
            Ok(_) => {
                self.error.set(None);
                self.changed();
                if let Some(notify) = self.on_local_change.get_value() {
                    notify();
                }
            }
            Err(e) => self.error.set(Some(e.to_string())),
        }
        result
    }

    /// Merges a `.automerge` file into the open workspace (never replacing it).
    pub fn import(&self, bytes: &[u8]) -> Result<moot_model::ImportReport, String> {
        // Before automerge inflates anything (it would with no limit): a small file must not
        // be able to ask this tab for gigabytes.
        use moot_sync::chunks::{InflateError, MAX_INFLATED, check};
        check(bytes, MAX_INFLATED).map_err(|e| match e {
            InflateError::Malformed(why) => {
                format!("this file is not a complete moot workspace ({why})")
            }
            InflateError::TooLarge { .. } => format!("this file cannot be imported: {e}"),
        })?;
        let result = self
            .model
            .try_update_value(|m| m.as_mut().map(|ws| ws.import(bytes)))
            .flatten()
            .ok_or_else(|| "open a workspace first".to_owned())?
            .map_err(|e| e.to_string())?;
        if result.new_changes > 0 {
            self.outside.update(|v| *v += 1);
            self.changed();
            if let Some(notify) = self.on_local_change.get_value() {
                notify();
            }
        }
        Ok(result)
    }

    /// Runs `f` on the open document (for sync); `None` when nothing is open. `f` must not
    /// read the session.
    pub fn with_doc_mut<T>(&self, f: impl FnOnce(&mut automerge::AutoCommit) -> T) -> Option<T> {
        self.model
            .try_update_value(|m| m.as_mut().map(|ws| f(ws.doc_mut())))
            .flatten()
    }

    /// Changes arrived from a peer: re-render and save them (not pushed back out).
    pub fn remote_changed(&self) {
        crate::browser::mark("moot:remote-change");
        self.outside.update(|v| *v += 1);
        self.changed();
    }

    pub fn on_local_change(&self, f: impl Fn() + 'static) {
        self.on_local_change.set_value(Some(std::rc::Rc::new(f)));
    }

    /// After any change (local or from a peer): re-render and write to IndexedDB.
    pub fn changed(&self) {
        self.version.update(|v| *v += 1);
        self.save();
    }

    fn save(&self) {
        let Some(storage) = self.storage.get_value() else {
            return;
        };
        let chunk = self
            .model
            .try_update_value(|m| m.as_mut().and_then(|ws| storage.next_chunk(ws.doc_mut())))
            .flatten();
        let Some(chunk) = chunk else { return };
        self.write(storage, chunk);
    }

    fn write(&self, storage: DocStorage, chunk: crate::storage::Chunk) {
        let this = *self;
        this.pending_saves.update(|n| *n += 1);
        this.save_state.set(SaveState::Saving);
        leptos::task::spawn_local(async move {
            let result = storage.write(chunk).await;
            this.pending_saves.update(|n| *n -= 1);
            match result {
                // The document stays in memory; the person sees why it is not saved, and the
                // write is tried again until it succeeds (space freed, quota raised).
                Err(e) => {
                    this.save_state.set(SaveState::Failed(e.to_string()));
                    this.retry_save();
                }
                Ok(()) => {
                    this.save_retry.update_value(|r| r.1 = SAVE_RETRY_FIRST_MS);
                    if this.pending_saves.get_untracked() == 0 && !storage.behind() {
                        this.save_state.set(SaveState::Saved);
                    }
                }
            }
        });
    }

    /// Writes again what a failed write held, after a pause that grows to half a minute.
    fn retry_save(&self) {
        let (scheduled, delay) = self.save_retry.get_value();
        if scheduled {
            return;
        }
        self.save_retry
            .set_value((true, (delay * 2).min(SAVE_RETRY_MAX_MS)));
        let this = *self;
        let again = wasm_bindgen::closure::Closure::once_into_js(move || {
            this.save_retry.update_value(|r| r.0 = false);
            this.save();
        });
        if let Some(w) = web_sys::window() {
            use wasm_bindgen::JsCast;
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(
                again.unchecked_ref(),
                delay,
            );
        }
    }

    /// Replays this device's changes from sequence number `seq` on under a fresh actor
    /// (`moot_sync::rebase`: someone squatted that number), makes the result the open
    /// workspace and stores it whole, replacing the chunks this tab knows (they hold the
    /// squatted numbers, which would fail to load beside the forged change).
    pub fn rebase_own_changes(&self, seq: u64) -> Result<(), String> {
        let storage = self.storage.get_value().ok_or("no workspace is open")?;
        let rebased = self
            .model
            .try_update_value(|m| {
                m.as_mut().map(|ws| {
                    let doc = ws.doc_mut();
                    let actor = doc.get_actor().clone();
                    moot_sync::rebase::rebase(doc, &actor, seq, automerge::ActorId::random())
                })
            })
            .flatten()
            .ok_or("no workspace is open")?
            .map_err(|e| e.to_string())?;
        let mut ws =
            Workspace::from_stored(rebased, identity::random_u64()).map_err(|e| e.to_string())?;
        let chunk = storage.snapshot(ws.doc_mut());
        self.model.set_value(Some(ws));
        self.write(storage, chunk);
        self.outside.update(|v| *v += 1);
        self.version.update(|v| *v += 1);
        Ok(())
    }

    /// Opens the workspace `doc_id` from this device's storage. `Ok(false)` if it is not here.
    pub async fn open(&self, doc_id: &str) -> Result<bool, String> {
        crate::browser::mark("moot:open");
        let store = ChunkStore::open_default()
            .await
            .map_err(|e| e.to_string())?;
        let storage = DocStorage::new(store, doc_id);
        let Some(loaded) = storage
            .load()
            .await
            .map_err(|e: StorageError| e.to_string())?
        else {
            return Ok(false);
        };
        crate::browser::mark("moot:loaded");
        let ws = Workspace::from_stored(loaded.doc, identity::random_u64())
            .map_err(|e| e.to_string())?;
        crate::browser::mark("moot:checked");
        if loaded.unreadable > 0 {
            self.error.set(Some(format!(
                "{} stored chunk(s) could not be read and were skipped; nothing was deleted",
                loaded.unreadable
            )));
        }
        self.install(doc_id, ws, storage);
        self.save_state.set(SaveState::Saved);
        crate::browser::mark("moot:installed");
        Ok(true)
    }

    /// Makes `ws` the open workspace and writes all of it to storage.
    pub async fn adopt(&self, doc_id: &str, mut ws: Workspace) -> Result<(), String> {
        let store = ChunkStore::open_default()
            .await
            .map_err(|e| e.to_string())?;
        let storage = DocStorage::new(store, doc_id);
        let chunk = storage.snapshot(ws.doc_mut());
        self.install(doc_id, ws, storage.clone());
        self.write(storage, chunk);
        Ok(())
    }

    fn install(&self, doc_id: &str, ws: Workspace, storage: DocStorage) {
        let name = ws.name().unwrap_or_default();
        super::workspaces::remember(doc_id, &name);
        self.model.set_value(Some(ws));
        self.storage.set_value(Some(storage));
        self.doc_id.set(Some(doc_id.to_owned()));
        self.outside.update(|v| *v += 1);
        self.version.update(|v| *v += 1);
    }

    pub fn close(&self) {
        self.model.set_value(None);
        self.storage.set_value(None);
        self.doc_id.set(None);
        self.save_state.set(SaveState::Idle);
        self.outside.update(|v| *v += 1);
        self.version.update(|v| *v += 1);
    }
}

impl Default for Session {
    fn default() -> Self {
        Self::new()
    }
}
