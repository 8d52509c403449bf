//! Customers: create, read, update with a version check, and search.

use chrono::Utc;
use rusqlite::{OptionalExtension, Row, Transaction, params};
use serde_json::json;

use super::search_index::{self, Candidates};
use super::{Repo, RepoError, Result, audit, code, from_ts};
use crate::domain::lifecycle::Stage;
use crate::domain::model::{Customer, CustomerKind, CustomerRow, CustomerStatus, NewCustomer, Tier};
use crate::domain::money::Money;
use crate::domain::rfm::Segment;
use crate::domain::text::{fold, looks_like_phone, phone_digits, sanitize};

pub(crate) const CUSTOMER_COLS: &str =
    "id, external_id, kind, name, company, email, phone, city, country, owner, status, \
     tier, tier_pin, contribution, credit_limit, on_hold, vip_level, note, version, created_at, updated_at,
     rfm_r, rfm_f, rfm_m, rfm_segment";

pub(crate) fn customer_from_row(r: &Row) -> rusqlite::Result<Customer> {
    Ok(Customer {
        id: r.get(0)?,
        external_id: r.get(1)?,
        kind: code(CustomerKind::parse, r.get(2)?)?,
        name: r.get(3)?,
        company: r.get(4)?,
        email: r.get(5)?,
        phone: r.get(6)?,
        city: r.get(7)?,
        country: r.get(8)?,
        owner: r.get(9)?,
        status: code(CustomerStatus::parse, r.get(10)?)?,
        tier: code(Tier::parse, r.get(11)?)?,
        tier_pin: r.get::<_, Option<String>>(12)?.map(|s| code(Tier::parse, s)).transpose()?,
        contribution: Money(r.get(13)?),
        credit_limit: r.get::<_, Option<i64>>(14)?.map(Money),
        on_hold: r.get(15)?,
        vip_level: r.get(16)?,
        note: r.get(17)?,
        version: r.get(18)?,
        created_at: from_ts(r.get(19)?),
        updated_at: from_ts(r.get(20)?),
        rfm: match (r.get::<_, Option<u8>>(21)?, r.get::<_, Option<u8>>(22)?, r.get::<_, Option<u8>>(23)?) {
            (Some(a), Some(b), Some(c)) => Some((a, b, c)),
            _ => None,
        },
        segment: r.get::<_, Option<String>>(24)?.and_then(|s| Segment::parse(&s)),
    })
}

/// Up to this many matches, a text search's window is read by a scan and
/// a sort of the matches rather than in name order (see
/// [`Repo::search_customers_counted`]): the customer list counts this far.
pub const SORT_BELOW: usize = 10_001;

const ROW_COLS: &str = "id, kind, name, company, phone, email, tier, tier_pin, on_hold";

fn list_row(r: &Row) -> rusqlite::Result<CustomerRow> {
    Ok(CustomerRow {
        id: r.get(0)?,
        kind: code(CustomerKind::parse, r.get(1)?)?,
        name: r.get(2)?,
        company: r.get(3)?,
        phone: r.get(4)?,
        email: r.get(5)?,
        tier: code(Tier::parse, r.get(6)?)?,
        tier_pin: r.get::<_, Option<String>>(7)?.map(|s| code(Tier::parse, s)).transpose()?,
        on_hold: r.get(8)?,
    })
}

/// Rebuilds the folded search text and phone digits of a customer from its
/// own fields and its contacts'.
pub(crate) fn refresh_search(tx: &Transaction, id: i64) -> Result<()> {
    let (name, company, email, phone): (String, Option<String>, Option<String>, Option<String>) =
        tx.query_row("SELECT name, company, email, phone FROM customers WHERE id = ?1", [id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })?;
    let mut emails: Vec<String> = email.iter().cloned().collect();
    let has_email = email.is_some();
    let mut text = vec![name.clone(), company.unwrap_or_default(), email.unwrap_or_default()];
    let mut phones = vec![phone_digits(&phone.unwrap_or_default())];
    let mut st =
        tx.prepare_cached("SELECT name, email, phone FROM contacts WHERE customer_id = ?1 AND status = 'active'")?;
    let contacts = st.query_map([id], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?, r.get::<_, Option<String>>(2)?))
    })?;
    for c in contacts {
        let (n, e, p) = c?;
        text.push(n);
        emails.extend(e.iter().cloned());
        text.push(e.unwrap_or_default());
        phones.push(phone_digits(&p.unwrap_or_default()));
    }
    let search_text = fold(&sanitize(&text.into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" | ")));
    let own = super::duplicates::own_keys(&phones[0], emails.first().filter(|_| has_email).map(String::as_str));
    let phone_text = phones.iter().filter(|s| !s.is_empty()).map(String::as_str).collect::<Vec<_>>().join(" ");
    tx.prepare_cached(
        "UPDATE customers SET sort_key = ?2, search_text = ?3, phone_digits = ?4, phone_key = ?5, email_key = ?6
         WHERE id = ?1",
    )?
    .execute(params![id, fold(sanitize(&name).trim()), search_text, phone_text, own.0, own.1])?;
    let keys = super::duplicates::match_keys(&phone_text, emails.iter().map(String::as_str));
    super::duplicates::write_keys(tx, id, &own, &keys)
}

