//! The churn warning: the BG/NBD model fitted to the whole base (weeks),
//! each customer's P(alive), expected purchases over the horizon and
//! lifecycle stage, and the at-risk flag for valuable customers.
//!
//! Built for a million customers: the base is read twice as a stream of
//! one compact [`PurchaseSummary`] per customer, in id order (no customer's
//! dates are kept), first to fit the model on the (x, t_x, T) triples, then
//! to score each customer and store the figures as they are scored, in one
//! transaction. [`compute_with`] scores the same way and keeps everyone
//! ([`Churn`]), for reports and tests; both score through the same code.

use chrono::NaiveDate;

use crate::config::Config;
use crate::domain::bgnbd::{self, Fit, FitError, Rfm, expected_purchases, fit_owned, p_alive, summarise_span};
use crate::domain::lifecycle::{LifecycleThresholds, Stage, StageInput, stage};
use crate::domain::model::Tier;
use crate::repo::churn::{ChurnFigures, PurchaseSummary, StoredFit};
use crate::repo::{Repo, Result};
use crate::services::pyramid::{self, Params};

/// Days in the model's time unit: weeks, as in the paper.
pub const UNIT_DAYS: f64 = 7.0;

/// One customer's figures.
#[derive(Debug, Clone, Copy, PartialEq)]
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

    /// The counts of the whole base, without the customers.
    pub fn summary(&self) -> ChurnSummary {
        let mut s = ChurnSummary::new(self.as_of, self.horizon_weeks, self.fit.clone());
        self.customers.iter().for_each(|c| s.add(c));
        s
    }
}

/// The model over the whole base as of a day, counted rather than kept
/// customer by customer: what [`recompute_with`] returns.
#[derive(Debug, Clone, PartialEq)]
pub struct ChurnSummary {
    pub as_of: NaiveDate,
    pub horizon_weeks: u32,
    /// The fit, or why the base cannot be fitted.
    pub fit: std::result::Result<Fit, FitError>,
    /// Customers scored: every active customer.
    pub customers: usize,
    /// Customers per lifecycle stage, in [`Stage::ALL`] order (as
    /// [`Churn::stage_counts`]).
    pub stages: Vec<(Stage, usize)>,
    /// Customers flagged at risk.
    pub at_risk: usize,
}

impl ChurnSummary {
    fn new(as_of: NaiveDate, horizon_weeks: u32, fit: std::result::Result<Fit, FitError>) -> ChurnSummary {
        ChurnSummary {
            as_of,
            horizon_weeks,
            fit,
            customers: 0,
            stages: Stage::ALL.iter().map(|s| (*s, 0)).collect(),
            at_risk: 0,
        }
    }

    fn add(&mut self, c: &ChurnCustomer) {
        self.customers += 1;
        if let Some(n) = self.stages.iter_mut().find(|(s, _)| *s == c.stage) {
            n.1 += 1;
        }
        self.at_risk += usize::from(c.at_risk);
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

/// A customer's (x, t_x, T) in weeks, as [`bgnbd::summarise`] gives it
/// from their purchase dates; `None` without a purchase.
fn rfm_of(s: &PurchaseSummary, as_of: NaiveDate) -> Option<Rfm> {
    summarise_span(s.sale_days, s.first_sale?, s.last_sale?, as_of, UNIT_DAYS)
}

/// Fits the model to every active customer's purchases up to `as_of`;
/// `customers` is how many there are about (room for their triples).
fn fit_base(repo: &Repo, as_of: NaiveDate, customers: usize) -> Result<std::result::Result<Fit, FitError>> {
    let mut data: Vec<Rfm> = Vec::with_capacity(customers);
    repo.each_purchase_summary(as_of, |s| {
        data.extend(rfm_of(s, as_of));
        Ok(())
    })?;
    Ok(fit_owned(data))
}

/// Scores one customer at a time from their [`PurchaseSummary`]: the fit,
/// the config's thresholds, and each customer's tier in the pyramid. The
/// one place the figures are computed, whether they are stored or kept.
struct Scorer<'a> {
    as_of: NaiveDate,
    params: Option<bgnbd::Params>,
    horizon: f64,
    risk_below: f64,
    thresholds: LifecycleThresholds,
    placed: &'a [pyramid::Placed],
    /// Indexes into `placed`, by customer id: the pyramid lists its
    /// customers by contribution, and this is 4 bytes a customer where a
    /// map from id to tier would be several times that.
    by_id: Vec<u32>,
}

impl<'a> Scorer<'a> {
    fn new(
        config: &Config,
        as_of: NaiveDate,
        fitted: &std::result::Result<Fit, FitError>,
        placed: &'a pyramid::Pyramid,
    ) -> Scorer<'a> {
        let placed = placed.customers.as_slice();
        let mut by_id: Vec<u32> = (0..placed.len() as u32).collect();
        by_id.sort_unstable_by_key(|&k| placed[k as usize].customer_id);
        Scorer {
            as_of,
            params: fitted.as_ref().ok().map(|f| f.params),
            horizon: config.lifecycle.horizon_weeks as f64,
            risk_below: config.care.churn_threshold_pct as f64 / 100.0,
            thresholds: thresholds(config),
            placed,
            by_id,
        }
    }

