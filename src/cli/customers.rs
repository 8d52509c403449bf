//! `rapport points` (a customer's VIP points: earn, redeem, adjust, ledger),
//! `rapport duplicates` (customers sharing a phone or email) and
//! `rapport merge` (join two customers' histories).

use chrono::Local;
use clap::Args;
use serde::Serialize;

use super::report::Format;
use super::{Cli, emit, open_existing_repo};
use crate::config::Config;
use crate::domain::text::{pad, sanitize};
use crate::repo::duplicates::SharedKind;

#[derive(Debug, Args)]
pub struct PointsArgs {
    /// The customer's id.
    #[arg(value_name = "CUSTOMER_ID")]
    pub customer: i64,
    /// First credit every VIP customer's sales that have not earned points yet.
    #[arg(long)]
    pub earn: bool,
    /// Redeem this many points (needs --reason).
    #[arg(long, value_name = "N", requires = "reason", conflicts_with = "adjust",
          value_parser = clap::value_parser!(i64).range(1..))]
    pub redeem: Option<i64>,
    /// Add (or, negative, remove) this many points by hand (needs --reason).
    #[arg(long, value_name = "N", requires = "reason", allow_negative_numbers = true)]
    pub adjust: Option<i64>,
    /// Why the points are redeemed or adjusted.
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
    /// How many ledger entries to show, newest first.
    #[arg(long, value_name = "N", default_value_t = 50)]
    pub limit: usize,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct DuplicatesArgs {
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The customer that stays.
    #[arg(value_name = "KEEP_ID")]
    pub keep: i64,
    /// The customer merged into it, then archived.
    #[arg(value_name = "GONE_ID")]
    pub gone: i64,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Serialize)]
struct EntryJson {
    id: i64,
    delta: i64,
    kind: &'static str,
    reason: String,
    transaction_id: Option<i64>,
    agent: String,
    /// UTC, RFC 3339.
    created_at: String,
}

#[derive(Serialize)]
struct PointsJson {
    customer_id: i64,
    customer: String,
    vip_level: Option<String>,
    balance: i64,
    /// Ledger entries made by --earn (all customers), when asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    earned_entries: Option<usize>,
    ledger: Vec<EntryJson>,
}

pub fn points(cli: &Cli, config: &Config, args: &PointsArgs) -> anyhow::Result<i32> {
    let mut repo = open_existing_repo(cli, config)?;
    let customer = repo.customer(args.customer)?;
    let changing = args.earn || args.redeem.is_some() || args.adjust.is_some();
    if changing && !config.points.enabled {
        anyhow::bail!("VIP points are switched off in the config ([points] enabled = false); nothing was changed");
    }
    if args.reason.is_some() && args.redeem.is_none() && args.adjust.is_none() {
        anyhow::bail!("--reason goes with --redeem or --adjust");
    }
    let mut earned = None;
    if args.earn {
        earned = Some(repo.earn_points_for_sales(config.points.per_unit)?);
    }
    let reason = args.reason.as_deref().unwrap_or("");
    if let Some(n) = args.redeem {
        repo.redeem_points(customer.id, n, reason)?;
    }
    if let Some(n) = args.adjust {
        repo.adjust_points(customer.id, n, reason)?;
    }
    let balance = repo.points_balance(customer.id)?;
    let ledger = repo.points_ledger(customer.id, args.limit)?;
    match args.format {
        Format::Json => {
            let j = PointsJson {
                customer_id: customer.id,
                customer: customer.name.clone(),
                vip_level: customer.vip_level.clone(),
                balance,
                earned_entries: earned,
                ledger: ledger
                    .iter()
                    .map(|e| EntryJson {
                        id: e.id,
                        delta: e.delta,
                        kind: e.kind.code(),
                        reason: e.reason.clone(),
                        transaction_id: e.transaction_id,
                        agent: e.agent.clone(),
                        created_at: e.created_at.to_rfc3339(),
                    })
                    .collect(),
            };
            emit(&(serde_json::to_string_pretty(&j)? + "\n"))?;
        }
        Format::Text => {
            let mut out = String::new();
            if let Some(n) = earned {
                out += &format!("{n} sale(s) earned points\n");
            }
            let vip = customer.vip_level.as_deref().map(|v| format!(" ({})", sanitize(v))).unwrap_or_default();
            out += &format!("#{} {}{vip}: {balance} point(s)\n", customer.id, sanitize(&customer.name));
            for e in &ledger {
                let at = e.created_at.with_timezone(&Local).format("%Y-%m-%d %H:%M");
                out += &format!(
                    "{at}  {}{}{}{}\n",
                    pad(&format!("{:+}", e.delta), 10),
                    pad(e.kind.code(), 8),
                    pad(&sanitize(&e.agent), 12),
                    sanitize(&e.reason)
                );
            }
            emit(&out)?;
        }
    }
    Ok(0)
}

