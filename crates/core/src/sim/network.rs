//! The simulated network: per-link latency and loss, one-way and two-way
//! cuts. Links are FIFO, as Ceph's messenger connections are: a message never
//! overtakes an earlier one on the same link, whatever latency it drew. A cut
//! mon-to-mon link holds what is sent over it, as TCP does (see `tcp.rs`).

use super::rng::Pcg32;
use super::tcp::Stall;
use crate::mon::messages::Message;
use crate::mon::vecmap::VecMap;
use crate::scenario::ast::{Latency, LinkRule, LinkSetting, Ppb};
use crate::time::{Duration, Time};
use crate::trace::{MsgId, NodeId};
use std::sync::Arc;

#[derive(Clone, Debug)]
pub struct Network {
    latency: Latency,
    loss: Ppb,
    link_latency: VecMap<(NodeId, NodeId), Latency>,
    link_loss: VecMap<(NodeId, NodeId), Ppb>,
    /// Cut directions, sorted: a plain list (there are few), which keeps
    /// a set's code out of the page's wasm.
    cuts: Vec<(NodeId, NodeId)>,
    /// Each link's latest arrival (FIFO order): row `from`, column `to`
    /// of a square table `side` nodes wide, grown when a larger id comes
    /// (one index per message, not a search).
    last_arrival: Vec<Time>,
    side: usize,
    /// Directions whose data goes unacknowledged, in the order they
    /// stalled (a few at most: a plain list, no map code in the page's wasm).
    stalls: Vec<Stall>,
    /// When each direction last resumed after a stall (its held data
    /// arrived), sorted by link: what a MonClient's held keepalives learn.
    resumed: Vec<((NodeId, NodeId), Time)>,
    /// The client's node: its connections are lossy (`Stall::lossy`).
    client: Option<NodeId>,
}

/// What a heal or restore lets through on one direction.
pub struct Release {
    pub from: NodeId,
    pub to: NodeId,
    /// When the held messages arrive, all at once; None when the sender's
    /// orphaned socket gave up and they are lost.
    pub arrive_at: Option<Time>,
    pub held: Vec<(MsgId, Arc<Message>)>,
}

/// What the network decided for one message at send time.
pub struct Flight {
    pub arrive_at: Time,
    pub lost: bool,
}

impl Network {
    /// `name_to_node` resolves the names in link rules (the parser has checked them).
    pub fn new(
        latency: Latency,
        loss: Ppb,
        rules: &[LinkRule],
        name_to_node: impl Fn(&str) -> Option<NodeId>,
    ) -> Network {
        let mut net = Network {
            latency,
            loss,
            link_latency: VecMap::new(),
            link_loss: VecMap::new(),
            cuts: Vec::new(),
            last_arrival: Vec::new(),
            side: 0,
            stalls: Vec::new(),
            resumed: Vec::new(),
            client: None,
        };
        for r in rules {
            let (Some(a), Some(b)) = (name_to_node(&r.a), name_to_node(&r.b)) else {
                continue;
            };
            let mut dirs = vec![(a, b)];
            if !r.one_way {
                dirs.push((b, a));
            }
            for d in dirs {
                match &r.setting {
                    LinkSetting::Latency(l) => {
                        net.link_latency.insert(d, *l);
                    }
                    LinkSetting::Loss(p) => {
                        net.link_loss.insert(d, *p);
                    }
                }
            }
        }
        net
    }

    /// Draw a message's fate: its arrival time (FIFO per link) and whether it is lost.
    pub fn send(&mut self, rng: &mut Pcg32, now: Time, from: NodeId, to: NodeId) -> Flight {
        let lat = self.latency_draw(rng, from, to);
        let loss = *self.link_loss.get(&(from, to)).unwrap_or(&self.loss);
        let lost = rng.chance_ppb(loss);
        let last = self.last_arrival_of((from, to));
        let arrive_at = (now + lat).max(*last);
        *last = arrive_at;
        Flight { arrive_at, lost }
    }

