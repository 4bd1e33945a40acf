//! One remote holder of a workspace's log, sans-IO: what to say to it and what to do with what
//! it says. The same on a relay (which takes every envelope the roster allows) and in a client
//! (which opens, checks and applies each one first).

use crate::Level;
use crate::TrustError;
use crate::log::{Log, Snapshot, Vector, Verdict};
use crate::sealed::{Header, Sealed};
use crate::statement::Roster;
use crate::wire::Message;

/// Envelope bytes per frame (a transport cuts nothing; a frame stays well under
/// `moot_sync::MAX_FRAME`).
pub const FRAME_BUDGET: usize = 1 << 20;

#[derive(Debug, Default)]
pub struct Exchange {
    /// What the remote holds or was sent (its hello, then what was sent): what not to send.
    remote: Option<Vector>,
    /// What the remote said it holds (its hello and its acknowledgements).
    acked: Vector,
    /// Statements the remote holds (it sent them, or was sent them); `None` until its hello
    /// says it holds as many as this side, when it is taken to hold the same.
    remote_statements: std::collections::BTreeSet<crate::Signed>,
    said_hello: bool,
    /// How many statements the remote said it holds.
    remote_count: u64,
    /// `Synced` messages received: each answers what this side sent before it.
    acks: u64,
}

/// What a message led to.
#[derive(Debug, Default)]
pub struct Outcome {
    pub send: Vec<Message>,
    /// Envelopes new to the log (a relay hands them to its other connections).
    pub taken: Vec<Header>,
    pub snapshot: bool,
    /// Statements new to the roster.
    pub statements: usize,
    /// What this side refused, and why.
    pub refused: Vec<TrustError>,
    /// What the remote refused, in its words.
    pub remote_refused: Vec<String>,
}

/// Who decides on content: a relay takes what the roster allows; a client judges each
/// envelope by opening and applying it.
pub trait Judge {
    /// An envelope the roster allows, from an author writing at `level`.
    fn envelope(&mut self, sealed: &Sealed, header: &Header, level: Level) -> Verdict;
    /// A snapshot the log may take (a client opens, checks and merges it; a relay does
    /// nothing).
    fn snapshot(&mut self, _snapshot: &Snapshot, _roster: &Roster) -> Result<(), TrustError> {
        Ok(())
    }
    /// Whether a snapshot taken counts as holding its cover (a client that checked it: yes).
    fn adopts(&self) -> bool {
        false
    }
    /// After a message: anything the judge deferred is done (a client applies the changes
    /// it took, in one batch).
    fn finish(&mut self) {}
    /// Whether statements are checked before they are held (a relay: yes).
    fn strict(&self) -> bool {
        false
    }
    /// New statements were taken, before anything waiting is offered again (a client follows
    /// a key rotation here).
    fn roster_changed(&mut self, _roster: &Roster) {}
}

/// A relay's judge: it cannot read content; the roster has already said who may write.
pub struct Relay;

impl Judge for Relay {
    fn envelope(&mut self, _: &Sealed, _: &Header, _: Level) -> Verdict {
        Verdict::Take
    }
    fn strict(&self) -> bool {
        true
    }
}

impl Exchange {
    pub fn new() -> Self {
        Self::default()
    }

    /// The first message on a new link (the side that did not send it first answers a hello
    /// with its own).
    pub fn hello(&mut self, log: &Log) -> Message {
        self.said_hello = true;
        Message::Hello {
            discovery: *log.discovery(),
            vector: log.vector().clone(),
            statements: log.roster().len() as u64,
            roster: Some(log.roster().digest()),
        }
    }

    /// Whether the remote said it holds everything this side holds, and said it held nothing
    /// more.
    pub fn is_synced(&self, log: &Log) -> bool {
        let mine: Vec<_> = log.roster().statements().collect();
        self.remote.is_some()
            && &self.acked == log.vector()
            && self.remote_count >= mine.len() as u64
            && mine.iter().all(|s| self.remote_statements.contains(*s))
    }

    /// How many acknowledgements (`Synced`) the remote sent: one answers each hello, each
    /// batch of envelopes or statements it took, and each snapshot.
    pub fn acks(&self) -> u64 {
        self.acks
    }

    /// What the remote said it holds (its hello and acknowledgements since): what a client
    /// may drop from its own store under its own snapshot.
    pub fn acked(&self) -> &Vector {
        &self.acked
    }

    fn ack(&mut self, vector: Vector) {
        for (actor, seq) in vector {
            let slot = self.acked.entry(actor).or_insert(0);
            *slot = (*slot).max(seq);
        }
    }

