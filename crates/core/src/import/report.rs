//! An import as people read it: the text report of `monscope import` and
//! the Import page, and the header line of its JSON trace.

use super::{format_wall, Import};
use crate::time::MS;
use crate::trace::milestones::{milestones, secs};

/// The first line of `import --json`, in the form of `real --json`'s: its
/// node table too is the monitors then the client (a trace file's
/// convention; the logs have no client, so no event names it).
pub fn header(imp: &Import) -> String {
    let mut nodes = imp.nodes.clone();
    nodes.push("client".into());
    serde_json::json!({
        "type": "header",
        "format": "monscope-trace-v1",
        "source": "imported from logs",
        "files": imp.mons.iter().flat_map(|m| m.files.clone()).collect::<Vec<_>>(),
        "nodes": nodes,
        "end": imp.end,
        "start": format_wall(imp.start_wall_us),
        "offsets_us": imp.mons.iter().map(|m| (m.name.clone(), m.offset_us)).collect::<Vec<_>>(),
        "inferred": imp.inferred,
        "problems": imp.problems,
        "unknown": imp.unknown,
        "unknown_samples": imp.unknown_samples,
    })
    .to_string()
}

/// The text report.
pub fn summary(imp: &Import) -> String {
    let mut s = String::new();
    let end_wall = imp.start_wall_us + imp.end as i64;
    s += &format!(
        "imported from logs: {} monitors, {} to {} ({})\n",
        imp.nodes.len(),
        format_wall(imp.start_wall_us),
        format_wall(end_wall),
        secs(imp.end)
    );
    for m in &imp.mons {
        let bounds = match m.offset_bounds {
            Some((lo, hi)) => format!(" (messages allow {} to {})", signed_ms(lo), signed_ms(hi)),
            None => String::new(),
        };
        s += &format!(
            "  mon.{}: {} — {} lines, {} understood; clock offset {}{bounds}; {} to {}\n",
            m.name,
            m.files.join(", "),
            m.lines,
            m.understood,
            signed_ms(m.offset_us),
            secs(m.first),
            secs(m.last),
        );
    }
    let c = &imp.messages;
    s += &format!(
        "messages between monitors: {} matched (arrows), {} sent and never received, {} received without a send in the logs, {} of other types\n",
        c.matched, c.unreceived, c.unsent, c.other
    );
    if c.matched + c.unreceived + c.unsent == 0 {
        s += "  (none: the logs are at debug_ms 0; `ceph config set mon debug_ms 1` logs them)\n";
    }
    s += &format!("lines not understood: {}\n", imp.unknown);
    for u in imp.unknown_samples.iter().take(12) {
        s += &format!("  {u}\n");
    }
    if imp.unknown_samples.len() > 12 {
        s += &format!(
            "  ... (one line of each kind; {} more kinds in --json's header)\n",
            imp.unknown_samples.len() - 12
        );
    }
    for i in &imp.inferred {
        s += &format!("inferred: {i}\n");
    }
    s += "history:\n";
    for m in milestones(&imp.nodes, &imp.trace, imp.end, 0) {
        s += &format!("  {:>9}  {}\n", secs(m.at), m.what.describe());
    }
    s
}

fn signed_ms(us: i64) -> String {
    let ms = us as f64 / MS as f64;
    if us == 0 {
        "0 ms".into()
    } else {
        format!("{ms:+.0} ms")
    }
}

/// The Import page's answer for an import (src/import_worker.rs says its
/// fields): JSON written here, where the serializer already is, so the
/// page's module needs no JSON crate of its own.
pub fn page_answer(
    imp: &Import,
    scenario: &str,
    link: &str,
    window: (crate::time::Time, crate::time::Time),
    svg: &str,
    trace: &str,
) -> String {
    serde_json::json!({
        "summary": summary(imp),
        "link": link,
        "scenario": scenario,
        "window": [window.0, window.1],
        "end": imp.end,
        "svg": svg,
        "trace": trace,
        "problems": imp.problems,
    })
    .to_string()
}

/// The Import page's answer when nothing could be imported.
pub fn page_error(error: &str) -> String {
    serde_json::json!({ "error": error }).to_string()
}
