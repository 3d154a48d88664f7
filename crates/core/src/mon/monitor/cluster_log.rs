//! The Monitor's cluster log and health reporting (Monitor.cc's clog
//! lines, do_health_to_clog and its two timers, HealthMonitor::tick's
//! inputs), kept apart from the election and paxos plumbing.

use super::Monitor;
use crate::mon::clog::Prio;
use crate::mon::health_service::Checks;
use crate::mon::logline::push_u64;
use crate::mon::messages::{ClientResult, MClientReply, MLog, Message};
use crate::mon::out::{Out, Timer};
use crate::mon::status::MonState;
use crate::mon::Addr;
use crate::time::{Time, SEC};
use std::sync::Arc;

/// How much older than the scenario's 0 s the initial monmap is: monmaptool
/// creates it, then each monitor's store is made from it, and only then do
/// the monitors start (on the real runner here: monmaptool at 06:36:15.43,
/// the daemons at 06:36:16.43).
pub const MONMAP_CREATED_BEFORE_START: Time = SEC;

/// win_election's health to clog: wait for HealthMonitor to be active,
/// tick it, and if that proposes, wait for the proposal to finish; then
/// do_health_to_clog_interval (ceph-mon 16.2.15 logs "overall HEALTH_OK"
/// right after a new leader's recovery).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HealthToClog {
    #[default]
    Idle,
    WaitActive,
    WaitProposal,
}

/// C_Command's audit line for a `config-key set` (written without
/// `core::fmt`: one a write).
fn audit_line(tid: u64) -> String {
    const HEAD: &str =
        "from='client' entity='client.admin' cmd=[{\"prefix\": \"config-key set\"}] tid ";
    const TAIL: &str = ": finished";
    let mut line = String::with_capacity(HEAD.len() + 20 + TAIL.len());
    line.push_str(HEAD);
    push_u64(&mut line, tid);
    line.push_str(TAIL);
    line
}

impl Monitor {
    /// clog->info() and friends.
    pub(super) fn clog(&mut self, now: Time, prio: Prio, msg: String) {
        self.clog.log(now, prio, msg);
    }

    /// Monitor::C_Command's audit line when a committed write is answered
    /// on the leader. Measured on ceph-mon 16.2.15: one audit line per
    /// `config-key set`, logged at its reply, so its logm version follows
    /// the write's kv version by paxos_propose_interval (1.0 s).
    pub(super) fn audit_finished(&mut self, now: Time, reply: &MClientReply) {
        if self.state != MonState::Leader {
            return;
        }
        if let ClientResult::Written { .. } = reply.result {
            self.clog(now, Prio::Inf, audit_line(reply.tid));
        }
    }

    /// MonmapMonitor::on_active's line: "monmap e1: 3 mons at {a=...,...}".
    pub(super) fn monmap_line(&self) -> String {
        let mons: Vec<String> = self
            .monmap
            .mons
            .iter()
            .map(|m| format!("{}={}", m.name, m.addr.0))
            .collect();
        format!(
            "monmap e{}: {} mons at {{{}}}",
            self.monmap.epoch,
            self.monmap.size(),
            mons.join(",")
        )
    }

    /// HealthMonitor::check_leader_health: MON_DOWN (Pacific's
    /// check_for_mon_down: a monmap member out of quorum, once `now >
    /// monmap.created + mon_down_mkfs_grace` by the leader's clock; a
    /// monmap update keeps `created`. The monmap was created
    /// [`MONMAP_CREATED_BEFORE_START`] before the scenario's 0 s, so a
    /// leader ticking every 5 s from its start at 0 s is past the grace at
    /// its tick at 60 s. Measured: MON_DOWN at 60.3 s, 60.5 s and 61.4 s,
    /// the leader's first tick past 60 s) and
    /// MON_CLOCK_SKEW (check_for_clock_skew: timecheck measured a member's
    /// clock off by more than mon_clock_drift_allowed), with Pacific's summaries.
    pub(super) fn leader_checks(&self, now: Time) -> Checks {
        let mut checks = Checks::new();
        let skewed = self.timecheck.skewed(&self.cfg);
        if !skewed.is_empty() {
            let names: Vec<String> = skewed
                .iter()
                .filter_map(|r| self.monmap.name_of(*r))
                .map(|n| format!("mon.{n}"))
                .collect();
            checks.insert(
                "MON_CLOCK_SKEW".into(),
                format!("clock skew detected on {}", names.join(", ")),
            );
        }
        let size = self.monmap.size();
        let monmap_age = now + MONMAP_CREATED_BEFORE_START;
        if self.quorum.len() < size && monmap_age > self.cfg.mon_down_mkfs_grace {
            let quorum: Vec<&str> = self
                .quorum
                .iter()
                .filter_map(|r| self.monmap.name_of(*r))
                .collect();
            checks.insert(
                "MON_DOWN".into(),
                format!(
                    "{}/{size} mons down, quorum {}",
                    size - self.quorum.len(),
                    quorum.join(",")
                ),
            );
        }
        checks
    }

