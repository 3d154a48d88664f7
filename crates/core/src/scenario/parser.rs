//! Parser for the scenario language (placeholder until the parser lands).
use super::ast::Scenario;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub line: u32,
    pub col: u32,
    pub message: String,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.col, self.message
        )
    }
}

pub fn parse(_text: &str) -> Result<Scenario, ParseError> {
    Err(ParseError {
        line: 1,
        col: 1,
        message: "parser not built yet".into(),
    })
}
