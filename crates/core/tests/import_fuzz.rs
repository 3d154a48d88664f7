//! `monscope import` on damaged logs: the real ceph-mon 16.2.15 logs of
//! tests/fixtures/logs cut, with lines dropped, repeated, shuffled, garbled,
//! made binary or not UTF-8, imported or refused with the reasons, never a
//! panic. Deterministic: the damage comes from a fixed seed.

use monscope_core::import::{import, report, scenario, Error, LogFile};
use monscope_core::sim::rng::Pcg32;

fn fixture(dir: &str, mon: &str) -> Vec<u8> {
    let path = format!(
        "{}/../../tests/fixtures/logs/{dir}/mon.{mon}.log",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn below(r: &mut Pcg32, n: usize) -> usize {
    r.next_u32() as usize % n.max(1)
}

/// One kind of damage to a log's lines or bytes.
fn damage(r: &mut Pcg32, log: &[u8]) -> Vec<u8> {
    let mut lines: Vec<Vec<u8>> = log.split(|b| *b == b'\n').map(<[u8]>::to_vec).collect();
    for _ in 0..=below(r, 4) {
        if lines.is_empty() {
            lines.push(Vec::new());
        }
        let i = below(r, lines.len());
        match below(r, 11) {
            // Cut short mid-line (a log still being written).
            0 => {
                lines.truncate(i + 1);
                let keep = below(r, lines[i].len() + 1);
                lines[i].truncate(keep);
            }
            1 => {
                lines.remove(i);
            }
            2 => lines.insert(i, lines[below(r, lines.len())].clone()),
            3 => {
                let j = below(r, lines.len());
                lines.swap(i, j);
            }
            // Bytes changed anywhere, stamps included.
            4 if !lines[i].is_empty() => {
                let k = below(r, lines[i].len());
                lines[i][k] = r.next_u32() as u8;
            }
            // A digit changed: epochs, versions, ranks, times past their range.
            5 => {
                for b in lines[i].iter_mut().filter(|b| b.is_ascii_digit()) {
                    if below(r, 3) == 0 {
                        *b = b'9';
                    }
                }
            }
            6 => lines[i].extend_from_slice(&[0xc3, 0x28, 0xff]),
            7 => lines[i] = b"9".repeat(below(r, 60)),
            8 => lines[i].extend(std::iter::repeat_n(b'x', 100_000)),
            9 => lines[i].retain(|b| *b != b' '),
            _ => lines[i] = lines[i].iter().rev().copied().collect(),
        }
    }
    lines.join(&b'\n')
}

/// Import `files`: a history, or the reason nothing could be; every report
/// the CLI prints works on what is imported.
fn check(files: &[(String, Vec<u8>)]) -> bool {
    let logs: Vec<LogFile> = files
        .iter()
        .map(|(name, bytes)| LogFile { name, bytes })
        .collect();
    match import(&logs) {
        Ok(imp) => {
            assert!(imp.trace.windows(2).all(|w| w[0].at <= w[1].at));
            let _ = report::header(&imp);
            let _ = report::summary(&imp);
            let text = scenario::infer(&imp);
            assert!(!text.is_empty());
            true
        }
        Err(Error::NoMonitorLog(why)) => {
            assert!(!why.is_empty() && why.iter().all(|w| !w.is_empty()));
            false
        }
    }
}

#[test]
fn damaged_logs_are_imported_or_refused_with_reasons_never_a_panic() {
    let mut r = Pcg32::new(14);
    let mut imported = 0;
    for dir in ["startup", "failover", "netsplit", "sync"] {
        let logs: Vec<(String, Vec<u8>)> = ["a", "b", "c"]
            .iter()
            .map(|m| (format!("{dir}/mon.{m}.log"), fixture(dir, m)))
            .collect();
        // Windows of a few hundred lines, as an excerpt: damaged each time.
        for _ in 0..12 {
            let files: Vec<(String, Vec<u8>)> = logs
                .iter()
                .map(|(name, bytes)| {
                    let lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
                    let from = below(&mut r, lines.len());
                    let to = (from + 50 + below(&mut r, 400)).min(lines.len());
                    (name.clone(), damage(&mut r, &lines[from..to].join(&b'\n')))
                })
                .collect();
            imported += check(&files) as usize;
        }
        // The whole logs, damaged once.
        let whole: Vec<(String, Vec<u8>)> = logs
            .iter()
            .map(|(name, bytes)| (name.clone(), damage(&mut r, bytes)))
            .collect();
        assert!(
            check(&whole),
            "{dir}: a little damage loses the whole import"
        );
    }
    assert!(imported > 10, "{imported}");
}

#[test]
fn binary_empty_and_foreign_files_are_refused_with_one_reason_each() {
    let mut r = Pcg32::new(3);
    let noise: Vec<u8> = (0..70_000).map(|_| r.next_u32() as u8).collect();
    let text_noise: Vec<u8> = noise.iter().map(|b| b' ' + b % 94).collect();
    let mut late_nul = fixture("startup", "a");
    late_nul.extend_from_slice(&[0; 16]);
    let files: Vec<(String, Vec<u8>)> = vec![
        ("noise.bin".into(), noise),
        ("noise.txt".into(), text_noise),
        ("empty.log".into(), Vec::new()),
        ("newlines.log".into(), b"\n\n\n".to_vec()),
        ("crlf.log".into(), b"\r\n\r\n".to_vec()),
        (
            "osd.log".into(),
            b"2026-12-05T17:27:49.740+0000 7f1 1 osd.0 boot\n".to_vec(),
        ),
    ];
    let logs: Vec<LogFile> = files
        .iter()
        .map(|(name, bytes)| LogFile { name, bytes })
        .collect();
    let Err(Error::NoMonitorLog(why)) = import(&logs) else {
        panic!("nothing here is a monitor's log");
    };
    assert_eq!(why.len(), files.len(), "{why:#?}");
    assert!(why[0].contains("binary data"), "{}", why[0]);
    // A NUL past the first 64 KiB is read as text (it is one line's damage).
    let tail = [("a.log".to_string(), late_nul)];
    assert!(check(&tail));
}
