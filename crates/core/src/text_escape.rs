//! The user's text quoted back in a message, escaped as `{:?}` escapes it for
//! every ASCII character, without std's Unicode printable tables (`{:?}` of a
//! `str` or `char` links them: about 2.4 kB gzipped of the page's wasm,
//! docs/performance.md, "`pagesize15`"). Non-ASCII text is written as is but
//! for the characters a reader could not see or that would garble the message.

use std::fmt;

/// `s` in double quotes, as `format!("{s:?}")` writes it for ASCII and
/// ordinary text (letters, CJK, emoji).
pub fn quoted(s: &str) -> String {
    Quoted(s).to_string()
}

/// `c` in single quotes, as `format!("{c:?}")` writes an ASCII or ordinary one.
pub fn quoted_char(c: char) -> String {
    let mut out = String::new();
    let _ = write_quoted(&mut out, c.encode_utf8(&mut [0; 4]), '\'');
    out
}

/// Formats as [`quoted`] (`Display` and `Debug` alike), for a derived-looking
/// `Debug` of a type that holds the user's text.
#[derive(Clone, Copy)]
pub struct Quoted<'a>(pub &'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_quoted(f, self.0, '"')
    }
}

impl fmt::Debug for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_quoted(f, self.0, '"')
    }
}

/// Writes `s` between two `quote`s; `quote` and `\` are backslashed.
fn write_quoted(out: &mut impl fmt::Write, s: &str, quote: char) -> fmt::Result {
    out.write_char(quote)?;
    for c in s.chars() {
        match c {
            '\t' => out.write_str("\\t")?,
            '\r' => out.write_str("\\r")?,
            '\n' => out.write_str("\\n")?,
            '\0' => out.write_str("\\0")?,
            '\\' => out.write_str("\\\\")?,
            c if c == quote => {
                out.write_char('\\')?;
                out.write_char(c)?;
            }
            c if unseen(c) => write!(out, "\\u{{{:x}}}", c as u32)?,
            c => out.write_char(c)?,
        }
    }
    out.write_char(quote)
}

/// A character a reader could not see (controls, spaces and marks of no
/// width, fillers, private use, noncharacters) or that
/// would garble the message (line and paragraph separators, bidi controls).
fn unseen(c: char) -> bool {
    c.is_control()
        || matches!(
            c as u32,
            0xA0 | 0xAD
                | 0x34F
                | 0x61C
                | 0x115F..=0x1160
                | 0x17B4..=0x17B5
                | 0x180B..=0x180F
                | 0x2000..=0x200F
                | 0x2028..=0x202F
                | 0x205F..=0x206F
                | 0x3164
                | 0xE000..=0xF8FF
                | 0xFEFF
                | 0xFFA0
                | 0xFFF0..=0xFFFB
                | 0xFFFE..=0xFFFF
                | 0xF0000..
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_is_quoted_as_debug_quotes_it() {
        let all: String = (0u8..0x80).map(char::from).collect();
        assert_eq!(quoted(&all), format!("{all:?}"));
        for c in (0u8..0x80).map(char::from) {
            assert_eq!(quoted(&c.to_string()), format!("{:?}", c.to_string()));
            assert_eq!(quoted_char(c), format!("{c:?}"), "{}", c as u32);
        }
        for s in ["", "mon.a", "say \"hi\"\\ 'there'", "a\tb\r\nc\0"] {
            assert_eq!(quoted(s), format!("{s:?}"));
            assert_eq!(Quoted(s).to_string(), format!("{s:?}"));
            assert_eq!(format!("{:?}", Some(Quoted(s))), format!("{:?}", Some(s)));
        }
    }

    #[test]
    fn ordinary_text_is_written_as_is_as_debug_writes_it() {
        for s in [
            "Überwachung café naïve",
            "Ελληνικά кириллица עברית العربية",
            "監視 モニター 모니터",
            "🐙🚀✅ 😀",
            "½ € — “quoted” ‘x’ …",
        ] {
            assert_eq!(quoted(s), format!("{s:?}"));
            assert!(quoted(s).contains(s));
        }
        for c in ['é', '監', '🐙', '€', '—'] {
            assert_eq!(quoted_char(c), format!("{c:?}"));
        }
        // An emoji's presentation selector (which Debug escapes) and the
        // replacement character are seen, with the emoji and as themselves.
        let s = "❤\u{fe0f} \u{fffd}";
        assert_eq!(quoted(s), format!("\"{s}\""));
    }

    #[test]
    fn unseen_characters_are_escaped() {
        for (c, want) in [
            ('\u{85}', "\\u{85}"),
            ('\u{a0}', "\\u{a0}"),
            ('\u{ad}', "\\u{ad}"),
            ('\u{34f}', "\\u{34f}"),
            ('\u{61c}', "\\u{61c}"),
            ('\u{115f}', "\\u{115f}"),
            ('\u{17b5}', "\\u{17b5}"),
            ('\u{180e}', "\\u{180e}"),
            ('\u{2003}', "\\u{2003}"),
            ('\u{200b}', "\\u{200b}"),
            ('\u{200f}', "\\u{200f}"),
            ('\u{2028}', "\\u{2028}"),
            ('\u{202e}', "\\u{202e}"),
            ('\u{2060}', "\\u{2060}"),
            ('\u{3164}', "\\u{3164}"),
            ('\u{e000}', "\\u{e000}"),
            ('\u{feff}', "\\u{feff}"),
            ('\u{ffa0}', "\\u{ffa0}"),
            ('\u{fff9}', "\\u{fff9}"),
            ('\u{f0000}', "\\u{f0000}"),
            ('\u{10fffd}', "\\u{10fffd}"),
        ] {
            assert_eq!(quoted(&format!("a{c}b")), format!("\"a{want}b\""));
            assert_eq!(quoted_char(c), format!("'{want}'"));
        }
    }
}
