//! Bulk import: many records in one transaction, matched to what is already
//! there so that importing the same file again updates instead of
//! duplicating. Statements are prepared once and reused; the audit log gets
//! one summary entry per import (entity "import"), not one per row.
//!
//! Matching, per kind:
//! - a record with an external id matches the row with that external id;
//! - a customer without one matches a customer without one of the same name
//!   (and the same email, when the record gives an email column);
//! - a contact without one matches a contact without one of the same
//!   customer and name;
//! - a transaction without one matches a transaction without one of the
//!   same customer, time, kind, amount (and reference, when given).
//!
//! Rows without an external id are matched one to one against rows that
//! existed before the import: two identical rows in a file are two records,
//! and importing that file again matches each to one of them.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};

use super::{Repo, RepoError, Result, audit, customers, date_text, transactions, ts};
use crate::domain::model::{CustomerKind, CustomerStatus, Tier, TxKind};
use crate::domain::money::Money;
use crate::domain::text::{fold, phone_digits, sanitize};

/// A field as a file gives it: `None` when the file has no such column
/// (the stored value is kept), `Some(None)` for an empty cell (the value is
/// cleared), `Some(Some(v))` for a value.
pub type Cell<T> = Option<Option<T>>;

/// How a record names its customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomerRef {
    /// By the customer's external id.
    External(String),
    /// By the customer's exact name (which must be unique).
    Name(String),
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct CustomerRecord {
    pub external_id: Option<String>,
    pub name: String,
    /// `None`: individual for a new customer, unchanged for an existing one.
    pub kind: Option<CustomerKind>,
    pub company: Cell<String>,
    pub email: Cell<String>,
    pub phone: Cell<String>,
    pub city: Cell<String>,
    pub country: Cell<String>,
    pub owner: Cell<String>,
    pub status: Option<CustomerStatus>,
    pub tier_pin: Cell<Tier>,
    pub credit_limit: Cell<Money>,
    pub on_hold: Option<bool>,
    pub vip_level: Cell<String>,
    pub note: Cell<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ContactRecord {
    pub external_id: Option<String>,
    pub customer: CustomerRef,
    pub name: String,
    pub role: Cell<String>,
    pub email: Cell<String>,
    pub phone: Cell<String>,
    pub birthday: Cell<NaiveDate>,
    pub status: Option<CustomerStatus>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TransactionRecord {
    pub external_id: Option<String>,
    pub customer: CustomerRef,
    pub kind: TxKind,
    /// Signed as stored (see [`TxKind::sign`]).
    pub amount: Money,
    pub occurred_at: DateTime<Utc>,
    pub reference: Cell<String>,
    pub note: Cell<String>,
}

/// What importing one record did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    Added(i64),
    Updated(i64),
    /// It matched a row that already held exactly this.
    Unchanged(i64),
}

/// Why a record was refused, and which of its fields is at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    pub field: &'static str,
    pub reason: String,
}

/// Row ids already matched in this import, as a bitset.
#[derive(Default)]
struct Claimed(Vec<u64>);

impl Claimed {
    fn has(&self, id: i64) -> bool {
        let i = id.max(0) as usize;
        self.0.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0)
    }
    fn claim(&mut self, id: i64) {
        let i = id.max(0) as usize;
        if self.0.len() <= i / 64 {
            self.0.resize(i / 64 + 1, 0);
        }
        self.0[i / 64] |= 1 << (i % 64);
    }
    /// The claimed ids, ascending.
    fn ids(&self) -> impl Iterator<Item = i64> + '_ {
        self.0
            .iter()
            .enumerate()
            .flat_map(|(w, bits)| (0..64).filter(move |b| bits & (1 << b) != 0).map(move |b| (w * 64 + b) as i64))
    }
}

/// The stored fields of a customer that an import can change.
#[derive(Debug, Clone, PartialEq)]
struct CustomerFields {
    kind: String,
    name: String,
    company: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    city: Option<String>,
    country: Option<String>,
    owner: Option<String>,
    status: String,
    tier_pin: Option<String>,
    credit_limit: Option<i64>,
    on_hold: bool,
    vip_level: Option<String>,
    note: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
struct ContactFields {
    customer_id: i64,
    name: String,
    role: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    birthday: Option<String>,
    status: String,
}

#[derive(Debug, Clone, PartialEq)]
struct TransactionFields {
    customer_id: i64,
    kind: String,
    amount: i64,
    occurred_at: i64,
    reference: Option<String>,
    note: Option<String>,
}

fn set<T: Clone>(cur: &mut Option<T>, cell: &Cell<T>) {
    if let Some(v) = cell {
        *cur = v.clone();
    }
}

/// The folded name the customers' sort index holds.
fn sort_key(name: &str) -> String {
    fold(sanitize(name.trim()).trim())
}

/// Sort key, search text and phone digits of a customer who has no
/// contacts yet: what [`customers::refresh_search`] would store, computed
/// before the insert so a new row is written once instead of inserted and
/// then rewritten (half the index work of a bulk load). The unit tests below
/// fail if the two ever disagree.
///
/// The common case (no control characters anywhere, a trimmed name) folds
/// each part once, ASCII without Unicode tables, and joins the folded parts:
/// folding works character by character and the " | " separators are
/// plain starters, so that is the same text as folding the joined parts.
fn new_customer_search(
    name: &str,
    company: Option<&str>,
    email: Option<&str>,
    phone: Option<&str>,
) -> (String, String, String) {
    let parts = || [Some(name), company, email].into_iter().flatten().filter(|s| !s.is_empty());
    let digits = phone_digits(phone.unwrap_or(""));
    if name.trim() != name || !parts().all(is_clean) {
        let text: Vec<&str> = parts().collect();
        return (sort_key(name), fold(&sanitize(&text.join(" | "))), digits);
    }
    let sort = fast_fold(name);
    let mut search = String::with_capacity(name.len() + company.map_or(0, str::len) + email.map_or(0, str::len) + 6);
    let mut first = true;
    for (i, part) in [Some(name), company, email].into_iter().enumerate() {
        let Some(part) = part.filter(|s| !s.is_empty()) else { continue };
        if !std::mem::take(&mut first) {
            search.push_str(" | ");
        }
        if i == 0 {
            search.push_str(&sort);
        } else {
            fold_into(part, &mut search);
        }
    }
    (sort, search, digits)
}

/// Whether [`sanitize`] leaves `s` as it is (no control characters, no
/// bidi controls).
fn is_clean(s: &str) -> bool {
    s.chars().all(|c| {
        !(c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}'))
    })
}

/// [`fold`], without the Unicode tables when every character is ASCII or
/// a CJK unified ideograph: both are starters that NFKD leaves alone, so
/// folding them is lower-casing ASCII and keeping ideographs as they are.
fn fast_fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    fold_into(s, &mut out);
    out
}

