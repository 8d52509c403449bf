//! `rapport import customers|contacts|transactions FILE`: CSV files (and
//! vCard files of contacts), streamed, checked row by row, written in one
//! transaction. Bad rows are reported by line and column and set aside in
//! a rejects file; `--strict` makes any bad row abort the whole import;
//! `--dry-run` writes nothing.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, IsTerminal, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Local, NaiveDate, TimeZone, Utc};
use clap::{Args, ValueEnum};
use serde_json::json;

use super::{Cli, open_repo};
use crate::config::Config;
use crate::domain::dates;
use crate::domain::model::{CustomerKind, CustomerStatus, Tier, TxKind};
use crate::domain::money::Money;
use crate::domain::vcard;
use crate::repo::RepoError;
use crate::repo::import::{
    Applied, Cell, ContactRecord, CustomerRecord, CustomerRef, Finish, Importer, Reject, TransactionRecord,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    Customers,
    Contacts,
    Transactions,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Customers => "customers",
            Kind::Contacts => "contacts",
            Kind::Transactions => "transactions",
        }
    }

    /// The fields a file of this kind may give, in the documented order.
    fn fields(self) -> &'static [&'static str] {
        match self {
            Kind::Customers => &[
                "external_id",
                "name",
                "first_name",
                "last_name",
                "kind",
                "company",
                "email",
                "phone",
                "city",
                "country",
                "owner",
                "status",
                "tier_pin",
                "credit_limit",
                "on_hold",
                "vip_level",
                "note",
            ],
            Kind::Contacts => &[
                "external_id",
                "customer_external_id",
                "customer",
                "name",
                "first_name",
                "last_name",
                "role",
                "email",
                "phone",
                "birthday",
                "status",
            ],
            Kind::Transactions => {
                &["external_id", "customer_external_id", "customer", "date", "kind", "amount", "reference", "note"]
            }
        }
    }
}

/// Columns that exports write and imports skip without a warning.
const EXPORT_ONLY: &[&str] = &["id", "tier", "contribution", "created_at", "updated_at", "reject_reason"];

/// Bad rows shown on stderr before "... and N more".
const SHOWN_ERRORS: usize = 100;

