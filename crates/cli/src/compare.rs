//! `monscope compare FILE [--keep DIR] [--skip-unreproducible] [--report-row FILE]`

use crate::real::{args_and_scenario, run_real, scheduled};
use crate::wants_help;
use monscope_core::scenario::ast::{Action, Scenario};
use monscope_core::sim::run;
use monscope_core::time::{format_duration, format_secs, Time};
use monscope_core::trace::milestones::{
    compare, difference, epoch_offset, milestones, secs, shift_epoch, Mark, Row, Verdict, SETTLE,
    TOLERANCE,
};
use monscope_core::trace::{Event, EventKind};
use std::collections::BTreeMap;
use std::io::Write;

const HELP: &str = "\
usage: monscope compare FILE [--keep DIR] [--skip-unreproducible] [--report-row OUT]

Runs the scenario twice, simulated and on a real ceph-mon cluster (see
`monscope real --help`), and prints side by side the milestones a Ceph user
compares: every change of the leader, its quorum and election epoch, each
committed write, each change of the leader's health checks, and the
expectations' verdicts on both. A change counts once it has held 250 ms;
matching milestones must have equal values (leaders and quorums exactly;
epochs exactly once both are counted from the first quorum, whose epoch a
real start-up does not fix) and times within 3 s.
  --report-row OUT   also append one markdown table row (scenario, verdicts,
                     what differs) to OUT, for `cargo xtask real`
Exit status: 0 everything matches, 1 something differs, 2 the file or the
machine is not fit.";

pub fn main(args: &[String]) -> u8 {
    if wants_help(args, HELP) {
        return 0;
    }
    let mut rest = Vec::new();
    let mut report = None;
    let mut i = 0;
    while i < args.len() {
        if args[i] == "--report-row" {
            match crate::flag_value(args, &mut i, "--report-row") {
                Ok(v) => report = Some(v.to_string()),
                Err(e) => {
                    eprintln!("error: {e}\n\n{HELP}");
                    return 2;
                }
            }
        } else {
            rest.push(args[i].clone());
        }
        i += 1;
    }
    let (a, scenario) = match args_and_scenario(&rest, false, HELP) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let sim = run(&scenario);
    let real = match run_real(&scenario, &a.opts) {
        Ok(r) => r,
        Err(code) => {
            if let Some(path) = &report {
                let why = if code == 2 {
                    "could not run (see its output)"
                } else {
                    "interrupted"
                };
                append(
                    path,
                    &format!("| {} | – | – | {why} | – |\n", stem(&a.file)),
                );
            }
            return code;
        }
    };
    let mons = |nodes: &[String]| nodes[..nodes.len().saturating_sub(1)].to_vec();
    let sim_trace = sim.trace.to_vec();
    let sm = milestones(&mons(&sim.nodes), &sim_trace, sim.end, SETTLE);
    let rm = milestones(&mons(&real.nodes), &real.trace, real.end, SETTLE);
    let rows = compare(&sm, &rm, TOLERANCE);
    let offset = epoch_offset(&sm, &rm);
    let sv = verdicts(&sim_trace, |e| e.at);
    let rv = verdicts(&real.trace, scheduled(&scenario));
    let out = render(&scenario, &a.file, &real.source, &rows, offset, &sv, &rv);
    print!("{out}");
    let milestone_diffs = rows.iter().filter(|r| r.verdict != Verdict::Same).count();
    let verdict_diffs = sv
        .iter()
        .filter(|(l, v)| rv.get(*l).is_some_and(|r| r.pass != v.pass))
        .count();
    if let Some(path) = &report {
        let causes = known_causes(&scenario, &rows);
        append(
            path,
            &report_row(&a.file, &rows, offset, &sv, &rv, &real.skipped, &causes),
        );
    }
    u8::from(milestone_diffs + verdict_diffs > 0)
}