fn fold_into(s: &str, out: &mut String) {
    if s.is_ascii() {
        out.extend(s.bytes().map(|b| char::from(b.to_ascii_lowercase())));
    } else if s.chars().all(|c| c.is_ascii() || ('\u{4e00}'..='\u{9fff}').contains(&c)) {
        out.extend(s.chars().map(|c| c.to_ascii_lowercase()));
    } else {
        out.push_str(&fold(s));
    }
}

/// One import in progress, inside its transaction; see [`Repo::import`].
pub struct Importer<'a> {
    tx: &'a Transaction<'a>,
    now: i64,
    /// The highest ids before the import: only older rows are matched
    /// without an external id.
    max_customer: i64,
    max_contact: i64,
    max_transaction: i64,
    claimed_customers: Claimed,
    claimed_contacts: Claimed,
    claimed_transactions: Claimed,
    /// Customers whose search text needs rebuilding (their contacts changed).
    touched: BTreeSet<i64>,
    /// The customer insert, prepared once: the hottest statement of a bulk
    /// load, kept here rather than looked up in the statement cache by its
    /// text on every row.
    insert_customer: Option<rusqlite::Statement<'a>>,
    /// Indexes dropped for a bulk load (their `CREATE INDEX` text), built
    /// again before the import commits; see
    /// [`Importer::defer_customer_indexes`].
    deferred: Vec<String>,
    /// The customers' triggers dropped with the deferred indexes (the band
    /// totals' and the search index's), created again with them.
    deferred_triggers: Vec<String>,
    /// The customers' insert triggers dropped for a bulk load into a base
    /// with customers ([`Importer::defer_insert_triggers`]).
    deferred_inserts: Vec<String>,
    /// Where the search index was before that load left the new customers
    /// out of it.
    indexed_upto: Option<i64>,
    /// The money triggers, dropped at the first transaction written (see
    /// [`transactions::suspend_money_triggers`]) and created again before
    /// the import commits.
    money_triggers: Option<Vec<String>>,
    /// Customers whose transactions were added, changed or taken away:
    /// their `customer_money` row is summed again before the import commits.
    money_touched: Claimed,
}

