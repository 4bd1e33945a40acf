//! A private workspace's link to a relay: a WebSocket to `/sealed` speaking the sealed
//! protocol (`moot_trust::Exchange`) for the open workspace. Only sealed envelopes and signed
//! statements cross it; the relay stores and forwards what it cannot read. Status and relay
//! address show in the header like the open protocol's.

use std::{cell::RefCell, rc::Rc};

use gloo_events::EventListener;
use gloo_timers::callback::Timeout;
use leptos::prelude::*;
use moot_sync::sealed::Replica;
use moot_trust::{Exchange, Link, Message};
use wasm_bindgen::JsCast;
use web_sys::{BinaryType, MessageEvent, WebSocket};

use super::{SyncHub, SyncStatus};
use crate::state::{Session, session::Sealing};

/// `ws://host/sealed` beside a relay's `/sync` address.
pub fn sealed_url(relay: &str) -> String {
    match relay.strip_suffix("/sync") {
        Some(base) => format!("{base}/sealed"),
        None => format!("{}/sealed", relay.trim_end_matches('/')),
    }
}

struct Conn {
    url: String,
    socket: Option<WebSocket>,
    exchange: Exchange,
    /// A workspace joined through a link, not yet on this device: it lives here until the
    /// relay has sent what it holds.
    joining: Option<Replica>,
    backoff: moot_sync::backoff::Backoff,
    closed_by_us: bool,
    /// The socket's listeners, removed when the connection is dropped or replaced.
    _listeners: Vec<EventListener>,
    /// Says something to the relay every [`KEEPALIVE_MS`] (cancelled with the socket).
    _keepalive: Option<gloo_timers::callback::Interval>,
}

/// A relay closes a connection that sent nothing for its idle timeout (pings do not count);
/// a private workspace open with nothing to send says this often that it is here, as an
/// open workspace's presence does. An empty acknowledgement: it changes nothing.
const KEEPALIVE_MS: u32 = 4_000;

type Joined = Rc<dyn Fn(Result<Replica, String>)>;

#[derive(Clone, Copy)]
pub struct SealedHub {
    session: Session,
    hub: SyncHub,
    conn: StoredValue<Option<Rc<RefCell<Conn>>>, LocalStorage>,
    on_joined: StoredValue<Option<Joined>, LocalStorage>,
    /// What the relay refused, in its words (shown, never acted on).
    pub refused: RwSignal<Option<String>>,
    on_taken: StoredValue<Option<Rc<dyn Fn()>>, LocalStorage>,
}

impl SealedHub {
    pub fn new(session: Session, hub: SyncHub) -> Self {
        Self {
            session,
            hub,
            conn: StoredValue::new_local(None),
            on_joined: StoredValue::new_local(None),
            refused: RwSignal::new(None),
            on_taken: StoredValue::new_local(None),
        }
    }

    /// Called when the relay's envelopes were taken (to pass them on to other tabs).
    pub fn on_taken(&self, f: impl Fn() + 'static) {
        self.on_taken.set_value(Some(Rc::new(f)));
    }

    /// Syncs the open (private) workspace through the relay at `relay` (its `/sync` address).
    pub fn connect(&self, relay: &str) {
        self.start(relay, None);
    }

    /// Joins a workspace this device has never seen, with `link`: `done` gets its replica
    /// once the relay has sent what it holds, or why it could not.
    pub fn join(
        &self,
        relay: &str,
        replica: Replica,
        done: impl Fn(Result<Replica, String>) + 'static,
    ) {
        self.on_joined.set_value(Some(Rc::new(done)));
        self.start(relay, Some(replica));
    }

    fn start(&self, relay: &str, joining: Option<Replica>) {
        self.disconnect();
        let conn = Rc::new(RefCell::new(Conn {
            url: sealed_url(relay),
            socket: None,
            exchange: Exchange::new(),
            joining,
            backoff: Default::default(),
            closed_by_us: false,
            _listeners: Vec::new(),
            _keepalive: None,
        }));
        self.conn.set_value(Some(conn.clone()));
        self.hub.relay.set(Some(relay.to_owned()));
        self.open_socket(conn);
    }

    pub fn is_linked(&self) -> bool {
        self.conn.with_value(Option::is_some)
    }

    pub fn disconnect(&self) {
        if let Some(conn) = self.conn.get_value() {
            let mut c = conn.borrow_mut();
            c.closed_by_us = true;
            c._keepalive = None;
            if let Some(s) = c.socket.take() {
                let _ = s.close();
            }
        }
        self.conn.set_value(None);
        self.hub.status.set(SyncStatus::Offline);
    }

