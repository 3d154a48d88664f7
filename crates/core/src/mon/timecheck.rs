//! Timecheck (Monitor.cc timecheck_*, §1.10): the leader measures each quorum
//! member's clock against its own. A round sends PING to every peon; each
//! answers PONG with its own clock; the leader keeps a running average of the
//! round-trip latency (0.8 old + 0.2 new) and bounds the skew as
//! |peer_ts − now| − latency (0 if negative), signed like peer_ts − now.
//! When every member answered it sends REPORT to the peons. Skews above
//! mon_clock_drift_allowed raise MON_CLOCK_SKEW on the leader.
//!
//! The first round starts right when the leader wins (timecheck_start →
//! timecheck_start_round); the next one mon_timecheck_interval later, or
//! mon_timecheck_skew_interval × rounds_since_clean (capped at the interval)
//! while a skew persists.
//!
//! Times are integer microseconds; the averages use integer arithmetic so
//! runs are the same everywhere.

use super::config::Config;
use super::messages::{MTimeCheck2, Message, TimecheckOp};
use super::monmap::MonMap;
use super::out::{Out, Timer};
use super::{Epoch, Rank};
use crate::mon::vecmap::VecMap;
use crate::time::{format_duration, Time};

/// What timecheck needs from its monitor for one call.
pub struct TcEnv<'a> {
    /// This monitor's own clock.
    pub now: Time,
    pub cfg: &'a Config,
    pub my_rank: Rank,
    pub quorum: &'a [Rank],
    pub epoch: Epoch,
    pub monmap: &'a MonMap,
}

#[derive(Clone, Debug, Default)]
pub struct Timecheck {
    /// Odd while a round is open.
    pub round: u64,
    acks: usize,
    round_start: Time,
    /// When the PING of this round went to each peon still to answer.
    waiting: VecMap<Rank, Time>,
    /// Skew bound per rank, µs (the leader's, or the last REPORT on a peon).
    pub skews: VecMap<Rank, i64>,
    /// Latency per rank, µs.
    pub latencies: VecMap<Rank, i64>,
    pub rounds_since_clean: u64,
    event_armed: bool,
}

fn abs_skew(s: i64) -> u64 {
    s.unsigned_abs()
}

fn fmt_signed(us: i64) -> String {
    let d = format_duration(us.unsigned_abs());
    if us < 0 {
        format!("-{d}")
    } else {
        d
    }
}

impl Timecheck {
    /// timecheck_has_skew.
    pub fn has_skew(cfg: &Config, skew: i64) -> bool {
        abs_skew(skew) > cfg.mon_clock_drift_allowed
    }

    /// Ranks whose measured skew exceeds mon_clock_drift_allowed (for health).
    pub fn skewed(&self, cfg: &Config) -> Vec<Rank> {
        self.skews
            .iter()
            .filter(|(_, s)| Self::has_skew(cfg, **s))
            .map(|(r, _)| *r)
            .collect()
    }

    /// Whether any rank's measured skew exceeds mon_clock_drift_allowed: what
    /// the leader's health asks after every input, without collecting them.
    pub fn any_skewed(&self, cfg: &Config) -> bool {
        self.skews.values().any(|s| Self::has_skew(cfg, *s))
    }

    /// timecheck_cleanup (from timecheck_start and timecheck_finish).
    pub fn cleanup(&mut self, out: &mut Out) {
        self.round = 0;
        self.acks = 0;
        self.round_start = 0;
        if self.event_armed {
            self.event_armed = false;
            out.cancel_timer(Timer::Timecheck);
        }
        self.waiting.clear();
        self.skews.clear();
        self.latencies.clear();
        self.rounds_since_clean = 0;
    }

    /// timecheck_start (leader, from win_election).
    pub fn start(&mut self, env: &TcEnv, out: &mut Out) {
        self.cleanup(out);
        self.start_round(env, out);
    }

    /// The timecheck event fired.
    pub fn on_timer(&mut self, env: &TcEnv, out: &mut Out) {
        if !self.event_armed {
            return;
        }
        self.event_armed = false;
        self.start_round(env, out);
    }

    /// timecheck_start_round.
    fn start_round(&mut self, env: &TcEnv, out: &mut Out) {
        if env.monmap.size() <= 1 {
            // Ceph aborts: a lone monitor never schedules timecheck.
            out.log(&"timecheck: alone, no round");
            return;
        }
        if self.round % 2 == 1 {
            let max = env.cfg.mon_timecheck_interval.saturating_mul(3);
            if env.now.saturating_sub(self.round_start) < max {
                out.log(&"timecheck: a round is going on, keep it");
                self.reset_event(env, out);
                return;
            }
            self.finish_round(env, false, out);
        }
        self.acks = 0;
        self.round += 1;
        self.round_start = env.now;
        self.timecheck(env, out);
        self.reset_event(env, out);
    }

    /// timecheck: PING every other quorum member.
    fn timecheck(&mut self, env: &TcEnv, out: &mut Out) {
        self.acks = 1; // we ack ourselves
        self.skews.insert(env.my_rank, 0);
        self.latencies.insert(env.my_rank, 0);
        out.log(format!(
            "timecheck: start round {} (epoch {})",
            self.round, env.epoch
        ));
        for &r in env.quorum.iter().filter(|r| **r != env.my_rank) {
            let Some(addr) = env.monmap.addr_of(r) else {
                continue;
            };
            self.waiting.insert(r, env.now);
            out.send(
                addr,
                Message::Timecheck(Box::new(MTimeCheck2 {
                    op: TimecheckOp::Ping,
                    epoch: env.epoch,
                    round: self.round,
                    timestamp: env.now,
                    skews: VecMap::new(),
                    latencies: VecMap::new(),
                })),
            );
        }
    }

