//! Duplicate customers (sharing a phone or an email) and merging one
//! customer into another without losing a record.
//!
//! Phones are compared by their digits (`phone_digits`, which holds the
//! customer's and its active contacts' phones). Two phones are the same when
//! their digits are equal (at least seven of them), or when, leading zeros
//! aside, the shorter one has at least nine digits and ends the longer one:
//! `514.721.4711` is `+1 (514) 721-4711`, and the national `06 12 34 56 78`
//! is the international `+33 6 12 34 56 78`. Emails are compared trimmed and
//! case-insensitively, the customer's and its active contacts'.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::Utc;
use rusqlite::{OptionalExtension, Transaction, params};
use serde::Serialize;
use serde_json::json;

use super::{Repo, RepoError, Result, audit, customers};
use crate::domain::model::CustomerStatus;
use crate::domain::text::phone_digits;

/// Fewest digits a phone needs to count at all.
pub const MIN_PHONE_DIGITS: usize = 7;
/// Fewest digits (leading zeros aside) for a number to match the end of a
/// longer one (the same number with a country code).
pub const MIN_SUFFIX_DIGITS: usize = 9;

/// The digits of a phone without its leading (trunk or `00` prefix) zeros.
fn core(digits: &str) -> &str {
    digits.trim_start_matches('0')
}

/// Whether two phones' digits are the same number (see the module notes).
pub fn phones_match(a: &str, b: &str) -> bool {
    if a.len() < MIN_PHONE_DIGITS || b.len() < MIN_PHONE_DIGITS {
        return false;
    }
    if a == b {
        return true;
    }
    let (a, b) = (core(a), core(b));
    if a.is_empty() || b.is_empty() {
        return false;
    }
    if a == b {
        return true;
    }
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    short.len() >= MIN_SUFFIX_DIGITS && long.ends_with(short)
}

/// An email folded for comparison: trimmed and lower-cased; `None` if empty.
pub fn email_key(email: &str) -> Option<String> {
    let e = email.trim();
    if e.is_empty() { None } else { Some(e.to_lowercase()) }
}

/// The key a phone is found under (see the module notes): two phones that
/// are the same number always share it. `None` for a phone too short to
/// count.
fn phone_key(digits: &str) -> Option<String> {
    if digits.len() < MIN_PHONE_DIGITS {
        return None;
    }
    let c = core(digits);
    Some(match c.len() {
        0 => format!("p{digits}"),
        n if n >= MIN_SUFFIX_DIGITS => format!("p{}", &c[n - MIN_SUFFIX_DIGITS..]),
        _ => format!("p{c}"),
    })
}

/// The keys a customer is found under as someone's possible duplicate: one
/// per phone in `phone_digits` (its own and its contacts', space-separated)
/// and one per email. Customers who share none of them are not duplicates.
pub(crate) fn match_keys<'e>(phone_digits: &str, emails: impl IntoIterator<Item = &'e str>) -> BTreeSet<String> {
    let mut keys: BTreeSet<String> = phone_digits.split_whitespace().filter_map(phone_key).collect();
    keys.extend(emails.into_iter().filter_map(email_key).map(|e| format!("e{e}")));
    keys
}

/// A customer's own keys: its phone's (the digits of the `phone` field
/// alone) and its email's. They are kept as the columns `phone_key` and
/// `email_key` of `customers`, written in the same statement as the row,
/// so that a customer without contacts costs no `customer_keys` row (a bulk
/// load of a million customers wrote 1.75 million of them and sorted them
/// into an index: a quarter of its time). `customer_keys` holds the rest of
/// [`match_keys`]: its contacts' keys that are not already its own.
pub(crate) fn own_keys(own_phone_digits: &str, email: Option<&str>) -> (Option<String>, Option<String>) {
    (phone_key(own_phone_digits), email.and_then(email_key).map(|e| format!("e{e}")))
}

/// Writes a customer's keys from its contacts (`keys`, see [`match_keys`],
/// less its `own` keys, which the caller writes to the customer's row) in
/// place of what it had.
pub(crate) fn write_keys(
    tx: &Transaction,
    customer_id: i64,
    own: &(Option<String>, Option<String>),
    keys: &BTreeSet<String>,
) -> Result<()> {
    tx.prepare_cached("DELETE FROM customer_keys WHERE customer_id = ?1")?.execute([customer_id])?;
    add_keys(tx, customer_id, own, keys)
}

