//! Direct links: WebRTC data channels to other browsers, carrying the same automerge-repo
//! messages as the relay and the tab channel (one `moot-sync` connection per link), so a
//! workspace syncs with no server at all. A private workspace's link carries the sealed
//! protocol instead (one `moot_trust::Exchange` per link, as its tab channel and relay link
//! do): sealed envelopes, signed statements and vectors, never a word in the clear.
//!
//! A link is set up in one of two ways:
//! - **Through the relay**: every page says `hello` in ephemeral messages; of two pages that
//!   hear each other, the one with the smaller endpoint id sends an offer, the other an answer,
//!   both as ephemeral messages. Once open, the link needs the relay no more.
//! - **By codes** ("Connect directly"): an invitation (offer) and an answer, copied, pasted or
//!   scanned by the two people. The invitation names its workspace, so someone who does not have
//!   it yet gets it over the link. A private workspace's invitation says it is private; only a
//!   device that holds the workspace (opened from its link) can answer it, and what crosses is
//!   sealed. Private workspaces link by codes only: they say nothing in the clear through the
//!   relay, so there are no hellos to answer.
//!
//! Candidates are gathered before a description is sent (no trickle): host candidates only
//! unless ICE servers are configured. Frames are cut into pieces for the data channel
//! (`moot_sync::direct::split`). A link that fails or closes is dropped; nothing is lost, since
//! every change is saved on its device first and the next link syncs what is missing.

use std::{cell::RefCell, collections::HashMap, rc::Rc};

use automerge::AutoCommit;
use gloo_events::EventListener;
use gloo_timers::callback::Timeout;
use leptos::prelude::*;
use moot_sync::sealed::Replica;
use moot_sync::{
    Connection, DocumentId, Event, PeerMetadata, Single,
    direct::{Invitation, Joiner, Signal, SignalKind, split},
};
use moot_trust::Exchange;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    MessageEvent, RtcConfiguration, RtcDataChannel, RtcDataChannelEvent, RtcDataChannelState,
    RtcDataChannelType, RtcIceGatheringState, RtcIceServer, RtcPeerConnection,
    RtcPeerConnectionState, RtcSdpType, RtcSessionDescriptionInit,
};

use super::{Here, SyncHub, Tabs};
use crate::state::Session;

/// Where the ICE servers (STUN/TURN) are kept: one per line, `url [username credential]`.
const ICE_KEY: &str = "moot.ice-servers";
/// How long candidate gathering may take before a description is sent with what it has.
const GATHER_MS: u32 = 3_000;
/// A link not open by then is given up.
const OPEN_DEADLINE_MS: u32 = 20_000;
/// A peer whose link failed is not offered another from its hellos for this long.
const RETRY_AFTER_MS: f64 = 30_000.0;
/// At most this many links at once (a flood of offers through the relay makes no more).
const MAX_LINKS: usize = 16;
/// Offers through the relay waiting for the person to allow them; one per sender.
const MAX_PENDING_OFFERS: usize = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Relay,
    Code,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkState {
    /// An invitation is out; no answer yet.
    Invited,
    Connecting,
    Open,
}

/// An offer of a direct link through the relay, waiting for the person's yes or no.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferView {
    /// The page that said hello or offered.
    pub from: String,
    pub name: String,
    /// A hello (this page would offer) rather than an offer (this page would answer).
    pub hello: bool,
}

struct PendingOffer {
    /// The relay-level peer that carried it (one pending offer and one link per sender).
    sender: String,
    signal: Signal,
    at: f64,
}

/// One link, as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkView {
    pub id: u32,
    pub name: String,
    pub via: Via,
    pub state: LinkState,
}

struct Peer {
    endpoint: Option<String>,
    /// For a link offered through the relay: the relay-level peer that carried the offer.
    sender: Option<String>,
    name: String,
    via: Via,
    /// This side created the data channel and says `join` first.
    dialer: bool,
    pc: RtcPeerConnection,
    channel: Option<RtcDataChannel>,
    conn: Option<Connection>,
    /// A private workspace's link: the sealed exchange in place of `conn`.
    exchange: Option<Exchange>,
    joiner: Joiner,
    /// The connection's and channel's listeners, removed when the link goes.
    listeners: Vec<EventListener>,
}

impl Peer {
    fn state(&self) -> LinkState {
        let open = self
            .channel
            .as_ref()
            .is_some_and(|c| c.ready_state() == RtcDataChannelState::Open);
        match (open, &self.endpoint) {
            (true, _) => LinkState::Open,
            (false, None) => LinkState::Invited,
            (false, Some(_)) => LinkState::Connecting,
        }
    }

    /// Closes the link; its listeners go when the peer is dropped (a late event finds no
    /// peer under its id and does nothing).
    fn close(&self) {
        if let Some(c) = &self.channel {
            c.close();
        }
        self.pc.close();
    }

    fn send(&self, frame: &[u8]) {
        let Some(channel) = &self.channel else { return };
        for piece in split(frame) {
            if let Err(e) = channel.send_with_u8_array(&piece) {
                leptos::logging::warn!("moot: a direct link could not send: {e:?}");
                return;
            }
        }
    }
}

