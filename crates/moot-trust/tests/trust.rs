//! Links, rosters and envelopes: what each level grants, that nothing grants more, and that
//! damaged or forged input is refused with an error, never a panic.

use moot_trust::*;
use proptest::prelude::*;

fn admin() -> Link {
    Link::new([7; 32])
}

fn key(link: &Link, level: Level) -> SigningKey {
    link.at(level).unwrap().secret.signing_key().unwrap()
}

fn roster(link: &Link) -> Roster {
    let mut r = Roster::new(link.discovery());
    let genesis = Statement::genesis(link).unwrap();
    assert!(r.add(genesis.sign(&key(link, Level::Admin))).unwrap());
    r
}

/// What a relay does with a statement: check, then add.
fn admit(r: &mut Roster, s: Signed) -> Result<bool, TrustError> {
    r.check(&s)?;
    r.add(s)
}

fn enrol(link: &Link, device: &DeviceKey, level: Level, by: Level) -> Signed {
    Statement::Enrol {
        discovery: link.discovery(),
        device: device.public().to_bytes(),
        level,
    }
    .sign(&key(link, by))
}

#[test]
fn levels_derive_down_and_never_up() {
    let admin = admin();
    for level in Level::ALL {
        let link = admin.at(level).unwrap();
        let back = Link::decode(&link.encode()).unwrap();
        assert_eq!(back, link);
        assert_eq!(back.level(), level);
        // The same workspace at every level: one discovery id, one document, one read key.
        assert_eq!(back.discovery(), admin.discovery());
        assert_eq!(back.secret.read().document, admin.secret.read().document);
        assert_eq!(back.secret.read().seal, admin.secret.read().seal);
        for above in Level::ALL.into_iter().filter(|l| *l > level) {
            assert!(link.at(above).is_none(), "{level} derived {above}");
        }
        for below in Level::ALL.into_iter().filter(|l| *l <= level) {
            assert_eq!(link.at(below).unwrap(), admin.at(below).unwrap());
        }
    }
    // Every writing level has its own key; read signs nothing.
    let keys: Vec<_> = [Level::Admin, Level::Edit, Level::Comment]
        .map(|l| admin.at(l).unwrap().secret.verifying_key().unwrap())
        .into();
    assert_ne!(keys[0], keys[1]);
    assert_ne!(keys[1], keys[2]);
    assert!(
        admin
            .at(Level::Read)
            .unwrap()
            .secret
            .signing_key()
            .is_none()
    );
    // Another workspace shares nothing.
    let other = Link::new([8; 32]);
    assert_ne!(other.discovery(), admin.discovery());
    assert_ne!(other.secret.read().seal, admin.secret.read().seal);
}

#[test]
fn damaged_links_are_refused() {
    let text = admin().at(Level::Edit).unwrap().encode();
    let mut damaged = text.clone().into_bytes();
    damaged[10] = if damaged[10] == b'2' { b'3' } else { b'2' };
    let damaged = String::from_utf8(damaged).unwrap();
    assert_eq!(
        Link::decode(&damaged),
        Err(TrustError::BadLink("damaged or not a moot link"))
    );
    assert!(Link::decode(&text[..text.len() - 1]).is_err());
    assert_eq!(
        Link::decode(&"1".repeat(5000)),
        Err(TrustError::BadLink("too long"))
    );
    assert!(Link::decode("").is_err());
    // An admin link whose key is not its seed's is a forgery (it would let the holder sign as
    // an admin of a workspace whose genesis names another key).
    let mut raw = bs58::decode(admin().encode())
        .with_check(None)
        .into_vec()
        .unwrap();
    raw[34..66].copy_from_slice(Link::new([9; 32]).admin.as_bytes());
    let forged = bs58::encode(&raw).with_check().into_string();
    assert_eq!(
        Link::decode(&forged),
        Err(TrustError::BadLink("admin key does not match its seed"))
    );
}

