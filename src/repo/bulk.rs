//! Bulk loading of a generated base (`rapport demo --scale`): millions of
//! rows written through a handful of prepared statements in one
//! transaction, without the per-row audit entries of the normal insert path
//! (the load as a whole gets one entry).
//!
//! Rows are written as they are given, so the same input makes the same
//! base: no wall-clock time is stored except in that one audit entry.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Statement, Transaction, TransactionBehavior, params};

use super::{Repo, RepoError, Result, audit, band_totals, date_text, search_index, transactions, ts};
use crate::domain::model::{CustomerKind, DealStatus, ReminderKind, ReminderStatus, TxKind};
use crate::domain::money::Money;
use crate::domain::text::{fold, phone_digits, sanitize};

/// A customer as the bulk load writes it. `id` is given: the load starts
/// from an empty base, so ids are 1, 2, 3, ... in the order written.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkCustomer<'a> {
    pub id: i64,
    pub external_id: &'a str,
    pub kind: CustomerKind,
    pub name: &'a str,
    pub company: Option<&'a str>,
    pub email: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub city: &'a str,
    pub country: &'a str,
    pub owner: &'a str,
    pub vip_level: Option<&'a str>,
    pub credit_limit: Option<Money>,
    pub created_at: DateTime<Utc>,
}

/// A deal with its whole stage history.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkDeal<'a> {
    pub customer_id: i64,
    pub title: &'a str,
    pub amount: Money,
    pub status: DealStatus,
    pub probability_pct: Option<u8>,
    pub expected_close: Option<NaiveDate>,
    pub competitors: Option<&'a str>,
    pub owner: &'a str,
    pub next_step: Option<&'a str>,
    /// Why it was won or lost (written on the closing move too).
    pub close_reason: Option<&'a str>,
    /// The stages it went through, the first at its creation, each with its
    /// time (not decreasing); the last is the stage it is in ("Won" or
    /// "Lost" when closed).
    pub moves: &'a [(&'a str, DateTime<Utc>)],
}

#[derive(Debug, Clone, PartialEq)]
pub struct BulkReminder<'a> {
    pub customer_id: i64,
    pub kind: ReminderKind,
    pub due_at: DateTime<Utc>,
    pub note: &'a str,
    pub owner: &'a str,
    pub status: ReminderStatus,
    pub done_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// How many rows a bulk load wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BulkCounts {
    pub customers: usize,
    pub transactions: usize,
    pub deals: usize,
    pub deal_moves: usize,
    pub reminders: usize,
}

/// The page cache during a bulk load (negative: KiB): 64 MiB.
const LOAD_CACHE_KIB: i64 = -65_536;

/// The page cache (and so the sorter's memory) while the deferred indexes
/// are built: 16 MiB.
const INDEX_BUILD_CACHE_KIB: i64 = -16_384;

/// Indexes whose keys arrive in random order during a load (names, times,
/// due dates): dropped at the start and built again in one sorted pass
/// before the load commits, inside its transaction. The other indexes
/// receive their keys in ascending order (ids, customer ids) and are kept.
const DEFERRED_INDEXES: &[&str] = &[
    "customers_sort",
    "transactions_time",
    "transactions_window_sales",
    "transactions_window_costs",
    "reminders_due",
    "customers_phone_key",
    "customers_email_key",
];

/// One bulk load in progress, inside its transaction; see [`Repo::bulk_load`].
pub struct BulkLoad<'a> {
    tx: &'a Transaction<'a>,
    customer: Statement<'a>,
    transaction: Statement<'a>,
    deal: Statement<'a>,
    deal_move: Statement<'a>,
    reminder: Statement<'a>,
    /// Adds to a customer's `customer_money` row.
    money: Statement<'a>,
    /// The money of the transactions written since the last flush, all of
    /// one customer (a load usually writes a customer's transactions
    /// together: one row written per customer, not one per transaction).
    money_run: Option<(i64, [i64; 6])>,
    counts: BulkCounts,
    next_customer: i64,
    /// Reused for the search text of each customer.
    search: String,
}