    fn open_socket(&self, conn: Rc<RefCell<Conn>>) {
        let this = *self;
        let url = conn.borrow().url.clone();
        self.hub.status.set(SyncStatus::Connecting);
        let Ok(socket) = WebSocket::new(&url) else {
            self.hub.status.set(SyncStatus::Offline);
            self.retry(conn);
            return;
        };
        socket.set_binary_type(BinaryType::Arraybuffer);
        // The relay takes a hello first: nothing else before it.
        let greeted = Rc::new(std::cell::Cell::new(false));
        let on_open = {
            let conn = conn.clone();
            let socket = socket.clone();
            let greeted = greeted.clone();
            EventListener::new(&socket.clone(), "open", move |_| {
                let mut c = conn.borrow_mut();
                c.exchange = Exchange::new();
                let Conn {
                    exchange, joining, ..
                } = &mut *c;
                let hello = match joining.as_ref() {
                    Some(r) => Some(exchange.hello(&r.log)),
                    None => {
                        drop(c);
                        // Whatever this tab wrote offline is sealed before the hello.
                        let _ = this.session.seal_now();
                        let mut c = conn.borrow_mut();
                        let ex = &mut c.exchange;
                        this.session.with_sealing(|_, s| ex.hello(&s.log))
                    }
                };
                if let Some(hello) = hello {
                    super::send_open(&socket, &hello.encode());
                    greeted.set(true);
                }
                this.hub.status.set(SyncStatus::Syncing);
            })
        };
        let on_message = {
            let conn = conn.clone();
            let socket = socket.clone();
            EventListener::new(&socket.clone(), "message", move |ev| {
                let Some(ev) = ev.dyn_ref::<MessageEvent>() else {
                    return;
                };
                let Ok(buf) = ev.data().dyn_into::<js_sys::ArrayBuffer>() else {
                    return;
                };
                if buf.byte_length() as usize > moot_sync::MAX_FRAME {
                    let _ = socket.close();
                    return;
                }
                let frame = js_sys::Uint8Array::new(&buf).to_vec();
                this.receive(&conn, &socket, &frame);
            })
        };
        let on_close = {
            let conn = conn.clone();
            EventListener::new(&socket, "close", move |_| {
                let mine = this.conn.get_value().is_some_and(|c| Rc::ptr_eq(&c, &conn));
                if !mine || conn.borrow().closed_by_us {
                    return;
                }
                this.hub.status.set(SyncStatus::Offline);
                this.retry(conn.clone());
            })
        };
        let keepalive = {
            let socket = socket.clone();
            gloo_timers::callback::Interval::new(KEEPALIVE_MS, move || {
                if greeted.get() && socket.ready_state() == WebSocket::OPEN {
                    let here = Message::Synced {
                        vector: Default::default(),
                        statements: 0,
                    };
                    super::send_open(&socket, &here.encode());
                }
            })
        };
        let mut c = conn.borrow_mut();
        c.socket = Some(socket);
        c._listeners = vec![on_open, on_message, on_close];
        c._keepalive = Some(keepalive);
    }

    fn retry(&self, conn: Rc<RefCell<Conn>>) {
        let this = *self;
        let delay = conn.borrow_mut().backoff.next_delay_ms();
        Timeout::new(delay, move || {
            let mine = this.conn.get_value().is_some_and(|c| Rc::ptr_eq(&c, &conn));
            if mine && !conn.borrow().closed_by_us {
                this.open_socket(conn);
            }
        })
        .forget();
    }

