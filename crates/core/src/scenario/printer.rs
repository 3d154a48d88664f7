//! Printer for the scenario language.
use super::ast::Scenario;
pub fn print(_s: &Scenario) -> String {
    String::new()
}
