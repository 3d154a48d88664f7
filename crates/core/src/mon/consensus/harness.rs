//! A test bench: N [`Consensus`] instances with their own stores, a fixed
//! quorum and leader (no elector), FIFO delivery with chosen drops, timers on
//! a global clock, and per-monitor clock skew.

use super::{Consensus, Origin, PaxosCtx, PaxosEffect};
use crate::mon::config::Config;
use crate::mon::messages::{ClientOp, MClientReply, MClientRequest, MMonPaxos, Message, PaxosOp};
use crate::mon::monmap::{MonInfo, MonMap, Strategy};
use crate::mon::out::{Note, Out, Timer, TimerOp};
use crate::mon::session::Sessions;
use crate::mon::store::MonitorDBStore;
use crate::mon::{Addr, Epoch, Rank, Version};
use crate::time::Time;
use std::collections::{BTreeMap, VecDeque};

pub const CLIENT: Addr = Addr(100);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Leader,
    Peon,
    /// Electing/probing: not in a quorum.
    Out,
}

pub struct Node {
    pub store: MonitorDBStore,
    pub c: Consensus,
    pub role: Role,
    pub up: bool,
    pub epoch: Epoch,
    /// Added to the global clock to give this monitor's `now`.
    pub skew: Time,
    /// Armed timers: global deadline.
    pub timers: BTreeMap<Timer, Time>,
    pub notes: Vec<Note>,
    /// (global time, reason).
    pub bootstraps: Vec<(Time, String)>,
    pub actives: usize,
}

impl Node {
    pub fn logs(&self) -> Vec<std::borrow::Cow<'_, str>> {
        self.notes
            .iter()
            .filter_map(|n| match n {
                Note::Log(s) => Some(s.text()),
                _ => None,
            })
            .collect()
    }
    pub fn commits(&self) -> Vec<(Version, Vec<u8>)> {
        self.notes
            .iter()
            .filter_map(|n| match n {
                Note::Commit { version, value } => Some((*version, value.to_vec())),
                _ => None,
            })
            .collect()
    }
    pub fn kv(&self, key: &str) -> Option<String> {
        self.store.get_str("mon_config_key", key)
    }
}

enum Env {
    Mon {
        from: Rank,
        to: Rank,
        m: MMonPaxos,
    },
    Client {
        to: Rank,
        origin: Origin,
        req: MClientRequest,
    },
}

/// A sent message, as the tests see it.
#[derive(Clone, Debug)]
pub struct Sent {
    pub at: Time,
    pub from: Rank,
    pub to: Rank,
    pub m: MMonPaxos,
    pub dropped: bool,
}

type DropFn = Box<dyn Fn(Rank, Rank, &MMonPaxos) -> bool>;

pub struct Cluster {
    pub now: Time,
    pub cfg: Config,
    pub monmap: MonMap,
    pub nodes: Vec<Node>,
    pub epoch: Epoch,
    pub leader: Rank,
    pub quorum: Vec<Rank>,
    inflight: VecDeque<Env>,
    pub drop: DropFn,
    pub sent: Vec<Sent>,
    pub replies: Vec<(Time, Origin, MClientReply)>,
    /// Every client request opens its own session, never closed here.
    sessions: Sessions,
}

impl Cluster {
    pub fn new(n: usize) -> Cluster {
        let monmap = MonMap {
            epoch: 1,
            mons: (0..n)
                .map(|i| MonInfo {
                    name: ((b'a' + i as u8) as char).to_string(),
                    addr: Addr(i as u32),
                })
                .collect(),
            strategy: Strategy::Classic,
            disallowed_leaders: Vec::new(),
        };
        let nodes = (0..n)
            .map(|_| {
                // The monmap service is seeded as already created (monmap e1
                // in its keys), so these paxos/kv tests see only kv's commits;
                // its own create_initial is covered by the simulator tests.
                let mut store = MonitorDBStore::new();
                let mut seed = crate::mon::store::Transaction::new();
                crate::mon::monmap_service::persist_monmap(&mut seed, &monmap);
                store.apply(&seed);
                Node {
                    c: Consensus::new(&store),
                    store,
                    role: Role::Out,
                    up: true,
                    epoch: 0,
                    skew: 0,
                    timers: BTreeMap::new(),
                    notes: Vec::new(),
                    bootstraps: Vec::new(),
                    actives: 0,
                }
            })
            .collect();
        Cluster {
            now: 0,
            cfg: Config::default(),
            monmap,
            nodes,
            epoch: 0,
            leader: -1,
            quorum: Vec::new(),
            inflight: VecDeque::new(),
            drop: Box::new(|_, _, _| false),
            sent: Vec::new(),
            replies: Vec::new(),
            sessions: Sessions::default(),
        }
    }