/// Escapes `%`, `_` and `\` for a LIKE pattern with `ESCAPE '\'`.
pub(crate) fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

pub(crate) fn insert_customer(tx: &Transaction, agent: &str, c: &NewCustomer) -> Result<i64> {
    if c.name.trim().is_empty() {
        return Err(RepoError::Invalid("a customer needs a name".into()));
    }
    let now = Utc::now().timestamp();
    tx.prepare_cached(
        "INSERT INTO customers (external_id, kind, name, company, email, phone, city, country, owner,
             credit_limit, vip_level, note, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13)",
    )?
    .execute(params![
        c.external_id,
        c.kind.code(),
        c.name.trim(),
        c.company,
        c.email,
        c.phone,
        c.city,
        c.country,
        c.owner,
        c.credit_limit.map(|m| m.0),
        c.vip_level,
        c.note,
        now
    ])?;
    let id = tx.last_insert_rowid();
    refresh_search(tx, id)?;
    audit::record(
        tx,
        agent,
        "create",
        "customer",
        id,
        json!({"kind": c.kind.code(), "name": c.name.trim(), "company": c.company, "email": c.email, "phone": c.phone}),
    )?;
    Ok(id)
}

impl Repo {
    /// Creates a customer and returns its id.
    pub fn create_customer(&mut self, c: &NewCustomer) -> Result<i64> {
        self.write(|tx, agent| insert_customer(tx, agent, c))
    }

    /// One customer, or `NotFound`.
    pub fn customer(&self, id: i64) -> Result<Customer> {
        self.conn()
            .query_row(&format!("SELECT {CUSTOMER_COLS} FROM customers WHERE id = ?1"), [id], customer_from_row)
            .optional()?
            .ok_or(RepoError::NotFound { entity: "customer", id })
    }

    /// Saves edits to a customer's own fields, if nobody else changed it
    /// since `c.version` was read; otherwise `Conflict` and nothing is written.
    /// Returns the new version.
    pub fn update_customer(&mut self, c: &Customer) -> Result<i64> {
        if c.name.trim().is_empty() {
            return Err(RepoError::Invalid("a customer needs a name".into()));
        }
        self.write(|tx, agent| {
            let old = tx
                .query_row(&format!("SELECT {CUSTOMER_COLS} FROM customers WHERE id = ?1"), [c.id], customer_from_row)
                .optional()?
                .ok_or(RepoError::NotFound { entity: "customer", id: c.id })?;
            if old.version != c.version {
                return Err(RepoError::Conflict { entity: "customer", id: c.id });
            }
            let n = tx
                .prepare_cached(
                    "UPDATE customers SET kind = ?3, name = ?4, company = ?5, email = ?6, phone = ?7, city = ?8,
                     country = ?9, owner = ?10, status = ?11, tier_pin = ?12, credit_limit = ?13, on_hold = ?14,
                     vip_level = ?15, note = ?16, external_id = ?17, version = version + 1, updated_at = ?18
                 WHERE id = ?1 AND version = ?2",
                )?
                .execute(params![
                    c.id,
                    c.version,
                    c.kind.code(),
                    c.name.trim(),
                    c.company,
                    c.email,
                    c.phone,
                    c.city,
                    c.country,
                    c.owner,
                    c.status.code(),
                    c.tier_pin.map(|t| t.code()),
                    c.credit_limit.map(|m| m.0),
                    c.on_hold,
                    c.vip_level,
                    c.note,
                    c.external_id,
                    Utc::now().timestamp()
                ])?;
            if n == 0 {
                return Err(RepoError::Conflict { entity: "customer", id: c.id });
            }
            refresh_search(tx, c.id)?;
            audit::record(tx, agent, "update", "customer", c.id, customer_changes(&old, c))?;
            Ok(c.version + 1)
        })
    }

    /// A window of active customers matching `query`, ordered by name.
    /// An empty query lists everyone. Text matches name, company, email and
    /// contacts' names, case- and accent-insensitively; a query that looks
    /// like a phone number also matches phone digits, whatever the format.
    pub fn search_customers(&self, query: &str, offset: usize, limit: usize) -> Result<Vec<CustomerRow>> {
        self.search_customers_in(&ListFilter::default(), query, offset, limit)
    }

