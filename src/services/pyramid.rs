//! The customer pyramid as a whole: read contributions and RFM inputs,
//! classify, score, store, snapshot. Shared by the TUI and `rapport report`.

use chrono::NaiveDate;

use crate::config::Config;
use crate::domain::model::Tier;
use crate::domain::money::Money;
use crate::domain::pyramid::{Thresholds, classify};
use crate::domain::rfm::{RfmScore, score};
use crate::repo::{Repo, Result};

/// What a pyramid is computed with.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    /// The last day of the window (included).
    pub as_of: NaiveDate,
    pub window_days: u32,
    pub thresholds: Thresholds,
}

impl Params {
    /// The config's window and thresholds, as of `as_of`.
    pub fn from_config(config: &Config, as_of: NaiveDate) -> Params {
        Params { as_of, window_days: config.pyramid.window_days, thresholds: thresholds(config) }
    }
}

/// The thresholds the config asks for.
pub fn thresholds(config: &Config) -> Thresholds {
    Thresholds {
        top_share_pct: config.pyramid.top_share_pct,
        growth_share_pct: config.pyramid.growth_share_pct,
        rising_ratio_pct: 100 + config.pyramid.rising_pct,
    }
}

/// One customer's place in the pyramid.
#[derive(Debug, Clone, PartialEq)]
pub struct Placed {
    pub customer_id: i64,
    /// The tier in force (the pin, if any).
    pub tier: Tier,
    /// The tier the figures give.
    pub computed: Tier,
    pub pinned: bool,
    pub contribution: Money,
    pub rfm: Option<RfmScore>,
}

/// Count and total of one band.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct BandFigures {
    pub count: u64,
    pub total: Money,
}

/// The whole pyramid.
#[derive(Debug, Clone, PartialEq)]
pub struct Pyramid {
    pub params: Params,
    /// Top, Growth, Low, Negative (tiers in force).
    pub bands: [BandFigures; 4],
    /// Sum of the positive contributions: the base of every share.
    pub positive_total: Money,
    /// Every active customer, by contribution, descending (ties by id).
    pub customers: Vec<Placed>,
}

impl Pyramid {
    /// A band's share of the positive total, 0.0–1.0 (0 for Negative).
    pub fn share(&self, band: usize) -> f64 {
        if self.positive_total.0 <= 0 || band == 3 {
            return 0.0;
        }
        self.bands[band].total.0.max(0) as f64 / self.positive_total.0 as f64
    }
}

/// Computes the pyramid without storing anything.
pub fn compute(repo: &Repo, p: &Params) -> Result<Pyramid> {
    let inputs = repo.pyramid_inputs(p.as_of, p.window_days)?;
    let values: Vec<_> = inputs.iter().map(|i| i.value.clone()).collect();
    let rfm_inputs: Vec<_> = inputs.iter().map(|i| i.rfm.clone()).collect();
    let tiers = classify(&values, p.thresholds);
    let scores: std::collections::HashMap<i64, Option<RfmScore>> = score(&rfm_inputs).into_iter().collect();
    let by_id: std::collections::HashMap<i64, &crate::domain::pyramid::ValueInput> =
        values.iter().map(|v| (v.customer_id, v)).collect();
    let mut bands = [BandFigures::default(); 4];
    let mut customers = Vec::with_capacity(tiers.len());
    for (id, computed, tier) in tiers {
        let v = by_id[&id];
        let b = &mut bands[Tier::ALL.iter().position(|t| *t == tier).unwrap_or(2)];
        b.count += 1;
        b.total = b.total + v.contribution;
        customers.push(Placed {
            customer_id: id,
            tier,
            computed,
            pinned: v.pin.is_some(),
            contribution: v.contribution,
            rfm: scores.get(&id).copied().flatten(),
        });
    }
    let positive_total = values.iter().map(|v| Money(v.contribution.0.max(0))).sum();
    Ok(Pyramid { params: *p, bands, positive_total, customers })
}

/// Computes the pyramid as of `day` with the config's settings, stores each
/// customer's tier, contribution and RFM, and snapshots the day (once per
/// day: a second run the same day replaces that day's snapshot).
pub fn recompute(repo: &mut Repo, config: &Config, day: NaiveDate) -> Result<Pyramid> {
    let p = compute(repo, &Params::from_config(config, day))?;
    let rows: Vec<_> = p.customers.iter().map(|c| (c.customer_id, c.computed, c.contribution, c.rfm)).collect();
    repo.store_pyramid(&rows)?;
    repo.store_snapshot(day)?;
    Ok(p)
}