impl<'a> BulkLoad<'a> {
    fn new(tx: &'a Transaction<'a>) -> Result<BulkLoad<'a>> {
        Ok(BulkLoad {
            tx,
            customer: tx.prepare(
                "INSERT INTO customers (id, external_id, kind, name, company, email, phone, city, country, owner,
                     credit_limit, vip_level, sort_key, search_text, phone_digits, phone_key, email_key, created_at,
                     updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?18)",
            )?,
            transaction: tx.prepare(
                "INSERT INTO transactions (customer_id, kind, amount, occurred_at, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?4, ?4)",
            )?,
            deal: tx.prepare(
                "INSERT INTO deals (customer_id, title, amount, stage, probability_pct, expected_close, competitors,
                     owner, next_step, status, close_reason, closed_at, stage_changed_at, last_activity_at, version,
                     created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13, ?14, ?15, ?13)",
            )?,
            deal_move: tx.prepare(
                "INSERT INTO deal_stage_history (deal_id, from_stage, to_stage, changed_at, agent, reason)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?,
            reminder: tx.prepare(
                "INSERT INTO reminders (customer_id, kind, due_at, note, owner, status, done_at, version,
                     created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?,
            money: tx.prepare(transactions::ADD_MONEY)?,
            money_run: None,
            counts: BulkCounts::default(),
            next_customer: 1,
            search: String::new(),
        })
    }

    /// Writes a customer with the search columns the normal insert path
    /// gives it ([`super::customers::refresh_search`] of a customer without
    /// contacts). Ids must come 1, 2, 3, ...
    pub fn customer(&mut self, c: &BulkCustomer) -> Result<()> {
        if c.id != self.next_customer {
            return Err(RepoError::Invalid(format!("bulk customer ids go in order: expected {}", self.next_customer)));
        }
        let name = c.name.trim();
        if name.is_empty() {
            return Err(RepoError::Invalid("a customer needs a name".into()));
        }
        let sort_key = fold_clean(sanitize(name).trim());
        self.search.clear();
        for part in [Some(name), c.company, c.email].into_iter().flatten().filter(|s| !s.is_empty()) {
            if !self.search.is_empty() {
                self.search.push_str(" | ");
            }
            self.search.push_str(part);
        }
        let search_text = fold_clean(&sanitize(&self.search));
        let digits = phone_digits(c.phone.unwrap_or(""));
        let (phone_key, email_key) = super::duplicates::own_keys(&digits, c.email);
        self.customer.execute(params![
            c.id,
            c.external_id,
            c.kind.code(),
            name,
            c.company,
            c.email,
            c.phone,
            c.city,
            c.country,
            c.owner,
            c.credit_limit.map(|m| m.0),
            c.vip_level,
            sort_key,
            search_text,
            digits,
            phone_key,
            email_key,
            ts(c.created_at)
        ])?;
        self.next_customer += 1;
        self.counts.customers += 1;
        Ok(())
    }

    /// Writes a transaction; `amount` is unsigned, the kind gives the sign.
    pub fn transaction(&mut self, customer_id: i64, kind: TxKind, amount: Money, at: DateTime<Utc>) -> Result<()> {
        if amount.0 < 0 {
            return Err(RepoError::Invalid("type the amount without a sign; the kind gives it".into()));
        }
        let signed = amount.0 * kind.sign();
        self.transaction.execute(params![customer_id, kind.code(), signed, ts(at)])?;
        self.counts.transactions += 1;
        let share = transactions::money_share(kind.code(), signed);
        match &mut self.money_run {
            Some((id, sum)) if *id == customer_id => sum.iter_mut().zip(share).for_each(|(s, x)| *s += x),
            _ => {
                self.flush_money()?;
                self.money_run = Some((customer_id, share));
            }
        }
        Ok(())
    }

    /// Adds the pending run of money to its customer's totals.
    fn flush_money(&mut self) -> Result<()> {
        if let Some((id, [n, sales, sales_in, credits, credits_abs, settled])) = self.money_run.take() {
            self.money.execute(params![id, n, sales, sales_in, credits, credits_abs, settled])?;
        }
        Ok(())
    }

    /// Writes a deal and its stage history (one row per move, the first
    /// from no stage).
    pub fn deal(&mut self, d: &BulkDeal) -> Result<i64> {
        let (Some(first), Some(last)) = (d.moves.first(), d.moves.last()) else {
            return Err(RepoError::Invalid("a deal needs at least its first stage".into()));
        };
        if d.amount.0 < 0 || d.probability_pct.is_some_and(|p| p > 100) {
            return Err(RepoError::Invalid("a deal's amount or probability is out of range".into()));
        }
        let closed_at = (d.status != DealStatus::Open).then(|| ts(last.1));
        self.deal.execute(params![
            d.customer_id,
            d.title,
            d.amount.0,
            last.0,
            d.probability_pct,
            d.expected_close.map(date_text),
            d.competitors,
            d.owner,
            d.next_step,
            d.status.code(),
            d.close_reason,
            closed_at,
            ts(last.1),
            d.moves.len() as i64,
            ts(first.1)
        ])?;
        let id = self.tx.last_insert_rowid();
        let mut from: Option<&str> = None;
        for (k, (stage, at)) in d.moves.iter().enumerate() {
            let reason = if k + 1 == d.moves.len() && d.status != DealStatus::Open { d.close_reason } else { None };
            self.deal_move.execute(params![id, from, stage, ts(*at), d.owner, reason])?;
            from = Some(stage);
        }
        self.counts.deals += 1;
        self.counts.deal_moves += d.moves.len();
        Ok(id)
    }

    pub fn reminder(&mut self, r: &BulkReminder) -> Result<()> {
        let version = if r.status == ReminderStatus::Open { 1 } else { 2 };
        let updated = r.done_at.unwrap_or(r.created_at);
        self.reminder.execute(params![
            r.customer_id,
            r.kind.code(),
            ts(r.due_at),
            r.note,
            r.owner,
            r.status.code(),
            r.done_at.map(ts),
            version,
            ts(r.created_at),
            ts(updated)
        ])?;
        self.counts.reminders += 1;
        Ok(())
    }

    /// What was written so far.
    pub fn counts(&self) -> BulkCounts {
        self.counts
    }
}