#[test]
fn a_roster_grants_what_the_keys_of_each_level_sign() {
    let admin = admin();
    let mut r = roster(&admin);
    let anna = DeviceKey::from_seed([1; 32]);
    let bob = DeviceKey::from_seed([2; 32]);
    let carol = DeviceKey::from_seed([3; 32]);
    let anna_tab = anna.actor([0; 8]);

    // Not enrolled: nothing is accepted, whoever signs.
    assert_eq!(r.accepts(&anna_tab, 1), None);
    // A comment key enrols at comment, never at edit.
    assert_eq!(
        admit(&mut r, enrol(&admin, &anna, Level::Edit, Level::Comment)),
        Err(TrustError::NotAllowed(
            "an enrolment not signed by a key of that level, or by a link the keys rotated away from"
        ))
    );
    assert_eq!(
        admit(&mut r, enrol(&admin, &anna, Level::Comment, Level::Comment)),
        Ok(true)
    );
    assert_eq!(
        admit(&mut r, enrol(&admin, &anna, Level::Comment, Level::Comment)),
        Ok(false)
    );
    assert_eq!(r.accepts(&anna_tab, 1), Some(Level::Comment));
    assert_eq!(r.accepts(&anna.actor([5; 8]), 1), Some(Level::Comment));
    // A higher key may enrol lower; the highest enrolment counts.
    admit(&mut r, enrol(&admin, &bob, Level::Comment, Level::Edit)).unwrap();
    admit(&mut r, enrol(&admin, &bob, Level::Edit, Level::Edit)).unwrap();
    assert_eq!(r.level_of(&bob.public().to_bytes()), Some(Level::Edit));
    // A device key cannot sign enrolments, even an admin's.
    admit(&mut r, enrol(&admin, &carol, Level::Admin, Level::Admin)).unwrap();
    let dave = DeviceKey::from_seed([4; 32]);
    let by_device = Statement::Enrol {
        discovery: admin.discovery(),
        device: dave.public().to_bytes(),
        level: Level::Comment,
    }
    .sign(carol.signing());
    assert!(admit(&mut r, by_device).is_err());
    // An actor id not bound to a key is never accepted.
    assert_eq!(r.accepts(&[1; 16], 1), None);
    assert_eq!(r.accepts(&[], 1), None);

    // Removal: only an admin (key or device); what it keeps stays accepted.
    let remove = Statement::Remove {
        discovery: admin.discovery(),
        device: anna.public().to_bytes(),
        keep: vec![(anna_tab.clone(), 3)],
    };
    assert!(admit(&mut r, remove.sign(bob.signing())).is_err());
    assert!(admit(&mut r, remove.sign(&key(&admin, Level::Edit))).is_err());
    assert_eq!(admit(&mut r, remove.sign(carol.signing())), Ok(true));
    assert_eq!(r.accepts(&anna_tab, 3), Some(Level::Comment));
    assert_eq!(r.accepts(&anna_tab, 4), None);
    assert_eq!(r.accepts(&anna.actor([5; 8]), 1), None);
    assert!(r.is_removed(&anna.public().to_bytes()));
    // A second removal keeping less wins, whichever came first.
    let stricter = Statement::Remove {
        discovery: admin.discovery(),
        device: anna.public().to_bytes(),
        keep: vec![(anna_tab.clone(), 1)],
    };
    admit(&mut r, stricter.sign(&key(&admin, Level::Admin))).unwrap();
    assert_eq!(r.accepts(&anna_tab, 2), None);
    assert_eq!(r.accepts(&anna_tab, 1), Some(Level::Comment));
    // Bob and Carol write on.
    assert_eq!(r.accepts(&bob.actor([0; 8]), 99), Some(Level::Edit));
}

