//! RFM: recency, frequency and monetary scores (1–5 by quintile, 5 best)
//! and a named segment from the R and F scores.
//!
//! Segments (R score, F score), the widely used RFM map:
//!
//! | R \ F | 1              | 2                   | 3                   | 4               | 5               |
//! |-------|----------------|---------------------|---------------------|-----------------|-----------------|
//! | 5     | new customers  | potential loyalists | potential loyalists | champions       | champions       |
//! | 4     | promising      | potential loyalists | potential loyalists | loyal customers | loyal customers |
//! | 3     | about to sleep | about to sleep      | need attention      | loyal customers | loyal customers |
//! | 2     | hibernating    | hibernating         | at risk             | at risk         | can't lose them |
//! | 1     | lost           | hibernating         | at risk             | at risk         | can't lose them |
//!
//! Customers without a sale in the window get no scores and the segment
//! "no purchases".

use super::money::Money;

/// What scoring needs of one customer, over the window.
#[derive(Debug, Clone, PartialEq)]
pub struct RfmInput {
    pub customer_id: i64,
    /// Days from the last sale to the as-of day; `None` without a sale.
    pub recency_days: Option<i64>,
    /// Distinct days with a sale.
    pub frequency: i64,
    /// Sum of sales.
    pub monetary: Money,
}

/// Scores 1–5 (5 best) and the segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RfmScore {
    pub r: u8,
    pub f: u8,
    pub m: u8,
    pub segment: Segment,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Segment {
    Champions,
    Loyal,
    PotentialLoyalists,
    NewCustomers,
    Promising,
    NeedAttention,
    AboutToSleep,
    AtRisk,
    CantLose,
    Hibernating,
    Lost,
    NoPurchases,
}

impl Segment {
    pub const ALL: &'static [Segment] = &[
        Segment::Champions,
        Segment::Loyal,
        Segment::PotentialLoyalists,
        Segment::NewCustomers,
        Segment::Promising,
        Segment::NeedAttention,
        Segment::AboutToSleep,
        Segment::AtRisk,
        Segment::CantLose,
        Segment::Hibernating,
        Segment::Lost,
        Segment::NoPurchases,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Segment::Champions => "champions",
            Segment::Loyal => "loyal",
            Segment::PotentialLoyalists => "potential_loyalists",
            Segment::NewCustomers => "new_customers",
            Segment::Promising => "promising",
            Segment::NeedAttention => "need_attention",
            Segment::AboutToSleep => "about_to_sleep",
            Segment::AtRisk => "at_risk",
            Segment::CantLose => "cant_lose",
            Segment::Hibernating => "hibernating",
            Segment::Lost => "lost",
            Segment::NoPurchases => "no_purchases",
        }
    }

    pub fn parse(s: &str) -> Option<Segment> {
        Segment::ALL.iter().copied().find(|x| x.code() == s)
    }

    /// The segment of an R and F score pair (see the module's table).
    pub fn of(r: u8, f: u8) -> Segment {
        match (r, f) {
            (1, 1) => Segment::Lost,
            (1..=2, 1..=2) => Segment::Hibernating,
            (1..=2, 3..=4) => Segment::AtRisk,
            (1..=2, _) => Segment::CantLose,
            (3, 1..=2) => Segment::AboutToSleep,
            (3, 3) => Segment::NeedAttention,
            (3..=4, 4..=5) => Segment::Loyal,
            (4, 1) => Segment::Promising,
            (5, 1) => Segment::NewCustomers,
            (4..=5, 2..=3) => Segment::PotentialLoyalists,
            _ => Segment::Champions,
        }
    }
}

/// Quintile scores of `values` (higher value = higher score), 1–5. Equal
/// values get equal scores: a value's score comes from the rank of its first
/// occurrence in ascending order.
pub fn quintiles(values: &[i64]) -> Vec<u8> {
    quintiles_by(values.len(), |i| values[i])
}

