//! The Explore page's worker (binary `monscope-explore`): the core's
//! exploration (`monscope_core::explore`, what `monscope explore` runs) in a
//! wasm module of its own. static/explore-worker.js loads it in a Web Worker
//! of static/explore.html, so the page stays responsive, and only that page
//! fetches it: the playground's transfer does not carry it.
//!
//! Answers are plain text, fields separated by tabs, the scenario after the
//! first newline: a schedule that passed is `EVENTS`; one that failed is
//! `EVENTS\tCLASS\tAT_US\tLINK\tWHAT` then its scenario; a shrunk one is
//! `RUNS\tCLASS\tAT_US\tLINK\tWHAT` then the shrunk scenario. LINK is the
//! share link's fragment (`#s1=...&t=...`): the playground opens the
//! scenario at the moment it goes wrong.

// Natively only the tests use it.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

use monscope_core::explore::{explore_one, generate, judge_schedule, shrink, titled};
use monscope_core::explore::{Config, Finding, Schedule};
use monscope_core::mon::monmap::Strategy;
use monscope_core::scenario::link::share_link;
use monscope_core::time::SEC;

/// The schedules' settings, as the page gives them.
fn config(mons: u32, strategy: u32, faults_secs: u32, quiet_secs: u32) -> Config {
    Config {
        mons: mons.clamp(1, 7) as usize,
        strategy: match strategy {
            2 => Strategy::Disallow,
            3 => Strategy::Connectivity,
            _ => Strategy::Classic,
        },
        faults_for: faults_secs.clamp(1, 3600) as u64 * SEC,
        quiet: quiet_secs.min(3600) as u64 * SEC,
        ..Config::default()
    }
}

/// `COUNT\tCLASS\tAT_US\tLINK\tWHAT\nSCENARIO` for a failure of `schedule`.
fn answer(count: u64, schedule: &Schedule, f: &Finding, seed: u64, index: u64) -> String {
    let text = titled(schedule, f, seed, index).text();
    format!(
        "{count}\t{}\t{}\t{}\t{}\n{text}",
        f.class.name(),
        f.at,
        share_link("", &text, Some(f.at), None),
        f.text
    )
}

/// Run and judge schedule `index` of `seed`.
fn run(cfg: &Config, seed: u64, index: u64) -> String {
    let e = explore_one(cfg, seed, index);
    match &e.verdict.finding {
        None => e.verdict.events.to_string(),
        Some(f) => answer(e.verdict.events, &e.schedule, f, seed, index),
    }
}

/// Shrink schedule `index` of `seed` (empty if it does not fail).
fn shrunk(cfg: &Config, seed: u64, index: u64) -> String {
    let s = generate(cfg, seed, index);
    let Some(f) = judge_schedule(&s).finding else {
        return String::new();
    };
    let r = shrink(&s, &f, 300);
    answer(r.runs as u64, &r.schedule, &r.finding, seed, index)
}

#[cfg(target_arch = "wasm32")]
mod exports {
    use wasm_bindgen::prelude::wasm_bindgen;

    /// JS numbers: seeds and indices up to 2^53 are exact.
    fn whole(x: f64) -> u64 {
        if x.is_finite() && x >= 0.0 {
            x as u64
        } else {
            0
        }
    }

    /// Schedule `index` of `seed`: run and judged, or (`shrink`) shrunk.
    #[wasm_bindgen]
    pub fn explore_job(
        shrink: bool,
        mons: u32,
        strategy: u32,
        faults: u32,
        quiet: u32,
        seed: f64,
        index: f64,
    ) -> String {
        let cfg = super::config(mons, strategy, faults, quiet);
        let job = if shrink { super::shrunk } else { super::run };
        job(&cfg, whole(seed), whole(index))
    }
}

/// Loaded by the worker, it has nothing to start.
#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!(
        "monscope-explore runs in the browser, in the Explore page's worker (`cargo xtask \
         serve`, then /explore.html). On the command line: `cargo run --release -p \
         monscope-cli -- explore --help`."
    );
    std::process::exit(2);
}

#[cfg(test)]
mod tests {
    use super::*;
    use monscope_core::scenario::{decode_link, parse};

    #[test]
    fn an_answer_is_the_events_or_the_failure_its_link_and_its_scenario() {
        let cfg = config(5, 1, 60, 60);
        // Schedule 2 of seed 1 is the first to fail on a core that re-sends
        // old forwarded requests (issue 13, bug 1); a fixed core passes it.
        for index in 0..3 {
            let line = run(&cfg, 1, index);
            let (head, scenario) = line.split_once('\n').unwrap_or((&line, ""));
            let fields: Vec<&str> = head.splitn(5, '\t').collect();
            assert!(fields[0].parse::<u64>().is_ok_and(|n| n > 0), "{line}");
            match fields[..] {
                [_] => assert!(scenario.is_empty()),
                [_, class, at, link, what] => {
                    assert!(!class.is_empty() && !what.is_empty());
                    let s = parse(scenario).expect("a scenario");
                    assert!(s.title.is_some_and(|t| t.starts_with("explore: ")));
                    // The link opens the same scenario at the moment it fails.
                    let d = decode_link(link).expect("a link");
                    assert_eq!(d.text, scenario);
                    assert_eq!(d.t, at.parse().ok());
                }
                _ => panic!("{line}"),
            }
        }
    }
}