const IMPORT_HELP: &str = "\
File layouts (CSV, UTF-8 with or without BOM, first line = header; column order is free, header names
are matched without regard to case; columns the kind does not know are ignored with a warning):

  customers     name (required; or first_name and/or last_name), external_id, kind (enterprise |
                household | individual; default individual), company, email, phone, city, country,
                owner, status (active | archived), tier_pin (top | growth | low | negative),
                credit_limit (amount), on_hold (true | false), vip_level, note
  contacts      name (required; or first_name/last_name), customer_external_id or customer (the
                customer's exact name; required, the customer must exist), external_id, role, email,
                phone, birthday (date), status (active | archived)
  transactions  customer_external_id or customer (required, must exist), date (required), amount
                (required), external_id, kind (sale | refund | service_cost | discount | write_off |
                payment; default sale), reference, note
  contacts FILE.vcf
                vCard 3.0 / 4.0, many cards per file: FN (or N), TEL, EMAIL, ORG, TITLE/ROLE, BDAY, UID.
                Each card becomes a contact of the customer named by ORG (made as an enterprise customer
                if there is none), or without ORG of an individual customer with the contact's name.

Dates: YYYY-MM-DD (taken as 12:00 UTC) or RFC 3339 (2024-05-01T09:30:00+02:00), years 1900 to 2199.
Amounts: decimal with a dot, at most two decimals (1234.5, 1,234.50); the kind gives a transaction's
sign, so type refunds and costs unsigned (a minus sign is accepted when it agrees with the kind).

Re-importing updates instead of duplicating: rows match existing records by external_id; without
one, customers match by name (and email, when the file has an email column) among the customers that
have no external id themselves, contacts by customer and name, transactions by customer, date, kind,
amount (and reference). A column present in the file
sets the field, an empty cell clears it; a column absent from the file leaves the field as it is.

Bad rows (missing required field, bad date, bad amount, unknown customer, wrong column count, ...) are
reported on stderr as FILE:LINE: column NAME: reason. By default the good rows are imported in one
transaction and the bad ones are written to FILE.rejects.csv beside the input (its header plus a first
column reject_reason; fix them there and import that file). A quoted field that is never closed is a
bad row too (it would swallow the rest of the file). --strict: any bad row aborts the import
and nothing is written (exit code 1). --dry-run: nothing is written; the summary says what would be
added, updated and rejected (with --strict, exit code 1 if any row is bad).

The audit log gets one entry per import (entity \"import\": kind, file and counts), not one per row.
After transactions are imported, the pyramid is recomputed. When stderr is a terminal, a progress line
(rows read, rows per second, percent of the file) is redrawn there from row 10,000 on; stdout only
ever gets the summary. New customers from a large file (1 MiB or more), or from any file into an
empty base, join the search index just after the import, in the app's background job; search reads
every customer until then.

Examples:
  rapport import customers customers.csv --map customer_id=external_id
  rapport import transactions invoices.csv --map invoice_id=external_id \\
      --map customer_id=customer_external_id --map total=amount
  rapport import contacts people.vcf
  rapport import customers export.csv --delimiter ';' --dry-run";

#[derive(Debug, Args)]
#[command(after_long_help = IMPORT_HELP)]
pub struct ImportArgs {
    /// What the file holds.
    #[arg(value_enum)]
    pub kind: Kind,
    /// The file: CSV, or for contacts also a vCard file (.vcf).
    pub file: PathBuf,
    /// Read column SOURCE as FIELD (repeatable), e.g. --map customer_id=external_id.
    #[arg(long = "map", value_name = "SOURCE=FIELD", value_parser = parse_map)]
    pub map: Vec<(String, String)>,
    /// Write nothing; report what would be added, updated and rejected.
    #[arg(long)]
    pub dry_run: bool,
    /// The CSV field separator: one character, or "tab".
    #[arg(long, value_name = "C", value_parser = parse_delimiter, default_value = ",")]
    pub delimiter: u8,
    /// Abort the whole import, writing nothing, if any row is bad.
    #[arg(long)]
    pub strict: bool,
}

fn parse_map(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((a, b)) if !a.trim().is_empty() && !b.trim().is_empty() => {
            Ok((a.trim().to_string(), b.trim().to_ascii_lowercase()))
        }
        _ => Err(format!("\"{s}\" is not SOURCE=FIELD (e.g. customer_id=external_id)")),
    }
}

fn parse_delimiter(s: &str) -> Result<u8, String> {
    match s {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        _ if s.len() == 1 && s.is_ascii() && s != "\"" && s != "\n" && s != "\r" => Ok(s.as_bytes()[0]),
        _ => Err(format!("\"{s}\" is not a one-character ASCII delimiter (e.g. ',', ';', tab)")),
    }
}

/// A bad row: where, and why.
#[derive(Debug, Clone, PartialEq)]
struct BadRow {
    line: u64,
    /// The column as the file names it (with the field it maps to).
    column: String,
    reason: String,
}

/// What an import did (or would do).
#[derive(Debug, Default)]
struct Summary {
    added: u64,
    updated: u64,
    unchanged: u64,
    rejected: u64,
    customers_created: u64,
}

impl Summary {
    fn count(&mut self, a: Applied) {
        match a {
            Applied::Added(_) => self.added += 1,
            Applied::Updated(_) => self.updated += 1,
            Applied::Unchanged(_) => self.unchanged += 1,
        }
    }
}

pub fn run(cli: &Cli, config: &Config, args: &ImportArgs) -> anyhow::Result<i32> {
    if !args.file.is_file() {
        anyhow::bail!("{}: no such file", args.file.display());
    }
    let is_vcard = looks_like_vcard(&args.file)?;
    if is_vcard && args.kind != Kind::Contacts {
        anyhow::bail!(
            "{} is a vCard file; vCards hold contacts: rapport import contacts {}",
            args.file.display(),
            args.file.display()
        );
    }
    if is_vcard && !args.map.is_empty() {
        anyhow::bail!("--map is for CSV files; a vCard's properties have fixed names");
    }
    let db = super::db_path(cli)?;
    if args.dry_run && !db.exists() {
        // A dry run writes nothing, not even a new base: it runs against an
        // empty scratch base, thrown away after.
        let scratch = std::env::temp_dir().join(format!("rapport-dry-run-{}.db", std::process::id()));
        let result = (|| {
            let mut repo = crate::repo::Repo::open(&scratch, &super::agent(cli, config))?;
            let outcome = if is_vcard { import_vcard(&mut repo, args)? } else { import_csv(&mut repo, args)? };
            finish(config, &mut repo, args, outcome)
        })();
        for suffix in ["", "-wal", "-shm"] {
            let mut p = scratch.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(p);
        }
        return result;
    }
    let mut repo = open_repo(cli, config)?;
    let outcome = if is_vcard { import_vcard(&mut repo, args)? } else { import_csv(&mut repo, args)? };
    finish(config, &mut repo, args, outcome)
}

/// What an import run ended with, before the summary is printed.
struct Outcome {
    summary: Summary,
    committed: bool,
    /// The finished rejects file (written only when rows were rejected and
    /// the import was committed).
    rejects: Option<PathBuf>,
    import_no: Option<i64>,
}

fn finish(config: &Config, repo: &mut crate::repo::Repo, args: &ImportArgs, o: Outcome) -> anyhow::Result<i32> {
    let s = &o.summary;
    let file = args.file.display();
    if args.strict && s.rejected > 0 {
        anyhow::bail!(
            "{file}: {} bad row{}; --strict: nothing was imported",
            s.rejected,
            if s.rejected == 1 { "" } else { "s" }
        );
    }
    let created =
        if s.customers_created > 0 { format!(", {} customers created", s.customers_created) } else { String::new() };
    if args.dry_run {
        super::emit(&format!(
            "dry run, nothing written: {} from {file} would be {} added, {} updated, {} unchanged, {} rejected{created}\n",
            args.kind.name(),
            s.added,
            s.updated,
            s.unchanged,
            s.rejected
        ))?;
        return Ok(0);
    }
    if !o.committed {
        anyhow::bail!("{file}: nothing was imported");
    }
    if args.kind == Kind::Transactions && (s.added > 0 || s.updated > 0) {
        crate::services::pyramid::recompute(repo, config, Local::now().date_naive())?;
    }
    let rejects = match &o.rejects {
        Some(p) => format!("; rejected rows are in {}", p.display()),
        None => String::new(),
    };
    let no = o.import_no.map(|n| format!(" (import #{n})")).unwrap_or_default();
    super::emit(&format!(
        "{} from {file}: {} added, {} updated, {} unchanged, {} rejected{created}{no}{rejects}\n",
        args.kind.name(),
        s.added,
        s.updated,
        s.unchanged,
        s.rejected
    ))?;
    Ok(0)
}

fn looks_like_vcard(path: &Path) -> anyhow::Result<bool> {
    let ext = path.extension().map(|e| e.to_string_lossy().to_ascii_lowercase());
    if matches!(ext.as_deref(), Some("vcf" | "vcard")) {
        return Ok(true);
    }
    let mut head = [0u8; 64];
    let n = {
        use std::io::Read;
        let mut f = std::fs::File::open(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        f.read(&mut head)?
    };
    let head = head[..n].strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&head[..n]);
    let start = head.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(head.len());
    Ok(head[start..].get(..11).is_some_and(|h| h.eq_ignore_ascii_case(b"BEGIN:VCARD")))
}

/// `invoices.csv` → `invoices.rejects.csv` (with `ext`), beside the input.
fn rejects_path(input: &Path, ext: &str) -> PathBuf {
    let stem = input.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "import".into());
    input.with_file_name(format!("{stem}.rejects.{ext}"))
}