/// One expectation's outcome.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict1 {
    pub at: Time,
    pub text: String,
    pub pass: bool,
    pub actual: String,
}

fn verdicts(trace: &[Event], at: impl Fn(&Event) -> Time) -> BTreeMap<u32, Verdict1> {
    trace
        .iter()
        .filter_map(|ev| match &ev.kind {
            EventKind::Expect {
                line,
                text,
                pass,
                actual,
            } => Some((
                *line,
                Verdict1 {
                    at: at(ev),
                    text: text.to_string(),
                    pass: *pass,
                    actual: actual.to_string(),
                },
            )),
            _ => None,
        })
        .collect()
}

fn cell(m: &Option<Mark>) -> (String, String) {
    match m {
        Some(m) => (secs(m.at), m.what.describe()),
        None => (String::new(), "–".into()),
    }
}

fn pass_word(v: Option<&Verdict1>) -> String {
    match v {
        Some(v) if v.pass => format!("PASS ({})", v.actual),
        Some(v) => format!("FAIL ({})", v.actual),
        None => "–".into(),
    }
}

/// The side-by-side text.
pub fn render(
    s: &Scenario,
    file: &str,
    source: &str,
    rows: &[Row],
    offset: i64,
    sv: &BTreeMap<u32, Verdict1>,
    rv: &BTreeMap<u32, Verdict1>,
) -> String {
    let mut o = String::new();
    o += &format!(
        "{file}: simulated (monscope) vs {source}; a change counts once held {}, times match within {}\n",
        format_duration(SETTLE),
        format_duration(TOLERANCE)
    );
    if offset != 0 {
        o += &format!(
            "epochs are compared from the first quorum on: real's are sim's {offset:+} \
             (a real start-up's epoch depends on when each process started)\n"
        );
    }
    o += "\n";
    o += &format!(
        "  {:>9}  {:<38}  {:>9}  {:<38}  {}\n",
        "sim", "", "real", "", "verdict"
    );
    for r in rows {
        let (st, sd) = cell(&r.first);
        let (rt, rd) = cell(&r.second);
        let mark = if r.verdict == Verdict::Same {
            ' '
        } else {
            '≠'
        };
        let off = match (&r.first, &r.second) {
            (Some(a), Some(b)) if r.verdict == Verdict::Differs => {
                format!(" ({})", what_differs(a, b, offset))
            }
            (Some(a), Some(b)) => {
                let d = b.at as i64 - a.at as i64;
                let sign = if d < 0 { "-" } else { "+" };
                format!(" ({sign}{})", secs(d.unsigned_abs()))
            }
            _ => String::new(),
        };
        o += &format!(
            "{mark} {st:>9}  {sd:<38}  {rt:>9}  {rd:<38}  {}{off}\n",
            r.verdict.name()
        );
    }
    o += "\nexpectations:\n";
    let lines: Vec<u32> = sv
        .keys()
        .chain(rv.keys())
        .copied()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    for l in lines {
        let (s1, r1) = (sv.get(&l), rv.get(&l));
        let Some(any) = s1.or(r1) else { continue };
        let mark = if s1.map(|v| v.pass) == r1.map(|v| v.pass) {
            ' '
        } else {
            '≠'
        };
        o += &format!(
            "{mark} line {l} at {}s {}\n      sim:  {}\n      real: {}\n",
            format_secs(any.at),
            any.text,
            pass_word(s1),
            pass_word(r1)
        );
    }
    let count = |m: &BTreeMap<u32, Verdict1>| {
        let p = m.values().filter(|v| v.pass).count();
        (p, m.len() - p)
    };
    let (sp, sf) = count(sv);
    let (rp, rf) = count(rv);
    let diffs = rows.iter().filter(|r| r.verdict != Verdict::Same).count();
    o += &format!(
        "\nsim: {sp} passed, {sf} failed; real: {rp} passed, {rf} failed; {diffs} of {} milestones differ ({})\n",
        rows.len(),
        s.title.as_deref().unwrap_or("untitled")
    );
    o
}

