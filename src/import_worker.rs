//! The Import page's worker (binary `monscope-import`): `monscope import`
//! (monscope_core::import) in a wasm module of its own. static/import-worker.js
//! loads it in a Web Worker of static/import.html, so reading a large log set
//! never freezes the page, and only that page fetches it: the playground's
//! transfer does not carry it.
//!
//! `import_logs` answers one JSON object: `summary` (the text report of
//! `monscope import`), `scenario` (of `--scenario`), `link` (the playground's
//! share link of that scenario), `window` ([from, to] µs drawn), `svg` (the
//! space-time diagram of that window), `trace` (the trace as `import --json`
//! prints it, when it is at most TRACE_MAX bytes, else empty), `problems`
//! and `error` (nothing could be imported). `draw` redraws another window of
//! the last import.

// Natively only the tests use it.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

use monscope_core::import::report::{header, page_answer, page_error};
use monscope_core::import::{import, scenario::infer, Import, LogFile};
use monscope_core::scenario::link::share_link;
use monscope_core::time::{Time, SEC};
use monscope_core::trace::json::json_line;
use monscope_core::trace::svg::render;
use std::cell::RefCell;

/// A trace larger than this is not offered for download from the page
/// (`monscope import --json` writes any size).
const TRACE_MAX: usize = 20 << 20;
/// The first window drawn: the whole history up to this long, else its
/// first this much (a diagram of hours of arrows is unreadable).
const FIRST_WINDOW: Time = 120 * SEC;

thread_local! {
    static LAST: RefCell<Option<Import>> = const { RefCell::new(None) };
}

fn title(imp: &Import) -> String {
    let files: Vec<String> = imp.mons.iter().flat_map(|m| m.files.clone()).collect();
    format!("imported from logs: {}", files.join(", "))
}

fn draw_window(imp: &Import, from: Time, to: Time) -> String {
    let to = to.min(imp.end.max(1));
    let from = from.min(to.saturating_sub(1));
    render(&title(imp), &imp.nodes, &imp.trace, from, to).unwrap_or_else(|e| e.to_string())
}

/// Import `bytes` (the files one after another, `lens` their lengths).
fn import_answer(names: &[String], bytes: &[u8], lens: &[u32]) -> String {
    let mut files = Vec::new();
    let mut at = 0usize;
    for (name, len) in names.iter().zip(lens) {
        let end = (at + *len as usize).min(bytes.len());
        files.push(LogFile {
            name,
            bytes: &bytes[at..end],
        });
        at = end;
    }
    let imp = match import(&files) {
        Ok(i) => i,
        Err(e) => return page_error(&e.to_string()),
    };
    let scenario = infer(&imp);
    let window = (0, imp.end.clamp(1, FIRST_WINDOW));
    let mut trace = header(&imp);
    trace.push('\n');
    for ev in &imp.trace {
        if trace.len() > TRACE_MAX {
            trace.clear();
            break;
        }
        trace.push_str(&json_line(ev));
        trace.push('\n');
    }
    let link = share_link("", &scenario, None, None);
    let svg = draw_window(&imp, window.0, window.1);
    let answer = page_answer(&imp, &scenario, &link, window, &svg, &trace);
    LAST.with(|l| *l.borrow_mut() = Some(imp));
    answer.to_string()
}

fn draw_answer(from: Time, to: Time) -> String {
    LAST.with(|l| match &*l.borrow() {
        Some(imp) => draw_window(imp, from, to),
        None => String::new(),
    })
}

#[cfg(target_arch = "wasm32")]
mod exports {
    use wasm_bindgen::prelude::wasm_bindgen;

    #[wasm_bindgen]
    pub fn import_logs(names: Vec<String>, bytes: &[u8], lens: &[u32]) -> String {
        super::import_answer(&names, bytes, lens)
    }

    /// The diagram of [from_ms, to_ms) of the last import.
    #[wasm_bindgen]
    pub fn draw(from_ms: f64, to_ms: f64) -> String {
        let us = |ms: f64| {
            if ms.is_finite() && ms > 0.0 {
                (ms * 1000.0) as u64
            } else {
                0
            }
        };
        super::draw_answer(us(from_ms), us(to_ms))
    }
}

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!(
        "monscope-import runs in the browser, in the Import page's worker (`cargo xtask \
         serve`, then /import.html). On the command line: `cargo run --release -p \
         monscope-cli -- import --help`."
    );
    std::process::exit(2);
}

#[cfg(test)]
mod tests {
    use super::*;
    use monscope_core::trace::json_read::parse;

    fn fixture(m: &str) -> Vec<u8> {
        std::fs::read(format!(
            "{}/tests/fixtures/logs/failover/mon.{m}.log",
            env!("CARGO_MANIFEST_DIR")
        ))
        .unwrap()
    }

    #[test]
    fn the_page_gets_the_report_the_scenario_its_link_and_the_diagram() {
        let (a, b, c) = (fixture("a"), fixture("b"), fixture("c"));
        let names: Vec<String> = ["mon.a.log", "mon.b.log", "mon.c.log"]
            .map(String::from)
            .into();
        let lens = [a.len() as u32, b.len() as u32, c.len() as u32];
        let bytes = [a, b, c].concat();
        let v = parse(&import_answer(&names, &bytes, &lens)).unwrap();
        let field = |k: &str| v.get(k).and_then(|x| x.str()).unwrap().to_string();
        assert!(field("summary").starts_with("imported from logs: 3 monitors"));
        assert!(field("scenario").contains("kill a"));
        let decoded = monscope_core::scenario::decode_link(&field("link")).unwrap();
        assert_eq!(decoded.text, field("scenario"));
        assert!(field("svg").starts_with("<svg"));
        assert!(field("trace").lines().count() > 1000);
        assert!(draw_answer(10 * SEC, 20 * SEC).starts_with("<svg"));
    }

    #[test]
    fn a_file_that_is_no_log_gets_an_error_answer() {
        let names = vec!["notes.txt".to_string()];
        let v = parse(&import_answer(&names, b"hello\n", &[6])).unwrap();
        let error = v.get("error").and_then(|e| e.str()).unwrap();
        assert!(error.starts_with("no ceph-mon log to import"));
    }
}
