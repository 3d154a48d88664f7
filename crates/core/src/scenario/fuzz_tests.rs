//! Deterministic fuzzing: the parser and the link decoder never panic, parse
//! errors point inside the input, and whatever parses prints back the same.

use super::link::{decode, share_link};
use super::*;

/// PCG32 (O'Neill), fixed seeds so failures reproduce.
struct Pcg(u64);

impl Pcg {
    fn next(&mut self) -> u32 {
        let old = self.0;
        self.0 = old
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let xorshifted = (((old >> 18) ^ old) >> 27) as u32;
        xorshifted.rotate_right((old >> 59) as u32)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() as usize) % n.max(1)
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

const VALID: &[&str] = &[
    r#"title "Leader failure"
describe "Three monitors form a quorum; the leader crashes."
mons a b c
seed 7
at 20s write greeting hello
at 25s expect committed greeting hello
at 30s kill a
at 30s note "mon.a has crashed. \"Peons\" notice."
at 60s expect leader b
at 60s expect quorum b c
at 60s expect stable for 10s
at 80s revive a
at 120s expect quorum a b c
at 120s expect safe
"#,
    "mons a b c d e # five\n\
     strategy disallow\n\
     disallow a\n\
     latency 1ms..3ms\n\
     loss 0.5%\n\
     link a -> b loss 10%\n\
     link c d latency 4ms\n\
     set mon_lease 10\n\
     set mon_lease_renew_interval_factor 0.25\n\
     at 0s start all\n\
     at 1s partition a b | c | d e\n\
     at 2s heal\n\
     at 3s cut a -> b\n\
     at 4s restore a -> b\n\
     at 5s isolate c\n\
     at 6s kill c d\n\
     at 7s wipe d\n\
     at 8s revive d c\n\
     at 9s write \"k 1\" v via e\n\
     at 10s read k\n\
     at 11s call-election b\n\
     at 12s expect version a >= 3\n\
     at 12s expect health MON_DOWN\n\
     at 12s expect epoch odd\n\
     at 12s expect was b electing\n\
     at 12s expect max-leaders 1\n\
     at 13s expect quorum-stable\n\
     end 2m\n",
];

const VOCAB: &[&str] = &[
    "title",
    "describe",
    "mons",
    "strategy",
    "classic",
    "disallow",
    "connectivity",
    "seed",
    "latency",
    "loss",
    "link",
    "set",
    "end",
    "at",
    "start",
    "all",
    "kill",
    "revive",
    "wipe",
    "call-election",
    "skew",
    "add",
    "remove",
    "cut",
    "restore",
    "partition",
    "isolate",
    "heal",
    "write",
    "read",
    "via",
    "note",
    "expect",
    "leader",
    "none",
    "quorum",
    "state",
    "was",
    "epoch",
    "even",
    "odd",
    "agree",
    "quorum-stable",
    "stable",
    "unstable",
    "for",
    "committed",
    "missing",
    "version",
    "health",
    "ok",
    "MON_DOWN",
    "MON_CLOCK_SKEW",
    "max-leaders",
    "safe",
    "a",
    "b",
    "c",
    "d",
    "f",
    "é",
    "->",
    "|",
    "a|b",
    "=",
    "!=",
    "<=",
    ">",
    "0s",
    "5s",
    "1.5s",
    "250ms",
    "2m",
    "7us",
    "-300ms",
    "1.0000001s",
    "99999999999999999999s",
    "2ms..10ms",
    "10ms..2ms",
    "..",
    "0%",
    "0.5%",
    "100%",
    "101%",
    "0",
    "3",
    "18446744073709551616",
    "mon_lease",
    "paxos_min",
    "mon_lease_renew_interval_factor",
    "0.5",
    "peon",
    "down",
    "\"x\"",
    "\"a \\\" b\"",
    "\"",
    "\"\\",
    "#",
    "\t",
    "\r",
];

const CHARS: &[char] = &[
    'a', 'b', 'm', 's', ' ', ' ', '\t', '\n', '\n', '\r', '"', '\\', '#', '|', '-', '>', '.', '%',
    '0', '1', '9', 'é', 'ß', '日', '🦀', '\u{0}', '\u{200b}', 'A', '_', '=',
];

/// A parse error must point inside the text: a line that exists (or the one
/// after the last) and a column within that line (or just past its end).
fn check_parse(text: &str) -> bool {
    match parse(text) {
        Ok(s) => {
            let printed = print(&s);
            let again = parse(&printed).unwrap_or_else(|e| panic!("{e}\n{printed}"));
            let kinds = |s: &Scenario| s.stmts.iter().map(|s| s.kind.clone()).collect::<Vec<_>>();
            assert_eq!(kinds(&s), kinds(&again), "{text:?}");
            assert_eq!((s.end, s.has_start), (again.end, again.has_start));
            true
        }
        Err(e) => {
            let lines: Vec<&str> = text.split('\n').collect();
            assert!(e.line >= 1 && e.col >= 1, "{e} for {text:?}");
            assert!(e.line as usize <= lines.len() + 1, "{e} for {text:?}");
            if let Some(line) = lines.get(e.line as usize - 1) {
                assert!(
                    e.col as usize <= line.chars().count() + 1,
                    "{e} for {text:?}"
                );
            }
            assert!(!e.message.is_empty());
            false
        }
    }
}

fn random_chars(r: &mut Pcg) -> String {
    let n = r.below(60);
    (0..n).map(|_| r.pick(CHARS)).collect()
}

fn random_bytes(r: &mut Pcg) -> String {
    let n = r.below(60);
    let bytes: Vec<u8> = (0..n).map(|_| r.next() as u8).collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

fn token_soup(r: &mut Pcg) -> String {
    let mut text = String::new();
    if r.below(2) == 0 {
        text.push_str("mons a b c d\n");
    }
    for _ in 0..r.below(6) {
        for _ in 0..r.below(7) {
            let word = r.pick(VOCAB);
            text.push_str(word);
            text.push(' ');
        }
        text.push('\n');
    }
    text
}

fn mutate(r: &mut Pcg, text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for _ in 0..=r.below(3) {
        let len = chars.len();
        match r.below(6) {
            0 if len > 0 => {
                chars.remove(r.below(len));
            }
            1 if len > 0 => {
                let i = r.below(len);
                chars.insert(i, chars[i]);
            }
            2 if len > 1 => {
                let (i, j) = (r.below(len), r.below(len));
                chars.swap(i, j);
            }
            3 => {
                let i = r.below(len + 1);
                chars.insert(i, r.pick(CHARS));
            }
            _ => {
                // Line-level: delete, duplicate or swap whole lines.
                let s: String = chars.iter().collect();
                let mut lines: Vec<&str> = s.split('\n').collect();
                let n = lines.len();
                let (i, j) = (r.below(n), r.below(n));
                match r.below(3) {
                    0 => {
                        lines.remove(i);
                    }
                    1 => lines.insert(i, lines[j]),
                    _ => lines.swap(i, j),
                }
                chars = lines.join("\n").chars().collect();
            }
        }
    }
    chars.into_iter().collect()
}

#[test]
fn fuzz_parse_never_panics_and_errors_point_inside_the_input() {
    let mut r = Pcg(0x853c_49e6_748f_ea9b);
    let mut parsed = [0; 4];
    for i in 0..20_000 {
        let text = match i % 4 {
            0 => random_chars(&mut r),
            1 => random_bytes(&mut r),
            2 => token_soup(&mut r),
            _ => {
                let base = r.pick(VALID);
                mutate(&mut r, base)
            }
        };
        if check_parse(&text) {
            parsed[i % 4] += 1;
        }
    }
    // Mutations of valid scenarios often stay valid: the round trip is exercised.
    assert!(parsed[3] > 500, "{parsed:?}");
    eprintln!("parsed per kind: {parsed:?}");
}

#[test]
fn fuzz_valid_scenarios_parse() {
    for text in VALID {
        assert!(check_parse(text));
    }
}

#[test]
fn fuzz_link_decoder_never_panics() {
    let mut r = Pcg(0xda3e_39cb_94b9_5bdb);
    let links: Vec<String> = VALID
        .iter()
        .map(|t| share_link("https://x.org/#old", t, Some(1_500_000), Some("a")))
        .collect();
    for i in 0..4_000 {
        let link = match i % 3 {
            0 => random_chars(&mut r),
            1 => format!("#s1={}", random_bytes(&mut r)),
            _ => {
                let base = links[r.below(links.len())].clone();
                mutate(&mut r, &base)
            }
        };
        match decode(&link) {
            Ok(d) => {
                check_parse(&d.text);
            }
            Err(e) => assert!(!e.to_string().is_empty()),
        }
    }
    for link in &links {
        assert!(decode(link).is_ok());
    }
}

// ---- share links: every kind of damage is a clear error ----

/// The links the fuzzing below damages: the valid scenarios and a built-in,
/// with a playhead and a selection.
fn real_links() -> Vec<String> {
    VALID
        .iter()
        .copied()
        .chain([super::library::get("leader-failover").unwrap()])
        .map(|t| share_link("https://x.org/", t, Some(1_500_000), Some("a")))
        .collect()
}

/// What a damaged link must give: the text of a scenario (which then parses
/// or says where it does not), or an error that says what is wrong.
fn check_link(link: &str) -> Result<(), super::link::LinkError> {
    match decode(link) {
        Ok(d) => {
            assert!(d.text.len() <= super::link::MAX_TEXT);
            check_parse(&d.text);
            Ok(())
        }
        Err(e) => {
            assert!(!e.to_string().is_empty());
            // A user's value is quoted back cut short, never whole.
            assert!(e.to_string().chars().count() < 200, "{e}");
            Err(e)
        }
    }
}

#[test]
fn fuzz_a_link_cut_anywhere_is_a_clear_error_or_its_own_prefix() {
    use super::link::LinkError::*;
    for link in real_links() {
        let payload_end = link.find("&t=").unwrap();
        for cut in 0..link.len() {
            let r = check_link(&link[..cut]);
            // Cut inside the payload: the DEFLATE stream has no end.
            if cut > link.find("s1=").unwrap() + 3 && cut < payload_end {
                assert!(
                    matches!(r, Err(TruncatedBase64 | BadDeflate)),
                    "cut at {cut}: {r:?}"
                );
            }
        }
    }
}

#[test]
fn fuzz_flipped_bits_in_a_links_compressed_scenario_never_panic() {
    let mut r = Pcg(0x5851_f42d_4c95_7f2d);
    let (mut ok, mut damaged) = (0, 0);
    for link in real_links() {
        let payload = link.split("s1=").nth(1).unwrap().split('&').next().unwrap();
        let bytes = super::base64::decode(payload).unwrap();
        for _ in 0..1_500 {
            let mut b = bytes.clone();
            for _ in 0..=r.below(3) {
                let i = r.below(b.len());
                b[i] ^= 1 << r.below(8);
            }
            let bad = format!("#s1={}&t=3", super::base64::encode(&b));
            match check_link(&bad) {
                Ok(()) => ok += 1,
                Err(_) => damaged += 1,
            }
        }
    }
    // Both outcomes happen: the decoder really is exercised past its header.
    assert!(ok > 0 && damaged > 0, "{ok} decoded, {damaged} refused");
}

#[test]
fn fuzz_random_deflate_blocks_never_panic_or_pass_the_limit() {
    use super::inflate::{decompress, InflateError};
    let mut r = Pcg(0x2545_f491_4f6c_dd1d);
    for i in 0..20_000 {
        let n = 1 + r.below(if i % 10 == 0 { 4_000 } else { 80 });
        let mut b: Vec<u8> = (0..n).map(|_| r.next() as u8).collect();
        // Most random first bytes are not a block type: steer a share to
        // fixed (01) and dynamic (10) blocks, last or not.
        b[0] = (b[0] & !0b110) | [0b010, 0b100, 0b011, 0b101][i % 4];
        let limit = [0, 1, 100, super::link::MAX_TEXT][i % 4];
        match decompress(&b, limit) {
            Ok(out) => assert!(out.len() <= limit),
            Err(InflateError::Bad | InflateError::TooLarge) => {}
        }
    }
}

#[test]
fn fuzz_wrong_versions_repeats_and_odd_parameters_say_what_is_wrong() {
    use super::link::LinkError::*;
    let good = share_link("https://x.org/", "mons a b c\n", None, None);
    let p = good.split('#').nth(1).unwrap();
    let payload = &p[3..];
    type Want = fn(&super::link::LinkError) -> bool;
    let cases: Vec<(String, Want)> = vec![
        (
            "#s2=abc".into(),
            |e| matches!(e, UnknownVersion(v) if v == "s2"),
        ),
        ("#s0=abc".into(), |e| matches!(e, UnknownVersion(_))),
        (format!("#t=1&s10={payload}"), |e| {
            matches!(e, UnknownVersion(_))
        }),
        (
            format!("#s{}={payload}", "9".repeat(5_000)),
            // Quoted back cut short.
            |e| matches!(e, UnknownVersion(v) if v.chars().count() <= 41),
        ),
        (
            format!("#{p}&{p}"),
            |e| matches!(e, Repeated(k) if k == "s1"),
        ),
        (
            format!("#{p}&t=1&t=2"),
            |e| matches!(e, Repeated(k) if k == "t"),
        ),
        ("#".into(), |e| *e == NoPayload),
        ("#&&&=&".into(), |e| *e == NoPayload),
        ("#S1=abc".into(), |e| *e == NoPayload),
        (
            format!("#{p}&t={}", "9".repeat(400)),
            |e| matches!(e, BadTime(t) if t.ends_with('…')),
        ),
        (format!("#{p}&t=1.0000001"), |e| matches!(e, BadTime(_))),
        (format!("#{p}&t=-0"), |e| matches!(e, BadTime(_))),
        (format!("#{p}&sel="), |e| matches!(e, BadSel(_))),
        (format!("#{p}&sel=%3Cb%3E"), |e| matches!(e, BadSel(_))),
        (format!("#s1={payload}="), |e| {
            matches!(e, BadBase64 { c: '=', .. })
        }),
        (format!("#s1={payload}%20"), |e| {
            matches!(e, BadBase64 { c: '%', .. })
        }),
        ("#s1=é".into(), |e| {
            matches!(e, BadBase64 { pos: 1, c: 'é' })
        }),
    ];
    for (link, want) in &cases {
        let e = decode(link).expect_err(link);
        assert!(want(&e), "{link:.80}: {e:?}");
        assert!(
            !e.to_string().is_empty() && e.to_string().len() < 200,
            "{e}"
        );
    }
    // Parameters this version does not know are left alone.
    assert!(decode(&format!("#x=1&{p}&s=2&sx=3&future")).is_ok());
}

#[test]
fn fuzz_huge_links_stop_at_the_limit_without_inflating_further() {
    use super::link::{LinkError::*, MAX_TEXT};
    // A text of exactly the limit opens; a byte more is too large.
    let at = |n: usize| format!("#{}", super::link::encode_payload(&"#".repeat(n)));
    assert_eq!(decode(&at(MAX_TEXT)).unwrap().text.len(), MAX_TEXT);
    assert_eq!(decode(&at(MAX_TEXT + 1)), Err(TooLarge));
    // A bomb: a few hundred bytes that inflate to megabytes.
    assert_eq!(decode(&at(8 * MAX_TEXT)), Err(TooLarge));
    // Stored blocks past the limit, each whole.
    let mut stored = Vec::new();
    for last in [0u8, 0, 1] {
        stored.push(last);
        stored.extend_from_slice(&[0xff, 0xff, 0, 0]);
        stored.extend(std::iter::repeat_n(b'#', 0xffff));
    }
    let link = format!("#s1={}", super::base64::encode(&stored));
    assert_eq!(decode(&link), Err(TooLarge));
    // A megabyte of base64: damaged, found without inflating it all.
    let mut r = Pcg(7);
    let noise: String = (0..1 << 20)
        .map(|_| {
            char::from(
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"[r.below(64)],
            )
        })
        .collect();
    assert!(check_link(&format!("#s1={noise}")).is_err());
    // Many parameters.
    let many = format!("#{}{}", "a=1&".repeat(100_000), &at(10)[1..]);
    assert_eq!(decode(&many).unwrap().text, "#".repeat(10));
}