fn stem(file: &str) -> String {
    std::path::Path::new(file)
        .file_stem()
        .map_or_else(|| file.to_string(), |s| s.to_string_lossy().into_owned())
}

/// One markdown row: scenario | sim verdicts | real verdicts | what differs.
/// Causes of differences that are known and checked against the daemon,
/// recognised in the aligned milestones.
pub fn known_causes(s: &Scenario, rows: &[Row]) -> Vec<&'static str> {
    use monscope_core::mon::monmap::Strategy;
    use monscope_core::trace::milestones::Milestone;
    let mut causes = Vec::new();
    let prepared = s.strategy != Strategy::Classic || !s.disallow.is_empty();
    if prepared {
        causes.push(
            "the real cluster got its election strategy before 0s (`ceph mon set \
             election_strategy` needs a quorum), so it starts from an established quorum",
        );
    }
    let first_quorum = rows.iter().find(|r| {
        matches!(
            r.first.as_ref().map(|m| &m.what),
            Some(Milestone::Quorum { .. })
        )
    });
    if !prepared && first_quorum.is_some_and(|r| r.verdict != Verdict::Same) {
        causes.push(
            "start-up: a real cluster's first stable quorum can come later and at a higher \
             epoch (monmaptool's epoch-0 monmap: the first quorum commits epoch 1 and \
             bootstraps again; a proposal that reaches a monitor still probing is dropped, \
             and on loopback which comes first is a race: the processes finish opening their \
             stores in a different order each run, and after the commit all bootstrap at once)",
        );
    }
    let health = |m: &Option<Mark>, check: &str| {
        m.as_ref().is_some_and(
            |m| matches!(&m.what, Milestone::Health(h) if h.iter().any(|c| c == check)),
        )
    };
    let late_or_missing = |r: &Row| {
        r.verdict == Verdict::OnlyFirst
            || (r.verdict == Verdict::TimeOff
                && r.first.as_ref().map(|m| m.at) < r.second.as_ref().map(|m| m.at))
    };
    if rows
        .iter()
        .any(|r| health(&r.first, "MON_DOWN") && late_or_missing(r))
    {
        causes.push(
            "MON_DOWN: Pacific raises it only once the monmap is mon_down_mkfs_grace (60s) \
             old (HealthMonitor::check_for_mon_down)",
        );
    }
    if rows
        .iter()
        .any(|r| health(&r.first, "MON_CLOCK_SKEW") && r.verdict != Verdict::Same)
    {
        causes.push(
            "MON_CLOCK_SKEW: the real leader measures skew in timecheck rounds (one after \
             each election, then every mon_timecheck_skew_interval, 30s, while a skew is seen)",
        );
    }
    // After a heal, a link comes back only at its TCP connection's next
    // retransmission (README: "Cut and restore"), on both sides.
    let healed_at = s
        .timed
        .iter()
        .filter(|t| matches!(t.action, Action::Heal | Action::Restore { .. }))
        .map(|t| t.at)
        .min();
    if let Some(h) = healed_at {
        let after_heal_differs = rows.iter().any(|r| {
            r.verdict != Verdict::Same
                && r.first
                    .as_ref()
                    .or(r.second.as_ref())
                    .is_some_and(|m| m.at >= h)
        });
        if after_heal_differs {
            causes.push(
                "heal/restore: on both, a cut mon-to-mon link delivers what it held at its TCP \
                 connection's next retransmission after the heal (the simulator's timer: 0.215 s \
                 doubling from the first held message; real connections measured 0.211-0.223 s, \
                 so a heal close to a retransmission can resume one retransmission apart), and \
                 the elections after it follow from when the held messages arrive",
            );
        }
    }
    causes
}

/// What differs in a pair, the real epoch counted from the first quorum.
fn what_differs(sim: &Mark, real: &Mark, offset: i64) -> &'static str {
    difference(&sim.what, &shift_epoch(real, -offset).what)
}

