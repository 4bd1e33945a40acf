//! A native client of a relay's `/sealed` over a real WebSocket: a `Replica` driven by
//! frames, for tests (the relay's, and the app's end-to-end tests, which include this file).
#![allow(dead_code)]

use futures::{SinkExt, StreamExt};
use moot_model::{Ctx, Workspace};
use moot_sync::sealed::Replica;
use moot_trust::{Exchange, Message};
use tokio_tungstenite::tungstenite::Message as Ws;

const DEADLINE: std::time::Duration = std::time::Duration::from_secs(20);
const T: &str = "2026-12-01T10:00:00Z";

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub struct Client {
    pub ws: Socket,
    pub ex: Exchange,
    pub r: Replica,
    pub person: String,
    pub nonce: u8,
    pub refused: Vec<String>,
}

impl Client {
    /// Connects to the relay at `addr` (host:port) and says hello.
    pub async fn connect(addr: std::net::SocketAddr, r: Replica, person: String) -> Client {
        let (ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/sealed"))
            .await
            .unwrap();
        let mut c = Client {
            ws,
            ex: Exchange::new(),
            r,
            person,
            nonce: 0,
            refused: Vec::new(),
        };
        let hello = c.ex.hello(&c.r.log);
        c.send(vec![hello]).await;
        c
    }

    pub async fn send(&mut self, messages: Vec<Message>) {
        for m in messages {
            self.ws.send(Ws::Binary(m.encode().into())).await.unwrap();
        }
    }

    /// Takes frames from the relay until `done` holds (or fails after the deadline).
    pub async fn until(&mut self, mut done: impl FnMut(&Client) -> bool) {
        let waited = tokio::time::timeout(DEADLINE, async {
            while !done(self) {
                match self.ws.next().await {
                    Some(Ok(Ws::Binary(b))) => {
                        let m = Message::decode(&b, moot_sync::MAX_FRAME).unwrap();
                        let out = self.r.receive(&mut self.ex, m);
                        self.refused.extend(out.remote_refused);
                        self.send(out.send).await;
                    }
                    Some(Ok(_)) => {}
                    other => panic!("the relay closed the connection: {other:?}"),
                }
            }
        })
        .await;
        assert!(waited.is_ok(), "timed out; refused: {:?}", self.refused);
    }

    pub async fn synced(&mut self) {
        self.until(|c| c.ex.is_synced(&c.r.log)).await;
    }

    pub async fn act(&mut self, f: impl FnOnce(&mut Workspace, Ctx<'_>)) {
        let doc = std::mem::take(&mut self.r.doc);
        let mut ws = Workspace::from_doc(doc, 1).unwrap();
        let person = self.person.clone();
        f(&mut ws, Ctx::new(&person, T));
        self.r.doc = ws.into_doc();
        self.nonce += 1;
        let sealed = self.r.seal([self.nonce; 24]).unwrap();
        assert!(sealed.is_some());
        let push = self.ex.push(&self.r.log);
        self.send(push).await;
    }

    pub fn text(&self) -> Option<String> {
        let ws = Workspace::from_doc(self.r.doc.clone(), 1).ok()?;
        let d = ws.documents().ok()?[0].id.clone();
        ws.document_text(&d).ok()
    }
}

/// Every file under `dir`, concatenated (what a relay holds on disk, to search for words).
pub fn all_bytes(dir: &std::path::Path) -> Vec<u8> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(all_bytes(&path));
        } else {
            out.extend(std::fs::read(&path).unwrap_or_default());
        }
    }
    out
}

/// A native client of the relay at `addr` holding `link` (a link's URL or its code), on a
/// device of its own.
pub async fn join_link(addr: std::net::SocketAddr, link: &str, seed: u8) -> Client {
    let code = link
        .split("#/p/")
        .nth(1)
        .unwrap_or(link)
        .split('?')
        .next()
        .unwrap_or_default();
    let link = moot_trust::Link::decode(code).unwrap();
    let device = moot_trust::DeviceKey::from_seed([seed; 32]);
    let person = moot_trust::person_id(&device.public());
    let replica = Replica::join(link, device, [seed; 8], moot_model::trust::comment_rule);
    let mut c = Client::connect(addr, replica, person).await;
    c.synced().await;
    c
}

/// Fails if any of `words` (text, names, automerge's magic bytes) is in `bytes` (`what`: where
/// they were looked for).
pub fn assert_none_of(words: &[&[u8]], bytes: &[u8], what: &str) {
    for word in words {
        assert!(
            !bytes.windows(word.len()).any(|w| w == *word),
            "{:?} is in {what}",
            String::from_utf8_lossy(word)
        );
    }
}