impl<'a> Importer<'a> {
    fn new(tx: &'a Transaction<'a>) -> Result<Importer<'a>> {
        let max = |table: &str| -> Result<i64> {
            Ok(tx.query_row(&format!("SELECT coalesce(max(id), 0) FROM {table}"), [], |r| r.get(0))?)
        };
        Ok(Importer {
            tx,
            now: Utc::now().timestamp(),
            max_customer: max("customers")?,
            max_contact: max("contacts")?,
            max_transaction: max("transactions")?,
            claimed_customers: Claimed::default(),
            claimed_contacts: Claimed::default(),
            claimed_transactions: Claimed::default(),
            touched: BTreeSet::new(),
            insert_customer: None,
            deferred: Vec::new(),
            deferred_triggers: Vec::new(),
            deferred_inserts: Vec::new(),
            indexed_upto: None,
            money_triggers: None,
            money_touched: Claimed::default(),
        })
    }

    /// The customer a record names, or why it names none.
    pub fn resolve(&self, r: &CustomerRef) -> Result<std::result::Result<i64, Reject>> {
        match r {
            CustomerRef::External(x) => {
                let id: Option<i64> = self
                    .tx
                    .prepare_cached("SELECT id FROM customers WHERE external_id = ?1")?
                    .query_row([x], |r| r.get(0))
                    .optional()?;
                Ok(id.ok_or_else(|| Reject {
                    field: "customer_external_id",
                    reason: format!("unknown customer: no customer has external id \"{x}\""),
                }))
            }
            CustomerRef::Name(name) => {
                let ids = self.customers_named(name)?;
                Ok(match ids.as_slice() {
                    [id] => Ok(*id),
                    [] => Err(Reject {
                        field: "customer",
                        reason: format!("unknown customer: nobody is named \"{name}\""),
                    }),
                    _ => Err(Reject {
                        field: "customer",
                        reason: format!(
                            "{} customers are named \"{name}\"; give customer_external_id instead",
                            ids.len()
                        ),
                    }),
                })
            }
        }
    }

    /// Ids and kinds of the customers with exactly this name.
    fn customers_named_with_kind(&self, name: &str) -> Result<Vec<(i64, String)>> {
        let mut st = self.tx.prepare_cached(
            "SELECT id, kind FROM customers WHERE status IN ('active', 'archived') AND sort_key = ?1 AND name = ?2
             ORDER BY id LIMIT 50",
        )?;
        let rows = st.query_map(params![sort_key(name), name.trim()], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn customers_named(&self, name: &str) -> Result<Vec<i64>> {
        Ok(self.customers_named_with_kind(name)?.into_iter().map(|(id, _)| id).collect())
    }

    /// The customer a vCard belongs to: by external id when given and
    /// known, else by exact name (preferring customers of `kind` when
    /// several share it), else a new customer of `kind` with that name (and
    /// that external id).
    /// Returns the id and whether it was created.
    pub fn customer_for_card(
        &mut self,
        external_id: Option<&str>,
        name: &str,
        kind: CustomerKind,
    ) -> Result<std::result::Result<(i64, bool), Reject>> {
        if let Some(x) = external_id
            && let Ok(id) = self.resolve(&CustomerRef::External(x.to_string()))?
        {
            return Ok(Ok((id, false)));
        }
        let found = self.customers_named_with_kind(name)?;
        let same_kind: Vec<i64> = found.iter().filter(|(_, k)| k == kind.code()).map(|(id, _)| *id).collect();
        match (found.as_slice(), same_kind.as_slice()) {
            ([], _) => {
                let rec = CustomerRecord {
                    external_id: external_id.map(str::to_string),
                    name: name.trim().to_string(),
                    kind: Some(kind),
                    ..Default::default()
                };
                let id = self.insert_customer(&rec)?.ok_or_else(|| conflict(&rec))?;
                Ok(Ok((id, true)))
            }
            ([(id, _)], _) | (_, [id]) => Ok(Ok((*id, false))),
            (many, _) => Ok(Err(Reject {
                field: "ORG",
                reason: format!("{} customers are named \"{}\"; cannot tell which one", many.len(), name.trim()),
            })),
        }
    }

    /// Adds or updates a customer.
    pub fn customer(&mut self, r: &CustomerRecord) -> Result<Applied> {
        if r.name.trim().is_empty() {
            return Err(RepoError::Invalid("a customer needs a name".into()));
        }
        if self.max_customer == 0 {
            // The base had no customers: the only rows a record can match
            // are rows this import added, and only by external id (rows
            // without one match older rows only). Insert first; the unique
            // external id says when the file repeats one.
            if let Some(id) = self.insert_customer(r)? {
                return Ok(Applied::Added(id));
            }
        }
        let existing = match &r.external_id {
            Some(x) => self
                .tx
                .prepare_cached("SELECT id FROM customers WHERE external_id = ?1")?
                .query_row([x], |r| r.get(0))
                .optional()?,
            None => self.match_customer(r)?,
        };
        let Some(id) = existing else {
            return Ok(Applied::Added(self.insert_customer(r)?.ok_or_else(|| conflict(r))?));
        };
        let old = self
            .tx
            .prepare_cached(
                "SELECT kind, name, company, email, phone, city, country, owner, status, tier_pin, credit_limit,
                        on_hold, vip_level, note FROM customers WHERE id = ?1",
            )?
            .query_row([id], |row| {
                Ok(CustomerFields {
                    kind: row.get(0)?,
                    name: row.get(1)?,
                    company: row.get(2)?,
                    email: row.get(3)?,
                    phone: row.get(4)?,
                    city: row.get(5)?,
                    country: row.get(6)?,
                    owner: row.get(7)?,
                    status: row.get(8)?,
                    tier_pin: row.get(9)?,
                    credit_limit: row.get(10)?,
                    on_hold: row.get(11)?,
                    vip_level: row.get(12)?,
                    note: row.get(13)?,
                })
            })?;
        let mut new = old.clone();
        if let Some(k) = r.kind {
            new.kind = k.code().to_string();
        }
        new.name = r.name.trim().to_string();
        set(&mut new.company, &r.company);
        set(&mut new.email, &r.email);
        set(&mut new.phone, &r.phone);
        set(&mut new.city, &r.city);
        set(&mut new.country, &r.country);
        set(&mut new.owner, &r.owner);
        if let Some(s) = r.status {
            new.status = s.code().to_string();
        }
        if let Some(t) = &r.tier_pin {
            new.tier_pin = t.map(|t| t.code().to_string());
        }
        if let Some(c) = &r.credit_limit {
            new.credit_limit = c.map(|m| m.0);
        }
        if let Some(h) = r.on_hold {
            new.on_hold = h;
        }
        set(&mut new.vip_level, &r.vip_level);
        set(&mut new.note, &r.note);
        if new == old {
            return Ok(Applied::Unchanged(id));
        }
        self.tx
            .prepare_cached(
                "UPDATE customers SET kind = ?2, name = ?3, company = ?4, email = ?5, phone = ?6, city = ?7,
                 country = ?8, owner = ?9, status = ?10, tier_pin = ?11, credit_limit = ?12, on_hold = ?13,
                 vip_level = ?14, note = ?15, version = version + 1, updated_at = ?16
             WHERE id = ?1",
            )?
            .execute(params![
                id,
                new.kind,
                new.name,
                new.company,
                new.email,
                new.phone,
                new.city,
                new.country,
                new.owner,
                new.status,
                new.tier_pin,
                new.credit_limit,
                new.on_hold,
                new.vip_level,
                new.note,
                self.now
            ])?;
        customers::refresh_search(self.tx, id)?;
        Ok(Applied::Updated(id))
    }

    /// A customer without an external id that existed before this import,
    /// has the record's name (and email, when given), and is not matched yet.
    fn match_customer(&mut self, r: &CustomerRecord) -> Result<Option<i64>> {
        let email: Option<String> = r.email.as_ref().map(|e| e.as_deref().unwrap_or("").to_lowercase());
        let mut st = self.tx.prepare_cached(
            "SELECT id FROM customers
             WHERE status IN ('active', 'archived') AND sort_key = ?1 AND name = ?2 AND external_id IS NULL
               AND (?3 IS NULL OR coalesce(lower(email), '') = ?3) AND id <= ?4
             ORDER BY id",
        )?;
        let mut rows = st.query(params![sort_key(&r.name), r.name.trim(), email, self.max_customer])?;
        while let Some(row) = rows.next()? {
            let id: i64 = row.get(0)?;
            if !self.claimed_customers.has(id) {
                self.claimed_customers.claim(id);
                return Ok(Some(id));
            }
        }
        Ok(None)
    }

    /// Inserts a new customer; `None` when a customer already has the
    /// record's external id (nothing is written then).
    fn insert_customer(&mut self, r: &CustomerRecord) -> Result<Option<i64>> {
        fn text(c: &Cell<String>) -> Option<&str> {
            c.as_ref().and_then(|v| v.as_deref())
        }
        let (company, email, phone) = (text(&r.company), text(&r.email), text(&r.phone));
        let name = r.name.trim();
        let (sort, search, digits) = new_customer_search(name, company, email, phone);
        let (phone_key, email_key) = super::duplicates::own_keys(&digits, email);
        let tx: &'a Transaction<'a> = self.tx;
        let st = match &mut self.insert_customer {
            Some(st) => st,
            None => self.insert_customer.insert(tx.prepare(
                // OR IGNORE: a repeated external id writes nothing (and,
                // unlike an aborting insert, needs no statement journal).
                "INSERT OR IGNORE INTO customers (external_id, kind, name, company, email, phone, city, country,
                     owner, status, tier_pin, credit_limit, on_hold, vip_level, note, sort_key, search_text,
                     phone_digits, phone_key, email_key, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20,
                         ?21, ?21)",
            )?),
        };
        let changed = st.execute(params![
            r.external_id,
            r.kind.unwrap_or(CustomerKind::Individual).code(),
            name,
            company,
            email,
            phone,
            text(&r.city),
            text(&r.country),
            text(&r.owner),
            r.status.unwrap_or(CustomerStatus::Active).code(),
            r.tier_pin.flatten().map(|t| t.code()),
            r.credit_limit.flatten().map(|m| m.0),
            r.on_hold.unwrap_or(false),
            text(&r.vip_level),
            text(&r.note),
            sort,
            search,
            digits,
            phone_key,
            email_key,
            self.now
        ])?;
        Ok((changed == 1).then(|| tx.last_insert_rowid()))
    }

    /// For a bulk load of customers into a base that has none yet: drops
    /// the customers' secondary indexes but the external id's — the sort
    /// index and those of their own duplicate keys (rows arrive in random
    /// order of all three, so keeping them row by row costs a random b-tree
    /// descent and page split per row), and the pyramid's band index (a
    /// descent and a comparison of equal keys per row) — which the import
    /// then builds again in one
    /// sorted pass just before it commits. It all happens inside the
    /// import's transaction: other agents see the indexes all along, and an
    /// import that fails or is rolled back (or a crash) leaves them as they
    /// were. Does nothing if the base has customers (an import into it
    /// looks customers up by name, which needs the index). The search index is
    /// emptied too and left for [`Repo::index_search_step`] to fill after
    /// the commit (search scans meanwhile). Returns whether the indexes
    /// were dropped.
    pub fn defer_customer_indexes(&mut self) -> Result<bool> {
        if self.max_customer != 0 || !self.deferred.is_empty() || !self.deferred_triggers.is_empty() {
            return Ok(false);
        }
        let indexes: Vec<(String, String)> = {
            let mut st = self.tx.prepare(
                "SELECT name, sql FROM sqlite_schema
                 WHERE type = 'index' AND name IN ('customers_sort', 'customers_phone_key', 'customers_email_key', 'customers_band') AND sql IS NOT NULL",
            )?;
            st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<rusqlite::Result<_>>()?
        };
        for (name, sql) in indexes {
            self.tx.execute_batch(&format!("DROP INDEX \"{}\"", name.replace('"', "\"\"")))?;
            self.deferred.push(sql);
        }
        // The search index is caught up after the load, in steps
        // (`Repo::index_search_step`): kept row by row, it would cost about
        // as much again as the load.
        super::search_index::suspend(self.tx)?;
        // A trigger on the insert makes SQLite keep a statement journal
        // (a copy of each page the row changes) for every row; the band
        // totals are counted once at the end instead, and the search
        // index's trigger would do nothing before the catch-up anyway.
        self.deferred_triggers.extend(super::band_totals::suspend(self.tx)?);
        self.deferred_triggers.extend(super::transactions::drop_triggers(self.tx, &["customer_search_add"])?);
        Ok(!self.deferred.is_empty())
    }

    /// For a bulk load of customers into a base that has some already
    /// (many rows expected): the triggers that run for each new customer —
    /// the band totals' count and the search index's insert — are dropped
    /// for the import and put back before it commits, the bands then
    /// counted again in one pass. The new customers are left out of the
    /// search index, for [`Repo::index_search_step`] to add after the
    /// commit (search scans meanwhile), as after a first load. At 95,000
    /// new customers in a 300-customer base: 8.7 s → 1.3 s, nearly all of
    /// it the index's inserts one row at a time and the statement journal
    /// the triggers made SQLite keep. Customers the import updates still
    /// go through their triggers. Does nothing into an empty base (see
    /// [`Importer::defer_customer_indexes`]) or when done already.
    pub fn defer_insert_triggers(&mut self) -> Result<()> {
        if self.max_customer == 0 || !self.deferred_inserts.is_empty() || !self.deferred_triggers.is_empty() {
            return Ok(());
        }
        self.indexed_upto = Some(super::search_index::leave_out_after(self.tx, self.max_customer)?);
        self.deferred_inserts = super::transactions::drop_triggers(self.tx, INSERT_TRIGGERS)?;
        Ok(())
    }

    /// Builds the indexes [`Importer::defer_customer_indexes`] dropped.
    fn rebuild_deferred(&mut self) -> Result<()> {
        // The held statement refers to the table whose schema changes now.
        self.insert_customer = None;
        if !self.deferred.is_empty() {
            // SQLite sorts in memory up to the page cache's size before it
            // spills sorted runs to a temporary file: keep the two together
            // within the memory budget. The dirty pages go to the log first
            // (still uncommitted) so that the smaller cache can free them;
            // the import's cache size is set back after.
            self.tx.cache_flush()?;
            self.tx.pragma_update(None, "cache_size", INDEX_BUILD_CACHE_KIB)?;
            for sql in std::mem::take(&mut self.deferred) {
                self.tx.execute_batch(&sql)?;
            }
        }
        if !self.deferred_triggers.is_empty() {
            super::band_totals::restore(self.tx, std::mem::take(&mut self.deferred_triggers))?;
        }
        if !self.deferred_inserts.is_empty() {
            // New customers have no reminders: only the counts move.
            super::band_totals::recount(self.tx)?;
            super::transactions::create_triggers(self.tx, std::mem::take(&mut self.deferred_inserts))?;
        }
        // No customer was added after all (a file of updates): the index
        // lacks nobody, and search need not scan until a catch-up.
        if let Some(was) = self.indexed_upto.take() {
            let last: i64 = self.tx.query_row("SELECT coalesce(max(id), 0) FROM customers", [], |r| r.get(0))?;
            if last == self.max_customer {
                super::search_index::set_indexed_upto(self.tx, was)?;
            }
        }
        Ok(())
    }

    /// Adds or updates a contact of the customer the record names.
    pub fn contact(&mut self, r: &ContactRecord) -> Result<std::result::Result<Applied, Reject>> {
        match self.resolve(&r.customer)? {
            Ok(customer_id) => Ok(Ok(self.contact_of(customer_id, r)?)),
            Err(rej) => Ok(Err(rej)),
        }
    }

    /// Adds or updates a contact of `customer_id` (the record's own
    /// customer reference is not used).
    pub fn contact_of(&mut self, customer_id: i64, r: &ContactRecord) -> Result<Applied> {
        let name = r.name.trim();
        if name.is_empty() {
            return Err(RepoError::Invalid("a contact needs a name".into()));
        }
        let existing: Option<i64> = match &r.external_id {
            Some(x) => self
                .tx
                .prepare_cached("SELECT id FROM contacts WHERE external_id = ?1")?
                .query_row([x], |r| r.get(0))
                .optional()?,
            None => {
                let mut st = self.tx.prepare_cached(
                    "SELECT id FROM contacts WHERE customer_id = ?1 AND name = ?2 AND external_id IS NULL AND id <= ?3
                     ORDER BY id",
                )?;
                let mut rows = st.query(params![customer_id, name, self.max_contact])?;
                let mut found = None;
                while let Some(row) = rows.next()? {
                    let id: i64 = row.get(0)?;
                    if !self.claimed_contacts.has(id) {
                        found = Some(id);
                        break;
                    }
                }
                if let Some(id) = found {
                    self.claimed_contacts.claim(id);
                }
                found
            }
        };
        self.touched.insert(customer_id);
        let Some(id) = existing else {
            self.tx
                .prepare_cached(
                    "INSERT INTO contacts (customer_id, external_id, name, role, email, phone, birthday, status,
                         created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
                )?
                .execute(params![
                    customer_id,
                    r.external_id,
                    name,
                    r.role.clone().flatten(),
                    r.email.clone().flatten(),
                    r.phone.clone().flatten(),
                    r.birthday.flatten().map(date_text),
                    r.status.unwrap_or(CustomerStatus::Active).code(),
                    self.now
                ])?;
            return Ok(Applied::Added(self.tx.last_insert_rowid()));
        };
        let old = self
            .tx
            .prepare_cached(
                "SELECT customer_id, name, role, email, phone, birthday, status FROM contacts WHERE id = ?1",
            )?
            .query_row([id], |row| {
                Ok(ContactFields {
                    customer_id: row.get(0)?,
                    name: row.get(1)?,
                    role: row.get(2)?,
                    email: row.get(3)?,
                    phone: row.get(4)?,
                    birthday: row.get(5)?,
                    status: row.get(6)?,
                })
            })?;
        let mut new = old.clone();
        new.customer_id = customer_id;
        new.name = name.to_string();
        set(&mut new.role, &r.role);
        set(&mut new.email, &r.email);
        set(&mut new.phone, &r.phone);
        if let Some(b) = &r.birthday {
            new.birthday = b.map(date_text);
        }
        if let Some(s) = r.status {
            new.status = s.code().to_string();
        }
        if new == old {
            return Ok(Applied::Unchanged(id));
        }
        self.touched.insert(old.customer_id);
        self.tx
            .prepare_cached(
                "UPDATE contacts SET customer_id = ?2, name = ?3, role = ?4, email = ?5, phone = ?6, birthday = ?7,
                 status = ?8, version = version + 1, updated_at = ?9 WHERE id = ?1",
            )?
            .execute(params![
                id,
                new.customer_id,
                new.name,
                new.role,
                new.email,
                new.phone,
                new.birthday,
                new.status,
                self.now
            ])?;
        Ok(Applied::Updated(id))
    }

    /// Adds or updates a money transaction.
    pub fn transaction(&mut self, r: &TransactionRecord) -> Result<std::result::Result<Applied, Reject>> {
        let customer_id = match self.resolve(&r.customer)? {
            Ok(id) => id,
            Err(rej) => return Ok(Err(rej)),
        };
        let at = ts(r.occurred_at);
        let existing: Option<i64> = match &r.external_id {
            Some(x) => self
                .tx
                .prepare_cached("SELECT id FROM transactions WHERE external_id = ?1")?
                .query_row([x], |r| r.get(0))
                .optional()?,
            None => {
                let reference: Option<String> = r.reference.as_ref().map(|x| x.clone().unwrap_or_default());
                let mut st = self.tx.prepare_cached(
                    "SELECT id FROM transactions
                     WHERE customer_id = ?1 AND occurred_at = ?2 AND kind = ?3 AND amount = ?4
                       AND (?5 IS NULL OR coalesce(reference, '') = ?5) AND external_id IS NULL AND id <= ?6
                     ORDER BY id",
                )?;
                let mut rows =
                    st.query(params![customer_id, at, r.kind.code(), r.amount.0, reference, self.max_transaction])?;
                let mut found = None;
                while let Some(row) = rows.next()? {
                    let id: i64 = row.get(0)?;
                    if !self.claimed_transactions.has(id) {
                        found = Some(id);
                        break;
                    }
                }
                if let Some(id) = found {
                    self.claimed_transactions.claim(id);
                }
                found
            }
        };
        if self.money_triggers.is_none() {
            self.money_triggers = Some(transactions::suspend_money_triggers(self.tx)?);
        }
        self.money_touched.claim(customer_id);
        let Some(id) = existing else {
            self.tx
                .prepare_cached(
                    "INSERT INTO transactions (customer_id, external_id, kind, amount, occurred_at, reference, note,
                         created_at, updated_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
                )?
                .execute(params![
                    customer_id,
                    r.external_id,
                    r.kind.code(),
                    r.amount.0,
                    at,
                    r.reference.clone().flatten(),
                    r.note.clone().flatten(),
                    self.now
                ])?;
            return Ok(Ok(Applied::Added(self.tx.last_insert_rowid())));
        };
        let old = self
            .tx
            .prepare_cached(
                "SELECT customer_id, kind, amount, occurred_at, reference, note FROM transactions WHERE id = ?1",
            )?
            .query_row([id], |row| {
                Ok(TransactionFields {
                    customer_id: row.get(0)?,
                    kind: row.get(1)?,
                    amount: row.get(2)?,
                    occurred_at: row.get(3)?,
                    reference: row.get(4)?,
                    note: row.get(5)?,
                })
            })?;
        let mut new = old.clone();
        new.customer_id = customer_id;
        new.kind = r.kind.code().to_string();
        new.amount = r.amount.0;
        new.occurred_at = at;
        set(&mut new.reference, &r.reference);
        set(&mut new.note, &r.note);
        if new == old {
            return Ok(Ok(Applied::Unchanged(id)));
        }
        self.money_touched.claim(old.customer_id);
        self.tx
            .prepare_cached(
                "UPDATE transactions SET customer_id = ?2, kind = ?3, amount = ?4, occurred_at = ?5, reference = ?6,
                 note = ?7, version = version + 1, updated_at = ?8 WHERE id = ?1",
            )?
            .execute(params![
                id,
                new.customer_id,
                new.kind,
                new.amount,
                new.occurred_at,
                new.reference,
                new.note,
                self.now
            ])?;
        Ok(Ok(Applied::Updated(id)))
    }

    /// Rebuilds the search text of customers whose contacts changed.
    fn refresh_touched(&mut self) -> Result<()> {
        for id in std::mem::take(&mut self.touched) {
            customers::refresh_search(self.tx, id)?;
        }
        Ok(())
    }

    /// Sums again the money of the customers whose transactions changed,
    /// and creates the money triggers again.
    fn recount_money(&mut self) -> Result<()> {
        let Some(triggers) = self.money_triggers.take() else {
            return Ok(());
        };
        for id in std::mem::take(&mut self.money_touched).ids() {
            transactions::recount_money(self.tx, id)?;
        }
        transactions::restore_money_triggers(self.tx, triggers)
    }
}

