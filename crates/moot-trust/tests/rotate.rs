//! Key rotation after a removal: the devices that stay move to the next epoch's keys, a removed
//! device and an old link read nothing sealed after it and enrol nobody, a newcomer with a new
//! link reads everything from the start, and nothing a peer sends can make a device adopt keys
//! the admin did not make.

use moot_trust::*;

fn counter() -> impl FnMut() -> [u8; 32] {
    let mut n = 0u8;
    move || {
        n = n.wrapping_add(1);
        [n; 32]
    }
}

struct World {
    admin: Link,
    roster: Roster,
}

impl World {
    fn new() -> World {
        let admin = Link::new([7; 32]);
        let mut roster = Roster::new(admin.discovery());
        let genesis = Statement::genesis(&admin).unwrap();
        roster
            .add(genesis.sign(&admin.secret.signing_key().unwrap()))
            .unwrap();
        World { admin, roster }
    }

    /// Enrols `device` with `link` (as the device itself does), checked as a relay checks.
    fn enrol(&mut self, link: &Link, device: &DeviceKey) -> Result<(), TrustError> {
        let signed = Statement::Enrol {
            discovery: link.discovery(),
            device: device.public().to_bytes(),
            level: link.level(),
        }
        .sign(&link.secret.signing_key().unwrap());
        self.roster.check(&signed)?;
        self.roster.add(signed).map(|_| ())
    }

    /// Removes `device` and rotates the keys, as the app does.
    fn remove_and_rotate(&mut self, device: &DeviceKey) -> Signed {
        let key = self.admin.secret.signing_key().unwrap();
        let removal = Statement::Remove {
            discovery: self.admin.discovery(),
            device: device.public().to_bytes(),
            keep: Vec::new(),
        }
        .sign(&key);
        self.roster.check(&removal).unwrap();
        self.roster.add(removal).unwrap();
        let rekey = rotation(&self.admin, &self.roster, counter())
            .unwrap()
            .sign(&key);
        self.roster.check(&rekey).unwrap();
        self.roster.add(rekey.clone()).unwrap();
        self.admin = rotated_link(&self.admin, &DeviceKey::from_seed([0; 32]), &self.roster)
            .expect("the admin link moves to the new epoch");
        rekey
    }
}

fn seal(
    link: &Link,
    device: &DeviceKey,
    keys: &std::collections::BTreeMap<u32, SealKey>,
    text: &[u8],
) -> Sealed {
    let actor = device.actor([1; 8]);
    let draft = Draft {
        kind: Kind::Changes,
        discovery: link.discovery(),
        actor: &actor,
        first: 1,
        last: 1,
        last_hash: [0; 32],
        epoch: link.epoch(),
    };
    Sealed::seal(draft, text, &keys[&link.epoch()], device, [5; 24]).unwrap()
}

#[test]
fn links_of_a_rotated_epoch_round_trip_and_keep_the_workspace_s_names() {
    let mut w = World::new();
    let gone = DeviceKey::from_seed([2; 32]);
    w.enrol(&w.admin.at(Level::Edit).unwrap(), &gone).unwrap();
    let epoch0 = w.admin.clone();
    w.remove_and_rotate(&gone);
    assert_eq!(w.admin.epoch(), 1);
    for level in Level::ALL {
        let link = w.admin.at(level).unwrap();
        let text = link.encode();
        assert!(text.len() <= 150, "{}", text.len());
        let back = Link::decode(&text).unwrap();
        assert_eq!(back, link);
        assert_eq!(back.epoch(), 1);
        // The workspace keeps its discovery id and local document id in every epoch.
        assert_eq!(back.discovery(), epoch0.discovery());
        assert_eq!(back.secret.read().document, epoch0.secret.read().document);
        // Epoch 1's keys are not epoch 0's.
        if level < Level::Admin {
            assert_ne!(back.secret, epoch0.at(level).unwrap().secret);
        }
    }
    // Epoch 0 links still use the short form, and read as before.
    let old = epoch0.at(Level::Comment).unwrap();
    assert_eq!(Link::decode(&old.encode()).unwrap(), old);
    // An admin link whose seed does not make its key, or of another workspace's origin.
    let mut raw = bs58::decode(w.admin.encode())
        .with_check(None)
        .into_vec()
        .unwrap();
    raw[10] ^= 1; // inside the origin
    let forged = bs58::encode(&raw).with_check().into_string();
    assert!(Link::decode(&forged).is_err());
    // A cut, long or damaged link is refused without a panic.
    let text = w.admin.at(Level::Read).unwrap().encode();
    assert!(Link::decode(&text[..text.len() - 3]).is_err());
    assert!(Link::decode(&"1".repeat(151)).is_err());
}

