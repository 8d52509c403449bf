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
    /// The pipeline: per-stage figures, forecast by month, conversion, win rate, days per stage, cycle time, lost reasons.
    Pipeline(PipelineArgs),
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

#[derive(Debug, Args)]
pub struct PipelineArgs {
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// First day of the period (YYYY-MM-DD, UTC); default 89 days before --to.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub from: Option<NaiveDate>,
    /// Last day of the period, included (YYYY-MM-DD, UTC); default today.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub to: Option<NaiveDate>,
}

fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| format!("\"{s}\" is not a date (YYYY-MM-DD)"))
}

pub fn run(cli: &Cli, config: &Config, args: &ReportArgs) -> anyhow::Result<i32> {
    match &args.what {
        Report::Pyramid(a) => pyramid_report(cli, config, a),
        Report::Pipeline(a) => pipeline_report(cli, config, a),
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

// --- rapport report pipeline

/// Days in the default period: the last 90 days up to --to.
const PIPELINE_DAYS: u32 = 90;

#[derive(Serialize)]
struct PipelineJson {
    /// The period of the conversion, win-rate, time and lost-reason figures.
    from: String,
    to: String,
    /// The day the forecast's "overdue" is measured against.
    today: String,
    /// Open deals now, per configured stage; minor units.
    stages: Vec<StageJson>,
    /// All open deals now, in a configured stage or not.
    open: OpenJson,
    forecast: Vec<MonthJson>,
    conversion: Vec<ConversionJson>,
    win_rate: WinRateJson,
    stage_days: Vec<StageDaysJson>,
    cycle: CycleJson,
    lost_reasons: Vec<LostReasonJson>,
}

#[derive(Serialize)]
struct StageJson {
    stage: String,
    probability_pct: u8,
    count: u64,
    total: i64,
    weighted: i64,
}

#[derive(Serialize)]
struct OpenJson {
    count: u64,
    total: i64,
    weighted: i64,
}

#[derive(Serialize)]
struct MonthJson {
    /// `YYYY-MM`, or null for deals without an expected close date.
    month: Option<String>,
    count: u64,
    total: i64,
    weighted: i64,
    overdue: u64,
}

#[derive(Serialize)]
struct ConversionJson {
    from: String,
    to: String,
    entered: u64,
    advanced: u64,
    rate: Option<f64>,
}

#[derive(Serialize)]
struct WinRateJson {
    won: u64,
    lost: u64,
    rate: Option<f64>,
}

#[derive(Serialize)]
struct StageDaysJson {
    stage: String,
    stays: u64,
    avg_days: Option<f64>,
}

#[derive(Serialize)]
struct CycleJson {
    won: u64,
    avg_days: Option<f64>,
}

#[derive(Serialize)]
struct LostReasonJson {
    reason: Option<String>,
    count: u64,
    total: i64,
}

fn pipeline_report(cli: &Cli, config: &Config, a: &PipelineArgs) -> anyhow::Result<i32> {
    use crate::domain::forecast::{Period, analyse};
    use crate::domain::pipeline::Stage;

    let today = Local::now().date_naive();
    let to = a.to.unwrap_or(today);
    let period = match a.from {
        Some(from) => Period::new(from, to).map_err(|e| anyhow::anyhow!("--from/--to: {e}"))?,
        None => Period::last_days(to, PIPELINE_DAYS),
    };
    let stages: Vec<Stage> = config
        .pipeline
        .stages
        .iter()
        .map(|s| Stage { name: s.name.clone(), probability_pct: s.probability_pct })
        .collect();
    let repo = open_existing_repo(cli, config)?;
    let histories = repo.deal_histories(&period)?;
    let open = repo.open_deals_for_forecast()?;
    let an = analyse(&stages, &config.pipeline.lost_reasons, period, today, &histories, &open);
    let json = pipeline_json(&an);
    match a.format {
        Format::Json => super::emit(&(serde_json::to_string_pretty(&json)? + "\n"))?,
        Format::Text => super::emit(&pipeline_text(&json))?,
    }
    Ok(0)
}

fn pipeline_json(an: &crate::domain::forecast::Analysis) -> PipelineJson {
    PipelineJson {
        from: an.period.from().to_string(),
        to: an.period.to().to_string(),
        today: an.today.to_string(),
        stages: an
            .stages
            .iter()
            .zip(&an.stage_totals)
            .map(|(s, t)| StageJson {
                stage: s.name.clone(),
                probability_pct: s.probability_pct,
                count: t.count,
                total: t.total.0,
                weighted: t.weighted.0,
            })
            .collect(),
        open: OpenJson { count: an.open_count, total: an.open_total.0, weighted: an.open_weighted.0 },
        forecast: an
            .forecast
            .iter()
            .map(|m| MonthJson {
                month: m.month.map(|m| m.to_string()),
                count: m.count,
                total: m.total.0,
                weighted: m.weighted.0,
                overdue: m.overdue,
            })
            .collect(),
        conversion: an
            .conversions
            .iter()
            .map(|c| ConversionJson {
                from: c.from.clone(),
                to: c.to.clone(),
                entered: c.entered,
                advanced: c.advanced,
                rate: c.rate(),
            })
            .collect(),
        win_rate: WinRateJson { won: an.win_rate.won, lost: an.win_rate.lost, rate: an.win_rate.rate() },
        stage_days: an
            .stage_times
            .iter()
            .map(|t| StageDaysJson { stage: t.stage.clone(), stays: t.stays, avg_days: t.avg_days })
            .collect(),
        cycle: CycleJson { won: an.cycle.won, avg_days: an.cycle.avg_days },
        lost_reasons: an
            .lost_reasons
            .iter()
            .map(|r| LostReasonJson { reason: r.reason.clone(), count: r.count, total: r.total.0 })
            .collect(),
    }
}

fn pct(rate: Option<f64>) -> String {
    rate.map_or_else(|| "–".to_string(), |r| format!("{:.1}%", r * 100.0))
}

fn days(d: Option<f64>) -> String {
    d.map_or_else(|| "–".to_string(), |d| format!("{d:.1}"))
}

/// Text (made safe for the terminal) left-aligned in `cells` terminal
/// cells, cut with `…` if longer, then two spaces.
fn cell(s: &str, cells: usize) -> String {
    pad(&sanitize(s), cells) + "  "
}

/// Text (made safe for the terminal) right-aligned in `cells` cells.
fn right(s: &str, cells: usize) -> String {
    let s = sanitize(s);
    let w = crate::domain::text::width(&s);
    if w >= cells { s } else { " ".repeat(cells - w) + &s }
}

fn pipeline_text(j: &PipelineJson) -> String {
    use crate::domain::money::Money;
    let m = |c: i64| Money(c).to_string();
    let name_w = j
        .stages
        .iter()
        .map(|s| crate::domain::text::width(&sanitize(&s.stage)))
        .chain([12])
        .max()
        .unwrap_or(12)
        .min(30);
    let mut out = format!("pipeline · period {} – {} · open deals as of {}\n", j.from, j.to, j.today);

    out += &format!(
        "\nopen deals by stage\n{}{:>6}{:>8}{:>18}{:>18}\n",
        cell("stage", name_w),
        "prob",
        "deals",
        "total",
        "weighted"
    );
    for s in &j.stages {
        out += &format!(
            "{}{:>5}%{:>8}{:>18}{:>18}\n",
            cell(&s.stage, name_w),
            s.probability_pct,
            s.count,
            m(s.total),
            m(s.weighted)
        );
    }
    out += &format!(
        "{}{:>6}{:>8}{:>18}{:>18}\n",
        cell("all open", name_w),
        "",
        j.open.count,
        m(j.open.total),
        m(j.open.weighted)
    );

    out += &format!(
        "\nforecast by month of expected close\n{:<10}{:>8}{:>18}{:>18}{:>9}\n",
        "month", "deals", "total", "weighted", "overdue"
    );
    for f in &j.forecast {
        out += &format!(
            "{:<10}{:>8}{:>18}{:>18}{:>9}\n",
            f.month.as_deref().unwrap_or("no date"),
            f.count,
            m(f.total),
            m(f.weighted),
            f.overdue
        );
    }
    if j.forecast.is_empty() {
        out += "(no open deals)\n";
    }

    let pair_w = j
        .conversion
        .iter()
        .map(|c| crate::domain::text::width(&sanitize(&format!("{} → {}", c.from, c.to))))
        .chain([12])
        .max()
        .unwrap_or(12)
        .min(40);
    out += &format!("\nconversion\n{}{:>9}{:>10}{:>8}\n", cell("from → to", pair_w), "entered", "advanced", "rate");
    for c in &j.conversion {
        out += &format!(
            "{}{:>9}{:>10}{}\n",
            cell(&format!("{} → {}", c.from, c.to), pair_w),
            c.entered,
            c.advanced,
            right(&pct(c.rate), 8)
        );
    }

    out += &format!("\nwin rate: {} ({} won, {} lost)\n", pct(j.win_rate.rate), j.win_rate.won, j.win_rate.lost);
    out += &format!("cycle time, creation to won: {} days on average ({} won)\n", days(j.cycle.avg_days), j.cycle.won);

    out += &format!("\ndays per stage\n{}{:>8}{:>10}\n", cell("stage", name_w), "stays", "avg days");
    for t in &j.stage_days {
        out += &format!("{}{:>8}{}\n", cell(&t.stage, name_w), t.stays, right(&days(t.avg_days), 10));
    }

    out += "\nlost reasons\n";
    if j.lost_reasons.is_empty() {
        out += "(no deal lost in the period)\n";
    } else {
        let reason_w = j
            .lost_reasons
            .iter()
            .map(|r| crate::domain::text::width(&sanitize(r.reason.as_deref().unwrap_or("(no reason)"))))
            .chain([12])
            .max()
            .unwrap_or(12)
            .min(30);
        out += &format!("{}{:>8}{:>18}\n", cell("reason", reason_w), "deals", "total");
        for r in &j.lost_reasons {
            out += &format!(
                "{}{:>8}{:>18}\n",
                cell(r.reason.as_deref().unwrap_or("(no reason)"), reason_w),
                r.count,
                m(r.total)
            );
        }
    }
    out
}