/// Adds the keys of a customer who has none in `customer_keys` yet, less
/// its own.
fn add_keys(
    tx: &Transaction,
    customer_id: i64,
    own: &(Option<String>, Option<String>),
    keys: &BTreeSet<String>,
) -> Result<()> {
    let mut st = tx.prepare_cached("INSERT OR IGNORE INTO customer_keys (customer_id, key) VALUES (?1, ?2)")?;
    for k in keys {
        if own.0.as_ref() != Some(k) && own.1.as_ref() != Some(k) {
            st.execute(params![customer_id, k])?;
        }
    }
    Ok(())
}

/// Fills every customer's keys, own and from contacts (once, in the
/// migration that moved the own keys to `customers`): one pass over the
/// customers and one over the active contacts, both in customer order.
pub(crate) fn fill_keys(tx: &Transaction) -> Result<()> {
    let mut customers = tx.prepare("SELECT id, phone, email, phone_digits FROM customers ORDER BY id")?;
    let mut contacts = tx.prepare(
        "SELECT customer_id, email FROM contacts
         WHERE status = 'active' AND email IS NOT NULL AND trim(email) <> '' ORDER BY customer_id",
    )?;
    let mut set_own = tx.prepare("UPDATE customers SET phone_key = ?2, email_key = ?3 WHERE id = ?1")?;
    let mut contact_rows = contacts.query([])?;
    let mut next: Option<(i64, String)> = match contact_rows.next()? {
        Some(r) => Some((r.get(0)?, r.get(1)?)),
        None => None,
    };
    let mut rows = customers.query([])?;
    while let Some(r) = rows.next()? {
        let (id, phone, email, digits): (i64, Option<String>, Option<String>, String) =
            (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
        let own = own_keys(&phone_digits(phone.as_deref().unwrap_or("")), email.as_deref());
        if own.0.is_some() || own.1.is_some() {
            set_own.execute(params![id, own.0, own.1])?;
        }
        let mut emails: Vec<String> = email.into_iter().collect();
        while let Some((cid, e)) = next.take() {
            if cid > id {
                next = Some((cid, e));
                break;
            }
            if cid == id {
                emails.push(e);
            }
            next = match contact_rows.next()? {
                Some(r) => Some((r.get(0)?, r.get(1)?)),
                None => None,
            };
        }
        add_keys(tx, id, &own, &match_keys(&digits, emails.iter().map(String::as_str)))?;
    }
    Ok(())
}

/// The active customers sharing one of a customer's keys (`?1`): a few
/// index lookups per key. CROSS JOIN keeps the customer's few keys the
/// outer loop (the planner would otherwise scan every active customer for
/// the email and contact parts).
const DUPLICATE_CANDIDATES: &str = "WITH mine(key) AS (
                 SELECT phone_key FROM customers WHERE id = ?1 AND phone_key IS NOT NULL
                 UNION SELECT email_key FROM customers WHERE id = ?1 AND email_key IS NOT NULL
                 UNION SELECT key FROM customer_keys WHERE customer_id = ?1)
             SELECT c.id FROM mine CROSS JOIN customers c ON c.phone_key = mine.key
             WHERE c.id <> ?1 AND c.status = 'active'
             UNION SELECT c.id FROM mine CROSS JOIN customers c ON c.email_key = mine.key
             WHERE c.id <> ?1 AND c.status = 'active'
             UNION SELECT c.id FROM mine CROSS JOIN customer_keys o ON o.key = mine.key
                   CROSS JOIN customers c ON c.id = o.customer_id
             WHERE c.id <> ?1 AND c.status = 'active'";

/// What the customers of a group share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SharedKind {
    Phone,
    Email,
}

/// One phone (its digits; for numbers matched with and without a country
/// code, the shortest form) or email shared by some customers of a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Shared {
    pub kind: SharedKind,
    pub value: String,
    /// Ascending.
    pub customer_ids: Vec<i64>,
}

/// A customer in a duplicate group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DuplicateMember {
    pub id: i64,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
}

/// Active customers linked by shared phones or emails (directly or through
/// one another).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DuplicateGroup {
    /// Ascending by id.
    pub customers: Vec<DuplicateMember>,
    pub shared: Vec<Shared>,
}

