//! Reading and parsing a scenario file, with errors that name file, line and column.

use monscope_core::scenario::{parse, Scenario};

pub fn read(path: &str) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..at].iter().filter(|&&b| b == b'\n').count() + 1;
        format!(
            "{path}: not a scenario: line {line} (byte {}) is not UTF-8 text",
            at + 1
        )
    })
}

pub fn load(path: &str) -> Result<(String, Scenario), String> {
    let text = read(path)?;
    let s = parse(&text).map_err(|e| format!("{path}: {e}"))?;
    Ok((text, s))
}