struct Inner {
    me: String,
    doc_id: Option<DocumentId>,
    /// The open workspace is private: its links speak the sealed protocol.
    sealed: bool,
    /// A workspace being fetched over a link (not yet on this device).
    fetching: Option<AutoCommit>,
    on_fetched: Option<Box<dyn FnOnce(AutoCommit)>>,
    /// A private workspace being fetched over a link, sealed: its replica (made from the link
    /// this device holds) takes what arrives until it is up to date with the other side.
    joining: Option<Replica>,
    on_joined: Option<Box<dyn FnOnce(Replica)>>,
    peers: HashMap<u32, Peer>,
    next: u32,
    failed: HashMap<String, f64>,
    /// Offers through the relay that wait for the person (never answered by themselves).
    offers: Vec<PendingOffer>,
    /// Pages the person allowed a link with (their next offer is answered at once).
    allowed: std::collections::HashSet<String>,
    /// Relay-level peers whose offer the person declined (ignored from then on).
    declined: std::collections::HashSet<String>,
}

/// Direct links of the open workspace, provided as context.
#[derive(Clone, Copy)]
pub struct Direct {
    session: Session,
    here: Here,
    hub: SyncHub,
    tabs: Tabs,
    inner: StoredValue<Rc<RefCell<Inner>>, LocalStorage>,
    pub links: RwSignal<Vec<LinkView>>,
    /// Offers through the relay waiting for the person's yes or no.
    pub offers: RwSignal<Vec<OfferView>>,
    /// A code that arrived in the address (`#/connect/<code>`, a scanned QR code).
    pub incoming: RwSignal<Option<String>>,
    /// Answers scanned into another tab reach the tab that made the invitation through this.
    answers: StoredValue<Option<web_sys::BroadcastChannel>, LocalStorage>,
    /// Called when a link's sealed envelopes were taken (to pass them on to the relay and tabs).
    on_taken: StoredValue<Option<Rc<dyn Fn()>>, LocalStorage>,
}

fn metadata() -> PeerMetadata {
    PeerMetadata {
        storage_id: None,
        is_ephemeral: Some(true),
    }
}

fn js_err(e: JsValue) -> String {
    e.as_string()
        .or_else(|| {
            e.dyn_ref::<js_sys::Error>()
                .map(|e| String::from(e.message()))
        })
        .unwrap_or_else(|| format!("{e:?}"))
}

/// The configured ICE servers as typed (one per line).
pub fn ice_servers_text() -> String {
    crate::browser::local_get(ICE_KEY).unwrap_or_default()
}

/// Checks and keeps the ICE servers: each line `stun:…`, `turn:…` or `turns:…`, optionally
/// followed by a username and a credential.
pub fn set_ice_servers(text: &str) -> Result<(), String> {
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let url = line.split_whitespace().next().unwrap_or_default();
        if !["stun:", "turn:", "turns:"]
            .iter()
            .any(|p| url.starts_with(p))
        {
            return Err(format!(
                "“{url}” is not a STUN or TURN address (they start with stun:, turn: or turns:)"
            ));
        }
    }
    crate::browser::local_set(ICE_KEY, text.trim());
    Ok(())
}

fn new_connection() -> Result<RtcPeerConnection, String> {
    let config = RtcConfiguration::new();
    let servers = js_sys::Array::new();
    for line in ice_servers_text().lines() {
        let mut parts = line.split_whitespace();
        let Some(url) = parts.next() else { continue };
        let server = RtcIceServer::new();
        server.set_urls_str(url);
        if let (Some(user), Some(credential)) = (parts.next(), parts.next()) {
            server.set_username(user);
            server.set_credential(credential);
        }
        servers.push(&server);
    }
    config.set_ice_servers(&servers);
    RtcPeerConnection::new_with_configuration(&config).map_err(js_err)
}

/// Waits until candidate gathering is complete, or `GATHER_MS`.
async fn gathered(pc: &RtcPeerConnection) {
    if pc.ice_gathering_state() == RtcIceGatheringState::Complete {
        return;
    }
    let mut hold = None;
    let promise = js_sys::Promise::new(&mut |resolve: js_sys::Function, _| {
        let watched = pc.clone();
        let done = resolve.clone();
        let on_change = EventListener::new(pc, "icegatheringstatechange", move |_| {
            if watched.ice_gathering_state() == RtcIceGatheringState::Complete {
                let _ = done.call0(&JsValue::NULL);
            }
        });
        let timeout = Timeout::new(GATHER_MS, move || {
            let _ = resolve.call0(&JsValue::NULL);
        });
        hold = Some((on_change, timeout));
    });
    let _ = JsFuture::from(promise).await;
    // Dropped: the listener is removed and the timer cancelled.
    drop(hold);
}

fn description(kind: RtcSdpType, sdp: &str) -> RtcSessionDescriptionInit {
    let init = RtcSessionDescriptionInit::new(kind);
    init.set_sdp(sdp);
    init
}

