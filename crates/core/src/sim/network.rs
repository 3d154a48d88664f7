//! The simulated network: per-link latency and loss, one-way and two-way
//! cuts. Links are FIFO, as Ceph's messenger connections are: a message never
//! overtakes an earlier one on the same link, whatever latency it drew.

use super::rng::Pcg32;
use crate::scenario::ast::{Latency, LinkRule, LinkSetting, Ppb};
use crate::time::Time;
use crate::trace::NodeId;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Clone, Debug)]
pub struct Network {
    latency: Latency,
    loss: Ppb,
    link_latency: BTreeMap<(NodeId, NodeId), Latency>,
    link_loss: BTreeMap<(NodeId, NodeId), Ppb>,
    cuts: BTreeSet<(NodeId, NodeId)>,
    last_arrival: BTreeMap<(NodeId, NodeId), Time>,
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
}
