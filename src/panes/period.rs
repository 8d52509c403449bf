//! The period a figures view covers (team, care figures): this week, this
//! month, the last 30 days, or a typed range; whole local days.

use chrono::{Datelike, NaiveDate};

use super::Ui;
use crate::config::Lang;
use crate::domain::forecast::Period;
use crate::i18n::Txt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Span4 {
    ThisWeek,
    #[default]
    ThisMonth,
    Last30Days,
    /// A typed range.
    Range(NaiveDate, NaiveDate),
}

impl Span4 {
    /// The span a period key steps to next; `None` after the last 30 days,
    /// where the view asks for a typed range.
    pub fn next(self) -> Option<Span4> {
        match self {
            Span4::ThisWeek => Some(Span4::ThisMonth),
            Span4::ThisMonth => Some(Span4::Last30Days),
            Span4::Last30Days => None,
            Span4::Range(..) => Some(Span4::ThisWeek),
        }
    }

    /// The period as of `today` (the last 30 days if a range is impossible).
    pub fn period(self, today: NaiveDate) -> Period {
        let p = match self {
            Span4::ThisWeek => {
                let monday = today - chrono::Duration::days(today.weekday().num_days_from_monday() as i64);
                Period::new(monday, today)
            }
            Span4::ThisMonth => Period::new(today.with_day(1).unwrap_or(today), today),
            Span4::Last30Days => Ok(Period::last_days(today, 30)),
            Span4::Range(from, to) => Period::new(from, to),
        };
        p.unwrap_or_else(|_| Period::last_days(today, 30))
    }

    /// A typed range "YYYY-MM-DD YYYY-MM-DD" (or "FROM..TO"); an error
    /// message when it is not one.
    pub fn parse_range(text: &str, lang: Lang) -> Result<Span4, String> {
        let parts: Vec<&str> = text
            .split(|c: char| c.is_whitespace() || c == ',')
            .flat_map(|p| p.split(".."))
            .filter(|p| !p.is_empty())
            .collect();
        let parse = |s: &str| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| format!("\"{s}\" is not a date (YYYY-MM-DD)"))
        };
        let [from, to] = parts.as_slice() else {
            return Err(Txt::RangeHint.get(lang).into());
        };
        let (from, to) = (parse(from)?, parse(to)?);
        Period::new(from, to)?;
        Ok(Span4::Range(from, to))
    }

    /// How the span reads in a title.
    pub fn label(self, ui: &Ui) -> String {
        match self {
            Span4::ThisWeek => ui.t(Txt::ThisWeek).to_string(),
            Span4::ThisMonth => ui.t(Txt::ThisMonth).to_string(),
            Span4::Last30Days => ui.t(Txt::Last30).to_string(),
            Span4::Range(a, b) => format!("{a} → {b}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn spans_cover_whole_days_up_to_today() {
        let today = d("2026-11-25"); // a Wednesday
        assert_eq!(Span4::ThisWeek.period(today), Period::new(d("2026-11-23"), today).unwrap());
        assert_eq!(Span4::ThisMonth.period(today), Period::new(d("2026-11-01"), today).unwrap());
        assert_eq!(Span4::Last30Days.period(today), Period::last_days(today, 30));
    }

    #[test]
    fn typed_ranges_are_checked() {
        assert_eq!(
            Span4::parse_range("2026-01-01..2026-03-31", Lang::En),
            Ok(Span4::Range(d("2026-01-01"), d("2026-03-31")))
        );
        assert!(Span4::parse_range("2026-02-30 2026-03-01", Lang::En).unwrap_err().contains("2026-02-30"));
        assert!(Span4::parse_range("2026-03-01 2026-01-01", Lang::En).is_err());
        assert!(Span4::parse_range("soon", Lang::En).is_err());
    }
}