fn part_path(p: &Path) -> PathBuf {
    let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    p.with_file_name(format!(".{name}.part-{}", std::process::id()))
}

/// Reports bad rows on stderr, the first [`SHOWN_ERRORS`] of them.
struct Errors {
    file: String,
    shown: usize,
    hidden: usize,
}

impl Errors {
    fn report(&mut self, b: &BadRow) {
        if self.shown < SHOWN_ERRORS {
            eprintln!("{}:{}: column {}: {}", self.file, b.line, b.column, b.reason);
            self.shown += 1;
        } else {
            self.hidden += 1;
        }
    }
    fn done(&self, rejects: Option<&Path>) {
        if self.hidden > 0 {
            match rejects {
                Some(p) => eprintln!("... and {} more bad rows (all are in {})", self.hidden, p.display()),
                None => eprintln!("... and {} more bad rows", self.hidden),
            }
        }
    }
}

/// Rows read before the first progress line: smaller files are done before
/// a line would be worth drawing. Row-based, so the first line comes at the
/// same row on every machine.
const PROGRESS_FIRST_ROW: u64 = 10_000;
/// After the first line, the clock is looked at every this many rows ...
const PROGRESS_CHECK_ROWS: u64 = 1_000;
/// ... and the line redrawn at most this often.
const PROGRESS_INTERVAL: std::time::Duration = std::time::Duration::from_millis(250);

/// A progress line on stderr (rows read, rows per second, percent of the
/// file), redrawn in place with `\r`, only when stderr is a terminal;
/// stdout is never touched.
struct Progress {
    on: bool,
    n: u64,
    /// The file's size in bytes, when known.
    total: Option<u64>,
    started: std::time::Instant,
    last: Option<std::time::Instant>,
}

impl Progress {
    fn new(total: Option<u64>) -> Progress {
        Progress::with(std::io::stderr().is_terminal(), total)
    }

    fn with(on: bool, total: Option<u64>) -> Progress {
        Progress { on, n: 0, total: total.filter(|t| *t > 0), started: std::time::Instant::now(), last: None }
    }

    /// One more row read; `byte` is how far into the file it ends.
    fn tick(&mut self, byte: u64) {
        self.n += 1;
        if !self.on || self.n < PROGRESS_FIRST_ROW || !self.n.is_multiple_of(PROGRESS_CHECK_ROWS) {
            return;
        }
        let now = std::time::Instant::now();
        if self.last.is_some_and(|t| now.duration_since(t) < PROGRESS_INTERVAL) {
            return;
        }
        self.last = Some(now);
        let line = self.line(byte, now.duration_since(self.started));
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r{line}\x1b[K");
        let _ = err.flush();
    }

    /// The text of the line: `1,234,000 rows read, 98,000 rows/s, 41%`.
    fn line(&self, byte: u64, elapsed: std::time::Duration) -> String {
        let secs = elapsed.as_secs_f64();
        let rate = if secs > 0.0 { (self.n as f64 / secs) as u64 } else { 0 };
        let mut line = format!("{} rows read, {} rows/s", thousands(self.n), thousands(rate));
        if let Some(total) = self.total {
            line.push_str(&format!(", {}%", (byte.min(total) * 100 / total)));
        }
        line
    }

    /// Takes the line off the screen (before an error message, and at the end).
    fn clear(&mut self) {
        if self.last.take().is_some() {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[K");
            let _ = err.flush();
        }
    }
}

/// `1234567` → `1,234,567`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Field name → column index. Looked up about fifteen times per row, so
/// hashed with FNV-1a (short, trusted keys) rather than SipHash.
type FieldIndex = HashMap<&'static str, usize, std::hash::BuildHasherDefault<Fnv>>;

struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// How the file's columns map to fields.
struct Columns {
    kind: Kind,
    /// Header names as in the file.
    header: Vec<String>,
    /// field → column index.
    index: FieldIndex,
}

impl Columns {
    fn build(kind: Kind, header: Vec<String>, map: &[(String, String)], file: &str) -> anyhow::Result<Columns> {
        let fields = kind.fields();
        let listed = || header.join(", ");
        let mut index = FieldIndex::default();
        let mut mapped_cols: Vec<usize> = Vec::new();
        for (src, field) in map {
            let Some(f) = fields.iter().find(|f| **f == field.as_str()) else {
                anyhow::bail!(
                    "--map {src}={field}: \"{field}\" is not a field of {} (fields: {})",
                    kind.name(),
                    fields.join(", ")
                );
            };
            let col = header
                .iter()
                .position(|h| h == src)
                .or_else(|| header.iter().position(|h| h.eq_ignore_ascii_case(src)))
                .ok_or_else(|| {
                    anyhow::anyhow!("--map {src}={field}: {file} has no column \"{src}\" (its columns: {})", listed())
                })?;
            if let Some(prev) = index.insert(f, col) {
                anyhow::bail!("--map: columns \"{}\" and \"{}\" both give {field}", header[prev], header[col]);
            }
            mapped_cols.push(col);
        }
        let mut ignored = Vec::new();
        for (i, h) in header.iter().enumerate() {
            if mapped_cols.contains(&i) {
                continue;
            }
            let lower = h.to_ascii_lowercase();
            match fields.iter().find(|f| **f == lower) {
                Some(f) if index.contains_key(f) => {
                    if map.iter().any(|(_, field)| field == f) {
                        ignored.push(format!("{h} (--map gives {f} from another column)"));
                    } else {
                        anyhow::bail!("{file}: columns \"{}\" and \"{h}\" both give {f}", header[index[f]]);
                    }
                }
                Some(f) => {
                    index.insert(f, i);
                }
                None if EXPORT_ONLY.contains(&lower.as_str()) => {}
                None => ignored.push(h.clone()),
            }
        }
        if !ignored.is_empty() {
            eprintln!(
                "{file}: ignoring column{} {} (not a field of {}; see rapport import --help, or use --map)",
                if ignored.len() == 1 { "" } else { "s" },
                ignored.join(", "),
                kind.name()
            );
        }
        let cols = Columns { kind, header, index };
        let has = |f: &str| cols.index.contains_key(f);
        let need = |ok: bool, what: &str, example: &str| -> anyhow::Result<()> {
            if ok {
                Ok(())
            } else {
                anyhow::bail!(
                    "{file}: no column gives {what}; name one with --map COLUMN={example} (its columns: {})",
                    cols.header.join(", ")
                )
            }
        };
        if kind != Kind::Transactions {
            need(has("name") || has("first_name") || has("last_name"), "the name", "name")?;
        }
        if kind != Kind::Customers {
            need(has("customer_external_id") || has("customer"), "the customer", "customer_external_id")?;
        }
        if kind == Kind::Transactions {
            need(has("date"), "the date", "date")?;
            need(has("amount"), "the amount", "amount")?;
        }
        Ok(cols)
    }

    /// How error messages name the column of `field`: `"total" (amount)`
    /// when mapped, `"amount"` otherwise.
    fn label(&self, field: &str) -> String {
        match self.index.get(field) {
            Some(&i) if self.header[i].eq_ignore_ascii_case(field) => format!("\"{}\"", self.header[i]),
            Some(&i) => format!("\"{}\" ({field})", self.header[i]),
            None => format!("\"{field}\""),
        }
    }

    /// The first of `fields` the file has, as a label.
    fn first_label(&self, fields: &[&str]) -> String {
        fields.iter().find(|f| self.index.contains_key(*f)).map_or_else(|| self.label(fields[0]), |f| self.label(f))
    }
}

/// One row's values, by field.
struct Row<'a> {
    cols: &'a Columns,
    values: &'a [&'a str],
}

