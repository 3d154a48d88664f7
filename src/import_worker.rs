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
//! the last import; `share` makes a link of a window (its log lines,
//! import::excerpt) and `open_link` imports what such a link carries.
//!
//! The playground's "Export trace" and "Export SVG" run this module too
//! (src/trace_export.rs): `trace_json` and `trace_svg` write the run the page
//! hands over in the trace's binary encoding, so the page links neither the
//! JSON serializer nor the SVG renderer. And the playground opening
//! `#imported` runs it to read the history the Import page left
//! (`read_imported`, src/imported.rs), so the page links no JSON reader.

// Natively only the tests use it.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

/// What it hands the page (src/handover.rs), and the page's reading of
/// imported logs (only `read` and `encode` run here).
#[allow(dead_code)]
#[path = "handover.rs"]
mod handover;
#[allow(dead_code)]
#[path = "imported.rs"]
mod imported;

use monscope_core::import::excerpt::{excerpt, split};
use monscope_core::import::report::{header, page_answer, page_error};
use monscope_core::import::{import, scenario::infer, Import, LogFile};
use monscope_core::scenario::link::{share_link, MAX_TEXT};
use monscope_core::scenario::{decode_link, encode_payload};
use monscope_core::time::{Time, SEC};
use monscope_core::trace::binary::Decoder;
use monscope_core::trace::json::{json_line, json_lines};
use monscope_core::trace::svg::render;
use monscope_core::trace::Event;
use std::cell::RefCell;

/// A trace larger than this is not offered for download from the page
/// (`monscope import --json` writes any size).
const TRACE_MAX: usize = 20 << 20;
/// The first window drawn: the whole history up to this long, else its
/// first this much (a diagram of hours of arrows is unreadable).
const FIRST_WINDOW: Time = 120 * SEC;

thread_local! {
    static LAST: RefCell<Option<Import>> = const { RefCell::new(None) };
    /// The last import's files (name, bytes), for a window's link.
    static FILES: RefCell<Vec<(String, Vec<u8>)>> = const { RefCell::new(Vec::new()) };
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
    FILES.with(|f| {
        *f.borrow_mut() = files
            .iter()
            .map(|l| (l.name.to_string(), l.bytes.to_vec()))
            .collect()
    });
    answer.to_string()
}

/// `import.html#s1=...`: the window's log lines (import::excerpt) in the
/// share-link codec, or, when they are more than a link carries, a sentence
/// beginning "too large".
fn share_answer(from: Time, to: Time) -> String {
    let text = LAST.with(|l| {
        let l = l.borrow();
        let imp = l.as_ref()?;
        FILES.with(|f| {
            let f = f.borrow();
            let files: Vec<LogFile> = f
                .iter()
                .map(|(name, bytes)| LogFile { name, bytes })
                .collect();
            Some(excerpt(&files, imp, from, to))
        })
    });
    let Some(text) = text else {
        return String::new();
    };
    if text.len() > MAX_TEXT {
        return format!(
            "too large for a link: the window's log lines are {} kB, a link carries at most {} kB; draw a shorter window",
            text.len() / 1024,
            MAX_TEXT / 1024
        );
    }
    format!("import.html#{}", encode_payload(&text))
}

/// Import the files a link carries (from `share_answer`).
fn open_answer(link: &str) -> String {
    match decode_link(link) {
        Ok(d) => {
            let parts = split(&d.text);
            let names: Vec<String> = parts.iter().map(|(n, _)| n.clone()).collect();
            let lens: Vec<u32> = parts.iter().map(|(_, t)| t.len() as u32).collect();
            let bytes: Vec<u8> = parts.iter().flat_map(|(_, t)| t.bytes()).collect();
            import_answer(&names, &bytes, &lens)
        }
        Err(e) => page_error(&format!("the link does not open: {e}")),
    }
}

fn draw_answer(from: Time, to: Time) -> String {
    LAST.with(|l| match &*l.borrow() {
        Some(imp) => draw_window(imp, from, to),
        None => String::new(),
    })
}

/// The events `bytes` encodes (`trace::binary`, one encoder over the whole
/// trace): the playground's run, for its exports (src/trace_export.rs).
fn decode(bytes: &[u8]) -> Result<Vec<Event>, String> {
    let mut events = Vec::new();
    Decoder::new().decode(bytes, &mut 0, usize::MAX, &mut events)?;
    Ok(events)
}

/// "Export trace": the JSON lines (`monscope run --json`) of an encoded trace.
/// `#imported` in the playground: the history (`monscope import --json`)
/// read and encoded for the page, one character a byte.
fn read_imported(json: &str) -> Result<String, String> {
    let imp = imported::read(json)?;
    Ok(handover::to_text(&imported::encode(&imp)))
}

/// The playground's real band: a `monscope real FILE --json` trace's bands
/// (`trace::state_bands`), read and encoded for the page, one character a
/// byte.
fn read_bands(bytes: &[u8]) -> Result<String, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "not a text file".to_string())?;
    let bands = monscope_core::trace::state_bands::read_state_bands(text)?;
    Ok(handover::to_text(&handover::encode_bands(&bands)))
}

fn trace_json(bytes: &[u8]) -> Result<String, String> {
    Ok(json_lines(&decode(bytes)?))
}

