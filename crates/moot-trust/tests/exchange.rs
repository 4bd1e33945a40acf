//! The sealed protocol between clients and a relay that cannot read: a newcomer and a
//! reconnect are served from the relay alone, only enrolled writers get in, content a client
//! refuses is never taken, and every frame survives encoding.

use std::collections::VecDeque;

use moot_trust::*;
use proptest::prelude::*;

struct Client {
    log: Log,
    link: Link,
    device: DeviceKey,
    actor: Vec<u8>,
    seq: u64,
    /// Plain bodies this client opened, in order.
    opened: Vec<Vec<u8>>,
}

/// A client's judge: opens each envelope with the read key; refuses bodies that say "forged".
struct Opener<'a> {
    key: SealKey,
    opened: &'a mut Vec<Vec<u8>>,
}

impl Judge for Opener<'_> {
    fn envelope(&mut self, sealed: &Sealed, _: &Header, _: Level) -> Verdict {
        match sealed.open(&self.key) {
            Ok((_, plain)) if plain.starts_with(b"forged") => {
                Verdict::Refuse(TrustError::NotAllowed("forged content"))
            }
            Ok((_, plain)) => {
                self.opened.push(plain);
                Verdict::Take
            }
            Err(e) => Verdict::Refuse(e),
        }
    }
}

impl Client {
    fn new(admin: &Link, level: Level, seed: u8) -> Client {
        let link = admin.at(level).unwrap();
        let device = DeviceKey::from_seed([seed; 32]);
        let actor = device.actor([seed; 8]);
        Client {
            log: Log::new(link.discovery()),
            link,
            device,
            actor,
            seq: 0,
            opened: Vec::new(),
        }
    }

    /// Seals `text` as this client's next change and takes it into its own log.
    fn write(&mut self, text: &str) -> Sealed {
        self.seq += 1;
        let draft = Draft {
            kind: Kind::Changes,
            discovery: self.link.discovery(),
            actor: &self.actor,
            first: self.seq,
            last: self.seq,
            last_hash: [0; 32],
            epoch: 0,
        };
        let key = self.link.secret.read().seal;
        let nonce = [self.seq as u8; 24];
        let sealed = Sealed::seal(draft, text.as_bytes(), &key, &self.device, nonce).unwrap();
        // Its own writes need no opening.
        if self.log.roster().accepts(&self.actor, self.seq).is_some() {
            self.log.add(sealed.clone()).unwrap();
        }
        sealed
    }

    fn enrol(&self) -> Signed {
        Statement::Enrol {
            discovery: self.link.discovery(),
            device: self.device.public().to_bytes(),
            level: self.link.level(),
        }
        .sign(&self.link.secret.signing_key().unwrap())
    }

    fn receive(&mut self, ex: &mut Exchange, m: Message) -> Outcome {
        let mut judge = Opener {
            key: self.link.secret.read().seal,
            opened: &mut self.opened,
        };
        ex.receive(&mut self.log, m, &mut judge)
    }
}

/// Carries frames both ways (through their encoding) until neither side has anything to say.
fn pump(
    relay: &mut Log,
    rx: &mut Exchange,
    client: &mut Client,
    cx: &mut Exchange,
    first: Vec<Message>,
) -> (Vec<String>, Vec<TrustError>) {
    let mut to_relay: VecDeque<Message> = first.into();
    let mut to_client: VecDeque<Message> = VecDeque::new();
    let (mut relay_refused, mut client_refused) = (Vec::new(), Vec::new());
    let wire = |m: Message| Message::decode(&m.encode(), 64 << 20).unwrap();
    for _ in 0..1000 {
        if let Some(m) = to_relay.pop_front() {
            let out = rx.receive(relay, wire(m), &mut Relay);
            relay_refused.extend(out.refused.iter().map(|e| e.to_string()));
            to_client.extend(out.send);
        } else if let Some(m) = to_client.pop_front() {
            let out = client.receive(cx, wire(m));
            client_refused.extend(out.refused);
            to_relay.extend(out.send);
        } else {
            return (relay_refused, client_refused);
        }
    }
    panic!("the exchange never went quiet");
}