fn sdp_of(value: &JsValue) -> Result<String, String> {
    js_sys::Reflect::get(value, &"sdp".into())
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| "the browser made no session description".to_owned())
}

/// The local description, once its candidates are gathered.
async fn finished_description(pc: &RtcPeerConnection) -> Result<String, String> {
    gathered(pc).await;
    pc.local_description()
        .map(|d| d.sdp())
        .ok_or_else(|| "the browser made no session description".to_owned())
}

async fn make_offer(pc: &RtcPeerConnection) -> Result<String, String> {
    let offer = JsFuture::from(pc.create_offer()).await.map_err(js_err)?;
    let sdp = sdp_of(&offer)?;
    JsFuture::from(pc.set_local_description(&description(RtcSdpType::Offer, &sdp)))
        .await
        .map_err(js_err)?;
    finished_description(pc).await
}

async fn make_answer(pc: &RtcPeerConnection, offer: &str) -> Result<String, String> {
    JsFuture::from(pc.set_remote_description(&description(RtcSdpType::Offer, offer)))
        .await
        .map_err(|e| format!("the invitation could not be used: {}", js_err(e)))?;
    let answer = JsFuture::from(pc.create_answer()).await.map_err(js_err)?;
    let sdp = sdp_of(&answer)?;
    JsFuture::from(pc.set_local_description(&description(RtcSdpType::Answer, &sdp)))
        .await
        .map_err(js_err)?;
    finished_description(pc).await
}

impl Direct {
    pub fn new(session: Session, here: Here, hub: SyncHub, tabs: Tabs) -> Self {
        let inner = Inner {
            me: super::page_id(),
            doc_id: None,
            sealed: false,
            fetching: None,
            on_fetched: None,
            joining: None,
            on_joined: None,
            peers: HashMap::new(),
            next: 0,
            failed: HashMap::new(),
            offers: Vec::new(),
            allowed: Default::default(),
            declined: Default::default(),
        };
        let direct = Self {
            session,
            here,
            hub,
            tabs,
            inner: StoredValue::new_local(Rc::new(RefCell::new(inner))),
            links: RwSignal::new(Vec::new()),
            offers: RwSignal::new(Vec::new()),
            incoming: RwSignal::new(None),
            answers: StoredValue::new_local(None),
            on_taken: StoredValue::new_local(None),
        };
        here.on_signal(move |sender, s| direct.signal(sender, s));
        if let Ok(channel) = web_sys::BroadcastChannel::new("moot:direct-answers") {
            let on_answer = EventListener::new(&channel, "message", move |ev| {
                let Some(ev) = ev.dyn_ref::<MessageEvent>() else {
                    return;
                };
                let Some(text) = ev.data().as_string() else {
                    return;
                };
                let Ok(answer) = Invitation::parse_answer(&text) else {
                    return;
                };
                if answer.signal.to.as_deref() == Some(direct.inner().borrow().me.as_str()) {
                    leptos::task::spawn_local(async move {
                        if let Err(e) = direct.complete(answer).await {
                            direct.session.error.set(Some(e));
                        }
                    });
                }
            });
            // The app lives as long as the page: so does this channel.
            on_answer.forget();
            direct.answers.set_value(Some(channel));
        }
        direct
    }

    /// Called when a private workspace's envelopes arrived over a link.
    pub fn on_taken(&self, f: impl Fn() + 'static) {
        self.on_taken.set_value(Some(Rc::new(f)));
    }

    /// Whether the links are for workspace `id` (private: `sealed`) now.
    pub fn serves(&self, id: DocumentId, sealed: bool) -> bool {
        let inner = self.inner();
        let i = inner.borrow();
        i.doc_id == Some(id) && i.sealed == sealed && i.fetching.is_none() && i.joining.is_none()
    }

    /// Whether this page made the invitation an answer is for.
    pub fn is_mine(&self, answer: &Invitation) -> bool {
        answer.signal.to.as_deref() == Some(self.inner().borrow().me.as_str())
    }

    /// Hands an answer to the tab of this browser that made its invitation.
    pub fn forward(&self, code: &str) {
        if let Some(channel) = self.answers.get_value() {
            let _ = channel.post_message(&JsValue::from_str(code));
        }
    }

    fn inner(&self) -> Rc<RefCell<Inner>> {
        self.inner.get_value()
    }

    fn my_name(&self) -> String {
        self.session
            .me
            .get_untracked()
            .map(|m| m.name)
            .unwrap_or_default()
    }

    /// Shows the links as they are now.
    fn publish(&self) {
        let mut views: Vec<LinkView> = self
            .inner()
            .borrow()
            .peers
            .iter()
            .map(|(&id, p)| LinkView {
                id,
                name: p.name.clone(),
                via: p.via,
                state: p.state(),
            })
            .collect();
        views.sort_by_key(|v| v.id);
        if self.links.with_untracked(|l| *l != views) {
            self.links.set(views);
        }
    }

