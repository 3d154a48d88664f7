//! The scenario language: parser, printer, share-link codec and the built-in library.

pub mod ast;
pub mod link;
pub mod parser;
pub mod printer;

pub use ast::*;
pub use parser::{parse, ParseError};
pub use printer::print;
