//! The MDS map service: MDSMonitor.cc, a [`Service`] of PaxosService, as
//! far as a cluster without metadata servers sees it: its first version.
//! Versions live under prefix "mdsmap" (each `<v>` holds FSMap epoch v: a
//! short text of the empty map where Ceph stores its encoding, 366 bytes
//! in the measured store).
//!
//! MDSMonitor::create_initial sets nothing, but PaxosService::_active
//! proposes a service with no version (lc 0) at once, and MDSMonitor is
//! PAXOS_MDSMAP, the first service after the monmap's: at a fresh
//! cluster's second quorum its FSMap e1 is the first proposal, so it goes
//! alone with the leader's metadata, and every other service's first
//! version waits for the next one (ceph-mon 16.2.15, `ceph-monstore-tool
//! dump-paxos`: v2 metadata and mdsmap, v3 logm, auth, health, kv and the
//! unmodelled osdmap, mgr, mgrstat and config). After
//! that it commits nothing on its own (MDSMonitor::tick finds no daemon);
//! each time it goes active on the leader it logs the map
//! (MDSMonitor::on_active: "fsmap " and the empty map's summary).

use super::clog::Prio;
use super::consensus::{Fx, PaxosCtx, PaxosEffect};
use super::out::Timer;
use super::paxos_service::{put_last_committed, Service, ServiceId};
use super::store::Transaction;
use super::Version;

/// The service's store prefix (MDSMonitor's service_name).
pub const MDSMAP: &str = "mdsmap";

/// The FSMap of a cluster without filesystems or daemons at `epoch`, in
/// FSMap::print's words.
pub fn empty_fsmap(epoch: Version) -> String {
    format!("e{epoch}\nNo filesystems configured\n")
}

/// Nothing of the map is kept: no daemon or filesystem ever changes it.
#[derive(Clone, Debug, Default)]
pub struct MdsService;

impl Service for MdsService {
    const ID: ServiceId = ServiceId::Mds;
    const NAME: &'static str = MDSMAP;
    const PROPOSE_TIMER: Timer = Timer::MdsProposeTimer;
    const RETRY_WAITER: &'static str = "mds";
    type Reply = ();
    type Update = ();

    /// MDSMonitor::create_initial: the pending FSMap as it is (empty); the
    /// proposal comes from PaxosService::_active.
    fn create_initial(&mut self, ctx: &mut PaxosCtx) {
        ctx.out.log("mdsmap create_initial");
    }

    /// MDSMonitor::create_pending: the committed map, epoch + 1.
    fn create_pending(&mut self, _ctx: &PaxosCtx) {}

    fn discard_pending(&mut self) {}

    /// MDSMonitor::encode_pending: FSMap epoch lc+1 as version lc+1.
    fn encode_pending(
        &mut self,
        _ctx: &mut PaxosCtx,
        t: &mut Transaction,
        first_committed: Version,
        last_committed: Version,
    ) {
        let v = last_committed + 1;
        t.put(MDSMAP, &v.to_string(), empty_fsmap(v).into_bytes());
        put_last_committed(t, MDSMAP, first_committed, v);
    }

    /// MDSMonitor::update_from_paxos: the map is decoded; nothing of it is
    /// used here.
    fn update_from_paxos(&mut self, _ctx: &mut PaxosCtx, _last_committed: Version) {}

    /// MDSMonitor::on_active: tick() (no daemon: nothing to propose), and
    /// the leader logs the map ("fsmap " and an empty summary, DBG).
    fn on_active(&mut self, ctx: &mut PaxosCtx, fx: &mut Fx) {
        if ctx.is_leader {
            fx.effects.push(PaxosEffect::Clog {
                prio: Prio::Dbg,
                msg: "fsmap ".into(),
            });
        }
    }
}