    /// Links stay with the workspace they were made for: opening another closes them.
    /// `sealed`: the workspace is private (its links speak the sealed protocol).
    pub fn open(&self, doc_id: Option<&str>, sealed: bool) {
        let id = doc_id.and_then(|d| DocumentId::parse(d).ok());
        let inner = self.inner();
        let i = inner.borrow();
        // Same workspace; or none open while one is being joined (it opens when it arrives).
        if (i.doc_id == id && id.is_some() && i.sealed == sealed)
            || (id.is_none() && (i.fetching.is_some() || i.joining.is_some()))
        {
            // Joined another way meanwhile (through the relay): the links go on with the
            // session's log.
            if i.joining.is_some() && id.is_some() {
                drop(i);
                self.adopted();
            }
            return;
        }
        drop(i);
        self.close_all(id, sealed && id.is_some());
    }

    fn close_all(&self, id: Option<DocumentId>, sealed: bool) {
        let inner = self.inner();
        let mut i = inner.borrow_mut();
        for (_, p) in i.peers.drain() {
            p.close();
        }
        i.doc_id = id;
        i.sealed = sealed;
        i.fetching = None;
        i.on_fetched = None;
        i.joining = None;
        i.on_joined = None;
        drop(i);
        self.publish();
    }

    /// Fetches `workspace` (not on this device) over the next link; `done` gets it.
    pub fn join(&self, workspace: DocumentId, done: impl FnOnce(AutoCommit) + 'static) {
        self.close_all(None, false);
        let inner = self.inner();
        let mut i = inner.borrow_mut();
        // Fetching is for open workspaces: a private one arrives sealed, through its link.
        i.doc_id = Some(workspace);
        i.fetching = Some(AutoCommit::new());
        i.on_fetched = Some(Box::new(done));
    }

    /// Fetches private workspace `workspace` (not on this device) over the next link, sealed,
    /// into `replica` (made from its link); `done` gets it once it holds what the other side
    /// holds.
    pub fn join_sealed(
        &self,
        workspace: DocumentId,
        replica: Replica,
        done: impl FnOnce(Replica) + 'static,
    ) {
        self.close_all(Some(workspace), true);
        let inner = self.inner();
        let mut i = inner.borrow_mut();
        i.joining = Some(replica);
        i.on_joined = Some(Box::new(done));
    }

    /// The fetched workspace is open in the session now: sync it on the links as usual.
    pub fn adopted(&self) {
        {
            let inner = self.inner();
            let mut i = inner.borrow_mut();
            i.fetching = None;
            i.joining = None;
            i.on_joined = None;
        }
        self.push();
    }

    /// A new link, not yet offered or answered.
    fn add_peer(
        &self,
        endpoint: Option<String>,
        name: String,
        via: Via,
        dialer: bool,
    ) -> Result<(u32, RtcPeerConnection), String> {
        let inner = self.inner();
        if inner.borrow().peers.len() >= MAX_LINKS {
            return Err(format!(
                "at most {MAX_LINKS} direct links at once: disconnect one first"
            ));
        }
        let pc = new_connection()?;
        let id = {
            let mut i = inner.borrow_mut();
            i.next += 1;
            i.next
        };
        let direct = *self;
        let on_state = {
            let watched = pc.clone();
            EventListener::new(&pc, "connectionstatechange", move |_| {
                let pc = &watched;
                if matches!(
                    pc.connection_state(),
                    RtcPeerConnectionState::Failed | RtcPeerConnectionState::Closed
                ) {
                    direct.drop_link(id, true);
                } else {
                    direct.publish();
                }
            })
        };
        let on_channel = EventListener::new(&pc, "datachannel", move |ev| {
            if let Some(ev) = ev.dyn_ref::<RtcDataChannelEvent>() {
                direct.attach_channel(id, ev.channel());
            }
        });
        inner.borrow_mut().peers.insert(
            id,
            Peer {
                endpoint,
                sender: None,
                name,
                via,
                dialer,
                pc: pc.clone(),
                channel: None,
                conn: None,
                exchange: None,
                joiner: Joiner::default(),
                listeners: vec![on_state, on_channel],
            },
        );
        self.publish();
        Ok((id, pc))
    }

    /// Gives up a link that is not open in time (no candidates in common, the other side gone).
    fn deadline(&self, id: u32, ms: u32) {
        let direct = *self;
        Timeout::new(ms, move || {
            let stuck = direct
                .inner()
                .borrow()
                .peers
                .get(&id)
                .is_some_and(|p| p.state() != LinkState::Open);
            if stuck {
                direct.drop_link(id, true);
            }
        })
        .forget();
    }

    fn attach_channel(&self, id: u32, channel: RtcDataChannel) {
        channel.set_binary_type(RtcDataChannelType::Arraybuffer);
        let direct = *self;
        let on_open = EventListener::new(&channel, "open", move |_| direct.opened(id));
        let on_message = EventListener::new(&channel, "message", move |ev| {
            if let Some(ev) = ev.dyn_ref::<MessageEvent>()
                && let Ok(buf) = ev.data().dyn_into::<js_sys::ArrayBuffer>()
            {
                direct.receive(id, &js_sys::Uint8Array::new(&buf).to_vec());
            }
        });
        let on_close = EventListener::new(&channel, "close", move |_| direct.drop_link(id, false));
        let already_open = channel.ready_state() == RtcDataChannelState::Open;
        {
            let inner = self.inner();
            let mut i = inner.borrow_mut();
            let Some(p) = i.peers.get_mut(&id) else {
                channel.close();
                return;
            };
            p.channel = Some(channel);
            p.listeners.extend([on_open, on_message, on_close]);
        }
        if already_open {
            self.opened(id);
        }
    }

