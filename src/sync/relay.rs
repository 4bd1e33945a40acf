//! The WebSocket link to a relay: connect, handshake, sync the open workspace, push local
//! changes as they happen, apply remote ones, and reconnect with backoff when the link drops.

use std::{cell::RefCell, rc::Rc};

use automerge::AutoCommit;
use gloo_events::EventListener;
use gloo_timers::callback::Timeout;
use leptos::prelude::*;
use moot_sync::{Connection, DocumentId, Event, PeerMetadata, Single};
use wasm_bindgen::JsCast;
use web_sys::{BinaryType, MessageEvent, WebSocket};

use crate::state::{Session, identity};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncStatus {
    Offline,
    Connecting,
    Syncing,
    UpToDate,
}

impl SyncStatus {
    pub fn label(&self) -> &'static str {
        match self {
            SyncStatus::Offline => "Offline",
            SyncStatus::Connecting => "Connecting…",
            SyncStatus::Syncing => "Syncing…",
            SyncStatus::UpToDate => "Up to date",
        }
    }
}

fn sync_state_key(id: DocumentId, storage_id: &str) -> [String; 3] {
    [
        id.to_string(),
        "sync-state".to_owned(),
        storage_id.to_owned(),
    ]
}

async fn load_sync_state(id: DocumentId, storage_id: &str) -> Option<Vec<u8>> {
    let store = crate::storage::ChunkStore::open_default().await.ok()?;
    let key = sync_state_key(id, storage_id);
    store.get(&[&key[0], &key[1], &key[2]]).await.ok().flatten()
}

/// Remembers what the relay's storage has, so the next connection sends only what changed.
fn save_sync_state(id: DocumentId, storage_id: String, state: Vec<u8>) {
    leptos::task::spawn_local(async move {
        if let Ok(store) = crate::storage::ChunkStore::open_default().await {
            let key = sync_state_key(id, &storage_id);
            let _ = store.put(&[&key[0], &key[1], &key[2]], &state).await;
        }
    });
}

struct Link {
    url: String,
    doc_id: DocumentId,
    /// A workspace being fetched from the relay (not yet on this device).
    fetching: Option<AutoCommit>,
    socket: Option<WebSocket>,
    conn: Option<Connection>,
    /// The pause before reconnecting; it grows on protocol errors and shrinks only once the
    /// link reached "Up to date".
    backoff: moot_sync::backoff::Backoff,
    closed_by_us: bool,
    /// Kept alive as long as the socket is.
    /// The socket's listeners, removed when the link is dropped or replaced.
    _listeners: Vec<EventListener>,
}

/// Sync state for the whole app, provided as context.
#[derive(Clone, Copy)]
pub struct SyncHub {
    session: Session,
    here: super::Here,
    link: StoredValue<Option<Rc<RefCell<Link>>>, LocalStorage>,
    pub status: RwSignal<SyncStatus>,
    pub relay: RwSignal<Option<String>>,
    pub unsynced: RwSignal<usize>,
    /// What the relay was last known to have: counts unsynced changes while offline too.
    last_shared: StoredValue<Option<Vec<automerge::ChangeHash>>, LocalStorage>,
    on_fetched: StoredValue<Option<Rc<dyn Fn(Result<AutoCommit, String>)>>, LocalStorage>,
}

/// `ws://host/sync` for the page's own origin (where the app was served from).
pub fn default_relay() -> Option<String> {
    let location = web_sys::window()?.location();
    let host = location.host().ok()?;
    let scheme = if location.protocol().ok()? == "https:" {
        "wss"
    } else {
        "ws"
    };
    (!host.is_empty()).then(|| format!("{scheme}://{host}/sync"))
}

impl SyncHub {
    pub fn new(session: Session, here: super::Here) -> Self {
        Self {
            session,
            here,
            link: StoredValue::new_local(None),
            status: RwSignal::new(SyncStatus::Offline),
            relay: RwSignal::new(None),
            unsynced: RwSignal::new(0),
            last_shared: StoredValue::new_local(None),
            on_fetched: StoredValue::new_local(None),
        }
    }