    /// As [`Repo::search_customers`], among customers of `status`
    /// (archived ones, to restore them).
    pub fn search_customers_in(
        &self,
        filter: &ListFilter,
        query: &str,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<CustomerRow>> {
        let matches =
            if query.trim().is_empty() { usize::MAX } else { self.count_customers_in(filter, query, SORT_BELOW)? };
        self.search_customers_counted(filter, query, offset, limit, matches)
    }

    /// As [`Repo::search_customers_in`], for a caller that has just counted
    /// the matches with [`Repo::count_customers_in`] (capped or not).
    ///
    /// The matches the count just read through the search index are
    /// remembered, and the window is cut from them. Otherwise a text query
    /// matches rows that the sort index cannot find: read in name order, a
    /// rare or missing text means a random row lookup for every customer
    /// before the matches (six seconds on a million when they are rare, or
    /// all CJK, which sorts last). So unless the matches are many (the
    /// count reached [`SORT_BELOW`]) and Latin, the search index's
    /// candidates (or, without the index, every customer in storage order)
    /// are checked and the matches sorted; with that many, name order
    /// reaches the window's rows soon: the sort index is read in order and
    /// only the customers the search index names are looked up. An exact
    /// search's matches ([`search_index::exact`]) are placed by the narrow
    /// `customers_order` index, without reading their rows.
    pub fn search_customers_counted(
        &self,
        filter: &ListFilter,
        query: &str,
        offset: usize,
        limit: usize,
        matches: usize,
    ) -> Result<Vec<CustomerRow>> {
        if let Some(m) = self.remembered(filter, query)?
            && m.all
        {
            return self.rows_by_id(m.ids.iter().skip(offset).take(limit));
        }
        let plan = self.search_plan(query)?;
        // One or two Latin characters name hundreds of thousands of
        // customers, too many to gather from the index: the first
        // customers in name order are checked one by one, and only if
        // the window is not among them are the index's matches gathered.
        if let Search::Index { cond, args, latin: true, .. } = &plan
            && matches >= SORT_BELOW
            && query.trim().chars().count() < 3
        {
            let rows = self.window_among_first(filter, cond, args, offset, limit)?;
            if rows.len() == limit {
                return Ok(rows);
            }
        }
        // An exact search's window near the top of a list of thousands of
        // matches: name order reaches it within a few tens of thousands of
        // entries of the sort index, which is cheaper than placing every
        // match (a random read each: 15–20 ms for 9,000 of a million).
        let near_top = matches >= NAME_ORDER_MATCHES
            && filter.lifecycle.is_none()
            && matches!(plan, Search::Index { exact: true, latin: true, .. })
            && (offset + limit).saturating_mul(self.customers_upper_bound()?) / matches <= NAME_ORDER_SCAN;
        let (from, cond, args) = match plan {
            Search::Nothing => return Ok(Vec::new()),
            Search::Everyone => ("customers", String::new(), Vec::new()),
            // Many matches: name order reaches the window's rows soon,
            // unless the text is not Latin (those names sort last).
            Search::Scan { cond, args } if matches >= SORT_BELOW => ("customers", cond, args),
            Search::Index { cond, mut args, query: matching, exact, latin: true }
                if matches >= SORT_BELOW || near_top =>
            {
                args.push(matching);
                let cond = if exact { String::new() } else { cond };
                let named = format!(
                    "AND id IN (SELECT rowid FROM customer_search WHERE customer_search MATCH ?{})",
                    args.len()
                );
                (NAME_ORDER_FROM, format!("{cond} {named}"), args)
            }
            // Exact: every match's place in the list, from the narrow index.
            Search::Index { query: matching, exact: true, .. } if filter.lifecycle.is_none() => {
                self.read_matches(filter, query, usize::MAX, Reading::Exact(matching))?;
                return match self.remembered(filter, query)? {
                    Some(m) => self.rows_by_id(m.ids.iter().skip(offset).take(limit)),
                    None => Ok(Vec::new()),
                };
            }
            Search::Scan { cond, args } => ("customers NOT INDEXED", cond, args),
            Search::Index { cond, mut args, query, .. } => {
                args.push(query);
                (INDEXED_FROM, format!("{cond} AND customer_search MATCH ?{}", args.len()), args)
            }
        };
        let sql = format!(
            "SELECT {ROW_COLS} FROM {from} WHERE {} {cond}
             ORDER BY sort_key, id LIMIT ?{} OFFSET ?{}",
            filter.sql(),
            args.len() + 1,
            args.len() + 2
        );
        let mut st = self.conn().prepare_cached(&sql)?;
        let mut params: Vec<&dyn rusqlite::ToSql> = args.iter().map(|a| a as &dyn rusqlite::ToSql).collect();
        let (limit, offset) = (limit as i64, offset as i64);
        params.push(&limit);
        params.push(&offset);
        let rows = st.query_map(params.as_slice(), list_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The window of matches of `cond` if it lies among the first
    /// [`FIRST_CHECKED`] customers of the list in name order (each is read
    /// and checked); otherwise fewer rows than `limit`.
    fn window_among_first(
        &self,
        filter: &ListFilter,
        cond: &str,
        args: &[String],
        offset: usize,
        limit: usize,
    ) -> Result<Vec<CustomerRow>> {
        let mut st = self.conn().prepare_cached(&first_window_sql(filter, cond, args.len()))?;
        let mut params: Vec<&dyn rusqlite::ToSql> = args.iter().map(|a| a as &dyn rusqlite::ToSql).collect();
        let (first, limit, offset) = (FIRST_CHECKED, limit as i64, offset as i64);
        params.push(&first);
        params.push(&limit);
        params.push(&offset);
        let rows = st.query_map(params.as_slice(), list_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// How many active customers match `query`, counting no further than `cap`.
    pub fn count_customers(&self, query: &str, cap: usize) -> Result<usize> {
        self.count_customers_in(&ListFilter::default(), query, cap)
    }

    /// As [`Repo::count_customers`], among customers of `status`. A text
    /// query is counted through the search index when it is complete, else
    /// by scanning the table in storage order: through an index on the
    /// status, each row would be a random lookup.
    pub fn count_customers_in(&self, filter: &ListFilter, query: &str, cap: usize) -> Result<usize> {
        let (from, cond, args) = match self.search_plan(query)? {
            Search::Nothing => return Ok(0),
            Search::Everyone => ("customers", String::new(), Vec::new()),
            Search::Scan { cond, args } => ("customers NOT INDEXED", cond, args),
            Search::Index { cond, args, query: matching, exact, .. } => {
                return self.count_indexed(filter, query, cap, cond, args, matching, exact);
            }
        };
        let sql = format!(
            "SELECT count(*) FROM (SELECT 1 FROM {from} WHERE {} {cond} LIMIT ?{})",
            filter.sql(),
            args.len() + 1
        );
        let mut st = self.conn().prepare_cached(&sql)?;
        let mut params: Vec<&dyn rusqlite::ToSql> = args.iter().map(|a| a as &dyn rusqlite::ToSql).collect();
        let cap = cap as i64;
        params.push(&cap);
        let n: i64 = st.query_row(params.as_slice(), |r| r.get(0))?;
        Ok(n as usize)
    }

    /// Counts an indexed search by reading its matches' ids and names (up
    /// to the cap, or to [`SORT_BELOW`]); when that is all of them, they
    /// are kept in list order for the window reads that follow
    /// ([`SearchMemo`]), so each match is looked up once per search (and
    /// otherwise, how many there are at least, for the next count). An
    /// exact search ([`search_index::exact`]) reads no customer when the
    /// index alone shows that the cap is reached, and otherwise reads its
    /// matches from the narrow `customers_order` index.
    #[allow(clippy::too_many_arguments)]
    fn count_indexed(
        &self,
        filter: &ListFilter,
        query: &str,
        cap: usize,
        cond: String,
        args: Vec<String>,
        matching: String,
        exact: bool,
    ) -> Result<usize> {
        if let Some(m) = self.remembered(filter, query)? {
            if m.all {
                return Ok(m.ids.len().min(cap));
            }
            if cap <= m.found {
                return Ok(cap);
            }
        }
        let reading = if exact && filter.lifecycle.is_none() {
            if let Some(n) = self.counted_by_index(filter, &matching, cap)? {
                self.remember(filter, query, n, None)?;
                return Ok(n);
            }
            Reading::Exact(matching)
        } else {
            Reading::Checked { cond, args, matching }
        };
        let n = self.read_matches(filter, query, cap.max(SORT_BELOW), reading)?;
        Ok(n.min(cap))
    }

    /// An exact search's count (up to `cap`) when the search index alone
    /// gives it: `cap` when the index names at least `cap` more customers
    /// than have another status than the list's; every customer it names
    /// when no customer has another status. Both are counted only as far
    /// as that needs (a short text names hundreds of thousands); `None`
    /// when customers of another status are more than [`OTHERS_COUNTED`],
    /// or some are and fewer than `cap` match (the matches are read then).
    fn counted_by_index(&self, filter: &ListFilter, matching: &str, cap: usize) -> Result<Option<usize>> {
        let others = CustomerStatus::ALL
            .iter()
            .filter(|s| **s != filter.status)
            .map(|s| format!("'{}'", s.code()))
            .collect::<Vec<_>>()
            .join(", ");
        let elsewhere: i64 = self
            .conn()
            .prepare_cached(&format!(
                "SELECT count(*) FROM (SELECT 1 FROM customers WHERE status IN ({others}) LIMIT ?1)"
            ))?
            .query_row([OTHERS_COUNTED + 1], |r| r.get(0))?;
        if elsewhere > OTHERS_COUNTED {
            return Ok(None);
        }
        let needed = i64::try_from(cap).unwrap_or(i64::MAX).saturating_add(elsewhere);
        let named: i64 = self
            .conn()
            .prepare_cached(
                "SELECT count(*) FROM (SELECT 1 FROM customer_search WHERE customer_search MATCH ?1 LIMIT ?2)",
            )?
            .query_row(params![matching, needed], |r| r.get(0))?;
        Ok(if named >= needed {
            Some(cap)
        } else if elsewhere == 0 {
            Some(named.max(0) as usize)
        } else {
            None
        })
    }

    /// Reads up to `limit` matches' ids and sort keys through the search
    /// index and remembers them (in list order when that is all of them);
    /// returns how many were read.
    fn read_matches(&self, filter: &ListFilter, query: &str, limit: usize, reading: Reading) -> Result<usize> {
        let (from, cond, args) = match reading {
            Reading::Exact(matching) => (EXACT_FROM, String::new(), vec![matching]),
            Reading::Checked { cond, mut args, matching } => {
                args.push(matching);
                (INDEXED_FROM, cond, args)
            }
        };
        let sql = format!(
            "SELECT customers.id, customers.sort_key FROM {from}
             WHERE {} {cond} AND customer_search MATCH ?{} LIMIT ?{}",
            filter.sql(),
            args.len(),
            args.len() + 1
        );
        let mut st = self.conn().prepare_cached(&sql)?;
        let mut params: Vec<&dyn rusqlite::ToSql> = args.iter().map(|a| a as &dyn rusqlite::ToSql).collect();
        let read = limit.min(i64::MAX as usize) as i64;
        params.push(&read);
        let mut found: Vec<(String, i64)> =
            st.query_map(params.as_slice(), |r| Ok((r.get(1)?, r.get(0)?)))?.collect::<rusqlite::Result<_>>()?;
        let n = found.len();
        let all = n < limit;
        if all {
            found.sort_unstable();
        }
        self.remember(filter, query, n, all.then(|| found.into_iter().map(|(_, id)| id).collect()))?;
        Ok(n)
    }

    /// Remembers that at least `found` customers match this search, and
    /// which, in list order, when `ids` holds them all.
    fn remember(&self, filter: &ListFilter, query: &str, found: usize, ids: Option<Vec<i64>>) -> Result<()> {
        *self.search_memo.borrow_mut() = Some(SearchMemo {
            filter: *filter,
            query: query.to_string(),
            stamp: self.stamp()?,
            found,
            all: ids.is_some(),
            ids: ids.unwrap_or_default(),
        });
        Ok(())
    }

    /// The remembered matches of this search, if the base has not changed
    /// since they were read.
    fn remembered(&self, filter: &ListFilter, query: &str) -> Result<Option<std::cell::Ref<'_, SearchMemo>>> {
        let memo = self.search_memo.borrow();
        match memo.as_ref() {
            Some(m) if m.filter == *filter && m.query == query && m.stamp == self.stamp()? => {
                Ok(std::cell::Ref::filter_map(memo, Option::as_ref).ok())
            }
            _ => Ok(None),
        }
    }

    /// How `query` is searched ([`search_plan`]), remembered while the base
    /// does not change: the list counts a search and then reads its window,
    /// and the plan of a one- or two-character search reads the index's
    /// vocabulary (5–9 ms for `ma` on a million customers).
    fn search_plan(&self, query: &str) -> Result<Search> {
        let stamp = self.stamp()?;
        if let Some(m) = self.plan_memo.borrow().as_ref()
            && m.query == query
            && m.stamp == stamp
        {
            return Ok(m.plan.clone());
        }
        let plan = search_plan(self.conn(), query)?;
        *self.plan_memo.borrow_mut() = Some(PlanMemo { query: query.to_string(), stamp, plan: plan.clone() });
        Ok(plan)
    }

    /// At least as many as the customers of any list: the highest id.
    fn customers_upper_bound(&self) -> Result<usize> {
        let max: i64 =
            self.conn().prepare_cached("SELECT coalesce(max(id), 0) FROM customers")?.query_row([], |r| r.get(0))?;
        Ok(max.max(1) as usize)
    }

    /// Changes when anyone commits a change to the base (another
    /// connection's commit moves `data_version`; this one's writes move
    /// its change count).
    fn stamp(&self) -> Result<(i64, u64)> {
        Ok((self.data_version()?, self.conn().total_changes()))
    }

    /// The list rows of these customers, in this order.
    fn rows_by_id<'a>(&self, ids: impl Iterator<Item = &'a i64>) -> Result<Vec<CustomerRow>> {
        let ids: Vec<i64> = ids.copied().collect();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        let mut st = self.conn().prepare(&format!("SELECT {ROW_COLS} FROM customers WHERE id IN ({list})"))?;
        let mut rows: std::collections::HashMap<i64, CustomerRow> =
            st.query_map([], list_row)?.map(|r| r.map(|r| (r.id, r))).collect::<rusqlite::Result<_>>()?;
        Ok(ids.iter().filter_map(|id| rows.remove(id)).collect())
    }

    /// Customers whose phone (or a contact's) has exactly these digits, or
    /// ends with them when at least seven digits are given.
    pub fn customers_by_phone(&self, number: &str) -> Result<Vec<CustomerRow>> {
        let digits = phone_digits(number);
        if digits.len() < 3 {
            return Ok(Vec::new());
        }
        // A national number drops the trunk prefix 0 that the international
        // form leaves out: 06 12 34 56 78 is +33 6 12 34 56 78.
        let core = digits.trim_start_matches('0');
        // The index narrows to customers whose digits hold the number (or,
        // from seven digits, its core, which the number holds).
        let candidates = if !search_index::complete(self.conn())? {
            Candidates::Unknown
        } else if core.len() >= 7 {
            search_index::candidates(self.conn(), &search_index::phone_terms(core))?
        } else {
            search_index::candidates(self.conn(), &search_index::phone_terms(&digits))?
        };
        let (from, matching) = match candidates {
            Candidates::None => return Ok(Vec::new()),
            Candidates::Unknown => ("customers", None),
            Candidates::Match(q) => (INDEXED_FROM, Some(q)),
        };
        let mut st = self.conn().prepare_cached(&format!(
            "SELECT {ROW_COLS} FROM {from} WHERE status = 'active' AND (
                 (' ' || phone_digits || ' ') LIKE '% ' || ?1 || ' %' ESCAPE '\\'
                 OR (length(?2) >= 7 AND (phone_digits || ' ') LIKE '%' || ?2 || ' %' ESCAPE '\\'))
                 {}
             ORDER BY sort_key, id LIMIT 50",
            if matching.is_some() { "AND customer_search MATCH ?3" } else { "" }
        ))?;
        let (digits, core) = (like_escape(&digits), like_escape(core));
        let rows = match &matching {
            Some(q) => st.query_map(params![digits, core, q], list_row)?.collect::<rusqlite::Result<_>>()?,
            None => st.query_map(params![digits, core], list_row)?.collect::<rusqlite::Result<_>>()?,
        };
        Ok(rows)
    }

    /// Number of customers (all statuses).
    pub fn customer_count(&self) -> Result<i64> {
        Ok(self.conn().query_row("SELECT count(*) FROM customers", [], |r| r.get(0))?)
    }
}

/// Which customers a list shows besides the search text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListFilter {
    pub status: CustomerStatus,
    /// Only customers in this lifecycle stage.
    pub lifecycle: Option<Stage>,
}

impl Default for ListFilter {
    fn default() -> Self {
        ListFilter { status: CustomerStatus::Active, lifecycle: None }
    }
}

impl ListFilter {
    /// The condition; only enum codes are written into it, never user text.
    fn sql(&self) -> String {
        let mut s = format!("status = '{}'", self.status.code());
        if let Some(l) = self.lifecycle {
            s += &format!(" AND lifecycle = '{}'", l.code());
        }
        s
    }
}

/// The matches of the last search read through the index, in list order
/// (name, then id), while the base has not changed: the customer list
/// counts a search, then reads windows of it as the user scrolls, and each
/// read would otherwise look every match up again.
pub(crate) struct SearchMemo {
    filter: ListFilter,
    query: String,
    stamp: (i64, u64),
    /// How many matches were read (all of them, or as many as counting
    /// needed: then at least this many match).
    found: usize,
    /// Whether `ids` holds every match.
    all: bool,
    ids: Vec<i64>,
}

/// The window of a search among the first customers in name order, for a
/// condition `cond` with `args` parameters (then the number of customers,
/// the limit and the offset). The first customers' ids come from the sort
/// index alone; each row is then looked up and only its searched columns
/// read, until the window is full (a third faster than carrying whole rows
/// through the subquery: 13.5 → 9.5 ms for `51` at a million customers).
fn first_window_sql(filter: &ListFilter, cond: &str, args: usize) -> String {
    format!(
        "SELECT {ROW_COLS} FROM (SELECT id AS first_id, sort_key AS first_key FROM customers WHERE {}
                                 ORDER BY sort_key, id LIMIT ?{})
         CROSS JOIN customers ON customers.id = first_id
         WHERE 1 {cond} ORDER BY first_key, first_id LIMIT ?{} OFFSET ?{}",
        filter.sql(),
        args + 1,
        args + 2,
        args + 3
    )
}