/// A customer insert that met an external id already taken, where the
/// lookup just before found none: cannot happen inside the import's
/// transaction, but is an error rather than a panic.
fn conflict(r: &CustomerRecord) -> RepoError {
    RepoError::Invalid(format!("customer external id {:?} is already taken", r.external_id.as_deref().unwrap_or("")))
}

/// The triggers that run for each new customer: the band totals' count
/// and the search index's insert.
const INSERT_TRIGGERS: &[&str] = &["band_totals_add", "customer_search_add"];

/// The page cache during an import, as SQLite's `cache_size` (negative:
/// KiB): 64 MiB.
const IMPORT_CACHE_KIB: i64 = -65_536;

/// The page cache (and so the sorter's memory) while deferred indexes are
/// built: 16 MiB.
const INDEX_BUILD_CACHE_KIB: i64 = -16_384;

/// How an import ends.
#[derive(Debug, Clone, PartialEq)]
pub enum Finish {
    /// Keep what was written, with this summary in the audit log.
    Commit(serde_json::Value),
    /// Write nothing (a dry run, or a strict import that met a bad row).
    Rollback,
}

impl Repo {
    /// Runs `f` with an [`Importer`] in one `BEGIN IMMEDIATE` transaction.
    /// When `f` returns [`Finish::Commit`], everything it wrote is committed
    /// together with one audit entry (entity "import", action "import",
    /// numbered from 1 per base) whose number is returned; on
    /// [`Finish::Rollback`] or an error, nothing stays.
    pub fn import<T>(&mut self, f: impl FnOnce(&mut Importer) -> Result<(T, Finish)>) -> Result<(T, Option<i64>)> {
        if self.read_only {
            return Err(RepoError::ReadOnly);
        }
        let agent = self.agent.clone();
        // A bulk load touches index pages all over: give it a bigger page
        // cache than SQLite's 2 MB default for as long as it runs.
        let cache: i64 = self.conn.query_row("PRAGMA cache_size", [], |r| r.get(0))?;
        self.conn.pragma_update(None, "cache_size", IMPORT_CACHE_KIB)?;
        // The schema's `CHECK (x IN ('a', 'b', 'c'))` constraints make SQLite
        // build a temporary b-tree per list on every insert, which costs more
        // than the insert itself. Every value an import writes to those
        // columns comes from a typed enum's code(), so the checks cannot
        // fail here; skip them for the import only.
        let checks: bool = self.conn.query_row("PRAGMA ignore_check_constraints", [], |r| r.get(0))?;
        self.conn.pragma_update(None, "ignore_check_constraints", true)?;
        let journal = self.rollback_journal_for_a_first_load()?;
        let out = self.import_in_transaction(&agent, f);
        if journal {
            // Back to WAL whatever the import's outcome (and on the next
            // open if this process dies first: `Repo::open` switches too).
            super::enable_wal(&self.conn)?;
        }
        self.conn.pragma_update(None, "ignore_check_constraints", checks)?;
        self.conn.pragma_update(None, "cache_size", cache)?;
        out
    }

