//! The cluster's files: addresses, ceph.conf and the initial monmap's
//! `monmaptool` arguments. Pure text; the runner writes them.

use monscope_core::mon::config::OptionValue;
use monscope_core::time::format_secs;
use std::fmt::Write;
use std::net::Ipv4Addr;
use std::path::Path;

/// The msgr2 port every monitor binds (each has its own address).
pub const PORT: u16 = 3300;

/// A monitor's place: its name and its loopback address in the namespace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MonAddr {
    pub name: String,
    pub ip: Ipv4Addr,
}

impl MonAddr {
    /// `[v2:127.0.0.2:3300]`, Ceph's address-vector syntax.
    pub fn addrvec(&self) -> String {
        format!("[v2:{}:{PORT}]", self.ip)
    }
}

/// Addresses 127.0.0.2, .3, ... in the order given (the scenario's monmap
/// order, then each `add`), skipping any that `taken` says are in use.
/// Ceph's legacy ranks (MonMap::calc_legacy_ranks, which monmaptool's maps
/// use) follow address order, so rank = position in the scenario's `mons`.
pub fn addresses(names: &[String], taken: impl Fn(Ipv4Addr) -> bool) -> Vec<MonAddr> {
    let mut next: u32 = 2;
    names
        .iter()
        .map(|name| {
            let mut ip = Ipv4Addr::from(0x7f00_0000 | next);
            while taken(ip) && next < 0x00ff_fffe {
                next += 1;
                ip = Ipv4Addr::from(0x7f00_0000 | next);
            }
            next += 1;
            MonAddr {
                name: name.clone(),
                ip,
            }
        })
        .collect()
}

/// `monmaptool --create --fsid F --addv a [v2:...] ... PATH` (epoch 0).
pub fn monmaptool_args(fsid: &str, mons: &[MonAddr], path: &Path) -> Vec<String> {
    let mut a = vec!["--create".to_string(), "--fsid".into(), fsid.into()];
    for m in mons {
        a.extend(["--addv".into(), m.name.clone(), m.addrvec()]);
    }
    a.push(path.display().to_string());
    a
}

/// A scenario `set` value in Ceph's syntax (durations in seconds).
pub fn option_value(v: &OptionValue) -> String {
    match v {
        OptionValue::Duration(d) => format_secs(*d),
        OptionValue::Float(f) => format!("{f}"),
        OptionValue::Count(n) => n.to_string(),
    }
}