/// [`fold`] of text that [`sanitize`] already went through, without the
/// Unicode tables when it is ASCII (the same result: folding ASCII is
/// lower-casing it).
fn fold_clean(s: &str) -> String {
    if s.is_ascii() { s.to_ascii_lowercase() } else { fold(s) }
}

impl Repo {
    /// Runs `f` with a [`BulkLoad`] in one `BEGIN IMMEDIATE` transaction,
    /// into a base without customers (`RepoError::Invalid` otherwise).
    /// The indexes whose keys arrive in random order are built again in one
    /// pass at the end, inside the transaction, so other agents see them
    /// all along and a failed load leaves the base as it was. The money
    /// triggers are dropped too, and created again at the end: the load
    /// adds each customer's transactions to `customer_money` itself. The
    /// load gets
    /// one audit entry (entity "demo", action "demo_scale", `summary` as its
    /// changes). Afterwards the write-ahead log is checkpointed and cut
    /// back, so a load of gigabytes does not leave a log of gigabytes.
    pub fn bulk_load<T>(
        &mut self,
        summary: serde_json::Value,
        f: impl FnOnce(&mut BulkLoad) -> Result<T>,
    ) -> Result<(T, BulkCounts)> {
        if self.read_only {
            return Err(RepoError::ReadOnly);
        }
        let cache: i64 = self.conn.query_row("PRAGMA cache_size", [], |r| r.get(0))?;
        let checks: bool = self.conn.query_row("PRAGMA ignore_check_constraints", [], |r| r.get(0))?;
        self.conn.pragma_update(None, "cache_size", LOAD_CACHE_KIB)?;
        // The schema's `CHECK (x IN (...))` constraints cost SQLite a
        // temporary b-tree per list on every insert, more than the insert
        // itself. Every value written to those columns comes from a typed
        // enum's code(), so they cannot fail here: skip them for the load.
        self.conn.pragma_update(None, "ignore_check_constraints", true)?;
        let agent = self.agent.clone();
        let out = self.bulk_in_transaction(&agent, summary, f);
        self.conn.pragma_update(None, "ignore_check_constraints", checks)?;
        self.conn.pragma_update(None, "cache_size", cache)?;
        let out = out?;
        // Best effort: a reader still on the old log keeps it alive.
        let _ = self.conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
        Ok(out)
    }