/// The last search's plan and the base's state it was made in.
pub(crate) struct PlanMemo {
    query: String,
    stamp: (i64, u64),
    plan: Search,
}

/// An exact Latin search with at least this many matches reads a window
/// near the top of its list in name order (see `near_top` in
/// [`Repo::search_customers_counted`]) ...
const NAME_ORDER_MATCHES: usize = 2_000;

/// ... when name order reaches the window's end within about this many
/// entries of the sort index (estimated from the share of customers that
/// match; about 0.1 µs an entry).
const NAME_ORDER_SCAN: usize = 60_000;

/// How many customers in name order a search of one or two characters
/// checks one by one for its window before it gathers the search index's
/// matches instead (about 3 µs each on a million customers; gathering
/// takes 7–65 ms).
const FIRST_CHECKED: i64 = 6_000;

/// How many customers of another status than the list's an exact search
/// counts at most before it reads its matches instead (each is an entry
/// of the sort index: a few milliseconds).
const OTHERS_COUNTED: i64 = 50_000;

/// The search index's candidates, then each customer itself: the index
/// names customers in id order and each is looked up by id.
const INDEXED_FROM: &str = "customer_search CROSS JOIN customers ON customers.id = customer_search.rowid";

/// As [`INDEXED_FROM`] for an exact search: each customer's status and
/// sort key are read from the narrow `customers_order` index (migration 15),
/// not from the row.
const EXACT_FROM: &str =
    "customer_search CROSS JOIN customers INDEXED BY customers_order ON customers.id = customer_search.rowid";

