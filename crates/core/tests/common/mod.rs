//! Shared by the integration tests: a run's failed expectations, in words.

use monscope_core::sim::run::Run;
use monscope_core::trace::EventKind;

/// The expectations that failed, as `line N: text: actual`.
pub fn failed(r: &Run) -> Vec<String> {
    r.trace
        .iter()
        .filter_map(|ev| match &ev.kind {
            EventKind::Expect {
                line,
                text,
                pass: false,
                actual,
            } => Some(format!("line {line}: {text}: {actual}")),
            _ => None,
        })
        .collect()
}