#[test]
fn a_removed_device_reads_nothing_sealed_after_its_removal_and_the_rest_read_everything() {
    let mut w = World::new();
    let (ann, bob, cat) = (
        DeviceKey::from_seed([1; 32]),
        DeviceKey::from_seed([2; 32]),
        DeviceKey::from_seed([3; 32]),
    );
    let edit = w.admin.at(Level::Edit).unwrap();
    let comment = w.admin.at(Level::Comment).unwrap();
    w.enrol(&edit, &ann).unwrap();
    w.enrol(&comment, &bob).unwrap();
    w.enrol(&edit, &cat).unwrap();
    let before = seal(
        &edit,
        &ann,
        &seal_keys(&edit, &w.roster),
        b"before the removal",
    );

    w.remove_and_rotate(&cat);
    assert_eq!(w.roster.epoch(), 1);

    // Ann and Bob move to epoch 1 at their own level; Cat gets nothing.
    let ann_link = rotated_link(&edit, &ann, &w.roster).expect("Ann stays");
    assert_eq!((ann_link.level(), ann_link.epoch()), (Level::Edit, 1));
    assert_eq!(ann_link, w.admin.at(Level::Edit).unwrap());
    let bob_link = rotated_link(&comment, &bob, &w.roster).expect("Bob stays");
    assert_eq!((bob_link.level(), bob_link.epoch()), (Level::Comment, 1));
    assert!(rotated_link(&edit, &cat, &w.roster).is_none());
    // Someone else's sealed secret opens for nobody but them.
    assert!(rotated_link(&edit, &DeviceKey::from_seed([9; 32]), &w.roster).is_none());

    let ann_keys = seal_keys(&ann_link, &w.roster);
    let bob_keys = seal_keys(&bob_link, &w.roster);
    let cat_keys = seal_keys(&edit, &w.roster);
    assert_eq!(ann_keys.keys().copied().collect::<Vec<_>>(), [0, 1]);
    assert_eq!(bob_keys.keys().copied().collect::<Vec<_>>(), [0, 1]);
    assert_eq!(cat_keys.keys().copied().collect::<Vec<_>>(), [0]);

    let after = seal(&ann_link, &ann, &ann_keys, b"after the removal");
    assert_eq!(after.verify().unwrap().epoch, 1);
    // Everyone who stays reads both; Cat only what came before.
    for keys in [&ann_keys, &bob_keys] {
        assert_eq!(before.open(&keys[&0]).unwrap().1, b"before the removal");
        assert_eq!(after.open(&keys[&1]).unwrap().1, b"after the removal");
    }
    assert_eq!(before.open(&cat_keys[&0]).unwrap().1, b"before the removal");
    assert!(matches!(
        after.open(&cat_keys[&0]),
        Err(TrustError::CannotOpen)
    ));
    assert!(!after.body.windows(5).any(|w| w == b"after"));

    // A relay's log takes the epoch 1 envelope once it knows the rotation, and refuses one
    // sealed under an epoch nobody made.
    let mut log = Log::new(w.admin.discovery());
    for s in w.roster.statements() {
        log.add_statement(s.clone(), true).unwrap();
    }
    assert!(matches!(log.add(after), Ok(Added::New(_))));
    let mut future = ann_link.clone();
    future.secret = w.admin.secret.in_epoch(5).unwrap().at(Level::Edit).unwrap();
    let dan = DeviceKey::from_seed([4; 32]);
    let mut keys = std::collections::BTreeMap::new();
    keys.insert(5, future.secret.read().seal);
    let bogus = seal(&future, &dan, &keys, b"x");
    assert!(log.add(bogus).is_err());
}

#[test]
fn the_links_a_removed_person_holds_enrol_nobody_after_the_rotation() {
    let mut w = World::new();
    let old_edit = w.admin.at(Level::Edit).unwrap();
    let old_comment = w.admin.at(Level::Comment).unwrap();
    let ann = DeviceKey::from_seed([1; 32]);
    let cat = DeviceKey::from_seed([3; 32]);
    w.enrol(&old_edit, &ann).unwrap();
    w.enrol(&old_edit, &cat).unwrap();
    w.remove_and_rotate(&cat);

    // Cat's new device, with the edit and comment links she still holds: refused by a relay.
    let cat2 = DeviceKey::from_seed([4; 32]);
    for link in [&old_edit, &old_comment] {
        assert!(matches!(
            w.enrol(link, &cat2),
            Err(TrustError::NotAllowed(_))
        ));
    }
    // Held anyway (a peer got it before the rotation): it grants nothing.
    let signed = Statement::Enrol {
        discovery: old_edit.discovery(),
        device: cat2.public().to_bytes(),
        level: Level::Edit,
    }
    .sign(&old_edit.secret.signing_key().unwrap());
    w.roster.add(signed).unwrap();
    assert_eq!(w.roster.accepts(&cat2.actor([1; 8]), 1), None);
    // Ann, enrolled before and kept by the rotation, still writes.
    assert_eq!(w.roster.accepts(&ann.actor([1; 8]), 1), Some(Level::Edit));
    // A newcomer with the new link enrols.
    let eve = DeviceKey::from_seed([5; 32]);
    w.enrol(&w.admin.at(Level::Comment).unwrap(), &eve).unwrap();
    assert_eq!(
        w.roster.accepts(&eve.actor([1; 8]), 1),
        Some(Level::Comment)
    );
}

