//! iCalendar (RFC 5545) writing: open reminders and promises as events or
//! to-dos that calendar programs import. Pure text formatting, no I/O.
//!
//! The content-line rules here (CRLF endings, folding at 75 octets without
//! splitting a character, TEXT escaping) are the same in vCard, which
//! [`super::vcard`] reuses.

use chrono::{DateTime, Duration, Utc};

/// The longest a content line may be, in octets, line break excluded.
pub const MAX_LINE_OCTETS: usize = 75;

/// Which calendar component each item becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Component {
    /// `VEVENT` with `DTSTART`/`DTEND` (every calendar program shows these).
    Event,
    /// `VTODO` with `DUE` (task lists: Thunderbird, Apple Reminders, ...).
    Todo,
}

/// One thing due, as the calendar shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// Stable across exports, so re-importing updates instead of duplicating.
    pub uid: String,
    /// When it is due (UTC).
    pub due: DateTime<Utc>,
    pub summary: String,
    pub description: String,
    pub categories: Vec<String>,
    /// Bumped when the item changes (its row version − 1).
    pub sequence: i64,
    /// How it repeats, as an `RRULE` value (`FREQ=DAILY;INTERVAL=14`).
    pub rrule: Option<String>,
}

/// How long an event lasts on the calendar.
pub const EVENT_MINUTES: i64 = 15;

/// A whole `VCALENDAR` with one component per item, CRLF line endings and
/// folded lines. `stamp` is the `DTSTAMP` (the export time).
pub fn calendar(name: &str, items: &[Item], component: Component, stamp: DateTime<Utc>) -> String {
    let mut out = begin(name);
    for item in items {
        out.push_str(&self::component(item, component, stamp));
    }
    out.push_str(&end());
    out
}

/// The calendar's opening lines; then [`component`] per item, then [`end`]
/// (so a large calendar can be written piece by piece).
pub fn begin(name: &str) -> String {
    let mut out = String::with_capacity(256);
    for l in [
        "BEGIN:VCALENDAR".to_string(),
        "VERSION:2.0".to_string(),
        format!("PRODID:-//rapport//rapport {}//EN", env!("CARGO_PKG_VERSION")),
        "CALSCALE:GREGORIAN".to_string(),
        "METHOD:PUBLISH".to_string(),
        format!("X-WR-CALNAME:{}", escape_text(name)),
    ] {
        push_line(&mut out, &l);
    }
    out
}

/// The calendar's closing line.
pub fn end() -> String {
    "END:VCALENDAR\r\n".to_string()
}

/// One item as a `VEVENT` or `VTODO`, with a display alarm when due.
pub fn component(item: &Item, component: Component, stamp: DateTime<Utc>) -> String {
    let mut out = String::with_capacity(400);
    let mut line = |s: &str| push_line(&mut out, s);
    let (begin, end) = match component {
        Component::Event => ("BEGIN:VEVENT", "END:VEVENT"),
        Component::Todo => ("BEGIN:VTODO", "END:VTODO"),
    };
    line(begin);
    line(&format!("UID:{}", escape_text(&item.uid)));
    line(&format!("DTSTAMP:{}", utc(stamp)));
    match component {
        Component::Event => {
            line(&format!("DTSTART:{}", utc(item.due)));
            line(&format!("DTEND:{}", utc(item.due + Duration::minutes(EVENT_MINUTES))));
        }
        Component::Todo => {
            line(&format!("DUE:{}", utc(item.due)));
            line("STATUS:NEEDS-ACTION");
        }
    }
    if let Some(rule) = &item.rrule {
        line(&format!("RRULE:{rule}"));
    }
    line(&format!("SEQUENCE:{}", item.sequence.max(0)));
    line(&format!("SUMMARY:{}", escape_text(&item.summary)));
    if !item.description.is_empty() {
        line(&format!("DESCRIPTION:{}", escape_text(&item.description)));
    }
    if !item.categories.is_empty() {
        let cats: Vec<String> = item.categories.iter().map(|c| escape_text(c)).collect();
        line(&format!("CATEGORIES:{}", cats.join(",")));
    }
    line("BEGIN:VALARM");
    line("ACTION:DISPLAY");
    line(&format!("DESCRIPTION:{}", escape_text(&item.summary)));
    match component {
        Component::Event => line("TRIGGER:PT0S"),
        Component::Todo => line("TRIGGER;RELATED=END:PT0S"),
    }
    line("END:VALARM");
    line(end);
    out
}

