//! The churn warning: the BG/NBD model fitted to the whole base (weeks),
//! each customer's P(alive), expected purchases over the horizon and
//! lifecycle stage, and the at-risk flag for valuable customers.

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::config::Config;
use crate::domain::bgnbd::{Fit, FitError, Rfm, expected_purchases, fit, p_alive, summarise};
use crate::domain::lifecycle::{LifecycleThresholds, Stage, StageInput, stage};
use crate::domain::model::Tier;
use crate::repo::churn::{ChurnRow, StoredFit};
use crate::repo::{Repo, Result};
use crate::services::pyramid::{self, Params};

/// Days in the model's time unit: weeks, as in the paper.
pub const UNIT_DAYS: f64 = 7.0;

/// One customer's figures.
#[derive(Debug, Clone, PartialEq)]
pub struct ChurnCustomer {
    pub customer_id: i64,
    /// (x, t_x, T) in weeks; `None` without a purchase.
    pub rfm: Option<Rfm>,
    pub p_alive: Option<f64>,
    pub expected: Option<f64>,
    pub stage: Stage,
    pub tier: Tier,
    /// A Top or Growth customer whose P(alive) is below the threshold.
    pub at_risk: bool,
}

/// The model over the whole base, as of a day.
#[derive(Debug, Clone, PartialEq)]
pub struct Churn {
    pub as_of: NaiveDate,
    pub horizon_weeks: u32,
    /// The fit, or why the base cannot be fitted (then no P(alive) and no flags).
    pub fit: std::result::Result<Fit, FitError>,
    pub customers: Vec<ChurnCustomer>,
}

impl Churn {
    /// Customers per lifecycle stage, in [`Stage::ALL`] order.
    pub fn stage_counts(&self) -> Vec<(Stage, usize)> {
        Stage::ALL.iter().map(|s| (*s, self.customers.iter().filter(|c| c.stage == *s).count())).collect()
    }
}

fn thresholds(config: &Config) -> LifecycleThresholds {
    let l = &config.lifecycle;
    LifecycleThresholds {
        new_days: l.new_days,
        lost_days: l.lost_days,
        lost_p_alive: l.lost_p_alive_pct as f64 / 100.0,
        declining_p_alive: l.declining_p_alive_pct as f64 / 100.0,
    }
}

/// Fits the model to the purchases up to `as_of` and scores everyone.
pub fn compute(repo: &Repo, config: &Config, as_of: NaiveDate) -> Result<Churn> {
    let placed = pyramid::compute(repo, &Params::from_config(config, as_of))?;
    compute_with(repo, config, as_of, &placed)
}

/// As [`compute`], with the pyramid as of the same day already computed
/// (the app's daily job has just done it: not a second pass over the
/// transactions, nor a second copy of every customer in memory).
pub fn compute_with(repo: &Repo, config: &Config, as_of: NaiveDate, placed: &pyramid::Pyramid) -> Result<Churn> {
    let tiers: HashMap<i64, Tier> = placed.customers.iter().map(|c| (c.customer_id, c.tier)).collect();
    let days = repo.purchase_days(as_of)?;
    let summaries: Vec<(i64, Option<Rfm>)> = days.iter().map(|(id, d)| (*id, summarise(d, as_of, UNIT_DAYS))).collect();
    let data: Vec<Rfm> = summaries.iter().filter_map(|(_, r)| *r).collect();
    let fitted = fit(&data);
    drop(data);
    let periods: HashMap<i64, (i64, i64)> = repo
        .pyramid_inputs(as_of, config.pyramid.window_days)?
        .into_iter()
        .map(|i| (i.value.customer_id, (i.value.recent.0, i.value.previous.0)))
        .collect();
    let horizon = config.lifecycle.horizon_weeks as f64;
    let risk_below = config.care.churn_threshold_pct as f64 / 100.0;
    let t = thresholds(config);
    let customers = days
        .iter()
        .zip(&summaries)
        .map(|((id, d), (_, rfm))| {
            let (p, e) = match (&fitted, rfm) {
                (Ok(f), Some(r)) => {
                    let p = p_alive(&f.params, r);
                    let e = expected_purchases(&f.params, r, horizon);
                    (p.is_finite().then_some(p), e.is_finite().then_some(e))
                }
                _ => (None, None),
            };
            let (recent, previous) = periods.get(id).copied().unwrap_or_default();
            let first = d.first().map(|f| (as_of - *f).num_days());
            let last = d.last().map(|l| (as_of - *l).num_days());
            let s = stage(
                &StageInput {
                    purchases: d.len(),
                    days_since_first: first,
                    days_since_last: last,
                    p_alive: p,
                    contribution_recent: recent,
                    contribution_previous: previous,
                },
                &t,
            );
            let tier = tiers.get(id).copied().unwrap_or(Tier::Low);
            let at_risk = matches!(tier, Tier::Top | Tier::Growth) && p.is_some_and(|p| p < risk_below);
            ChurnCustomer { customer_id: *id, rfm: *rfm, p_alive: p, expected: e, stage: s, tier, at_risk }
        })
        .collect();
    Ok(Churn { as_of, horizon_weeks: config.lifecycle.horizon_weeks, fit: fitted, customers })
}

/// Computes and stores every customer's figures and the fit.
pub fn recompute(repo: &mut Repo, config: &Config, as_of: NaiveDate) -> Result<Churn> {
    let c = compute(repo, config, as_of)?;
    store(repo, as_of, &c)?;
    Ok(c)
}

/// As [`recompute`], with the pyramid as of the same day already computed
/// (see [`compute_with`]); the figures are stored, not returned.
pub fn recompute_with(repo: &mut Repo, config: &Config, as_of: NaiveDate, placed: &pyramid::Pyramid) -> Result<()> {
    let c = compute_with(repo, config, as_of, placed)?;
    store(repo, as_of, &c)
}

fn store(repo: &mut Repo, as_of: NaiveDate, c: &Churn) -> Result<()> {
    let rows: Vec<ChurnRow> = c
        .customers
        .iter()
        .map(|x| ChurnRow {
            customer_id: x.customer_id,
            p_alive: x.p_alive,
            expected_purchases: x.expected,
            lifecycle: x.stage.code().to_string(),
            churn_risk: x.at_risk,
        })
        .collect();
    let fit = StoredFit {
        as_of: as_of.to_string(),
        customers: c.customers.len() as i64,
        params: c.fit.as_ref().ok().map(|f| (f.params.r, f.params.alpha, f.params.a, f.params.b, f.log_likelihood)),
        message: c.fit.as_ref().err().map(|e| e.to_string()),
    };
    repo.store_churn(&rows, &fit)
}