type RowResult<T> = Result<T, (String, String)>;

impl Row<'_> {
    /// `None` when the file has no such column; else the trimmed value.
    fn raw(&self, field: &str) -> Option<&str> {
        self.cols.index.get(field).map(|&i| self.values.get(i).map_or("", |s| s.trim()))
    }

    /// A text cell: absent, empty (cleared) or a value.
    fn text(&self, field: &str) -> Cell<String> {
        self.raw(field).map(|v| (!v.is_empty()).then(|| v.to_string()))
    }

    /// Notes keep their spaces and line breaks as stored.
    fn untrimmed(&self, field: &str) -> Cell<String> {
        self.cols.index.get(field).map(|&i| {
            let v = self.values.get(i).copied().unwrap_or("");
            (!v.trim().is_empty()).then(|| v.to_string())
        })
    }

    fn value(&self, field: &str) -> Option<&str> {
        self.raw(field).filter(|v| !v.is_empty())
    }

    fn err<T>(&self, field: &str, reason: String) -> RowResult<T> {
        Err((self.cols.label(field), reason))
    }

    fn parsed<T>(&self, field: &str, what: &str, parse: impl Fn(&str) -> Result<T, String>) -> RowResult<Cell<T>> {
        match self.raw(field) {
            None => Ok(None),
            Some("") => Ok(Some(None)),
            Some(v) => match parse(v) {
                Ok(x) => Ok(Some(Some(x))),
                Err(e) => self.err(field, format!("{what}: {e}")),
            },
        }
    }

    /// A code (kind, status), in any case. No allocation unless the cell
    /// has capitals or is bad.
    fn code<T>(&self, field: &str, parse: fn(&str) -> Result<T, String>) -> RowResult<Option<T>> {
        let Some(v) = self.value(field) else { return Ok(None) };
        let parsed = if v.bytes().any(|b| b.is_ascii_uppercase()) { parse(&v.to_ascii_lowercase()) } else { parse(v) };
        match parsed {
            Ok(x) => Ok(Some(x)),
            Err(e) => self.err(field, format!("bad {field}: {e}")),
        }
    }

    fn name(&self) -> RowResult<String> {
        if let Some(n) = self.value("name") {
            return Ok(n.to_string());
        }
        let joined =
            [self.value("first_name"), self.value("last_name")].into_iter().flatten().collect::<Vec<_>>().join(" ");
        if joined.trim().is_empty() {
            return Err((
                self.cols.first_label(&["name", "first_name", "last_name"]),
                "missing required field name".to_string(),
            ));
        }
        Ok(joined)
    }

    fn customer_ref(&self) -> RowResult<CustomerRef> {
        if let Some(x) = self.value("customer_external_id") {
            return Ok(CustomerRef::External(x.to_string()));
        }
        if let Some(n) = self.value("customer") {
            return Ok(CustomerRef::Name(n.to_string()));
        }
        Err((
            self.cols.first_label(&["customer_external_id", "customer"]),
            "missing required field customer_external_id (or customer): which customer this belongs to".into(),
        ))
    }

    fn customer(&self) -> RowResult<CustomerRecord> {
        let name = self.name()?;
        let credit_limit = self.parsed("credit_limit", "bad amount", |v| {
            let m = Money::parse(v)?;
            if m.0 < 0 { Err(format!("\"{v}\": a credit limit cannot be negative")) } else { Ok(m) }
        })?;
        Ok(CustomerRecord {
            external_id: self.value("external_id").map(str::to_string),
            name,
            kind: self.code("kind", CustomerKind::parse)?,
            company: self.text("company"),
            email: self.text("email"),
            phone: self.text("phone"),
            city: self.text("city"),
            country: self.text("country"),
            owner: self.text("owner"),
            status: self.code("status", CustomerStatus::parse)?,
            tier_pin: self.parsed("tier_pin", "bad tier_pin", |v| Tier::parse(&v.to_ascii_lowercase()))?,
            credit_limit,
            on_hold: self.parsed("on_hold", "bad on_hold", parse_bool)?.flatten(),
            vip_level: self.text("vip_level"),
            note: self.untrimmed("note"),
        })
    }

    fn contact(&self) -> RowResult<ContactRecord> {
        let name = self.name()?;
        let customer = self.customer_ref()?;
        Ok(ContactRecord {
            external_id: self.value("external_id").map(str::to_string),
            customer,
            name,
            role: self.text("role"),
            email: self.text("email"),
            phone: self.text("phone"),
            birthday: self.parsed("birthday", "bad date", parse_day)?,
            status: self.code("status", CustomerStatus::parse)?,
        })
    }

    fn transaction(&self) -> RowResult<TransactionRecord> {
        let customer = self.customer_ref()?;
        let Some(date) = self.value("date") else {
            return self.err("date", "missing required field date".into());
        };
        let occurred_at = match parse_when(date) {
            Ok(t) => t,
            Err(e) => return self.err("date", format!("bad date: {e}")),
        };
        let kind = self.code("kind", TxKind::parse)?.unwrap_or(TxKind::Sale);
        let Some(amount) = self.value("amount") else {
            return self.err("amount", "missing required field amount".into());
        };
        let amount = match signed_amount(amount, kind) {
            Ok(m) => m,
            Err(e) => return self.err("amount", format!("bad amount: {e}")),
        };
        Ok(TransactionRecord {
            external_id: self.value("external_id").map(str::to_string),
            customer,
            kind,
            amount,
            occurred_at,
            reference: self.text("reference"),
            note: self.untrimmed("note"),
        })
    }
}