    pub fn receive(&mut self, log: &mut Log, message: Message, judge: &mut impl Judge) -> Outcome {
        let mut out = Outcome::default();
        match message {
            Message::Hello {
                discovery,
                vector,
                statements,
                roster,
            } => {
                if &discovery != log.discovery() {
                    out.send.push(Message::Refused {
                        reason: TrustError::OtherWorkspace.to_string(),
                    });
                    return out;
                }
                if !self.said_hello {
                    let mut hello = self.hello(log);
                    // A peer older than the digest reads only the five-field hello.
                    if roster.is_none()
                        && let Message::Hello { roster: mine, .. } = &mut hello
                    {
                        *mine = None;
                    }
                    out.send.push(hello);
                }
                self.acked = Vector::new();
                self.ack(vector.clone());
                self.remote = Some(vector);
                self.remote_count = statements;
                // The same count and digest: the remote holds these statements. (The same
                // count alone is two concurrent statements, one on each side.)
                if statements == log.roster().len() as u64 && roster == Some(log.roster().digest())
                {
                    self.remote_statements = log.roster().statements().cloned().collect();
                }
                let push = self.push(log);
                out.send.extend(push);
                let vector = log.vector().clone();
                let statements = log.roster().len() as u64;
                out.send.push(Message::Synced { vector, statements });
            }
            Message::Statements(list) => {
                self.remote_statements.extend(list.iter().cloned());
                let acknowledge = !list.is_empty();
                for signed in list {
                    match log.add_statement(signed, judge.strict()) {
                        Ok(true) => out.statements += 1,
                        Ok(false) => {}
                        Err(e) => out.refused.push(e),
                    }
                }
                // Envelopes waiting for an enrolment, or a rotation's keys, may be taken now.
                if out.statements > 0 {
                    judge.roster_changed(log.roster());
                    let (taken, refused) = log.offer(Vec::new(), |s, h, l| judge.envelope(s, h, l));
                    out.taken = taken;
                    out.refused.extend(refused);
                }
                // Acknowledged, so the sender knows they are held (its "up to date").
                if acknowledge {
                    let statements = log.roster().len() as u64;
                    out.send.push(Message::Synced {
                        vector: Vector::new(),
                        statements,
                    });
                }
            }
            Message::Envelopes(list) => {
                // What the remote sends, it holds.
                let held: Vector = list
                    .iter()
                    .filter_map(|s| s.header_unchecked().ok())
                    .map(|h| (h.actor, h.last))
                    .collect();
                self.ack(held);
                let (taken, refused) = log.offer(list, |s, h, l| judge.envelope(s, h, l));
                if let Some(remote) = &mut self.remote {
                    for h in &taken {
                        let seq = remote.entry(h.actor.clone()).or_insert(0);
                        *seq = (*seq).max(h.last);
                    }
                }
                // Acknowledged, so the sender knows they are here (its "unsynced" count).
                if !taken.is_empty() {
                    let vector = taken.iter().map(|h| (h.actor.clone(), h.last)).collect();
                    let statements = log.roster().len() as u64;
                    out.send.push(Message::Synced { vector, statements });
                }
                out.taken = taken;
                out.refused.extend(refused);
            }
            Message::Snapshot(snapshot) => {
                let covers = snapshot.covers.clone();
                let result = log
                    .check_snapshot(&snapshot)
                    .and_then(|()| judge.snapshot(&snapshot, log.roster()))
                    .and_then(|()| log.add_snapshot(snapshot));
                match result {
                    Ok(taken) => {
                        out.snapshot = taken;
                        // Acknowledged (held, or a larger one is): the sender may rely on it.
                        out.send.push(Message::Synced {
                            vector: Vector::new(),
                            statements: log.roster().len() as u64,
                        });
                        if judge.adopts() {
                            log.adopt(&covers);
                            // Envelopes after the cover may be taken now.
                            let (taken, refused) =
                                log.offer(Vec::new(), |s, h, l| judge.envelope(s, h, l));
                            out.taken = taken;
                            out.refused.extend(refused);
                        }
                    }
                    Err(e) => out.refused.push(e),
                }
            }
            Message::Synced { vector, statements } => {
                self.acks += 1;
                self.remote_count = self.remote_count.max(statements);
                if let Some(remote) = &mut self.remote {
                    for (actor, seq) in &vector {
                        let slot = remote.entry(actor.clone()).or_insert(0);
                        *slot = (*slot).max(*seq);
                    }
                }
                self.ack(vector);
            }
            Message::Refused { reason } => out.remote_refused.push(reason),
        }
        judge.finish();
        if !out.refused.is_empty() {
            out.send.push(Message::Refused {
                reason: out.refused[0].to_string(),
            });
        }
        out
    }

    /// What the remote lacks of this side's log: statements it has not been sent, the
    /// snapshot for a newcomer, then envelopes, in frames of at most [`FRAME_BUDGET`] bytes.
    /// Nothing before the remote's hello.
    pub fn push(&mut self, log: &Log) -> Vec<Message> {
        let Some(remote) = &mut self.remote else {
            return Vec::new();
        };
        let mut send = Vec::new();
        let statements: Vec<_> = log
            .roster()
            .statements()
            .filter(|s| !self.remote_statements.contains(*s))
            .cloned()
            .collect();
        if !statements.is_empty() {
            self.remote_statements.extend(statements.iter().cloned());
            send.push(Message::Statements(statements));
            // And how many this side holds: the remote, holding them too, knows it is up to
            // date (its count of this side's statements moves only on a hello or a `Synced`).
            send.push(Message::Synced {
                vector: Vector::new(),
                statements: log.roster().len() as u64,
            });
        }
        let (snapshot, envelopes) = log.since(remote);
        if let Some(snapshot) = snapshot {
            send.push(Message::Snapshot(snapshot.clone()));
            for (actor, seq) in &snapshot.covers {
                let slot = remote.entry(actor.clone()).or_insert(0);
                *slot = (*slot).max(*seq);
            }
        }
        let mut frame = Vec::new();
        let mut bytes = 0;
        for sealed in envelopes {
            let size = sealed.body.len() + sealed.certificate.header.len() + 80;
            if !frame.is_empty() && bytes + size > FRAME_BUDGET {
                send.push(Message::Envelopes(std::mem::take(&mut frame)));
                bytes = 0;
            }
            if let Ok(h) = sealed.verify() {
                let seq = remote.entry(h.actor).or_insert(0);
                *seq = (*seq).max(h.last);
            }
            bytes += size;
            frame.push(sealed.clone());
        }
        if !frame.is_empty() {
            send.push(Message::Envelopes(frame));
        }
        send
    }
}
