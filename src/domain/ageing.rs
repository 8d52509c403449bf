//! What a customer owes, by age: payments (and write-offs, credits) settle
//! the oldest invoices first; what remains of each invoice is aged from its
//! date into 0–30, 31–60, 61–90 and 90+ days.

use chrono::NaiveDate;

use super::money::Money;

/// Amounts owed per age bucket: 0–30, 31–60, 61–90, over 90 days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Ageing {
    pub buckets: [Money; 4],
}

impl Ageing {
    pub fn total(&self) -> Money {
        self.buckets.iter().copied().sum()
    }
}

/// `invoices`: (date, amount) of each sale; `settled`: everything that
/// reduces what is owed (payments, write-offs, refunds, discounts), as a
/// positive amount.
pub fn ageing(invoices: &[(NaiveDate, Money)], settled: Money, today: NaiveDate) -> Ageing {
    let mut sorted: Vec<(NaiveDate, Money)> = invoices.to_vec();
    sorted.sort_by_key(|(d, _)| *d);
    let mut left = settled.0.max(0);
    let mut out = Ageing::default();
    for (day, amount) in sorted {
        let paid = left.min(amount.0.max(0));
        left -= paid;
        let owed = amount.0 - paid;
        if owed <= 0 {
            continue;
        }
        let age = (today - day).num_days();
        let i = match age {
            ..=30 => 0,
            31..=60 => 1,
            61..=90 => 2,
            _ => 3,
        };
        out.buckets[i] = out.buckets[i] + Money(owed);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, m, day).unwrap()
    }

    #[test]
    fn payments_settle_the_oldest_first() {
        let today = d(6, 30);
        let inv = [(d(6, 20), Money(100)), (d(1, 10), Money(300)), (d(5, 15), Money(200)), (d(4, 20), Money(50))];
        // 320 paid: Jan (300) fully, 20 of Apr's 50.
        let a = ageing(&inv, Money(320), today);
        assert_eq!(a.buckets, [Money(100), Money(200), Money(30), Money(0)]);
        assert_eq!(a.total(), Money(330));
        // Edges: 30 days is 0–30, 31 is 31–60, 90 is 61–90, 91 is 90+.
        let inv = [(d(5, 31), Money(1)), (d(5, 30), Money(2)), (d(4, 1), Money(4)), (d(3, 31), Money(8))];
        assert_eq!(ageing(&inv, Money(0), today).buckets, [Money(1), Money(2), Money(4), Money(8)]);
    }

    proptest! {
        #[test]
        fn owed_is_invoiced_minus_settled(amounts in proptest::collection::vec(0i64..100_000, 0..20), paid in 0i64..1_000_000) {
            let today = d(12, 31);
            let inv: Vec<_> = amounts.iter().enumerate().map(|(i, a)| (d(1 + (i as u32 % 12), 1), Money(*a))).collect();
            let total: i64 = amounts.iter().sum();
            prop_assert_eq!(ageing(&inv, Money(paid), today).total(), Money((total - paid).max(0)));
        }
    }
}