fn genesis(admin: &Link) -> Signed {
    Statement::genesis(admin)
        .unwrap()
        .sign(&admin.secret.signing_key().unwrap())
}

/// Anna founds the workspace (genesis and her admin enrolment) and syncs with the relay: she,
/// the relay's side of her connection, and hers.
fn founded_and_online(admin: &Link, relay: &mut Log) -> (Client, Exchange, Exchange) {
    let mut anna = Client::new(admin, Level::Admin, 1);
    anna.log.roster_mut().add(genesis(admin)).unwrap();
    let e = anna.enrol();
    anna.log.roster_mut().add(e).unwrap();
    let (mut rx, mut ax) = (Exchange::new(), Exchange::new());
    let hello = ax.hello(&anna.log);
    pump(relay, &mut rx, &mut anna, &mut ax, vec![hello]);
    (anna, rx, ax)
}

/// `client` enrols itself through its own connection to the relay (then goes).
fn enrolled_through(relay: &mut Log, mut client: Client) -> Client {
    let e = client.enrol();
    client.log.roster_mut().add(e).unwrap();
    let (mut rx, mut cx) = (Exchange::new(), Exchange::new());
    let hello = cx.hello(&client.log);
    pump(relay, &mut rx, &mut client, &mut cx, vec![hello]);
    client
}

#[test]
fn a_newcomer_and_a_reconnect_are_served_by_the_relay_alone() {
    let admin = Link::new([7; 32]);
    let mut relay = Log::new(admin.discovery());
    let mut anna = Client::new(&admin, Level::Admin, 1);
    anna.log.roster_mut().add(genesis(&admin)).unwrap();
    let e = anna.enrol();
    anna.log.roster_mut().add(e).unwrap();
    for i in 0..50 {
        anna.write(&format!("minutes, part {i}"));
    }
    // Anna's first connection uploads statements and envelopes, then says hello.
    let (mut rx, mut ax) = (Exchange::new(), Exchange::new());
    let hello = ax.hello(&anna.log);
    // The relay answers with its own hello, and Anna pushes what it lacks.
    let (refused, _) = pump(&mut relay, &mut rx, &mut anna, &mut ax, vec![hello]);
    assert!(refused.is_empty(), "{refused:?}");
    assert_eq!(relay.vector(), anna.log.vector());
    assert!(ax.is_synced(&anna.log));
    assert_eq!(relay.roster().devices().count(), 1);

    // Bob, with a comment link, has never been online with Anna.
    let mut bob = Client::new(&admin, Level::Comment, 2);
    let (mut rx2, mut bx) = (Exchange::new(), Exchange::new());
    // He enrols himself (the relay checks it: the comment key signed it); his log holds the
    // enrolment before it knows the genesis.
    let e = bob.enrol();
    bob.log.roster_mut().add(e).unwrap();
    let first = vec![bx.hello(&bob.log)];
    let (refused, client_refused) = pump(&mut relay, &mut rx2, &mut bob, &mut bx, first);
    assert!(
        refused.is_empty() && client_refused.is_empty(),
        "{refused:?} {client_refused:?}"
    );
    assert_eq!(bob.log.vector(), anna.log.vector());
    assert_eq!(bob.opened.len(), 50);
    assert_eq!(bob.opened[49], b"minutes, part 49");
    assert!(bx.is_synced(&bob.log));

    // Bob comments; the relay takes it (he is enrolled), Anna gets it on reconnect.
    let c = bob.write("a comment");
    let push = bx.push(&bob.log);
    assert!(matches!(&push[..], [Message::Envelopes(e)] if e == &vec![c.clone()]));
    let (refused, _) = pump(&mut relay, &mut rx2, &mut bob, &mut bx, push);
    assert!(refused.is_empty(), "{refused:?}");
    let (mut rx3, mut ax2) = (Exchange::new(), Exchange::new());
    let hello = ax2.hello(&anna.log);
    pump(&mut relay, &mut rx3, &mut anna, &mut ax2, vec![hello]);
    assert_eq!(anna.opened, vec![b"a comment".to_vec()]);
    assert_eq!(anna.log.vector(), relay.vector());
}