pub fn duplicates(cli: &Cli, config: &Config, args: &DuplicatesArgs) -> anyhow::Result<i32> {
    let repo = open_existing_repo(cli, config)?;
    let groups = repo.duplicate_groups()?;
    match args.format {
        Format::Json => emit(&(serde_json::to_string_pretty(&groups)? + "\n"))?,
        Format::Text => {
            let mut out = format!("{} group(s) of possible duplicates\n", groups.len());
            for g in &groups {
                out += "\n";
                for s in &g.shared {
                    let kind = match s.kind {
                        SharedKind::Phone => "phone",
                        SharedKind::Email => "email",
                    };
                    let ids: Vec<String> = s.customer_ids.iter().map(|id| format!("#{id}")).collect();
                    out += &format!("  shared {kind} {}: {}\n", sanitize(&s.value), ids.join(", "));
                }
                for m in &g.customers {
                    out += &format!(
                        "  {}{}{}{}\n",
                        pad(&format!("#{}", m.id), 8),
                        pad(&sanitize(&m.name), 30),
                        pad(&sanitize(m.phone.as_deref().unwrap_or("")), 22),
                        sanitize(m.email.as_deref().unwrap_or(""))
                    );
                }
            }
            emit(&out)?;
        }
    }
    Ok(0)
}

#[derive(Serialize)]
struct MergeJson {
    keep: i64,
    gone: i64,
    moved: serde_json::Map<String, serde_json::Value>,
    total_moved: usize,
    tier_history_dropped: usize,
    filled: Vec<String>,
}

pub fn merge(cli: &Cli, config: &Config, args: &MergeArgs) -> anyhow::Result<i32> {
    let mut repo = open_existing_repo(cli, config)?;
    let r = repo.merge_customers(args.keep, args.gone)?;
    match args.format {
        Format::Json => {
            let j = MergeJson {
                keep: r.keep,
                gone: r.gone,
                moved: r.moved.iter().map(|(t, n)| (t.clone(), (*n).into())).collect(),
                total_moved: r.total_moved(),
                tier_history_dropped: r.tier_history_dropped,
                filled: r.filled.clone(),
            };
            emit(&(serde_json::to_string_pretty(&j)? + "\n"))?;
        }
        Format::Text => {
            let mut out = format!(
                "merged #{} into #{}: {} row(s) moved; #{} archived\n",
                r.gone,
                r.keep,
                r.total_moved(),
                r.gone
            );
            for (table, n) in &r.moved {
                out += &format!("  {}{n}\n", pad(table, 24));
            }
            if r.tier_history_dropped > 0 {
                out += &format!(
                    "  {} entr(ies) of #{}'s tier history dropped (#{}'s stands)\n",
                    r.tier_history_dropped, r.gone, r.keep
                );
            }
            if !r.filled.is_empty() {
                out += &format!("  filled from #{}: {}\n", r.gone, r.filled.join(", "));
            }
            emit(&out)?;
        }
    }
    Ok(0)
}
