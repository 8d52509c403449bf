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
    /// The team view: per agent and per team, interactions, care items, promises kept, complaint times, deals won, the benchmark of each column, service levels and the items that missed.
    Team(TeamArgs),
    /// Competitors named on deals: deals met, won and lost against each, win rate, value at stake, lost reasons.
    Competitors(CompetitorsArgs),
    /// Care: the promise-kept rate overall and per agent, complaint acknowledge and close times (medians), open complaints by age.
    Care(super::care_report::CareReportArgs),
    /// The churn model: fitted BG/NBD parameters, log-likelihood, customers per lifecycle stage; with --customers, everyone's x, t_x, T, P(alive), expected purchases and stage.
    Churn(ChurnArgs),
}

#[derive(Debug, Args)]
pub struct ChurnArgs {
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// The calibration end (YYYY-MM-DD): purchases up to this day; default today.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub as_of: Option<NaiveDate>,
    /// List every customer.
    #[arg(long)]
    pub customers: bool,
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

#[derive(Debug, Args)]
pub struct TeamArgs {
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// First day of the period (YYYY-MM-DD, UTC); default the 1st of --to's month.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub from: Option<NaiveDate>,
    /// Last day of the period, included (YYYY-MM-DD, UTC); default today.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub to: Option<NaiveDate>,
    /// Order the agent and team rows by this column, best first: interactions, care_on_time, care_late,
    /// promises_kept_rate, ack_hours_median, close_days_median, deals_won, won_value, ack_met, close_met,
    /// promise_met (default: by name).
    #[arg(long, value_name = "COLUMN", value_parser = crate::domain::team::Column::parse)]
    pub sort: Option<crate::domain::team::Column>,
}

#[derive(Debug, Args)]
pub struct CompetitorsArgs {
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// First day of the period (YYYY-MM-DD, UTC); default the 1st of --to's month.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub from: Option<NaiveDate>,
    /// Last day of the period, included (YYYY-MM-DD, UTC); default today.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub to: Option<NaiveDate>,
}

pub(super) fn parse_date(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| format!("\"{s}\" is not a date (YYYY-MM-DD)"))
}

pub fn run(cli: &Cli, config: &Config, args: &ReportArgs) -> anyhow::Result<i32> {
    match &args.what {
        Report::Pyramid(a) => pyramid_report(cli, config, a),
        Report::Pipeline(a) => pipeline_report(cli, config, a),
        Report::Team(a) => team_report(cli, config, a),
        Report::Competitors(a) => competitors_report(cli, config, a),
        Report::Churn(a) => churn_report(cli, config, a),
        Report::Care(a) => super::care_report::run(cli, config, a),
    }
}

#[derive(Serialize)]
struct ChurnJson {
    as_of: String,
    /// Weeks.
    time_unit: &'static str,
    customers: usize,
    /// `null` when the base cannot be fitted; `message` says why.
    params: Option<crate::domain::bgnbd::Params>,
    log_likelihood: Option<f64>,
    message: Option<String>,
    horizon_weeks: u32,
    stages: Vec<StageCount>,
    at_risk: usize,
    /// Lost customers who were once Top or Growth (stored figures), most valuable first.
    win_back: Vec<WinBackJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    per_customer: Option<Vec<ChurnCustomerJson>>,
}

#[derive(Serialize)]
struct WinBackJson {
    id: i64,
    name: String,
    contribution: i64,
    p_alive: Option<f64>,
}

#[derive(Serialize)]
struct StageCount {
    stage: &'static str,
    customers: usize,
}

#[derive(Serialize)]
struct ChurnCustomerJson {
    id: i64,
    external_id: Option<String>,
    name: String,
    tier: &'static str,
    x: Option<f64>,
    t_x: Option<f64>,
    #[serde(rename = "T")]
    t: Option<f64>,
    p_alive: Option<f64>,
    expected_purchases: Option<f64>,
    stage: &'static str,
    at_risk: bool,
}