    /// The data channel is open: the dialing side says `join` (or, sealed, its hello).
    fn opened(&self, id: u32) {
        if self.inner().borrow().sealed {
            // Whatever this tab wrote is sealed before the hello.
            let _ = self.session.seal_now();
        }
        {
            let inner = self.inner();
            let mut guard = inner.borrow_mut();
            let i = &mut *guard;
            let me = i.me.clone();
            let sealed = i.sealed;
            if let Some(p) = i
                .peers
                .get_mut(&id)
                .filter(|p| p.dialer && p.conn.is_none() && p.exchange.is_none())
            {
                if sealed {
                    let mut exchange = Exchange::new();
                    let hello = match i.joining.as_ref() {
                        Some(r) => Some(exchange.hello(&r.log)),
                        None => self.session.with_sealing(|_, s| exchange.hello(&s.log)),
                    };
                    if let Some(hello) = hello {
                        p.exchange = Some(exchange);
                        p.send(&hello.encode());
                    }
                } else {
                    let (conn, join) = Connection::dial(&me, metadata(), &me);
                    p.conn = Some(conn);
                    p.send(&join);
                }
            }
        }
        self.publish();
    }

    fn drop_link(&self, id: u32, failed: bool) {
        let removed = self.inner().borrow_mut().peers.remove(&id);
        if let Some(p) = removed {
            p.close();
            if let (true, Some(endpoint)) = (failed, &p.endpoint) {
                let now = js_sys::Date::now();
                let inner = self.inner();
                let mut i = inner.borrow_mut();
                // Only the pause matters: older failures are forgotten.
                i.failed.retain(|_, t| now - *t < RETRY_AFTER_MS);
                i.failed.insert(endpoint.clone(), now);
            }
            // The link's callbacks may be running now: release them after this task.
            let listeners = p.listeners;
            leptos::task::spawn_local(async move { drop(listeners) });
        }
        self.publish();
    }

    /// Drops every link that `which` picks (not as failed).
    fn drop_links(&self, which: impl Fn(&Peer) -> bool) {
        let ids: Vec<u32> = self
            .inner()
            .borrow()
            .peers
            .iter()
            .filter(|(_, p)| which(p))
            .map(|(&id, _)| id)
            .collect();
        for id in ids {
            self.drop_link(id, false);
        }
    }

    /// Closes a link at the person's request.
    pub fn disconnect(&self, id: u32) {
        self.drop_link(id, false);
    }

    fn receive(&self, id: u32, piece: &[u8]) {
        let inner = self.inner();
        let mut guard = inner.borrow_mut();
        let Inner {
            me,
            doc_id,
            sealed,
            fetching,
            on_fetched,
            peers,
            ..
        } = &mut *guard;
        let Some(p) = peers.get_mut(&id) else { return };
        let frame = match p.joiner.push(piece) {
            Ok(Some(frame)) => frame,
            Ok(None) => return,
            Err(e) => {
                leptos::logging::warn!("moot: dropping a direct link: {e}");
                drop(guard);
                self.drop_link(id, false);
                return;
            }
        };
        let Some(doc_id) = *doc_id else { return };
        if *sealed {
            drop(guard);
            self.receive_sealed(id, &frame);
            return;
        }
        let conn = p
            .conn
            .get_or_insert_with(|| Connection::accept(me, metadata(), me));
        let result = match fetching.as_mut() {
            // Joining: the workspace is asked for once the handshake is done.
            Some(doc) => Some(conn.receive(&frame, &mut Single { id: doc_id, doc }).map(
                |(mut out, events)| {
                    if events.iter().any(|e| matches!(e, Event::Connected(_))) {
                        out.extend(conn.request_document(doc_id, doc));
                    }
                    (out, events)
                },
            )),
            None => super::take_frame(self.session, conn, doc_id, &frame),
        };
        match result {
            Some(Ok((out, events))) => {
                for f in out {
                    p.send(&f);
                }
                let arrived = events
                    .iter()
                    .any(|e| matches!(e, Event::DocumentChanged(_)));
                if fetching.is_some() {
                    if arrived {
                        let doc = fetching.take().unwrap_or_default();
                        let done = on_fetched.take();
                        drop(guard);
                        if let Some(done) = done {
                            done(doc);
                        }
                    }
                    return;
                }
                drop(guard);
                super::apply_events(self.session, self.here, &events);
            }
            Some(Err(e)) => {
                // A bad frame drops this link only; the workspace is untouched.
                leptos::logging::warn!("moot: dropping a direct link: {e}");
                drop(guard);
                self.drop_link(id, false);
            }
            None => {}
        }
    }