/// [`quintiles`] of `n` values given by `key(0)` … `key(n - 1)`, without
/// a copy of them when they span a small range (days, counts): those are
/// counted, not sorted. Called up to three times per value.
pub fn quintiles_by(n: usize, key: impl Fn(usize) -> i64) -> Vec<u8> {
    if n == 0 {
        return Vec::new();
    }
    let score = |rank: usize| (rank * 5 / n + 1) as u8;
    let (lo, hi) = (0..n).map(&key).fold((i64::MAX, i64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let span = hi.abs_diff(lo);
    if span < (n as u64).max(1 << 16) {
        // below[v - lo] = how many values are below v: the rank of v's first occurrence.
        let mut below = vec![0usize; span as usize + 2];
        for i in 0..n {
            below[(key(i) - lo) as usize + 1] += 1;
        }
        for k in 1..below.len() {
            below[k] += below[k - 1];
        }
        return (0..n).map(|i| score(below[(key(i) - lo) as usize])).collect();
    }
    let mut sorted: Vec<(i64, u32)> = (0..n).map(|i| (key(i), i as u32)).collect();
    sorted.sort_unstable();
    let mut out = vec![0u8; n];
    let mut first = 0;
    for (k, &(v, i)) in sorted.iter().enumerate() {
        if k > 0 && v != sorted[k - 1].0 {
            first = k;
        }
        out[i as usize] = score(first);
    }
    out
}

/// Scores every customer with a sale in the window; the rest get `None`.
pub fn score(inputs: &[RfmInput]) -> Vec<(i64, Option<RfmScore>)> {
    let buyers: Vec<&RfmInput> = inputs.iter().filter(|i| i.recency_days.is_some() && i.frequency > 0).collect();
    // Fewer days since the last sale is better, so score the negation.
    let r = quintiles(&buyers.iter().map(|i| -i.recency_days.unwrap_or(0)).collect::<Vec<_>>());
    let f = quintiles(&buyers.iter().map(|i| i.frequency).collect::<Vec<_>>());
    let m = quintiles(&buyers.iter().map(|i| i.monetary.0).collect::<Vec<_>>());
    let mut scored = std::collections::HashMap::with_capacity(buyers.len());
    for (k, i) in buyers.iter().enumerate() {
        scored.insert(i.customer_id, RfmScore { r: r[k], f: f[k], m: m[k], segment: Segment::of(r[k], f[k]) });
    }
    inputs.iter().map(|i| (i.customer_id, scored.get(&i.customer_id).copied())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn quintiles_by_rank() {
        assert_eq!(quintiles(&[10, 20, 30, 40, 50]), vec![1, 2, 3, 4, 5]);
        assert_eq!(quintiles(&[1, 1, 1, 1]), vec![1, 1, 1, 1]);
        // Ten values: two per quintile.
        assert_eq!(quintiles(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), vec![1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
        // Ties share the lower score.
        assert_eq!(quintiles(&[5, 5, 9, 1, 5]), vec![2, 2, 5, 1, 2]);
    }

    #[test]
    fn recency_scores_recent_buyers_high() {
        let i = |id, days, f, m| RfmInput { customer_id: id, recency_days: days, frequency: f, monetary: Money(m) };
        let out = score(&[
            i(1, Some(1), 9, 900),
            i(2, Some(300), 1, 10),
            i(3, None, 0, 0),
            i(4, Some(100), 3, 50),
            i(5, Some(30), 5, 200),
            i(6, Some(200), 2, 20),
        ]);
        let s = |id: i64| out.iter().find(|(c, _)| *c == id).unwrap().1;
        assert_eq!(s(1).unwrap().r, 5);
        assert_eq!(s(1).unwrap().segment, Segment::Champions);
        assert_eq!(s(2).unwrap().r, 1);
        assert_eq!(s(2).unwrap().segment, Segment::Lost);
        assert_eq!(s(3), None);
    }

    #[test]
    fn segment_table() {
        assert_eq!(Segment::of(5, 5), Segment::Champions);
        assert_eq!(Segment::of(5, 1), Segment::NewCustomers);
        assert_eq!(Segment::of(4, 1), Segment::Promising);
        assert_eq!(Segment::of(3, 3), Segment::NeedAttention);
        assert_eq!(Segment::of(3, 5), Segment::Loyal);
        assert_eq!(Segment::of(2, 5), Segment::CantLose);
        assert_eq!(Segment::of(2, 3), Segment::AtRisk);
        assert_eq!(Segment::of(2, 2), Segment::Hibernating);
        assert_eq!(Segment::of(1, 1), Segment::Lost);
        for s in Segment::ALL {
            assert_eq!(Segment::parse(s.code()), Some(*s));
        }
    }

    /// The rule written out plainly: sort a copy, find each value's rank.
    fn quintiles_plain(values: &[i64]) -> Vec<u8> {
        let mut sorted = values.to_vec();
        sorted.sort_unstable();
        values.iter().map(|v| (sorted.partition_point(|x| x < v) * 5 / values.len() + 1) as u8).collect()
    }

    #[test]
    fn counted_and_sorted_quintiles_agree_with_the_plain_rule() {
        // Small spans are counted, wide ones sorted; extremes must not overflow.
        let wide: Vec<i64> = (0..5_000i64).map(|i| (i * 7_919) % 4_999 * 1_000_003 - 2_000_000_000).collect();
        let narrow: Vec<i64> = (0..5_000i64).map(|i| (i * 31) % 365 - 100).collect();
        let extreme = vec![i64::MIN, i64::MAX, 0, -1, 1, i64::MAX, i64::MIN + 1];
        for v in [wide, narrow, extreme] {
            assert_eq!(quintiles(&v), quintiles_plain(&v));
        }
    }

    proptest! {
        #[test]
        fn quintiles_match_the_plain_rule(values in proptest::collection::vec(any::<i64>(), 1..300)) {
            prop_assert_eq!(quintiles(&values), quintiles_plain(&values));
        }

        #[test]
        fn scores_are_1_to_5_and_monotone(values in proptest::collection::vec(-1000i64..1000, 1..200)) {
            let q = quintiles(&values);
            for (i, a) in values.iter().enumerate() {
                prop_assert!((1..=5).contains(&q[i]));
                for (j, b) in values.iter().enumerate() {
                    if a < b { prop_assert!(q[i] <= q[j]); }
                    if a == b { prop_assert_eq!(q[i], q[j]); }
                }
            }
        }
    }
}
