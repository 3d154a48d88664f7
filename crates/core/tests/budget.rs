//! Every run ends: a runaway scenario is stopped by its budget with a message
//! that says what ran away (issue 13, bug 4), and never hangs or eats memory.

use monscope_core::scenario::{library, parse};
use monscope_core::sim::budget::Limit;
use monscope_core::sim::run::run_with_budget;
use monscope_core::sim::{run, weight, Budget, Sim};
use monscope_core::time::SEC;
use monscope_core::trace::json::json_line;
use monscope_core::trace::EventKind;

/// The probe storm of issue 13: on the core before the fix, messages about
/// triple every 10 ms after the heal.
const PROBE_STORM: &str = "\
mons a b c d e
latency 5ms
at 13046ms partition d c b | e a
at 20654ms add x1
at 21096ms kill e
at 28021ms heal
at 60s expect quorum a b c d x1
";

#[test]
fn the_probe_storm_of_issue_13_stays_within_the_budget_of_a_run() {
    let s = parse(PROBE_STORM).unwrap();
    let r = run(&s);
    let b = Budget::DEFAULT;
    // Bounded whatever the monitors do: the events of the run and of every
    // simulated second stay within the budget (plus the Overrun event).
    assert!(r.trace.len() as u64 <= b.total + 1);
    let mut per_second = std::collections::BTreeMap::new();
    for ev in &r.trace {
        *per_second.entry(ev.at / SEC).or_insert(0u64) += 1;
    }
    let busiest = per_second.values().max().copied().unwrap_or(0);
    assert!(busiest <= b.per_sim_second + 100, "{busiest}");
    match &r.overrun {
        // A core that storms is stopped in the second it storms, and the
        // message names the storm and the monitor at its centre.
        Some(o) => {
            assert_eq!(o.limit, Limit::PerSimSecond);
            assert!(o.at < 30 * SEC, "{o:?}");
            assert!(o.text.contains("a message storm"), "{}", o.text);
            assert!(o.text.contains("mon.x1"), "{}", o.text);
            assert!(o.text.contains("PROBE"), "{}", o.text);
            let last = r.trace.iter().last();
            let last = last.as_ref().map(|e| &e.kind);
            assert!(matches!(last, Some(EventKind::Overrun { text }) if **text == o.text));
        }
        // A core that does not storm runs the scenario to its end.
        None => assert_eq!(r.end, s.end),
    }
}

#[test]
fn a_busy_second_past_a_tight_budget_stops_the_run_and_names_what_is_in_flight() {
    // Two hundred writes through mon.b at one instant make about 1,900
    // events in that second, against 40 a second at rest; when the budget
    // stops the run, mon.b's forwards to the leader fill the air.
    let mut text = String::from("mons a b c\nat 9s expect leader a\n");
    for i in 0..200 {
        text += &format!("at 10s write k{i} v via b\n");
    }
    text += "at 20s expect leader a\n";
    let s = parse(&text).unwrap();
    let budget = Budget {
        per_sim_second: 1_500,
        total: 1_000_000,
        trace_bytes: u64::MAX,
    };
    let r = run_with_budget(&s, s.end, budget);
    let o = r.overrun.as_ref().expect("the run is stopped");
    assert_eq!(o.limit, Limit::PerSimSecond);
    assert_eq!(o.at / SEC, 10, "{}", o.text);
    assert_eq!(r.end, o.at);
    assert!(
        o.text.contains("mostly between mon.a and mon.b"),
        "{}",
        o.text
    );
    assert!(o.text.contains("FORWARD"), "{}", o.text);
    // The expectation before the stop was checked, the one after it was not.
    assert_eq!(r.expect_counts(), (1, 0));
}

#[test]
fn a_long_run_past_the_total_budget_stops_and_says_to_end_earlier() {
    let s = parse("mons a b c\nend 600m\n").unwrap();
    let budget = Budget {
        per_sim_second: 500_000,
        total: 20_000,
        trace_bytes: u64::MAX,
    };
    let r = run_with_budget(&s, s.end, budget);
    let o = r.overrun.as_ref().expect("the run is stopped");
    assert_eq!(o.limit, Limit::Total);
    assert!(o.text.contains("earlier `end`"), "{}", o.text);
    // The item that crossed the line finishes (a delivery may log, store and
    // send together), then the overrun closes the trace.
    assert!(
        (20_002..20_010).contains(&r.trace.len()),
        "{}",
        r.trace.len()
    );
    let last = r.trace.iter().last();
    assert!(matches!(
        last.as_ref().map(|e| &e.kind),
        Some(EventKind::Overrun { .. })
    ));
}

#[test]
fn a_snapshot_taken_before_the_stop_replays_to_the_same_stop() {
    let s = parse("mons a b c\nend 600m\n").unwrap();
    let budget = Budget {
        per_sim_second: 500_000,
        total: 20_000,
        trace_bytes: u64::MAX,
    };
    let mut sim = Sim::with_budget(&s, budget);
    sim.run_until(30 * SEC);
    let mut snapshot = sim.clone();
    sim.run_until(s.end);
    snapshot.run_until(s.end);
    assert!(sim.overrun().is_some());
    assert_eq!(sim.overrun(), snapshot.overrun());
    assert_eq!(sim.now(), snapshot.now());
    assert!(sim.is_done() && !sim.step());
}