    /// The latest arrival on a link, 0 until its first message. Inlined
    /// into every send, its growth apart: a call each send was about 30
    /// instructions of the benchmark's per message.
    #[inline]
    fn last_arrival_of(&mut self, (from, to): (NodeId, NodeId)) -> &mut Time {
        let (from, to) = (from as usize, to as usize);
        let need = from.max(to) + 1;
        if need > self.side {
            self.grow_last_arrival(need);
        }
        &mut self.last_arrival[from * self.side + to]
    }

    /// The table `need` nodes wide (set up once: `set_client`).
    #[cold]
    #[inline(never)]
    fn grow_last_arrival(&mut self, need: usize) {
        let mut table = vec![0; need * need];
        for (i, t) in self.last_arrival.iter().enumerate() {
            table[(i / self.side) * need + i % self.side] = *t;
        }
        self.last_arrival = table;
        self.side = need;
    }

    /// One message's latency on a link.
    fn latency_draw(&self, rng: &mut Pcg32, from: NodeId, to: NodeId) -> Duration {
        match self.link_latency.get(&(from, to)).unwrap_or(&self.latency) {
            Latency::Fixed(d) => *d,
            Latency::Uniform(lo, hi) => rng.range_inclusive(*lo, *hi),
        }
    }

    pub fn is_cut(&self, from: NodeId, to: NodeId) -> bool {
        self.cuts.binary_search(&(from, to)).is_ok()
    }
    pub fn cut(&mut self, from: NodeId, to: NodeId) {
        if let Err(i) = self.cuts.binary_search(&(from, to)) {
            self.cuts.insert(i, (from, to));
        }
    }
    pub fn restore(&mut self, from: NodeId, to: NodeId) {
        if let Ok(i) = self.cuts.binary_search(&(from, to)) {
            self.cuts.remove(i);
        }
    }
    pub fn heal(&mut self) {
        self.cuts.clear();
    }
    /// Every cut link, as (from, to).
    pub fn cuts(&self) -> impl Iterator<Item = (NodeId, NodeId)> + '_ {
        self.cuts.iter().copied()
    }

    /// The node whose connections are a client's (lossy).
    pub fn set_client(&mut self, node: NodeId) {
        self.client = Some(node);
        // Every node's links at once: ids run up to the client's.
        self.last_arrival_of((node, node));
    }

    /// The stall of a direction, made at `now` if there is none.
    fn stall(&mut self, now: Time, link: (NodeId, NodeId)) -> &mut Stall {
        let i = match self.stalls.iter().position(|s| s.link == link) {
            Some(i) => i,
            None => {
                let mut s = Stall::new(link, now);
                s.lossy = self.client.is_some_and(|c| link.0 == c || link.1 == c);
                self.stalls.push(s);
                self.stalls.len() - 1
            }
        };
        &mut self.stalls[i]
    }

    /// Whether TCP holds a message sent at `now` from `from` to `to`; if so
    /// it keeps it. It does when the link is cut that way, or when its
    /// acknowledgements cannot come back and the first retransmission
    /// timeout has passed, or when earlier messages wait before it.
    pub fn hold_if_stalled(
        &mut self,
        now: Time,
        from: NodeId,
        to: NodeId,
        id: MsgId,
        msg: &Arc<Message>,
    ) -> bool {
        let data_cut = self.is_cut(from, to);
        if !data_cut && !self.is_cut(to, from) {
            return false;
        }
        let stall = self.stall(now, (from, to));
        if data_cut || !stall.window_open(now) || !stall.held.is_empty() {
            stall.hold(id, msg.clone());
            return true;
        }
        false
    }

    /// A message met a cut on its way (sent before it, or released and cut
    /// again before its retransmission): the sender's socket holds it again.
    pub fn hold_again(
        &mut self,
        now: Time,
        from: NodeId,
        to: NodeId,
        id: MsgId,
        msg: Arc<Message>,
    ) {
        self.stall(now, (from, to)).hold(id, msg);
    }

    /// A message got through with the way back open: its acknowledgement
    /// reaches the sender and the direction flows again.
    pub fn acked(&mut self, from: NodeId, to: NodeId) {
        if self.is_cut(to, from) {
            return;
        }
        if let Some(i) = self
            .stalls
            .iter()
            .position(|s| s.link == (from, to) && s.held.is_empty())
        {
            self.stalls.swap_remove(i);
        }
    }

    /// After a heal or restore: every stalled direction that is whole both
    /// ways resumes at its next retransmission (after one latency), and
    /// later messages queue behind it (FIFO).
    pub fn release(&mut self, rng: &mut Pcg32, now: Time) -> Vec<Release> {
        let mut out = Vec::new();
        let mut kept = Vec::new();
        for mut stall in std::mem::take(&mut self.stalls) {
            let (from, to) = stall.link;
            if self.is_cut(from, to) || self.is_cut(to, from) {
                kept.push(stall);
                continue;
            }
            let arrive_at = stall.resumes(now).map(|r| {
                let lat = self.latency_draw(rng, from, to);
                let last = self.last_arrival_of((from, to));
                *last = (r + lat).max(*last);
                *last
            });
            if let Some(at) = arrive_at {
                match self.resumed.binary_search_by_key(&(from, to), |(l, _)| *l) {
                    Ok(i) => self.resumed[i].1 = at,
                    Err(i) => self.resumed.insert(i, ((from, to), at)),
                }
            }
            let held = std::mem::take(&mut stall.held);
            if held.is_empty() {
                continue;
            }
            if arrive_at.is_some() {
                // Until an acknowledgement comes back: a new cut before the
                // retransmission holds them again, timed from the same start.
                kept.push(stall);
            }
            out.push(Release {
                from,
                to,
                arrive_at,
                held,
            });
        }
        self.stalls = kept;
        out
    }

    /// Whether data flows both ways between `a` and `b` at `now`, and since
    /// when (the latest time TCP resumed either direction after a stall, 0
    /// if neither ever stalled): None while either way is cut, holds
    /// messages or waits for its retransmission.
    pub fn flowing(&self, now: Time, a: NodeId, b: NodeId) -> Option<Time> {
        let mut since = 0;
        for link in [(a, b), (b, a)] {
            if self.is_cut(link.0, link.1)
                || self
                    .stalls
                    .iter()
                    .any(|s| s.link == link && !s.held.is_empty())
            {
                return None;
            }
            if let Ok(i) = self.resumed.binary_search_by_key(&link, |(l, _)| *l) {
                if self.resumed[i].1 > now {
                    return None;
                }
                since = since.max(self.resumed[i].1);
            }
        }
        Some(since)
    }

    /// The sender closed one connection (MonClient marks a session's
    /// connection down): what its socket held is gone, and the socket,
    /// an orphan now, retransmits only its close. Returns the lost ids.
    pub fn close_link(&mut self, from: NodeId, to: NodeId) -> Vec<MsgId> {
        let mut lost = Vec::new();
        for s in self.stalls.iter_mut().filter(|s| s.link == (from, to)) {
            lost.extend(s.held.drain(..).map(|(id, _)| id));
            s.orphan = true;
        }
        lost
    }

    /// The process of `node` died: what it held waits in orphaned sockets.
    pub fn orphan(&mut self, node: NodeId) {
        for stall in self.stalls.iter_mut().filter(|s| s.link.0 == node) {
            stall.orphan = true;
        }
    }

    /// `node` closed its connections (a restart, Messenger::mark_down_all):
    /// what its sockets held is gone. Returns the lost messages' ids.
    pub fn discard_from(&mut self, node: NodeId) -> Vec<MsgId> {
        let mut lost = Vec::new();
        let mut i = 0;
        while i < self.stalls.len() {
            if self.stalls[i].link.0 == node {
                lost.extend(self.stalls.swap_remove(i).held.iter().map(|(id, _)| *id));
            } else {
                i += 1;
            }
        }
        lost
    }
}