#[test]
fn two_sides_holding_as_many_statements_but_different_ones_swap_them() {
    let admin = Link::new([7; 32]);
    let mut relay = Log::new(admin.discovery());
    let (mut anna, _, _) = founded_and_online(&admin, &mut relay);
    // Bob enrols through the relay while Anna, offline, signs a statement of her own: each
    // side now holds three statements, not the same three.
    let bob = enrolled_through(&mut relay, Client::new(&admin, Level::Edit, 2));
    let carol = Client::new(&admin, Level::Comment, 3);
    let removal = Statement::Remove {
        discovery: admin.discovery(),
        device: carol.device.public().to_bytes(),
        keep: Vec::new(),
    }
    .sign(&admin.secret.signing_key().unwrap());
    anna.log.roster_mut().add(removal.clone()).unwrap();
    assert_eq!(anna.log.roster().len(), relay.roster().len());
    assert_ne!(anna.log.roster().digest(), relay.roster().digest());

    // Anna reconnects: each sends the other the statement it lacks.
    let (mut rx3, mut ax2) = (Exchange::new(), Exchange::new());
    let hello = ax2.hello(&anna.log);
    let (refused, client_refused) = pump(&mut relay, &mut rx3, &mut anna, &mut ax2, vec![hello]);
    assert!(refused.is_empty() && client_refused.is_empty());
    assert_eq!(relay.roster().len(), 4);
    assert_eq!(anna.log.roster().digest(), relay.roster().digest());
    assert!(ax2.is_synced(&anna.log));
    assert!(anna.log.roster().level_of(&bob.device.public().to_bytes()) == Some(Level::Edit));
    // Once the same, a reconnect sends no statement.
    let (mut rx4, mut ax3) = (Exchange::new(), Exchange::new());
    let hello = ax3.hello(&anna.log);
    let answer = rx4.receive(&mut relay, hello, &mut Relay);
    assert!(
        !answer
            .send
            .iter()
            .any(|m| matches!(m, Message::Statements(_))),
        "{:?}",
        answer.send
    );
    // A peer older than the digest is answered with the hello it reads (five fields), and
    // sent every statement (its count alone proves nothing).
    let old = Message::Hello {
        discovery: admin.discovery(),
        vector: anna.log.vector().clone(),
        statements: anna.log.roster().len() as u64,
        roster: None,
    };
    let answer = Exchange::new().receive(&mut relay, old, &mut Relay);
    assert!(matches!(
        &answer.send[0],
        Message::Hello { roster: None, .. }
    ));
    assert!(
        answer
            .send
            .iter()
            .any(|m| matches!(m, Message::Statements(l) if l.len() == 4))
    );
}

#[test]
fn a_client_online_while_others_enrol_is_up_to_date_after_the_relay_passes_them_on() {
    let admin = Link::new([7; 32]);
    let mut relay = Log::new(admin.discovery());
    let (mut anna, mut rx, mut ax) = founded_and_online(&admin, &mut relay);
    assert!(ax.is_synced(&anna.log));
    // Bob enrols on his own connection; the relay passes his statement on to Anna's.
    enrolled_through(&mut relay, Client::new(&admin, Level::Edit, 2));
    let push = rx.push(&relay);
    assert!(!push.is_empty());
    let mut to_anna: VecDeque<Message> = push.into();
    while let Some(m) = to_anna.pop_front() {
        let out = anna.receive(&mut ax, m);
        for reply in out.send {
            to_anna.extend(rx.receive(&mut relay, reply, &mut Relay).send);
        }
    }
    assert_eq!(anna.log.roster().len(), 3);
    assert!(
        ax.is_synced(&anna.log),
        "Anna holds what the relay holds, and knows it"
    );
}