#[test]
fn genesis_and_statements_of_other_workspaces_are_refused() {
    let admin = admin();
    let other = Link::new([8; 32]);
    let mut r = Roster::new(admin.discovery());
    // Someone's own keys cannot claim this workspace's id.
    let mut squat = Statement::genesis(&other).unwrap();
    if let Statement::Genesis { discovery, .. } = &mut squat {
        *discovery = admin.discovery();
    }
    assert!(matches!(
        admit(&mut r, squat.sign(&key(&other, Level::Admin))),
        Err(TrustError::NotAllowed(_))
    ));
    // A genesis signed by anyone but its admin.
    let genesis = Statement::genesis(&admin).unwrap();
    assert!(admit(&mut r, genesis.sign(&key(&admin, Level::Edit))).is_err());
    let stranger = DeviceKey::from_seed([1; 32]);
    assert_eq!(
        admit(&mut r, enrol(&other, &stranger, Level::Edit, Level::Edit)),
        Err(TrustError::OtherWorkspace)
    );
    // A flipped bit anywhere in a signed statement.
    let signed = genesis.sign(&key(&admin, Level::Admin));
    let bytes = signed.encode();
    for i in 0..bytes.len() {
        let mut b = bytes.clone();
        b[i] ^= 0x01;
        if let Ok(s) = Signed::decode(&b) {
            assert!(s.verify().is_err() || s == signed, "bit {i}");
        }
    }
    assert_eq!(admit(&mut r, signed), Ok(true));
    assert!(r.has_genesis());
}

#[test]
fn envelopes_open_only_with_the_key_and_forgeries_fail() {
    let link = admin();
    let device = DeviceKey::from_seed([1; 32]);
    let actor = device.actor([2; 8]);
    let draft = Draft {
        kind: Kind::Changes,
        discovery: link.discovery(),
        actor: &actor,
        first: 1,
        last: 4,
        last_hash: [5; 32],
        epoch: 0,
    };
    let key = link.secret.read().seal;
    let plain = "Stewards réunis".repeat(100);
    let sealed = Sealed::seal(draft.clone(), plain.as_bytes(), &key, &device, [3; 24]).unwrap();
    let back = Sealed::decode(&sealed.encode(), 1 << 20).unwrap();
    assert_eq!(back, sealed);
    let (header, opened) = back.open(&key).unwrap();
    assert_eq!(opened, plain.as_bytes());
    assert_eq!((header.first, header.last, &header.actor), (1, 4, &actor));
    // The body hides the text.
    assert!(!sealed.body.windows(8).any(|w| w == b"Stewards"));
    // Another workspace's key cannot open it.
    let other = Link::new([8; 32]).secret.read().seal;
    assert_eq!(sealed.open(&other), Err(TrustError::CannotOpen));
    // An author may seal only under its own actors.
    let mallory = DeviceKey::from_seed([6; 32]);
    assert_eq!(
        Sealed::seal(draft.clone(), b"x", &key, &mallory, [3; 24]),
        Err(TrustError::UnboundActor)
    );
    // Any flipped bit is refused by the check a relay makes.
    let bytes = sealed.encode();
    for i in (0..bytes.len()).step_by(7) {
        let mut b = bytes.clone();
        b[i] ^= 0x10;
        if let Ok(s) = Sealed::decode(&b, 1 << 20) {
            assert!(s.verify().is_err(), "byte {i}");
        }
    }
    // A certificate proves authorship on its own, after the body is gone.
    assert_eq!(sealed.certificate.verify().unwrap(), header);
    let cert = Certificate::decode(&sealed.certificate.encode()).unwrap();
    assert_eq!(cert, sealed.certificate);
    // Too large for the caller's limit.
    assert_eq!(Sealed::decode(&bytes, 100), Err(TrustError::TooLarge));
}