/// The list in name order (`customers_sort`), keeping the customers the
/// search index names: only those are looked up, so a search with many
/// matches finds the first screenful after a few thousand index entries.
const NAME_ORDER_FROM: &str = "customers INDEXED BY customers_sort";

/// How an indexed search's matches are read.
enum Reading {
    /// Exactly the customers this FTS5 query names.
    Exact(String),
    /// The customers this FTS5 query (`matching`) names that meet `cond`.
    Checked { cond: String, args: Vec<String>, matching: String },
}

/// How a search reads the customers.
#[derive(Clone)]
enum Search {
    /// No text: everyone.
    Everyone,
    /// No customer can match.
    Nothing,
    /// Every customer is checked against `cond`.
    Scan { cond: String, args: Vec<String> },
    /// The customers the index names for `query` are checked against `cond`.
    Index {
        cond: String,
        args: Vec<String>,
        query: String,
        /// The index names exactly the matches: `cond` need not be checked
        /// ([`search_index::exact`]).
        exact: bool,
        /// The text is Latin (or digits): its matches are spread through
        /// the list's name order, not gathered at its end as CJK names are.
        latin: bool,
    },
}

/// The condition a customer's search text (and, for what looks like a
/// phone number, phone digits) must meet, and whether the search index can
/// name the candidates. Only the condition decides what matches, so the
/// index changes the speed, never the answer.
fn search_plan(conn: &rusqlite::Connection, query: &str) -> Result<Search> {
    let q = query.trim();
    if q.is_empty() {
        return Ok(Search::Everyone);
    }
    let folded = fold(q);
    let text = format!("%{}%", like_escape(&folded));
    let indexed = search_index::complete(conn)?;
    let phone = looks_like_phone(q);
    let (cond, args, candidates) = if phone {
        let digits = phone_digits(q);
        let candidates = if indexed {
            search_index::candidates_either(conn, &folded, &search_index::phone_terms(&digits))?
        } else {
            Candidates::Unknown
        };
        (
            "AND (search_text LIKE ?1 ESCAPE '\\' OR phone_digits LIKE ?2 ESCAPE '\\')".to_string(),
            vec![text, format!("%{}%", like_escape(&digits))],
            candidates,
        )
    } else {
        let candidates = if indexed { search_index::candidates(conn, &folded)? } else { Candidates::Unknown };
        ("AND search_text LIKE ?1 ESCAPE '\\'".to_string(), vec![text], candidates)
    };
    Ok(match candidates {
        Candidates::None => Search::Nothing,
        Candidates::Unknown => Search::Scan { cond, args },
        Candidates::Match(query) => Search::Index {
            cond,
            args,
            query,
            exact: search_index::exact(&folded),
            latin: folded.chars().all(|c| c < '\u{0370}'),
        },
    })
}

