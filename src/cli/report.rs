//! `rapport report ...`: the panes' figures as text or JSON, for scripts.

use chrono::{Local, NaiveDate};
use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;

use super::{Cli, open_existing_repo};
use crate::config::Config;
use crate::domain::model::Tier;
use crate::domain::text::{pad, sanitize};
use crate::services::pyramid::{self, Params, Pyramid};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(subcommand)]
    pub what: Report,
}

#[derive(Debug, Subcommand)]
pub enum Report {
    /// The customer pyramid: per tier count, total contribution and share; with --customers, everyone's tier and RFM.
    Pyramid(PyramidArgs),
}

#[derive(Debug, Args)]
pub struct PyramidArgs {
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// The last day of the window (YYYY-MM-DD); default today.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub as_of: Option<NaiveDate>,
    /// The window in days (default from the config: 365).
    #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(u32).range(1..))]
    pub window: Option<u32>,
    /// Top band: the customers who bring this % of value (default 50).
    #[arg(long, value_name = "PCT", value_parser = clap::value_parser!(u32).range(1..=100))]
    pub top_share: Option<u32>,
    /// Top and Growth together bring this % (default 80).
    #[arg(long, value_name = "PCT", value_parser = clap::value_parser!(u32).range(1..=100))]
    pub growth_share: Option<u32>,
    /// List every customer with tier, contribution, R, F, M and segment.
    #[arg(long)]
    pub customers: bool,
}

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| format!("\"{s}\" is not a date (YYYY-MM-DD)"))
}

pub fn run(cli: &Cli, config: &Config, args: &ReportArgs) -> anyhow::Result<i32> {
    match &args.what {
        Report::Pyramid(a) => pyramid_report(cli, config, a),
    }
}

#[derive(Serialize)]
struct PyramidJson {
    as_of: String,
    window_days: u32,
    top_share_pct: u32,
    growth_share_pct: u32,
    customer_count: usize,
    /// Sum of positive contributions, minor units: the base of every share.
    positive_total: i64,
    tiers: Vec<TierJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    customers: Option<Vec<CustomerJson>>,
}

#[derive(Serialize)]
struct TierJson {
    tier: &'static str,
    count: u64,
    /// Minor units (cents).
    total: i64,
    /// Fraction of the positive total, 0–1 (0 for negative).
    share: f64,
}

#[derive(Serialize)]
struct CustomerJson {
    id: i64,
    external_id: Option<String>,
    name: String,
    tier: &'static str,
    pinned: bool,
    contribution: i64,
    r: Option<u8>,
    f: Option<u8>,
    m: Option<u8>,
    segment: &'static str,
}

fn pyramid_report(cli: &Cli, config: &Config, a: &PyramidArgs) -> anyhow::Result<i32> {
    let today = Local::now().date_naive();
    let mut params = Params::from_config(config, a.as_of.unwrap_or(today));
    if let Some(w) = a.window {
        params.window_days = w;
    }
    if let Some(t) = a.top_share {
        params.thresholds.top_share_pct = t;
    }
    if let Some(g) = a.growth_share {
        params.thresholds.growth_share_pct = g;
    }
    if params.thresholds.top_share_pct >= params.thresholds.growth_share_pct {
        anyhow::bail!("the top share must be below the growth share");
    }
    let mut repo = open_existing_repo(cli, config)?;
    // Today's figures with the configured settings are the day's snapshot.
    let p = if params == Params::from_config(config, today) && !repo.is_read_only() {
        pyramid::recompute(&mut repo, config, today)?
    } else {
        pyramid::compute(&repo, &params)?
    };
    let labels = if a.customers { Some(repo.customer_labels()?) } else { None };
    let json = to_json(&p, labels.as_ref());
    match a.format {
        Format::Json => super::emit(&(serde_json::to_string_pretty(&json)? + "\n"))?,
        Format::Text => super::emit(&to_text(&json))?,
    }
    Ok(0)
}

fn to_json(
    p: &Pyramid,
    labels: Option<&std::collections::HashMap<i64, crate::repo::customers::CustomerLabel>>,
) -> PyramidJson {
    PyramidJson {
        as_of: p.params.as_of.to_string(),
        window_days: p.params.window_days,
        top_share_pct: p.params.thresholds.top_share_pct,
        growth_share_pct: p.params.thresholds.growth_share_pct,
        customer_count: p.customers.len(),
        positive_total: p.positive_total.0,
        tiers: Tier::ALL
            .iter()
            .enumerate()
            .map(|(i, t)| TierJson {
                tier: t.code(),
                count: p.bands[i].count,
                total: p.bands[i].total.0,
                share: p.share(i),
            })
            .collect(),
        customers: labels.map(|labels| {
            p.customers
                .iter()
                .map(|c| {
                    let l = labels.get(&c.customer_id);
                    CustomerJson {
                        id: c.customer_id,
                        external_id: l.and_then(|l| l.external_id.clone()),
                        name: l.map(|l| l.name.clone()).unwrap_or_default(),
                        tier: c.tier.code(),
                        pinned: c.pinned,
                        contribution: c.contribution.0,
                        r: c.rfm.map(|s| s.r),
                        f: c.rfm.map(|s| s.f),
                        m: c.rfm.map(|s| s.m),
                        segment: c.rfm.map(|s| s.segment).unwrap_or(crate::domain::rfm::Segment::NoPurchases).code(),
                    }
                })
                .collect()
        }),
    }
}

fn to_text(j: &PyramidJson) -> String {
    use crate::domain::money::Money;
    let mut out = format!(
        "pyramid as of {} · window {} days · top {}% · growth {}% · {} customers\n\n{:<10}{:>10}{:>20}{:>9}\n",
        j.as_of,
        j.window_days,
        j.top_share_pct,
        j.growth_share_pct,
        j.customer_count,
        "tier",
        "customers",
        "contribution",
        "share"
    );
    for t in &j.tiers {
        out += &format!("{:<10}{:>10}{:>20}{:>8.1}%\n", t.tier, t.count, Money(t.total).to_string(), t.share * 100.0);
    }
    if let Some(cs) = &j.customers {
        out += &format!("\n{:>8}  {}{:<10}{:>16}  R F M  segment\n", "id", pad("name", 30), "tier", "contribution");
        for c in cs {
            let rfm = match (c.r, c.f, c.m) {
                (Some(r), Some(f), Some(m)) => format!("{r} {f} {m}"),
                _ => "- - -".into(),
            };
            let tier = if c.pinned { format!("{}*", c.tier) } else { c.tier.to_string() };
            out += &format!(
                "{:>8}  {}{:<10}{:>16}  {rfm}  {}\n",
                c.id,
                pad(&sanitize(&c.name), 30),
                tier,
                Money(c.contribution).to_string(),
                c.segment
            );
        }
    }
    out
}
