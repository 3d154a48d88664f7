//! The pixels of the messages' canvas (`components::message_canvas`): dots
//! written in wasm and put on the canvas at once. Pure, so it is tested natively.

/// One moving dot: where it is in the ring's coordinates (its SVG's viewBox).
pub struct Mark {
    pub x: f64,
    pub y: f64,
    /// Index in `playback::PROTOCOLS`.
    pub proto: usize,
    /// The trace index of its send (what a click picks).
    pub ev: usize,
}

/// A dot's coverage: for each row of a square of `side`, the first column the
/// circle of radius `r` at its centre touches and how much of each pixel from
/// there it covers (0–255, edges anti-aliased; rows trimmed of zeros).
fn coverage(r: f64) -> (usize, Vec<(usize, Vec<u8>)>) {
    let side = (2.0 * r).ceil() as usize + 2;
    let c = side as f64 / 2.0;
    let rows = (0..side)
        .map(|j| {
            let row: Vec<u8> = (0..side)
                .map(|i| {
                    let (x, y) = (i as f64 + 0.5 - c, j as f64 + 0.5 - c);
                    let d = (x * x + y * y).sqrt();
                    (monscope_core::fixed::clamp(r + 0.5 - d, 0.0, 1.0) * 255.0) as u8
                })
                .collect();
            let first = row.iter().position(|&a| a != 0).unwrap_or(side);
            let last = row.iter().rposition(|&a| a != 0).map_or(first, |l| l + 1);
            (first, row[first..last].to_vec())
        })
        .collect();
    (side, rows)
}

/// `a` × `b` / 255, rounded, without a division.
fn mul255(a: u32, b: u32) -> u32 {
    let x = a * b + 128;
    (x + (x >> 8)) >> 8
}

/// The pixels of the dots, drawn here and put on the canvas at once: a
/// software canvas (no GPU) spends far longer recording and replaying
/// thousands of anti-aliased arcs or image stamps than wasm takes to write
/// them. Reused from frame to frame.
#[derive(Default)]
pub struct Pixels {
    /// RGBA, straight alpha, row by row: what `ImageData` takes.
    pub buf: Vec<u8>,
    /// The coverage rows of a dot at the scale they were made for.
    dot: (f64, usize, Vec<(usize, Vec<u8>)>),
}

impl Pixels {
    /// Every dot of `marks`, source-over onto a cleared `w` × `h` buffer.
    /// Each dot's row is clipped once and walked as a slice (no bounds check
    /// a pixel); a pixel is blended only where a dot's rim overlaps another.
    pub fn paint(
        &mut self,
        marks: &[Mark],
        colours: &[[u8; 3]],
        w: usize,
        h: usize,
        at: impl Fn(f64, f64) -> (f64, f64),
        scale: f64,
    ) {
        if self.dot.0 != scale {
            let (side, rows) = coverage(5.5 * scale);
            self.dot = (scale, side, rows);
        }
        // (`fill` is a memset; `resize` would write byte by byte at opt-level z.)
        if self.buf.len() == w * h * 4 {
            self.buf.fill(0);
        } else {
            self.buf = vec![0; w * h * 4];
        }
        let (side, rows) = (self.dot.1 as isize, &self.dot.2);
        let (wi, hi) = (w as isize, h as isize);
        for m in marks {
            let [r, g, b] = colours[m.proto.min(colours.len() - 1)];
            let (x, y) = at(m.x, m.y);
            let (x0, y0) = (x.round() as isize - side / 2, y.round() as isize - side / 2);
            for (j, (first, cover)) in rows.iter().enumerate() {
                let py = y0 + j as isize;
                if py < 0 || py >= hi {
                    continue;
                }
                // The row's columns on the canvas, clipped to it.
                let left = x0 + *first as isize;
                let (from, to) = (left.max(0), (left + cover.len() as isize).min(wi));
                if from >= to {
                    continue;
                }
                let o = (py * wi + from) as usize * 4;
                let out = &mut self.buf[o..o + (to - from) as usize * 4];
                let cover = &cover[(from - left) as usize..];
                for (px, &a) in out.chunks_exact_mut(4).zip(cover) {
                    let (sa, da) = (a as u32, px[3] as u32);
                    if da == 0 || sa == 255 {
                        // Nothing under it, or fully covered: the dot's colour.
                        px.copy_from_slice(&[r, g, b, a]);
                        continue;
                    }
                    // Source over destination, straight (not premultiplied) alpha.
                    let under = mul255(da, 255 - sa);
                    let total = (sa + under).max(1);
                    for (k, sc) in [r, g, b].into_iter().enumerate() {
                        px[k] = ((sc as u32 * sa + px[k] as u32 * under) / total) as u8;
                    }
                    px[3] = total as u8;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pixel(p: &Pixels, w: usize, x: usize, y: usize) -> [u8; 4] {
        let o = (y * w + x) * 4;
        [p.buf[o], p.buf[o + 1], p.buf[o + 2], p.buf[o + 3]]
    }

    fn mark(x: f64, y: f64, proto: usize) -> Mark {
        Mark { x, y, proto, ev: 0 }
    }

    #[test]
    fn dots_are_drawn_in_their_protocols_colour_the_last_on_top() {
        let colours = [[200, 0, 0], [0, 0, 200]];
        let marks = [mark(20.0, 20.0, 0), mark(26.0, 20.0, 1), mark(-2.0, 3.0, 1)];
        let mut p = Pixels::default();
        p.paint(&marks, &colours, 60, 40, |x, y| (x, y), 1.0);
        // Each dot's centre is its colour, opaque; the later dot covers the earlier.
        assert_eq!(pixel(&p, 60, 20, 20), [200, 0, 0, 255]);
        assert_eq!(pixel(&p, 60, 26, 20), [0, 0, 200, 255]);
        assert_eq!(pixel(&p, 60, 23, 20), [0, 0, 200, 255]);
        // Outside every dot: transparent; on a dot's rim: partly covered.
        assert_eq!(pixel(&p, 60, 20, 30)[3], 0);
        let rim = pixel(&p, 60, 16, 16)[3];
        assert!(rim > 0 && rim < 255, "rim alpha {rim}");
        // A dot over the canvas's edge is clipped, not wrapped to the other side.
        assert_eq!(pixel(&p, 60, 0, 3), [0, 0, 200, 255]);
        assert_eq!(pixel(&p, 60, 59, 3)[3], 0);
        assert_eq!(pixel(&p, 60, 59, 2)[3], 0);
        // A rim over another dot's rim blends: opaquer than either alone.
        let (a, b) = (pixel(&p, 60, 23, 15)[3], pixel(&p, 60, 17, 15)[3]);
        assert!(a > b, "overlapping rims {a} against one rim {b}");
    }
}
