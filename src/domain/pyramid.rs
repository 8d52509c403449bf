//! The customer pyramid: customers tiered by the value they contribute.

use super::model::Tier;
use super::money::Money;

/// What classification needs to know of one customer.
#[derive(Debug, Clone, PartialEq)]
pub struct ValueInput {
    pub customer_id: i64,
    /// Contribution over the trailing window.
    pub contribution: Money,
    /// Contribution in the last 90 days and in the 90 days before that,
    /// for the "rising fast" rule.
    pub recent: Money,
    pub previous: Money,
    pub pin: Option<Tier>,
}

/// The thresholds of the pyramid (percent of cumulative positive value).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    pub top_share_pct: u32,
    pub growth_share_pct: u32,
    /// A Low customer whose recent contribution is at least this many percent
    /// of the previous period's (150 = 1.5 times) is rising fast.
    pub rising_ratio_pct: u32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds { top_share_pct: 50, growth_share_pct: 80, rising_ratio_pct: 150 }
    }
}

/// Assigns each customer a tier. Negative: contribution < 0. The rest are
/// sorted by contribution, descending, ties by id: Top runs until the
/// cumulative positive contribution reaches the top share (the customer who
/// crosses it is Top), Growth until the growth share (the crosser is Growth),
/// plus any Low customer rising fast; Low is the rest. Pins override.
/// Returns (customer id, computed tier, tier in force).
pub fn classify(inputs: &[ValueInput], t: Thresholds) -> Vec<(i64, Tier, Tier)> {
    let total: i128 = inputs.iter().map(|i| i.contribution.0.max(0) as i128).sum();
    let mut order: Vec<&ValueInput> = inputs.iter().collect();
    order.sort_by(|a, b| b.contribution.cmp(&a.contribution).then(a.customer_id.cmp(&b.customer_id)));
    let mut bands = Banding::new(total, t);
    let mut out = Vec::with_capacity(inputs.len());
    for i in order {
        let tier = bands.next(i.contribution, rising(i.recent, i.previous, t));
        out.push((i.customer_id, tier, i.pin.unwrap_or(tier)));
    }
    out
}

/// [`classify`]'s walk down the customers, one at a time, for callers that
/// keep their customers in their own (compact) form: give it the customers
/// by contribution, descending, ties by id, and it says each one's tier.
#[derive(Debug, Clone)]
pub struct Banding {
    total: i128,
    top_limit: i128,
    growth_limit: i128,
    cum: i128,
}

impl Banding {
    /// `total_positive`: the sum of the positive contributions of everyone.
    pub fn new(total_positive: i128, t: Thresholds) -> Banding {
        Banding {
            total: total_positive,
            top_limit: total_positive * t.top_share_pct as i128,
            growth_limit: total_positive * t.growth_share_pct as i128,
            cum: 0,
        }
    }

    /// The computed tier of the next customer (`rising`: see [`rising`]).
    pub fn next(&mut self, contribution: Money, rising: bool) -> Tier {
        let c = contribution.0;
        let low = if rising { Tier::Growth } else { Tier::Low };
        if c < 0 {
            Tier::Negative
        } else if c == 0 || self.total == 0 {
            low
        } else {
            let before = self.cum * 100;
            self.cum += c as i128;
            if before < self.top_limit {
                Tier::Top
            } else if before < self.growth_limit {
                Tier::Growth
            } else {
                low
            }
        }
    }
}

/// A Low customer is rising fast when their contribution in the last 90
/// days is positive and at least `rising_ratio_pct`% of the 90 days before.
pub fn rising(recent: Money, previous: Money, t: Thresholds) -> bool {
    recent.0 > 0 && (recent.0 as i128) * 100 >= (previous.0 as i128) * t.rising_ratio_pct as i128
}

/// One band of the pyramid as the pane draws it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Band {
    pub count: u64,
    pub total: Money,
}

/// Share of the positive total a band holds, in tenths of a percent.
pub fn share_permille(part: Money, positive_total: Money) -> i64 {
    if positive_total.0 <= 0 {
        return 0;
    }
    ((part.0 as i128 * 1000) / positive_total.0 as i128) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(id: i64, c: i64) -> ValueInput {
        ValueInput { customer_id: id, contribution: Money(c), recent: Money(0), previous: Money(0), pin: None }
    }

    fn tiers(inputs: &[ValueInput]) -> Vec<(i64, Tier)> {
        let mut r: Vec<_> = classify(inputs, Thresholds::default()).into_iter().map(|(id, _, t)| (id, t)).collect();
        r.sort();
        r
    }

    #[test]
    fn crossers_belong_to_the_upper_band() {
        // total 100: 40 (cum before 0) top, 30 (before 40 < 50) top, 15 (before 70 < 80) growth,
        // 10 (before 85) low, 5 low, -3 negative, 0 low.
        let r = tiers(&[v(1, 40), v(2, 30), v(3, 15), v(4, 10), v(5, 5), v(6, -3), v(7, 0)]);
        assert_eq!(
            r,
            vec![
                (1, Tier::Top),
                (2, Tier::Top),
                (3, Tier::Growth),
                (4, Tier::Low),
                (5, Tier::Low),
                (6, Tier::Negative),
                (7, Tier::Low)
            ]
        );
    }

    #[test]
    fn ties_break_by_id_and_pins_win() {
        let mut a = v(9, 50);
        a.pin = Some(Tier::Low);
        let r = classify(&[v(2, 50), a], Thresholds::default());
        assert!(r.contains(&(2, Tier::Top, Tier::Top)));
        assert!(r.contains(&(9, Tier::Growth, Tier::Low)));
    }

    #[test]
    fn rising_low_customer_is_growth() {
        let mut r = v(5, 1);
        r.recent = Money(30);
        r.previous = Money(20);
        let out = tiers(&[v(1, 1000), r]);
        assert_eq!(out[1], (5, Tier::Growth));
    }

    #[test]
    fn rising_needs_one_and_a_half_times_the_previous_quarter() {
        let mut slow = v(6, 1);
        slow.recent = Money(29);
        slow.previous = Money(20);
        let mut fresh = v(7, 1);
        fresh.recent = Money(5);
        let mut falling = v(8, 1);
        falling.recent = Money(0);
        falling.previous = Money(-5);
        let out = tiers(&[v(1, 1000), slow, fresh, falling]);
        assert_eq!(out[1], (6, Tier::Low));
        assert_eq!(out[2], (7, Tier::Growth));
        assert_eq!(out[3], (8, Tier::Low));
    }

    #[test]
    fn shares() {
        assert_eq!(share_permille(Money(1), Money(3)), 333);
        assert_eq!(share_permille(Money(1), Money(0)), 0);
    }
}
