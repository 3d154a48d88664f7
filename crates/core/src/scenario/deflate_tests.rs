//! The share links' own DEFLATE against miniz_oxide (what earlier links were
//! made with): each reads what the other writes, links stay as short, and
//! damaged data is refused without a panic.

use super::deflate::compress;
use super::inflate::{decompress, InflateError};
use super::library::BUILTIN;
use miniz_oxide::deflate::compress_to_vec;
use miniz_oxide::inflate::decompress_to_vec;

/// Deterministic bytes: text-like when `text`, else any byte.
fn sample(len: usize, seed: u64, text: bool) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if text {
                b"mons abc at 1s kill write k v\n"[(x % 30) as usize]
            } else {
                x as u8
            }
        })
        .collect()
}

fn inputs() -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = BUILTIN.iter().map(|(_, t)| t.as_bytes().to_vec()).collect();
    v.push(Vec::new());
    v.push(b"m".to_vec());
    v.push(vec![b'x'; 40_000]);
    v.push("ünïcödé ✓ mons a b\n".repeat(50).into_bytes());
    for (i, len) in [2, 3, 4, 100, 1_000, 33_000, 70_000]
        .into_iter()
        .enumerate()
    {
        v.push(sample(len, i as u64, true));
        v.push(sample(len, i as u64 + 100, false));
    }
    v
}

#[test]
fn what_monscope_writes_any_inflater_reads() {
    for data in inputs() {
        let z = compress(&data);
        assert_eq!(
            decompress_to_vec(&z).unwrap(),
            data,
            "miniz reads {} bytes",
            data.len()
        );
        assert_eq!(decompress(&z, usize::MAX).unwrap(), data);
    }
}

#[test]
fn links_made_by_other_compressors_open() {
    for data in inputs() {
        for level in [0, 1, 6, 9, 10] {
            let z = compress_to_vec(&data, level);
            assert_eq!(decompress(&z, usize::MAX).unwrap(), data, "level {level}");
        }
    }
}

#[test]
fn built_in_scenarios_compress_about_as_well_as_zlib_level_9() {
    let (mut ours, mut miniz) = (0, 0);
    for (stem, text) in BUILTIN {
        let (a, b) = (
            compress(text.as_bytes()).len(),
            compress_to_vec(text.as_bytes(), 9).len(),
        );
        assert!(a <= b + b / 20, "{stem}: {a} bytes against miniz's {b}");
        (ours, miniz) = (ours + a, miniz + b);
    }
    assert!(
        ours <= miniz + miniz / 50,
        "{ours} bytes against miniz's {miniz}"
    );
}

#[test]
fn damaged_data_is_refused_without_a_panic() {
    let data = BUILTIN[0].1.as_bytes();
    for z in [
        compress(data),
        compress_to_vec(data, 0),
        compress_to_vec(data, 1),
    ] {
        for cut in 0..z.len() {
            assert_eq!(
                decompress(&z[..cut], usize::MAX),
                Err(InflateError::Bad),
                "cut at {cut}"
            );
        }
        for i in 0..z.len() {
            for bit in 0..8 {
                let mut bad = z.clone();
                bad[i] ^= 1 << bit;
                let _ = decompress(&bad, 1 << 20);
            }
        }
    }
    for seed in 0..300 {
        let _ = decompress(&sample(seed as usize % 64 + 1, seed, false), 1 << 20);
    }
}

#[test]
fn inflating_stops_at_the_limit() {
    let z = compress(&[7u8; 5000]);
    assert_eq!(decompress(&z, 5000).unwrap().len(), 5000);
    assert_eq!(decompress(&z, 4999), Err(InflateError::TooLarge));
    let stored = compress_to_vec(&[7u8; 5000], 0);
    assert_eq!(decompress(&stored, 4999), Err(InflateError::TooLarge));
}