fn customer_changes(old: &Customer, new: &Customer) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    let mut diff = |field: &str, a: serde_json::Value, b: serde_json::Value| {
        if a != b {
            m.insert(field.to_string(), json!([a, b]));
        }
    };
    diff("kind", json!(old.kind.code()), json!(new.kind.code()));
    diff("name", json!(old.name), json!(new.name.trim()));
    diff("company", json!(old.company), json!(new.company));
    diff("email", json!(old.email), json!(new.email));
    diff("phone", json!(old.phone), json!(new.phone));
    diff("city", json!(old.city), json!(new.city));
    diff("country", json!(old.country), json!(new.country));
    diff("owner", json!(old.owner), json!(new.owner));
    diff("status", json!(old.status.code()), json!(new.status.code()));
    diff("tier_pin", json!(old.tier_pin.map(|t| t.code())), json!(new.tier_pin.map(|t| t.code())));
    diff("credit_limit", json!(old.credit_limit.map(|m| m.0)), json!(new.credit_limit.map(|m| m.0)));
    diff("on_hold", json!(old.on_hold), json!(new.on_hold));
    diff("vip_level", json!(old.vip_level), json!(new.vip_level));
    diff("note", json!(old.note), json!(new.note));
    diff("external_id", json!(old.external_id), json!(new.external_id));
    serde_json::Value::Object(m)
}