    /// A customer's tier in force; Low for one the pyramid does not list.
    fn tier(&self, customer_id: i64) -> Tier {
        self.by_id
            .binary_search_by_key(&customer_id, |&k| self.placed[k as usize].customer_id)
            .map_or(Tier::Low, |i| self.placed[self.by_id[i] as usize].tier)
    }

    fn score(&self, s: &PurchaseSummary) -> ChurnCustomer {
        let rfm = rfm_of(s, self.as_of);
        let (p, e) = match (&self.params, &rfm) {
            (Some(f), Some(r)) => {
                let p = p_alive(f, r);
                let e = expected_purchases(f, r, self.horizon);
                (p.is_finite().then_some(p), e.is_finite().then_some(e))
            }
            _ => (None, None),
        };
        let stage = stage(
            &StageInput {
                purchases: s.sale_days,
                days_since_first: s.first_sale.map(|f| (self.as_of - f).num_days()),
                days_since_last: s.last_sale.map(|l| (self.as_of - l).num_days()),
                p_alive: p,
                contribution_recent: s.recent.0,
                contribution_previous: s.previous.0,
            },
            &self.thresholds,
        );
        let tier = self.tier(s.customer_id);
        let at_risk = matches!(tier, Tier::Top | Tier::Growth) && p.is_some_and(|p| p < self.risk_below);
        ChurnCustomer { customer_id: s.customer_id, rfm, p_alive: p, expected: e, stage, tier, at_risk }
    }
}

/// Fits the model to the purchases up to `as_of` and scores everyone.
pub fn compute(repo: &Repo, config: &Config, as_of: NaiveDate) -> Result<Churn> {
    let placed = pyramid::compute(repo, &Params::from_config(config, as_of))?;
    compute_with(repo, config, as_of, &placed)
}

/// As [`compute`], with the pyramid as of the same day already computed
/// (not a second pass over the transactions, nor a second copy of every
/// customer's tier in memory).
pub fn compute_with(repo: &Repo, config: &Config, as_of: NaiveDate, placed: &pyramid::Pyramid) -> Result<Churn> {
    let fitted = fit_base(repo, as_of, placed.customers.len())?;
    let scorer = Scorer::new(config, as_of, &fitted, placed);
    let mut customers = Vec::with_capacity(placed.customers.len());
    repo.each_purchase_summary(as_of, |s| {
        customers.push(scorer.score(s));
        Ok(())
    })?;
    Ok(Churn { as_of, horizon_weeks: config.lifecycle.horizon_weeks, fit: fitted, customers })
}

/// Computes and stores every customer's figures and the fit.
pub fn recompute(repo: &mut Repo, config: &Config, as_of: NaiveDate) -> Result<Churn> {
    let placed = pyramid::compute(repo, &Params::from_config(config, as_of))?;
    let mut customers = Vec::with_capacity(placed.customers.len());
    let s = store(repo, config, as_of, &placed, |c| customers.push(*c))?;
    Ok(Churn { as_of, horizon_weeks: s.horizon_weeks, fit: s.fit, customers })
}

/// As [`recompute`], with the pyramid as of the same day already computed
/// (see [`compute_with`]). The figures are stored as each customer is
/// scored, not kept: the memory it takes does not grow with the base beyond
/// the fit's (x, t_x, T) triples and an index of the pyramid by id.
pub fn recompute_with(
    repo: &mut Repo,
    config: &Config,
    as_of: NaiveDate,
    placed: &pyramid::Pyramid,
) -> Result<ChurnSummary> {
    store(repo, config, as_of, placed, |_| {})
}

/// Fits the model, then scores each customer as it is read and stores their
/// figures (handing each to `each` too), and the fit, in one transaction.
fn store(
    repo: &mut Repo,
    config: &Config,
    as_of: NaiveDate,
    placed: &pyramid::Pyramid,
    mut each: impl FnMut(&ChurnCustomer),
) -> Result<ChurnSummary> {
    let fitted = fit_base(repo, as_of, placed.customers.len())?;
    let row = StoredFit {
        as_of: as_of.to_string(),
        customers: 0,
        params: fitted.as_ref().ok().map(|f| (f.params.r, f.params.alpha, f.params.a, f.params.b, f.log_likelihood)),
        message: fitted.as_ref().err().map(|e| e.to_string()),
    };
    let scorer = Scorer::new(config, as_of, &fitted, placed);
    let mut summary = ChurnSummary::new(as_of, config.lifecycle.horizon_weeks, fitted.clone());
    repo.store_churn_each(
        as_of,
        |s| {
            let c = scorer.score(s);
            summary.add(&c);
            each(&c);
            ChurnFigures {
                p_alive: c.p_alive,
                expected_purchases: c.expected,
                lifecycle: c.stage.code(),
                churn_risk: c.at_risk,
            }
        },
        |n| StoredFit { customers: n as i64, ..row },
    )?;
    Ok(summary)
}
