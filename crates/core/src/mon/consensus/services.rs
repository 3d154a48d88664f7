//! The Monitor's door to its own LogMonitor and HealthMonitor, and the
//! monitor metadata a new leader writes (Monitor::update_mon_metadata).

use super::{Consensus, PaxosCtx, PaxosEffect};
use crate::mon::clog::{LogEntry, Prio};
use crate::mon::health_service::Checks;

impl Consensus {
    /// The MLog a leader's LogClient sent to itself: it waits in the log
    /// service, and LogMonitor::prepare_log takes it once the service is
    /// writeable, proposed after should_propose's delay.
    pub fn submit_log(
        &mut self,
        ctx: &mut PaxosCtx,
        who: &str,
        entries: Vec<LogEntry>,
    ) -> Vec<PaxosEffect> {
        let mut fx = self.fx();
        self.logm.service.queue(who, entries);
        self.logm
            .update_local(ctx, &mut fx, &mut self.paxos, false, |s| {
                crate::mon::paxos_service::Service::retry_waiting(s)
            });
        self.drain(ctx, fx)
    }

    /// HealthMonitor::tick on the leader: check_leader_health with the
    /// checks the Monitor computed, proposed at once if they changed.
    pub fn health_tick(&mut self, ctx: &mut PaxosCtx, checks: Checks) -> Vec<PaxosEffect> {
        let mut fx = self.fx();
        self.health
            .update_local(ctx, &mut fx, &mut self.paxos, true, |s| {
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
    /// pending transaction ("monitor"/"last_metadata"), proposed at once if
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
            .put("monitor", "last_metadata", metadata);
        self.paxos.trigger_propose(ctx, &mut fx);
        self.drain(ctx, fx)
    }
}
