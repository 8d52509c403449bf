//! Pipeline figures: per-stage count, total and weighted total.

use super::money::Money;

/// A stage of the pipeline with its default win probability.
#[derive(Debug, Clone, PartialEq)]
pub struct Stage {
    pub name: String,
    pub probability_pct: u8,
}

/// Open deals of one stage sharing one probability override (or none), as
/// the repository sums them.
#[derive(Debug, Clone, PartialEq)]
pub struct DealGroup {
    pub stage: String,
    pub probability_pct: Option<u8>,
    pub count: u64,
    pub total: Money,
}

/// Totals of one stage column.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StageTotals {
    pub count: u64,
    pub total: Money,
    /// Sum of amount × probability (the deal's override, else the stage's),
    /// rounded to the cent per group of equal probability.
    pub weighted: Money,
}

/// Weighted value of a deal, rounded half away from zero to the cent.
pub fn weighted(amount: Money, probability_pct: u8) -> Money {
    let x = amount.0 as i128 * probability_pct as i128;
    let r = if x >= 0 { (x + 50) / 100 } else { (x - 50) / 100 };
    Money(r as i64)
}

/// Totals per stage, in the stages' order; deals in unknown stages are
/// ignored here (the board lists them separately).
pub fn stage_totals(stages: &[Stage], groups: &[DealGroup]) -> Vec<StageTotals> {
    stages
        .iter()
        .map(|s| {
            let mut t = StageTotals::default();
            for g in groups.iter().filter(|g| g.stage == s.name) {
                t.count += g.count;
                t.total = t.total + g.total;
                t.weighted = t.weighted + weighted(g.total, g.probability_pct.unwrap_or(s.probability_pct));
            }
            t
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn per_stage_totals() {
        let stages = vec![
            Stage { name: "Lead".into(), probability_pct: 10 },
            Stage { name: "Proposal".into(), probability_pct: 50 },
        ];
        let deals = vec![
            DealGroup { stage: "Lead".into(), probability_pct: None, count: 2, total: Money(10_000) },
            DealGroup { stage: "Lead".into(), probability_pct: Some(30), count: 1, total: Money(5_005) },
            DealGroup { stage: "Proposal".into(), probability_pct: None, count: 1, total: Money(2_000) },
            DealGroup { stage: "Elsewhere".into(), probability_pct: None, count: 9, total: Money(9) },
        ];
        let t = stage_totals(&stages, &deals);
        assert_eq!(t[0], StageTotals { count: 3, total: Money(15_005), weighted: Money(1_000 + 1_502) });
        assert_eq!(t[1], StageTotals { count: 1, total: Money(2_000), weighted: Money(1_000) });
    }

    proptest! {
        #[test]
        fn weighted_never_exceeds_amount(a in 0i64..1_000_000_000_000, p in 0u8..=100) {
            let w = weighted(Money(a), p);
            prop_assert!(w.0 <= a && w.0 >= 0);
        }
    }
}
