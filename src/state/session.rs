//! The open workspace: the model, its storage, and signals the pages react to.
//!
//! The model lives in a local (non-`Send`) stored value; `version` changes after every change
//! (local or remote), and page views read the model inside closures that track it.

use leptos::prelude::*;
use moot_model::{Ctx, ModelError, Workspace, news::Part};

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
/// Up to this many ops a change is placed op by op in the parts it wrote to; a larger sync
/// re-reads every part (cheaper than placing each op).
const MAX_PLACED_OPS: usize = 2_000;

/// A private workspace's sealed side: its log and this device's part in it.
pub struct Sealing {
    pub log: moot_trust::Log,
    pub private: moot_sync::sealed::Private,
    /// The person this device writes as, when paired with another device of theirs.
    pub person: Option<String>,
    /// The stored sealed-log records whose content `log` holds (read at open, or written by
    /// this tab): what a compacted rewrite replaces. Other tabs' records stay.
    pub stored: Vec<String>,
}

/// What a link of each level may do, as people read it.
pub fn level_says(level: moot_trust::Level) -> &'static str {
    match level {
        moot_trust::Level::Read => {
            "You have a read link: you can read everything and write nothing."
        }
        moot_trust::Level::Comment => {
            "You have a comment link: you can comment and reply; nothing else you write is accepted."
        }
        moot_trust::Level::Edit => "You have an edit link: you can write the content.",
        moot_trust::Level::Admin => "You are an admin of this workspace.",
    }
}

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
    /// One trigger per part of the workspace ([`Part::ALL`]'s order), bumped when a change
    /// wrote to it: a view reading one part (`read_in`) is not re-run by a keystroke in
    /// another (a peer typing in the draft re-reads no agenda).
    parts: [RwSignal<u64>; 6],
    /// The heads when `parts` were last bumped: what the next change is compared with.
    parts_seen: StoredValue<Vec<automerge::ChangeHash>>,
    /// `Some` for a private workspace: the level its link grants.
    pub level: RwSignal<Option<moot_trust::Level>>,
    sealing: StoredValue<Option<Sealing>, LocalStorage>,
    /// How many changes of the open private workspace arrived sealed under keys this device
    /// does not hold (it was removed, or its link is from before the keys rotated).
    pub unreadable: RwSignal<usize>,
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
            parts: std::array::from_fn(|_| RwSignal::new(0)),
            parts_seen: StoredValue::new(Vec::new()),
            level: RwSignal::new(None),
            sealing: StoredValue::new_local(None),
            unreadable: RwSignal::new(0),
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

    /// Reads the open workspace without re-running on its changes (the caller tracks what it
    /// depends on, e.g. `outside`).
    pub fn read_untracked<T>(&self, f: impl FnOnce(&Workspace) -> T) -> Option<T> {
        self.model.with_value(|m| m.as_ref().map(f))
    }

    /// Reads the open workspace, re-running only when one of `parts` changes (or another
    /// workspace opens): for a view that shows those parts and nothing else.
    pub fn read_in<T>(&self, parts: &[Part], f: impl FnOnce(&Workspace) -> T) -> Option<T> {
        for p in parts {
            self.parts[p.index()].track();
        }
        self.model.with_value(|m| m.as_ref().map(f))
    }

    /// [`Session::read_in`], flattening a model result as [`Session::read_ok`] does.
    pub fn read_ok_in<T>(
        &self,
        parts: &[Part],
        f: impl FnOnce(&Workspace) -> Result<T, ModelError>,
    ) -> Option<T> {
        self.read_in(parts, f).and_then(Result::ok)
    }

    /// Like `read`, flattening a model result into an option (errors are shown elsewhere).
    pub fn read_ok<T>(&self, f: impl FnOnce(&Workspace) -> Result<T, ModelError>) -> Option<T> {
        self.read(f).and_then(Result::ok)
    }

    /// Performs an act as me, now: saves it at once; returns the model's answer. In a private
    /// workspace it needs an edit link. `f` must not read the session (the model is borrowed
    /// while it runs): read first.
    pub fn act<T>(
        &self,
        f: impl FnOnce(&mut Workspace, Ctx<'_>) -> Result<T, ModelError>,
    ) -> Result<T, ModelError> {
        self.act_at(moot_trust::Level::Edit, f)
    }

    /// An act a comment link may do (comment, reply, name myself, add my device).
    pub fn act_comment<T>(
        &self,
        f: impl FnOnce(&mut Workspace, Ctx<'_>) -> Result<T, ModelError>,
    ) -> Result<T, ModelError> {
        self.act_at(moot_trust::Level::Comment, f)
    }

    /// An act that needs at least `needs` in a private workspace (anything goes in an open one).
    fn act_at<T>(
        &self,
        needs: moot_trust::Level,
        f: impl FnOnce(&mut Workspace, Ctx<'_>) -> Result<T, ModelError>,
    ) -> Result<T, ModelError> {
        let me = self
            .me
            .get_untracked()
            .ok_or(ModelError::NotAllowed("set your name first".into()))?;
        if let Some(mine) = self.level.get_untracked().filter(|l| *l < needs) {
            let e = ModelError::NotAllowed(level_says(mine).into());
            self.error.set(Some(e.to_string()));
            return Err(e);
        }
        let at = identity::now();
        let result = self
            .model
            .try_update_value(|m| {
                m.as_mut().map(|ws| {
                    let ctx = Ctx::new(&me.id, &at);
                    // Others see my name beside my words: written with my first act in this
                    // workspace, and again after I change it (its own change, kept if `f` fails).
                    if ws.person_name(&me.id) != me.name {
                        let _ = ws.set_person_name(ctx, &me.id, &me.name);
                    }
                    f(ws, ctx)
                })
            })
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

    /// Whether the open workspace takes writes of this kind from me: everything in an open
    /// workspace; in a private one what its link's level allows (tracked).
    pub fn may(&self, level: moot_trust::Level) -> bool {
        self.level.get().is_none_or(|mine| mine >= level)
    }

    /// Makes the open workspace private: this tab writes under an actor bound to the device
    /// key, as the person that key stands for, and seals every change. Runs as it is
    /// installed, before its id is published to the sync hubs.
    fn make_private(&self, mut sealing: Sealing, name: &str) {
        let device = sealing.private.device();
        let actor = automerge::ActorId::from(device.actor(super::keys::tab()));
        let person = sealing
            .person
            .clone()
            .unwrap_or_else(|| moot_trust::person_id(&device.public()));
        let level = sealing.private.link.level();
        self.with_doc_mut(|doc| {
            // A document made in this tab already writes as this tab (its changes are to be
            // sealed); one opened from storage gets this tab's actor, with nothing of its own.
            if doc.get_actor() != &actor {
                doc.set_actor(actor);
                sealing.private.start_at(doc.get_heads());
            }
        });
        sealing.private.remember_log(&sealing.log);
        self.sealing.set_value(Some(sealing));
        self.level.set(Some(level));
        self.me.set(Some(Identity {
            id: person,
            name: name.to_owned(),
        }));
    }

    /// Runs `f` on the open document and its sealed side; `None` for an open workspace.
    pub fn with_sealing<T>(
        &self,
        f: impl FnOnce(&mut automerge::AutoCommit, &mut Sealing) -> T,
    ) -> Option<T> {
        let mut sealing = self.sealing.try_update_value(Option::take).flatten()?;
        let result = self.with_doc_mut(|doc| f(doc, &mut sealing));
        self.sealing.set_value(Some(sealing));
        result
    }

    /// What arrived on any sealed transport (relay, tab, direct link), checked and applied the
    /// one way every peer does: through this device's judge and the workspace's comment rule.
    /// `None` for an open workspace.
    pub fn take_sealed(
        &self,
        exchange: &mut moot_trust::Exchange,
        message: moot_trust::Message,
    ) -> Option<moot_trust::Outcome> {
        let out = self.with_sealing(|doc, s| {
            let mut judge = s.private.judge(doc, moot_model::trust::comment_rule);
            exchange.receive(&mut s.log, message, &mut judge)
        })?;
        // New statements may call for another rotation (the caller stores it with the rest).
        if out.statements > 0 {
            self.rotate_again_if_needed();
        }
        Some(out)
    }

    /// Seals this tab's new changes into the log (and stores what the log took). Whether
    /// anything was sealed; an error says why this tab may not write.
    pub fn seal_now(&self) -> Result<bool, String> {
        let nonce = super::keys::secure_bytes::<24>().ok_or("no secure random numbers")?;
        let sealed = self
            .with_sealing(|doc, s| s.private.seal(doc, &mut s.log, nonce))
            .unwrap_or(Ok(None))
            .map_err(|e| e.to_string())?;
        self.store_sealed();
        Ok(sealed.is_some())
    }

    /// Writes what the log took since the last call, as one stored record named by its hash.
    pub fn store_sealed(&self) {
        let Some(doc_id) = self.doc_id.get_untracked() else {
            return;
        };
        let (records, rotated, unreadable) = self
            .sealing
            .try_update_value(|s| {
                s.as_mut().map(|s| {
                    let rotated = s.private.take_rotated().then(|| s.private.link.clone());
                    (s.log.take_journal(), rotated, s.private.unreadable())
                })
            })
            .flatten()
            .unwrap_or_default();
        if self.unreadable.get_untracked() != unreadable {
            self.unreadable.set(unreadable);
        }
        if let Some(link) = rotated {
            // The keys rotated: this device now seals under the new epoch, and keeps the link
            // that opens it (a reload would otherwise start from the old one).
            self.version.update(|v| *v += 1);
            let doc_id = doc_id.clone();
            let this = *self;
            leptos::task::spawn_local(async move {
                if let Err(e) = super::keys::save_link(&doc_id, &link).await {
                    this.save_state.set(SaveState::Failed(e));
                }
            });
        }
        if records.is_empty() {
            return;
        }
        // One record of them all (a CBOR sequence), in one transaction: a newcomer takes
        // thousands of envelopes at once, and a write each would take minutes.
        self.write_sealed(doc_id, &records, Vec::new());
    }

    /// Writes `records` as one stored record named by its hash, removing the records named
    /// `replacing` in the same transaction (all of it or, on failure, none: those stay known
    /// to this tab and are replaced next time).
    fn write_sealed(&self, doc_id: String, records: &[moot_trust::Record], replacing: Vec<String>) {
        let bytes: Vec<u8> = records
            .iter()
            .flat_map(moot_trust::Record::encode)
            .collect();
        let name = record_name(&bytes);
        self.sealing.update_value(|s| {
            if let Some(s) = s {
                s.stored.push(name.clone());
            }
        });
        let this = *self;
        leptos::task::spawn_local(async move {
            let Ok(store) = ChunkStore::open_default().await else {
                this.save_state
                    .set(SaveState::Failed("cannot open storage".into()));
                return;
            };
            let old: Vec<String> = replacing.into_iter().filter(|n| *n != name).collect();
            let keys: Vec<[&str; 3]> = old
                .iter()
                .map(|n| [doc_id.as_str(), "sealed-log", n.as_str()])
                .collect();
            let key = [doc_id.as_str(), "sealed-log", name.as_str()];
            if let Err(e) = store.replace(&key, &bytes, &keys).await {
                this.save_state.set(SaveState::Failed(e.to_string()));
                this.sealing.update_value(|s| {
                    if let Some(s) = s {
                        s.stored.extend(old.iter().cloned());
                    }
                });
            }
        });
    }

    /// After the relay acknowledged what it holds (`acked`): under a snapshot this device
    /// made, drops the envelopes both cover and rewrites the stored sealed log as one record
    /// (statements, the snapshot, what came after) in place of the records it held — so the
    /// device keeps the size of the workspace, not an envelope per keystroke. The new record
    /// and the removal of the old ones are one transaction: a failure loses nothing.
    pub fn compact_sealed(&self, acked: &moot_trust::Vector) {
        let Some(doc_id) = self.doc_id.get_untracked() else {
            return;
        };
        // At least this many envelopes a rewrite (a snapshot comes every 1000 changes).
        const MIN_DROPPED: usize = 100;
        let compacted = self
            .with_sealing(|_, s| s.private.compact(&mut s.log, acked, MIN_DROPPED))
            .unwrap_or(false);
        if !compacted {
            return;
        }
        // What the journal held is in the log's records, written once below (the rest of
        // `store_sealed`, a rotated link, still runs).
        self.sealing.update_value(|s| {
            if let Some(s) = s {
                s.log.take_journal();
            }
        });
        self.store_sealed();
        let Some((records, old)) = self
            .sealing
            .try_update_value(|s| {
                s.as_mut()
                    .map(|s| (s.log.records(), std::mem::take(&mut s.stored)))
            })
            .flatten()
        else {
            return;
        };
        self.write_sealed(doc_id, &records, old);
    }

    /// Takes a sealed export file into the open private workspace (checked like anything that
    /// arrives), and passes what it brought on to the relay and tabs.
    pub fn import_sealed(&self, bytes: &[u8]) -> Result<moot_sync::sealed::Imported, String> {
        let report = self
            .with_sealing(|doc, s| {
                moot_sync::sealed::import(
                    bytes,
                    &mut s.log,
                    &mut s.private,
                    doc,
                    moot_model::trust::comment_rule,
                )
            })
            .ok_or("open the private workspace the file belongs to first")?
            .map_err(|e| e.to_string())?;
        if report.statements > 0 {
            self.rotate_again_if_needed();
        }
        if report.envelopes > 0 || report.snapshot || report.statements > 0 {
            self.outside.update(|v| *v += 1);
            self.changed();
            if let Some(notify) = self.on_local_change.get_value() {
                notify();
            }
        }
        self.store_sealed();
        Ok(report)
    }

    /// The open private workspace as a sealed file (this tab's latest changes sealed first).
    pub fn export_sealed(&self) -> Option<Vec<u8>> {
        let _ = self.seal_now();
        let nonce = super::keys::secure_bytes::<24>();
        self.with_sealing(|doc, s| {
            // An editor's file carries a snapshot of everything instead of every keystroke's
            // envelope (one it cannot make, it does without).
            let fresh = nonce
                .filter(|_| s.private.link.level() >= moot_trust::Level::Edit)
                .and_then(|nonce| s.private.snapshot(doc, &s.log, nonce).ok());
            moot_sync::sealed::export(&s.log, fresh.as_ref())
        })
    }

    /// The devices enrolled in the open private workspace: key, level, removed, and whether it
    /// is this one (tracked).
    pub fn devices(&self) -> Vec<([u8; 32], moot_trust::Level, bool, bool)> {
        self.version.track();
        self.sealing
            .with_value(|s| {
                s.as_ref().map(|s| {
                    let mine = s.private.device().public().to_bytes();
                    s.log
                        .roster()
                        .devices()
                        .map(|(d, l, r)| (d, l, r, d == mine))
                        .collect()
                })
            })
            .unwrap_or_default()
    }

    /// As an admin, removes a device and rotates the keys: its changes this device holds
    /// stay, later ones are refused by the relay and every peer that knows the removal, and
    /// what is written from now on is sealed under keys it never gets.
    pub fn remove_device(&self, device: [u8; 32]) -> Result<(), String> {
        let random = self.rotation_random()?;
        self.sealing
            .try_update_value(|s| {
                s.as_mut()
                    .map(|s| s.private.remove_device(&mut s.log, device, random))
            })
            .flatten()
            .ok_or("no private workspace is open")?
            .map_err(|e| e.to_string())?;
        self.store_sealed();
        self.version.update(|v| *v += 1);
        if let Some(notify) = self.on_local_change.get_value() {
            notify();
        }
        Ok(())
    }

    /// The randomness a key rotation takes (one value for the previous seed's seal, two for
    /// each device it seals to), drawn up front: a browser without secure random numbers fails
    /// here, before anything is signed.
    fn rotation_random(&self) -> Result<impl FnMut() -> [u8; 32] + use<>, String> {
        use super::keys::secure_bytes;
        let devices = self
            .sealing
            .with_value(|s| s.as_ref().map(|s| s.log.roster().devices().count()))
            .ok_or("no private workspace is open")?;
        let mut pool = (0..=2 * devices)
            .map(|_| secure_bytes::<32>())
            .collect::<Option<Vec<_>>>()
            .ok_or("this browser has no secure random numbers")?;
        Ok(move || {
            pool.pop()
                .or_else(secure_bytes::<32>)
                .unwrap_or_else(super::identity::random_bytes::<32>)
        })
    }

    /// On an admin device: if a removed device can still read the newest keys (two admins
    /// removed two people concurrently, each rotation sealing to the other's), rotates again
    /// and sends it on every transport.
    fn rotate_again_if_needed(&self) {
        let needed = self.sealing.with_value(|s| {
            s.as_ref().is_some_and(|s| {
                s.private.link.level() == moot_trust::Level::Admin
                    && s.log.roster().reaches_removed()
            })
        });
        if !needed {
            return;
        }
        let random = match self.rotation_random() {
            Ok(random) => random,
            Err(e) => {
                self.error.set(Some(e));
                return;
            }
        };
        let rotated = self
            .sealing
            .try_update_value(|s| {
                s.as_mut()
                    .map(|s| s.private.rotate_if_removed_can_read(&mut s.log, random))
            })
            .flatten();
        match rotated {
            Some(Ok(true)) => {
                self.version.update(|v| *v += 1);
                // Sent after whatever took the statements that called for it has finished.
                let this = *self;
                leptos::task::spawn_local(async move {
                    if let Some(notify) = this.on_local_change.get_value() {
                        notify();
                    }
                });
            }
            Some(Err(e)) => {
                self.error
                    .set(Some(format!("the keys could not rotate again: {e}")));
            }
            _ => {}
        }
    }

    /// This device's code (to pair it with another device of mine).
    pub fn device_code(&self) -> Option<String> {
        self.sealing.with_value(|s| {
            s.as_ref()
                .map(|s| moot_trust::device_code(&s.private.device().public()))
        })
    }

    /// The link of `level` (at most mine) of the open private workspace, as text.
    pub fn private_link(&self, level: moot_trust::Level) -> Option<String> {
        self.sealing
            .with_value(|s| s.as_ref().and_then(|s| s.private.link.at(level)))
            .map(|l| l.encode())
    }

    /// The sealed log stored for `doc_id` (empty if none), and the names of its records.
    pub async fn load_sealed(doc_id: &str) -> (Vec<moot_trust::Record>, Vec<String>) {
        let Ok(store) = ChunkStore::open_default().await else {
            return Default::default();
        };
        let Ok(rows) = store.load_prefix(doc_id).await else {
            return Default::default();
        };
        let (mut records, mut names) = (Vec::new(), Vec::new());
        for (mut key, bytes) in rows {
            if key.get(1).map(String::as_str) != Some("sealed-log") || key.len() != 3 {
                continue;
            }
            records.extend(moot_trust::Record::decode_all(&bytes, moot_sync::MAX_FRAME).0);
            names.push(key.pop().expect("three parts"));
        }
        (records, names)
    }

    /// Merges a `.automerge` file into the open workspace (never replacing it).
    pub fn import(&self, bytes: &[u8]) -> Result<moot_model::ImportReport, String> {
        // A file's changes are signed by nobody: in a private workspace no peer would take
        // them, and this device's later changes would depend on them.
        if self.level.get_untracked().is_some() {
            return Err(
                "a private workspace takes no plain files: its changes travel sealed".into(),
            );
        }
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

    /// Runs `f` on the open workspace without marking a change (reads that need `&mut`, like
    /// automerge's change queries); `None` when nothing is open. `f` must not read the session.
    pub fn with_workspace_mut<T>(&self, f: impl FnOnce(&mut Workspace) -> T) -> Option<T> {
        self.model.try_update_value(|m| m.as_mut().map(f)).flatten()
    }

    /// Changes arrived from a peer: re-render and save them (not pushed back out).
    pub fn remote_changed(&self) {
        crate::browser::mark("moot:remote-change");
        // Decision acts that arrived, indexed from their metadata (cheaper than the walk a
        // read would do after a large sync).
        self.model
            .try_update_value(|m| m.as_mut().map(Workspace::index_acts));
        self.outside.update(|v| *v += 1);
        self.changed();
    }

    pub fn on_local_change(&self, f: impl Fn() + 'static) {
        self.on_local_change.set_value(Some(std::rc::Rc::new(f)));
    }

    /// After any change (local or from a peer): re-render what it touched and write to
    /// IndexedDB.
    pub fn changed(&self) {
        let seen = self.parts_seen.get_value();
        let touched = self
            .model
            .try_update_value(|m| {
                m.as_mut().map(|ws| {
                    let touched = ws.touched(&seen, MAX_PLACED_OPS);
                    (touched, ws.heads())
                })
            })
            .flatten();
        match touched {
            Some((touched, heads)) => {
                self.parts_seen.set_value(heads);
                for p in touched {
                    self.parts[p.index()].update(|v| *v += 1);
                }
            }
            None => self.touch_every_part(),
        }
        self.version.update(|v| *v += 1);
        self.save();
    }

    /// Another workspace, or a rewritten one: every part is new (and the next change is
    /// placed against what it holds now).
    fn touch_every_part(&self) {
        let heads = self
            .model
            .try_update_value(|m| m.as_mut().map(Workspace::heads))
            .flatten()
            .unwrap_or_default();
        self.parts_seen.set_value(heads);
        for p in &self.parts {
            p.update(|v| *v += 1);
        }
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
        gloo_timers::callback::Timeout::new(delay.unsigned_abs(), move || {
            this.save_retry.update_value(|r| r.0 = false);
            this.save();
        })
        .forget();
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
        if self.level.get_untracked().is_some() {
            return Err("a private workspace is never rebased".into());
        }
        let chunk = storage.snapshot(ws.doc_mut());
        ws.index_acts();
        self.model.set_value(Some(ws));
        self.write(storage, chunk);
        self.touch_every_part();
        self.outside.update(|v| *v += 1);
        self.version.update(|v| *v += 1);
        Ok(())
    }

    /// Opens the workspace `doc_id` from this device's storage. `Ok(false)` if it is not here.
    pub async fn open(&self, doc_id: &str) -> Result<bool, String> {
        self.open_as(doc_id, None).await
    }

    /// Opens a workspace, private when `sealing` is given (with the name I go by): its sealed
    /// side is in place before anything can sync it.
    pub async fn open_as(
        &self,
        doc_id: &str,
        sealing: Option<(Sealing, String)>,
    ) -> Result<bool, String> {
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
        self.install(doc_id, ws, storage, sealing);
        self.save_state.set(SaveState::Saved);
        crate::browser::mark("moot:installed");
        Ok(true)
    }

    /// Makes `ws` the open workspace and writes all of it to storage.
    pub async fn adopt(&self, doc_id: &str, ws: Workspace) -> Result<(), String> {
        self.adopt_as(doc_id, ws, None).await
    }

    /// [`Session::adopt`], private when `sealing` is given (see [`Session::open_as`]); what
    /// its log holds is stored too.
    /// Opens a private workspace that arrived whole into `replica` (joined through the relay or
    /// over a direct link) as this device's, as the person it was paired as, and stores it.
    pub async fn adopt_joined(
        &self,
        doc_id: &str,
        replica: moot_sync::sealed::Replica,
    ) -> Result<(), String> {
        let (doc, mut sealing) = crate::sync::sealed::into_sealing(replica);
        sealing.person = super::keys::load_person(doc_id).await;
        let name = self.me.get_untracked().map(|m| m.name).unwrap_or_default();
        let ws = Workspace::from_doc(doc, identity::random_u64())
            .map_err(|e| format!("what arrived is not a readable workspace: {e}"))?;
        self.adopt_as(doc_id, ws, Some((sealing, name))).await
    }

    pub async fn adopt_as(
        &self,
        doc_id: &str,
        mut ws: Workspace,
        sealing: Option<(Sealing, String)>,
    ) -> Result<(), String> {
        let store = ChunkStore::open_default()
            .await
            .map_err(|e| e.to_string())?;
        let storage = DocStorage::new(store, doc_id);
        let chunk = storage.snapshot(ws.doc_mut());
        self.install(doc_id, ws, storage.clone(), sealing);
        self.write(storage, chunk);
        self.store_sealed();
        Ok(())
    }

    fn install(
        &self,
        doc_id: &str,
        mut ws: Workspace,
        storage: DocStorage,
        sealing: Option<(Sealing, String)>,
    ) {
        let name = ws.name().unwrap_or_default();
        super::workspaces::remember(doc_id, &name);
        ws.index_acts();
        self.model.set_value(Some(ws));
        if let Some((sealing, me)) = sealing {
            super::workspaces::set_private(doc_id);
            self.make_private(sealing, &me);
        }
        self.storage.set_value(Some(storage));
        self.doc_id.set(Some(doc_id.to_owned()));
        self.touch_every_part();
        self.outside.update(|v| *v += 1);
        self.version.update(|v| *v += 1);
    }

    pub fn close(&self) {
        if self.level.get_untracked().is_some() {
            self.level.set(None);
            self.sealing.set_value(None);
            self.unreadable.set(0);
            self.me.set(Identity::load());
        }
        self.model.set_value(None);
        self.storage.set_value(None);
        self.doc_id.set(None);
        self.save_state.set(SaveState::Idle);
        self.touch_every_part();
        self.outside.update(|v| *v += 1);
        self.version.update(|v| *v += 1);
    }
}

impl Default for Session {
    fn default() -> Self {
        Self::new()
    }
}

/// A stored sealed-log record's name: the hash of its bytes.
fn record_name(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