    /// timecheck_reset_event.
    fn reset_event(&mut self, env: &TcEnv, out: &mut Out) {
        let interval = env.cfg.mon_timecheck_interval;
        let mut delay = env
            .cfg
            .mon_timecheck_skew_interval
            .saturating_mul(self.rounds_since_clean);
        if delay == 0 || delay > interval {
            delay = interval;
        }
        self.event_armed = true;
        out.set_timer(Timer::Timecheck, delay);
    }

    /// timecheck_finish_round.
    fn finish_round(&mut self, env: &TcEnv, success: bool, out: &mut Out) {
        self.round += 1;
        self.round_start = 0;
        if !success {
            out.log(format!(
                "timecheck: round cancelled, {} peers still waiting",
                self.waiting.len()
            ));
            self.waiting.clear();
            return;
        }
        self.report(env, out);
        self.check_skews(env, out);
    }

    /// timecheck_check_skews.
    fn check_skews(&mut self, env: &TcEnv, out: &mut Out) {
        let skewed = self.skewed(env.cfg);
        if !skewed.is_empty() {
            self.rounds_since_clean += 1;
            self.reset_event(env, out);
        } else if self.rounds_since_clean > 0 {
            out.log(format!(
                "timecheck: no clock skews found after {} rounds",
                self.rounds_since_clean
            ));
            // make sure the skews are really gone: one more quick round
            self.rounds_since_clean = 1;
            self.reset_event(env, out);
            self.rounds_since_clean = 0;
        }
    }

    /// timecheck_report: the measured skews and latencies to every peon.
    fn report(&mut self, env: &TcEnv, out: &mut Out) {
        for &r in env.quorum.iter().filter(|r| **r != env.my_rank) {
            let Some(addr) = env.monmap.addr_of(r) else {
                continue;
            };
            out.send(
                addr,
                Message::Timecheck(Box::new(MTimeCheck2 {
                    op: TimecheckOp::Report,
                    epoch: env.epoch,
                    round: self.round,
                    timestamp: 0,
                    skews: self.skews.clone(),
                    latencies: self.latencies.clone(),
                })),
            );
        }
    }

    /// handle_timecheck_leader (a PONG).
    pub fn handle_pong(&mut self, env: &TcEnv, from: Rank, m: &MTimeCheck2, out: &mut Out) {
        if m.epoch != env.epoch {
            out.log(format!(
                "timecheck: PONG of epoch {} (mine {}), discarded",
                m.epoch, env.epoch
            ));
            return;
        }
        if m.round < self.round {
            out.log(format!(
                "timecheck: old round {} from mon.{from} (current {}), discarded",
                m.round, self.round
            ));
            return;
        }
        let Some(sent) = self.waiting.remove(&from) else {
            // Ceph asserts the peer is awaited; a duplicate is logged and dropped.
            out.log(format!(
                "timecheck: unexpected PONG from mon.{from}, dropped"
            ));
            return;
        };
        if env.now < sent {
            out.log(&"timecheck: our clock was readjusted, cancelling the round");
            self.finish_round(env, false, out);
            return;
        }
        let latency = (env.now - sent) as i64;
        let avg = match self.latencies.get(&from) {
            // 0.8 × old + 0.2 × new, in integers
            Some(old) => (old * 4 + latency) / 5,
            None => latency,
        };
        self.latencies.insert(from, avg);
        let delta = (m.timestamp as i64).saturating_sub(env.now as i64);
        let mut skew = delta.saturating_abs() - avg;
        if skew < 0 {
            skew = 0;
        } else if delta < 0 {
            skew = -skew;
        }
        if Self::has_skew(env.cfg, skew) {
            let name = env.monmap.name_of(from).unwrap_or("?");
            out.log(format!(
                "mon.{name} clock skew {} > max {}",
                format_duration(abs_skew(skew)),
                format_duration(env.cfg.mon_clock_drift_allowed)
            ));
        }
        out.log(format!(
            "timecheck: mon.{from} delta {} skew {} latency {}",
            fmt_signed(delta),
            fmt_signed(skew),
            format_duration(latency as u64)
        ));
        self.skews.insert(from, skew);
        self.acks += 1;
        if self.acks >= env.quorum.len() && self.waiting.is_empty() {
            out.log(format!(
                "timecheck: got pongs from everybody ({} total)",
                self.acks
            ));
            self.finish_round(env, true, out);
        }
    }

    /// handle_timecheck_peon (a PING or a REPORT). Returns the PONG to send back.
    pub fn handle_peon(&mut self, env: &TcEnv, m: &MTimeCheck2, out: &mut Out) -> Option<Message> {
        if m.epoch != env.epoch {
            out.log(format!(
                "timecheck: wrong epoch {} (ours {}), discarded",
                m.epoch, env.epoch
            ));
            return None;
        }
        if m.round < self.round {
            out.log(format!(
                "timecheck: old round {} (current {}), discarded",
                m.round, self.round
            ));
            return None;
        }
        self.round = m.round;
        match m.op {
            TimecheckOp::Report => {
                self.latencies = m.latencies.clone();
                self.skews = m.skews.clone();
                None
            }
            TimecheckOp::Ping => Some(Message::Timecheck(Box::new(MTimeCheck2 {
                op: TimecheckOp::Pong,
                epoch: m.epoch,
                round: m.round,
                timestamp: env.now,
                skews: VecMap::new(),
                latencies: VecMap::new(),
            }))),
            TimecheckOp::Pong => None,
        }
    }
}