#[test]
fn the_relay_refuses_writers_it_was_not_told_of_and_gaps() {
    let admin = Link::new([7; 32]);
    let mut relay = Log::new(admin.discovery());
    relay.roster_mut().add(genesis(&admin)).unwrap();
    // Not enrolled at all.
    let mut mallory = Client::new(&admin, Level::Edit, 3);
    let forged = mallory.write("as anna");
    assert_eq!(
        relay.add(forged),
        Err(TrustError::NotAllowed(
            "changes by a key that may not write"
        ))
    );
    // Enrolled with the read link: reads, writes nothing.
    let reader = Client::new(&admin, Level::Read, 4);
    let enrol_read = Statement::Enrol {
        discovery: admin.discovery(),
        device: reader.device.public().to_bytes(),
        level: Level::Read,
    };
    // A read link has no key to sign with; a forged enrolment with a random key is refused.
    assert!(
        relay
            .roster()
            .check(&enrol_read.sign(mallory.device.signing()))
            .is_err()
    );
    // A gap: change 3 before 2.
    let mut anna = Client::new(&admin, Level::Edit, 1);
    relay.roster_mut().add(anna.enrol()).unwrap();
    anna.log.roster_mut().add(genesis(&admin)).unwrap();
    let e = anna.enrol();
    anna.log.roster_mut().add(e).unwrap();
    let one = anna.write("one");
    let _two = anna.write("two");
    let three = anna.write("three");
    assert!(matches!(relay.add(one), Ok(Added::New(_))));
    assert_eq!(relay.add(three), Err(TrustError::Gap { have: 1, first: 3 }));
    // Envelopes of another workspace.
    let other = Link::new([8; 32]);
    let mut stranger = Client::new(&other, Level::Edit, 5);
    assert_eq!(
        relay.add(stranger.write("x")),
        Err(TrustError::OtherWorkspace)
    );
}

#[test]
fn what_a_client_refuses_it_never_takes_and_later_envelopes_wait() {
    let admin = Link::new([7; 32]);
    let mut anna = Client::new(&admin, Level::Edit, 1);
    let mut bob = Client::new(&admin, Level::Edit, 2);
    for c in [&mut anna, &mut bob] {
        c.log.roster_mut().add(genesis(&admin)).unwrap();
    }
    let (ae, be) = (anna.enrol(), bob.enrol());
    for c in [&mut anna, &mut bob] {
        c.log.roster_mut().add(ae.clone()).unwrap();
        c.log.roster_mut().add(be.clone()).unwrap();
    }
    let one = anna.write("one");
    let two = anna.write("forged: anna's second");
    let three = anna.write("three");
    let mut ex = Exchange::new();
    let out = bob.receive(
        &mut ex,
        Message::Envelopes(vec![three.clone(), one.clone()]),
    );
    // Three waits for two; one is taken.
    assert_eq!(out.taken.len(), 1);
    assert_eq!(bob.log.waiting(), 1);
    let out = bob.receive(&mut ex, Message::Envelopes(vec![two]));
    assert_eq!(out.refused, vec![TrustError::NotAllowed("forged content")]);
    assert!(matches!(&out.send[..], [Message::Refused { .. }]));
    assert_eq!(bob.log.vector().get(&anna.actor), Some(&1));
    assert_eq!(bob.opened, vec![b"one".to_vec()]);
    // Three stays out: everything after a refused change of an actor is blocked.
    assert_eq!(bob.log.waiting(), 1);
}

/// A snapshot by `maker` claiming to cover `covers` (its body is no document: a relay never
/// reads it).
fn snapshot_by(admin: &Link, maker: &Client, covers: Vector) -> Snapshot {
    let draft = Draft {
        kind: Kind::Snapshot,
        discovery: admin.discovery(),
        actor: &maker.actor,
        first: 0,
        last: 0,
        last_hash: covers_hash(&covers),
        epoch: 0,
    };
    let sealed = Sealed::seal(
        draft,
        b"the document",
        &admin.secret.read().seal,
        &maker.device,
        [9; 24],
    )
    .unwrap();
    Snapshot { sealed, covers }
}