fn parse_bool(v: &str) -> Result<bool, String> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "yes" | "y" | "1" => Ok(true),
        "false" | "no" | "n" | "0" => Ok(false),
        _ => Err(format!("\"{v}\" is not true or false")),
    }
}

/// A date: `YYYY-MM-DD` or RFC 3339 (its date part).
fn parse_day(v: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .or_else(|_| DateTime::parse_from_rfc3339(v).map(|t| t.date_naive()))
        .map_err(|_| format!("\"{v}\" is not a date (YYYY-MM-DD or RFC 3339)"))
        .and_then(|d| dates::plausible(v, d))
}

/// A time: RFC 3339, or `YYYY-MM-DD` taken as 12:00 UTC (the same calendar
/// day in every time zone from UTC−11 to UTC+11).
fn parse_when(v: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(d) = NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        let d = dates::plausible(v, d)?;
        return Ok(Utc.from_utc_datetime(&d.and_hms_opt(12, 0, 0).unwrap_or_default()));
    }
    let t = DateTime::parse_from_rfc3339(v).map_err(|_| format!("\"{v}\" is not a date (YYYY-MM-DD or RFC 3339)"))?;
    // The date as written, in its own offset.
    dates::plausible(v, t.date_naive())?;
    Ok(t.with_timezone(&Utc))
}

/// The stored (signed) amount: typed unsigned, the kind gives the sign; a
/// sign that agrees with the kind is accepted.
fn signed_amount(v: &str, kind: TxKind) -> Result<Money, String> {
    let m = Money::parse(v)?;
    if m.0 < 0 && kind.sign() > 0 {
        return Err(format!("\"{v}\" is negative, but a {kind} is money in; use kind refund, discount or write_off"));
    }
    let cents =
        m.0.checked_abs().and_then(|c| c.checked_mul(kind.sign())).ok_or_else(|| format!("\"{v}\" is too large"))?;
    Ok(Money(cents))
}

/// Whether the file from byte `from` (a record's start) to its end ends
/// inside a quoted field: read as the CSV reader reads it (a field is
/// quoted only if it starts with a quote; inside, a doubled quote is a
/// quote; a quote within an unquoted field is an ordinary character).
/// Unreadable: no.
fn ends_inside_quotes(path: &Path, from: u64, delimiter: u8) -> bool {
    use std::io::Read;
    #[derive(Clone, Copy)]
    enum At {
        FieldStart,
        Unquoted,
        Quoted,
        QuoteInQuoted,
    }
    let Some(mut f) = open_at(path, from) else { return false };
    let mut buf = vec![0u8; 1 << 16];
    let mut at = At::FieldStart;
    loop {
        let n = match f.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        for &b in &buf[..n] {
            let ends_field = b == delimiter || b == b'\n' || b == b'\r';
            at = match at {
                At::FieldStart | At::Unquoted if ends_field => At::FieldStart,
                At::FieldStart if b == b'"' => At::Quoted,
                At::FieldStart | At::Unquoted => At::Unquoted,
                At::Quoted if b == b'"' => At::QuoteInQuoted,
                At::Quoted => At::Quoted,
                At::QuoteInQuoted if b == b'"' => At::Quoted,
                At::QuoteInQuoted if ends_field => At::FieldStart,
                At::QuoteInQuoted => At::Unquoted,
            };
        }
    }
    matches!(at, At::Quoted)
}

/// The byte at `offset` in the file, if it has one.
fn byte_at(path: &Path, offset: u64) -> Option<u8> {
    use std::io::Read;
    let mut b = [0u8; 1];
    (open_at(path, offset)?.read(&mut b).ok()? == 1).then_some(b[0])
}

