//! `rapport export KIND --format csv|json|vcard|ics [-o FILE]`: whole tables
//! for scripts, spreadsheets, address books and calendars. Rows are
//! streamed in id order; text is written as stored.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use clap::{Args, ValueEnum};
use serde::Serialize;

use super::{Cli, open_existing_repo};
use crate::config::Config;
use crate::domain::ical::{self, Component};
use crate::domain::money::Money;
use crate::domain::recurrence::Recurrence;
use crate::domain::vcard::{self, StructuredName, Typed, VCard};
use crate::repo::export::{CalendarSource, Owner};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum What {
    Customers,
    Contacts,
    Interactions,
    Transactions,
    Deals,
    Reminders,
    /// The audit log: who changed what, when, with old and new values.
    Audit,
}

impl What {
    fn name(self) -> &'static str {
        match self {
            What::Customers => "customers",
            What::Contacts => "contacts",
            What::Interactions => "interactions",
            What::Transactions => "transactions",
            What::Deals => "deals",
            What::Reminders => "reminders",
            What::Audit => "audit",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Comma-separated, with a header line; quoted where needed.
    Csv,
    /// One JSON array of objects.
    Json,
    /// vCard 3.0 (contacts only).
    Vcard,
    /// iCalendar (reminders only): open reminders and promises.
    Ics,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CalendarComponent {
    /// VEVENT: shown by every calendar program.
    Event,
    /// VTODO: for task lists.
    Todo,
}

const EXPORT_HELP: &str = "\
Columns (CSV header and JSON keys):
  customers     id, external_id, kind, name, company, email, phone, city, country, owner, status,
                tier_pin, credit_limit, on_hold, vip_level, note, tier, contribution, created_at, updated_at
  contacts      id, external_id, customer_external_id, customer, name, role, email, phone, birthday, status
  transactions  id, external_id, customer_external_id, customer, kind, amount, date, reference, note
  interactions  id, customer_external_id, customer, channel, direction, summary, outcome, agent,
                occurred_at, duration_secs, note
  deals         id, customer_external_id, customer, title, amount, stage, probability_pct, expected_close,
                competitors, owner, next_step, status, close_reason, closed_at, created_at
  reminders     id, customer_external_id, customer, kind, due_at, note, owner, status, recurrence,
                done_at, origin_rule

Amounts are decimals with a dot (\"1234.50\"; transactions signed by kind: refunds, costs, discounts and
write-offs negative). Times are RFC 3339 in UTC, dates YYYY-MM-DD. Customers, contacts and transactions
export in the layout `rapport import` reads, so an export re-imports to the same data.

--format vcard (contacts): one vCard 3.0 per active contact, ORG = its customer, X-RAPPORT-CUSTOMER = the
customer's external id, X-RAPPORT-CUSTOMER-KIND = its kind. --format ics (reminders): open reminders and open promises as an iCalendar file
(UTC times, CRLF, folded lines), one VEVENT each (or VTODO with --component todo).

Examples:
  rapport export customers -o customers.csv
  rapport export transactions --format json | jq '.[].amount'
  rapport export contacts --format vcard -o contacts.vcf
  rapport export reminders --format ics -o rapport.ics";

#[derive(Debug, Args)]
#[command(after_long_help = EXPORT_HELP)]
pub struct ExportArgs {
    /// What to export.
    #[arg(value_enum)]
    pub what: What,
    /// Output format: csv or json for all; vcard for contacts; ics for reminders.
    #[arg(long, value_enum, default_value_t = Format::Csv)]
    pub format: Format,
    /// Write to FILE instead of stdout (replaced whole, never half-written).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// For --format ics: each item as an event (default) or a to-do.
    #[arg(long, value_enum, default_value_t = CalendarComponent::Event)]
    pub component: CalendarComponent,
}

pub fn run(cli: &Cli, config: &Config, args: &ExportArgs) -> anyhow::Result<i32> {
    match (args.format, args.what) {
        (Format::Vcard, w) if w != What::Contacts => {
            anyhow::bail!("--format vcard is for contacts: rapport export contacts --format vcard")
        }
        (Format::Ics, w) if w != What::Reminders => {
            anyhow::bail!("--format ics is for reminders: rapport export reminders --format ics")
        }
        _ => {}
    }
    let repo = open_existing_repo(cli, config)?;
    let mut count = 0usize;
    with_output(args.output.as_deref(), |out| {
        count = match args.format {
            Format::Csv | Format::Json => tabular(&repo, args.what, args.format, out)?,
            Format::Vcard => vcards(&repo, out)?,
            Format::Ics => calendar(&repo, args.component, out)?,
        };
        Ok(())
    })?;
    if let Some(path) = &args.output {
        eprintln!("exported {count} {} to {}", args.what.name(), path.display());
    }
    Ok(0)
}

/// Runs `f` on stdout (a reader that went away is not an error) or on a
/// temporary file beside `path` that replaces `path` only when complete.
fn with_output(path: Option<&Path>, f: impl FnOnce(&mut dyn Write) -> anyhow::Result<()>) -> anyhow::Result<()> {
    match path {
        None => {
            let mut w = BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
            let r = f(&mut w).and_then(|_| Ok(w.flush()?));
            match r {
                Err(e) if is_broken_pipe(&e) => Ok(()),
                r => r,
            }
        }
        Some(path) => {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "export".into());
            let tmp = path.with_file_name(format!(".{name}.part-{}", std::process::id()));
            let written = (|| -> anyhow::Result<()> {
                let file =
                    std::fs::File::create(&tmp).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
                let mut w = BufWriter::with_capacity(1 << 16, file);
                f(&mut w)?;
                let file = w.into_inner().map_err(|e| e.into_error())?;
                file.sync_all()?;
                std::fs::rename(&tmp, path).map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
                Ok(())
            })();
            if written.is_err() {
                let _ = std::fs::remove_file(&tmp);
            }
            written
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        if let Some(io) = c.downcast_ref::<std::io::Error>() {
            return io.kind() == std::io::ErrorKind::BrokenPipe;
        }
        if let Some(csv) = c.downcast_ref::<csv::Error>()
            && let csv::ErrorKind::Io(io) = csv.kind()
        {
            return io.kind() == std::io::ErrorKind::BrokenPipe;
        }
        if let Some(json) = c.downcast_ref::<serde_json::Error>() {
            return json.io_error_kind() == Some(std::io::ErrorKind::BrokenPipe);
        }
        false
    })
}

/// An amount as a plain decimal: `-1234.50` (no grouping, two decimals).
pub fn plain(m: Money) -> String {
    let sign = if m.0 < 0 { "-" } else { "" };
    let a = m.0.unsigned_abs();
    format!("{sign}{}.{:02}", a / 100, a % 100)
}

/// A UTC time as RFC 3339: `2025-01-02T03:04:05Z`.
pub fn when(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[derive(Serialize, Default)]
struct CustomerRow {
    id: i64,
    external_id: Option<String>,
    kind: &'static str,
    name: String,
    company: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    city: Option<String>,
    country: Option<String>,
    owner: Option<String>,
    status: &'static str,
    tier_pin: Option<&'static str>,
    credit_limit: Option<String>,
    on_hold: bool,
    vip_level: Option<String>,
    note: Option<String>,
    tier: &'static str,
    contribution: String,
    created_at: String,
    updated_at: String,
}

#[derive(Serialize, Default)]
struct ContactRow {
    id: i64,
    external_id: Option<String>,
    customer_external_id: Option<String>,
    customer: String,
    name: String,
    role: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    birthday: Option<String>,
    status: &'static str,
}

#[derive(Serialize, Default)]
struct TransactionRow {
    id: i64,
    external_id: Option<String>,
    customer_external_id: Option<String>,
    customer: String,
    kind: &'static str,
    amount: String,
    date: String,
    reference: Option<String>,
    note: Option<String>,
}

#[derive(Serialize, Default)]
struct InteractionRow {
    id: i64,
    customer_external_id: Option<String>,
    customer: String,
    channel: &'static str,
    direction: &'static str,
    summary: String,
    outcome: &'static str,
    agent: String,
    occurred_at: String,
    duration_secs: Option<i64>,
    note: Option<String>,
}

#[derive(Serialize, Default)]
struct DealRow {
    id: i64,
    customer_external_id: Option<String>,
    customer: String,
    title: String,
    amount: String,
    stage: String,
    probability_pct: Option<u8>,
    expected_close: Option<String>,
    competitors: Option<String>,
    owner: Option<String>,
    next_step: Option<String>,
    status: &'static str,
    close_reason: Option<String>,
    closed_at: Option<String>,
    created_at: String,
}

#[derive(Serialize, Default)]
struct AuditRow {
    id: i64,
    at: String,
    agent: String,
    action: String,
    entity: String,
    entity_id: i64,
    /// JSON: field → value, or field → [old, new].
    changes: String,
}

#[derive(Serialize, Default)]
struct ReminderRow {
    id: i64,
    customer_external_id: Option<String>,
    customer: String,
    kind: String,
    due_at: String,
    note: String,
    owner: Option<String>,
    status: String,
    recurrence: Option<String>,
    done_at: Option<String>,
    origin_rule: Option<String>,
}

fn date(d: chrono::NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// Writes rows as CSV (header always, even with no rows) or as a JSON array.
struct Table<'w> {
    csv: Option<csv::Writer<&'w mut dyn Write>>,
    json: Option<&'w mut dyn Write>,
    rows: usize,
}

impl<'w> Table<'w> {
    fn new(format: Format, out: &'w mut dyn Write) -> Table<'w> {
        match format {
            Format::Json => Table { csv: None, json: Some(out), rows: 0 },
            _ => Table { csv: Some(csv::WriterBuilder::new().from_writer(out)), json: None, rows: 0 },
        }
    }

    fn push<T: Serialize>(&mut self, row: &T) -> anyhow::Result<()> {
        if let Some(w) = &mut self.csv {
            w.serialize(row)?;
        } else if let Some(w) = &mut self.json {
            w.write_all(if self.rows == 0 { b"[\n  " } else { b",\n  " })?;
            serde_json::to_writer(&mut **w, row)?;
        }
        self.rows += 1;
        Ok(())
    }

    fn finish<T: Serialize + Default>(self) -> anyhow::Result<usize> {
        let rows = self.rows;
        if let Some(mut w) = self.csv {
            if rows == 0 {
                // The header alone: serialise an empty row aside and keep its first line.
                let mut scratch = csv::Writer::from_writer(Vec::new());
                scratch.serialize(T::default())?;
                let bytes = scratch.into_inner().map_err(|e| anyhow::anyhow!("{}", e.error()))?;
                let end = bytes.iter().position(|b| *b == b'\n').map_or(bytes.len(), |i| i + 1);
                let out = w.into_inner().map_err(|e| anyhow::anyhow!("{}", e.error()))?;
                out.write_all(&bytes[..end])?;
            } else {
                w.flush()?;
            }
        } else if let Some(w) = self.json {
            w.write_all(if rows == 0 { b"[]\n" } else { b"\n]\n" })?;
        }
        Ok(rows)
    }
}

fn tabular(repo: &crate::repo::Repo, what: What, format: Format, out: &mut dyn Write) -> anyhow::Result<usize> {
    let mut t = Table::new(format, out);
    match what {
        What::Customers => {
            repo.each_customer(|c| {
                t.push(&CustomerRow {
                    id: c.id,
                    external_id: c.external_id,
                    kind: c.kind.code(),
                    name: c.name,
                    company: c.company,
                    email: c.email,
                    phone: c.phone,
                    city: c.city,
                    country: c.country,
                    owner: c.owner,
                    status: c.status.code(),
                    tier_pin: c.tier_pin.map(|t| t.code()),
                    credit_limit: c.credit_limit.map(plain),
                    on_hold: c.on_hold,
                    vip_level: c.vip_level,
                    note: c.note,
                    tier: c.tier.code(),
                    contribution: plain(c.contribution),
                    created_at: when(c.created_at),
                    updated_at: when(c.updated_at),
                })
            })?;
            t.finish::<CustomerRow>()
        }
        What::Contacts => {
            repo.each_contact(|c| {
                t.push(&ContactRow {
                    id: c.id,
                    external_id: c.external_id,
                    customer_external_id: c.customer.external_id,
                    customer: c.customer.name,
                    name: c.name,
                    role: c.role,
                    email: c.email,
                    phone: c.phone,
                    birthday: c.birthday.map(date),
                    status: c.status.code(),
                })
            })?;
            t.finish::<ContactRow>()
        }
        What::Transactions => {
            repo.each_transaction(|x| {
                t.push(&TransactionRow {
                    id: x.id,
                    external_id: x.external_id,
                    customer_external_id: x.customer.external_id,
                    customer: x.customer.name,
                    kind: x.kind.code(),
                    amount: plain(x.amount),
                    date: when(x.occurred_at),
                    reference: x.reference,
                    note: x.note,
                })
            })?;
            t.finish::<TransactionRow>()
        }
        What::Interactions => {
            repo.each_interaction(|i| {
                t.push(&InteractionRow {
                    id: i.id,
                    customer_external_id: i.customer.external_id,
                    customer: i.customer.name,
                    channel: i.channel.code(),
                    direction: i.direction.code(),
                    summary: i.summary,
                    outcome: i.outcome.code(),
                    agent: i.agent,
                    occurred_at: when(i.occurred_at),
                    duration_secs: i.duration_secs,
                    note: i.note,
                })
            })?;
            t.finish::<InteractionRow>()
        }
        What::Deals => {
            repo.each_deal(|d| {
                t.push(&DealRow {
                    id: d.id,
                    customer_external_id: d.customer.external_id,
                    customer: d.customer.name,
                    title: d.title,
                    amount: plain(d.amount),
                    stage: d.stage,
                    probability_pct: d.probability_pct,
                    expected_close: d.expected_close.map(date),
                    competitors: d.competitors,
                    owner: d.owner,
                    next_step: d.next_step,
                    status: d.status.code(),
                    close_reason: d.close_reason,
                    closed_at: d.closed_at.map(when),
                    created_at: when(d.created_at),
                })
            })?;
            t.finish::<DealRow>()
        }
        What::Reminders => {
            repo.each_reminder(|r| {
                t.push(&ReminderRow {
                    id: r.id,
                    customer_external_id: r.customer.external_id,
                    customer: r.customer.name,
                    kind: r.kind,
                    due_at: when(r.due_at),
                    note: r.note,
                    owner: r.owner,
                    status: r.status,
                    recurrence: r.recurrence,
                    done_at: r.done_at.map(when),
                    origin_rule: r.origin_rule,
                })
            })?;
            t.finish::<ReminderRow>()
        }
        What::Audit => {
            repo.each_audit_entry(|(id, e)| {
                t.push(&AuditRow {
                    id,
                    at: when(e.at),
                    agent: e.agent,
                    action: e.action,
                    entity: e.entity,
                    entity_id: e.entity_id,
                    changes: e.changes,
                })
            })?;
            t.finish::<AuditRow>()
        }
    }
}

/// Active contacts as vCard 3.0, one card each.
fn vcards(repo: &crate::repo::Repo, out: &mut dyn Write) -> anyhow::Result<usize> {
    let mut n = 0;
    let mut buf = String::new();
    repo.each_contact(|c| -> anyhow::Result<()> {
        if c.status != crate::domain::model::CustomerStatus::Active {
            return Ok(());
        }
        let typed = |v: Option<String>| {
            v.filter(|s| !s.trim().is_empty()).map(|value| Typed { value, types: Vec::new(), pref: 100 })
        };
        let card = VCard {
            version: Some("3.0".into()),
            uid: c.external_id,
            name: Some(StructuredName::guess(&c.name)),
            formatted_name: Some(c.name),
            org: Some(c.customer.name),
            title: c.role,
            phones: typed(c.phone).into_iter().collect(),
            emails: typed(c.email).into_iter().collect(),
            birthday: c.birthday,
            note: None,
            extensions: c
                .customer
                .external_id
                .map(|x| ("X-RAPPORT-CUSTOMER".to_string(), x))
                .into_iter()
                .chain([("X-RAPPORT-CUSTOMER-KIND".to_string(), c.customer_kind.code().to_string())])
                .collect(),
            unkept: Vec::new(),
        };
        buf.clear();
        vcard::write_card(&card, &mut buf);
        out.write_all(buf.as_bytes())?;
        n += 1;
        Ok(())
    })?;
    Ok(n)
}

/// "follow_up" → "Follow up".
fn label(code: &str) -> String {
    let s = code.replace('_', " ");
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().collect::<String>() + chars.as_str(),
        None => s,
    }
}

fn who(c: &Owner) -> String {
    match &c.external_id {
        Some(x) => format!("{} ({x})", c.name),
        None => c.name.clone(),
    }
}

/// Open reminders and promises as an iCalendar file.
fn calendar(repo: &crate::repo::Repo, component: CalendarComponent, out: &mut dyn Write) -> anyhow::Result<usize> {
    let component = match component {
        CalendarComponent::Event => Component::Event,
        CalendarComponent::Todo => Component::Todo,
    };
    let stamp = Utc::now();
    out.write_all(ical::begin("rapport").as_bytes())?;
    let mut n = 0;
    repo.each_open_calendar_entry(|e| -> anyhow::Result<()> {
        let (source, kind_label) = match e.source {
            CalendarSource::Reminder => ("reminder", label(&e.kind)),
            CalendarSource::Promise => ("promise", "Promise".to_string()),
        };
        let mut description = e.text.clone();
        description.push_str(&format!("\nCustomer: {}", who(&e.customer)));
        if let Some(p) = e.customer_phone.as_deref().filter(|p| !p.is_empty()) {
            description.push_str(&format!("\nPhone: {p}"));
        }
        if let Some(o) = e.owner.as_deref().filter(|o| !o.is_empty()) {
            description.push_str(&format!("\nOwner: {o}"));
        }
        let item = ical::Item {
            uid: format!("{source}-{}@rapport", e.id),
            due: e.due_at,
            summary: format!("{kind_label}: {}", e.customer.name),
            description: description.trim_start().to_string(),
            categories: vec!["rapport".into(), e.kind.clone()],
            sequence: e.version - 1,
            rrule: e.recurrence.as_deref().and_then(|r| Recurrence::parse(r).ok()).map(Recurrence::rrule),
        };
        out.write_all(ical::component(&item, component, stamp).as_bytes())?;
        n += 1;
        Ok(())
    })?;
    out.write_all(ical::end().as_bytes())?;
    Ok(n)
}
