//! Tabs of one browser sync through a BroadcastChannel, with no server: the same
//! automerge-repo messages as over the relay, one `moot-sync` connection per other tab.
//!
//! A tab that opens a workspace broadcasts `join`; every other tab on the same workspace answers
//! `peer` and the pair syncs. Frames carry `targetId`; a tab ignores frames for other tabs.

use std::{cell::RefCell, collections::HashMap, rc::Rc};

use gloo_events::EventListener;
use leptos::prelude::*;
use moot_sync::{Connection, DocumentId, Message, PeerMetadata};
use wasm_bindgen::JsCast;
use web_sys::{BroadcastChannel, MessageEvent};

use crate::state::Session;

struct Inner {
    me: String,
    doc_id: DocumentId,
    channel: BroadcastChannel,
    peers: HashMap<String, Connection>,
    _on_message: EventListener,
}

/// The tab channel for the open workspace.
#[derive(Clone, Copy)]
pub struct Tabs {
    session: Session,
    here: super::Here,
    inner: StoredValue<Option<Rc<RefCell<Inner>>>, LocalStorage>,
    pub count: RwSignal<usize>,
}

fn metadata() -> PeerMetadata {
    PeerMetadata {
        storage_id: None,
        is_ephemeral: Some(true),
    }
}

impl Tabs {
    pub fn new(session: Session, here: super::Here) -> Self {
        Self {
            session,
            here,
            inner: StoredValue::new_local(None),
            count: RwSignal::new(0),
        }
    }

    /// Joins the channel of workspace `doc_id` (leaving any other).
    pub fn open(&self, doc_id: &str) {
        self.close();
        let Ok(id) = DocumentId::parse(doc_id) else {
            return;
        };
        let Ok(channel) = BroadcastChannel::new(&format!("moot:{doc_id}")) else {
            return;
        };
        let me = format!("tab-{}", super::page_id());
        let tabs = *self;
        let on_message = EventListener::new(&channel, "message", move |ev| {
            let Some(ev) = ev.dyn_ref::<MessageEvent>() else {
                return;
            };
            let Ok(array) = ev.data().dyn_into::<js_sys::Uint8Array>() else {
                return;
            };
            tabs.receive(&array.to_vec());
        });
        let (_, join) = Connection::dial(&me, metadata(), &me);
        let inner = Inner {
            me,
            doc_id: id,
            channel,
            peers: HashMap::new(),
            _on_message: on_message,
        };
        post(&inner.channel, &join);
        self.inner.set_value(Some(Rc::new(RefCell::new(inner))));
    }

    pub fn close(&self) {
        if let Some(inner) = self.inner.get_value() {
            let inner = inner.borrow();
            post(
                &inner.channel,
                &Message::Leave {
                    sender_id: inner.me.clone(),
                }
                .encode(),
            );
            inner.channel.close();
        }
        self.inner.set_value(None);
        self.count.set(0);
    }

    fn receive(&self, frame: &[u8]) {
        let Some(inner) = self.inner.get_value() else {
            return;
        };
        let Ok(message) = Message::decode(frame) else {
            return;
        };
        let mut guard = inner.borrow_mut();
        let Inner {
            me,
            doc_id,
            channel,
            peers,
            ..
        } = &mut *guard;
        let sender = message.sender_id().to_owned();
        let for_me = match &message {
            Message::Join { .. } | Message::Leave { .. } => true,
            Message::Peer { target_id, .. }
            | Message::Request { target_id, .. }
            | Message::Sync { target_id, .. }
            | Message::DocUnavailable { target_id, .. }
            | Message::Ephemeral { target_id, .. } => target_id == me,
            Message::Error { target_id, .. } => target_id.as_deref() == Some(me.as_str()),
        };
        if !for_me || sender == *me {
            return;
        }
        if matches!(message, Message::Leave { .. }) {
            peers.remove(&sender);
            self.count.set(peers.len());
            return;
        }
        let conn = peers
            .entry(sender.clone())
            .or_insert_with(|| match message {
                // A new tab said hello: answer it.
                Message::Join { .. } => Connection::accept(me, metadata(), me),
                // Our hello was answered: this connection dialed.
                _ => Connection::dial(me, metadata(), me).0,
            });
        match super::take_frame(self.session, conn, *doc_id, frame) {
            Some(Ok((out, events))) => {
                for f in out {
                    post(channel, &f);
                }
                self.count
                    .set(peers.values().filter(|c| c.is_connected()).count());
                drop(guard);
                super::apply_events(self.session, self.here, &events);
            }
            Some(Err(e)) => {
                leptos::logging::warn!("moot: dropping tab connection {sender}: {e}");
                peers.remove(&sender);
            }
            None => {}
        }
    }

    /// Whether the page with this id (`super::page_id`) is another tab linked here.
    pub fn reaches(&self, page: &str) -> bool {
        self.inner.get_value().is_some_and(|inner| {
            inner
                .borrow()
                .peers
                .get(&format!("tab-{page}"))
                .is_some_and(Connection::is_connected)
        })
    }

    /// Sends an ephemeral payload (presence) to every other tab.
    pub fn ephemeral(&self, data: &[u8]) {
        let Some(inner) = self.inner.get_value() else {
            return;
        };
        let mut guard = inner.borrow_mut();
        let Inner {
            doc_id,
            channel,
            peers,
            ..
        } = &mut *guard;
        let id = *doc_id;
        for conn in peers.values_mut().filter(|c| c.is_connected()) {
            if let Some(frame) = conn.ephemeral(id, data.to_vec()) {
                post(channel, &frame);
            }
        }
    }

    /// After a local change: offer it to every other tab.
    pub fn push(&self) {
        let Some(inner) = self.inner.get_value() else {
            return;
        };
        let mut guard = inner.borrow_mut();
        let Inner {
            doc_id,
            channel,
            peers,
            ..
        } = &mut *guard;
        for conn in peers.values_mut() {
            for f in super::offer(self.session, conn, *doc_id) {
                post(channel, &f);
            }
        }
    }
}

fn post(channel: &BroadcastChannel, frame: &[u8]) {
    let _ = channel.post_message(&js_sys::Uint8Array::from(frame));
}
