//! The scenario text as lines, for the editor (components/long_text.rs):
//! when a text is long, where its lines are, what a paste leaves. Pure text
//! in, text out, so its tests run natively.

use crate::state::PARSE_LINES;

/// Whether `text` is shown by the long view rather than a textarea: more
/// lines than the page parses at once (the same threshold, so a text is
/// long for both or for neither). Stops counting at the threshold.
pub fn is_long(text: &str) -> bool {
    text.bytes()
        .filter(|&b| b == b'\n')
        .nth(PARSE_LINES)
        .is_some()
}

/// Where each line of `text` starts (byte offsets; the first is 0).
pub fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect()
}

/// The byte range of lines `first..first + count` of `text` (without the
/// last one's newline), given `line_starts`.
pub fn span(text: &str, starts: &[usize], first: usize, count: usize) -> (usize, usize) {
    let from = starts.get(first).copied().unwrap_or(text.len());
    let to = starts
        .get(first + count)
        .map_or(text.len(), |&s| s - 1)
        .max(from);
    (from, to)
}

/// The text a paste of `pasted` over the selection `from..to` of `value`
/// leaves, if it is long. The selection is in UTF-16 units, as the DOM
/// counts it.
pub fn pasted_long(value: &str, from: usize, to: usize, pasted: &str) -> Option<String> {
    let (from, to) = (utf16_to_byte(value, from), utf16_to_byte(value, to));
    let text = [&value[..from], pasted, &value[to.max(from)..]].concat();
    is_long(&text).then_some(text)
}

/// The byte offset of the `units`th UTF-16 unit of `s`.
fn utf16_to_byte(s: &str, units: usize) -> usize {
    let mut n = 0;
    for (i, c) in s.char_indices() {
        if n >= units {
            return i;
        }
        n += c.len_utf16();
    }
    s.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(n: usize) -> String {
        (0..n).map(|i| format!("at {i}s write k v\n")).collect()
    }

    #[test]
    fn a_text_is_long_past_the_lines_parsed_at_once() {
        // PARSE_LINES newlines end PARSE_LINES lines: still the textarea's.
        assert!(!is_long(&lines(PARSE_LINES)));
        assert!(is_long(&lines(PARSE_LINES + 1)));
        assert!(!is_long(""));
    }

    #[test]
    fn a_selection_in_utf16_units_is_found_in_the_text() {
        // "é" is one UTF-16 unit and two bytes, "𝄞" two units and four bytes.
        let s = "aé𝄞b";
        assert_eq!(
            [0, 1, 2, 4, 5, 9].map(|u| utf16_to_byte(s, u)),
            [0, 1, 3, 7, 8, 8]
        );
    }

    #[test]
    fn a_paste_replaces_the_selection_and_only_a_long_result_is_taken() {
        let long = lines(PARSE_LINES + 1);
        // Over "é𝄞" (units 1..4) of a short text.
        let text = pasted_long("aé𝄞b", 1, 4, &long).unwrap();
        assert_eq!(text, format!("a{long}b"));
        // A short result stays the textarea's own paste.
        assert_eq!(pasted_long("mons a b c\n", 0, 0, "seed 1\n"), None);
        // A selection backwards (end before start) keeps the text after it.
        assert_eq!(pasted_long("xy", 2, 1, &long), Some(format!("xy{long}")));
    }

    #[test]
    fn a_span_of_lines_leaves_out_the_last_newline() {
        let t = "one\ntwo\nthree";
        let starts = line_starts(t);
        assert_eq!(starts, [0, 4, 8]);
        let (a, b) = span(t, &starts, 0, 2);
        assert_eq!(&t[a..b], "one\ntwo");
        let (a, b) = span(t, &starts, 2, 5);
        assert_eq!(&t[a..b], "three");
        // An edit of line 2 replaces it and keeps the rest.
        let (a, b) = span(t, &starts, 1, 1);
        assert_eq!([&t[..a], "2\n2b", &t[b..]].concat(), "one\n2\n2b\nthree");
    }
}
