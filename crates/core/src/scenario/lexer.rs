//! Splits one line of scenario text into tokens: bare words and `"..."`
//! strings, separated by spaces or tabs, up to a `#` comment.
//! Columns count characters (not bytes), 1-based.

use super::parser::ParseError;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    /// The word, or a string's content with escapes resolved.
    pub text: String,
    /// Written as `"..."`.
    pub quoted: bool,
    pub line: u32,
    pub col: u32,
    /// Column just past the token's last character.
    pub end: u32,
}

/// Tokens of `line` (line number `line_no`), comments dropped.
pub fn tokenize(line_no: u32, line: &str) -> Result<Vec<Token>, ParseError> {
    let err = |col: u32, message: &str| ParseError {
        line: line_no,
        col,
        message: message.to_string(),
    };
    let mut tokens = Vec::new();
    let mut chars = line.chars().peekable();
    let mut col: u32 = 1;
    while let Some(&c) = chars.peek() {
        match c {
            ' ' | '\t' => {
                chars.next();
                col = col.saturating_add(1);
            }
            '#' => break,
            '"' => {
                let start = col;
                chars.next();
                col = col.saturating_add(1);
                let mut text = String::new();
                loop {
                    match chars.next() {
                        None => {
                            return Err(err(
                                start,
                                "unterminated string: expected a closing \" on this line",
                            ))
                        }
                        Some('"') => {
                            col = col.saturating_add(1);
                            break;
                        }
                        Some('\\') => {
                            col = col.saturating_add(1);
                            match chars.next() {
                                Some(e @ ('"' | '\\')) => {
                                    text.push(e);
                                    col = col.saturating_add(1);
                                }
                                _ => {
                                    return Err(err(
                                        col.saturating_sub(1),
                                        "unknown escape in string: only \\\" and \\\\ are allowed",
                                    ))
                                }
                            }
                        }
                        Some(other) => {
                            text.push(other);
                            col = col.saturating_add(1);
                        }
                    }
                }
                if matches!(chars.peek(), Some(c) if !matches!(c, ' ' | '\t' | '#')) {
                    return Err(err(col, "expected a space after the closing \""));
                }
                tokens.push(Token {
                    text,
                    quoted: true,
                    line: line_no,
                    col: start,
                    end: col,
                });
            }
            _ => {
                let start = col;
                let mut text = String::new();
                while let Some(&c) = chars.peek() {
                    match c {
                        ' ' | '\t' | '#' => break,
                        '"' => {
                            return Err(err(
                                col,
                                "unexpected \" inside a word (a string must start with \")",
                            ))
                        }
                        _ => {
                            text.push(c);
                            chars.next();
                            col = col.saturating_add(1);
                        }
                    }
                }
                tokens.push(Token {
                    text,
                    quoted: false,
                    line: line_no,
                    col: start,
                    end: col,
                });
            }
        }
    }
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<(String, bool, u32)> {
        tokenize(1, line)
            .unwrap()
            .into_iter()
            .map(|t| (t.text, t.quoted, t.col))
            .collect()
    }

    #[test]
    fn words_strings_and_comments() {
        assert_eq!(
            words("at 5s\tnote \"a \\\"b\\\" \\\\ # c\" # comment"),
            vec![
                ("at".into(), false, 1),
                ("5s".into(), false, 4),
                ("note".into(), false, 7),
                ("a \"b\" \\ # c".into(), true, 12),
            ]
        );
        assert_eq!(
            words("é x"),
            vec![("é".into(), false, 1), ("x".into(), false, 3)]
        );
        assert_eq!(words("k#v"), vec![("k".into(), false, 1)]);
    }

    #[test]
    fn string_errors_name_the_column() {
        let e = tokenize(3, "note \"abc").unwrap_err();
        assert_eq!((e.line, e.col), (3, 6));
        assert!(e.message.contains("unterminated string"));
        assert_eq!(tokenize(1, "note \"a\\n\"").unwrap_err().col, 8);
        assert_eq!(tokenize(1, "note \"a\"b").unwrap_err().col, 9);
        assert_eq!(tokenize(1, "ab\"c\"").unwrap_err().col, 3);
    }
}