pub fn report_row(
    file: &str,
    rows: &[Row],
    offset: i64,
    sv: &BTreeMap<u32, Verdict1>,
    rv: &BTreeMap<u32, Verdict1>,
    skipped: &[String],
    causes: &[&str],
) -> String {
    let count = |m: &BTreeMap<u32, Verdict1>| {
        let p = m.values().filter(|v| v.pass).count();
        format!("{p}/{}", m.len())
    };
    let mut what: Vec<String> = Vec::new();
    for r in rows.iter().filter(|r| r.verdict != Verdict::Same) {
        let d = |m: &Option<Mark>| {
            m.as_ref().map_or("–".to_string(), |m| {
                format!("{} at {}", m.what.describe(), secs(m.at))
            })
        };
        let why = match (&r.first, &r.second) {
            (Some(a), Some(b)) if r.verdict == Verdict::Differs => {
                format!(" ({})", what_differs(a, b, offset))
            }
            _ => String::new(),
        };
        what.push(format!(
            "{}{why}: sim {} / real {}",
            r.verdict.name(),
            d(&r.first),
            d(&r.second)
        ));
    }
    for (l, v) in rv {
        if sv.get(l).is_some_and(|s| s.pass != v.pass) {
            what.push(format!(
                "line {l} `{}`: real {}",
                v.text,
                pass_word(Some(v))
            ));
        }
    }
    if !skipped.is_empty() {
        what.push(format!("not run on real: {}", skipped.join("; ")));
    }
    const SHOWN: usize = 4;
    let more = what.len().saturating_sub(SHOWN);
    what.truncate(SHOWN);
    if more > 0 {
        what.push(format!("and {more} more"));
    }
    let what = if what.is_empty() {
        "nothing".to_string()
    } else {
        what.join("<br>").replace('|', "\\|")
    };
    let why = if causes.is_empty() {
        "–".to_string()
    } else {
        causes.join("<br>").replace('|', "\\|")
    };
    format!(
        "| {} | {} | {} | {what} | {why} |\n",
        stem(file),
        count(sv),
        count(rv)
    )
}

