//! The built-in scenarios as the page carries them: the first one's text,
//! and every one's stem, title and a hash of its text, all worked out when
//! the page is compiled. The other texts are fetched when asked for
//! (`./scenarios/STEM.mon`, copied into the page's folder by
//! www/index.html): together they were 5.7 kB of the page's gzipped
//! transfer that a first view never reads (docs/performance.md, "Transfer").

use monscope_core::scenario::library::BUILTIN;

/// How many there are.
pub const COUNT: usize = BUILTIN.len();

/// The scenario a page without a link shows.
pub const FIRST: (&str, &str) = BUILTIN[0];

/// FNV-1a, 64 bits: tells a built-in's text from any other.
const fn hash(text: &str) -> u64 {
    let b = text.as_bytes();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < b.len() {
        h = (h ^ b[i] as u64).wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    h
}

/// Where the `title "…"` line's text is in `text`: (start, length); no
/// escapes (a test checks every title against the parser's).
const fn title_in(text: &str) -> (usize, usize) {
    let b = text.as_bytes();
    let key = b"title \"";
    let mut at = 0;
    while at < b.len() {
        // At the start of a line: `title "`?
        let mut k = 0;
        while k < key.len() && at + k < b.len() && b[at + k] == key[k] {
            k += 1;
        }
        if k == key.len() {
            let mut n = 0;
            while at + k + n < b.len() && b[at + k + n] != b'"' {
                n += 1;
            }
            return (at + k, n);
        }
        while at < b.len() && b[at] != b'\n' {
            at += 1;
        }
        at += 1;
    }
    (0, 0)
}

/// Every title's bytes, one after the other.
const TITLE_BYTES: usize = {
    let mut total = 0;
    let mut i = 0;
    while i < COUNT {
        total += title_in(BUILTIN[i].1).1;
        i += 1;
    }
    total
};

struct Known {
    stem: &'static str,
    hash: u64,
    /// Its title's end in TITLES.0 (it starts where the one before ends).
    title_end: usize,
}

/// The titles copied out at compile time, so that the texts themselves
/// are not kept.
static TITLES: ([u8; TITLE_BYTES], [Known; COUNT]) = {
    let mut bytes = [0u8; TITLE_BYTES];
    let mut known = [const {
        Known {
            stem: "",
            hash: 0,
            title_end: 0,
        }
    }; COUNT];
    let (mut i, mut end) = (0, 0);
    while i < COUNT {
        let text = BUILTIN[i].1.as_bytes();
        let (start, n) = title_in(BUILTIN[i].1);
        let mut j = 0;
        while j < n {
            bytes[end + j] = text[start + j];
            j += 1;
        }
        end += n;
        known[i] = Known {
            stem: BUILTIN[i].0,
            hash: hash(BUILTIN[i].1),
            title_end: end,
        };
        i += 1;
    }
    (bytes, known)
};
static KNOWN: &[Known; COUNT] = &TITLES.1;

/// The stem of built-in number `i`.
pub fn stem(i: usize) -> Option<&'static str> {
    KNOWN.get(i).map(|k| k.stem)
}

/// The title of built-in number `i` (its stem if it has none).
pub fn title(i: usize) -> &'static str {
    let Some(k) = KNOWN.get(i) else { return "" };
    let start = i.checked_sub(1).map_or(0, |p| KNOWN[p].title_end);
    match std::str::from_utf8(&TITLES.0[start..k.title_end]) {
        Ok(t) if !t.is_empty() => t,
        _ => k.stem,
    }
}

/// The number of the built-in called `stem`.
pub fn index(stem: &str) -> Option<usize> {
    KNOWN.iter().position(|k| k.stem == stem)
}

/// The built-in whose text `text` is, if any.
pub fn stem_of(text: &str) -> Option<&'static str> {
    let h = hash(text);
    KNOWN.iter().find(|k| k.hash == h).map(|k| k.stem)
}

/// Every stem, in the library's order.
pub fn stems() -> impl Iterator<Item = &'static str> {
    KNOWN.iter().map(|k| k.stem)
}

/// The text of built-in number `i`: the first is in the page, the others
/// are fetched from the page's folder.
#[cfg(target_arch = "wasm32")]
pub async fn text(i: usize) -> Result<String, String> {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;
    if i == 0 {
        return Ok(FIRST.1.to_string());
    }
    let stem = stem(i).ok_or("there is no such built-in scenario")?;
    let file = format!("./scenarios/{stem}.mon");
    let fetched = async {
        let response: web_sys::Response = JsFuture::from(web_sys::window()?.fetch_with_str(&file))
            .await
            .ok()?
            .dyn_into()
            .ok()?;
        if !response.ok() {
            return None;
        }
        JsFuture::from(response.text().ok()?)
            .await
            .ok()?
            .as_string()
    };
    match fetched.await {
        // What was fetched must be the built-in this page was made with (a
        // server with another version's files would show something else).
        Some(text) if stem_of(&text) == Some(stem) => Ok(text),
        Some(_) => Err(format!(
            "The built-in scenario \"{stem}\" on the page's server ({file}) is another version of it: reload the page."
        )),
        None => Err(format!(
            "The built-in scenario \"{stem}\" could not be fetched from the page's server ({file})."
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_is_known_by_its_text_and_titled_as_the_parser_reads_it() {
        assert_eq!(KNOWN.len(), BUILTIN.len());
        for (i, (stem, text)) in BUILTIN.iter().enumerate() {
            assert_eq!(super::stem(i), Some(*stem));
            assert_eq!(index(stem), Some(i));
            assert_eq!(stem_of(text), Some(*stem), "{stem}");
            let parsed = monscope_core::scenario::parse(text).unwrap().title;
            assert_eq!(title(i), parsed.as_deref().unwrap_or(stem), "{stem}");
        }
        assert_eq!(FIRST, BUILTIN[0]);
        assert_eq!(
            stems().collect::<Vec<_>>(),
            BUILTIN.iter().map(|b| b.0).collect::<Vec<_>>()
        );
    }

    #[test]
    fn an_edited_builtin_is_no_builtin() {
        let text = BUILTIN[3].1;
        assert_eq!(stem_of(&format!("{text}\n")), None);
        assert_eq!(stem_of(&text.replace("kill", "revive")), None);
        assert_eq!(stem_of(""), None);
        assert_eq!(index("nope"), None);
        assert_eq!(title(COUNT), "");
    }
}
