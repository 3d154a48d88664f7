//! What each scenario statement does on a real cluster: pure, so the mapping
//! is tested without a cluster. The runner carries the operations out.

use monscope_core::scenario::ast::{Action, Scenario, StmtKind, Targets};
use monscope_core::scenario::print_stmt;
use std::net::Ipv4Addr;

/// The client's node name in cut pairs: librados connects from 127.0.0.1.
pub const CLIENT: &str = "client";
pub const CLIENT_IP: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 1);

/// One operation on the real cluster.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// Start a monitor process (after `ceph-mon --mkfs` if it has no store yet).
    Start(String),
    /// SIGKILL the process; its store stays.
    Kill(String),
    /// Delete the monitor's store and make a new one (`ceph-mon --mkfs`).
    Wipe(String),
    /// Admin socket `quorum enter`: Monitor::do_admin_command calls
    /// start_election() ("started responding to quorum, initiated new election").
    CallElection(String),
    /// Set the monitor's clock offset (libfaketime), microseconds.
    Skew(String, i64),
    /// `ceph mon add NAME ADDR`, then mkfs and start NAME.
    Add(String),
    /// `ceph mon remove NAME`.
    Remove(String),
    /// Drop every packet from `.0` to `.1` (names; `client` is the client).
    Cut(Vec<(String, String)>),
    /// Undo those cuts.
    Restore(Vec<(String, String)>),
    /// Undo every cut.
    Heal,
    /// `config-key set KEY VALUE`, through `via` or any monitor.
    Write {
        key: String,
        value: String,
        via: Option<String>,
    },
    /// `config-key get KEY`.
    Read { key: String, via: Option<String> },
}

fn pairs_both(a: &str, b: &str) -> Vec<(String, String)> {
    vec![(a.into(), b.into()), (b.into(), a.into())]
}

/// The operations for one action. `present` are the monitors that exist now
/// (`start all` starts them), `all` every monitor the scenario ever has
/// (`isolate` cuts NAME from each of them and from the client, as the
/// simulator does). Notes and expectations are not operations.
pub fn ops(action: &Action, present: &[String], all: &[String]) -> Vec<Op> {
    let each = |names: &[String], f: fn(String) -> Op| names.iter().cloned().map(f).collect();
    match action {
        Action::Start(Targets::All) => each(present, Op::Start),
        Action::Start(Targets::Names(n)) | Action::Revive(n) => each(n, Op::Start),
        Action::Kill(n) => each(n, Op::Kill),
        Action::Wipe(n) => each(n, Op::Wipe),
        Action::CallElection(n) => vec![Op::CallElection(n.clone())],
        Action::Skew(n, us) => vec![Op::Skew(n.clone(), *us)],
        Action::Add(n) => vec![Op::Add(n.clone())],
        Action::Remove(n) => vec![Op::Remove(n.clone())],
        Action::Cut { a, b, one_way } => vec![Op::Cut(link(a, b, *one_way))],
        Action::Restore { a, b, one_way } => vec![Op::Restore(link(a, b, *one_way))],
        Action::Partition(groups) => {
            let mut cuts = Vec::new();
            for (i, g) in groups.iter().enumerate() {
                for h in &groups[i + 1..] {
                    for x in g {
                        for y in h {
                            cuts.extend(pairs_both(x, y));
                        }
                    }
                }
            }
            vec![Op::Cut(cuts)]
        }
        Action::Isolate(x) => {
            let mut cuts = Vec::new();
            for y in all.iter().map(String::as_str).chain([CLIENT]) {
                if y != x {
                    cuts.extend(pairs_both(x, y));
                }
            }
            vec![Op::Cut(cuts)]
        }
        Action::Heal => vec![Op::Heal],
        Action::Write { key, value, via } => vec![Op::Write {
            key: key.clone(),
            value: value.clone(),
            via: via.clone(),
        }],
        Action::Read { key, via } => vec![Op::Read {
            key: key.clone(),
            via: via.clone(),
        }],
        Action::Note(_) | Action::Expect(_) => Vec::new(),
    }
}

fn link(a: &str, b: &str, one_way: bool) -> Vec<(String, String)> {
    if one_way {
        vec![(a.into(), b.into())]
    } else {
        pairs_both(a, b)
    }
}

