//! Ceph's monitor options that monscope honours, by their Ceph names, with
//! Ceph's defaults (reference §5). Scenarios change them with `set`.

use crate::time::{secs_f64, Duration, MS, SEC};

/// How an option's value is written in a scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptionKind {
    /// A time: a DURATION with a unit, or a bare number of seconds.
    Seconds,
    /// A plain number that may have decimals (a factor or a margin).
    Float,
    /// A whole number (a count of versions, keys, bytes...).
    Count,
}

/// The value of one option, already validated against its kind.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum OptionValue {
    Duration(Duration),
    Float(f64),
    Count(u64),
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Config {
    pub mon_election_timeout: Duration,
    pub mon_lease: Duration,
    pub mon_lease_renew_interval_factor: f64,
    pub mon_lease_ack_timeout_factor: f64,
    pub mon_accept_timeout_factor: f64,
    pub mon_probe_timeout: Duration,
    pub mon_sync_timeout: Duration,
    pub mon_sync_max_payload_size: u64,
    pub mon_sync_max_payload_keys: u64,
    pub paxos_max_join_drift: u64,
    /// PaxosService's default should_propose: an update waits out the rest of
    /// this window after the last commit. It batches the cluster log
    /// (LogMonitor); kv (KVMonitor forces an immediate propose), monmap
    /// (should_propose 0) and health (proposed from its tick) never wait.
    pub paxos_propose_interval: Duration,
    /// should_propose's delay when the last commit is older than
    /// paxos_propose_interval.
    pub paxos_min_wait: Duration,
    pub paxos_min: u64,
    pub paxos_trim_min: u64,
    pub paxos_trim_max: u64,
    pub paxos_service_trim_min: u64,
    pub paxos_service_trim_max: u64,
    pub paxos_service_trim_max_multiplier: u64,
    pub paxos_stash_full_interval: u64,
    pub mon_tick_interval: Duration,
    pub mon_elector_ping_timeout: Duration,
    pub mon_elector_ping_divisor: u64,
    pub mon_con_tracker_persist_interval: u64,
    pub mon_con_tracker_score_halflife: Duration,
    pub mon_elector_ignore_propose_margin: f64,
    pub mon_timecheck_interval: Duration,
    pub mon_timecheck_skew_interval: Duration,
    pub mon_clock_drift_allowed: Duration,
    /// MON_DOWN is not raised until the monmap is this old.
    pub mon_down_mkfs_grace: Duration,
    /// The leader logs the health summary if it changed, this often.
    pub mon_health_to_clog_tick_interval: Duration,
    /// The leader logs the health summary, changed or not, this often.
    pub mon_health_to_clog_interval: Duration,
    pub mon_session_timeout: Duration,
    /// MonClient: how long a client waits on one monitor before hunting for another.
    pub mon_client_hunt_interval: Duration,
    /// MonClient::tick: how often a connected client sends a keepalive.
    pub mon_client_ping_interval: Duration,
    /// MonClient::tick: how long unanswered keepalives last before the
    /// client gives up on its session and hunts.
    pub mon_client_ping_timeout: Duration,
    /// MonClient::_add_conns: monitors a new session connects to at once
    /// (0: every candidate).
    pub mon_client_hunt_parallel: u64,
    /// MonClient::_start_hunting multiplies the hunt interval by this at
    /// each reopen once a session had opened; _un_backoff divides by it.
    pub mon_client_hunt_interval_backoff: f64,
    /// _un_backoff never takes the multiplier below this.
    pub mon_client_hunt_interval_min_multiple: f64,
    /// _start_hunting never takes the multiplier above this.
    pub mon_client_hunt_interval_max_multiple: f64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            mon_election_timeout: 5 * SEC,
            mon_lease: 5 * SEC,
            mon_lease_renew_interval_factor: 0.6,
            mon_lease_ack_timeout_factor: 2.0,
            mon_accept_timeout_factor: 2.0,
            mon_probe_timeout: 2 * SEC,
            mon_sync_timeout: 60 * SEC,
            mon_sync_max_payload_size: 1 << 20,
            mon_sync_max_payload_keys: 2000,
            paxos_max_join_drift: 10,
            paxos_propose_interval: SEC,
            paxos_min_wait: 50 * MS,
            paxos_min: 500,
            paxos_trim_min: 250,
            paxos_trim_max: 500,
            paxos_service_trim_min: 250,
            paxos_service_trim_max: 500,
            paxos_service_trim_max_multiplier: 20,
            paxos_stash_full_interval: 25,
            mon_tick_interval: 5 * SEC,
            mon_elector_ping_timeout: 2 * SEC,
            mon_elector_ping_divisor: 2,
            mon_con_tracker_persist_interval: 10,
            mon_con_tracker_score_halflife: 43_200 * SEC,
            mon_elector_ignore_propose_margin: 0.0005,
            mon_timecheck_interval: 300 * SEC,
            mon_timecheck_skew_interval: 30 * SEC,
            mon_clock_drift_allowed: 50 * MS,
            mon_down_mkfs_grace: 60 * SEC,
            mon_health_to_clog_tick_interval: 60 * SEC,
            mon_health_to_clog_interval: 600 * SEC,
            mon_session_timeout: 300 * SEC,
            mon_client_hunt_interval: 3 * SEC,
            mon_client_ping_interval: 10 * SEC,
            mon_client_ping_timeout: 30 * SEC,
            mon_client_hunt_parallel: 3,
            mon_client_hunt_interval_backoff: 1.5,
            mon_client_hunt_interval_min_multiple: 1.0,
            mon_client_hunt_interval_max_multiple: 10.0,
        }
    }
}

