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
use crate::repo::RepoError;
use crate::repo::reminders::{DueFilter, DueItem, DueKind, DueSource};

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
    // Written as read, in the list's order: a million customers' base
    // has hundreds of thousands due, which need not all be held.
    use std::io::Write;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let row = |i: &DueItem| DueJson {
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
    };
    // A write that fails stops the read; its error is kept here (a reader
    // that went away, as `| head` does, is not a failure).
    let mut failed: Option<std::io::Error> = None;
    let stopped = || RepoError::Invalid("output closed".into());
    let read = match args.format {
        Format::Json => {
            use serde::ser::{SerializeSeq, Serializer};
            let mut ser = serde_json::Serializer::pretty(&mut out);
            let mut seq = ser.serialize_seq(None)?;
            let read = repo.each_due_item(until, &filter, |i| {
                seq.serialize_element(&row(&i)).map_err(|e| {
                    failed = Some(e.into());
                    stopped()
                })
            });
            if failed.is_none() {
                seq.end()?;
            }
            read
        }
        Format::Text => {
            let (r, p, c) = repo.due_counts_for(until, &filter)?;
            if let Err(e) = writeln!(out, "{} item(s) overdue or due today", r + p + c) {
                failed = Some(e);
            }
            repo.each_due_item(until, &filter, |i| {
                if failed.is_some() {
                    return Err(stopped());
                }
                let r = row(&i);
                let due = i.due_at.with_timezone(&Local).format("%Y-%m-%d %H:%M");
                let late = if r.overdue { "LATE" } else { "    " };
                writeln!(
                    out,
                    "{late} {due}  {}{}{}{}",
                    pad(r.tier, 9),
                    pad(&format!("{} {}", r.source, r.kind.replace('_', " ")), 22),
                    pad(&sanitize(&r.customer), 28),
                    sanitize(&r.what)
                )
                .map_err(|e| {
                    failed = Some(e);
                    stopped()
                })
            })
        }
    };
    let written = match failed {
        Some(e) => Err(e),
        None => {
            read?;
            if args.format == Format::Json { writeln!(out) } else { Ok(()) }.and_then(|_| out.flush())
        }
    };
    match written {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(0),
    }
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
