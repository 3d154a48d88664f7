//! `monscope bench`: five monitors, a client write every 100ms, replayed for
//! an hour of simulated time. Reports wall time, simulated events per second,
//! the heap the trace takes per event and the peak memory.

use crate::{flag_value, heap, wants_help};
use monscope_core::scenario::parse;
use monscope_core::sim::run::run_shared;
use monscope_core::sim::Budget;
use std::fmt::Write;
use std::sync::Arc;
use std::time::Instant;

const HELP: &str = "\
usage: monscope bench [--hours H]

Replays five monitors (classic strategy, default latency) with a client
write every 100ms for H hours of simulated time (default 1; a fraction such
as 0.05 is a slice, e.g. for valgrind) and reports the wall time, the number
of trace events, events per second, the heap bytes per trace event (what
the finished run holds, divided by its events) and the peak memory (the
heap's peak as counted by monscope's allocator, and on Linux the process's
peak resident set, VmHWM). Build with --release for meaningful numbers.";

/// The benchmark scenario: `secs` seconds of writes every 100ms.
pub fn scenario_text(secs: u64) -> String {
    let mut s = String::from("title \"bench\"\nmons a b c d e\nseed 1\n");
    let writes = secs * 10;
    for i in 0..writes {
        let ms = 10_000 + i * 100;
        let _ = writeln!(s, "at {ms}ms write k{} v{i}", i % 100);
    }
    let _ = writeln!(s, "end {}s", 10 + secs);
    s
}

pub fn main(args: &[String]) -> u8 {
    if wants_help(args, HELP) {
        return 0;
    }
    let mut hours = 1.0;
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--hours" => match flag_value(args, &mut i, "--hours").map(str::parse::<f64>) {
                Ok(Ok(h)) if (0.001..=24.0).contains(&h) => hours = h,
                _ => {
                    eprintln!("error: --hours takes a number from 0.001 to 24");
                    return 2;
                }
            },
            other => {
                eprintln!("error: unexpected argument \"{other}\"\n\n{HELP}");
                return 2;
            }
        }
        i += 1;
    }
    heap::start();
    // Whole seconds: 0.05 hours is 180 s, 1,800 writes.
    let secs = (hours * 3600.0).round() as u64;
    let text = scenario_text(secs);
    let t0 = Instant::now();
    let scenario = match parse(&text) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: bench scenario: {e}");
            return 2;
        }
    };
    let parse_time = t0.elapsed();
    let heap_before = heap::live();
    heap::reset_peak();
    let t1 = Instant::now();
    // Up to 24 hours: past the default budget of a run (its events and its
    // bytes), and bounded by --hours.
    let budget = Budget {
        total: u64::MAX,
        trace_bytes: u64::MAX,
        ..Budget::DEFAULT
    };
    // Shared with the run, not copied, and kept here: `held` counts what
    // the run holds, not the scenario it was given.
    let scenario = Arc::new(scenario);
    let r = run_shared(scenario.clone(), scenario.end, budget);
    let sim_time = t1.elapsed();
    let held = heap::live().saturating_sub(heap_before);
    let heap_peak = heap::peak();
    let events = r.trace.len();
    let commits = r
        .trace
        .rare()
        .iter()
        .filter(|e| matches!(e.kind, monscope_core::trace::EventKind::ClientReply { .. }))
        .count();
    println!(
        "simulated:   {hours}h of 5 monitors, {} client writes ({commits} answered)",
        secs * 10
    );
    println!("parse:       {:.3}s", parse_time.as_secs_f64());
    println!("simulate:    {:.3}s wall", sim_time.as_secs_f64());
    println!("trace:       {events} events");
    println!(
        "speed:       {:.0} events/s",
        events as f64 / sim_time.as_secs_f64()
    );
    println!(
        "trace size:  {:.0} bytes/event on the heap ({} MB held by the run)",
        held as f64 / events.max(1) as f64,
        mb(held)
    );
    match heap::peak_resident() {
        Some(rss) => println!(
            "peak memory: {} MB heap, {} MB resident (VmHWM)",
            mb(heap_peak),
            mb(rss)
        ),
        None => println!("peak memory: {} MB heap", mb(heap_peak)),
    }
    // The process ends here: freeing millions of events one by one would
    // only cost time.
    std::mem::forget(r);
    0
}

fn mb(bytes: usize) -> String {
    format!("{:.1}", bytes as f64 / 1e6)
}