    /// For an import into a base with no customers that no other connection
    /// has open: switches the file from WAL to a rollback journal for the
    /// import, and says so. In WAL every page an import writes is written
    /// twice (to the log, then by the checkpoint into the base: a third of
    /// a million-row import's system time and a second of its wall time);
    /// with a rollback journal, SQLite writes the pages of a file that grows
    /// straight into it, and journals only the few pages the file had
    /// before, so a failed import or a crash still leaves the base as it
    /// was (the journal is rolled back on the next open). SQLite refuses
    /// the switch while another connection has the base open: the import
    /// then runs in WAL as usual, so agents reading the base are never
    /// locked out by it. While it runs, an agent opening the base waits
    /// for the import (up to the busy timeout), as with any writer in
    /// rollback mode.
    fn rollback_journal_for_a_first_load(&mut self) -> Result<bool> {
        let empty: bool = self.conn.query_row("SELECT NOT EXISTS (SELECT 1 FROM customers)", [], |r| r.get(0))?;
        if !empty {
            return Ok(false);
        }
        match self.conn.query_row("PRAGMA journal_mode = DELETE", [], |r| r.get::<_, String>(0)) {
            Ok(mode) => Ok(mode.eq_ignore_ascii_case("delete")),
            Err(rusqlite::Error::SqliteFailure(e, _))
                if matches!(e.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) =>
            {
                Ok(false)
            }
            Err(e) => Err(e.into()),
        }
    }

