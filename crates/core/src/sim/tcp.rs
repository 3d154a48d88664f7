//! What a cut mon-to-mon link does with the messages sent over it: TCP holds
//! them. Ceph's monitors talk over lossless msgr2 connections, and an
//! iptables DROP does not break a TCP connection: what a monitor sends waits
//! unacknowledged in its socket, and the kernel retransmits the first
//! unacknowledged segment with exponential backoff. After the heal nothing
//! flows until the next of those retransmissions; then everything held
//! arrives at once, in order (measured on ceph-mon 16.2.15, README "Cut and
//! restore").
//!
//! A one-way cut (packets from a to b dropped) holds a's data to b at once,
//! and b's data to a shortly after: a's acknowledgements of it are dropped,
//! b's congestion window collapses and nothing new leaves until an
//! acknowledgement gets through, at b's own next retransmission after the
//! restore. Measured on ceph-mon 16.2.15 (`cut a -> b` at 20 s, `restore a ->
//! b` at 50 s): a got b's backlog 23.8 s after the restore, b got a's 25.9 s
//! after it.

use crate::mon::messages::Message;
use crate::time::{Duration, Time, MS, SEC};
use crate::trace::{MsgId, NodeId};
use std::sync::Arc;

/// The first retransmission timeout of a loopback connection: Linux's
/// tcp_rto_min (200 ms) plus the smoothed round trip, which delayed
/// acknowledgements make a few tens of milliseconds for the monitors'
/// request/response traffic. Fitted to ceph-mon 16.2.15 runs: held messages
/// arrived 6.9 s (31 RTO) and 55.6 s (255 RTO) after they were sent, and
/// 53.8 s (255 RTO) after on a one-way cut; a 20 s → 90 s cut reunited at
/// 130.8 s (511 RTO), while a 20 s → 130 s cut did not resume within 200 s
/// (its 511-RTO retransmission came before the heal): 0.211–0.223 s.
pub const RTO_INITIAL: Duration = 215 * MS;
/// How long data keeps leaving a socket whose acknowledgements are cut off
/// (a one-way cut, the other way): until its retransmission timer and tail
/// loss probes collapse the congestion window. Measured on ceph-mon 16.2.15
/// (`cut a -> b` at 20 s): a kept receiving b's messages for 0.65 s, then
/// nothing until b's retransmission 53.8 s after the first unacknowledged one.
pub const ACKLESS_WINDOW: Duration = 650 * MS;
/// Linux's TCP_RTO_MAX: the backoff stops doubling there.
pub const RTO_MAX: Duration = 120 * SEC;
/// Retransmissions an orphaned socket (its process died) makes before the
/// kernel drops it: tcp_orphan_retries 0 means 8 (tcp_orphan_retries()).
pub const ORPHAN_RETRIES: u32 = 8;

/// The moment of the `k`-th retransmission (k ≥ 1) of a segment first sent at
/// `since`: since + RTO × (2^k − 1), each interval capped at [`RTO_MAX`].
pub fn retransmission(since: Time, k: u32) -> Time {
    let mut at = since;
    let mut rto = RTO_INITIAL;
    for _ in 0..k {
        at = at.saturating_add(rto);
        rto = (rto * 2).min(RTO_MAX);
    }
    at
}

/// The first retransmission of a segment first sent at `since` that falls
/// at or after `now`, and its number.
pub fn next_retransmission(since: Time, now: Time) -> (u32, Time) {
    let mut k = 1;
    let mut at = since.saturating_add(RTO_INITIAL);
    let mut rto = RTO_INITIAL;
    while at < now {
        rto = (rto * 2).min(RTO_MAX);
        at = at.saturating_add(rto);
        k += 1;
    }
    (k, at)
}

/// One direction of a connection whose data goes unacknowledged.
#[derive(Clone, Debug)]
pub struct Stall {
    /// The direction: (sender, receiver).
    pub link: (NodeId, NodeId),
    /// When its first unacknowledged segment was sent: the retransmission
    /// timer counts from there.
    pub since: Time,
    /// Messages waiting in the sender's socket, in send order.
    pub held: Vec<(MsgId, Arc<Message>)>,
    /// The sending process died while they waited: its socket is an orphan
    /// that the kernel retransmits only [`ORPHAN_RETRIES`] times.
    pub orphan: bool,
}

impl Stall {
    pub fn new(link: (NodeId, NodeId), since: Time) -> Stall {
        Stall {
            link,
            since,
            held: Vec::new(),
            orphan: false,
        }
    }

    /// Hold a message, keeping send (id) order: a released message that met
    /// a new cut comes back behind messages held since.
    pub fn hold(&mut self, id: MsgId, msg: Arc<Message>) {
        let at = self.held.partition_point(|(i, _)| *i < id);
        self.held.insert(at, (id, msg));
    }

    /// Whether data sent at `now` still leaves the socket although its
    /// acknowledgements cannot come back ([`ACKLESS_WINDOW`]).
    pub fn window_open(&self, now: Time) -> bool {
        now < self.since.saturating_add(ACKLESS_WINDOW)
    }

    /// When what it holds reaches the other side if the link is whole from
    /// `now`: at the next retransmission, or never (None) for an orphan
    /// that gave up first.
    pub fn resumes(&self, now: Time) -> Option<Time> {
        let (k, at) = next_retransmission(self.since, now);
        (!self.orphan || k <= ORPHAN_RETRIES).then_some(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retransmissions_back_off_from_the_first_held_segment() {
        assert_eq!(retransmission(0, 1), 215 * MS);
        assert_eq!(retransmission(0, 5), 31 * 215 * MS);
        assert_eq!(next_retransmission(0, 5 * SEC), (5, 6_665 * MS));
        assert_eq!(next_retransmission(0, 31 * 215 * MS), (5, 6_665 * MS));
        // Capped at TCP_RTO_MAX: after 0.215 s × 2^9 = 110 s the interval stays 120 s.
        let k10 = retransmission(0, 10);
        assert_eq!(retransmission(0, 11) - k10, RTO_MAX);
    }

    #[test]
    fn an_orphaned_socket_gives_up_after_its_retries() {
        let mut s = Stall::new((0, 1), 0);
        s.orphan = true;
        assert_eq!(s.resumes(50 * SEC), Some(retransmission(0, 8)));
        assert_eq!(s.resumes(60 * SEC), None);
        s.orphan = false;
        assert_eq!(s.resumes(60 * SEC), Some(retransmission(0, 9)));
    }
}