/// (name, kind, one-line meaning), in the reference's order.
pub const OPTIONS: &[(&str, OptionKind, &str)] = &[
    (
        "mon_election_timeout",
        OptionKind::Seconds,
        "candidate's wait for acks; a deferrer waits this + 1s",
    ),
    ("mon_lease", OptionKind::Seconds, "lease length"),
    (
        "mon_lease_renew_interval_factor",
        OptionKind::Float,
        "renew every factor x lease (< 1)",
    ),
    (
        "mon_lease_ack_timeout_factor",
        OptionKind::Float,
        "leader ack wait and peon lease timeout, x lease (> 1)",
    ),
    (
        "mon_accept_timeout_factor",
        OptionKind::Float,
        "collect and accept timeout, x lease",
    ),
    (
        "mon_probe_timeout",
        OptionKind::Seconds,
        "re-bootstrap while probing",
    ),
    (
        "mon_sync_timeout",
        OptionKind::Seconds,
        "sync requester gives up",
    ),
    (
        "mon_sync_max_payload_size",
        OptionKind::Count,
        "sync chunk bytes",
    ),
    (
        "mon_sync_max_payload_keys",
        OptionKind::Count,
        "sync chunk keys",
    ),
    (
        "paxos_max_join_drift",
        OptionKind::Count,
        "versions behind before a recent sync",
    ),
    (
        "paxos_propose_interval",
        OptionKind::Seconds,
        "should_propose's batching window (the cluster log's versions)",
    ),
    (
        "paxos_min_wait",
        OptionKind::Seconds,
        "should_propose's delay after an idle period (no modelled service batches)",
    ),
    ("paxos_min", OptionKind::Count, "paxos versions always kept"),
    (
        "paxos_trim_min",
        OptionKind::Count,
        "extra versions tolerated before trimming",
    ),
    (
        "paxos_trim_max",
        OptionKind::Count,
        "max paxos versions trimmed per proposal",
    ),
    (
        "paxos_service_trim_min",
        OptionKind::Count,
        "min service versions for a trim",
    ),
    (
        "paxos_service_trim_max",
        OptionKind::Count,
        "max service versions per trim",
    ),
    (
        "paxos_service_trim_max_multiplier",
        OptionKind::Count,
        "cap for large service trims",
    ),
    (
        "paxos_stash_full_interval",
        OptionKind::Count,
        "commits between full copies",
    ),
    ("mon_tick_interval", OptionKind::Seconds, "tick period"),
    (
        "mon_elector_ping_timeout",
        OptionKind::Seconds,
        "ping considered dead",
    ),
    (
        "mon_elector_ping_divisor",
        OptionKind::Count,
        "pings per ping timeout",
    ),
    (
        "mon_con_tracker_persist_interval",
        OptionKind::Count,
        "tracker updates between persists",
    ),
    (
        "mon_con_tracker_score_halflife",
        OptionKind::Seconds,
        "connection score half-life",
    ),
    (
        "mon_elector_ignore_propose_margin",
        OptionKind::Float,
        "score gain for a peon to honour an out-of-quorum proposal",
    ),
    (
        "mon_timecheck_interval",
        OptionKind::Seconds,
        "clock check period",
    ),
    (
        "mon_timecheck_skew_interval",
        OptionKind::Seconds,
        "clock check period while skewed",
    ),
    (
        "mon_clock_drift_allowed",
        OptionKind::Seconds,
        "clock skew warning threshold",
    ),
    (
        "mon_down_mkfs_grace",
        OptionKind::Seconds,
        "no MON_DOWN until the cluster is this old",
    ),
    (
        "mon_health_to_clog_tick_interval",
        OptionKind::Seconds,
        "the leader logs a changed health summary this often",
    ),
    (
        "mon_health_to_clog_interval",
        OptionKind::Seconds,
        "the leader logs the health summary this often",
    ),
    (
        "mon_session_timeout",
        OptionKind::Seconds,
        "client session idle timeout",
    ),
    (
        "mon_client_hunt_interval",
        OptionKind::Seconds,
        "client's wait on one monitor before trying another",
    ),
    (
        "mon_client_ping_interval",
        OptionKind::Seconds,
        "client's keepalive interval",
    ),
    (
        "mon_client_ping_timeout",
        OptionKind::Seconds,
        "unanswered keepalives before a client hunts",
    ),
    (
        "mon_client_hunt_parallel",
        OptionKind::Count,
        "monitors a hunt tries at once (0: all)",
    ),
    (
        "mon_client_hunt_interval_backoff",
        OptionKind::Float,
        "hunt interval factor per reopen",
    ),
    (
        "mon_client_hunt_interval_min_multiple",
        OptionKind::Float,
        "least hunt interval factor",
    ),
    (
        "mon_client_hunt_interval_max_multiple",
        OptionKind::Float,
        "most hunt interval factor",
    ),
];