/// A UTC date-time in iCalendar's basic form: `20250102T030405Z`.
pub fn utc(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// Escapes a TEXT value: backslash, semicolon, comma and newline get a
/// backslash; carriage returns and other control characters (except tab),
/// which TEXT may not hold, are dropped.
pub fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {
                // CRLF is one line break; a lone CR is one too.
                if chars.peek() != Some(&'\n') {
                    out.push_str("\\n");
                }
            }
            '\t' => out.push('\t'),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends one content line, folded, with its CRLF.
pub fn push_line(out: &mut String, line: &str) {
    out.push_str(&fold(line));
    out.push_str("\r\n");
}

/// Folds a content line so no physical line exceeds 75 octets: breaks are
/// CRLF followed by one space (which counts toward the next line's 75), and
/// never fall inside a multi-byte character. No trailing line break.
pub fn fold(line: &str) -> String {
    if line.len() <= MAX_LINE_OCTETS {
        return line.to_string();
    }
    let mut out = String::with_capacity(line.len() + line.len() / 70 * 3);
    let mut used = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if used + n > MAX_LINE_OCTETS {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(c);
        used += n;
    }
    out
}

/// Undoes [`fold`] (and any RFC 5545 / RFC 6350 folding): a line break
/// followed by a space or tab joins the lines. Accepts CRLF or bare LF.
pub fn unfold(text: &str) -> String {
    text.replace("\r\n ", "").replace("\r\n\t", "").replace("\n ", "").replace("\n\t", "")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn item(summary: &str, description: &str) -> Item {
        Item {
            uid: "reminder-1@rapport".into(),
            due: Utc.with_ymd_and_hms(2025, 3, 4, 9, 30, 0).unwrap(),
            summary: summary.into(),
            description: description.into(),
            categories: vec!["rapport".into(), "call".into()],
            sequence: 2,
            rrule: None,
        }
    }

    #[test]
    fn a_repeating_item_has_its_rule() {
        let mut it = item("Call", "");
        it.rrule = Some("FREQ=DAILY;INTERVAL=14".into());
        let text = component(&it, Component::Event, it.due);
        assert!(text.contains("\r\nRRULE:FREQ=DAILY;INTERVAL=14\r\n"), "{text}");
        assert!(!component(&item("Call", ""), Component::Todo, it.due).contains("RRULE"));
    }

    #[test]
    fn escapes_text() {
        assert_eq!(escape_text("a,b;c\\d\ne\r\nf\u{7}g"), "a\\,b\\;c\\\\d\\ne\\nfg");
    }

    #[test]
    fn event_has_the_required_properties() {
        let stamp = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
        let cal = calendar("rapport", &[item("Call: Zoë", "Note, with; marks")], Component::Event, stamp);
        assert!(cal.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:"));
        assert!(cal.ends_with("END:VCALENDAR\r\n"));
        for needle in [
            "UID:reminder-1@rapport\r\n",
            "DTSTAMP:20250101T000000Z\r\n",
            "DTSTART:20250304T093000Z\r\n",
            "DTEND:20250304T094500Z\r\n",
            "SUMMARY:Call: Zoë\r\n",
            "DESCRIPTION:Note\\, with\\; marks\r\n",
            "CATEGORIES:rapport,call\r\n",
        ] {
            assert!(cal.contains(needle), "{needle} missing in {cal}");
        }
        assert_eq!(cal.matches("\n").count(), cal.matches("\r\n").count());
        let todo = calendar("rapport", &[item("x", "")], Component::Todo, stamp);
        assert!(todo.contains("BEGIN:VTODO\r\n") && todo.contains("DUE:20250304T093000Z\r\n"));
        assert!(!todo.contains("DESCRIPTION:\r\n"));
    }

    #[test]
    fn folds_long_lines_without_splitting_characters() {
        let long = format!("DESCRIPTION:{}", "山田太郎 Zoë Ångström, ".repeat(20));
        let folded = fold(&long);
        for l in folded.split("\r\n") {
            assert!(l.len() <= MAX_LINE_OCTETS, "{} octets: {l}", l.len());
        }
        assert_eq!(unfold(&folded), long);
    }

    proptest! {
        #[test]
        fn fold_unfold_round_trip(s in "\\PC{0,300}") {
            let line = format!("SUMMARY:{}", escape_text(&s));
            let folded = fold(&line);
            prop_assert!(folded.split("\r\n").all(|l| l.len() <= MAX_LINE_OCTETS));
            prop_assert_eq!(unfold(&folded), line);
        }
    }
}
