//! Recurring reminders: every N days, monthly, yearly. Monthly and yearly
//! keep their anchor day, so a reminder on the 31st comes back on the 31st
//! (or the month's last day when it has fewer), and one on 29 February
//! comes back on 29 February in leap years and 28 February otherwise.
//!
//! Stored codes: `days:N`, `monthly`, `monthly:D`, `yearly`, `yearly:M-D`.
//! The anchored forms are written when a plain `monthly`/`yearly` reminder
//! recurs for the first time.

use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recurrence {
    EveryDays(u32),
    /// Monthly on this day of the month (None: the day of the current due).
    Monthly(Option<u32>),
    /// Yearly on this month and day (None: those of the current due).
    Yearly(Option<(u32, u32)>),
}

impl Recurrence {
    pub fn parse(s: &str) -> Result<Recurrence, String> {
        let bad = || format!("\"{s}\" is not a recurrence (days:N, monthly or yearly)");
        let s = s.trim();
        match s.split_once(':') {
            None if s == "monthly" => Ok(Recurrence::Monthly(None)),
            None if s == "yearly" => Ok(Recurrence::Yearly(None)),
            Some(("days", n)) => match n.parse::<u32>() {
                Ok(n) if (1..=3650).contains(&n) => Ok(Recurrence::EveryDays(n)),
                _ => Err(bad()),
            },
            Some(("monthly", d)) => match d.parse::<u32>() {
                Ok(d) if (1..=31).contains(&d) => Ok(Recurrence::Monthly(Some(d))),
                _ => Err(bad()),
            },
            Some(("yearly", md)) => {
                let (m, d) = md.split_once('-').ok_or_else(bad)?;
                let (m, d) = (m.parse::<u32>().map_err(|_| bad())?, d.parse::<u32>().map_err(|_| bad())?);
                // 2000 is a leap year: every real month-day exists in it.
                NaiveDate::from_ymd_opt(2000, m, d).ok_or_else(bad)?;
                Ok(Recurrence::Yearly(Some((m, d))))
            }
            _ => Err(bad()),
        }
    }

    pub fn code(self) -> String {
        match self {
            Recurrence::EveryDays(n) => format!("days:{n}"),
            Recurrence::Monthly(None) => "monthly".into(),
            Recurrence::Monthly(Some(d)) => format!("monthly:{d}"),
            Recurrence::Yearly(None) => "yearly".into(),
            Recurrence::Yearly(Some((m, d))) => format!("yearly:{m:02}-{d:02}"),
        }
    }

    /// The same rule as an iCalendar `RRULE` value (RFC 5545). A monthly day
    /// past the 28th, or 29 February, falls on the month's last day when
    /// the month is shorter, as [`Recurrence::next`] does: the last of the
    /// days up to the anchor that the month has (`BYSETPOS=-1`).
    pub fn rrule(self) -> String {
        let up_to = |d: u32| (28..=d).map(|x| x.to_string()).collect::<Vec<_>>().join(",");
        match self {
            Recurrence::EveryDays(n) => format!("FREQ=DAILY;INTERVAL={n}"),
            Recurrence::Monthly(None) => "FREQ=MONTHLY".into(),
            Recurrence::Monthly(Some(d)) if d <= 28 => format!("FREQ=MONTHLY;BYMONTHDAY={d}"),
            Recurrence::Monthly(Some(d)) => format!("FREQ=MONTHLY;BYMONTHDAY={};BYSETPOS=-1", up_to(d)),
            Recurrence::Yearly(None) => "FREQ=YEARLY".into(),
            Recurrence::Yearly(Some((2, 29))) => "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=28,29;BYSETPOS=-1".into(),
            Recurrence::Yearly(Some((m, d))) => format!("FREQ=YEARLY;BYMONTH={m};BYMONTHDAY={d}"),
        }
    }