impl Config {
    /// The kind of the option called `name`, or None if monscope does not know it.
    pub fn kind_of(name: &str) -> Option<OptionKind> {
        OPTIONS
            .iter()
            .find(|(n, _, _)| *n == name)
            .map(|(_, k, _)| *k)
    }

    /// Every supported option name, for error messages.
    pub fn names() -> impl Iterator<Item = &'static str> {
        OPTIONS.iter().map(|(n, _, _)| *n)
    }

    /// Set one option. The value must already match the option's kind
    /// (the scenario parser converts it); range rules are Ceph's. Ceph
    /// declares no minimum for these options, but a timer of 0 fires again at
    /// the same instant forever (a real monitor spins; simulated time would
    /// stop), and a divisor or interval of 0 divides by zero: such values
    /// are refused. Zero stays allowed where it means something
    /// (mon_session_timeout, mon_clock_drift_allowed, the paxos counts).
    pub fn set(&mut self, name: &str, value: OptionValue) -> Result<(), String> {
        use OptionValue::*;
        let dur = |v: OptionValue| match v {
            Duration(d) => Ok(d),
            Float(f) if f >= 0.0 => Ok(secs_f64(f)),
            Float(_) => Err(format!("{name} must not be negative")),
            Count(c) => Ok(c.saturating_mul(SEC)),
        };
        let float = |v: OptionValue| match v {
            Float(f) if f.is_finite() && f >= 0.0 => Ok(f),
            Float(_) => Err(format!("{name} must not be negative")),
            Count(c) => Ok(c as f64),
            _ => Err(format!("{name} takes a number")),
        };
        let count = |v: OptionValue| match v {
            Count(c) => Ok(c),
            _ => Err(format!("{name} takes a whole number")),
        };
        // A timer or period: 0 would fire again at once, forever.
        let timer = |v: OptionValue| match dur(v)? {
            0 => Err(format!(
                "{name} must be greater than 0 (a timer of 0 fires again at once, forever)"
            )),
            d => Ok(d),
        };
        // A multiple of mon_client_hunt_interval: 0 would make its timer 0.
        let multiple = |v: OptionValue| match float(v)? {
            f if f > 0.0 => Ok(f),
            _ => Err(format!(
                "{name} must be greater than 0 (a timer of 0 fires again at once, forever)"
            )),
        };
        let at_least_1 = |v: OptionValue, why: &str| match count(v)? {
            0 => Err(format!("{name} must be at least 1 ({why})")),
            c => Ok(c),
        };
        match name {
            "mon_election_timeout" => self.mon_election_timeout = timer(value)?,
            "mon_lease" => self.mon_lease = timer(value)?,
            "mon_lease_renew_interval_factor" => {
                let f = float(value)?;
                if !(f > 0.0 && f < 1.0) {
                    return Err(format!("{name} must be between 0 and 1 (exclusive)"));
                }
                self.mon_lease_renew_interval_factor = f
            }
            "mon_lease_ack_timeout_factor" => {
                let f = float(value)?;
                if f <= 1.0 {
                    return Err(format!("{name} must be greater than 1"));
                }
                self.mon_lease_ack_timeout_factor = f
            }
            "mon_accept_timeout_factor" => {
                let f = float(value)?;
                if f <= 0.0 {
                    return Err(format!(
                        "{name} must be greater than 0 (collect and accept would time out at once)"
                    ));
                }
                self.mon_accept_timeout_factor = f
            }
            "mon_probe_timeout" => self.mon_probe_timeout = timer(value)?,
            "mon_sync_timeout" => self.mon_sync_timeout = timer(value)?,
            "mon_sync_max_payload_size" => {
                self.mon_sync_max_payload_size =
                    at_least_1(value, "an empty chunk never finishes a sync")?
            }
            "mon_sync_max_payload_keys" => {
                self.mon_sync_max_payload_keys =
                    at_least_1(value, "an empty chunk never finishes a sync")?
            }
            "paxos_max_join_drift" => self.paxos_max_join_drift = count(value)?,
            "paxos_propose_interval" => self.paxos_propose_interval = dur(value)?,
            "paxos_min_wait" => self.paxos_min_wait = dur(value)?,
            "paxos_min" => self.paxos_min = count(value)?,
            "paxos_trim_min" => self.paxos_trim_min = count(value)?,
            "paxos_trim_max" => self.paxos_trim_max = count(value)?,
            "paxos_service_trim_min" => self.paxos_service_trim_min = count(value)?,
            "paxos_service_trim_max" => self.paxos_service_trim_max = count(value)?,
            "paxos_service_trim_max_multiplier" => {
                self.paxos_service_trim_max_multiplier = count(value)?
            }
            "paxos_stash_full_interval" => self.paxos_stash_full_interval = count(value)?,
            "mon_tick_interval" => self.mon_tick_interval = timer(value)?,
            "mon_elector_ping_timeout" => self.mon_elector_ping_timeout = timer(value)?,
            "mon_elector_ping_divisor" => {
                self.mon_elector_ping_divisor =
                    at_least_1(value, "pings go out every ping timeout / divisor")?
            }
            "mon_con_tracker_persist_interval" => {
                self.mon_con_tracker_persist_interval =
                    at_least_1(value, "the tracker is persisted every N updates")?
            }
            "mon_con_tracker_score_halflife" => {
                self.mon_con_tracker_score_halflife = match dur(value)? {
                    0 => {
                        return Err(format!(
                            "{name} must be greater than 0 (scores decay with this half-life)"
                        ))
                    }
                    d => d,
                }
            }
            "mon_elector_ignore_propose_margin" => {
                self.mon_elector_ignore_propose_margin = float(value)?
            }
            "mon_timecheck_interval" => self.mon_timecheck_interval = timer(value)?,
            "mon_timecheck_skew_interval" => self.mon_timecheck_skew_interval = timer(value)?,
            "mon_clock_drift_allowed" => self.mon_clock_drift_allowed = dur(value)?,
            "mon_down_mkfs_grace" => self.mon_down_mkfs_grace = dur(value)?,
            "mon_health_to_clog_tick_interval" => {
                self.mon_health_to_clog_tick_interval = timer(value)?
            }
            "mon_health_to_clog_interval" => self.mon_health_to_clog_interval = timer(value)?,
            "mon_session_timeout" => self.mon_session_timeout = dur(value)?,
            "mon_client_hunt_interval" => self.mon_client_hunt_interval = timer(value)?,
            "mon_client_ping_interval" => self.mon_client_ping_interval = timer(value)?,
            "mon_client_ping_timeout" => self.mon_client_ping_timeout = dur(value)?,
            "mon_client_hunt_parallel" => self.mon_client_hunt_parallel = count(value)?,
            // Ceph sets no range on these three. A backoff below 1 shrinks
            // the multiplier at every reopen (_start_hunting has no floor),
            // and a multiple of 0 makes the hunt interval 0: the client's
            // tick would fire again at once, forever.
            "mon_client_hunt_interval_backoff" => {
                let f = float(value)?;
                if f < 1.0 {
                    return Err(format!(
                        "{name} must be at least 1 (below, the hunt timer shrinks to 0)"
                    ));
                }
                self.mon_client_hunt_interval_backoff = f
            }
            "mon_client_hunt_interval_min_multiple" => {
                self.mon_client_hunt_interval_min_multiple = multiple(value)?
            }
            "mon_client_hunt_interval_max_multiple" => {
                self.mon_client_hunt_interval_max_multiple = multiple(value)?
            }
            _ => {
                return Err(format!(
                    "unknown option \"{name}\" (supported: {})",
                    Config::names().collect::<Vec<_>>().join(" ")
                ))
            }
        }
        Ok(())
    }

    /// `base` × `factor`, at least 1 µs: a product that rounds to 0 would be
    /// a timer firing again at once.
    fn scaled(&self, base: Duration, factor: f64) -> Duration {
        ((base as f64 * factor).round() as Duration).max(1)
    }

    /// Peon lease timeout and leader lease-ack timeout: ack_timeout_factor x lease (10s).
    pub fn lease_ack_timeout(&self) -> Duration {
        self.scaled(self.mon_lease, self.mon_lease_ack_timeout_factor)
    }

    /// How long after a lease is extended it is renewed: renew_factor x lease (3s).
    pub fn lease_renew_interval(&self) -> Duration {
        self.scaled(self.mon_lease, self.mon_lease_renew_interval_factor)
    }

    /// Collect and accept timeouts: accept_timeout_factor x lease (10s).
    pub fn accept_timeout(&self) -> Duration {
        self.scaled(self.mon_lease, self.mon_accept_timeout_factor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_reference_table() {
        let c = Config::default();
        assert_eq!(c.lease_ack_timeout(), 10 * SEC);
        assert_eq!(c.lease_renew_interval(), 3 * SEC);
        assert_eq!(c.accept_timeout(), 10 * SEC);
        assert_eq!(c.mon_election_timeout, 5 * SEC);
        assert_eq!(c.mon_probe_timeout, 2 * SEC);
        assert_eq!(OPTIONS.len(), Config::names().count());
    }

    #[test]
    fn every_listed_option_can_be_set_and_unknown_ones_list_the_rest() {
        for (name, kind, _) in OPTIONS {
            let v = match kind {
                OptionKind::Seconds => OptionValue::Duration(3 * SEC),
                OptionKind::Float => {
                    OptionValue::Float(if name.contains("lease_ack") || name.ends_with("backoff") {
                        3.0
                    } else {
                        0.5
                    })
                }
                OptionKind::Count => OptionValue::Count(7),
            };
            Config::default().set(name, v).unwrap();
        }
        let err = Config::default()
            .set("mon_nope", OptionValue::Count(1))
            .unwrap_err();
        assert!(err.contains("mon_lease"), "{err}");
    }
}
