//! The Monitor's door to its own LogMonitor and HealthMonitor, and the
//! monitor metadata a new leader writes (Monitor::update_mon_metadata).

use super::{Consensus, PaxosCtx, PaxosEffect};
use crate::mon::clog::{LogEntry, Prio};
use crate::mon::health_service::Checks;
use std::sync::Arc;

impl Consensus {
    /// The MLog a leader's LogClient sent to itself: it waits in the log
    /// service, and LogMonitor::prepare_log takes it once the service is
    /// writeable, proposed after should_propose's delay.
    pub fn submit_log(
        &mut self,
        ctx: &mut PaxosCtx,
        who: &Arc<str>,
        entries: Vec<LogEntry>,
    ) -> Vec<PaxosEffect> {
        let mut fx = self.fx();
        self.logm.service.queue(who, entries);
        self.logm
            .update_local(ctx, &mut fx, &mut self.paxos, false, |s, ctx| {
                crate::mon::paxos_service::Service::prepare_when_writeable(s, ctx)
            });
        self.drain(ctx, fx)
    }

    /// LogMonitor is readable (PaxosService::is_readable): a peon's own
    /// MLog is dispatched (and forwarded) only then.
    pub fn log_readable(&self, ctx: &PaxosCtx) -> bool {
        self.logm.is_readable(ctx, &self.paxos, 0)
    }

    /// An MMonGlobalID reached this monitor: on the leader it waits in the
    /// auth service until it is writeable, then prepare_global_id increases
    /// max_global_id and AuthMonitor::should_propose proposes at once.
    /// Anyone else drops it (the peon asks its new leader at its next tick).
    pub fn handle_global_id(&mut self, ctx: &mut PaxosCtx) -> Vec<PaxosEffect> {
        let mut fx = self.fx();
        if ctx.is_leader {
            self.auth.service.queue_global_id();
            self.auth
                .update_local(ctx, &mut fx, &mut self.paxos, false, |s, ctx| {
                    crate::mon::paxos_service::Service::prepare_when_writeable(s, ctx)
                });
        }
        self.drain(ctx, fx)
    }

    /// AuthMonitor::tick on a peon: is the service active and does it want
    /// more global ids (`Some(old_max_id)` for the MMonGlobalID to the leader)?
    pub fn auth_wants_global_ids(&self) -> Option<u64> {
        let auth = &self.auth;
        (auth.is_active(&self.paxos) && auth.service.should_increase_max_global_id())
            .then(|| auth.service.max_global_id())
    }

    /// HealthMonitor::tick on the leader: check_leader_health with the
    /// checks the Monitor computed, proposed at once if they changed.
    pub fn health_tick(&mut self, ctx: &mut PaxosCtx, checks: Checks) -> Vec<PaxosEffect> {
        let mut fx = self.fx();
        self.health
            .update_local(ctx, &mut fx, &mut self.paxos, true, |s, _| {
                s.check_leader_health(checks)
            });
        self.drain(ctx, fx)
    }

    /// HealthMonitor is active and not proposing (win_election's
    /// wait_for_active / wait_for_finished_proposal before health to clog).
    pub fn health_settled(&self) -> bool {
        self.health.is_active(&self.paxos)
    }

    /// The lines the health service's last encode_pending logged.
    pub fn take_health_clog(&mut self) -> Vec<(Prio, String)> {
        self.health.service.take_clog()
    }

    /// Monitor::update_mon_metadata: the leader's own metadata into paxos'
    /// pending transaction (Monitor::MONITOR_STORE_PREFIX "monitor_store",
    /// key "last_metadata"), proposed at once if
    /// paxos is active, else when the round in progress finishes. Measured
    /// on ceph-mon 16.2.15: every election win commits it (2137 bytes for
    /// three monitors), in the first version after the leader's recovery.
    pub fn update_mon_metadata(
        &mut self,
        ctx: &mut PaxosCtx,
        metadata: Vec<u8>,
    ) -> Vec<PaxosEffect> {
        let mut fx = self.fx();
        self.paxos
            .get_pending_transaction()
            .put("monitor_store", "last_metadata", metadata);
        self.paxos.trigger_propose(ctx, &mut fx);
        self.drain(ctx, fx)
    }
}
