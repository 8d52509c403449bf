//! Recomputing the customer pyramid: read contributions, classify, store.

use chrono::{DateTime, Utc};

use crate::config::Config;
use crate::domain::money::Money;
use crate::domain::pyramid::{Thresholds, classify};
use crate::repo::{Repo, Result};

/// The thresholds the config asks for.
pub fn thresholds(config: &Config) -> Thresholds {
    Thresholds {
        top_share_pct: config.pyramid.top_share_pct,
        growth_share_pct: config.pyramid.growth_share_pct,
        rising_ratio_pct: 100 + config.pyramid.rising_pct,
    }
}

/// Recomputes every active customer's contribution and tier as of `as_of`
/// and stores them. Returns how many customers were classified.
pub fn recompute(repo: &mut Repo, config: &Config, as_of: DateTime<Utc>) -> Result<usize> {
    let inputs = repo.value_inputs(as_of, config.pyramid.window_days)?;
    let tiers = classify(&inputs, thresholds(config));
    let contribution: std::collections::HashMap<i64, Money> =
        inputs.iter().map(|i| (i.customer_id, i.contribution)).collect();
    let rows: Vec<_> = tiers
        .iter()
        .map(|(id, computed, _)| (*id, *computed, contribution.get(id).copied().unwrap_or_default()))
        .collect();
    repo.store_tiers(&rows)?;
    Ok(rows.len())
}
