//! The simulated network: per-link latency and loss, one-way and two-way
//! cuts. Links are FIFO, as Ceph's messenger connections are: a message never
//! overtakes an earlier one on the same link, whatever latency it drew. A cut
//! mon-to-mon link holds what is sent over it, as TCP does (see `tcp.rs`).

use super::rng::Pcg32;
use super::tcp::Stall;
use crate::mon::messages::Message;
use crate::scenario::ast::{Latency, LinkRule, LinkSetting, Ppb};
use crate::time::Time;
use crate::trace::{MsgId, NodeId};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

#[derive(Clone, Debug)]
pub struct Network {
    latency: Latency,
    loss: Ppb,
    link_latency: BTreeMap<(NodeId, NodeId), Latency>,
    link_loss: BTreeMap<(NodeId, NodeId), Ppb>,
    cuts: BTreeSet<(NodeId, NodeId)>,
    last_arrival: BTreeMap<(NodeId, NodeId), Time>,
    /// Directions whose data goes unacknowledged, as (from, to).
    stalls: BTreeMap<(NodeId, NodeId), Stall>,
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
            link_latency: BTreeMap::new(),
            link_loss: BTreeMap::new(),
            cuts: BTreeSet::new(),
            last_arrival: BTreeMap::new(),
            stalls: BTreeMap::new(),
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
        let lat = match self.link_latency.get(&(from, to)).unwrap_or(&self.latency) {
            Latency::Fixed(d) => *d,
            Latency::Uniform(lo, hi) => rng.range_inclusive(*lo, *hi),
        };
        let loss = *self.link_loss.get(&(from, to)).unwrap_or(&self.loss);
        let lost = rng.chance_ppb(loss);
        let last = self.last_arrival.entry((from, to)).or_insert(0);
        let arrive_at = (now + lat).max(*last);
        *last = arrive_at;
        Flight { arrive_at, lost }
    }

    pub fn is_cut(&self, from: NodeId, to: NodeId) -> bool {
        self.cuts.contains(&(from, to))
    }
    pub fn cut(&mut self, from: NodeId, to: NodeId) {
        self.cuts.insert((from, to));
    }
    pub fn restore(&mut self, from: NodeId, to: NodeId) {
        self.cuts.remove(&(from, to));
    }
    pub fn heal(&mut self) {
        self.cuts.clear();
    }
    /// Every cut link, as (from, to).
    pub fn cuts(&self) -> impl Iterator<Item = (NodeId, NodeId)> + '_ {
        self.cuts.iter().copied()
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
        let stall = self
            .stalls
            .entry((from, to))
            .or_insert_with(|| Stall::new(now));
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
        self.stalls
            .entry((from, to))
            .or_insert_with(|| Stall::new(now))
            .hold(id, msg);
    }

    /// A message got through with the way back open: its acknowledgement
    /// reaches the sender and the direction flows again.
    pub fn acked(&mut self, from: NodeId, to: NodeId) {
        if self.is_cut(to, from) {
            return;
        }
        if self
            .stalls
            .get(&(from, to))
            .is_some_and(|s| s.held.is_empty())
        {
            self.stalls.remove(&(from, to));
        }
    }

    /// After a heal or restore: every stalled direction that is whole both
    /// ways resumes at its next retransmission (after one latency), and
    /// later messages queue behind it (FIFO).
    pub fn release(&mut self, rng: &mut Pcg32, now: Time) -> Vec<Release> {
        let whole: Vec<(NodeId, NodeId)> = self
            .stalls
            .keys()
            .copied()
            .filter(|&(a, b)| !self.is_cut(a, b) && !self.is_cut(b, a))
            .collect();
        let mut out = Vec::new();
        for (from, to) in whole {
            let Some(mut stall) = self.stalls.remove(&(from, to)) else {
                continue;
            };
            let arrive_at = stall.resumes(now).map(|r| {
                let lat = match self.link_latency.get(&(from, to)).unwrap_or(&self.latency) {
                    Latency::Fixed(d) => *d,
                    Latency::Uniform(lo, hi) => rng.range_inclusive(*lo, *hi),
                };
                let last = self.last_arrival.entry((from, to)).or_insert(0);
                *last = (r + lat).max(*last);
                *last
            });
            let held = std::mem::take(&mut stall.held);
            if arrive_at.is_some() && !held.is_empty() {
                // Until an acknowledgement comes back: a new cut before the
                // retransmission holds them again, timed from the same start.
                self.stalls.insert((from, to), stall);
            }
            if !held.is_empty() {
                out.push(Release {
                    from,
                    to,
                    arrive_at,
                    held,
                });
            }
        }
        out
    }

    /// The process of `node` died: what it held waits in orphaned sockets.
    pub fn orphan(&mut self, node: NodeId) {
        for ((from, _), stall) in self.stalls.iter_mut() {
            if *from == node {
                stall.orphan = true;
            }
        }
    }

    /// `node` closed its connections (a restart, Messenger::mark_down_all):
    /// what its sockets held is gone. Returns the lost messages' ids.
    pub fn discard_from(&mut self, node: NodeId) -> Vec<MsgId> {
        let dirs: Vec<(NodeId, NodeId)> = self
            .stalls
            .keys()
            .copied()
            .filter(|(from, _)| *from == node)
            .collect();
        dirs.into_iter()
            .filter_map(|d| self.stalls.remove(&d))
            .flat_map(|s| s.held.into_iter().map(|(id, _)| id))
            .collect()
    }
}