#[test]
fn an_admin_s_snapshot_compacts_the_log_and_whoever_holds_less_is_served_it() {
    let admin = Link::new([7; 32]);
    let mut relay = Log::new(admin.discovery());
    let mut anna = Client::new(&admin, Level::Admin, 1);
    let mut ed = Client::new(&admin, Level::Edit, 2);
    for s in [genesis(&admin), anna.enrol(), ed.enrol()] {
        relay.add_statement(s, true).unwrap();
    }
    for i in 0..10 {
        relay.add(anna.write(&format!("a{i}"))).unwrap();
    }
    for i in 0..4 {
        relay.add(ed.write(&format!("e{i}"))).unwrap();
    }
    let full = relay.bytes();
    let (a_actor, e_actor) = (anna.actor.clone(), ed.actor.clone());
    let v = |a: u64, e: u64| -> Vector {
        [(a_actor.clone(), a), (e_actor.clone(), e)]
            .into_iter()
            .filter(|(_, s)| *s > 0)
            .collect()
    };

    // An editor's snapshot is served to newcomers, but the relay cannot check its body, so it
    // drops nothing under it (a garbage one would otherwise lose the history).
    assert_eq!(
        relay.add_snapshot(snapshot_by(&admin, &ed, v(6, 4))),
        Ok(true)
    );
    assert_eq!(relay.compact(), 0);
    assert_eq!(relay.envelope_count(), 14);

    // An admin's: every envelope it covers goes.
    assert_eq!(
        relay.add_snapshot(snapshot_by(&admin, &anna, v(8, 4))),
        Ok(true)
    );
    assert!(relay.compact() > 0);
    assert_eq!(relay.envelope_count(), 2);
    assert!(relay.bytes() < full / 2, "{} of {full}", relay.bytes());
    assert_eq!(relay.vector(), &v(10, 4));
    assert_eq!(relay.compact(), 0, "once");

    // Who holds less than what is left is served the snapshot and the rest.
    let served = |relay: &Log, holds: Vector| {
        let (s, tail) = relay.since(&holds);
        (s.is_some(), tail.len())
    };
    assert_eq!(served(&relay, Vector::new()), (true, 2));
    assert_eq!(served(&relay, v(5, 0)), (true, 2));
    assert_eq!(served(&relay, v(10, 2)), (true, 0));
    // Who holds the cover needs only envelopes.
    assert_eq!(served(&relay, v(8, 4)), (false, 2));
    assert_eq!(served(&relay, v(9, 4)), (false, 1));
    assert_eq!(served(&relay, v(10, 4)), (false, 0));

    // The stored records load back into the same log, which goes on taking changes.
    let mut again = Log::new(admin.discovery());
    again.replay(relay.records());
    assert_eq!(again.vector(), relay.vector());
    assert_eq!(again.envelope_count(), 2);
    assert_eq!(again.bytes(), relay.bytes());
    assert!(matches!(again.add(anna.write("a10")), Ok(Added::New(_))));

    // Served through the protocol: a client that held Anna's first five changes ends up
    // holding everything (a judge that checks the snapshot adopts its cover).
    let mut rx = Exchange::new();
    let mut late = Client::new(&admin, Level::Read, 3);
    for s in relay.statements() {
        late.log.roster_mut().add(s.clone()).unwrap();
    }
    late.log.adopt(&v(5, 0));
    let mut cx = Exchange::new();
    let hello = cx.hello(&late.log);
    let out = rx.receive(&mut relay, hello, &mut Relay);
    let snapshots = out
        .send
        .iter()
        .filter(|m| matches!(m, Message::Snapshot(_)))
        .count();
    assert_eq!(snapshots, 1);
    let mut judge = Adopting(Opener {
        key: late.link.secret.read().seal,
        opened: &mut late.opened,
    });
    for m in out.send {
        let got = cx.receive(&mut late.log, m, &mut judge);
        assert!(got.refused.is_empty(), "{:?}", got.refused);
    }
    assert_eq!(late.log.vector(), relay.vector());
    assert_eq!(late.opened, vec![b"a8".to_vec(), b"a9".to_vec()]);
}

/// A client judge that opens snapshots too (this test's snapshots hold no document: it takes
/// them as checked).
struct Adopting<'a>(Opener<'a>);

impl Judge for Adopting<'_> {
    fn envelope(&mut self, sealed: &Sealed, header: &Header, level: Level) -> Verdict {
        self.0.envelope(sealed, header, level)
    }
    fn adopts(&self) -> bool {
        true
    }
}