fn churn_report(cli: &Cli, config: &Config, a: &ChurnArgs) -> anyhow::Result<i32> {
    use crate::services::churn;
    let today = Local::now().date_naive();
    let as_of = a.as_of.unwrap_or(today);
    let mut repo = open_existing_repo(cli, config)?;
    // Today's run is the stored one; another day is computed only. Without
    // the per-customer list, the stored run keeps only counts, not every
    // customer (a million of them on a large base).
    let (c, customers) = if as_of == today && !repo.is_read_only() {
        if a.customers {
            let c = churn::recompute(&mut repo, config, as_of)?;
            (c.summary(), Some(c.customers))
        } else {
            let placed = pyramid::compute(&repo, &Params::from_config(config, as_of))?;
            (churn::recompute_with(&mut repo, config, as_of, &placed)?, None)
        }
    } else {
        let c = churn::compute(&repo, config, as_of)?;
        (c.summary(), a.customers.then_some(c.customers))
    };
    let labels = if a.customers { Some(repo.customer_labels()?) } else { None };
    let j = ChurnJson {
        as_of: as_of.to_string(),
        time_unit: "weeks",
        customers: c.customers,
        params: c.fit.as_ref().ok().map(|f| f.params),
        log_likelihood: c.fit.as_ref().ok().map(|f| f.log_likelihood),
        message: c.fit.as_ref().err().map(|e| e.to_string()),
        horizon_weeks: c.horizon_weeks,
        stages: c.stages.iter().map(|(s, n)| StageCount { stage: s.code(), customers: *n }).collect(),
        at_risk: c.at_risk,
        win_back: repo
            .win_back(1000)?
            .into_iter()
            .map(|w| WinBackJson {
                id: w.customer_id,
                name: w.name,
                contribution: w.contribution.0,
                p_alive: w.p_alive,
            })
            .collect(),
        per_customer: labels.zip(customers).map(|(labels, customers)| {
            customers
                .iter()
                .map(|x| {
                    let l = labels.get(&x.customer_id);
                    ChurnCustomerJson {
                        id: x.customer_id,
                        external_id: l.and_then(|l| l.external_id.clone()),
                        name: l.map(|l| l.name.clone()).unwrap_or_default(),
                        tier: x.tier.code(),
                        x: x.rfm.map(|r| r.x),
                        t_x: x.rfm.map(|r| r.t_x),
                        t: x.rfm.map(|r| r.t),
                        p_alive: x.p_alive,
                        expected_purchases: x.expected,
                        stage: x.stage.code(),
                        at_risk: x.at_risk,
                    }
                })
                .collect()
        }),
    };
    match a.format {
        Format::Json => super::emit(&(serde_json::to_string_pretty(&j)? + "\n"))?,
        Format::Text => {
            let mut out = format!("churn model (BG/NBD, weeks) as of {} · {} customers\n", j.as_of, j.customers);
            match (&j.params, j.log_likelihood) {
                (Some(p), Some(ll)) => {
                    out += &format!(
                        "r = {:.4}  alpha = {:.4}  a = {:.4}  b = {:.4}  log-likelihood = {:.2}\n",
                        p.r, p.alpha, p.a, p.b, ll
                    )
                }
                _ => out += &format!("not fitted: {}\n", j.message.clone().unwrap_or_default()),
            }
            out += &format!("\n{:<12}{:>10}\n", "stage", "customers");
            for s in &j.stages {
                out += &format!("{:<12}{:>10}\n", s.stage, s.customers);
            }
            out += &format!("\nat risk (Top/Growth, P(alive) below threshold): {}\n", j.at_risk);
            out += &format!("win-back candidates (lost, once Top or Growth): {}\n", j.win_back.len());
            if let Some(cs) = &j.per_customer {
                let f = |v: Option<f64>, d: usize| v.map(|v| format!("{v:.d$}")).unwrap_or_else(|| "-".into());
                out += &format!(
                    "\n{:>8}  {}{:<9}{:>5}{:>8}{:>8}{:>9}{:>9}  stage\n",
                    "id",
                    pad("name", 28),
                    "tier",
                    "x",
                    "t_x",
                    "T",
                    "P(alive)",
                    "E[next]"
                );
                for c in cs {
                    out += &format!(
                        "{:>8}  {}{:<9}{:>5}{:>8}{:>8}{:>9}{:>9}  {}{}\n",
                        c.id,
                        pad(&sanitize(&c.name), 28),
                        c.tier,
                        f(c.x, 0),
                        f(c.t_x, 2),
                        f(c.t, 2),
                        f(c.p_alive, 3),
                        f(c.expected_purchases, 2),
                        c.stage,
                        if c.at_risk { " AT RISK" } else { "" }
                    );
                }
            }
            super::emit(&out)?;
        }
    }
    Ok(0)
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

/// Days in the default period: the last 90 days up to --to, the analysis
/// view's default period too.
const PIPELINE_DAYS: u32 = crate::domain::forecast::DEFAULT_DAYS;

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

// --- rapport report team

/// The period of `--from`/`--to`: by default this month, the 1st to today
/// (with only `--to`, the 1st of its month to it).
pub(super) fn month_period(
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> anyhow::Result<crate::domain::forecast::Period> {
    use chrono::Datelike;
    let to = to.unwrap_or_else(|| Local::now().date_naive());
    let from = from.unwrap_or_else(|| to.with_day(1).unwrap_or(to));
    crate::domain::forecast::Period::new(from, to).map_err(|e| anyhow::anyhow!("--from/--to: {e}"))
}

#[derive(Serialize)]
struct TeamJson {
    from: String,
    to: String,
    /// The instant items not done yet are judged against (RFC 3339, UTC).
    now: String,
    targets: TargetsJson,
    agents: Vec<TeamRowJson>,
    teams: Vec<TeamRowJson>,
    overall: FiguresJson,
    benchmarks: BenchmarksJson,
    service_levels: ServiceLevelsJson,
    misses: Vec<MissJson>,
}

#[derive(Serialize)]
struct TargetsJson {
    ack_hours: u32,
    close_days: u32,
    callback_on_date: bool,
}

#[derive(Serialize)]
struct TeamRowJson {
    name: String,
    /// A team's agents (absent for an agent's row).
    #[serde(skip_serializing_if = "Option::is_none")]
    members: Option<Vec<String>>,
    #[serde(flatten)]
    figures: FiguresJson,
    /// The columns this row leads (the benchmark).
    benchmark: Vec<&'static str>,
}

#[derive(Serialize)]
struct FiguresJson {
    interactions: u64,
    care_on_time: u64,
    care_late: u64,
    care_on_time_rate: Option<f64>,
    promises_kept: u64,
    promises_late: u64,
    promises_broken: u64,
    promises_kept_rate: Option<f64>,
    acknowledged: u64,
    ack_hours_median: Option<f64>,
    closed: u64,
    close_days_median: Option<f64>,
    deals_won: u64,
    /// Minor units.
    won_value: i64,
}

#[derive(Serialize)]
struct BenchmarksJson {
    agents: Vec<BenchmarkJson>,
    teams: Vec<BenchmarkJson>,
}

#[derive(Serialize)]
struct BenchmarkJson {
    column: &'static str,
    value: f64,
    leaders: Vec<String>,
}

#[derive(Serialize)]
struct ServiceLevelsJson {
    overall: LevelsJson,
    agents: Vec<NamedLevelsJson>,
    teams: Vec<NamedLevelsJson>,
}

#[derive(Serialize)]
struct NamedLevelsJson {
    name: String,
    #[serde(flatten)]
    levels: LevelsJson,
}

#[derive(Serialize)]
struct LevelsJson {
    ack: LevelJson,
    close: LevelJson,
    promise: LevelJson,
}

#[derive(Serialize)]
struct LevelJson {
    met: u64,
    missed: u64,
    share: Option<f64>,
}

#[derive(Serialize)]
struct MissJson {
    target: &'static str,
    id: i64,
    customer_id: i64,
    customer: String,
    agent: Option<String>,
    deadline: String,
    done_at: Option<String>,
    /// "late", "open" (still not done) or "broken".
    state: &'static str,
    /// By how much, in hours.
    by_hours: f64,
}

pub(super) fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn team_report(cli: &Cli, config: &Config, a: &TeamArgs) -> anyhow::Result<i32> {
    use crate::domain::team::{sort_rows, team_view};
    let period = month_period(a.from, a.to)?;
    let t = &config.team;
    let targets = t.targets();
    let repo = open_existing_repo(cli, config)?;
    let inputs = repo.team_inputs(&period, &targets)?;
    let mut view = team_view(period, chrono::Utc::now(), &targets, &t.teams, &inputs);
    if let Some(column) = a.sort {
        sort_rows(&mut view.agents, column, false);
        sort_rows(&mut view.teams, column, false);
    }
    let json = team_json(&view);
    match a.format {
        Format::Json => super::emit(&(serde_json::to_string_pretty(&json)? + "\n"))?,
        Format::Text => super::emit(&team_text(&json))?,
    }
    Ok(0)
}

fn figures_json(f: &crate::domain::team::Figures) -> FiguresJson {
    FiguresJson {
        interactions: f.interactions,
        care_on_time: f.care_on_time,
        care_late: f.care_late,
        care_on_time_rate: f.care_on_time_rate(),
        promises_kept: f.promises_kept,
        promises_late: f.promises_late,
        promises_broken: f.promises_broken,
        promises_kept_rate: f.promises_kept_rate(),
        acknowledged: f.acknowledged,
        ack_hours_median: f.ack_hours_median,
        closed: f.closed,
        close_days_median: f.close_days_median,
        deals_won: f.deals_won,
        won_value: f.won_value.0,
    }
}

fn levels_json(f: &crate::domain::team::Figures) -> LevelsJson {
    let l = |l: crate::domain::team::Level| LevelJson { met: l.met, missed: l.missed, share: l.share() };
    LevelsJson { ack: l(f.ack_level), close: l(f.close_level), promise: l(f.promise_level) }
}

fn team_json(v: &crate::domain::team::TeamView) -> TeamJson {
    use crate::domain::team::{Benchmark, Column, Row, leads};
    let rows = |rows: &[Row], benchmarks: &[Benchmark], teams: bool| -> Vec<TeamRowJson> {
        rows.iter()
            .map(|r| TeamRowJson {
                name: r.name.clone(),
                members: teams.then(|| r.members.clone()),
                figures: figures_json(&r.figures),
                benchmark: Column::ALL
                    .into_iter()
                    .filter(|c| leads(benchmarks, &r.name, *c))
                    .map(Column::code)
                    .collect(),
            })
            .collect()
    };
    let benchmarks = |bs: &[Benchmark]| -> Vec<BenchmarkJson> {
        bs.iter()
            .map(|b| BenchmarkJson { column: b.column.code(), value: b.value, leaders: b.leaders.clone() })
            .collect()
    };
    let named = |rows: &[Row]| -> Vec<NamedLevelsJson> {
        rows.iter().map(|r| NamedLevelsJson { name: r.name.clone(), levels: levels_json(&r.figures) }).collect()
    };
    TeamJson {
        from: v.period.from().to_string(),
        to: v.period.to().to_string(),
        now: rfc3339(v.now),
        targets: TargetsJson {
            ack_hours: v.targets.ack_hours,
            close_days: v.targets.close_days,
            callback_on_date: v.targets.callback_on_date,
        },
        agents: rows(&v.agents, &v.agent_benchmarks, false),
        teams: rows(&v.teams, &v.team_benchmarks, true),
        overall: figures_json(&v.overall),
        benchmarks: BenchmarksJson { agents: benchmarks(&v.agent_benchmarks), teams: benchmarks(&v.team_benchmarks) },
        service_levels: ServiceLevelsJson {
            overall: levels_json(&v.overall),
            agents: named(&v.agents),
            teams: named(&v.teams),
        },
        misses: v
            .misses
            .iter()
            .map(|m| MissJson {
                target: m.target.code(),
                id: m.id,
                customer_id: m.customer_id,
                customer: m.customer.clone(),
                agent: m.agent.clone(),
                deadline: rfc3339(m.deadline),
                done_at: m.done_at.map(rfc3339),
                state: m.state.code(),
                by_hours: m.by_hours(),
            })
            .collect(),
    }
}

/// A figure, with `*` when it is the column's benchmark.
fn marked(s: String, lead: bool) -> String {
    if lead { s + "*" } else { s + " " }
}

fn hours(h: Option<f64>) -> String {
    h.map_or_else(|| "–".to_string(), |h| format!("{h:.1}"))
}

fn level(l: &LevelJson) -> String {
    match l.share {
        Some(s) => format!("{:.1}% ({}/{})", s * 100.0, l.met, l.met + l.missed),
        None => "–".to_string(),
    }
}

fn team_text(j: &TeamJson) -> String {
    use crate::domain::money::Money;
    let lead = |r: &TeamRowJson, c: &str| r.benchmark.contains(&c);
    let name_w = j
        .agents
        .iter()
        .chain(&j.teams)
        .map(|r| crate::domain::text::width(&sanitize(&r.name)))
        .chain([10])
        .max()
        .unwrap_or(10)
        .min(24);
    let promise_target = if j.targets.callback_on_date { "on their date" } else { "by their due time" };
    let mut out = format!(
        "team · period {} – {} · targets: acknowledge within {} h, close within {} days, promises kept {}\n\
         (* marks the benchmark: the best of the column)\n",
        j.from, j.to, j.targets.ack_hours, j.targets.close_days, promise_target
    );
    // Column widths; every figure is followed by its benchmark mark (or a blank).
    const W: [usize; 8] = [7, 8, 5, 8, 7, 8, 5, 15];
    let header = |first: &str| {
        let titles = ["inter", "care ok", "late", "kept", "ack h", "close d", "won", "won value"];
        let cols: String = titles.iter().zip(W).map(|(t, w)| right(&format!("{t} "), w)).collect();
        format!("{}{cols}\n", cell(first, name_w))
    };
    let row = |name: &str, f: &FiguresJson, r: Option<&TeamRowJson>| {
        let l = |c: &str| r.is_some_and(|r| lead(r, c));
        let values = [
            marked(f.interactions.to_string(), l("interactions")),
            marked(f.care_on_time.to_string(), l("care_on_time")),
            marked(f.care_late.to_string(), false),
            marked(pct(f.promises_kept_rate), l("promises_kept_rate")),
            marked(hours(f.ack_hours_median), l("ack_hours_median")),
            marked(days(f.close_days_median), l("close_days_median")),
            marked(f.deals_won.to_string(), l("deals_won")),
            marked(Money(f.won_value).to_string(), l("won_value")),
        ];
        let cols: String = values.iter().zip(W).map(|(v, w)| right(v, w)).collect();
        format!("{}{cols}\n", cell(name, name_w))
    };

    out += "\nagents\n";
    out += &header("agent");
    for r in &j.agents {
        out += &row(&r.name, &r.figures, Some(r));
    }
    if j.agents.is_empty() {
        out += "(no agent did anything in the period)\n";
    }
    out += &row("all", &j.overall, None);

    out += "\nteams\n";
    if j.teams.is_empty() {
        out += "(no teams: group agents under [team.teams] in the config)\n";
    } else {
        out += &header("team");
        for r in &j.teams {
            out += &row(&r.name, &r.figures, Some(r));
        }
    }

    out += &format!(
        "\nservice levels (share met)\n{}{:>20}{:>20}{:>20}\n",
        cell("", name_w),
        "acknowledge",
        "close",
        "promise"
    );
    let sl_row = |name: &str, l: &LevelsJson| {
        format!(
            "{}{}{}{}\n",
            cell(name, name_w),
            right(&level(&l.ack), 20),
            right(&level(&l.close), 20),
            right(&level(&l.promise), 20)
        )
    };
    for r in &j.service_levels.agents {
        out += &sl_row(&r.name, &r.levels);
    }
    for r in &j.service_levels.teams {
        out += &sl_row(&format!("team {}", r.name), &r.levels);
    }
    out += &sl_row("all", &j.service_levels.overall);

    out += "\nmissed\n";
    if j.misses.is_empty() {
        out += "(nothing missed its target in the period)\n";
    } else {
        out += &format!(
            "{:<9}{:>8}  {}{}{:<18}{:>10}\n",
            "target",
            "id",
            cell("customer", 24),
            cell("agent", 12),
            "deadline (UTC)",
            "by"
        );
        for m in &j.misses {
            let deadline = chrono::DateTime::parse_from_rfc3339(&m.deadline)
                .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
                .unwrap_or_else(|_| m.deadline.clone());
            let by = match m.state {
                "broken" => "broken".to_string(),
                "open" => format!("{:.1} h, open", m.by_hours),
                _ => format!("{:.1} h", m.by_hours),
            };
            out += &format!(
                "{:<9}{:>8}  {}{}{:<18}{}\n",
                m.target,
                format!("#{}", m.id),
                cell(&m.customer, 24),
                cell(m.agent.as_deref().unwrap_or("(unassigned)"), 12),
                deadline,
                right(&by, 16)
            );
        }
    }
    out
}

// --- rapport report competitors

#[derive(Serialize)]
struct CompetitorsJson {
    from: String,
    to: String,
    competitors: Vec<CompetitorJson>,
    /// Every deal a competitor row lists, once.
    deals: Vec<CompetitorDealJson>,
}

#[derive(Serialize)]
struct CompetitorJson {
    name: String,
    deals: u64,
    open: u64,
    won: u64,
    lost: u64,
    win_rate: Option<f64>,
    /// Minor units: the amounts of all its deals, open and closed.
    value: i64,
    lost_reasons: Vec<LostReasonJson>,
    deal_ids: Vec<i64>,
}

#[derive(Serialize)]
struct CompetitorDealJson {
    id: i64,
    customer_id: i64,
    customer: String,
    title: String,
    owner: Option<String>,
    amount: i64,
    status: &'static str,
    competitors: String,
    close_reason: Option<String>,
    closed_at: Option<String>,
}

fn competitors_report(cli: &Cli, config: &Config, a: &CompetitorsArgs) -> anyhow::Result<i32> {
    use crate::domain::team::competitors;
    let period = month_period(a.from, a.to)?;
    let repo = open_existing_repo(cli, config)?;
    let deals = repo.competitor_deals(&period)?;
    let rows = competitors(&period, &config.pipeline.lost_reasons, &deals);
    let listed: std::collections::BTreeSet<i64> = rows.iter().flat_map(|c| c.deal_ids.iter().copied()).collect();
    let json = CompetitorsJson {
        from: period.from().to_string(),
        to: period.to().to_string(),
        competitors: rows
            .iter()
            .map(|c| CompetitorJson {
                name: c.name.clone(),
                deals: c.deals,
                open: c.open(),
                won: c.won,
                lost: c.lost,
                win_rate: c.win_rate(),
                value: c.value.0,
                lost_reasons: c
                    .lost_reasons
                    .iter()
                    .map(|r| LostReasonJson { reason: r.reason.clone(), count: r.count, total: r.total.0 })
                    .collect(),
                deal_ids: c.deal_ids.clone(),
            })
            .collect(),
        deals: deals
            .iter()
            .filter(|d| listed.contains(&d.id))
            .map(|d| CompetitorDealJson {
                id: d.id,
                customer_id: d.customer_id,
                customer: d.customer.clone(),
                title: d.title.clone(),
                owner: d.owner.clone(),
                amount: d.amount.0,
                status: d.status.code(),
                competitors: d.competitors.clone(),
                close_reason: d.close_reason.clone(),
                closed_at: d.closed_at.map(rfc3339),
            })
            .collect(),
    };
    match a.format {
        Format::Json => super::emit(&(serde_json::to_string_pretty(&json)? + "\n"))?,
        Format::Text => super::emit(&competitors_text(&json))?,
    }
    Ok(0)
}

fn competitors_text(j: &CompetitorsJson) -> String {
    use crate::domain::money::Money;
    let mut out = format!("competitors · period {} – {}\n\n", j.from, j.to);
    if j.competitors.is_empty() {
        out += "(no deal active in the period names a competitor)\n";
        return out;
    }
    let name_w = j
        .competitors
        .iter()
        .map(|c| crate::domain::text::width(&sanitize(&c.name)))
        .chain([12])
        .max()
        .unwrap_or(12)
        .min(30);
    out += &format!(
        "{}{:>7}{:>6}{:>6}{:>6}{:>10}{:>18}  top lost reasons\n",
        cell("competitor", name_w),
        "deals",
        "open",
        "won",
        "lost",
        "win rate",
        "value at stake"
    );
    for c in &j.competitors {
        let reasons: Vec<String> = c
            .lost_reasons
            .iter()
            .take(3)
            .map(|r| format!("{} ({})", sanitize(r.reason.as_deref().unwrap_or("(no reason)")), r.count))
            .collect();
        out += &format!(
            "{}{:>7}{:>6}{:>6}{:>6}{}{:>18}  {}\n",
            cell(&c.name, name_w),
            c.deals,
            c.open,
            c.won,
            c.lost,
            right(&pct(c.win_rate), 10),
            Money(c.value).to_string(),
            if reasons.is_empty() { "–".to_string() } else { reasons.join(", ") }
        );
    }
    out
}