#[test]
fn what_a_rotation_grants_does_not_depend_on_arrival_order() {
    let mut w = World::new();
    let old_edit = w.admin.at(Level::Edit).unwrap();
    let ann = DeviceKey::from_seed([1; 32]);
    let cat = DeviceKey::from_seed([3; 32]);
    let late = DeviceKey::from_seed([6; 32]);
    w.enrol(&old_edit, &ann).unwrap();
    w.enrol(&old_edit, &cat).unwrap();
    w.remove_and_rotate(&cat);
    let late_enrol = Statement::Enrol {
        discovery: old_edit.discovery(),
        device: late.public().to_bytes(),
        level: Level::Edit,
    }
    .sign(&old_edit.secret.signing_key().unwrap());
    let mut all: Vec<Signed> = w.roster.statements().cloned().collect();
    all.push(late_enrol);
    let verdict = |order: &[Signed]| {
        let mut r = Roster::new(w.admin.discovery());
        for s in order {
            r.add(s.clone()).unwrap();
        }
        (
            r.epoch(),
            r.accepts(&ann.actor([1; 8]), 1),
            r.accepts(&cat.actor([1; 8]), 1),
            r.accepts(&late.actor([1; 8]), 1),
        )
    };
    let forward = verdict(&all);
    all.reverse();
    assert_eq!(verdict(&all), forward);
    all.rotate_left(2);
    assert_eq!(verdict(&all), forward);
    assert_eq!(forward, (1, Some(Level::Edit), None, None));
}

#[test]
fn a_newcomer_with_a_link_of_a_later_epoch_reads_every_epoch_before_it() {
    let mut w = World::new();
    let edit = w.admin.at(Level::Edit).unwrap();
    let ann = DeviceKey::from_seed([1; 32]);
    let (b, c) = (DeviceKey::from_seed([2; 32]), DeviceKey::from_seed([3; 32]));
    w.enrol(&edit, &ann).unwrap();
    w.enrol(&edit, &b).unwrap();
    w.enrol(&edit, &c).unwrap();
    let e0 = seal(&edit, &ann, &seal_keys(&edit, &w.roster), b"epoch zero");
    w.remove_and_rotate(&b);
    let ann1 = rotated_link(&edit, &ann, &w.roster).unwrap();
    let e1 = seal(&ann1, &ann, &seal_keys(&ann1, &w.roster), b"epoch one");
    w.remove_and_rotate(&c);
    assert_eq!(w.roster.epoch(), 2);
    // Ann, still at epoch 0 when she comes back online, moves straight to epoch 2.
    assert_eq!(rotated_link(&edit, &ann, &w.roster).unwrap().epoch(), 2);

    let read = Link::decode(&w.admin.at(Level::Read).unwrap().encode()).unwrap();
    let keys = seal_keys(&read, &w.roster);
    assert_eq!(keys.keys().copied().collect::<Vec<_>>(), [0, 1, 2]);
    assert_eq!(e0.open(&keys[&0]).unwrap().1, b"epoch zero");
    assert_eq!(e1.open(&keys[&1]).unwrap().1, b"epoch one");
    // Without the rotations (a roster that has not heard of them) it reads its own epoch only.
    let bare = Roster::new(read.discovery());
    assert_eq!(seal_keys(&read, &bare).len(), 1);
}

#[test]
fn only_the_admin_key_rotates_and_a_damaged_rotation_gives_no_keys() {
    let mut w = World::new();
    let edit = w.admin.at(Level::Edit).unwrap();
    let ann = DeviceKey::from_seed([1; 32]);
    w.enrol(&edit, &ann).unwrap();
    let rekey = rotation(&w.admin, &w.roster, counter()).unwrap();
    // Signed by the edit key or a device: refused by a relay, and counts for no peer.
    for key in [edit.secret.signing_key().unwrap(), ann.signing().clone()] {
        let forged = rekey.sign(&key);
        assert!(matches!(
            w.roster.check(&forged),
            Err(TrustError::NotAllowed(_))
        ));
        let mut r = w.roster.clone();
        r.add(forged).unwrap();
        assert_eq!(r.epoch(), 0);
    }
    assert!(rotation(&edit, &w.roster, counter()).is_err());
    // A rotation whose secret for Ann is damaged: she keeps her link (and is told nothing
    // false); the round trip of the statement itself is exact.
    let Statement::Rekey {
        discovery,
        epoch,
        edit: ek,
        comment,
        previous,
        mut devices,
    } = rekey
    else {
        unreachable!()
    };
    devices[0].2[70] ^= 1;
    let damaged = Statement::Rekey {
        discovery,
        epoch,
        edit: ek,
        comment,
        previous,
        devices,
    };
    assert_eq!(Statement::decode(&damaged.encode()).unwrap(), damaged);
    let mut r = w.roster.clone();
    r.add(damaged.sign(&w.admin.secret.signing_key().unwrap()))
        .unwrap();
    assert_eq!(r.epoch(), 1);
    assert!(rotated_link(&edit, &ann, &r).is_none());
    // Malformed bytes of every length decode to an error, never a panic.
    let bytes = damaged.encode();
    for n in 0..bytes.len() {
        assert!(Statement::decode(&bytes[..n]).is_err());
    }
}