    /// Monitor::tick's HealthMonitor::tick, on the leader.
    pub(super) fn health_tick(&mut self, now: Time, out: &mut Out) {
        if self.state != MonState::Leader {
            return;
        }
        let checks = self.leader_checks(now);
        let effects = self.with_paxos(now, out, |c, ctx| c.health_tick(ctx, checks));
        self.apply_paxos(now, effects, out);
    }

    /// win_election: the new leader's clog line and metadata, and
    /// health_tick_start / the health to clog that waits for HealthMonitor.
    pub(super) fn clog_won(&mut self, now: Time) {
        let names: Vec<&str> = self
            .quorum
            .iter()
            .filter_map(|r| self.monmap.name_of(*r))
            .collect();
        let ranks: Vec<String> = self.quorum.iter().map(|r| r.to_string()).collect();
        let line = format!(
            "mon.{} is new leader, mons {} in quorum (ranks {})",
            self.name,
            names.join(","),
            ranks.join(",")
        );
        self.clog(now, Prio::Inf, line);
    }

    /// win_election, after paxos' leader_init: the metadata and the health
    /// reporting (only with more than one monitor and a committed monmap).
    pub(super) fn leader_started(&mut self, now: Time, out: &mut Out) {
        let meta = format!(
            "mon.{} addr {} rank {}\n",
            self.name, self.addr.0, self.rank
        );
        let effects = self.with_paxos(now, out, |c, ctx| {
            c.update_mon_metadata(ctx, meta.into_bytes())
        });
        self.apply_paxos(now, effects, out);
        if self.state == MonState::Leader && self.monmap.size() > 1 && self.monmap.epoch > 0 {
            self.health_to_clog = HealthToClog::WaitActive;
            out.set_timer(
                Timer::HealthToClogTick,
                self.cfg.mon_health_to_clog_tick_interval,
            );
        }
    }

    /// Monitor::_reset: a leader's health reporting stops.
    pub(super) fn health_events_stop(&mut self, out: &mut Out) {
        if self.rank >= 0 && self.leader == self.rank {
            out.cancel_timer(Timer::HealthToClogTick);
            out.cancel_timer(Timer::HealthToClogInterval);
        }
        self.health_to_clog = HealthToClog::Idle;
    }

    /// The two health to clog timers.
    pub(super) fn on_health_timer(&mut self, now: Time, t: Timer, out: &mut Out) {
        if self.state != MonState::Leader {
            return;
        }
        if t == Timer::HealthToClogTick {
            out.set_timer(
                Timer::HealthToClogTick,
                self.cfg.mon_health_to_clog_tick_interval,
            );
            self.do_health_to_clog(now, false);
        } else {
            self.do_health_to_clog_interval(now, out);
        }
    }

    /// do_health_to_clog_interval: forced, then every mon_health_to_clog_interval.
    fn do_health_to_clog_interval(&mut self, now: Time, out: &mut Out) {
        self.do_health_to_clog(now, true);
        out.set_timer(
            Timer::HealthToClogInterval,
            self.cfg.mon_health_to_clog_interval,
        );
    }

    /// Monitor::do_health_to_clog: the committed health's one-line summary,
    /// unless unchanged and not forced. A changed, unhealthy summary is
    /// logged as "Health detail" (mon_health_detail_to_clog).
    fn do_health_to_clog(&mut self, now: Time, force: bool) {
        let checks = self.consensus.health.service.committed();
        let summary = if checks.is_empty() {
            "HEALTH_OK".to_string()
        } else {
            let s: Vec<&str> = checks.values().map(String::as_str).collect();
            format!("HEALTH_WARN {}", s.join("; "))
        };
        if !force && self.health_status_cache.as_deref() == Some(summary.as_str()) {
            return;
        }
        let ok = checks.is_empty();
        let changed = self.health_status_cache.as_deref() != Some(summary.as_str());
        let (prio, line) = if ok {
            (Prio::Inf, format!("overall {summary}"))
        } else if changed {
            (Prio::Wrn, format!("Health detail: {summary}"))
        } else {
            (Prio::Wrn, format!("overall {summary}"))
        };
        self.clog(now, prio, line);
        self.health_status_cache = Some(summary);
    }

