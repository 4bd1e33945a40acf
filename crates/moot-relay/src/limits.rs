//! What one client address may take of the relay: open connections, and new documents (each
//! one a document actor samod never evicts, and files on disk).

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

/// Open connections per client address (HTTP and `/sync` alike).
#[derive(Debug)]
pub(crate) struct PerAddress {
    max: usize,
    open: Mutex<HashMap<IpAddr, usize>>,
}

/// One open connection of an address; dropping it frees the place.
pub(crate) struct AddressSlot {
    owner: Arc<PerAddress>,
    address: IpAddr,
}

impl PerAddress {
    pub(crate) fn new(max: usize) -> Arc<Self> {
        Arc::new(Self {
            max,
            open: Mutex::default(),
        })
    }

    /// A place for one more connection from `address`, unless it has the most already.
    pub(crate) fn take(self: &Arc<Self>, address: IpAddr) -> Option<AddressSlot> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let count = open.entry(address).or_insert(0);
        if *count >= self.max {
            return None;
        }
        *count += 1;
        Some(AddressSlot {
            owner: self.clone(),
            address,
        })
    }
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut open = self.owner.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(count) = open.get_mut(&self.address) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.address);
            }
        }
    }
}

/// New documents (ids this relay has not stored) an address may ask for per window.
#[derive(Debug)]
pub(crate) struct NewDocuments {
    pub(crate) per_connection: usize,
    per_address: usize,
    window: Duration,
    seen: Mutex<HashMap<IpAddr, (Instant, usize)>>,
}

/// The most addresses remembered at once; the oldest windows are forgotten first.
const MAX_ADDRESSES: usize = 100_000;

impl NewDocuments {
    pub(crate) fn new(per_connection: usize, per_address: usize, window: Duration) -> Self {
        Self {
            per_connection,
            per_address,
            window,
            seen: Mutex::default(),
        }
    }

    /// Counts one new document for `address` at `now`; false once its window's quota is used.
    pub(crate) fn allow(&self, address: IpAddr, now: Instant) -> bool {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if seen.len() >= MAX_ADDRESSES && !seen.contains_key(&address) {
            let window = self.window;
            seen.retain(|_, (start, _)| now.duration_since(*start) < window);
        }
        let entry = seen.entry(address).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        if entry.1 >= self.per_address {
            return false;
        }
        entry.1 += 1;
        true
    }
}

/// Addresses that broke the protocol or their quota: their next `/sync` connections are
/// refused (429) before any WebSocket work, for a pause that doubles with each offence (up to
/// [`MAX_PAUSE`]). An honest client never sends a bad frame, so it never waits here; an
/// attacker's every retry costs the relay almost nothing.
#[derive(Debug, Default)]
pub(crate) struct Penalties {
    until: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

const FIRST_PAUSE: Duration = Duration::from_secs(2);
const MAX_PAUSE: Duration = Duration::from_secs(300);

impl Penalties {
    /// Records an offence by `address` at `now`.
    pub(crate) fn offend(&self, address: IpAddr, now: Instant) {
        let mut until = self.until.lock().unwrap_or_else(|p| p.into_inner());
        if until.len() >= MAX_ADDRESSES && !until.contains_key(&address) {
            until.retain(|_, (t, _)| *t > now);
        }
        let entry = until.entry(address).or_insert((now, 0));
        entry.1 = entry.1.saturating_add(1);
        let pause = FIRST_PAUSE
            .saturating_mul(1 << entry.1.min(16).saturating_sub(1))
            .min(MAX_PAUSE);
        entry.0 = now + pause;
    }

    /// Whether `address` must wait before connecting again.
    pub(crate) fn waiting(&self, address: IpAddr, now: Instant) -> bool {
        let until = self.until.lock().unwrap_or_else(|p| p.into_inner());
        until.get(&address).is_some_and(|(t, _)| *t > now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_gets_its_connections_back_when_they_close() {
        let limit = PerAddress::new(2);
        let a: IpAddr = [127, 0, 0, 1].into();
        let b: IpAddr = [10, 0, 0, 1].into();
        let first = limit.take(a).unwrap();
        let _second = limit.take(a).unwrap();
        assert!(limit.take(a).is_none(), "the third from one address waits");
        assert!(limit.take(b).is_some(), "another address is not affected");
        drop(first);
        assert!(limit.take(a).is_some());
    }

    #[test]
    fn offences_pause_an_address_longer_each_time() {
        let penalties = Penalties::default();
        let a: IpAddr = [127, 0, 0, 3].into();
        let t0 = Instant::now();
        assert!(!penalties.waiting(a, t0));
        penalties.offend(a, t0);
        assert!(penalties.waiting(a, t0 + Duration::from_secs(1)));
        assert!(!penalties.waiting(a, t0 + Duration::from_secs(2)));
        penalties.offend(a, t0 + Duration::from_secs(2));
        assert!(
            penalties.waiting(a, t0 + Duration::from_secs(5)),
            "4 s the second time"
        );
        assert!(
            !penalties.waiting([127, 0, 0, 2].into(), t0),
            "others are not affected"
        );
    }

    #[test]
    fn new_documents_per_address_are_counted_per_window() {
        let quota = NewDocuments::new(4, 3, Duration::from_secs(60));
        let a: IpAddr = [127, 0, 0, 1].into();
        let t0 = Instant::now();
        assert!((0..3).all(|_| quota.allow(a, t0)));
        assert!(!quota.allow(a, t0 + Duration::from_secs(59)));
        assert!(quota.allow([127, 0, 0, 2].into(), t0));
        assert!(quota.allow(a, t0 + Duration::from_secs(60)), "a new window");
    }
}
