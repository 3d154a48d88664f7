//! Reading and parsing a scenario file, with errors that name file, line and column.

use monscope_core::scenario::{parse, Scenario};

pub fn read(path: &str) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))
}

pub fn load(path: &str) -> Result<(String, Scenario), String> {
    let text = read(path)?;
    let s = parse(&text).map_err(|e| format!("{path}: {e}"))?;
    Ok((text, s))
}