    /// The next due time after `due`, same time of day, and the recurrence
    /// to store with it (anchored).
    pub fn next(self, due: DateTime<Utc>) -> (DateTime<Utc>, Recurrence) {
        let date = due.date_naive();
        let time = due.time();
        let (next, anchored) = match self {
            Recurrence::EveryDays(n) => (date + chrono::Duration::days(n as i64), self),
            Recurrence::Monthly(anchor) => {
                let day = anchor.unwrap_or(date.day());
                let first = date.with_day(1).and_then(|d| d.checked_add_months(Months::new(1))).unwrap_or(date);
                (clamp_day(first.year(), first.month(), day), Recurrence::Monthly(Some(day)))
            }
            Recurrence::Yearly(anchor) => {
                let (m, d) = anchor.unwrap_or((date.month(), date.day()));
                (clamp_day(date.year() + 1, m, d), Recurrence::Yearly(Some((m, d))))
            }
        };
        (next.and_time(time).and_utc(), anchored)
    }
}

/// `day` of the month, or the month's last day when it is shorter.
fn clamp_day(year: i32, month: u32, day: u32) -> NaiveDate {
    (1..=day).rev().find_map(|d| NaiveDate::from_ymd_opt(year, month, d)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 9, 30, 0).unwrap()
    }

    #[test]
    fn each_rule_has_its_icalendar_rule() {
        let rule = |s: &str| Recurrence::parse(s).unwrap().rrule();
        assert_eq!(rule("days:14"), "FREQ=DAILY;INTERVAL=14");
        assert_eq!(rule("monthly"), "FREQ=MONTHLY");
        assert_eq!(rule("monthly:15"), "FREQ=MONTHLY;BYMONTHDAY=15");
        assert_eq!(rule("monthly:31"), "FREQ=MONTHLY;BYMONTHDAY=28,29,30,31;BYSETPOS=-1");
        assert_eq!(rule("monthly:30"), "FREQ=MONTHLY;BYMONTHDAY=28,29,30;BYSETPOS=-1");
        assert_eq!(rule("yearly"), "FREQ=YEARLY");
        assert_eq!(rule("yearly:03-15"), "FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=15");
        assert_eq!(rule("yearly:02-29"), "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=28,29;BYSETPOS=-1");
    }

    #[test]
    fn monthly_keeps_the_anchor_across_short_months() {
        let (feb, r) = Recurrence::Monthly(None).next(at(2024, 1, 31));
        assert_eq!(feb, at(2024, 2, 29));
        assert_eq!(r, Recurrence::Monthly(Some(31)));
        let (mar, _) = r.next(feb);
        assert_eq!(mar, at(2024, 3, 31));
        let (apr, _) = r.next(mar);
        assert_eq!(apr, at(2024, 4, 30));
        let (feb25, _) = Recurrence::Monthly(Some(31)).next(at(2025, 1, 31));
        assert_eq!(feb25, at(2025, 2, 28));
        let (jan, _) = Recurrence::Monthly(Some(15)).next(at(2024, 12, 15));
        assert_eq!(jan, at(2025, 1, 15));
    }

    #[test]
    fn yearly_returns_to_leap_day() {
        let (y1, r) = Recurrence::Yearly(None).next(at(2024, 2, 29));
        assert_eq!(y1, at(2025, 2, 28));
        let (y2, r) = r.next(y1);
        let (y3, r) = r.next(y2);
        let (y4, _) = r.next(y3);
        assert_eq!((y2, y3, y4), (at(2026, 2, 28), at(2027, 2, 28), at(2028, 2, 29)));
    }

    #[test]
    fn every_n_days_crosses_year_ends() {
        assert_eq!(Recurrence::EveryDays(14).next(at(2024, 12, 25)).0, at(2025, 1, 8));
    }

    #[test]
    fn parse_and_code_round_trip() {
        for s in ["days:14", "monthly", "monthly:31", "yearly", "yearly:02-29"] {
            assert_eq!(Recurrence::parse(s).unwrap().code(), s);
        }
        for bad in ["weekly", "days:0", "days:x", "monthly:32", "yearly:02-30", ""] {
            assert!(Recurrence::parse(bad).is_err(), "{bad}");
        }
    }
}