/// ceph.conf for the run. `options` are the scenario's `set` lines.
pub fn ceph_conf(fsid: &str, mons: &[MonAddr], dir: &Path, options: &[(String, String)]) -> String {
    let hosts: Vec<String> = mons.iter().map(MonAddr::addrvec).collect();
    let d = dir.display();
    let mut s = String::new();
    let _ = write!(
        s,
        "\
[global]
fsid = {fsid}
mon host = {hosts}
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
# msgr2 only, as monmaptool's v2 addresses
ms_bind_msgr1 = false
# Outgoing connections leave from the monitor's own address, so that the
# namespace's iptables rules (-s A -d B) see who sends.
ms_bind_before_connect = true
# Health checks about this machine, not about the monitors' protocol: the
# disk's free space and auth settings that a cluster without auth keeps.
mon_data_avail_warn = 1
mon_data_avail_crit = 0
mon_warn_on_insecure_global_id_reclaim_allowed = false
mon_warn_on_insecure_global_id_reclaim = false
",
        hosts = hosts.join(",")
    );
    if !options.is_empty() {
        s.push_str("# the scenario's `set` lines\n");
        for (k, v) in options {
            let _ = writeln!(s, "{k} = {v}");
        }
    }
    let _ = write!(
        s,
        "\
[mon]
mon data = {d}/mon.$id
admin socket = {d}/mon.$id.asok
log file = {d}/mon.$id.log
# paxos states and versions, and whom a peon follows, are read from the log
debug mon = 10
debug paxos = 10
debug ms = 0
# Stamps from the fine clock, to the microsecond: the coarse one (the
# default) steps every 4 ms here and stamps to the millisecond, and every
# observed event is placed at its line's stamp (crate::record)
log coarse timestamps = false
# every store transaction appended to a file, read for the committed
# config-key data (crate::store_dump): asking would be an audited command
mon debug dump transactions = true
mon debug dump json = false
mon debug dump location = {d}/mon.$id.tdump
[client]
admin socket =
log file = {d}/client.log
"
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn monitors_get_consecutive_loopback_addresses_in_rank_order() {
        let m = addresses(&names(&["a", "b", "c"]), |_| false);
        let ips: Vec<String> = m.iter().map(|m| m.ip.to_string()).collect();
        assert_eq!(ips, ["127.0.0.2", "127.0.0.3", "127.0.0.4"]);
        assert_eq!(m[1].addrvec(), "[v2:127.0.0.3:3300]");
    }

    #[test]
    fn an_address_in_use_is_skipped() {
        let m = addresses(&names(&["a", "b"]), |ip| ip == Ipv4Addr::new(127, 0, 0, 2));
        assert_eq!(m[0].ip, Ipv4Addr::new(127, 0, 0, 3));
        assert_eq!(m[1].ip, Ipv4Addr::new(127, 0, 0, 4));
    }

    #[test]
    fn the_monmap_lists_every_monitor_with_its_v2_address() {
        let m = addresses(&names(&["a", "b"]), |_| false);
        let args = monmaptool_args("F", &m, Path::new("/r/monmap"));
        assert_eq!(
            args.join(" "),
            "--create --fsid F --addv a [v2:127.0.0.2:3300] --addv b [v2:127.0.0.3:3300] /r/monmap"
        );
    }

    #[test]
    fn ceph_conf_has_no_auth_msgr2_and_the_scenarios_options() {
        let m = addresses(&names(&["a", "b"]), |_| false);
        let opts = vec![(
            "mon_lease".to_string(),
            option_value(&OptionValue::Duration(2_500_000)),
        )];
        let c = ceph_conf("F", &m, Path::new("/r"), &opts);
        assert!(c.contains("mon host = [v2:127.0.0.2:3300],[v2:127.0.0.3:3300]\n"));
        assert!(c.contains("auth_cluster_required = none\n"));
        assert!(c.contains("mon_lease = 2.5\n"));
        assert!(c.contains("mon data = /r/mon.$id\n"));
        assert!(c.contains("admin socket = /r/mon.$id.asok\n"));
    }

    /// The client (librados in client.py) reads ceph.conf's [global] and
    /// [client]: a scenario's MonClient options must reach it, as they
    /// reach the simulator's client.
    #[test]
    fn the_scenarios_monclient_options_are_in_global_where_librados_reads_them() {
        let m = addresses(&names(&["a"]), |_| false);
        let opts = vec![
            (
                "mon_client_hunt_parallel".to_string(),
                option_value(&OptionValue::Count(1)),
            ),
            (
                "mon_client_hunt_interval_backoff".to_string(),
                option_value(&OptionValue::Float(2.0)),
            ),
            (
                "mon_client_hunt_interval_max_multiple".to_string(),
                option_value(&OptionValue::Float(4.5)),
            ),
        ];
        let c = ceph_conf("F", &m, Path::new("/r"), &opts);
        let global = &c[..c.find("[mon]\n").unwrap()];
        assert!(global.starts_with("[global]\n"));
        assert!(global.contains("mon_client_hunt_parallel = 1\n"), "{c}");
        assert!(
            global.contains("mon_client_hunt_interval_backoff = 2\n"),
            "{c}"
        );
        assert!(
            global.contains("mon_client_hunt_interval_max_multiple = 4.5\n"),
            "{c}"
        );
    }
}