/// The file opened again for reading from `offset` (the import's reader
/// has its own handle, buffered ahead).
fn open_at(path: &Path, offset: u64) -> Option<std::fs::File> {
    use std::io::{Seek, SeekFrom};
    let mut f = std::fs::File::open(path).ok()?;
    f.seek(SeekFrom::Start(offset)).ok()?;
    Some(f)
}

/// Opens a CSV file for reading, past a UTF-8 BOM if there is one.
fn open_csv(path: &Path, delimiter: u8) -> anyhow::Result<(csv::Reader<BufReader<std::fs::File>>, bool)> {
    let file = std::fs::File::open(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let mut reader = BufReader::with_capacity(1 << 16, file);
    let bom = reader.fill_buf()?.starts_with(b"\xEF\xBB\xBF");
    if bom {
        reader.consume(3);
    }
    let csv = csv::ReaderBuilder::new().delimiter(delimiter).flexible(true).has_headers(false).from_reader(reader);
    Ok((csv, bom))
}

/// The rejects file, written aside and put in place only if the import
/// is committed with rejected rows.
struct Rejects {
    part: PathBuf,
    writer: Option<csv::Writer<std::fs::File>>,
    header: csv::ByteRecord,
    delimiter: u8,
    bom: bool,
}

impl Rejects {
    /// The input's own `reject_reason` column (it is a rejects file).
    fn reason_column(&self) -> Option<usize> {
        self.header.iter().position(|h| h.trim_ascii().eq_ignore_ascii_case(b"reject_reason"))
    }

    fn push(&mut self, record: &csv::ByteRecord, b: &BadRow) -> anyhow::Result<()> {
        if self.writer.is_none() {
            let mut file = std::fs::File::create(&self.part)
                .map_err(|e| anyhow::anyhow!("cannot write the rejects file {}: {e}", self.part.display()))?;
            if self.bom {
                file.write_all(b"\xEF\xBB\xBF")?;
            }
            let mut w = csv::WriterBuilder::new().delimiter(self.delimiter).flexible(true).from_writer(file);
            let mut h = csv::ByteRecord::new();
            if self.reason_column().is_none() {
                h.push_field(b"reject_reason");
            }
            h.extend(self.header.iter());
            w.write_byte_record(&h)?;
            self.writer = Some(w);
        }
        let reason = format!("line {}, column {}: {}", b.line, b.column, b.reason);
        let mut r = csv::ByteRecord::new();
        match self.reason_column() {
            // A rejects file imported again: its reason column is replaced.
            Some(at) => {
                for (i, field) in record.iter().enumerate() {
                    r.push_field(if i == at { reason.as_bytes() } else { field });
                }
            }
            None => {
                r.push_field(reason.as_bytes());
                r.extend(record.iter());
            }
        }
        if let Some(w) = &mut self.writer {
            w.write_byte_record(&r)?;
        }
        Ok(())
    }

    /// Puts the file in place (`keep`) or throws it away.
    fn finish(mut self, dest: &Path, keep: bool) -> anyhow::Result<Option<PathBuf>> {
        let Some(mut w) = self.writer.take() else { return Ok(None) };
        w.flush()?;
        drop(w);
        if keep {
            std::fs::rename(&self.part, dest)?;
            Ok(Some(dest.to_path_buf()))
        } else {
            let _ = std::fs::remove_file(&self.part);
            Ok(None)
        }
    }
}

impl Drop for Rejects {
    fn drop(&mut self) {
        if self.writer.take().is_some() {
            let _ = std::fs::remove_file(&self.part);
        }
    }
}

/// Checks one CSV record and imports it. `Ok(Err(bad))` for a bad row.
fn import_record(
    imp: &mut Importer,
    cols: &Columns,
    record: &csv::ByteRecord,
    line: u64,
    summary: &mut Summary,
) -> crate::repo::Result<Result<(), BadRow>> {
    let bad = |column: String, reason: String| Ok(Err(BadRow { line, column, reason }));
    let width = cols.header.len();
    if record.len() != width {
        let column = if record.len() < width {
            format!("\"{}\"", cols.header[record.len()])
        } else {
            format!("{} (beyond the header)", width + 1)
        };
        return bad(column, format!("wrong column count: expected {width}, found {}", record.len()));
    }
    // Borrowed from the record: one allocation per row, none per field.
    let mut values: Vec<&str> = Vec::with_capacity(width);
    for (i, field) in record.iter().enumerate() {
        match std::str::from_utf8(field) {
            Ok(s) => values.push(s),
            Err(_) => {
                return bad(format!("\"{}\"", cols.header[i]), "not valid UTF-8 text (save the file as UTF-8)".into());
            }
        }
    }
    let row = Row { cols, values: &values };
    let applied = match cols.kind {
        Kind::Customers => match row.customer() {
            Ok(r) => Ok(imp.customer(&r)?),
            Err((c, reason)) => return bad(c, reason),
        },
        Kind::Contacts => match row.contact() {
            Ok(r) => imp.contact(&r)?,
            Err((c, reason)) => return bad(c, reason),
        },
        Kind::Transactions => match row.transaction() {
            Ok(r) => imp.transaction(&r)?,
            Err((c, reason)) => return bad(c, reason),
        },
    };
    match applied {
        Ok(a) => {
            summary.count(a);
            Ok(Ok(()))
        }
        Err(Reject { field, reason }) => bad(cols.label(field), reason),
    }
}

/// A customer file this large (about 10,000 rows) is loaded as a bulk
/// load into a base that has customers ([`Importer::defer_insert_triggers`]):
/// its new customers reach the search index after the import, in the
/// app's background job. A smaller one is indexed row by row, at once.
const MANY_ROWS_BYTES: u64 = 1 << 20;

fn import_csv(repo: &mut crate::repo::Repo, args: &ImportArgs) -> anyhow::Result<Outcome> {
    let file = args.file.display().to_string();
    let (mut reader, bom) = open_csv(&args.file, args.delimiter)?;
    // Where the file ends, as the reader counts bytes (after a BOM).
    let skipped = if bom { 3 } else { 0 };
    let end = std::fs::metadata(&args.file).map_or(u64::MAX, |m| m.len().saturating_sub(skipped));
    let mut header_rec = csv::ByteRecord::new();
    if !reader.read_byte_record(&mut header_rec).map_err(|e| anyhow::anyhow!("{file}: {e}"))? {
        anyhow::bail!("{file} is empty: the first line must be a header naming the columns");
    }
    // The CSV reader ends a line at its \r, so after a CRLF header each
    // record starts at the \n before it and is counted a line too early.
    let crlf = byte_at(&args.file, reader.position().byte() + skipped) == Some(b'\n');
    // An export in JSON given back to the import.
    if header_rec.get(0).is_some_and(|h| {
        let h = h.trim_ascii();
        h == b"[" || h == b"{" || h.starts_with(b"[{") || h.starts_with(b"{\"")
    }) {
        anyhow::bail!(
            "{file} looks like JSON; import reads CSV (export with --format csv to re-import), or vCard for contacts"
        );
    }
    let header: Vec<String> = header_rec
        .iter()
        .enumerate()
        .map(|(i, h)| {
            std::str::from_utf8(h)
                .map(|s| s.trim().to_string())
                .map_err(|_| anyhow::anyhow!("{file}: line 1, column {}: the header is not valid UTF-8", i + 1))
        })
        .collect::<anyhow::Result<_>>()?;
    let cols = Columns::build(args.kind, header, &args.map, &file)?;
    let dest = rejects_path(&args.file, "csv");
    let mut rejects =
        Rejects { part: part_path(&dest), writer: None, header: header_rec, delimiter: args.delimiter, bom };
    let write_rejects = !args.strict && !args.dry_run;
    let mut errors = Errors { file: file.clone(), shown: 0, hidden: 0 };
    let size = std::fs::metadata(&args.file).ok().filter(|m| m.is_file()).map(|m| m.len());
    let mut progress = Progress::new(size);
    let many_rows = size.is_some_and(|n| n >= MANY_ROWS_BYTES);
    let mut io_error: Option<anyhow::Error> = None;
    let result = repo.import(|imp| {
        if cols.kind == Kind::Customers {
            // Into an empty base: build the customers' indexes once, at the end.
            imp.defer_customer_indexes()?;
            // Into one with customers, when the file holds many rows: the
            // triggers of each new customer run once, at the end.
            if many_rows {
                imp.defer_insert_triggers()?;
            }
        }
        let mut summary = Summary::default();
        let mut record = csv::ByteRecord::new();
        loop {
            match reader.read_byte_record(&mut record) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    io_error = Some(anyhow::anyhow!("{file}: {e}; nothing was imported"));
                    return Err(RepoError::Invalid("read error".into()));
                }
            }
            let (line, byte) = record.position().map_or((0, 0), |p| (p.line() + u64::from(crlf), p.byte()));
            progress.tick(byte);
            // A quote that is never closed swallows the rest of the file
            // into the last record's last field, which the CSV reader
            // returns as if the file had closed it.
            let unclosed =
                reader.position().byte() >= end && ends_inside_quotes(&args.file, byte + skipped, args.delimiter);
            let verdict = if unclosed {
                let column = cols
                    .header
                    .get(record.len().saturating_sub(1))
                    .map_or_else(|| format!("{} (beyond the header)", record.len()), |h| format!("\"{h}\""));
                let reason = "a quoted field is never closed: the file ends inside its quotes".to_string();
                Err(BadRow { line, column, reason })
            } else {
                import_record(imp, &cols, &record, line, &mut summary)?
            };
            if let Err(b) = verdict {
                summary.rejected += 1;
                if errors.shown < SHOWN_ERRORS {
                    progress.clear();
                }
                errors.report(&b);
                if write_rejects && let Err(e) = rejects.push(&record, &b) {
                    io_error = Some(e.context("nothing was imported"));
                    return Err(RepoError::Invalid("write error".into()));
                }
            }
        }
        let finish = finish_with(args, &summary);
        Ok((summary, finish))
    });
    progress.clear();
    if let Some(e) = io_error {
        return Err(e);
    }
    let (summary, import_no) = result?;
    let committed = import_no.is_some();
    let kept = rejects.finish(&dest, committed)?;
    errors.done(kept.as_deref());
    if committed && kept.is_none() {
        remove_stale(&dest);
    }
    Ok(Outcome { summary, committed, rejects: kept, import_no })
}