    /// A private workspace's frame: the sealed protocol, judged as every sealed transport
    /// judges (opened, checked against the roster, applied), or the link goes.
    fn receive_sealed(&self, id: u32, frame: &[u8]) {
        let message = match moot_trust::Message::decode(frame, moot_sync::MAX_FRAME) {
            Ok(m) => m,
            Err(e) => {
                leptos::logging::warn!("moot: dropping a direct link: {e}");
                self.drop_link(id, false);
                return;
            }
        };
        let inner = self.inner();
        let mut guard = inner.borrow_mut();
        let i = &mut *guard;
        let Some(p) = i.peers.get_mut(&id) else {
            return;
        };
        let mut exchange = p.exchange.take().unwrap_or_default();
        if let Some(replica) = i.joining.as_mut() {
            // Joining: what arrives goes to the new replica, judged the same way.
            let out = replica.receive(&mut exchange, message);
            for m in &out.send {
                p.send(&m.encode());
            }
            for e in &out.refused {
                leptos::logging::warn!("moot: refused over a direct link: {e}");
            }
            let whole = exchange.is_synced(&replica.log) && !replica.doc.get_heads().is_empty();
            p.exchange = Some(exchange);
            if whole {
                let replica = i.joining.take().expect("joining");
                let done = i.on_joined.take();
                drop(guard);
                if let Some(done) = done {
                    done(replica);
                }
            }
            return;
        }
        p.exchange = Some(exchange);
        let exchange = p.exchange.as_mut().expect("put back");
        let Some(out) = self.session.take_sealed(exchange, message) else {
            return;
        };
        for m in &out.send {
            p.send(&m.encode());
        }
        drop(guard);
        for e in &out.refused {
            leptos::logging::warn!("moot: refused over a direct link: {e}");
        }
        for why in &out.remote_refused {
            leptos::logging::warn!("moot: the other side of a direct link refused: {why}");
        }
        if !out.taken.is_empty() || out.snapshot || out.statements > 0 {
            self.session.remote_changed();
            self.session.store_sealed();
            if let Some(f) = self.on_taken.get_value() {
                f();
            }
        }
    }

    /// After a local change: offer it on every open link.
    pub fn push(&self) {
        let inner = self.inner();
        let mut i = inner.borrow_mut();
        if i.fetching.is_some() || i.joining.is_some() {
            return;
        }
        let Some(id) = i.doc_id else { return };
        if i.sealed {
            for p in i.peers.values_mut() {
                let Some(exchange) = p.exchange.as_mut() else {
                    continue;
                };
                let push = self.session.with_sealing(|_, s| exchange.push(&s.log));
                for m in push.unwrap_or_default() {
                    p.send(&m.encode());
                }
            }
            return;
        }
        for p in i.peers.values_mut() {
            if let Some(conn) = p.conn.as_mut() {
                for f in super::offer(self.session, conn, id) {
                    p.send(&f);
                }
            }
        }
    }

    /// Sends an ephemeral payload (presence) on every open link.
    pub fn ephemeral(&self, data: &[u8]) {
        let inner = self.inner();
        let mut i = inner.borrow_mut();
        let Some(id) = i.doc_id.filter(|_| !i.sealed) else {
            return;
        };
        for p in i.peers.values_mut() {
            if let Some(conn) = p.conn.as_mut().filter(|c| c.is_connected())
                && let Some(frame) = conn.ephemeral(id, data.to_vec())
            {
                p.send(&frame);
            }
        }
    }

    /// Says, through the relay, that this page can link directly.
    pub fn hello(&self) {
        let (me, open) = {
            let inner = self.inner();
            let i = inner.borrow();
            (
                i.me.clone(),
                i.doc_id.is_some() && i.fetching.is_none() && !i.sealed,
            )
        };
        if !open {
            return;
        }
        let hello = Signal {
            kind: SignalKind::Hello,
            from: me,
            to: None,
            name: self.my_name(),
            sdp: None,
        };
        self.hub.ephemeral(&hello.encode());
    }

    fn has_link_to(&self, endpoint: &str) -> bool {
        self.inner()
            .borrow()
            .peers
            .values()
            .any(|p| p.endpoint.as_deref() == Some(endpoint))
    }

