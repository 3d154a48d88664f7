//! The values' hash is recorded in traces and digests: it must stay FNV-1a.

use monscope_core::sim::fnv1a;

/// FNV-1a, 64 bits, a byte at a time (the definition).
fn reference(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= *b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

#[test]
fn the_hash_is_fnv1a_at_every_length() {
    // The published vectors.
    assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
    assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    assert_eq!(fnv1a(b"foobar"), 0x8594_4171_f739_67e8);
    let bytes: Vec<u8> = (0..300u32).map(|i| (i * 37 + 11) as u8).collect();
    for n in 0..bytes.len() {
        assert_eq!(fnv1a(&bytes[..n]), reference(&bytes[..n]), "{n} bytes");
    }
}
