//! Money: integer minor units (cents), never floats.

use std::fmt;

/// An amount in minor units (cents). Signed: refunds and costs are negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(pub i64);

impl Money {
    pub const ZERO: Money = Money(0);

    pub fn cents(self) -> i64 {
        self.0
    }

    /// Parses a user-typed amount: `1234`, `1234.5`, `1,234.56`, `-12.30`.
    /// More than two decimals, letters or overflow are errors.
    pub fn parse(s: &str) -> Result<Money, String> {
        // `1.500,00`: a decimal comma after a thousands point.
        if let (Some(point), Some(comma)) = (s.find('.'), s.rfind(','))
            && comma > point
        {
            return Err(format!("\"{s}\" is not an amount: write the decimals after a point (1500.00)"));
        }
        let t: String = s.trim().chars().filter(|c| *c != ',' && *c != '_' && *c != ' ').collect();
        let (neg, t) = match t.strip_prefix('-') {
            Some(rest) => (true, rest.to_string()),
            None => (false, t.strip_prefix('+').unwrap_or(&t).to_string()),
        };
        if t.is_empty() {
            return Err(format!("\"{s}\" is not an amount"));
        }
        let (whole, frac) = match t.split_once('.') {
            Some((w, f)) => (w, f),
            None => (t.as_str(), ""),
        };
        let digits_ok = |x: &str| x.chars().all(|c| c.is_ascii_digit());
        if !digits_ok(whole) || !digits_ok(frac) || (whole.is_empty() && frac.is_empty()) {
            return Err(format!("\"{s}\" is not an amount"));
        }
        if frac.len() > 2 {
            return Err(format!("\"{s}\" has more than two decimals"));
        }
        let w: i64 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| format!("\"{s}\" is too large"))? };
        let f: i64 = match frac.len() {
            0 => 0,
            1 => frac.parse::<i64>().unwrap_or(0) * 10,
            _ => frac.parse::<i64>().unwrap_or(0),
        };
        let cents = w.checked_mul(100).and_then(|x| x.checked_add(f)).ok_or_else(|| format!("\"{s}\" is too large"))?;
        Ok(Money(if neg { -cents } else { cents }))
    }

    /// Whole units, rounded toward zero, with thousands separators: `12,345`.
    pub fn short(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        format!("{sign}{}", group(self.0.unsigned_abs() / 100))
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", group(abs / 100), abs % 100)
    }
}

impl std::ops::Add for Money {
    type Output = Money;
    fn add(self, o: Money) -> Money {
        Money(self.0.saturating_add(o.0))
    }
}

impl std::ops::Sub for Money {
    type Output = Money;
    fn sub(self, o: Money) -> Money {
        Money(self.0.saturating_sub(o.0))
    }
}

impl std::iter::Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, |a, b| a + b)
    }
}

fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formats() {
        assert_eq!(Money(123456789).to_string(), "1,234,567.89");
        assert_eq!(Money(-5).to_string(), "-0.05");
        assert_eq!(Money(100_000).short(), "1,000");
    }

    #[test]
    fn parses() {
        assert_eq!(Money::parse("1,234.5"), Ok(Money(123450)));
        assert_eq!(Money::parse("-12.30"), Ok(Money(-1230)));
        assert_eq!(Money::parse(".5"), Ok(Money(50)));
        assert!(Money::parse("12.345").is_err());
        assert!(Money::parse("abc").is_err());
        assert!(Money::parse("").is_err());
        assert!(Money::parse("99999999999999999999").is_err());
        let e = Money::parse("1.500,00").unwrap_err();
        assert_eq!(e, "\"1.500,00\" is not an amount: write the decimals after a point (1500.00)");
    }

    proptest! {
        #[test]
        fn display_parse_round_trip(c in -1_000_000_000_000i64..1_000_000_000_000) {
            prop_assert_eq!(Money::parse(&Money(c).to_string()), Ok(Money(c)));
        }
    }
}
