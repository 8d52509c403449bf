//! The customer pyramid as a whole: read contributions and RFM inputs,
//! classify, score, store, snapshot. Shared by the TUI and `rapport report`.

use chrono::NaiveDate;

use crate::config::Config;
use crate::domain::model::Tier;
use crate::domain::money::Money;
use crate::domain::pyramid::{Banding, Thresholds, rising};
use crate::domain::rfm::{RfmScore, Segment, quintiles_by};
use crate::repo::pyramid::{Places, WindowTotal};
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
    let places = repo.pyramid_places()?;
    compute_with(repo, p, &places)
}

/// Computes the pyramid of the customers `places` says are active.
///
/// The same result as classifying [`Repo::pyramid_inputs`] with
/// [`crate::domain::pyramid::classify`] and scoring it with [`crate::domain::rfm::score`], but
/// built for a million customers: the window's figures come as one compact
/// array indexed by customer id, the RFM scores are counted or sorted one
/// dimension at a time, and nothing is kept per customer beyond what the
/// result holds.
fn compute_with(repo: &Repo, p: &Params, places: &Places) -> Result<Pyramid> {
    let totals = repo.window_totals(p.as_of, p.window_days, places.len())?;
    let scores = rfm_scores(places, &totals);
    let t = p.thresholds;
    // (contribution, id, rising), by contribution descending, ties by id.
    let mut order: Vec<(i64, u32, bool)> = places
        .active_ids()
        .map(|id| {
            let w = &totals[id as usize];
            (w.contribution.0, id as u32, rising(w.recent, w.previous, t))
        })
        .collect();
    drop(totals);
    order.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let positive: i128 = order.iter().map(|o| o.0.max(0) as i128).sum();
    let mut banding = Banding::new(positive, t);
    let mut bands = [BandFigures::default(); 4];
    let mut customers = Vec::with_capacity(order.len());
    for (contribution, id, is_rising) in order {
        let id = id as i64;
        let contribution = Money(contribution);
        let computed = banding.next(contribution, is_rising);
        let pin = places.pin(id);
        let tier = pin.unwrap_or(computed);
        let b = &mut bands[tier.rank()];
        b.count += 1;
        b.total = b.total + contribution;
        customers.push(Placed {
            customer_id: id,
            tier,
            computed,
            pinned: pin.is_some(),
            contribution,
            rfm: scores[id as usize],
        });
    }
    Ok(Pyramid { params: *p, bands, positive_total: Money(positive as i64), customers })
}

/// Each active buyer's RFM scores (customers with a sale in the window),
/// indexed by customer id: the quintiles of [`crate::domain::rfm::score`].
fn rfm_scores(places: &Places, totals: &[WindowTotal]) -> Vec<Option<RfmScore>> {
    let buyers: Vec<u32> =
        places.active_ids().filter(|&id| totals[id as usize].sale_days > 0).map(|id| id as u32).collect();
    let of = |k: usize| &totals[buyers[k] as usize];
    // A later last sale is a shorter recency: the same ranks as −recency.
    let r = quintiles_by(buyers.len(), |k| of(k).last_sale_day as i64);
    let f = quintiles_by(buyers.len(), |k| of(k).sale_days as i64);
    let m = quintiles_by(buyers.len(), |k| of(k).sales.0);
    let mut scores = vec![None; places.len()];
    for (k, id) in buyers.iter().enumerate() {
        scores[*id as usize] = Some(RfmScore { r: r[k], f: f[k], m: m[k], segment: Segment::of(r[k], f[k]) });
    }
    scores
}

/// Computes the pyramid as of `day` with the config's settings, stores each
/// customer's tier, contribution and RFM, and snapshots the day (once per
/// day: a second run the same day replaces that day's snapshot). Only the
/// customers whose figures changed are written.
pub fn recompute(repo: &mut Repo, config: &Config, day: NaiveDate) -> Result<Pyramid> {
    let places = repo.pyramid_places()?;
    let p = compute_with(repo, &Params::from_config(config, day), &places)?;
    repo.store_recomputed(places, day, p.customers.iter().map(|c| (c.customer_id, c.computed, c.contribution, c.rfm)))?;
    Ok(p)
}
