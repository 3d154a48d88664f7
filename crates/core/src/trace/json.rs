//! The trace as JSON lines, one object per event: what `monscope run --json`
//! prints, what the web app exports, and what the trace digest hashes.

use super::Event;

/// One event as a single line of JSON (no newline).
pub fn json_line(ev: &Event) -> String {
    // Every field of an event serializes; a failure would be a bug in a derive.
    serde_json::to_string(ev).unwrap_or_default()
}

/// The whole trace, one JSON object per line.
pub fn json_lines(trace: &[Event]) -> String {
    let mut out = String::new();
    for ev in trace {
        out.push_str(&json_line(ev));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::parse;
    use crate::sim::run;

    #[test]
    fn every_event_is_one_line_of_json_that_names_its_time_and_kind() {
        let r = run(&parse("mons a b\nat 1s write k v\nend 3s\n").unwrap());
        let text = json_lines(&r.trace.to_vec());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), r.trace.len());
        for (line, ev) in lines.iter().zip(&r.trace) {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_eq!(v["at"], serde_json::json!(ev.at), "{line}");
        }
        assert!(
            text.contains("\"write\"") || text.contains("Write"),
            "the client write is in the trace"
        );
    }

    #[test]
    fn a_client_request_exports_its_text_though_the_event_keeps_only_its_op() {
        let r = run(&parse("mons a b\nat 1s write k v\nend 3s\n").unwrap());
        let text = json_lines(&r.trace.to_vec());
        let line = text.lines().find(|l| l.contains("client_request"));
        assert_eq!(
            line,
            Some(
                r#"{"at":1000000,"type":"client_request","tid":1,"text":"write k=v","target":0,"op":{"Write":{"key":"k","value":"v"}}}"#
            )
        );
    }
}