#[test]
fn newcomers_start_from_the_snapshot_of_an_editor() {
    let admin = Link::new([7; 32]);
    let mut relay = Log::new(admin.discovery());
    let mut anna = Client::new(&admin, Level::Edit, 1);
    let carol = Client::new(&admin, Level::Comment, 3);
    relay.roster_mut().add(genesis(&admin)).unwrap();
    relay.roster_mut().add(anna.enrol()).unwrap();
    relay.roster_mut().add(carol.enrol()).unwrap();
    anna.log.roster_mut().add(genesis(&admin)).unwrap();
    let e = anna.enrol();
    anna.log.roster_mut().add(e).unwrap();
    for i in 0..10 {
        relay.add(anna.write(&format!("{i}"))).unwrap();
    }
    let snapshot = |maker: &Client, covers: Vector| snapshot_by(&admin, maker, covers);
    let covers: Vector = [(anna.actor.clone(), 8)].into();
    // A commenter's snapshot would be served to every newcomer: refused.
    assert_eq!(
        relay.add_snapshot(snapshot(&carol, covers.clone())),
        Err(TrustError::NotAllowed("a snapshot not made by an editor"))
    );
    // A cover that is not the one signed.
    let mut lying = snapshot(&anna, covers.clone());
    lying.covers.insert(anna.actor.clone(), 10);
    assert_eq!(
        relay.add_snapshot(lying),
        Err(TrustError::Malformed("snapshot"))
    );
    assert_eq!(
        relay.add_snapshot(snapshot(&anna, covers.clone())),
        Ok(true)
    );
    // A newcomer gets the snapshot and changes 9 and 10; someone holding 5 gets 6 to 10.
    let (s, tail) = relay.since(&Vector::new());
    assert!(s.is_some());
    assert_eq!(tail.len(), 2);
    let (s, tail) = relay.since(&[(anna.actor.clone(), 5)].into());
    assert!(s.is_none());
    assert_eq!(tail.len(), 5);
    // A smaller snapshot does not replace a larger one.
    assert_eq!(
        relay.add_snapshot(snapshot(&anna, [(anna.actor.clone(), 3)].into())),
        Ok(false)
    );
}

proptest! {
    #[test]
    fn frames_round_trip_and_garbage_is_an_error(bytes in proptest::collection::vec(any::<u8>(), 0..400), seed in 1u8..200) {
        let admin = Link::new([seed; 32]);
        let mut anna = Client::new(&admin, Level::Edit, seed);
        let sealed = anna.write("x");
        let vector: Vector = [(anna.actor.clone(), 3u64)].into();
        let frames = vec![
            Message::Hello { discovery: admin.discovery(), vector: vector.clone(), statements: 2, roster: Some([seed; 32]) },
            Message::Hello { discovery: admin.discovery(), vector: vector.clone(), statements: 2, roster: None },
            Message::Statements(vec![genesis(&admin), anna.enrol()]),
            Message::Envelopes(vec![sealed.clone(), sealed.clone()]),
            Message::Snapshot(Snapshot { sealed, covers: vector.clone() }),
            Message::Synced { vector, statements: 3 },
            Message::Refused { reason: "no".into() },
        ];
        for m in frames {
            prop_assert_eq!(Message::decode(&m.encode(), 1 << 20).unwrap(), m);
        }
        let _ = Message::decode(&bytes, 1 << 20);
    }
}

#[test]
fn a_run_sent_backwards_is_taken_in_one_pass_with_one_check_each() {
    let admin = Link::new([7; 32]);
    let mut anna = Client::new(&admin, Level::Edit, 1);
    let mut bob = Client::new(&admin, Level::Edit, 2);
    for c in [&mut anna, &mut bob] {
        c.log.roster_mut().add(genesis(&admin)).unwrap();
    }
    let e = anna.enrol();
    anna.log.roster_mut().add(e.clone()).unwrap();
    bob.log.roster_mut().add(e).unwrap();
    let mut run: Vec<Sealed> = (0..500).map(|i| anna.write(&format!("{i}"))).collect();
    run.reverse();
    let mut ex = Exchange::new();
    let out = bob.receive(&mut ex, Message::Envelopes(run));
    assert_eq!(out.taken.len(), 500);
    assert_eq!(bob.log.vector().get(&anna.actor), Some(&500));
    // Each signature once: a hostile order costs no more than a kind one.
    assert_eq!(bob.log.checks(), 500);
}