    fn bulk_in_transaction<T>(
        &mut self,
        agent: &str,
        mut summary: serde_json::Value,
        f: impl FnOnce(&mut BulkLoad) -> Result<T>,
    ) -> Result<(T, BulkCounts)> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let existing: i64 = tx.query_row("SELECT count(*) FROM customers", [], |r| r.get(0))?;
        if existing > 0 {
            return Err(RepoError::Invalid(format!(
                "{} already holds {existing} customer(s); a generated base only goes into an empty database \
                 (choose a new file with --db)",
                self.path.display()
            )));
        }
        let deferred: Vec<String> = {
            let mut st = tx.prepare("SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL")?;
            let all: Vec<(String, String)> =
                st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?;
            all.into_iter().filter(|(name, _)| DEFERRED_INDEXES.contains(&name.as_str())).map(|(_, sql)| sql).collect()
        };
        for name in DEFERRED_INDEXES {
            tx.execute_batch(&format!("DROP INDEX IF EXISTS {name}"))?;
        }
        let triggers = transactions::suspend_money_triggers(&tx)?;
        let bands = band_totals::suspend(&tx)?;
        let due_days = super::reminder_days::suspend(&tx)?;
        search_index::suspend(&tx)?;
        let (out, counts) = {
            let mut load = BulkLoad::new(&tx)?;
            let out = f(&mut load)?;
            load.flush_money()?;
            (out, load.counts)
        };
        // SQLite sorts in memory up to the page cache's size before it
        // spills sorted runs to a temporary file.
        tx.pragma_update(None, "cache_size", INDEX_BUILD_CACHE_KIB)?;
        for sql in deferred {
            tx.execute_batch(&sql)?;
        }
        transactions::restore_money_triggers(&tx, triggers)?;
        band_totals::restore(&tx, bands)?;
        super::reminder_days::restore(&tx, due_days)?;
        search_index::rebuild(&tx)?;
        if let Some(m) = summary.as_object_mut() {
            m.insert("customers".into(), counts.customers.into());
            m.insert("transactions".into(), counts.transactions.into());
            m.insert("deals".into(), counts.deals.into());
            m.insert("reminders".into(), counts.reminders.into());
        }
        audit::record(&tx, agent, "demo_scale", "demo", counts.customers as i64, summary)?;
        tx.commit()?;
        Ok((out, counts))
    }

    /// The number of rows of every table, by table name (for checks and
    /// summaries of generated bases).
    pub fn row_counts(&self) -> Result<Vec<(String, i64)>> {
        let tables: Vec<String> = {
            let mut st = self.conn.prepare(
                "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
            )?;
            st.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?
        };
        let mut out = Vec::with_capacity(tables.len());
        for t in tables {
            let n: i64 =
                self.conn
                    .query_row(&format!("SELECT count(*) FROM \"{}\"", t.replace('"', "\"\"")), [], |r| r.get(0))?;
            out.push((t, n));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// The search columns and the own duplicate keys.
    type Columns = (String, String, String, Option<String>, Option<String>);

    fn columns(repo: &Repo, id: i64) -> Columns {
        repo.conn()
            .query_row(
                "SELECT sort_key, search_text, phone_digits, phone_key, email_key FROM customers WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .unwrap()
    }

    #[test]
    fn bulk_customers_get_the_search_columns_refresh_search_gives() {
        let dir = tempfile::tempdir().unwrap();
        let mut repo = Repo::open(&dir.path().join("t.db"), "test").unwrap();
        let at = Utc.with_ymd_and_hms(2025, 1, 2, 10, 0, 0).unwrap();
        let people = [
            ("Zoë Ångström", Some("Smith, Jones & Co"), Some("ZOE@example.fr"), Some("+1 (514) 721-4711")),
            ("山田太郎", None, Some("taro.yamada@example.com"), Some("+81 3-1234-5678")),
            ("Łukasz Żółć", Some("Bałtyk Sp. z o.o."), None, None),
            ("  Bob \u{1b}[31mEscape ", None, Some(""), Some("416.555.0199")),
            ("Familie Groß", None, Some("gross.family3@example.de"), None),
        ];
        let ((), counts) = repo
            .bulk_load(serde_json::json!({}), |b| {
                for (i, (name, company, email, phone)) in people.iter().enumerate() {
                    b.customer(&BulkCustomer {
                        id: i as i64 + 1,
                        external_id: &format!("x{i}"),
                        kind: CustomerKind::Individual,
                        name,
                        company: *company,
                        email: *email,
                        phone: *phone,
                        city: "Montréal",
                        country: "Canada",
                        owner: "alice",
                        vip_level: None,
                        credit_limit: None,
                        created_at: at,
                    })?;
                }
                Ok(())
            })
            .unwrap();
        assert_eq!(counts.customers, people.len());
        for id in 1..=people.len() as i64 {
            let loaded = columns(&repo, id);
            repo.write(|tx, _| super::super::customers::refresh_search(tx, id)).unwrap();
            assert_eq!(loaded, columns(&repo, id), "customer {id}");
        }
        // The deferred indexes are back, the checks in force again.
        for name in DEFERRED_INDEXES {
            let n: i64 = repo
                .conn()
                .query_row("SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name = ?1", [name], |r| {
                    r.get(0)
                })
                .unwrap();
            assert_eq!(n, 1, "{name}");
        }
        assert!(repo.conn().execute("UPDATE customers SET kind = 'nonsense'", []).is_err());
        // A second load into a base with customers is refused, and changes nothing.
        let again = repo.bulk_load(serde_json::json!({}), |_| Ok(()));
        assert!(matches!(again, Err(RepoError::Invalid(_))), "{again:?}");
        let audits: i64 = repo
            .conn()
            .query_row("SELECT count(*) FROM audit_log WHERE action = 'demo_scale'", [], |r| r.get(0))
            .unwrap();
        assert_eq!(audits, 1);
    }
}