fn append(path: &str, text: &str) {
    let f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path);
    match f {
        Ok(mut f) => {
            let _ = f.write_all(text.as_bytes());
        }
        Err(e) => eprintln!("error: {path}: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use monscope_core::trace::milestones::{Mark, Milestone};

    fn v(pass: bool, text: &str, actual: &str) -> Verdict1 {
        Verdict1 {
            at: 60_000_000,
            text: text.into(),
            pass,
            actual: actual.into(),
        }
    }

    #[test]
    fn the_report_row_names_the_verdicts_and_what_differs() {
        let q = |e| Milestone::Quorum {
            leaders: vec!["a".into()],
            quorum: vec!["a".into(), "b".into()],
            epoch: e,
        };
        let rows = vec![
            Row {
                first: Some(Mark {
                    at: 20_000,
                    what: q(2),
                }),
                second: Some(Mark {
                    at: 700_000,
                    what: q(2),
                }),
                verdict: Verdict::Same,
            },
            Row {
                first: Some(Mark {
                    at: 5_000_000,
                    what: q(4),
                }),
                second: Some(Mark {
                    at: 5_500_000,
                    what: q(6),
                }),
                verdict: Verdict::Differs,
            },
        ];
        let sv = BTreeMap::from([(7, v(true, "expect leader b", "leader is b"))]);
        let rv = BTreeMap::from([(7, v(false, "expect leader b", "leader is a"))]);
        let row = report_row(
            "scenarios/x.mon",
            &rows,
            0,
            &sv,
            &rv,
            &["line 3: latency 5ms".into()],
            &["start-up"],
        );
        assert_eq!(
            row,
            "| x | 1/1 | 0/1 | differs (epoch): sim leader a, quorum a b, epoch 4 at 5s / real leader a, \
             quorum a b, epoch 6 at 5.5s<br>line 7 `expect leader b`: real FAIL (leader is a)\
             <br>not run on real: line 3: latency 5ms | start-up |\n"
        );
    }

    #[test]
    fn the_side_by_side_text_marks_differences() {
        let s = monscope_core::scenario::parse("mons a b\nat 60s expect leader b\n").unwrap();
        let rows = vec![Row {
            first: None,
            second: Some(Mark {
                at: 1_000_000,
                what: Milestone::Health(vec!["MON_DOWN".into()]),
            }),
            verdict: Verdict::OnlySecond,
        }];
        let sv = BTreeMap::from([(2, v(true, "expect leader b", "leader is b"))]);
        let rv = BTreeMap::from([(2, v(true, "expect leader b", "leader is b"))]);
        let text = render(&s, "f.mon", "real ceph-mon 16.2.15", &rows, 0, &sv, &rv);
        assert!(
            text.contains(
                "≠            –                                              1s  health MON_DOWN"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "  line 2 at 60s expect leader b\n      sim:  PASS (leader is b)\n      \
                 real: PASS (leader is b)\n"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "sim: 1 passed, 0 failed; real: 1 passed, 0 failed; 1 of 1 milestones differ"
            ),
            "{text}"
        );
    }

    #[test]
    fn what_differs_counts_the_real_epoch_from_the_first_quorum() {
        let q = |e| Mark {
            at: 0,
            what: Milestone::Quorum {
                leaders: vec!["a".into()],
                quorum: vec!["a".into(), "c".into(), "d".into()],
                epoch: e,
            },
        };
        // Equal numbers, but the real run started 2 epochs lower.
        assert_eq!(what_differs(&q(12), &q(12), -2), "epoch");
        assert_eq!(what_differs(&q(12), &q(10), -2), "nothing");
    }

    #[test]
    fn known_causes_name_the_start_up_and_mon_down_grace() {
        let s = monscope_core::scenario::parse("mons a b c\nat 30s kill a\n").unwrap();
        let q = |e| Milestone::Quorum {
            leaders: vec!["a".into()],
            quorum: vec!["a".into(), "b".into(), "c".into()],
            epoch: e,
        };
        let down = Milestone::Health(vec!["MON_DOWN".into()]);
        let rows = vec![
            Row {
                first: Some(Mark {
                    at: 20_000,
                    what: q(2),
                }),
                second: Some(Mark {
                    at: 5_400_000,
                    what: q(8),
                }),
                verdict: Verdict::Differs,
            },
            Row {
                first: Some(Mark {
                    at: 44_000_000,
                    what: down.clone(),
                }),
                second: Some(Mark {
                    at: 60_400_000,
                    what: down,
                }),
                verdict: Verdict::TimeOff,
            },
        ];
        let c = known_causes(&s, &rows);
        assert_eq!(c.len(), 2, "{c:?}");
        assert!(c[0].starts_with("start-up"));
        assert!(c[1].starts_with("MON_DOWN"));
        let connectivity =
            monscope_core::scenario::parse("mons a b c\nstrategy connectivity\n").unwrap();
        let c = known_causes(&connectivity, &rows[..1]);
        assert!(c[0].contains("before 0s"), "{c:?}");
        // A difference after a heal names the lossless connection; one
        // before it does not.
        let healed =
            monscope_core::scenario::parse("mons a b c\nat 20s cut a b\nat 40s heal\n").unwrap();
        let c = known_causes(&healed, &rows[1..]);
        assert!(c.iter().any(|c| c.starts_with("heal/restore")), "{c:?}");
        let late = monscope_core::scenario::parse("mons a b c\nat 50s heal\n").unwrap();
        let c = known_causes(&late, &rows[1..]);
        assert!(!c.iter().any(|c| c.starts_with("heal/restore")), "{c:?}");
    }
}