    pub fn node(&self, r: Rank) -> &Node {
        &self.nodes[r as usize]
    }
    pub fn node_mut(&mut self, r: Rank) -> &mut Node {
        &mut self.nodes[r as usize]
    }

    /// Run one call on monitor `r` with a ctx built from the bench, then
    /// absorb what it asked for.
    pub fn call(
        &mut self,
        r: Rank,
        f: impl FnOnce(&mut Consensus, &mut PaxosCtx) -> Vec<PaxosEffect>,
    ) {
        let node = &mut self.nodes[r as usize];
        let mut out = Out::new();
        let in_q = node.role != Role::Out;
        let quorum = if in_q {
            self.quorum.clone()
        } else {
            Vec::new()
        };
        let mut ctx = PaxosCtx {
            now: self.now + node.skew,
            cfg: &self.cfg,
            store: &mut node.store,
            out: &mut out,
            my_rank: r,
            is_leader: node.role == Role::Leader,
            is_peon: node.role == Role::Peon,
            leader: if in_q { self.leader } else { -1 },
            quorum: &quorum,
            election_epoch: node.epoch,
            monmap: &self.monmap,
            sessions: &self.sessions,
        };
        let effects = f(&mut node.c, &mut ctx);
        self.absorb(r, out, effects);
    }

    fn absorb(&mut self, r: Rank, out: Out, effects: Vec<PaxosEffect>) {
        let now = self.now;
        for (addr, msg) in out.sends {
            let Message::Paxos(m) = msg else { continue };
            let to = self.monmap.rank_of_addr(addr);
            let dropped = (self.drop)(r, to, &m);
            self.sent.push(Sent {
                at: now,
                from: r,
                to,
                m: m.clone(),
                dropped,
            });
            if !dropped {
                self.inflight.push_back(Env::Mon { from: r, to, m });
            }
        }
        let node = &mut self.nodes[r as usize];
        for op in out.timers {
            match op {
                TimerOp::Set { timer, after } => {
                    node.timers.insert(timer, now + after);
                }
                TimerOp::Cancel { timer } => {
                    node.timers.remove(&timer);
                }
            }
        }
        node.notes.extend(out.notes);
        let mut bootstrap = false;
        for e in effects {
            match e {
                PaxosEffect::Bootstrap { reason } => {
                    node.bootstraps.push((now, reason));
                    bootstrap = true;
                }
                PaxosEffect::Reply { origin, reply } => self.replies.push((now, origin, reply)),
                PaxosEffect::Forward { origin, req } => {
                    let client = match origin {
                        Origin::Client(a) => a,
                        Origin::Forwarded { client, .. } => client,
                    };
                    let origin = Origin::Forwarded {
                        peon: Addr(r as u32),
                        client,
                    };
                    let to = self.leader;
                    self.inflight.push_back(Env::Client { to, origin, req });
                }
                PaxosEffect::Active => node.actives += 1,
                PaxosEffect::NewMonmap(_) | PaxosEffect::Clog { .. } => {}
            }
        }
        if bootstrap {
            // Monitor::bootstrap → _reset → restart
            self.nodes[r as usize].role = Role::Out;
            self.call(r, |c, ctx| c.restart(ctx));
        }
    }

