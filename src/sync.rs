//! Syncing the open workspace with other peers. `relay` is the WebSocket transport to an
//! automerge-repo relay; the protocol itself is `moot-sync` (sans-IO), shared with the relay's
//! tests and the load generator; `tabs` syncs tabs of one browser over a BroadcastChannel;
//! `direct` links browsers by WebRTC data channels, set up through the relay or by codes.

pub mod direct;
mod presence;
pub mod relay;
pub mod sealed;
mod tabs;

pub use direct::Direct;
pub use presence::{ANNOUNCE_MS, Here};
pub use relay::{SyncHub, SyncStatus};
pub use sealed::{SealedHub, SealedTabs};
pub use tabs::Tabs;

/// Sends `frame` on `socket` if it is open. A frame for a socket still connecting, closing or
/// closed is dropped, as the browser would (the reconnect starts a fresh handshake), without
/// the console error Chromium logs for a send on a closing or closed WebSocket.
pub(crate) fn send_open(socket: &web_sys::WebSocket, frame: &[u8]) {
    if socket.ready_state() == web_sys::WebSocket::OPEN {
        let _ = socket.send_with_u8_array(frame);
    }
}

/// This page's id among the tabs and direct links: random, made once per page load.
pub fn page_id() -> String {
    thread_local! {
        static ID: String = crate::state::identity::random_hex()[..16].to_owned();
    }
    ID.with(Clone::clone)
}

/// A frame from a peer, applied to the open workspace through `conn`; when it completes the
/// handshake, the workspace is offered. What to send back and what happened, or `None` when no
/// workspace is open.
fn take_frame(
    session: crate::state::Session,
    conn: &mut moot_sync::Connection,
    id: moot_sync::DocumentId,
    frame: &[u8],
) -> Option<Result<moot_sync::Output, moot_sync::SyncError>> {
    session.with_doc_mut(|doc| {
        let (mut out, events) = conn.receive(frame, &mut moot_sync::Single { id, doc })?;
        if events
            .iter()
            .any(|e| matches!(e, moot_sync::Event::Connected(_)))
        {
            out.extend(conn.sync_document(id, doc));
        }
        Ok((out, events))
    })
}

/// After a local change: what `conn` sends (nothing before its handshake).
fn offer(
    session: crate::state::Session,
    conn: &mut moot_sync::Connection,
    id: moot_sync::DocumentId,
) -> Vec<Vec<u8>> {
    if !conn.is_connected() {
        return Vec::new();
    }
    session
        .with_doc_mut(|doc| conn.sync_document(id, doc))
        .unwrap_or_default()
}

/// What every transport does with the events of a received frame: note presence, and show
/// (and save) changes that arrived.
fn apply_events(session: crate::state::Session, here: Here, events: &[moot_sync::Event]) {
    let me = leptos::prelude::GetUntracked::get_untracked(&session.me).map(|m| m.id);
    for e in events {
        if let moot_sync::Event::Ephemeral {
            data, sender_id, ..
        } = e
        {
            here.note(me.as_deref(), sender_id, data);
        }
    }
    if events
        .iter()
        .any(|e| matches!(e, moot_sync::Event::DocumentChanged(_)))
    {
        session.remote_changed();
    }
}
