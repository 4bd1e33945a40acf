//! How long a client waits before reconnecting (sans-IO: the caller owns the timer).
//!
//! A dropped link is retried after 0.5 s, doubling to 5 s. A link dropped because the peer's
//! messages failed (a bad frame, a sync message automerge refuses, as when someone forged a
//! change under this device's actor) waits at least 5 s and doubles up to 2 minutes, so a
//! relay that keeps sending the same poison is not hammered twice a second. Only a link that
//! reached "up to date" starts again from 0.5 s: merely opening a socket proves nothing.

/// The first pause after a drop, in milliseconds.
pub const FIRST_MS: u32 = 500;
/// The longest pause after plain drops.
pub const MOST_MS: u32 = 5_000;
/// The longest pause while the peer's messages keep failing.
pub const MOST_AFTER_ERRORS_MS: u32 = 120_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backoff {
    next_ms: u32,
    protocol_errors: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            next_ms: FIRST_MS,
            protocol_errors: 0,
        }
    }
}

impl Backoff {
    /// The pause before the next attempt; the one after it is longer.
    pub fn next_delay_ms(&mut self) -> u32 {
        let most = if self.protocol_errors > 0 {
            MOST_AFTER_ERRORS_MS
        } else {
            MOST_MS
        };
        let delay = self.next_ms.min(most);
        self.next_ms = delay.saturating_mul(2).min(most);
        delay
    }

    /// The peer sent something this side had to refuse; the link is being dropped.
    pub fn protocol_error(&mut self) {
        self.protocol_errors = self.protocol_errors.saturating_add(1);
        self.next_ms = self.next_ms.max(MOST_MS);
    }

    /// The link synced: the next drop is retried quickly again.
    pub fn synced(&mut self) {
        *self = Self::default();
    }

    /// Protocol errors since the link last synced.
    pub fn protocol_errors(&self) -> u32 {
        self.protocol_errors
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delays(b: &mut Backoff, n: usize) -> Vec<u32> {
        (0..n).map(|_| b.next_delay_ms()).collect()
    }

    #[test]
    fn plain_drops_double_to_five_seconds() {
        let mut b = Backoff::default();
        assert_eq!(delays(&mut b, 6), [500, 1000, 2000, 4000, 5000, 5000]);
    }

    #[test]
    fn repeated_protocol_errors_back_off_to_two_minutes_and_only_a_sync_resets() {
        let mut b = Backoff::default();
        let mut seen = Vec::new();
        for _ in 0..8 {
            // Each attempt connects, then fails on the poisoned message.
            b.protocol_error();
            seen.push(b.next_delay_ms());
        }
        assert_eq!(
            seen,
            [
                5000, 10_000, 20_000, 40_000, 80_000, 120_000, 120_000, 120_000
            ]
        );
        assert_eq!(b.protocol_errors(), 8);
        b.synced();
        assert_eq!(b, Backoff::default());
        assert_eq!(b.next_delay_ms(), FIRST_MS);
    }
}