impl Repo {
    /// Puts a customer on credit hold (flagged everywhere until lifted).
    pub(crate) fn place_hold_in(tx: &Transaction, agent: &str, customer_id: i64, why: &str) -> Result<()> {
        let n = tx
            .prepare_cached("UPDATE customers SET on_hold = 1, version = version + 1 WHERE id = ?1 AND on_hold = 0")?
            .execute([customer_id])?;
        if n > 0 {
            audit::record(tx, agent, "hold", "customer", customer_id, json!({"on_hold": [false, true], "why": why}))?;
        }
        Ok(())
    }

    /// Lifts a credit hold: an explicit, audited action, refused if the
    /// customer changed since `version` was read.
    pub fn lift_hold(&mut self, customer_id: i64, version: i64) -> Result<()> {
        self.write(|tx, agent| {
            let n = tx
                .prepare_cached(
                    "UPDATE customers SET on_hold = 0, version = version + 1, updated_at = ?3
                     WHERE id = ?1 AND version = ?2 AND on_hold = 1",
                )?
                .execute(params![customer_id, version, Utc::now().timestamp()])?;
            if n == 0 {
                return Err(RepoError::Conflict { entity: "customer", id: customer_id });
            }
            audit::record(tx, agent, "lift_hold", "customer", customer_id, json!({"on_hold": [true, false]}))?;
            Ok(())
        })
    }
}