fn statements(link: &Link) -> Vec<Signed> {
    let devices: Vec<DeviceKey> = (1..=4).map(|i| DeviceKey::from_seed([i; 32])).collect();
    let mut out = vec![
        Statement::genesis(link)
            .unwrap()
            .sign(&key(link, Level::Admin)),
    ];
    out.push(enrol(link, &devices[0], Level::Admin, Level::Admin));
    out.push(enrol(link, &devices[1], Level::Edit, Level::Admin));
    out.push(enrol(link, &devices[2], Level::Comment, Level::Comment));
    out.push(enrol(link, &devices[2], Level::Edit, Level::Edit));
    out.push(enrol(link, &devices[3], Level::Comment, Level::Edit));
    let remove = |d: &DeviceKey, keep: u64| Statement::Remove {
        discovery: link.discovery(),
        device: d.public().to_bytes(),
        keep: vec![(d.actor([0; 8]), keep)],
    };
    out.push(remove(&devices[1], 5).sign(devices[0].signing()));
    out.push(remove(&devices[0], 2).sign(&key(link, Level::Admin)));
    out.push(remove(&devices[3], 9).sign(devices[0].signing()));
    out.push(remove(&devices[3], 4).sign(&key(link, Level::Admin)));
    // Removed by the admin key, device 0 removes no one (device 2 writes on).
    out.push(remove(&devices[2], 0).sign(devices[0].signing()));
    out
}

proptest! {
    /// A relay and every peer see statements in their own order, and must grant the same.
    #[test]
    fn a_roster_does_not_depend_on_arrival_order(order in Just((0..11usize).collect::<Vec<_>>()).prop_shuffle()) {
        let link = admin();
        let all = statements(&link);
        let mut reference = Roster::new(link.discovery());
        for s in &all {
            reference.add(s.clone()).unwrap();
        }
        let mut r = Roster::new(link.discovery());
        for i in order {
            prop_assert_eq!(r.add(all[i].clone()), Ok(true));
        }
        // A relay, checking each in the order a roster hands them out, refuses exactly what
        // grants nothing (the removals signed by the device the admin key removed), and
        // grants the same.
        let mut relay = Roster::new(link.discovery());
        let mut refused = Vec::new();
        for s in reference.statements() {
            if admit(&mut relay, s.clone()).is_err() {
                refused.push(s.signer);
            }
        }
        let removed_admin = DeviceKey::from_seed([1; 32]).public().to_bytes();
        prop_assert_eq!(refused, vec![removed_admin; 3]);
        prop_assert_eq!(relay.devices().collect::<Vec<_>>(), reference.devices().collect::<Vec<_>>());
        let device = |i: u8| DeviceKey::from_seed([i; 32]).actor([0; 8]);
        prop_assert_eq!(reference.accepts(&device(3), 50), Some(Level::Edit));
        prop_assert_eq!(reference.accepts(&device(1), 2), Some(Level::Admin));
        prop_assert_eq!(reference.accepts(&device(1), 3), None);
        prop_assert_eq!(reference.accepts(&device(2), 6), Some(Level::Edit));
        prop_assert_eq!(reference.accepts(&device(4), 4), Some(Level::Comment));
        prop_assert_eq!(reference.accepts(&device(4), 5), None);
        prop_assert_eq!(r.devices().collect::<Vec<_>>(), reference.devices().collect::<Vec<_>>());
        for d in 1..=4u8 {
            let actor = DeviceKey::from_seed([d; 32]).actor([0; 8]);
            for seq in 0..12 {
                prop_assert_eq!(r.accepts(&actor, seq), reference.accepts(&actor, seq));
            }
        }
    }

    #[test]
    fn garbage_is_an_error_never_a_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300), text in ".{0,120}") {
        let _ = Sealed::decode(&bytes, 1 << 16).map(|s| s.verify());
        let _ = Certificate::decode(&bytes).map(|c| c.verify());
        let _ = Signed::decode(&bytes).map(|s| s.verify());
        let _ = Statement::decode(&bytes);
        let _ = Link::decode(&text);
        let _ = key_of_actor(&bytes);
        let mut r = Roster::new([0; 16]);
        if let Ok(s) = Signed::decode(&bytes) {
            prop_assert!(admit(&mut r, s).is_err());
        }
    }
}
