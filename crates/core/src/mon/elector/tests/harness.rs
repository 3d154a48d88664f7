//! A tiny in-test cluster: N Electors, a FIFO network, timers fired on
//! demand, and effects applied the way the Monitor would.

use super::{addr, logs, monmap};
use crate::mon::config::Config;
use crate::mon::elector::{Elector, ElectorEffect, ElectorEnv};
use crate::mon::messages::{MMonElection, Message};
use crate::mon::monmap::{MonMap, Strategy};
use crate::mon::out::{Out, TimerOp};
use crate::mon::{Epoch, Rank};
use crate::time::Duration;
use std::collections::VecDeque;
use std::sync::Arc;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Probing,
    Electing,
    Leader,
    Peon,
}

pub struct Node {
    pub el: Elector,
    pub up: bool,
    pub ever: bool,
    pub state: State,
    pub quorum: Vec<Rank>,
    pub leader: Rank,
    /// The store's monitor/election_epoch.
    pub persisted: Epoch,
    /// The armed ElectionExpire timer, if any.
    pub timer: Option<Duration>,
    pub effects: Vec<ElectorEffect>,
    pub logs: Vec<String>,
}

pub struct Cluster {
    pub monmap: Arc<MonMap>,
    pub nodes: Vec<Node>,
    /// (from, to, message) in send order.
    pub net: VecDeque<(Rank, Rank, MMonElection)>,
    /// Messages dropped because the target was down.
    pub dropped: usize,
}

impl Cluster {
    pub fn new(n: usize, strategy: Strategy, disallowed: &[&str]) -> Cluster {
        let cfg = Config::default();
        Cluster {
            monmap: monmap(n, strategy, disallowed),
            nodes: (0..n as Rank)
                .map(|_| Node {
                    el: Elector::new(0, &cfg),
                    up: true,
                    ever: true,
                    state: State::Probing,
                    quorum: Vec::new(),
                    leader: -1,
                    persisted: 0,
                    timer: None,
                    effects: Vec::new(),
                    logs: Vec::new(),
                })
                .collect(),
            net: VecDeque::new(),
            dropped: 0,
        }
    }

    /// Run one Elector call on rank `r`, then route its output and apply its effects.
    fn call(
        &mut self,
        r: Rank,
        f: impl FnOnce(&mut Elector, &ElectorEnv, &mut Out) -> Vec<ElectorEffect>,
    ) {
        let mut out = Out::new();
        let node = &mut self.nodes[r as usize];
        let env = ElectorEnv {
            now: 0,
            my_rank: r,
            monmap: &self.monmap,
            quorum: &node.quorum,
            ever_participated: node.ever,
        };
        let fx = f(&mut node.el, &env, &mut out);
        for (to, m) in out.sends.drain(..) {
            match m {
                Message::Election(e) => self.net.push_back((r, self.monmap.rank_of_addr(to), *e)),
                other => panic!("elector sent {other:?}"),
            }
        }
        for t in out.timers.drain(..) {
            node.timer = match t {
                TimerOp::Set { after, .. } => Some(after),
                TimerOp::Cancel { .. } => None,
            };
        }
        node.logs.extend(logs(&out));
        for e in fx {
            self.apply(r, e);
        }
    }

    /// What the Monitor does with each effect (§1.7).
    fn apply(&mut self, r: Rank, e: ElectorEffect) {
        let node = &mut self.nodes[r as usize];
        node.effects.push(e.clone());
        match e {
            ElectorEffect::PersistEpoch(ep) => node.persisted = ep,
            ElectorEffect::PersistScores => {}
            ElectorEffect::JoinElection => {
                node.state = State::Electing;
                node.quorum.clear();
            }
            ElectorEffect::StartElection => self.start_election(r),
            ElectorEffect::Bootstrap => {
                node.state = State::Probing;
                node.quorum.clear();
            }
            ElectorEffect::Win { quorum, .. } => {
                node.state = State::Leader;
                node.leader = r;
                node.quorum = quorum;
            }
            ElectorEffect::Lose { quorum, leader, .. } => {
                node.state = State::Peon;
                node.leader = leader;
                node.quorum = quorum;
            }
        }
    }

    /// Monitor::start_election: _reset, ELECTING, call_election.
    pub fn start_election(&mut self, r: Rank) {
        let node = &mut self.nodes[r as usize];
        node.state = State::Electing;
        node.quorum.clear();
        self.call(r, |el, env, out| el.call_election(env, out));
    }

    /// Deliver the oldest message in flight. Returns false when none is left.
    pub fn deliver_one(&mut self) -> bool {
        let Some((from, to, m)) = self.net.pop_front() else {
            return false;
        };
        if !self.nodes[to as usize].up {
            self.dropped += 1;
            return true;
        }
        self.call(to, |el, env, out| el.dispatch(env, addr(from), &m, out));
        true
    }

    /// Deliver, in order, only the messages now in flight from `from`.
    pub fn deliver_from(&mut self, from: Rank) {
        let (mine, rest): (VecDeque<_>, VecDeque<_>) =
            self.net.drain(..).partition(|(f, _, _)| *f == from);
        self.net = rest;
        for item in mine {
            self.net.push_front(item);
            self.deliver_one();
        }
    }

    /// Deliver everything, FIFO, until the network is quiet.
    pub fn run(&mut self) {
        while self.deliver_one() {}
    }

    /// Fire rank `r`'s election timer; returns how long it was set for.
    pub fn fire_timer(&mut self, r: Rank) -> Duration {
        let after = self.nodes[r as usize].timer.take().expect("timer armed");
        self.call(r, |el, env, out| el.on_expire(env, out));
        after
    }

    pub fn node(&self, r: Rank) -> &Node {
        &self.nodes[r as usize]
    }
}