    /// A peon's own lines: its LogMonitor takes its MLog once readable
    /// (PaxosService::dispatch → wait_for_readable), and, not being the
    /// leader, forwards it (Monitor::forward_request_leader); until then
    /// they wait in the channel.
    /// Forwarded lines stay routed until the peon sees them committed, and
    /// go again to the leader of a new election epoch.
    fn forward_clog(&mut self, now: Time, out: &mut Out) {
        if self.clog.is_empty() {
            return;
        }
        self.consensus.logm.service.summarize(&self.store);
        self.clog
            .ack(self.consensus.logm.service.committed(&self.clog_who));
        if self.clog.is_empty() {
            return;
        }
        let Some(leader) = self.monmap.addr_of(self.leader) else {
            return;
        };
        if !self.with_paxos(now, out, |c, ctx| c.log_readable(ctx)) {
            return;
        }
        let entries = self.clog.take_to_route(self.elector.epoch());
        if !entries.is_empty() {
            out.send(leader, Message::Log(MLog { entries }));
        }
    }

    /// The leader's LogMonitor receives a peon's forwarded MLog: prepared
    /// as its own are (LogMonitor::prepare_log once writeable). A monitor
    /// that no longer leads drops it (the forward was for an older quorum).
    pub(super) fn handle_forwarded_log(&mut self, now: Time, from: Addr, m: &MLog, out: &mut Out) {
        let rank = self.monmap.rank_of_addr(from);
        let (MonState::Leader, Some(name)) = (self.state, self.monmap.name_of(rank)) else {
            out.log(&"log from a peon dropped: not the leader");
            return;
        };
        let who: Arc<str> = ["mon.", name].concat().into();
        let entries = m.entries.clone();
        let effects = self.with_paxos(now, out, |c, ctx| c.submit_log(ctx, &who, entries));
        self.apply_paxos(now, effects, out);
    }

    /// After every input: the health service's log lines join the clog; a
    /// new leader's health to clog goes out once HealthMonitor settled; and
    /// a leader hands its queued lines to its LogMonitor when it is
    /// writeable (a peon's were the leader's to commit).
    pub(super) fn after_input(&mut self, now: Time, out: &mut Out) {
        // Asked after every input; there is seldom anything.
        if self.consensus.health.service.has_clog() {
            for (prio, line) in self.consensus.take_health_clog() {
                self.clog(now, prio, line);
            }
        }
        if self.state == MonState::Peon {
            if self.consensus.logm.service.has_waiting() {
                let own = self.consensus.logm.service.take_own_waiting(&self.clog_who);
                self.clog.requeue(own);
            }
            self.consensus.auth.service.clear_waiting();
            self.forward_clog(now, out);
        }
        if self.state != MonState::Leader {
            return;
        }
        if self.health_to_clog != HealthToClog::Idle && self.consensus.health_settled() {
            if self.health_to_clog == HealthToClog::WaitActive {
                self.health_to_clog = HealthToClog::WaitProposal;
                self.health_tick(now, out);
                for (prio, line) in self.consensus.take_health_clog() {
                    self.clog(now, prio, line);
                }
            }
            if self.consensus.health_settled() {
                self.health_to_clog = HealthToClog::Idle;
                self.do_health_to_clog_interval(now, out);
            }
        }
        if self.clog.is_empty() && !self.consensus.logm.service.has_waiting() {
            return;
        }
        let entries = self.clog.take();
        let who = self.clog_who.clone();
        let effects = self.with_paxos(now, out, |c, ctx| c.submit_log(ctx, &who, entries));
        self.apply_paxos(now, effects, out);
        for (prio, line) in self.consensus.take_health_clog() {
            self.clog(now, prio, line);
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_audit_line_reads_as_ceph_writes_it() {
        for tid in [0, 7, 301, u64::MAX] {
            assert_eq!(
                super::audit_line(tid),
                format!(
                    "from='client' entity='client.admin' cmd=[{{\"prefix\": \"config-key set\"}}] tid {tid}: finished"
                )
            );
        }
    }
}
