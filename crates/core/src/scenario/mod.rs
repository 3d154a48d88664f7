//! The scenario language: parser, printer, share-link codec and the built-in library.

pub mod ast;
mod base64;
mod check;
mod deflate;
mod inflate;
mod lexer;
pub mod library;
pub mod link;
pub mod parser;
pub mod printer;
pub mod units;

#[cfg(test)]
mod deflate_tests;
#[cfg(test)]
mod fuzz_tests;
#[cfg(test)]
mod tests;

pub use ast::*;
pub use link::{decode as decode_link, encode_payload, share_link, Decoded, LinkError};
pub use parser::{parse, ParseError, Parser};
pub use printer::{print, print_action, print_expectation, print_stmt};