/// Commit (with the audit summary) unless this is a dry run or a strict
/// import that met a bad row.
fn finish_with(args: &ImportArgs, s: &Summary) -> Finish {
    if args.dry_run || (args.strict && s.rejected > 0) {
        Finish::Rollback
    } else {
        Finish::Commit(json!({
            "kind": args.kind.name(),
            "file": args.file.display().to_string(),
            "added": s.added,
            "updated": s.updated,
            "unchanged": s.unchanged,
            "rejected": s.rejected,
            "customers_created": s.customers_created,
        }))
    }
}

/// A rejects file from an earlier run describes rows this run imported.
fn remove_stale(dest: &Path) {
    if dest.is_file() && std::fs::remove_file(dest).is_ok() {
        eprintln!("removed {} from an earlier import: no row was rejected this time", dest.display());
    }
}

fn import_vcard(repo: &mut crate::repo::Repo, args: &ImportArgs) -> anyhow::Result<Outcome> {
    let file = args.file.display().to_string();
    let bytes = std::fs::read(&args.file).map_err(|e| anyhow::anyhow!("{file}: {e}"))?;
    let cards = vcard::parse(&bytes);
    drop(bytes);
    let dest = rejects_path(&args.file, "vcf");
    let write_rejects = !args.strict && !args.dry_run;
    let mut rejected = String::new();
    let mut errors = Errors { file: file.clone(), shown: 0, hidden: 0 };
    let (summary, import_no) = repo.import(|imp| {
        let mut summary = Summary::default();
        for p in &cards {
            if let Ok(card) = &p.card {
                for (line, what) in &card.unkept {
                    eprintln!("{file}:{line}: {what}");
                }
            }
            let bad = match &p.card {
                Err(e) => Some(BadRow { line: e.line as u64, column: e.property.clone(), reason: e.reason.clone() }),
                Ok(card) => match import_card(imp, card, &mut summary)? {
                    Ok(()) => None,
                    Err(r) => Some(BadRow { line: p.line as u64, column: r.field.to_string(), reason: r.reason }),
                },
            };
            if let Some(b) = bad {
                summary.rejected += 1;
                errors.report(&b);
                if write_rejects {
                    rejected.push_str(&reject_card(&p.raw, &b));
                }
            }
        }
        let finish = finish_with(args, &summary);
        Ok((summary, finish))
    })?;
    let committed = import_no.is_some();
    let mut kept = None;
    if committed && !rejected.is_empty() {
        let part = part_path(&dest);
        std::fs::write(&part, rejected.as_bytes()).and_then(|_| std::fs::rename(&part, &dest)).map_err(|e| {
            anyhow::anyhow!("the import is done, but the rejects file {} could not be written: {e}", dest.display())
        })?;
        kept = Some(dest.clone());
    }
    errors.done(kept.as_deref());
    if committed && kept.is_none() {
        remove_stale(&dest);
    }
    Ok(Outcome { summary, committed, rejects: kept, import_no })
}