/// What a merge did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MergeReport {
    pub keep: i64,
    pub gone: i64,
    /// Rows moved from `gone` to `keep`, per referencing table (named
    /// `table.column` when the column is not `customer_id`), every table that
    /// references customers listed, in name order, but the tier history's
    /// (dropped, not moved: `tier_history_dropped`).
    pub moved: Vec<(String, usize)>,
    /// Entries of `gone`'s tier history dropped (keep's stands).
    pub tier_history_dropped: usize,
    /// Fields of `keep` that were empty and were filled from `gone`.
    pub filled: Vec<String>,
}

impl MergeReport {
    /// Rows moved in all.
    pub fn total_moved(&self) -> usize {
        self.moved.iter().map(|(_, n)| n).sum()
    }
}

struct UnionFind(Vec<usize>);

impl UnionFind {
    fn find(&mut self, mut i: usize) -> usize {
        while self.0[i] != i {
            self.0[i] = self.0[self.0[i]];
            i = self.0[i];
        }
        i
    }
    fn union(&mut self, a: usize, b: usize) {
        let (a, b) = (self.find(a), self.find(b));
        if a != b {
            self.0[a.max(b)] = a.min(b);
        }
    }
}

/// Groups owners (any ids) of phones and emails: each `(owner, phones,
/// emails)`; returns the links (kind, shared value, owners) found.
fn links(entries: &[(i64, Vec<String>, Vec<String>)]) -> Vec<Shared> {
    let mut out = Vec::new();
    // Emails: exact after folding.
    let mut by_email: BTreeMap<&str, BTreeSet<i64>> = BTreeMap::new();
    for (id, _, emails) in entries {
        for e in emails {
            by_email.entry(e.as_str()).or_default().insert(*id);
        }
    }
    for (e, ids) in by_email {
        if ids.len() > 1 {
            out.push(Shared { kind: SharedKind::Email, value: e.to_string(), customer_ids: ids.into_iter().collect() });
        }
    }
    // Phones: short ones by their core; long ones bucketed by their last
    // digits, then compared pairwise within the bucket.
    let mut short: BTreeMap<&str, BTreeSet<i64>> = BTreeMap::new();
    let mut buckets: BTreeMap<&str, Vec<(i64, &str)>> = BTreeMap::new();
    for (id, phones, _) in entries {
        for p in phones {
            if p.len() < MIN_PHONE_DIGITS {
                continue;
            }
            let c = core(p);
            if c.len() < MIN_SUFFIX_DIGITS {
                if !c.is_empty() {
                    short.entry(c).or_default().insert(*id);
                }
            } else {
                buckets.entry(&c[c.len() - MIN_SUFFIX_DIGITS..]).or_default().push((*id, c));
            }
        }
    }
    for (c, ids) in short {
        if ids.len() > 1 {
            out.push(Shared { kind: SharedKind::Phone, value: c.to_string(), customer_ids: ids.into_iter().collect() });
        }
    }
    for (_, bucket) in buckets {
        if bucket.iter().all(|(id, _)| *id == bucket[0].0) {
            continue;
        }
        let mut uf = UnionFind((0..bucket.len()).collect());
        for i in 0..bucket.len() {
            for j in i + 1..bucket.len() {
                if phones_match(bucket[i].1, bucket[j].1) {
                    uf.union(i, j);
                }
            }
        }
        let mut comps: BTreeMap<usize, (BTreeSet<i64>, &str)> = BTreeMap::new();
        for (i, (id, c)) in bucket.iter().enumerate() {
            let root = uf.find(i);
            let e = comps.entry(root).or_insert_with(|| (BTreeSet::new(), c));
            e.0.insert(*id);
            if c.len() < e.1.len() || (c.len() == e.1.len() && *c < e.1) {
                e.1 = c;
            }
        }
        for (_, (ids, value)) in comps {
            if ids.len() > 1 {
                out.push(Shared {
                    kind: SharedKind::Phone,
                    value: value.to_string(),
                    customer_ids: ids.into_iter().collect(),
                });
            }
        }
    }
    out
}