    fn import_in_transaction<T>(
        &mut self,
        agent: &str,
        f: impl FnOnce(&mut Importer) -> Result<(T, Finish)>,
    ) -> Result<(T, Option<i64>)> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let (out, finish) = {
            let mut imp = Importer::new(&tx)?;
            let r = f(&mut imp)?;
            imp.refresh_touched()?;
            if matches!(r.1, Finish::Commit(_)) {
                imp.rebuild_deferred()?;
                imp.recount_money()?;
            }
            r
        };
        match finish {
            Finish::Commit(summary) => {
                let n: i64 = tx.query_row(
                    "SELECT coalesce(max(entity_id), 0) + 1 FROM audit_log WHERE entity = 'import'",
                    [],
                    |r| r.get(0),
                )?;
                audit::record(&tx, agent, "import", "import", n, summary)?;
                tx.commit()?;
                Ok((out, Some(n)))
            }
            Finish::Rollback => {
                tx.rollback()?;
                Ok((out, None))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The search columns and the own duplicate keys.
    type Columns = (String, String, String, Option<String>, Option<String>);

    fn search_columns(repo: &Repo, id: i64) -> Columns {
        repo.conn()
            .query_row(
                "SELECT sort_key, search_text, phone_digits, phone_key, email_key FROM customers WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .unwrap()
    }

    #[test]
    fn a_new_customer_gets_the_search_columns_refresh_search_would_give() {
        let dir = tempfile::tempdir().unwrap();
        let mut repo = Repo::open(&dir.path().join("t.db"), "test").unwrap();
        let cell = |s: &str| Some(Some(s.to_string()));
        let records = [
            CustomerRecord {
                name: "  Zoë Ångström \u{1b}[31m ".into(),
                company: cell("Smith, Jones & Co"),
                email: cell("ZOE@example.fr"),
                phone: cell("+1 (514) 721-4711"),
                ..Default::default()
            },
            CustomerRecord { name: "山田太郎".into(), email: Some(None), ..Default::default() },
        ];
        let (ids, _) = repo
            .import(|imp| {
                let ids: Vec<i64> = records
                    .iter()
                    .map(|r| match imp.customer(r) {
                        Ok(Applied::Added(id)) => id,
                        other => panic!("{other:?}"),
                    })
                    .collect();
                Ok((ids, Finish::Commit(serde_json::json!({}))))
            })
            .unwrap();
        for id in ids {
            let inserted = search_columns(&repo, id);
            repo.write(|tx, _| customers::refresh_search(tx, id)).unwrap();
            assert_eq!(inserted, search_columns(&repo, id));
        }
    }

    #[test]
    fn checks_and_cache_are_restored_after_an_import() {
        let dir = tempfile::tempdir().unwrap();
        let mut repo = Repo::open(&dir.path().join("t.db"), "test").unwrap();
        let before: (i64, bool) = repo
            .conn()
            .query_row(
                "SELECT (SELECT cache_size FROM pragma_cache_size), (SELECT * FROM pragma_ignore_check_constraints)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        repo.import(|_| Ok(((), Finish::Rollback))).unwrap();
        let after: (i64, bool) = repo
            .conn()
            .query_row(
                "SELECT (SELECT cache_size FROM pragma_cache_size), (SELECT * FROM pragma_ignore_check_constraints)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(before, after);
        assert!(!after.1);
        // The schema's checks are in force again.
        repo.create_customer(&crate::domain::model::NewCustomer::named(CustomerKind::Individual, "A")).unwrap();
        assert!(repo.conn().execute("UPDATE customers SET kind = 'nonsense'", []).is_err());
    }

    fn journal_mode(conn: &rusqlite::Connection) -> String {
        conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap()
    }

    /// A first load (no customers, nobody else connected) writes through a
    /// rollback journal, and the base is back in WAL after it, committed or
    /// not; with customers there, or another agent connected, it stays in
    /// WAL throughout.
    #[test]
    fn a_first_load_alone_uses_a_rollback_journal_and_the_base_returns_to_wal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let mut repo = Repo::open(&path, "test").unwrap();
        let during = |repo: &mut Repo, finish: Finish, name: &str| -> String {
            let (mode, _) = repo
                .import(|imp| {
                    let mode = journal_mode(imp.tx);
                    imp.customer(&record(name, name))?;
                    Ok((mode, finish))
                })
                .unwrap();
            mode
        };
        // Rolled back: nothing stays, and the base is in WAL again.
        assert_eq!(during(&mut repo, Finish::Rollback, "a"), "delete");
        assert_eq!(journal_mode(repo.conn()), "wal");
        assert_eq!(repo.customer_count().unwrap(), 0);
        // Committed the same way.
        assert_eq!(during(&mut repo, Finish::Commit(serde_json::json!({})), "b"), "delete");
        assert_eq!(journal_mode(repo.conn()), "wal");
        assert_eq!(repo.customer_count().unwrap(), 1);
        // Customers there: WAL, so that readers are never held up.
        assert_eq!(during(&mut repo, Finish::Commit(serde_json::json!({})), "c"), "wal");

        // Another agent connected to an empty base: WAL too.
        let path = dir.path().join("shared.db");
        let mut repo = Repo::open(&path, "test").unwrap();
        let other = Repo::open(&path, "other").unwrap();
        assert_eq!(other.customer_count().unwrap(), 0);
        assert_eq!(during(&mut repo, Finish::Commit(serde_json::json!({})), "d"), "wal");
        assert_eq!(other.customer_count().unwrap(), 1);
        let check: String = repo.conn().query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
        assert_eq!(check, "ok");
    }

    /// The search columns as first written: fold the joined parts.
    fn slow_search(
        name: &str,
        company: Option<&str>,
        email: Option<&str>,
        phone: Option<&str>,
    ) -> (String, String, String) {
        let text: Vec<&str> = [Some(name), company, email].into_iter().flatten().filter(|s| !s.is_empty()).collect();
        (sort_key(name), fold(&sanitize(&text.join(" | "))), phone_digits(phone.unwrap_or("")))
    }

    proptest::proptest! {
        #[test]
        fn the_fast_search_columns_equal_folding_the_joined_text(
            name in "[ a-zA-ZÀ-ÿøłßæœ\u{301}\u{308}\u{4e00}-\u{4e20}王山田\u{f900}김가が\u{1b}\t\u{202e}|]{0,12}",
            company in proptest::option::of("[ a-zA-Zé\u{301}王김|,&\u{1b}]{0,8}"),
            email in proptest::option::of("[a-zA-Z0-9.@É]{0,10}"),
        ) {
            let got = new_customer_search(&name, company.as_deref(), email.as_deref(), Some("+1 (514) 721-4711"));
            proptest::prop_assert_eq!(got, slow_search(&name, company.as_deref(), email.as_deref(), Some("+1 (514) 721-4711")));
        }
    }

    fn index_names(repo: &Repo) -> Vec<String> {
        let mut st = repo
            .conn()
            .prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'customers' ORDER BY name")
            .unwrap();
        st.query_map([], |r| r.get(0)).unwrap().collect::<rusqlite::Result<_>>().unwrap()
    }

    fn record(x: &str, name: &str) -> CustomerRecord {
        CustomerRecord { external_id: Some(x.into()), name: name.into(), ..Default::default() }
    }

    #[test]
    fn a_bulk_load_into_an_empty_base_defers_the_sort_index_and_still_matches_repeats() {
        let dir = tempfile::tempdir().unwrap();
        let mut repo = Repo::open(&dir.path().join("t.db"), "test").unwrap();
        let indexes = index_names(&repo);
        assert!(indexes.contains(&"customers_sort".to_string()));
        // Rolled back, or failed half-way: the index is as it was.
        repo.import(|imp| {
            assert!(imp.defer_customer_indexes()?);
            imp.customer(&record("a", "Zoë"))?;
            Ok(((), Finish::Rollback))
        })
        .unwrap();
        assert_eq!(index_names(&repo), indexes);
        let failed: Result<((), Option<i64>)> = repo.import(|imp| {
            imp.defer_customer_indexes()?;
            imp.customer(&record("a", "Zoë"))?;
            Err(RepoError::Invalid("disk on fire".into()))
        });
        assert!(failed.is_err());
        assert_eq!(index_names(&repo), indexes);
        assert_eq!(repo.customer_count().unwrap(), 0);
        // Committed: the index is back, complete, and a repeated external id
        // in the same file updated the row it added.
        let (applied, _) = repo
            .import(|imp| {
                assert!(imp.defer_customer_indexes()?);
                let a = imp.customer(&record("a", "Zoë Ångström"))?;
                let b = imp.customer(&record("b", "山田太郎"))?;
                let again = imp.customer(&record("a", "Zoe Angstrom"))?;
                let same = imp.customer(&record("b", "山田太郎"))?;
                let plain = imp.customer(&CustomerRecord { name: "Zoë Ångström".into(), ..Default::default() })?;
                Ok(([a, b, again, same, plain], Finish::Commit(serde_json::json!({}))))
            })
            .unwrap();
        let [a, b, again, same, plain] = applied;
        assert!(matches!(a, Applied::Added(_)) && matches!(b, Applied::Added(_)), "{applied:?}");
        assert_eq!(
            again,
            Applied::Updated(match a {
                Applied::Added(id) => id,
                _ => 0,
            })
        );
        assert_eq!(
            same,
            Applied::Unchanged(match b {
                Applied::Added(id) => id,
                _ => 0,
            })
        );
        assert!(matches!(plain, Applied::Added(_)), "{plain:?}");
        assert_eq!(index_names(&repo), indexes);
        let check: String = repo.conn().query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
        assert_eq!(check, "ok");
        assert_eq!(repo.search_customers("zoe", 0, 10).unwrap().len(), 2);
        assert_eq!(repo.search_customers("山田", 0, 10).unwrap().len(), 1);
        // A base with customers keeps its index: the next import looks them up by name.
        let (deferred, _) =
            repo.import(|imp| Ok((imp.defer_customer_indexes()?, Finish::Commit(serde_json::json!({}))))).unwrap();
        assert!(!deferred);
    }
}