    /// A new quorum: _reset everywhere, then win/lose_election.
    pub fn elect(&mut self, leader: Rank, quorum: &[Rank]) {
        self.epoch += 2;
        self.leader = leader;
        self.quorum = quorum.to_vec();
        for r in 0..self.nodes.len() as Rank {
            if !self.nodes[r as usize].up {
                continue;
            }
            self.nodes[r as usize].role = Role::Out;
            self.call(r, |c, ctx| c.restart(ctx));
        }
        for &r in quorum {
            let n = &mut self.nodes[r as usize];
            n.epoch = self.epoch;
            n.role = if r == leader {
                Role::Leader
            } else {
                Role::Peon
            };
        }
        self.call(leader, |c, ctx| c.leader_init(ctx));
        for &r in quorum {
            if r != leader {
                self.call(r, |c, ctx| c.peon_init(ctx));
            }
        }
        self.deliver();
    }

    /// A monitor crashes: it hears and does nothing more.
    pub fn kill(&mut self, r: Rank) {
        let n = &mut self.nodes[r as usize];
        n.up = false;
        n.role = Role::Out;
        n.timers.clear();
    }

    /// A killed monitor starts again: its store survives, nothing else does.
    pub fn revive(&mut self, r: Rank) {
        let n = &mut self.nodes[r as usize];
        n.up = true;
        n.c = Consensus::new(&n.store);
    }

    /// Deliver everything in flight, FIFO, with the §1.8 epoch gate.
    pub fn deliver(&mut self) {
        while let Some(env) = self.inflight.pop_front() {
            match env {
                Env::Mon { from, to, m } => {
                    let Some(n) = self.nodes.get(to as usize) else {
                        continue;
                    };
                    if !n.up || m.epoch != n.epoch {
                        continue;
                    }
                    self.call(to, |c, ctx| c.handle_paxos(ctx, from, &m));
                }
                Env::Client { to, origin, req } => {
                    if self.nodes.get(to as usize).is_some_and(|n| n.up) {
                        self.call(to, |c, ctx| c.handle_client(ctx, origin, req));
                    }
                }
            }
        }
    }

    /// A client request arriving at monitor `to`.
    pub fn client(&mut self, to: Rank, tid: u64, op: ClientOp) {
        self.clients(vec![(to, tid, op)]);
    }
    /// Client requests arriving together: each is handled before the
    /// messages the ones before it caused, so all but the first arrive mid-round.
    pub fn clients(&mut self, reqs: Vec<(Rank, u64, ClientOp)>) {
        for (to, tid, op) in reqs {
            let req = MClientRequest {
                tid,
                session: tid,
                op: op.into(),
            };
            self.sessions
                .touch((CLIENT, tid), self.now, self.cfg.mon_session_timeout);
            self.inflight.push_back(Env::Client {
                to,
                origin: Origin::Client(CLIENT),
                req,
            });
        }
        self.deliver();
    }
    pub fn write(&mut self, to: Rank, tid: u64, key: &str, value: &str) {
        self.client(
            to,
            tid,
            ClientOp::Write {
                key: key.into(),
                value: value.into(),
            },
        );
    }

    /// Advance the global clock by `dt`, firing due timers in (deadline, rank, timer) order.
    pub fn advance(&mut self, dt: Time) {
        let target = self.now + dt;
        loop {
            self.deliver();
            let next = self
                .nodes
                .iter()
                .enumerate()
                .filter(|(_, n)| n.up)
                .flat_map(|(r, n)| n.timers.iter().map(move |(t, at)| (*at, r as Rank, *t)))
                .filter(|(at, _, _)| *at <= target)
                .min();
            let Some((at, r, t)) = next else { break };
            self.now = at;
            self.nodes[r as usize].timers.remove(&t);
            self.call(r, |c, ctx| c.handle_timer(ctx, t));
        }
        self.now = target;
        self.deliver();
    }

    pub fn is_readable(&self, r: Rank) -> bool {
        let n = self.node(r);
        let q = if n.role == Role::Out {
            0
        } else {
            self.quorum.len()
        };
        n.c.is_readable(self.now + n.skew, q, n.role != Role::Out)
    }

    /// Messages of `op` sent (delivered or not).
    pub fn sent_ops(&self, op: PaxosOp) -> Vec<&Sent> {
        self.sent.iter().filter(|s| s.m.op == op).collect()
    }
}