    /// Starts syncing the open workspace through `url` (replacing any earlier link).
    pub fn connect(&self, url: &str, doc_id: &str) {
        self.disconnect();
        let Ok(doc_id) = DocumentId::parse(doc_id) else {
            return;
        };
        let link = Rc::new(RefCell::new(Link {
            url: url.to_owned(),
            doc_id,
            fetching: None,
            socket: None,
            conn: None,
            backoff: Default::default(),
            closed_by_us: false,
            _listeners: Vec::new(),
        }));
        self.link.set_value(Some(link.clone()));
        self.relay.set(Some(url.to_owned()));
        self.open_socket(link);
    }

    /// Fetches a workspace this device has never seen; `done` gets it, or the reason it could
    /// not be had.
    pub fn fetch(
        &self,
        url: &str,
        doc_id: &str,
        done: impl Fn(Result<AutoCommit, String>) + 'static,
    ) {
        self.disconnect();
        let Ok(id) = DocumentId::parse(doc_id) else {
            done(Err("that is not a valid workspace id".into()));
            return;
        };
        let link = Rc::new(RefCell::new(Link {
            url: url.to_owned(),
            doc_id: id,
            fetching: Some(AutoCommit::new()),
            socket: None,
            conn: None,
            backoff: Default::default(),
            closed_by_us: false,
            _listeners: Vec::new(),
        }));
        self.on_fetched.set_value(Some(Rc::new(done)));
        self.link.set_value(Some(link.clone()));
        self.relay.set(Some(url.to_owned()));
        self.open_socket(link);
    }

    /// The workspace this hub syncs (or fetches), if any.
    pub fn linked_to(&self) -> Option<String> {
        self.link.get_value().map(|l| l.borrow().doc_id.to_string())
    }

    pub fn disconnect(&self) {
        self.last_shared.set_value(None);
        self.unsynced.set(0);
        if let Some(link) = self.link.get_value() {
            let mut l = link.borrow_mut();
            l.closed_by_us = true;
            if let Some(s) = l.socket.take() {
                let _ = s.close();
            }
        }
        self.link.set_value(None);
        self.status.set(SyncStatus::Offline);
    }

    fn open_socket(&self, link: Rc<RefCell<Link>>) {
        let hub = *self;
        let url = link.borrow().url.clone();
        self.status.set(SyncStatus::Connecting);
        let Ok(socket) = WebSocket::new(&url) else {
            self.status.set(SyncStatus::Offline);
            self.retry(link);
            return;
        };
        socket.set_binary_type(BinaryType::Arraybuffer);

        let me = self
            .session
            .me
            .get_untracked()
            .map(|m| m.id)
            .unwrap_or_else(|| "anonymous".into());
        let peer_id = format!("{me}-{}", &identity::random_hex()[..8]);
        let on_open = {
            let link = link.clone();
            let socket = socket.clone();
            EventListener::new(&socket.clone(), "open", move |_| {
                let metadata = PeerMetadata {
                    storage_id: None,
                    is_ephemeral: Some(true),
                };
                let (mut conn, join) =
                    Connection::dial(&peer_id, metadata, &identity::random_hex());
                super::send_open(&socket, &join);
                let mut l = link.borrow_mut();
                let id = l.doc_id;
                // The open workspace is synced as soon as the handshake completes; a missing
                // one is requested.
                if let Some(empty) = l.fetching.as_mut() {
                    conn.request_document(id, empty);
                }
                // An open workspace starts syncing after the handshake, once the saved sync
                // state for that relay's storage is restored (see `connected`).
                l.conn = Some(conn);
                // The pause shrinks again only once this link has synced (`refresh_status`).
                hub.status.set(SyncStatus::Syncing);
            })
        };
        let on_message = {
            let link = link.clone();
            let socket = socket.clone();
            EventListener::new(&socket.clone(), "message", move |ev| {
                let Some(ev) = ev.dyn_ref::<MessageEvent>() else {
                    return;
                };
                let Ok(buf) = ev.data().dyn_into::<js_sys::ArrayBuffer>() else {
                    return;
                };
                // Checked before it is copied into the app's memory (A2).
                if buf.byte_length() as usize > moot_sync::MAX_FRAME {
                    leptos::logging::warn!(
                        "moot: dropping relay connection: a frame over {} bytes",
                        moot_sync::MAX_FRAME
                    );
                    let _ = socket.close();
                    return;
                }
                let frame = js_sys::Uint8Array::new(&buf).to_vec();
                hub.receive(&link, &socket, &frame);
            })
        };
        let on_close = {
            let link = link.clone();
            EventListener::new(&socket, "close", move |_| {
                let mine = hub.link.get_value().is_some_and(|l| Rc::ptr_eq(&l, &link));
                if !mine || link.borrow().closed_by_us {
                    return;
                }
                link.borrow_mut().conn = None;
                hub.status.set(SyncStatus::Offline);
                hub.retry(link.clone());
            })
        };
        let mut l = link.borrow_mut();
        l.socket = Some(socket);
        l._listeners = vec![on_open, on_message, on_close];
    }

