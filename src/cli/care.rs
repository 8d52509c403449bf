//! `rapport today` (the triage list as text, for cron or mail) and
//! `rapport care run-rules` (raise the rules' reminders).

use chrono::{Local, Utc};
use clap::{Args, Subcommand};
use serde::Serialize;

use super::report::Format;
use super::{Cli, emit, open_existing_repo};
use crate::config::Config;
use crate::domain::text::{pad, sanitize};
use crate::panes::log_form::end_of_local_day;
use crate::repo::reminders::{DueFilter, DueKind, DueSource};

#[derive(Debug, Args)]
pub struct TodayArgs {
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Only this owner's items (default: everyone's).
    #[arg(long, value_name = "NAME")]
    pub owner: Option<String>,
}

#[derive(Debug, Args)]
pub struct CareArgs {
    #[command(subcommand)]
    pub what: CareCommand,
}

#[derive(Debug, Subcommand)]
pub enum CareCommand {
    /// Run the care rules now: each raises its reminder once per occasion.
    RunRules,
}

#[derive(Serialize)]
struct DueJson {
    source: &'static str,
    id: i64,
    customer_id: i64,
    customer: String,
    tier: &'static str,
    kind: String,
    what: String,
    /// UTC, RFC 3339.
    due_at: String,
    owner: Option<String>,
    overdue: bool,
}

pub fn today(cli: &Cli, config: &Config, args: &TodayArgs) -> anyhow::Result<i32> {
    let repo = open_existing_repo(cli, config)?;
    let now = Utc::now();
    let until = end_of_local_day(Local::now().date_naive());
    let filter = DueFilter { owner: args.owner.clone(), kind: DueKind::All };
    // One read: each source in order, merged (pages would read the
    // sources again from the start each time).
    let items = repo.due_items_for(until, &filter, 0, usize::MAX)?;
    let rows: Vec<DueJson> = items
        .iter()
        .map(|i| DueJson {
            source: match i.source {
                DueSource::Reminder => "reminder",
                DueSource::Promise => "promise",
                DueSource::Case => "complaint",
            },
            id: i.id,
            customer_id: i.customer_id,
            customer: i.customer_name.clone(),
            tier: i.tier.code(),
            kind: i.kind.clone(),
            what: i.what.clone(),
            due_at: i.due_at.to_rfc3339(),
            owner: i.owner.clone(),
            overdue: i.due_at < now,
        })
        .collect();
    match args.format {
        Format::Json => emit(&(serde_json::to_string_pretty(&rows)? + "\n"))?,
        Format::Text => {
            let mut out = format!("{} item(s) overdue or due today\n", rows.len());
            for (r, i) in rows.iter().zip(&items) {
                let due = i.due_at.with_timezone(&Local).format("%Y-%m-%d %H:%M");
                let late = if r.overdue { "LATE" } else { "    " };
                out += &format!(
                    "{late} {due}  {}{}{}{}\n",
                    pad(r.tier, 9),
                    pad(&format!("{} {}", r.source, r.kind.replace('_', " ")), 22),
                    pad(&sanitize(&r.customer), 28),
                    sanitize(&r.what)
                );
            }
            emit(&out)?;
        }
    }
    Ok(0)
}

pub fn run(cli: &Cli, config: &Config, args: &CareArgs) -> anyhow::Result<i32> {
    match args.what {
        CareCommand::RunRules => {
            let mut repo = open_existing_repo(cli, config)?;
            let rules = crate::domain::care_rules::Rule::ALL;
            let mut counts = vec![0usize; rules.len()];
            crate::services::care::run_rules_each(&mut repo, config, Utc::now(), |p| {
                if let Some(i) = rules.iter().position(|r| *r == p.rule) {
                    counts[i] += 1;
                }
            })?;
            let mut out = String::new();
            for (r, n) in rules.iter().zip(&counts) {
                out += &format!("{:<12}{n}\n", r.code());
            }
            out += &format!("{} reminder(s) raised\n", counts.iter().sum::<usize>());
            emit(&out)?;
            Ok(0)
        }
    }
}
