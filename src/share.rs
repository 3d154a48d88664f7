//! Opening a share link (`#s1=...&t=...&sel=...`, the spec's "Share links"):
//! decode it with the core codec, then refuse what the app should not open
//! silently: a link too long to be one of ours, a text that is not a valid
//! scenario, and a text carrying markup (an attempt to inject HTML through a
//! title, a note or a key). Every refusal is a [`LinkProblem`] the error panel
//! shows as text. Pure, so it is tested natively.

use monscope_core::scenario::link::{self, Decoded, MAX_TEXT};
use monscope_core::scenario::parse;

/// The longest fragment we decode. A 64 KiB text that DEFLATE cannot shrink at
/// all is about 88 K characters of base64; anything longer is not our link.
pub const MAX_FRAGMENT: usize = MAX_TEXT * 3 / 2;

#[derive(Clone, Debug, PartialEq)]
pub struct LinkProblem {
    /// What is wrong, in a sentence (shown as text, never as HTML).
    pub message: String,
    /// The decoded link, when it decoded and only its content was refused: the
    /// reader may still open it (as plain text, like everything monscope shows).
    pub decoded: Option<Decoded>,
}

/// Whether the page's fragment carries a share link.
pub fn is_link(fragment: &str) -> bool {
    let f = fragment.trim_start_matches('#');
    f.split('&').any(|p| {
        let k = p.split('=').next().unwrap_or("");
        k.len() > 1 && k.starts_with('s') && k[1..].bytes().all(|b| b.is_ascii_digit())
    })
}

/// What `?scenario=STEM` with a stem that is not built in says.
pub fn unknown_builtin(stem: &str) -> String {
    let shown: String = stem.chars().take(40).collect();
    let stems: Vec<&str> = crate::builtins::stems().collect();
    format!(
        "There is no built-in scenario \"{shown}\". The built-in scenarios are: {}.",
        stems.join(", ")
    )
}

/// Decodes and checks a link (a full URL, a `#fragment` or `s1=...`).
pub fn open(link: &str) -> Result<Decoded, LinkProblem> {
    let refuse = |message: String| LinkProblem {
        message,
        decoded: None,
    };
    if link.len() > MAX_FRAGMENT {
        return Err(refuse(format!(
            "The link is too long: {} KiB, where a monscope link is at most {} KiB.",
            link.len() / 1024,
            MAX_FRAGMENT / 1024
        )));
    }
    let decoded = link::decode(link).map_err(|e| refuse(capitalise(&e.to_string())))?;
    if let Err(e) = parse(&decoded.text) {
        // It can still be opened in the editor (as text) and fixed there.
        return Err(LinkProblem {
            message: format!(
                "The link's scenario is not valid: line {}, column {}: {}",
                e.line, e.col, e.message
            ),
            decoded: Some(decoded),
        });
    }
    if let Some((line, snippet)) = markup(&decoded.text) {
        return Err(LinkProblem {
            message: format!(
                "The link's scenario contains markup on line {line} ({snippet}). monscope never \
                 renders scenario text as HTML, so this looks like an attempt to inject a page \
                 element or a script; the link was not opened."
            ),
            decoded: Some(decoded),
        });
    }
    Ok(decoded)
}

/// The first line with an HTML tag, comment or declaration start (`<x`, `</`,
/// `<!`, `<?`), and the start of it; a bare `<` as in `a < b` is fine.
pub fn markup(text: &str) -> Option<(usize, String)> {
    text.lines().enumerate().find_map(|(i, line)| {
        let at = line.char_indices().find_map(|(at, c)| {
            let next = line[at + c.len_utf8()..].chars().next()?;
            (c == '<' && (next.is_ascii_alphabetic() || matches!(next, '/' | '!' | '?')))
                .then_some(at)
        })?;
        let snippet: String = line[at..].chars().take(24).collect();
        let more = line[at..].chars().count() > 24;
        Some((i + 1, format!("{snippet}{}", if more { "…" } else { "" })))
    })
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        // Messages are ASCII English: no Unicode case tables in the bundle.
        Some(f) => f.to_ascii_uppercase().to_string() + c.as_str() + ".",
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use monscope_core::scenario::link::share_link;
    use monscope_core::time::SEC;

    #[test]
    fn a_link_opens_with_its_playhead_and_selection() {
        let url = share_link("http://x/", "mons a b c\n", Some(12 * SEC), Some("b"));
        let d = open(&url).unwrap();
        assert_eq!(d.text, "mons a b c\n");
        assert_eq!(d.t, Some(12 * SEC));
        assert_eq!(d.sel.as_deref(), Some("b"));
        assert!(is_link("#s1=abc&t=1") && is_link("#t=1&s2=x") && !is_link("#top"));
    }

    #[test]
    fn damaged_links_say_what_is_wrong() {
        let url = share_link("http://x/", "mons a b c\nat 5s kill a\n", Some(SEC), None);
        let cut = &url[..url.find("&t").unwrap() - 3];
        assert!(open(cut).unwrap_err().message.contains("damaged"));
        let bad = open("#s1=<script>alert(1)</script>").unwrap_err();
        assert!(bad
            .message
            .starts_with("The link's scenario is damaged: bad base64"));
        assert!(open("#s9=abc")
            .unwrap_err()
            .message
            .contains("unknown format"));
        let sel = open(&share_link(
            "http://x/",
            "mons a b\n",
            None,
            Some("<b>x</b>"),
        ));
        assert!(sel.unwrap_err().message.contains("Bad sel=\"<b>x</b>\""));
        let long = format!("#s1={}", "A".repeat(MAX_FRAGMENT));
        assert!(open(&long)
            .unwrap_err()
            .message
            .starts_with("The link is too long"));
        let invalid = open(&share_link(
            "http://x/",
            "mons a b\nat 1s explode a\n",
            None,
            None,
        ));
        assert!(invalid.unwrap_err().message.contains("line 2"));
    }

    #[test]
    fn markup_in_a_title_note_or_key_is_refused_but_kept() {
        let text = "title \"<img src=x onerror=alert(1)>\"\nmons a b c\n";
        let p = open(&share_link("http://x/", text, None, None)).unwrap_err();
        assert!(
            p.message.contains("line 1 (<img src=x onerror=alert…)"),
            "{}",
            p.message
        );
        assert_eq!(p.decoded.unwrap().text, text);
        let note = "mons a b c\nat 1s note \"see </p><script>x()</script>\"\n";
        assert_eq!(markup(note).map(|m| m.0), Some(2));
        assert_eq!(markup("mons a b c\n# a < b and 2<3\n"), None);
    }

    #[test]
    fn an_unknown_builtin_names_itself_and_the_known_ones() {
        let m = unknown_builtin("nope");
        assert!(m.starts_with("There is no built-in scenario \"nope\"."));
        assert!(m.contains("leader-failover"));
        assert!(unknown_builtin(&"x".repeat(500)).len() < 1000);
    }
}
