//! Text folding for search, phone-number folding, and sanitising text from
//! the database before it reaches a terminal.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Folds text for case- and accent-insensitive matching: NFKD, combining
/// marks dropped, lower-cased, a few letters that do not decompose
/// (ø, ł, ß and capital ẞ, æ, œ, đ) spelled out. CJK passes through unchanged.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.nfkd() {
        if is_combining_mark(c) {
            continue;
        }
        match c {
            'ø' | 'Ø' => out.push('o'),
            'ł' | 'Ł' => out.push('l'),
            'đ' | 'Đ' => out.push('d'),
            'ß' | 'ẞ' => out.push_str("ss"),
            'æ' | 'Æ' => out.push_str("ae"),
            'œ' | 'Œ' => out.push_str("oe"),
            _ => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// The digits of a phone number, in order: `+1 (514) 721-4711` → `15147214711`.
pub fn phone_digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// Whether a search query looks like (part of) a phone number: at least
/// three digits and nothing but digits and phone punctuation.
pub fn looks_like_phone(q: &str) -> bool {
    let digits = q.chars().filter(char::is_ascii_digit).count();
    digits >= 3 && q.chars().all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | '(' | ')' | ' ' | '.' | '/'))
}

/// Neutralises control characters and escape sequences in text that came
/// from the database, so a stored name like `"\x1b]0;pwned\x07Bob"` cannot
/// drive the terminal. ESC-introduced sequences (CSI, OSC, DCS, ...) are
/// removed whole; other control characters (C0, DEL, C1) become nothing,
/// except tab and newline, which become a space. Bidi overrides are removed
/// too, so text cannot be made to read backwards.
pub fn sanitize(s: &str) -> String {
    if !s.chars().any(needs_care) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => skip_escape(&mut chars),
            '\u{9b}' => skip_csi_body(&mut chars),
            '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => skip_string_body(&mut chars),
            '\t' | '\n' | '\r' => out.push(' '),
            c if is_bidi_control(c) => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

fn needs_care(c: char) -> bool {
    c.is_control() || is_bidi_control(c)
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

fn skip_escape(chars: &mut Chars) {
    match chars.next() {
        Some('[') => skip_csi_body(chars),
        Some(']' | 'P' | 'X' | '^' | '_') => skip_string_body(chars),
        // Two-character sequences (ESC 7, ESC c, ESC ( B ...): swallow the
        // intermediate bytes and the final one.
        Some(c) if ('\u{20}'..='\u{2f}').contains(&c) => {
            while let Some(&n) = chars.peek() {
                chars.next();
                if !('\u{20}'..='\u{2f}').contains(&n) {
                    break;
                }
            }
        }
        _ => {}
    }
}

fn skip_csi_body(chars: &mut Chars) {
    // Parameters and intermediates, then one final byte in @..~.
    for c in chars.by_ref() {
        if ('\u{40}'..='\u{7e}').contains(&c) {
            break;
        }
        if !('\u{20}'..='\u{3f}').contains(&c) {
            break;
        }
    }
}

fn skip_string_body(chars: &mut Chars) {
    // Up to BEL, ST (ESC \) or the C1 ST.
    while let Some(c) = chars.next() {
        match c {
            '\u{7}' | '\u{9c}' => break,
            '\u{1b}' => {
                if chars.peek() == Some(&'\\') {
                    chars.next();
                }
                break;
            }
            _ => {}
        }
    }
}

/// Display width of text in terminal cells (CJK and emoji count two).
pub fn width(s: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(s)
}

/// Cuts text to at most `max` cells, ending with `…` when cut, never
/// splitting a wide character.
pub fn truncate(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w > max - 1 {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// Pads (or cuts) text to exactly `cells` terminal cells.
pub fn pad(s: &str, cells: usize) -> String {
    let mut t = truncate(s, cells);
    let w = width(&t);
    t.extend(std::iter::repeat_n(' ', cells.saturating_sub(w)));
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn folds_case_and_accents() {
        assert_eq!(fold("Zoë Ångström"), "zoe angstrom");
        assert_eq!(fold("FRANÇOIS Tremblay"), "francois tremblay");
        assert_eq!(fold("Bjørn Łukasz Straße"), "bjorn lukasz strasse");
        assert_eq!(fold("山田太郎"), "山田太郎");
    }

    #[test]
    fn phone_folding() {
        assert_eq!(phone_digits("+1 (514) 721-4711"), "15147214711");
        assert!(looks_like_phone("721-4711"));
        assert!(looks_like_phone("+1 (514)"));
        assert!(!looks_like_phone("Bob 123"));
        assert!(!looks_like_phone("12"));
    }

    #[test]
    fn sanitize_strips_escapes() {
        assert_eq!(sanitize("\x1b]0;pwned\x07Bob"), "Bob");
        assert_eq!(sanitize("\x1b[31mred\x1b[0m"), "red");
        assert_eq!(sanitize("a\x1bPq#0;2;0;0;0\x1b\\b"), "ab");
        assert_eq!(sanitize("line1\nline2\ttab"), "line1 line2 tab");
        assert_eq!(sanitize("bell\x07\x08\x7f"), "bell");
        assert_eq!(sanitize("\u{202e}evil"), "evil");
        assert_eq!(sanitize("Zoë 山田"), "Zoë 山田");
    }

    #[test]
    fn truncation_respects_wide_chars() {
        assert_eq!(truncate("山田太郎", 5), "山田…");
        assert_eq!(width(&pad("山田", 6)), 6);
        assert_eq!(pad("abcdef", 4), "abc…");
    }

    #[test]
    fn capital_sharp_s_folds_as_the_small_one() {
        assert_eq!(fold("STRAẞE"), "strasse");
        assert_eq!(fold("STRAẞE"), fold("Straße"));
        assert_eq!(fold(&fold("ẞ")), fold("ẞ"));
    }

    proptest! {
        #[test]
        fn sanitized_text_has_no_controls(s in "\\PC*|[\\x00-\\x1f\\x7f-\\x9f a-z]*") {
            let out = sanitize(&s);
            prop_assert!(!out.chars().any(|c| c.is_control()));
        }

        #[test]
        fn fold_is_idempotent(s in "\\PC{0,20}") {
            let once = fold(&s);
            prop_assert_eq!(fold(&once), once.clone());
        }

        #[test]
        fn truncate_never_exceeds(s in "\\PC{0,30}", max in 0usize..20) {
            prop_assert!(width(&truncate(&s, max)) <= max);
        }
    }
}
