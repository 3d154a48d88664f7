//! base64url without padding (RFC 4648 §5), for share links.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

pub fn encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        // A chunk of k bytes needs k + 1 characters.
        for i in 0..=chunk.len() {
            let six = (n >> (18 - 6 * i)) & 63;
            out.push(char::from(ALPHABET[six as usize]));
        }
    }
    out
}

/// Why decoding failed; positions are 1-based character positions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Base64Error {
    BadChar {
        pos: usize,
        c: char,
    },
    /// One character left over: not a whole byte.
    BadLength,
}

fn value(c: char) -> Option<u32> {
    Some(match c {
        'A'..='Z' => c as u32 - 'A' as u32,
        'a'..='z' => c as u32 - 'a' as u32 + 26,
        '0'..='9' => c as u32 - '0' as u32 + 52,
        '-' => 62,
        '_' => 63,
        _ => return None,
    })
}

pub fn decode(text: &str) -> Result<Vec<u8>, Base64Error> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3 + 2);
    let mut acc: u32 = 0;
    let mut bits = 0;
    let mut count = 0usize;
    for (i, c) in text.chars().enumerate() {
        let v = value(c).ok_or(Base64Error::BadChar { pos: i + 1, c })?;
        acc = (acc << 6) | v;
        bits += 6;
        count += 1;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    if count % 4 == 1 {
        return Err(Base64Error::BadLength);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_length() {
        let data: Vec<u8> = (0..=255u8).collect();
        for n in 0..40 {
            let s = &data[..n];
            let e = encode(s);
            assert!(!e.contains('='));
            assert_eq!(decode(&e).unwrap(), s, "{e}");
        }
        assert_eq!(encode(b"\xfb\xff"), "-_8");
        assert_eq!(encode(b"foobar"), "Zm9vYmFy");
        assert_eq!(encode(b"fo"), "Zm8");
    }

    #[test]
    fn rejects_padding_and_bad_characters() {
        assert_eq!(decode("Zm8="), Err(Base64Error::BadChar { pos: 4, c: '=' }));
        assert_eq!(decode("Zm+v"), Err(Base64Error::BadChar { pos: 3, c: '+' }));
        assert_eq!(decode("Zm9vY"), Err(Base64Error::BadLength));
    }
}