    /// A signal that came through the relay.
    fn signal(&self, sender: &str, s: Signal) {
        let (me, open, recently_failed) = {
            let inner = self.inner();
            let i = inner.borrow();
            let recent = i
                .failed
                .get(&s.from)
                .is_some_and(|t| js_sys::Date::now() - t < RETRY_AFTER_MS);
            (
                i.me.clone(),
                // A private workspace links by codes only (nothing of it goes in the clear).
                i.doc_id.is_some() && i.fetching.is_none() && !i.sealed,
                recent,
            )
        };
        if s.from == me || s.to.as_ref().is_some_and(|t| *t != me) || !open {
            return;
        }
        let direct = *self;
        match s.kind {
            SignalKind::Hello => {
                // The page with the smaller id offers; a tab of this browser is reached already.
                if me < s.from
                    && !recently_failed
                    && !self.has_link_to(&s.from)
                    && !self.tabs.reaches(&s.from)
                {
                    // An offer shows this browser's addresses: only to a page the person
                    // allowed; otherwise the person is asked first (as the other side is).
                    if self.inner().borrow().allowed.contains(&s.from) {
                        leptos::task::spawn_local(async move {
                            if let Err(e) = direct.offer_through_relay(s.from, s.name).await {
                                leptos::logging::warn!("moot: no direct link: {e}");
                            }
                        });
                    } else {
                        self.ask(sender, s);
                    }
                }
            }
            SignalKind::Offer => {
                // Only the page with the smaller id offers; a link or an offer already there
                // for this sender (relay-level peer) is its one.
                let from_sender = {
                    let inner = self.inner();
                    let i = inner.borrow();
                    i.declined.contains(sender)
                        || i.peers
                            .values()
                            .any(|p| p.sender.as_deref() == Some(sender))
                };
                if s.from >= me || self.has_link_to(&s.from) || from_sender {
                    return;
                }
                if self.inner().borrow().allowed.contains(&s.from) {
                    let sender = sender.to_owned();
                    leptos::task::spawn_local(async move {
                        if let Err(e) = direct.answer_through_relay(s, sender).await {
                            leptos::logging::warn!("moot: no direct link: {e}");
                        }
                    });
                    return;
                }
                // Asked first: a direct link tells the other side this browser's addresses.
                self.ask(sender, s);
            }
            SignalKind::Answer => {
                let pc = {
                    let inner = self.inner();
                    let i = inner.borrow();
                    i.peers
                        .values()
                        .find(|p| {
                            p.endpoint.as_deref() == Some(s.from.as_str())
                                && p.via == Via::Relay
                                && p.dialer
                        })
                        .map(|p| p.pc.clone())
                };
                if let (Some(pc), Some(sdp)) = (pc, s.sdp) {
                    leptos::task::spawn_local(async move {
                        let answer = description(RtcSdpType::Answer, &sdp);
                        if let Err(e) = JsFuture::from(pc.set_remote_description(&answer)).await {
                            leptos::logging::warn!("moot: no direct link: {}", js_err(e));
                        }
                    });
                }
            }
        }
    }

    async fn offer_through_relay(self, endpoint: String, name: String) -> Result<(), String> {
        let (id, pc) = self.add_peer(Some(endpoint.clone()), name, Via::Relay, true)?;
        self.deadline(id, OPEN_DEADLINE_MS);
        self.attach_channel(id, pc.create_data_channel("moot"));
        let sdp = make_offer(&pc)
            .await
            .inspect_err(|_| self.drop_link(id, true))?;
        let offer = Signal {
            kind: SignalKind::Offer,
            from: self.inner().borrow().me.clone(),
            to: Some(endpoint),
            name: self.my_name(),
            sdp: Some(sdp),
        };
        self.hub.ephemeral(&offer.encode());
        Ok(())
    }

    /// Puts a hello or an offer before the person (one per relay-level sender, the newest).
    fn ask(&self, sender: &str, signal: Signal) {
        {
            let inner = self.inner();
            let mut i = inner.borrow_mut();
            if i.declined.contains(sender) {
                return;
            }
            let now = js_sys::Date::now();
            i.offers
                .retain(|o| now - o.at < f64::from(OPEN_DEADLINE_MS) && o.sender != sender);
            if i.offers.len() < MAX_PENDING_OFFERS {
                i.offers.push(PendingOffer {
                    sender: sender.to_owned(),
                    signal,
                    at: now,
                });
            }
        }
        self.publish_offers();
    }

    /// The person said yes to page `from`: offer to it or answer its offer (and do so from now
    /// on without asking).
    pub fn allow_offer(&self, from: &str) {
        let offer = {
            let inner = self.inner();
            let mut i = inner.borrow_mut();
            i.allowed.insert(from.to_owned());
            let at = i.offers.iter().position(|o| o.signal.from == from);
            at.map(|at| i.offers.remove(at))
        };
        self.publish_offers();
        if let Some(offer) = offer {
            let direct = *self;
            leptos::task::spawn_local(async move {
                let linked = if offer.signal.kind == SignalKind::Hello {
                    direct
                        .offer_through_relay(offer.signal.from, offer.signal.name)
                        .await
                } else {
                    direct
                        .answer_through_relay(offer.signal, offer.sender)
                        .await
                };
                if let Err(e) = linked {
                    leptos::logging::warn!("moot: no direct link: {e}");
                }
            });
        }
    }

    /// The person said no: that sender's offers are ignored from now on.
    pub fn decline_offer(&self, from: &str) {
        {
            let inner = self.inner();
            let mut i = inner.borrow_mut();
            if let Some(at) = i.offers.iter().position(|o| o.signal.from == from) {
                let offer = i.offers.remove(at);
                i.declined.insert(offer.sender);
            }
        }
        self.publish_offers();
    }

    fn publish_offers(&self) {
        let offers = self
            .inner()
            .borrow()
            .offers
            .iter()
            .map(|o| OfferView {
                from: o.signal.from.clone(),
                name: o.signal.name.clone(),
                hello: o.signal.kind == SignalKind::Hello,
            })
            .collect();
        self.offers.set(offers);
    }

