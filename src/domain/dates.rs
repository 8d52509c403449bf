//! The dates a customer record may hold: a year such as 0000 or 9999 is a
//! typo or a placeholder, not a date to file.

use chrono::{Datelike, NaiveDate};

/// The years a customer's dates (a sale, a birthday) can fall in.
pub const YEARS: std::ops::RangeInclusive<i32> = 1900..=2199;

/// `d`, read from the text `written`, if its year is in [`YEARS`]; else
/// why not, naming the text.
pub fn plausible(written: &str, d: NaiveDate) -> Result<NaiveDate, String> {
    if YEARS.contains(&d.year()) {
        Ok(d)
    } else {
        Err(format!("\"{written}\" is not a plausible date (years {} to {})", YEARS.start(), YEARS.end()))
    }
}