/// A customer's id, name and external id, for reports.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerLabel {
    pub id: i64,
    pub name: String,
    pub external_id: Option<String>,
}

impl Repo {
    /// Every active customer's label, by id.
    pub fn customer_labels(&self) -> Result<std::collections::HashMap<i64, CustomerLabel>> {
        let mut st =
            self.conn().prepare_cached("SELECT id, name, external_id FROM customers WHERE status = 'active'")?;
        let rows =
            st.query_map([], |r| Ok(CustomerLabel { id: r.get(0)?, name: r.get(1)?, external_id: r.get(2)? }))?;
        let mut out = std::collections::HashMap::new();
        for row in rows {
            let l = row?;
            out.insert(l.id, l);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first customers in name order come from the sort index alone,
    /// in its order (no sort), and each row is looked up by id.
    #[test]
    fn the_first_window_reads_the_sort_index_then_each_row() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repo::open(&dir.path().join("t.db"), "test").unwrap();
        let sql = first_window_sql(&ListFilter::default(), "AND search_text LIKE ?1 ESCAPE '\\'", 1);
        let plan = crate::repo::query_plan(repo.conn(), &sql, rusqlite::params!["%ma%", 6000, 50, 0]);
        assert!(plan.iter().any(|p| p.contains("COVERING INDEX customers_sort")), "{plan:?}");
        assert!(plan.iter().any(|p| p.contains("INTEGER PRIMARY KEY")), "{plan:?}");
        assert!(!plan.iter().any(|p| p.contains("TEMP B-TREE")), "{plan:?}");
    }
}