/// The iptables arguments that add (`-A`) or delete (`-D`) the rule dropping
/// packets from `from` to `to` as they arrive (INPUT: on loopback every
/// packet passes it once). Only ever run inside the run's namespace.
pub fn iptables_rule(verb: &str, from: Ipv4Addr, to: Ipv4Addr) -> Vec<String> {
    [
        verb,
        "INPUT",
        "-s",
        &from.to_string(),
        "-d",
        &to.to_string(),
        "-j",
        "DROP",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Statements a real cluster cannot do, as "line N: TEXT". The kernel here
/// has no `tc netem`, so neither latency nor loss can be imposed on loopback.
pub fn unreproducible(s: &Scenario) -> Vec<String> {
    s.stmts
        .iter()
        .filter(|st| {
            matches!(
                st.kind,
                StmtKind::Latency(_) | StmtKind::Loss(_) | StmtKind::Link(_)
            )
        })
        .map(|st| format!("line {}: {}", st.pos.line, print_stmt(st)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use monscope_core::scenario::parse;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn first_action(text: &str) -> Action {
        parse(text).unwrap().timed[0].action.clone()
    }

    fn pair(a: &str, b: &str) -> (String, String) {
        (a.into(), b.into())
    }

    #[test]
    fn a_cut_drops_both_directions_and_a_one_way_cut_one() {
        let abc = names(&["a", "b", "c"]);
        let both = ops(&first_action("mons a b c\nat 1s cut a b\n"), &abc, &abc);
        assert_eq!(both, [Op::Cut(vec![pair("a", "b"), pair("b", "a")])]);
        let one = ops(&first_action("mons a b c\nat 1s cut a -> b\n"), &abc, &abc);
        assert_eq!(one, [Op::Cut(vec![pair("a", "b")])]);
        let restore = ops(
            &first_action("mons a b c\nat 1s restore b -> a\n"),
            &abc,
            &abc,
        );
        assert_eq!(restore, [Op::Restore(vec![pair("b", "a")])]);
    }

    #[test]
    fn a_partition_cuts_every_link_between_groups_only() {
        let m = names(&["a", "b", "c", "d", "e"]);
        let p = ops(
            &first_action("mons a b c d e\nat 1s partition a b | c d\n"),
            &m,
            &m,
        );
        let Op::Cut(cuts) = &p[0] else {
            panic!("{p:?}")
        };
        assert_eq!(cuts.len(), 8);
        assert!(cuts.contains(&pair("a", "c")) && cuts.contains(&pair("d", "b")));
        assert!(!cuts.iter().any(|(x, y)| x == "e" || y == "e"));
        assert!(!cuts.contains(&pair("a", "b")));
    }

    #[test]
    fn isolate_cuts_a_monitor_from_every_monitor_and_the_client() {
        let m = names(&["a", "b", "c"]);
        let p = ops(&first_action("mons a b c\nat 1s isolate b\n"), &m, &m);
        let Op::Cut(cuts) = &p[0] else {
            panic!("{p:?}")
        };
        assert_eq!(cuts.len(), 6);
        assert!(cuts.contains(&pair("b", CLIENT)) && cuts.contains(&pair(CLIENT, "b")));
    }

    #[test]
    fn start_all_starts_the_monitors_present_and_kill_each_named() {
        let present = names(&["a", "b"]);
        let all = names(&["a", "b", "d"]);
        let p = ops(&first_action("mons a b\nat 1s start all\n"), &present, &all);
        assert_eq!(p, [Op::Start("a".into()), Op::Start("b".into())]);
        let k = ops(&first_action("mons a b\nat 1s kill a b\n"), &present, &all);
        assert_eq!(k, [Op::Kill("a".into()), Op::Kill("b".into())]);
    }

    #[test]
    fn client_statements_keep_their_target() {
        let m = names(&["a", "b", "c"]);
        let w = ops(&first_action("mons a b c\nat 1s write k v via c\n"), &m, &m);
        assert_eq!(
            w,
            [Op::Write {
                key: "k".into(),
                value: "v".into(),
                via: Some("c".into())
            }]
        );
    }

    #[test]
    fn iptables_rules_name_source_and_destination() {
        let r = iptables_rule(
            "-A",
            Ipv4Addr::new(127, 0, 0, 2),
            Ipv4Addr::new(127, 0, 0, 3),
        );
        assert_eq!(r.join(" "), "-A INPUT -s 127.0.0.2 -d 127.0.0.3 -j DROP");
    }

    #[test]
    fn latency_loss_and_link_settings_are_not_reproducible() {
        let s = parse("mons a b c\nlatency 5ms\nloss 1%\nlink a b latency 50ms\nat 1s kill a\n")
            .unwrap();
        assert_eq!(
            unreproducible(&s),
            [
                "line 2: latency 5ms",
                "line 3: loss 1%",
                "line 4: link a b latency 50ms"
            ]
        );
        assert!(unreproducible(&parse("mons a b\nat 1s kill a\n").unwrap()).is_empty());
    }
}