    fn receive(&self, conn: &Rc<RefCell<Conn>>, socket: &WebSocket, frame: &[u8]) {
        let message = match Message::decode(frame, moot_sync::MAX_FRAME) {
            Ok(m) => m,
            Err(e) => {
                leptos::logging::warn!("moot: dropping the relay link: {e}");
                conn.borrow_mut().backoff.protocol_error();
                let _ = socket.close();
                return;
            }
        };
        let mut c = conn.borrow_mut();
        let acks = c.exchange.acks();
        let Conn {
            exchange, joining, ..
        } = &mut *c;
        let (out, synced) = match joining.as_mut() {
            Some(r) => {
                let out = r.receive(exchange, message);
                let synced = exchange.is_synced(&r.log);
                (out, synced)
            }
            None => {
                let Some(out) = self.session.take_sealed(exchange, message) else {
                    return;
                };
                let synced = self
                    .session
                    .with_sealing(|_, s| exchange.is_synced(&s.log))
                    .unwrap_or(false);
                (out, synced)
            }
        };
        for m in &out.send {
            super::send_open(socket, &m.encode());
        }
        if let Some(why) = out.remote_refused.first() {
            self.refused.set(Some(why.clone()));
        }
        for e in &out.refused {
            leptos::logging::warn!("moot: refused from the relay: {e}");
        }
        if synced {
            c.backoff.synced();
        }
        self.hub.status.set(if synced {
            SyncStatus::UpToDate
        } else {
            SyncStatus::Syncing
        });
        if c.joining.is_some() {
            if synced {
                let replica = c.joining.take().expect("checked");
                drop(c);
                if let Some(done) = self.on_joined.get_value() {
                    done(if !replica.log.vector().is_empty() {
                        Ok(replica)
                    } else {
                        Err("the relay does not have this workspace".into())
                    });
                }
                self.on_joined.set_value(None);
            }
            return;
        }
        let acked = (c.exchange.acks() != acks).then(|| c.exchange.acked().clone());
        drop(c);
        if !out.taken.is_empty() || out.snapshot || out.statements > 0 {
            self.session.remote_changed();
            if let Some(f) = self.on_taken.get_value() {
                f();
            }
        }
        self.session.store_sealed();
        // What the relay now holds, this device need not keep as envelopes under its own
        // snapshot.
        if let Some(acked) = acked {
            self.session.compact_sealed(&acked);
        }
    }

    /// After a local change: seal it and send it if connected.
    pub fn push(&self) {
        if let Err(e) = self.session.seal_now() {
            self.session.error.set(Some(e));
        }
        self.send_new();
    }

    /// Sends the relay what it lacks (envelopes from another tab, say).
    pub fn send_new(&self) {
        let Some(conn) = self.conn.get_value() else {
            return;
        };
        let mut c = conn.borrow_mut();
        let Some(socket) = c.socket.clone() else {
            return;
        };
        if c.joining.is_some() || socket.ready_state() != WebSocket::OPEN {
            return;
        }
        let ex = &mut c.exchange;
        let push = self.session.with_sealing(|_, s| ex.push(&s.log));
        for m in push.unwrap_or_default() {
            super::send_open(&socket, &m.encode());
        }
        // Newcomers start from a snapshot an editor made, not from every envelope.
        let nonce = crate::state::keys::secure_bytes::<24>();
        let snapshot = self
            .session
            .with_sealing(|doc, s| {
                let level = s.private.link.level();
                if !moot_sync::sealed::wants_snapshot(&s.log, level) {
                    return None;
                }
                s.private.snapshot_if_due(doc, &mut s.log, nonce?).ok()?
            })
            .flatten();
        if let Some(snapshot) = snapshot {
            super::send_open(&socket, &Message::Snapshot(snapshot).encode());
            self.session.store_sealed();
        }
        let synced = self
            .session
            .with_sealing(|_, s| ex.is_synced(&s.log))
            .unwrap_or(false);
        if !synced {
            self.hub.status.set(SyncStatus::Syncing);
        }
    }
}

/// A new replica joining with `link` on this device.
pub fn replica_for(link: Link, device: moot_trust::DeviceKey) -> Replica {
    Replica::join(
        link,
        device,
        crate::state::keys::tab(),
        moot_model::trust::comment_rule,
    )
}

/// A joined replica's sealed side, for the session that adopts its document.
pub fn into_sealing(replica: Replica) -> (automerge::AutoCommit, Sealing) {
    let Replica {
        doc, log, private, ..
    } = replica;
    (
        doc,
        Sealing {
            log,
            private,
            person: None,
            stored: Vec::new(),
        },
    )
}

/// The tabs of this browser on the same private workspace: the sealed protocol over a
/// BroadcastChannel, one [`Exchange`] per other tab, so tabs keep each other up to date with
/// no relay — and the channel carries only what the relay would see (sealed envelopes, signed
/// statements, vectors). Frames are `[8 bytes sender][8 bytes target, zero for all][message]`;
/// an empty message says the sender left.
#[derive(Clone, Copy)]
pub struct SealedTabs {
    session: Session,
    inner: StoredValue<Option<Rc<RefCell<TabsInner>>>, LocalStorage>,
    count: RwSignal<usize>,
    on_taken: StoredValue<Option<Rc<dyn Fn()>>, LocalStorage>,
}

struct TabsInner {
    me: [u8; 8],
    channel: web_sys::BroadcastChannel,
    peers: std::collections::HashMap<[u8; 8], Exchange>,
    _on_message: EventListener,
}

/// Other tabs one tab keeps an exchange with.
const MAX_TABS: usize = 32;