/// Every active customer's id, name, phone, email, phone digits and the
/// folded emails of it and its active contacts.
#[allow(clippy::type_complexity)]
fn active_customers(
    conn: &rusqlite::Connection,
    only: Option<&BTreeSet<i64>>,
) -> Result<Vec<(DuplicateMember, Vec<String>, Vec<String>)>> {
    let member = |r: &rusqlite::Row| -> rusqlite::Result<(DuplicateMember, String)> {
        Ok((
            DuplicateMember { id: r.get(0)?, name: r.get(1)?, phone: r.get(2)?, email: r.get(3)? },
            r.get::<_, String>(4)?,
        ))
    };
    let mut rows: Vec<(DuplicateMember, String)> = Vec::new();
    match only {
        // A few customers: each by its id, with its contacts' emails.
        Some(ids) => {
            let mut st = conn.prepare_cached(
                "SELECT id, name, phone, email, phone_digits FROM customers WHERE id = ?1 AND status = 'active'",
            )?;
            for id in ids {
                if let Some(row) = st.query_row([id], member).optional()? {
                    rows.push(row);
                }
            }
        }
        None => {
            let mut st = conn.prepare_cached(
                "SELECT id, name, phone, email, phone_digits FROM customers WHERE status = 'active' ORDER BY id",
            )?;
            for row in st.query_map([], member)? {
                rows.push(row?);
            }
        }
    }
    let mut out = Vec::with_capacity(rows.len());
    let mut index = HashMap::new();
    for (m, digits) in rows {
        let phones: Vec<String> = digits.split_whitespace().map(String::from).collect();
        let emails: Vec<String> = m.email.as_deref().and_then(email_key).into_iter().collect();
        index.insert(m.id, out.len());
        out.push((m, phones, emails));
    }
    let mut add_email = |cid: i64, email: &str| {
        if let (Some(&i), Some(e)) = (index.get(&cid), email_key(email))
            && !out[i].2.contains(&e)
        {
            out[i].2.push(e);
        }
    };
    match only {
        Some(ids) => {
            let mut st = conn.prepare_cached(
                "SELECT email FROM contacts WHERE customer_id = ?1 AND status = 'active'
                 AND email IS NOT NULL AND trim(email) <> ''",
            )?;
            for id in ids {
                for email in st.query_map([id], |r| r.get::<_, String>(0))? {
                    add_email(*id, &email?);
                }
            }
        }
        None => {
            let mut st = conn.prepare_cached(
                "SELECT customer_id, email FROM contacts WHERE status = 'active' AND email IS NOT NULL AND trim(email) <> ''",
            )?;
            for row in st.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))? {
                let (cid, email) = row?;
                add_email(cid, &email);
            }
        }
    }
    Ok(out)
}