    /// Tries again after a growing pause ([`moot_sync::backoff`]).
    fn retry(&self, link: Rc<RefCell<Link>>) {
        let hub = *self;
        let delay = link.borrow_mut().backoff.next_delay_ms();
        Timeout::new(delay, move || {
            let mine = hub.link.get_value().is_some_and(|l| Rc::ptr_eq(&l, &link));
            if mine && !link.borrow().closed_by_us {
                hub.open_socket(link);
            }
        })
        .forget();
    }

    fn receive(&self, link: &Rc<RefCell<Link>>, socket: &WebSocket, frame: &[u8]) {
        let mut l = link.borrow_mut();
        let id = l.doc_id;
        let Link {
            conn,
            fetching,
            backoff,
            ..
        } = &mut *l;
        let Some(conn) = conn.as_mut() else { return };
        let result = match fetching.as_mut() {
            Some(doc) => Some(conn.receive(frame, &mut Single { id, doc })),
            None => self
                .session
                .with_doc_mut(|doc| conn.receive(frame, &mut Single { id, doc })),
        };
        let Some(result) = result else { return };
        match result {
            Ok((out, events)) => {
                for f in out {
                    super::send_open(socket, &f);
                }
                if let Some(doc) = fetching.as_mut() {
                    let arrived = events
                        .iter()
                        .any(|e| matches!(e, Event::DocumentChanged(_)));
                    let missing = events.iter().any(|e| matches!(e, Event::Unavailable(_)));
                    if arrived || missing {
                        let doc = std::mem::take(doc);
                        *fetching = None;
                        drop(l);
                        if let Some(done) = self.on_fetched.get_value() {
                            done(if arrived {
                                Ok(doc)
                            } else {
                                Err("the relay does not have this workspace".into())
                            });
                        }
                        self.on_fetched.set_value(None);
                        return;
                    }
                    return;
                }
                if let Some(remote) = events.iter().find_map(|e| match e {
                    Event::Connected(r) => Some(r.clone()),
                    _ => None,
                }) {
                    drop(l);
                    self.connected(link.clone(), socket.clone(), remote.metadata.storage_id);
                    return;
                }
                // The sync state is written only when what the relay has changed, not per message.
                let moved = self.refresh_status(conn, id);
                if self.status.get_untracked() == SyncStatus::UpToDate {
                    backoff.synced();
                }
                if moved
                    && let (Some(sid), Some(state)) = (
                        conn.remote().and_then(|r| r.metadata.storage_id.clone()),
                        conn.sync_state(&id),
                    )
                {
                    save_sync_state(id, sid, state);
                }
                drop(l);
                super::apply_events(self.session, self.here, &events);
            }
            Err(moot_sync::SyncError::Squatted { seq, .. }) if fetching.is_none() => {
                // Someone published a change as this device: its own changes from `seq` on
                // are replayed under a fresh actor (nothing typed is lost), then it syncs
                // again on a new connection.
                drop(l);
                let _ = socket.close();
                match self.session.rebase_own_changes(seq) {
                    Ok(()) => self.session.notice.set(Some(
                        "Someone published a change in this device's name on the relay. Your unsynced work was re-recorded under a new device id: nothing was lost."
                            .into(),
                    )),
                    Err(e) => self.session.error.set(Some(format!(
                        "A change published in this device's name blocks syncing, and your work could not be re-recorded: {e}"
                    ))),
                }
            }
            Err(e) => {
                // A bad frame drops this connection only; the workspace is untouched.
                leptos::logging::warn!("moot: dropping relay connection: {e}");
                backoff.protocol_error();
                drop(l);
                let _ = socket.close();
            }
        }
    }