/// One card → one contact of the customer its ORG names (or, without ORG,
/// of an individual customer with the contact's own name).
fn import_card(
    imp: &mut Importer,
    card: &vcard::VCard,
    summary: &mut Summary,
) -> crate::repo::Result<Result<(), Reject>> {
    let name = card.display_name().unwrap_or_default();
    let (customer_name, kind, field) = match &card.org {
        Some(org) => (org.clone(), CustomerKind::Enterprise, "ORG"),
        None => (name.clone(), CustomerKind::Individual, "FN"),
    };
    // A card rapport exported says what kind of customer it belongs to.
    let kind =
        card.extension("X-RAPPORT-CUSTOMER-KIND").and_then(|k| CustomerKind::parse(k.trim()).ok()).unwrap_or(kind);
    let (customer_id, created) =
        match imp.customer_for_card(card.extension("X-RAPPORT-CUSTOMER"), &customer_name, kind)? {
            Ok(x) => x,
            Err(r) => return Ok(Err(Reject { field, reason: r.reason })),
        };
    if created {
        summary.customers_created += 1;
    }
    // Properties the card does not have leave the contact's fields as they are.
    let rec = ContactRecord {
        external_id: card.uid.clone(),
        customer: CustomerRef::Name(customer_name),
        name,
        role: card.title.clone().map(Some),
        email: card.email().map(|e| Some(e.to_string())),
        phone: card.phone().map(|p| Some(p.to_string())),
        birthday: card.birthday.map(Some),
        status: None,
    };
    summary.count(imp.contact_of(customer_id, &rec)?);
    Ok(Ok(()))
}

/// A rejected card as it was, with an `X-RAPPORT-REJECT` line saying why.
fn reject_card(raw: &str, b: &BadRow) -> String {
    let mut out = String::with_capacity(raw.len() + 100);
    let mut lines = raw.split("\r\n");
    let first = lines.next().unwrap_or_default();
    out.push_str(first);
    out.push_str("\r\n");
    if first.trim().eq_ignore_ascii_case("BEGIN:VCARD") {
        let why = format!("line {}, {}: {}", b.line, b.column, b.reason);
        crate::domain::ical::push_line(
            &mut out,
            &format!("X-RAPPORT-REJECT:{}", crate::domain::ical::escape_text(&why)),
        );
    }
    for l in lines {
        out.push_str(l);
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_outside_the_plausible_years_is_refused() {
        for v in ["0000-01-01", "1899-12-31", "2200-01-01", "9999-12-31T10:00:00Z"] {
            let e = parse_when(v).unwrap_err();
            assert!(e.contains("is not a plausible date (years 1900 to 2199)"), "{v}: {e}");
            assert!(parse_day(v).is_err(), "{v}");
        }
        assert!(parse_when("1900-01-01").is_ok() && parse_when("2199-12-31T23:00:00+02:00").is_ok());
        // The date as written, not in UTC.
        assert!(parse_when("1900-01-01T00:30:00+01:00").is_ok());
        assert!(parse_when("2199-12-31T23:30:00-05:00").is_ok());
        assert_eq!(parse_day("1985-04-12"), Ok(NaiveDate::from_ymd_opt(1985, 4, 12).unwrap()));
        assert!(parse_day("2024-02-30").unwrap_err().contains("is not a date"));
    }

    #[test]
    fn the_progress_line_says_rows_rate_and_percent() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
        let mut p = Progress::with(false, Some(2_000));
        p.n = 50_000;
        let line = p.line(500, std::time::Duration::from_secs(2));
        assert_eq!(line, "50,000 rows read, 25,000 rows/s, 25%");
        let p = Progress::with(false, None);
        assert!(!p.line(10, std::time::Duration::ZERO).contains('%'));
    }
}