#[test]
fn a_zero_timer_never_hangs_a_run() {
    // Issue 13, bug 3: on the core before the fix, these froze simulated time.
    for text in [
        "mons a b c\nset mon_probe_timeout 0\nat 5s expect leader a\n",
        "mons a b c\nseed 730939\nset mon_election_timeout 0\nat 5s expect leader a\n",
    ] {
        // A core that refuses the option says so; one that runs it is bounded.
        let Ok(s) = parse(text) else {
            continue;
        };
        let r = run(&s);
        assert!(r.trace.len() as u64 <= Budget::DEFAULT.total + 1);
        if let Some(o) = &r.overrun {
            assert_eq!(o.limit, Limit::PerSimSecond, "{}", o.text);
            assert!(o.at < 5 * SEC, "{}", o.text);
        }
    }
}

/// Fifteen monitors left running: each elector ping carries a score for
/// every pair of monitors, about 5 kB of JSON. On the core before the byte
/// limit, `end 100000m` ran to the five millionth event (3,774 s) and `run
/// --json` wrote 9.4 GB.
const FIFTEEN: &str = "mons a b c d e f g h i j k l m n o\nend 100000m\n";

#[test]
fn a_long_run_of_fifteen_monitors_stops_at_its_bytes_and_names_the_pings() {
    let s = parse(FIFTEEN).unwrap();
    let budget = Budget {
        trace_bytes: 100_000_000,
        ..Budget::DEFAULT
    };
    let r = run_with_budget(&s, s.end, budget);
    let o = r.overrun.as_ref().expect("the run is stopped");
    assert_eq!(o.limit, Limit::TraceBytes, "{}", o.text);
    assert_eq!(r.end, o.at);
    assert!(o.at > 10 * SEC && o.at < 600 * SEC, "{}", o.text);
    assert!(
        o.text.contains("the run's trace reached 100 MB of JSON in")
            && o.text.contains("(the budget of a run is 100 MB)"),
        "{}",
        o.text
    );
    assert!(
        o.text.contains("mostly the elector's pings (8"),
        "{}",
        o.text
    );
    assert!(
        o.text.ends_with("shorten it with an earlier `end`"),
        "{}",
        o.text
    );
    let last = r.trace.iter().last();
    assert!(matches!(
        last.as_ref().map(|e| &e.kind),
        Some(EventKind::Overrun { text }) if **text == o.text
    ));
    // What `run --json` writes (and the digest hashes) is about the budget.
    let json: u64 = r.trace.iter().map(|e| json_line(&e).len() as u64 + 1).sum();
    assert!(
        (budget.trace_bytes * 7 / 10..=budget.trace_bytes * 11 / 10).contains(&json),
        "{json}"
    );
}

#[test]
fn the_budgets_bytes_are_near_the_json_of_every_built_in_scenario() {
    // The estimate stops a run near the bytes the README promises: within a
    // fifth of the JSON of each built-in scenario (3 to 7 monitors), and of
    // a minute of fifteen monitors.
    let fifteen = FIFTEEN.replace("100000m", "60s");
    let texts = library::BUILTIN
        .iter()
        .map(|(stem, text)| (*stem, text.to_string()))
        .chain([("fifteen monitors", fifteen)]);
    for (stem, text) in texts {
        let s = parse(&text).unwrap();
        let mut sim = Sim::new(&s);
        sim.run_until(s.end);
        assert!(sim.overrun().is_none(), "{stem}");
        let json: u64 = sim
            .trace()
            .iter()
            .map(|e| json_line(e).len() as u64 + 1)
            .sum();
        let est = sim.trace_bytes();
        assert!(
            est * 10 >= json * 8 && est * 10 <= json * 12,
            "{stem}: estimated {est}, JSON {json}"
        );
        // Each event is weighed as the simulator weighs it.
        let weighed: u64 = sim.trace().iter().map(|e| weight::event(&e.kind)).sum();
        assert_eq!(weighed, est, "{stem}");
    }
}

#[test]
fn the_benchmark_hour_fits_the_default_budget_with_room() {
    // `monscope bench`'s scenario (and the page's long-run test), three
    // minutes of it: an hour is twenty times as much after its start.
    let mut text = String::from("title \"bench\"\nmons a b c d e\nseed 1\n");
    for i in 0..1_800 {
        text += &format!("at {}ms write k{} v{i}\n", 10_000 + i * 100, i % 100);
    }
    text += "end 190s\n";
    let s = parse(&text).unwrap();
    let mut sim = Sim::new(&s);
    sim.run_until(10 * SEC);
    let (events, bytes) = (sim.events(), sim.trace_bytes());
    sim.run_until(s.end);
    assert!(sim.overrun().is_none());
    let hour_bytes = bytes + (sim.trace_bytes() - bytes) * 20;
    let hour_events = events + (sim.events() - events) * 20;
    let b = Budget::DEFAULT;
    assert!(hour_bytes < b.trace_bytes * 8 / 10, "{hour_bytes}");
    assert!(hour_events < b.total, "{hour_events}");
}