    async fn answer_through_relay(self, offer: Signal, sender: String) -> Result<(), String> {
        let sdp = offer.sdp.clone().unwrap_or_default();
        let (id, pc) = self.add_peer(Some(offer.from.clone()), offer.name, Via::Relay, false)?;
        if let Some(peer) = self.inner().borrow_mut().peers.get_mut(&id) {
            peer.sender = Some(sender);
        }
        self.deadline(id, OPEN_DEADLINE_MS);
        let sdp = make_answer(&pc, &sdp)
            .await
            .inspect_err(|_| self.drop_link(id, true))?;
        let answer = Signal {
            kind: SignalKind::Answer,
            from: self.inner().borrow().me.clone(),
            to: Some(offer.from),
            name: self.my_name(),
            sdp: Some(sdp),
        };
        self.hub.ephemeral(&answer.encode());
        Ok(())
    }

    /// "Connect directly": an invitation to the open workspace, as a code. A newer invitation
    /// replaces one not yet answered.
    pub async fn invite(self) -> Result<String, String> {
        let (workspace, sealed) = {
            let inner = self.inner();
            let i = inner.borrow();
            let workspace = i.doc_id.ok_or("open a workspace to invite someone to it")?;
            (workspace, i.sealed)
        };
        self.drop_links(|p| p.endpoint.is_none());
        let (id, pc) = self.add_peer(None, String::new(), Via::Code, true)?;
        self.attach_channel(id, pc.create_data_channel("moot"));
        let sdp = make_offer(&pc)
            .await
            .inspect_err(|_| self.drop_link(id, false))?;
        let invitation = Invitation {
            workspace,
            sealed,
            signal: Signal {
                kind: SignalKind::Offer,
                from: self.inner().borrow().me.clone(),
                to: None,
                name: self.my_name(),
                sdp: Some(sdp),
            },
        };
        Ok(invitation.to_text())
    }

    /// Answers an invitation to the workspace that is open (or being joined): the answer code.
    pub async fn answer(self, invitation: Invitation) -> Result<String, String> {
        let sealed = {
            let inner = self.inner();
            let i = inner.borrow();
            if i.doc_id != Some(invitation.workspace) {
                return Err("open the workspace this invitation is for first".into());
            }
            i.sealed
        };
        if sealed != invitation.sealed {
            return Err(if sealed {
                "this invitation says its workspace is open, but here it is private: ask for a new invitation".into()
            } else {
                "this invitation is for a private workspace, but here it is open: ask for a new invitation".into()
            });
        }
        let Signal {
            from, name, sdp, ..
        } = invitation.signal;
        self.drop_links(|p| p.endpoint.as_deref() == Some(from.as_str()));
        let (id, pc) = self.add_peer(Some(from.clone()), name, Via::Code, false)?;
        let sdp = match make_answer(&pc, &sdp.unwrap_or_default()).await {
            Ok(sdp) => sdp,
            Err(e) => {
                self.drop_link(id, false);
                return Err(e);
            }
        };
        // The other person still has to paste the answer: give them time.
        self.deadline(id, 10 * 60 * 1000);
        let answer = Invitation {
            workspace: invitation.workspace,
            sealed,
            signal: Signal {
                kind: SignalKind::Answer,
                from: self.inner().borrow().me.clone(),
                to: Some(from),
                name: self.my_name(),
                sdp: Some(sdp),
            },
        };
        Ok(answer.to_text())
    }

    /// Completes an invitation with the answer pasted back.
    pub async fn complete(self, answer: Invitation) -> Result<(), String> {
        let (me, workspace, sealed) = {
            let inner = self.inner();
            let i = inner.borrow();
            (i.me.clone(), i.doc_id, i.sealed)
        };
        if Some(answer.workspace) != workspace || answer.sealed != sealed {
            return Err("this answer is for another workspace".into());
        }
        if answer.signal.to.as_deref() != Some(me.as_str()) {
            return Err(
                "this answer is for an invitation made elsewhere (another tab or device)".into(),
            );
        }
        let pending = {
            let inner = self.inner();
            let mut i = inner.borrow_mut();
            i.peers
                .iter_mut()
                .find(|(_, p)| p.endpoint.is_none() && p.via == Via::Code)
                .map(|(&id, p)| {
                    p.endpoint = Some(answer.signal.from.clone());
                    p.name = answer.signal.name.clone();
                    (id, p.pc.clone())
                })
        };
        let Some((id, pc)) = pending else {
            return Err(
                "this answer is for an older invitation: create a new invitation and send that"
                    .into(),
            );
        };
        self.publish();
        self.deadline(id, OPEN_DEADLINE_MS);
        let sdp = answer.signal.sdp.unwrap_or_default();
        JsFuture::from(pc.set_remote_description(&description(RtcSdpType::Answer, &sdp)))
            .await
            .map_err(|e| format!("the answer could not be used: {}", js_err(e)))?;
        Ok(())
    }
}