/// "Export SVG": the diagram (`monscope svg`) of [from, to) of an encoded trace.
fn trace_svg(
    bytes: &[u8],
    title: &str,
    names: &[String],
    from: Time,
    to: Time,
) -> Result<String, String> {
    render(title, names, &decode(bytes)?, from, to).map_err(|e| e.to_string())
}

#[cfg(target_arch = "wasm32")]
mod exports {
    use wasm_bindgen::prelude::wasm_bindgen;

    #[wasm_bindgen]
    pub fn import_logs(names: Vec<String>, bytes: &[u8], lens: &[u32]) -> String {
        super::import_answer(&names, bytes, lens)
    }

    /// A link to the window [from_ms, to_ms) of the last import, or why not.
    #[wasm_bindgen]
    pub fn share(from_ms: f64, to_ms: f64) -> String {
        super::share_answer(us(from_ms), us(to_ms))
    }

    /// Import what a window's link carries.
    #[wasm_bindgen]
    pub fn open_link(link: &str) -> String {
        super::open_answer(link)
    }

    fn us(ms: f64) -> u64 {
        if ms.is_finite() && ms > 0.0 {
            (ms * 1000.0) as u64
        } else {
            0
        }
    }

    /// The playground's `#imported`: the stored history, read and encoded.
    #[wasm_bindgen]
    pub fn read_imported(json: &str) -> Result<String, String> {
        super::read_imported(json)
    }

    /// The playground's real band: a real trace's bands, encoded.
    #[wasm_bindgen]
    pub fn read_bands(bytes: &[u8]) -> Result<String, String> {
        super::read_bands(bytes)
    }

    /// The playground's "Export trace": the JSON lines of an encoded trace.
    #[wasm_bindgen]
    pub fn trace_json(bytes: &[u8]) -> Result<String, String> {
        super::trace_json(bytes)
    }

    /// The playground's "Export SVG": [from_us, to_us) of an encoded trace.
    #[wasm_bindgen]
    pub fn trace_svg(
        bytes: &[u8],
        title: &str,
        names: Vec<String>,
        from_us: f64,
        to_us: f64,
    ) -> Result<String, String> {
        super::trace_svg(bytes, title, &names, from_us as u64, to_us as u64)
    }

    /// The diagram of [from_ms, to_ms) of the last import.
    #[wasm_bindgen]
    pub fn draw(from_ms: f64, to_ms: f64) -> String {
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
        // The election after a's death, as a link, opens to the same leader,
        // quorum and epoch in that window.
        // The whole minute at debug_ms 1 is more than a link carries.
        assert!(share_answer(0, 70 * SEC).starts_with("too large for a link"));
        let link = share_answer(10 * SEC, 13 * SEC);
        assert!(link.starts_with("import.html#s1="), "{link}");
        let v = parse(&open_answer(&link)).unwrap();
        let summary = v.get("summary").and_then(|x| x.str()).unwrap();
        assert!(
            summary.contains("leader b, quorum b c, epoch 8"),
            "{summary}"
        );
        // Three seconds of three monitors electing: a link of a few kB.
        assert!(link.len() < 8_000, "{}", link.len());
    }

    #[test]
    fn a_file_that_is_no_log_gets_an_error_answer() {
        let names = vec!["notes.txt".to_string()];
        let v = parse(&import_answer(&names, b"hello\n", &[6])).unwrap();
        let error = v.get("error").and_then(|e| e.str()).unwrap();
        assert!(error.starts_with("no ceph-mon log to import"));
    }

    /// The playground's exports (trace_export.rs): the page encodes its run,
    /// this module writes what `monscope run --json` and `monscope svg` print.
    #[test]
    fn an_exported_trace_is_the_runs_json_lines_and_diagram() {
        use monscope_core::scenario::{library, parse};
        use monscope_core::sim::run;
        use monscope_core::trace::binary::Encoder;
        let r = run(&parse(library::get("leader-failover").unwrap()).unwrap());
        let mut bytes = Vec::new();
        let mut encoder = Encoder::new();
        for ev in &r.trace {
            encoder.encode(std::slice::from_ref(&ev), &mut bytes);
        }
        assert_eq!(trace_json(&bytes).unwrap(), json_lines(&r.trace.to_vec()));
        let names = r.nodes.clone();
        assert_eq!(
            trace_svg(&bytes, "failover", &names, 30 * SEC, 45 * SEC).unwrap(),
            render("failover", &names, &r.trace.to_vec(), 30 * SEC, 45 * SEC).unwrap()
        );
        let cut = &bytes[..bytes.len() - 3];
        assert!(trace_json(cut).unwrap_err().contains("encoding is bad"));
        // An imported history opened in the playground exports as it was read.
        let files = [fixture("a"), fixture("b"), fixture("c")];
        let logs: Vec<LogFile> = ["mon.a.log", "mon.b.log", "mon.c.log"]
            .iter()
            .zip(&files)
            .map(|(name, bytes)| LogFile { name, bytes })
            .collect();
        let imp = import(&logs).unwrap();
        let mut bytes = Vec::new();
        Encoder::new().encode(&imp.trace, &mut bytes);
        assert_eq!(trace_json(&bytes).unwrap(), json_lines(&imp.trace));
    }
}