fn quote(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

fn is_blank(v: &Option<String>) -> bool {
    v.as_deref().is_none_or(|s| s.trim().is_empty())
}

impl Repo {
    /// Groups of active customers that share a phone or an email (see the
    /// module notes), each with its members and what they share; groups in
    /// order of their lowest id.
    pub fn duplicate_groups(&self) -> Result<Vec<DuplicateGroup>> {
        let all = active_customers(self.conn(), None)?;
        let entries: Vec<(i64, Vec<String>, Vec<String>)> =
            all.iter().map(|(m, p, e)| (m.id, p.clone(), e.clone())).collect();
        let shared = links(&entries);
        let pos: HashMap<i64, usize> = all.iter().enumerate().map(|(i, (m, _, _))| (m.id, i)).collect();
        let mut uf = UnionFind((0..all.len()).collect());
        for s in &shared {
            for w in s.customer_ids.windows(2) {
                uf.union(pos[&w[0]], pos[&w[1]]);
            }
        }
        let mut groups: BTreeMap<usize, DuplicateGroup> = BTreeMap::new();
        for s in shared {
            let root = uf.find(pos[&s.customer_ids[0]]);
            groups
                .entry(root)
                .or_insert_with(|| DuplicateGroup { customers: Vec::new(), shared: Vec::new() })
                .shared
                .push(s);
        }
        for (i, (m, _, _)) in all.into_iter().enumerate() {
            let root = uf.find(i);
            if let Some(g) = groups.get_mut(&root) {
                g.customers.push(m);
            }
        }
        let mut out: Vec<DuplicateGroup> = groups.into_values().collect();
        for g in &mut out {
            g.shared.sort_by(|a, b| (a.kind, &a.value).cmp(&(b.kind, &b.value)));
        }
        out.sort_by_key(|g| g.customers.first().map(|m| m.id));
        Ok(out)
    }

    /// The active customers that look like duplicates of `customer_id`
    /// (sharing a phone or email with it directly), ascending; empty for an
    /// archived or unknown customer. Cheap enough for a card's flag.
    pub fn duplicates_of(&self, customer_id: i64) -> Result<Vec<i64>> {
        let conn = self.conn();
        let active: bool = conn
            .prepare_cached("SELECT status = 'active' FROM customers WHERE id = ?1")?
            .query_row([customer_id], |r| r.get(0))
            .optional()?
            .unwrap_or(false);
        if !active {
            return Ok(Vec::new());
        }
        // Candidates: the active customers sharing one of our keys (an
        // index lookup per key), then checked properly below.
        // Our keys are our row's two and our contacts' (see `own_keys`);
        // each is looked up in the same three places.
        let mut candidates: BTreeSet<i64> = BTreeSet::new();
        let mut st = conn.prepare_cached(DUPLICATE_CANDIDATES)?;
        for id in st.query_map([customer_id], |r| r.get::<_, i64>(0))? {
            candidates.insert(id?);
        }
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        candidates.insert(customer_id);
        let found = active_customers(conn, Some(&candidates))?;
        let entries: Vec<(i64, Vec<String>, Vec<String>)> = found.into_iter().map(|(m, p, e)| (m.id, p, e)).collect();
        let mut out = BTreeSet::new();
        for s in links(&entries) {
            if s.customer_ids.contains(&customer_id) {
                out.extend(s.customer_ids.into_iter().filter(|id| *id != customer_id));
            }
        }
        Ok(out.into_iter().collect())
    }

    /// Merges customer `gone` into `keep` in one transaction: every row of
    /// every table that references `gone` (contacts, interactions,
    /// transactions, deals, reminders, promises, cases, points, tier
    /// snapshots, and any table added later) is moved to `keep`, with its
    /// version bumped; `keep`'s empty company, email, phone, city, country,
    /// owner, VIP level and note are filled from `gone`; `gone` is archived
    /// with the note "merged into #keep"; both are audited. Refused for a
    /// customer merged into itself, or when either is archived.
    pub fn merge_customers(&mut self, keep: i64, gone: i64) -> Result<MergeReport> {
        if keep == gone {
            return Err(RepoError::Invalid(format!("cannot merge customer #{keep} into itself")));
        }
        self.write(|tx, agent| merge_in(tx, agent, keep, gone))
    }
}

const FILLED: [&str; 8] = ["company", "email", "phone", "city", "country", "owner", "vip_level", "note"];

fn merge_in(tx: &Transaction, agent: &str, keep: i64, gone: i64) -> Result<MergeReport> {
    let load = |id: i64| -> Result<(String, String, Vec<Option<String>>)> {
        tx.query_row(&format!("SELECT status, name, {} FROM customers WHERE id = ?1", FILLED.join(", ")), [id], |r| {
            let mut fields = Vec::with_capacity(FILLED.len());
            for i in 0..FILLED.len() {
                fields.push(r.get::<_, Option<String>>(i + 2)?);
            }
            Ok((r.get(0)?, r.get(1)?, fields))
        })
        .optional()?
        .ok_or(RepoError::NotFound { entity: "customer", id })
    };
    let (keep_status, keep_name, keep_fields) = load(keep)?;
    let (gone_status, gone_name, gone_fields) = load(gone)?;
    for (id, status) in [(keep, &keep_status), (gone, &gone_status)] {
        if status != CustomerStatus::Active.code() {
            return Err(RepoError::Invalid(format!(
                "customer #{id} is archived; restore it before merging (a merged customer cannot be merged again)"
            )));
        }
    }
    let now = Utc::now().timestamp();

    // Every column that references customers, found in the schema so that
    // tables added later move too.
    let mut refs: Vec<(String, String)> = Vec::new();
    {
        let mut st = tx.prepare(
            "SELECT m.name, f.\"from\" FROM sqlite_master m, pragma_foreign_key_list(m.name) f
             WHERE m.type = 'table' AND f.\"table\" = 'customers' ORDER BY m.name, f.\"from\"",
        )?;
        for row in st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))? {
            refs.push(row?);
        }
    }
    let mut dropped = 0;
    let mut moved = Vec::with_capacity(refs.len());
    for (table, column) in &refs {
        if table == "tier_changes" || table == "tier_latest" {
            // The tier history is each customer's chain of changes, one
            // state replacing the one before: gone's cannot join keep's, so
            // keep's stands and gone's goes (as a snapshot's rows of gone
            // did where keep had its own).
            let n = tx.execute(&format!("DELETE FROM {} WHERE customer_id = ?1", quote(table)), [gone])?;
            if table == "tier_changes" {
                dropped = n;
            }
            continue;
        }
        let cols: BTreeSet<String> = {
            let mut st = tx.prepare("SELECT name FROM pragma_table_info(?1)")?;
            st.query_map([table], |r| r.get::<_, String>(0))?.collect::<rusqlite::Result<_>>()?
        };
        let mut set = format!("{} = ?1", quote(column));
        if cols.contains("version") {
            set += ", version = version + 1";
        }
        if cols.contains("updated_at") {
            set += ", updated_at = ?3";
        }
        let sql = format!("UPDATE {} SET {set} WHERE {} = ?2", quote(table), quote(column));
        let run = if cols.contains("updated_at") {
            tx.execute(&sql, params![keep, gone, now])
        } else {
            tx.execute(&sql, params![keep, gone])
        };
        let n = run.map_err(|e| {
            RepoError::Invalid(format!("cannot move the {table} rows of customer #{gone} to #{keep}: {e}"))
        })?;
        let label = if column == "customer_id" { table.clone() } else { format!("{table}.{column}") };
        moved.push((label, n));
    }

    // Fill keep's empty fields from gone's.
    let mut filled = Vec::new();
    let mut new_fields = keep_fields.clone();
    let mut filled_json = serde_json::Map::new();
    for (i, field) in FILLED.iter().enumerate() {
        if is_blank(&keep_fields[i]) && !is_blank(&gone_fields[i]) {
            new_fields[i] = gone_fields[i].clone();
            filled.push(field.to_string());
            filled_json.insert(field.to_string(), json!(gone_fields[i]));
        }
    }
    let assignments: Vec<String> = FILLED.iter().enumerate().map(|(i, f)| format!("{f} = ?{}", i + 3)).collect();
    let mut args: Vec<&dyn rusqlite::ToSql> = vec![&keep, &now];
    for v in &new_fields {
        args.push(v);
    }
    tx.execute(
        &format!(
            "UPDATE customers SET {}, version = version + 1, updated_at = ?2 WHERE id = ?1",
            assignments.join(", ")
        ),
        args.as_slice(),
    )?;

    // Archive gone, keeping its own note after the marker unless keep took it.
    let note_at = FILLED.iter().position(|f| *f == "note").unwrap_or(0);
    let old_note = gone_fields[note_at].clone();
    let marker = format!("merged into #{keep}");
    let gone_note = match old_note.as_deref().map(str::trim) {
        Some(n) if !n.is_empty() && !filled.iter().any(|f| f == "note") => format!("{marker}\n{n}"),
        _ => marker,
    };
    tx.execute(
        "UPDATE customers SET status = 'archived', note = ?2, version = version + 1, updated_at = ?3 WHERE id = ?1",
        params![gone, gone_note, now],
    )?;
    customers::refresh_search(tx, keep)?;
    customers::refresh_search(tx, gone)?;

    let moved_json: serde_json::Map<String, serde_json::Value> =
        moved.iter().map(|(t, n)| (t.clone(), json!(n))).collect();
    audit::record(
        tx,
        agent,
        "merge",
        "customer",
        keep,
        json!({
            "gone": gone,
            "gone_name": gone_name,
            "moved": moved_json,
            "tier_history_dropped": dropped,
            "filled": filled_json,
        }),
    )?;
    audit::record(
        tx,
        agent,
        "merge",
        "customer",
        gone,
        json!({
            "into": keep,
            "into_name": keep_name,
            "status": ["active", "archived"],
            "note": [old_note, gone_note],
            "moved": moved_json,
        }),
    )?;
    Ok(MergeReport { keep, gone, moved, tier_history_dropped: dropped, filled })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every customer's keys: its own (the row's columns) and its contacts'.
    fn keys(repo: &Repo) -> Vec<(i64, String)> {
        let mut st = repo
            .conn()
            .prepare(
                "SELECT id, phone_key FROM customers WHERE phone_key IS NOT NULL
                 UNION ALL SELECT id, email_key FROM customers WHERE email_key IS NOT NULL
                 UNION ALL SELECT customer_id, key FROM customer_keys ORDER BY 1, 2",
            )
            .unwrap();
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().collect::<rusqlite::Result<_>>().unwrap()
    }

    /// [`match_keys`] of every customer's stored phones and emails (its
    /// own and its active contacts').
    fn wanted_keys(repo: &Repo) -> Vec<(i64, String)> {
        let mut st = repo
            .conn()
            .prepare(
                "SELECT c.id, c.phone_digits, c.email,
                        (SELECT group_concat(email, char(10)) FROM contacts
                         WHERE customer_id = c.id AND status = 'active' AND email IS NOT NULL)
                 FROM customers c ORDER BY c.id",
            )
            .unwrap();
        let rows: Vec<(i64, String, Option<String>, Option<String>)> = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        let mut want = Vec::new();
        for (id, digits, email, contacts) in rows {
            let emails = email.iter().map(String::as_str).chain(contacts.as_deref().unwrap_or("").split('\n'));
            want.extend(match_keys(&digits, emails).into_iter().map(|k| (id, k)));
        }
        want.sort();
        want
    }

    /// The migration's fill gives every customer of an older base the keys
    /// its writes would have given it, and those are [`match_keys`] of its
    /// phones and emails, each stored once (own keys on the row, the rest
    /// in `customer_keys`).
    #[test]
    fn filling_the_keys_gives_what_the_writes_give() {
        let dir = tempfile::tempdir().unwrap();
        let mut repo = Repo::open(&dir.path().join("k.db"), "test").unwrap();
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        crate::demo::generate(
            &mut repo,
            &crate::demo::DemoOptions { customers: 150, ..crate::demo::DemoOptions::new(today) },
        )
        .unwrap();
        let written = keys(&repo);
        assert_eq!(written, wanted_keys(&repo));
        let in_table: i64 = repo.conn().query_row("SELECT count(*) FROM customer_keys", [], |r| r.get(0)).unwrap();
        assert!(in_table > 0, "the demo's contacts give keys of their own");
        assert!(written.iter().any(|(_, k)| k.starts_with('e')) && written.iter().any(|(_, k)| k.starts_with('p')));
        repo.write(|tx, _| {
            tx.execute("DELETE FROM customer_keys", [])?;
            tx.execute("UPDATE customers SET phone_key = NULL, email_key = NULL", [])?;
            fill_keys(tx)
        })
        .unwrap();
        assert_eq!(keys(&repo), written);
    }

    /// The own keys a bulk write computes with [`own_keys`] are exactly
    /// [`match_keys`]'s, whatever the phone and email look like.
    #[test]
    fn own_keys_are_the_match_keys_of_the_row() {
        let cases: &[(&str, Option<&str>)] = &[
            ("15147214711", Some("Zoe@Example.COM")),
            ("0033612345678", Some("  padded@example.org  ")),
            ("0000000", None),
            ("00001234567", Some("")),
            ("1234567", Some("   ")),
            ("123456", Some("ÜNÏCODE@exämple.de")),
            ("", Some("tab\t@example.com")),
            ("012345678", Some("ß@EXAMPLE.DE")),
            ("4915112345678", Some("\r\n Vertical\x0b@Tab.example\x0c\t ")),
            ("0049151123456", Some("inner space@example.com")),
        ];
        for (digits, email) in cases {
            let own = own_keys(digits, *email);
            let from_row: BTreeSet<String> = [own.0, own.1].into_iter().flatten().collect();
            assert_eq!(from_row, match_keys(digits, *email), "{digits:?} {email:?}");
        }
    }

    /// The card's flag reads indexes only: no scan of the customers.
    #[test]
    fn duplicate_candidates_are_index_lookups() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repo::open(&dir.path().join("k.db"), "test").unwrap();
        let plan = crate::repo::query_plan(repo.conn(), DUPLICATE_CANDIDATES, [1]);
        for index in ["customers_phone_key", "customers_email_key", "customer_keys_key"] {
            assert!(plan.iter().any(|p| p.contains(&format!("INDEX {index} "))), "{index}: {plan:?}");
        }
        assert!(!plan.iter().any(|p| p.starts_with("SCAN c") || p.contains("customers_sort")), "{plan:?}");
    }

    #[test]
    fn phones_that_match_share_a_key() {
        for (a, b) in [
            ("15147214711", "5147214711"),
            ("0612345678", "33612345678"),
            ("0000000", "0000000"),
            ("1234567", "01234567"),
        ] {
            assert!(phones_match(a, b), "{a} {b}");
            assert_eq!(phone_key(a), phone_key(b), "{a} {b}");
        }
        assert_eq!(phone_key("123456"), None);
        assert_ne!(phone_key("5147214711"), phone_key("5147214712"));
    }
}
