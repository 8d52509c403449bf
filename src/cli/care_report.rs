//! `rapport report care`: the promise-kept rate overall and per agent,
//! complaint acknowledge and close times, open complaints by age.

use chrono::{NaiveDate, Utc};
use clap::Args;
use serde::Serialize;

use super::report::{Format, month_period, parse_date};
use super::{Cli, emit, open_existing_repo};
use crate::config::Config;
use crate::domain::care_figures::{AGE_BUCKETS, CareFigures};
use crate::domain::team::{Figures, Level};
use crate::domain::text::{pad, sanitize};

#[derive(Debug, Args)]
pub struct CareReportArgs {
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// First day of the period (YYYY-MM-DD, UTC); default the 1st of --to's month.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub from: Option<NaiveDate>,
    /// Last day of the period, included (YYYY-MM-DD, UTC); default today.
    #[arg(long, value_name = "DATE", value_parser = parse_date)]
    pub to: Option<NaiveDate>,
}

#[derive(Serialize)]
struct CareJson {
    from: NaiveDate,
    to: NaiveDate,
    promises: PromisesJson,
    complaints: ComplaintsJson,
    agents: Vec<AgentJson>,
}

/// Promises settled in the period, and those judged against the target
/// (kept by the due day, see `[team] callback_on_date`).
#[derive(Serialize)]
struct PromisesJson {
    settled: u64,
    kept: u64,
    late: u64,
    broken: u64,
    kept_rate: Option<f64>,
    on_target: LevelJson,
}

#[derive(Serialize)]
struct ComplaintsJson {
    /// Open now (not only in the period), by age.
    #[serde(skip_serializing_if = "Option::is_none")]
    open: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    open_by_age: Option<Vec<AgeJson>>,
    acknowledged: u64,
    ack_hours_median: Option<f64>,
    closed: u64,
    close_days_median: Option<f64>,
    ack_on_target: LevelJson,
    close_on_target: LevelJson,
}

/// Open complaints of one age bucket ("<1d", "1-3d", "3-7d", "7d+").
#[derive(Serialize)]
struct AgeJson {
    age: &'static str,
    count: u64,
}

#[derive(Serialize)]
struct AgentJson {
    agent: String,
    promises: PromisesJson,
    complaints: ComplaintsJson,
}

#[derive(Serialize)]
struct LevelJson {
    met: u64,
    missed: u64,
    share: Option<f64>,
}

fn level(l: Level) -> LevelJson {
    LevelJson { met: l.met, missed: l.missed, share: l.share() }
}

fn promises(f: &Figures) -> PromisesJson {
    PromisesJson {
        settled: f.promises_settled(),
        kept: f.promises_kept,
        late: f.promises_late,
        broken: f.promises_broken,
        kept_rate: f.promises_kept_rate(),
        on_target: level(f.promise_level),
    }
}

fn complaints(f: &Figures) -> ComplaintsJson {
    ComplaintsJson {
        open: None,
        open_by_age: None,
        acknowledged: f.acknowledged,
        ack_hours_median: f.ack_hours_median,
        closed: f.closed,
        close_days_median: f.close_days_median,
        ack_on_target: level(f.ack_level),
        close_on_target: level(f.close_level),
    }
}

fn to_json(c: &CareFigures) -> CareJson {
    let mut overall = complaints(&c.overall);
    overall.open = Some(c.open_cases);
    overall.open_by_age =
        Some(AGE_BUCKETS.iter().zip(c.open_by_age).map(|(age, count)| AgeJson { age, count }).collect());
    CareJson {
        from: c.period.from(),
        to: c.period.to(),
        promises: promises(&c.overall),
        complaints: overall,
        agents: c
            .agents
            .iter()
            .map(|r| AgentJson {
                agent: r.name.clone(),
                promises: promises(&r.figures),
                complaints: complaints(&r.figures),
            })
            .collect(),
    }
}

fn pct(v: Option<f64>) -> String {
    v.map(|v| format!("{:.0}%", v * 100.0)).unwrap_or_else(|| "–".into())
}

fn num(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.1}")).unwrap_or_else(|| "–".into())
}

fn to_text(c: &CareFigures) -> String {
    let o = &c.overall;
    let mut out = format!("Care, {} to {}\n\n", c.period.from(), c.period.to());
    out += &format!(
        "Promises: {} settled, {} kept, {} late, {} broken; kept rate {}; on target {}\n",
        o.promises_settled(),
        o.promises_kept,
        o.promises_late,
        o.promises_broken,
        pct(o.promises_kept_rate()),
        pct(o.promise_level.share())
    );
    out += &format!(
        "Complaints: {} acknowledged (median {} h), {} closed (median {} d); open now {} ({})\n",
        o.acknowledged,
        num(o.ack_hours_median),
        o.closed,
        num(o.close_days_median),
        c.open_cases,
        AGE_BUCKETS.iter().zip(c.open_by_age).map(|(k, n)| format!("{k} {n}")).collect::<Vec<_>>().join(", ")
    );
    if c.agents.is_empty() {
        out += "\nNo agent settled a promise or handled a complaint in the period.\n";
        return out;
    }
    out += &format!(
        "\n{}{:>8}{:>6}{:>6}{:>8}{:>8}{:>8}{:>8}\n",
        pad("Agent", 24),
        "Settled",
        "Kept",
        "Late",
        "Broken",
        "Kept %",
        "Ack h",
        "Close d"
    );
    for r in &c.agents {
        let f = &r.figures;
        out += &format!(
            "{}{:>8}{:>6}{:>6}{:>8}{:>8}{:>8}{:>8}\n",
            pad(&sanitize(&r.name), 24),
            f.promises_settled(),
            f.promises_kept,
            f.promises_late,
            f.promises_broken,
            pct(f.promises_kept_rate()),
            num(f.ack_hours_median),
            num(f.close_days_median)
        );
    }
    out
}

pub fn run(cli: &Cli, config: &Config, a: &CareReportArgs) -> anyhow::Result<i32> {
    let period = month_period(a.from, a.to)?;
    let repo = open_existing_repo(cli, config)?;
    let figures = crate::services::care::figures(&repo, config, period, Utc::now())?;
    match a.format {
        Format::Json => emit(&(serde_json::to_string_pretty(&to_json(&figures))? + "\n"))?,
        Format::Text => emit(&to_text(&figures))?,
    }
    Ok(0)
}
