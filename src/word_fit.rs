//! A monitor's name and state word fitted inside its circle: fifteen
//! monitors make small circles, "synchronizing" is thirteen letters, and a
//! word that leaves its circle is white on a light stage (unreadable).

/// Average advance of a letter, in ems, of the page's sans-serif at the
/// words' weights (bold names, semibold states); on the wide side
/// (DejaVu Sans), so a narrower font is squeezed a little, never overflows.
pub const NAME_EM: f64 = 0.68;
pub const STATE_EM: f64 = 0.64;
/// The rank · epoch · version line: digits, spaces and dots.
pub const META_EM: f64 = 0.56;

/// The phone style's larger words (monscope.css, `max-width: 600px`):
/// 27/21 and 18/14 of the desktop sizes.
const PHONE: f64 = 27.0 / 21.0;

/// A word's drawn length (SVG `textLength`, glyphs squeezed with
/// `lengthAdjust="spacingAndGlyphs"`) when, `em` wide a letter at `px`, it would not fit the
/// chord of a circle of radius `r` at `edge` from its centre (the word's
/// edge farthest from it); `None` when it fits as drawn. The length kept is
/// the desktop one, so a phone's larger letters are squeezed into it.
pub fn fitted(word: &str, em: f64, px: f64, r: f64, edge: f64) -> Option<f64> {
    let natural = word.chars().count() as f64 * em * px;
    let room = 2.0 * (r * r - edge * edge).max(0.0).sqrt() - 4.0;
    (natural * PHONE > room).then(|| natural.min(room))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_words_in_large_circles_are_drawn_as_they_are() {
        assert_eq!(fitted("peon", STATE_EM, 14.0, 45.0, 11.0), None);
        assert_eq!(fitted("a", NAME_EM, 21.0, 45.0, 24.0), None);
    }

    #[test]
    fn a_long_state_is_squeezed_into_its_circle() {
        // Five monitors (r 45): "synchronizing" is wider than the circle.
        let len = fitted("synchronizing", STATE_EM, 14.0, 45.0, 11.0).unwrap();
        assert!(len <= 2.0 * 45.0 - 4.0);
        // Fifteen (r 22): "leader" at the small circles' 12 px.
        let len = fitted("leader", STATE_EM, 12.0, 22.0, 14.0).unwrap();
        assert!(len < 2.0 * (22.0f64 * 22.0 - 14.0 * 14.0).sqrt());
    }

    #[test]
    fn a_word_that_fits_only_at_desktop_size_keeps_its_desktop_length() {
        // "electing" fits a large circle at 14 px, not at the phone's 18.
        let len = fitted("electing", STATE_EM, 14.0, 45.0, 11.0).unwrap();
        assert!((len - 8.0 * STATE_EM * 14.0).abs() < 1e-9);
    }
}