fn tab_frame(from: [u8; 8], to: [u8; 8], message: Option<&Message>) -> js_sys::Uint8Array {
    let mut bytes = Vec::with_capacity(64);
    bytes.extend_from_slice(&from);
    bytes.extend_from_slice(&to);
    if let Some(m) = message {
        bytes.extend(m.encode());
    }
    js_sys::Uint8Array::from(bytes.as_slice())
}

impl SealedTabs {
    /// `count` is the header's count of other tabs.
    pub fn new(session: Session, count: RwSignal<usize>) -> Self {
        Self {
            session,
            inner: StoredValue::new_local(None),
            count,
            on_taken: StoredValue::new_local(None),
        }
    }

    /// Called when another tab's envelopes were taken (to pass them on to the relay).
    pub fn on_taken(&self, f: impl Fn() + 'static) {
        self.on_taken.set_value(Some(Rc::new(f)));
    }

    pub fn is_open(&self) -> bool {
        self.inner.with_value(Option::is_some)
    }

    /// Joins the channel of the open private workspace.
    pub fn open(&self) {
        self.close();
        let Some(discovery) = self.session.with_sealing(|_, s| *s.log.discovery()) else {
            return;
        };
        let name: String = discovery.iter().map(|b| format!("{b:02x}")).collect();
        let Ok(channel) = web_sys::BroadcastChannel::new(&format!("moot-sealed:{name}")) else {
            return;
        };
        let me = crate::state::keys::tab();
        let this = *self;
        let on_message = EventListener::new(&channel, "message", move |ev| {
            let Some(ev) = ev.dyn_ref::<MessageEvent>() else {
                return;
            };
            let Ok(array) = ev.data().dyn_into::<js_sys::Uint8Array>() else {
                return;
            };
            this.receive(&array.to_vec());
        });
        let hello = self
            .session
            .with_sealing(|_, s| Exchange::new().hello(&s.log));
        if let Some(hello) = hello {
            let _ = channel.post_message(&tab_frame(me, [0; 8], Some(&hello)));
        }
        self.inner.set_value(Some(Rc::new(RefCell::new(TabsInner {
            me,
            channel,
            peers: Default::default(),
            _on_message: on_message,
        }))));
    }

    pub fn close(&self) {
        if let Some(inner) = self.inner.get_value() {
            let inner = inner.borrow();
            let _ = inner
                .channel
                .post_message(&tab_frame(inner.me, [0; 8], None));
            inner.channel.close();
        }
        self.inner.set_value(None);
        self.count.set(0);
    }

    fn receive(&self, frame: &[u8]) {
        let Some(inner) = self.inner.get_value() else {
            return;
        };
        if frame.len() < 16 || frame.len() > moot_sync::MAX_FRAME {
            return;
        }
        let from: [u8; 8] = frame[..8].try_into().expect("length checked");
        let to: [u8; 8] = frame[8..16].try_into().expect("length checked");
        let mut guard = inner.borrow_mut();
        let TabsInner {
            me, channel, peers, ..
        } = &mut *guard;
        if from == *me || (to != [0; 8] && to != *me) {
            return;
        }
        if frame.len() == 16 {
            peers.remove(&from);
            self.count.set(peers.len());
            return;
        }
        let Ok(message) = Message::decode(&frame[16..], moot_sync::MAX_FRAME) else {
            return;
        };
        if !peers.contains_key(&from) && peers.len() >= MAX_TABS {
            return;
        }
        let exchange = peers.entry(from).or_default();
        let Some(out) = self.session.take_sealed(exchange, message) else {
            return;
        };
        for m in &out.send {
            let _ = channel.post_message(&tab_frame(*me, from, Some(m)));
        }
        for e in &out.refused {
            leptos::logging::warn!("moot: refused from another tab: {e}");
        }
        self.count.set(peers.len());
        drop(guard);
        if !out.taken.is_empty() || out.snapshot || out.statements > 0 {
            self.session.remote_changed();
            self.session.store_sealed();
            if let Some(f) = self.on_taken.get_value() {
                f();
            }
        }
    }

    /// What every other tab lacks (after a local change, or envelopes from the relay).
    pub fn push(&self) {
        let Some(inner) = self.inner.get_value() else {
            return;
        };
        let mut guard = inner.borrow_mut();
        let TabsInner {
            me, channel, peers, ..
        } = &mut *guard;
        for (tab, exchange) in peers.iter_mut() {
            let push = self.session.with_sealing(|_, s| exchange.push(&s.log));
            for m in push.unwrap_or_default() {
                let _ = channel.post_message(&tab_frame(*me, *tab, Some(&m)));
            }
        }
    }
}