    /// The handshake finished: restore what we know this relay's storage has, then sync.
    fn connected(&self, link: Rc<RefCell<Link>>, socket: WebSocket, storage_id: Option<String>) {
        let hub = *self;
        leptos::task::spawn_local(async move {
            let id = link.borrow().doc_id;
            if let Some(sid) = &storage_id
                && let Some(saved) = load_sync_state(id, sid).await
                && let Some(conn) = link.borrow_mut().conn.as_mut()
                && conn.restore_sync_state(id, &saved).is_err()
            {
                leptos::logging::warn!("moot: ignoring an unreadable saved sync state");
            }
            let mut l = link.borrow_mut();
            if l.fetching.is_some() {
                return;
            }
            let Some(conn) = l.conn.as_mut() else { return };
            if let Some(frames) = hub.session.with_doc_mut(|doc| conn.sync_document(id, doc)) {
                for f in frames {
                    super::send_open(&socket, &f);
                }
            }
            let _ = hub.refresh_status(conn, id);
        });
    }

    /// The fetched workspace is now open in the session: keep syncing it on this link.
    pub fn adopted(&self) {
        if let Some(link) = self.link.get_value() {
            let mut l = link.borrow_mut();
            l.fetching = None;
            let id = l.doc_id;
            let socket = l.socket.clone();
            if let (Some(conn), Some(socket)) = (l.conn.as_mut(), socket) {
                if let Some(frames) = self.session.with_doc_mut(|doc| conn.sync_document(id, doc)) {
                    for f in frames {
                        super::send_open(&socket, &f);
                    }
                }
                let _ = self.refresh_status(conn, id);
            }
        }
    }

    /// Up to date when the relay is known to have exactly what this device has. Returns
    /// whether what the relay is known to have changed.
    fn refresh_status(&self, conn: &Connection, id: DocumentId) -> bool {
        let heads = self
            .session
            .with_doc_mut(|doc| doc.get_heads())
            .unwrap_or_default();
        let synced = conn.is_synced(&id, &heads);
        self.status.set(if synced {
            SyncStatus::UpToDate
        } else {
            SyncStatus::Syncing
        });
        let shared = conn.shared_heads(&id).filter(|h| !h.is_empty());
        let moved = shared.is_some() && shared != self.last_shared.get_value();
        if moved {
            self.last_shared.set_value(shared);
        }
        self.count_unsynced();
        moved
    }

    /// Changes on this device the relay is not known to have.
    fn count_unsynced(&self) {
        let Some(shared) = self.last_shared.get_value() else {
            return;
        };
        let n = self
            .session
            .with_doc_mut(|doc| doc.get_changes(&shared).len())
            .unwrap_or(0);
        self.unsynced.set(n);
    }

    /// Sends an ephemeral payload (presence) to the relay, which passes it on.
    pub fn ephemeral(&self, data: &[u8]) {
        let Some(link) = self.link.get_value() else {
            return;
        };
        let mut l = link.borrow_mut();
        if l.fetching.is_some() {
            return;
        }
        let id = l.doc_id;
        let socket = l.socket.clone();
        if let (Some(conn), Some(socket)) = (l.conn.as_mut(), socket)
            && let Some(frame) = conn.ephemeral(id, data.to_vec())
        {
            super::send_open(&socket, &frame);
        }
    }

    /// After a local change: send it now if connected.
    pub fn push(&self) {
        let Some(link) = self.link.get_value() else {
            return;
        };
        let mut l = link.borrow_mut();
        let id = l.doc_id;
        let Some(socket) = l.socket.clone() else {
            return;
        };
        let Some(conn) = l.conn.as_mut() else {
            self.count_unsynced();
            return;
        };
        if let Some(frames) = self.session.with_doc_mut(|doc| conn.sync_document(id, doc)) {
            for f in frames {
                super::send_open(&socket, &f);
            }
        }
        let _ = self.refresh_status(conn, id);
    }
}
