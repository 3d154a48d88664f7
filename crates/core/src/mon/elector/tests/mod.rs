//! Fidelity tests for the Elector: one Elector driven by hand (`rules`), and
//! several wired together by a tiny harness (`harness`, `examples`).

mod connectivity;
mod examples;
mod harness;
mod rules;

use super::{Elector, ElectorEffect, ElectorEnv};
use crate::mon::config::Config;
use crate::mon::messages::{ElectionOp, MMonElection, Message};
use crate::mon::monmap::{MonInfo, MonMap, Strategy};
use crate::mon::out::{Note, Out, Timer, TimerOp};
use crate::mon::{Addr, Epoch, Rank};
use std::sync::Arc;

pub(super) const NAMES: [&str; 7] = ["a", "b", "c", "d", "e", "f", "g"];

pub(super) fn addr(r: Rank) -> Addr {
    Addr(100 + r as u32)
}

pub(super) fn monmap(n: usize, strategy: Strategy, disallowed: &[&str]) -> Arc<MonMap> {
    Arc::new(MonMap {
        epoch: 1,
        mons: (0..n)
            .map(|i| MonInfo {
                name: NAMES[i].to_string(),
                addr: addr(i as Rank),
            })
            .collect(),
        strategy,
        disallowed_leaders: disallowed.iter().map(|s| s.to_string()).collect(),
    })
}

pub(super) fn msg(
    monmap: &Arc<MonMap>,
    op: ElectionOp,
    epoch: Epoch,
    quorum: &[Rank],
) -> MMonElection {
    MMonElection {
        op,
        epoch,
        monmap: monmap.clone(),
        quorum: quorum.to_vec(),
        strategy: monmap.strategy,
        scoring: None,
        sharing: None,
    }
}

/// One Elector and the bits of its Monitor the env needs.
pub(super) struct Solo {
    pub monmap: Arc<MonMap>,
    pub rank: Rank,
    pub quorum: Vec<Rank>,
    pub ever: bool,
    pub el: Elector,
    /// The Out of the last call only.
    pub out: Out,
}

impl Solo {
    pub fn new(n: usize, rank: Rank, persisted: Epoch) -> Solo {
        Solo::with_map(monmap(n, Strategy::Classic, &[]), rank, persisted)
    }

    pub fn with_map(monmap: Arc<MonMap>, rank: Rank, persisted: Epoch) -> Solo {
        Solo {
            monmap,
            rank,
            quorum: Vec::new(),
            ever: true,
            el: Elector::new(persisted, &Config::default()),
            out: Out::new(),
        }
    }

    fn go(
        &mut self,
        f: impl FnOnce(&mut Elector, &ElectorEnv, &mut Out) -> Vec<ElectorEffect>,
    ) -> Vec<ElectorEffect> {
        let env = ElectorEnv {
            now: 0,
            my_rank: self.rank,
            monmap: &self.monmap,
            quorum: &self.quorum,
            ever_participated: self.ever,
        };
        self.out.clear();
        f(&mut self.el, &env, &mut self.out)
    }

    /// Run any Elector call with this monitor's env.
    pub fn go_pub(
        &mut self,
        f: impl FnOnce(&mut Elector, &ElectorEnv, &mut Out) -> Vec<ElectorEffect>,
    ) -> Vec<ElectorEffect> {
        self.go(f)
    }

    pub fn call(&mut self) -> Vec<ElectorEffect> {
        self.go(|el, env, out| el.call_election(env, out))
    }

    pub fn expire(&mut self) -> Vec<ElectorEffect> {
        self.go(|el, env, out| el.on_expire(env, out))
    }

    pub fn standalone(&mut self) -> Vec<ElectorEffect> {
        self.go(|el, env, out| el.declare_standalone_victory(env, out))
    }

    /// Deliver `op` at `epoch` from rank `from` (quorum for VICTORY).
    pub fn recv(
        &mut self,
        from: Rank,
        op: ElectionOp,
        epoch: Epoch,
        quorum: &[Rank],
    ) -> Vec<ElectorEffect> {
        let m = msg(&self.monmap, op, epoch, quorum);
        self.go(|el, env, out| el.dispatch(env, addr(from), &m, out))
    }

    pub fn propose(&mut self, from: Rank, epoch: Epoch) -> Vec<ElectorEffect> {
        self.recv(from, ElectionOp::Propose, epoch, &[])
    }

    pub fn ack(&mut self, from: Rank, epoch: Epoch) -> Vec<ElectorEffect> {
        self.recv(from, ElectionOp::Ack, epoch, &[])
    }

    /// (to rank, op, epoch, quorum) of every message sent by the last call.
    pub fn sent(&self) -> Vec<(Rank, ElectionOp, Epoch, Vec<Rank>)> {
        sends(&self.monmap, &self.out)
    }

    pub fn timers(&self) -> Vec<TimerOp> {
        self.out.timers.clone()
    }

    pub fn logs(&self) -> Vec<String> {
        logs(&self.out)
    }
}

pub(super) fn sends(monmap: &MonMap, out: &Out) -> Vec<(Rank, ElectionOp, Epoch, Vec<Rank>)> {
    out.sends
        .iter()
        .map(|(a, m)| match m {
            Message::Election(e) => (monmap.rank_of_addr(*a), e.op, e.epoch, e.quorum.clone()),
            other => panic!("unexpected message {other:?}"),
        })
        .collect()
}

pub(super) fn logs(out: &Out) -> Vec<String> {
    out.notes
        .iter()
        .filter_map(|n| match n {
            Note::Log(s) => Some(s.to_string()),
            _ => None,
        })
        .collect()
}

pub(super) fn set_expire(after: u64) -> TimerOp {
    TimerOp::Set {
        timer: Timer::ElectionExpire,
        after,
    }
}

pub(super) fn cancel_expire() -> TimerOp {
    TimerOp::Cancel {
        timer: Timer::ElectionExpire,
    }
}
