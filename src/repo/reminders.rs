//! Reminders, and the merged list of what is due (reminders, promises,
//! complaint deadlines) that care's triage shows.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, Transaction, params};
use serde_json::json;

use super::band_totals::band_of_c;
use super::{Repo, RepoError, Result, audit, code, from_ts, ts};
use crate::domain::model::{NewReminder, Reminder, ReminderKind, ReminderStatus, Tier};
use crate::domain::recurrence::Recurrence;

/// Inserts a reminder. A rule-made reminder (with an origin) is made at
/// most once per occasion: returns `None` when it already exists.
pub(crate) fn insert_reminder(tx: &Transaction, agent: &str, r: &NewReminder) -> Result<Option<i64>> {
    if let Some(rec) = &r.recurrence {
        Recurrence::parse(rec).map_err(RepoError::Invalid)?;
    }
    let now = Utc::now().timestamp();
    let (rule, occasion) = match &r.origin {
        Some((a, b)) => (Some(a.as_str()), Some(b.as_str())),
        None => (None, None),
    };
    let n = tx
        .prepare_cached(
            "INSERT INTO reminders (customer_id, kind, due_at, note, owner, recurrence, origin_rule, occasion_key,
             created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)
         ON CONFLICT (origin_rule, occasion_key) DO NOTHING",
        )?
        .execute(params![
            r.customer_id,
            r.kind.code(),
            ts(r.due_at),
            r.note,
            r.owner,
            r.recurrence,
            rule,
            occasion,
            now
        ])?;
    if n == 0 {
        return Ok(None);
    }
    let id = tx.last_insert_rowid();
    audit::record(
        tx,
        agent,
        "create",
        "reminder",
        id,
        json!({"customer_id": r.customer_id, "kind": r.kind.code(), "due_at": ts(r.due_at), "note": r.note}),
    )?;
    Ok(Some(id))
}

const REMINDER_SELECT: &str =
    "SELECT r.id, r.customer_id, c.name, r.kind, r.due_at, r.note, r.owner, r.status, r.recurrence, r.version
     FROM reminders r JOIN customers c ON c.id = r.customer_id";

fn reminder_from_row(r: &rusqlite::Row) -> rusqlite::Result<Reminder> {
    Ok(Reminder {
        id: r.get(0)?,
        customer_id: r.get(1)?,
        customer_name: r.get(2)?,
        kind: code(ReminderKind::parse, r.get(3)?)?,
        due_at: from_ts(r.get(4)?),
        note: r.get(5)?,
        owner: r.get(6)?,
        status: code(ReminderStatus::parse, r.get(7)?)?,
        recurrence: r.get(8)?,
        version: r.get(9)?,
    })
}

/// Where a due item comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DueSource {
    Reminder = 0,
    Promise = 1,
    Case = 2,
}

/// One line of care's triage: something due for a customer.
#[derive(Debug, Clone, PartialEq)]
pub struct DueItem {
    pub source: DueSource,
    pub id: i64,
    pub customer_id: i64,
    pub customer_name: String,
    pub tier: Tier,
    /// The reminder's kind code, "promise", or the case's severity.
    pub kind: String,
    pub what: String,
    pub due_at: DateTime<Utc>,
    pub owner: Option<String>,
    /// The row's version when read, for the optimistic check on change.
    pub version: i64,
}

/// Which due items a list shows: all, one source (reminders, promises,
/// complaints), or the reminders of one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DueKind {
    #[default]
    All,
    Source(DueSource),
    Reminder(ReminderKind),
}

impl DueKind {
    /// The next filter in the cycle a key steps through: all, reminders,
    /// promises, complaints, then each kind of reminder, then all again.
    pub fn next(self) -> DueKind {
        let kinds: Vec<ReminderKind> = ReminderKind::ALL
            .iter()
            .copied()
            .filter(|k| !matches!(k, ReminderKind::Promise | ReminderKind::Complaint))
            .collect();
        match self {
            DueKind::All => DueKind::Source(DueSource::Reminder),
            DueKind::Source(DueSource::Reminder) => DueKind::Source(DueSource::Promise),
            DueKind::Source(DueSource::Promise) => DueKind::Source(DueSource::Case),
            DueKind::Source(DueSource::Case) => DueKind::Reminder(kinds[0]),
            DueKind::Reminder(k) => match kinds.iter().position(|x| *x == k) {
                Some(i) if i + 1 < kinds.len() => DueKind::Reminder(kinds[i + 1]),
                _ => DueKind::All,
            },
        }
    }

    fn source_code(self) -> Option<i64> {
        match self {
            DueKind::All => None,
            DueKind::Source(s) => Some(s as i64),
            DueKind::Reminder(_) => Some(DueSource::Reminder as i64),
        }
    }

    fn reminder_kind(self) -> Option<&'static str> {
        match self {
            DueKind::Reminder(k) => Some(k.code()),
            _ => None,
        }
    }

    fn shows(self, source: DueSource) -> bool {
        self.source_code().is_none_or(|c| c == source as i64)
    }
}

/// A due list's filter: whose items (`None`: everyone's) and which kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DueFilter {
    pub owner: Option<String>,
    pub kind: DueKind,
}

/// The open reminders due before ?1 (whose owner is ?2 and kind ?3 when
/// given), in the care list's order, the first ?4: read in the order of
/// `reminders_triage`, each customer looked up by id.
const DUE_REMINDERS: &str = "SELECT r.band, r.id, r.customer_id, c.name, coalesce(c.tier_pin, c.tier), r.kind,
        r.note, r.due_at, r.owner, r.version
     FROM reminders r INDEXED BY reminders_triage CROSS JOIN customers c ON c.id = r.customer_id
     WHERE r.status IN ('open', 'snoozed') AND r.due_at < ?1 AND (?2 IS NULL OR r.owner = ?2)
       AND (?3 IS NULL OR r.kind = ?3)
     ORDER BY r.band, r.due_at, r.id LIMIT ?4";

/// As [`DUE_REMINDERS`], the open promises (?3 unused).
const DUE_PROMISES: &str = concat!(
    "SELECT ",
    band_of_c!(),
    " AS band, p.id, p.customer_id, c.name, coalesce(c.tier_pin, c.tier), 'promise', p.text, p.due_at, p.agent,
        p.version
     FROM promises p JOIN customers c ON c.id = p.customer_id
     WHERE p.status = 'open' AND p.due_at < ?1 AND (?2 IS NULL OR p.agent = ?2)
     ORDER BY band, p.due_at, p.id LIMIT ?4"
);

/// As [`DUE_REMINDERS`], the open complaints by their deadline (?3 unused).
const DUE_CASES: &str = concat!(
    "SELECT ",
    band_of_c!(),
    " AS band, k.id, k.customer_id, c.name, coalesce(c.tier_pin, c.tier), k.severity, k.title, k.deadline_at,
        k.owner, k.version
     FROM cases k JOIN customers c ON c.id = k.customer_id
     WHERE k.status = 'open' AND k.deadline_at < ?1 AND (?2 IS NULL OR k.owner = ?2)
     ORDER BY band, k.deadline_at, k.id LIMIT ?4"
);

/// The care list's order: band, due time, source, id.
fn due_order((band, i): &(i64, DueItem)) -> (i64, DateTime<Utc>, i64, i64) {
    (*band, i.due_at, i.source as i64, i.id)
}

/// A reminder's fields a person can change.
#[derive(Debug, Clone, PartialEq)]
pub struct ReminderEdit {
    pub kind: ReminderKind,
    pub due_at: DateTime<Utc>,
    pub note: String,
    pub owner: Option<String>,
    pub recurrence: Option<String>,
}

/// What marking a due item done did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Done {
    /// The reminder is done.
    Reminder,
    /// The reminder is done and its next occurrence is due then.
    Recurs(DateTime<Utc>),
    /// The promise was kept (on time).
    Kept,
    /// The promise was kept, but after its due time.
    Late,
}

impl Repo {
    /// Creates a reminder; see [`insert_reminder`].
    pub fn create_reminder(&mut self, r: &NewReminder) -> Result<Option<i64>> {
        self.write(|tx, agent| insert_reminder(tx, agent, r))
    }

    /// One reminder, or `NotFound`.
    pub fn reminder(&self, id: i64) -> Result<Reminder> {
        self.conn()
            .query_row(&format!("{REMINDER_SELECT} WHERE r.id = ?1"), [id], reminder_from_row)
            .optional()?
            .ok_or(RepoError::NotFound { entity: "reminder", id })
    }

    /// A customer's open (and snoozed) reminders, soonest first.
    pub fn open_reminders_of(&self, customer_id: i64) -> Result<Vec<Reminder>> {
        self.open_reminders_soonest(customer_id, usize::MAX)
    }

    /// The `limit` soonest of a customer's open (and snoozed) reminders.
    pub fn open_reminders_soonest(&self, customer_id: i64, limit: usize) -> Result<Vec<Reminder>> {
        let mut st = self.conn().prepare_cached(&format!(
            "{REMINDER_SELECT} WHERE r.customer_id = ?1 AND r.status IN ('open', 'snoozed')
             ORDER BY r.due_at, r.id LIMIT ?2"
        ))?;
        let rows = st.query_map(params![customer_id, limit.min(i64::MAX as usize) as i64], reminder_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// How many open (and snoozed) reminders and open promises a customer has.
    pub fn open_due_count_of(&self, customer_id: i64) -> Result<i64> {
        Ok(self.conn().query_row(
            "SELECT (SELECT count(*) FROM reminders WHERE customer_id = ?1 AND status IN ('open', 'snoozed'))
                  + (SELECT count(*) FROM promises WHERE customer_id = ?1 AND status = 'open')",
            [customer_id],
            |r| r.get(0),
        )?)
    }

    /// Everything open that falls due before `until`: reminders (open or
    /// snoozed), promises, and open complaints' deadlines; ordered by the
    /// customer's tier (Top first), then due time. A window of `limit` rows.
    pub fn due_items(&self, until: DateTime<Utc>, offset: usize, limit: usize) -> Result<Vec<DueItem>> {
        self.due_items_for(until, &DueFilter::default(), offset, limit)
    }

    /// As [`Repo::due_items`], only the items `filter` lets through.
    ///
    /// Each source is read in the list's order (band, due time, id) up to
    /// the window's end, and the three merged: open reminders through
    /// `reminders_triage` (each carries its customer's band, migration 13),
    /// so the first window of a million customers' 763,000 due reminders
    /// reads a few hundred index entries instead of sorting them all;
    /// promises and complaints are few.
    pub fn due_items_for(
        &self,
        until: DateTime<Utc>,
        filter: &DueFilter,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<DueItem>> {
        let want = offset.saturating_add(limit).min(i64::MAX as usize) as i64;
        let mut items: Vec<(i64, DueItem)> = Vec::new();
        for source in [DueSource::Reminder, DueSource::Promise, DueSource::Case] {
            self.read_due(source, until, filter, want, |row| {
                items.push(row);
                Ok(())
            })?;
        }
        items.sort_by_key(due_order);
        Ok(items.into_iter().skip(offset).take(limit).map(|(_, i)| i).collect())
    }

    /// Every item [`Repo::due_items_for`] lists, handed to `f` one at a time
    /// in the list's order, without holding them all (a million customers'
    /// base has hundreds of thousands due): promises and complaints are read
    /// first (they are few), then merged into the reminders as these are
    /// read in order. Returns how many were handed over.
    pub fn each_due_item(
        &self,
        until: DateTime<Utc>,
        filter: &DueFilter,
        mut f: impl FnMut(DueItem) -> Result<()>,
    ) -> Result<usize> {
        let mut others: Vec<(i64, DueItem)> = Vec::new();
        for source in [DueSource::Promise, DueSource::Case] {
            self.read_due(source, until, filter, -1, |row| {
                others.push(row);
                Ok(())
            })?;
        }
        others.sort_by_key(due_order);
        let mut others = others.into_iter().peekable();
        let mut n = 0;
        self.read_due(DueSource::Reminder, until, filter, -1, |row| {
            while let Some(o) = others.next_if(|o| due_order(o) < due_order(&row)) {
                f(o.1)?;
                n += 1;
            }
            f(row.1)?;
            n += 1;
            Ok(())
        })?;
        for (_, o) in others {
            f(o)?;
            n += 1;
        }
        Ok(n)
    }

    /// The first `want` (all when negative) items of one source that
    /// `filter` lets through, in the list's order, with their band.
    fn read_due(
        &self,
        source: DueSource,
        until: DateTime<Utc>,
        filter: &DueFilter,
        want: i64,
        mut each: impl FnMut((i64, DueItem)) -> Result<()>,
    ) -> Result<()> {
        if !filter.kind.shows(source) {
            return Ok(());
        }
        let sql = match source {
            DueSource::Reminder => DUE_REMINDERS,
            DueSource::Promise => DUE_PROMISES,
            DueSource::Case => DUE_CASES,
        };
        let mut st = self.conn().prepare_cached(sql)?;
        let rows = st.query_map(params![ts(until), filter.owner, filter.kind.reminder_kind(), want], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                DueItem {
                    source,
                    id: r.get(1)?,
                    customer_id: r.get(2)?,
                    customer_name: r.get(3)?,
                    tier: code(Tier::parse, r.get(4)?)?,
                    kind: r.get(5)?,
                    what: r.get(6)?,
                    due_at: from_ts(r.get(7)?),
                    owner: r.get(8)?,
                    version: r.get(9)?,
                },
            ))
        })?;
        for row in rows {
            each(row?)?;
        }
        Ok(())
    }

    /// Marks a due item done at `at`: a reminder is done (a recurring one
    /// comes back at its next occurrence), a promise is kept (late if after
    /// its due time). Complaints close through their 4A checklist, not here.
    /// Refused with `Conflict` if someone changed the item since it was read.
    pub fn complete_due(&mut self, item: &DueItem, at: DateTime<Utc>) -> Result<Done> {
        self.write(|tx, agent| match item.source {
            DueSource::Reminder => {
                let rec: Option<(String, i64, String, String, Option<String>)> = tx
                    .query_row(
                        "SELECT kind, customer_id, note, coalesce(recurrence, ''), owner FROM reminders WHERE id = ?1",
                        [item.id],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
                    )
                    .ok();
                let n = tx
                    .prepare_cached(
                        "UPDATE reminders SET status = 'done', done_at = ?3, version = version + 1, updated_at = ?3
                         WHERE id = ?1 AND version = ?2 AND status IN ('open', 'snoozed')",
                    )?
                    .execute(params![item.id, item.version, ts(at)])?;
                if n == 0 {
                    return Err(RepoError::Conflict { entity: "reminder", id: item.id });
                }
                audit::record(tx, agent, "done", "reminder", item.id, json!({"status": ["open", "done"]}))?;
                let Some((kind, customer_id, note, rec, owner)) = rec else { return Ok(Done::Reminder) };
                if rec.is_empty() {
                    return Ok(Done::Reminder);
                }
                let (next, anchored) = Recurrence::parse(&rec).map_err(RepoError::Invalid)?.next(item.due_at);
                insert_reminder(
                    tx,
                    agent,
                    &NewReminder {
                        customer_id,
                        kind: ReminderKind::parse(&kind).map_err(RepoError::Invalid)?,
                        due_at: next,
                        note,
                        owner,
                        recurrence: Some(anchored.code()),
                        origin: None,
                    },
                )?;
                Ok(Done::Recurs(next))
            }
            DueSource::Promise => {
                let late = at > item.due_at;
                let status = if late { "late" } else { "kept" };
                let n = tx
                    .prepare_cached(
                        "UPDATE promises SET status = ?3, done_at = ?4, version = version + 1, updated_at = ?4
                         WHERE id = ?1 AND version = ?2 AND status = 'open'",
                    )?
                    .execute(params![item.id, item.version, status, ts(at)])?;
                if n == 0 {
                    return Err(RepoError::Conflict { entity: "promise", id: item.id });
                }
                audit::record(tx, agent, "done", "promise", item.id, json!({"status": ["open", status]}))?;
                Ok(if late { Done::Late } else { Done::Kept })
            }
            DueSource::Case => {
                Err(RepoError::Invalid("a complaint is closed through its 4A checklist, not marked done".into()))
            }
        })
    }

    /// Cancels a reminder, or marks a promise broken, at `at`. Complaints
    /// close through their checklist. `Conflict` if it changed meanwhile.
    pub fn cancel_due(&mut self, item: &DueItem, at: DateTime<Utc>) -> Result<()> {
        let (table, entity, status, from) = match item.source {
            DueSource::Reminder => ("reminders", "reminder", "cancelled", "status IN ('open', 'snoozed')"),
            DueSource::Promise => ("promises", "promise", "broken", "status = 'open'"),
            DueSource::Case => {
                return Err(RepoError::Invalid("a complaint is closed through its 4A checklist, not cancelled".into()));
            }
        };
        self.write(|tx, agent| {
            let n = tx
                .prepare_cached(&format!(
                    "UPDATE {table} SET status = ?3, done_at = ?4, version = version + 1, updated_at = ?4
                     WHERE id = ?1 AND version = ?2 AND {from}"
                ))?
                .execute(params![item.id, item.version, status, ts(at)])?;
            if n == 0 {
                return Err(RepoError::Conflict { entity, id: item.id });
            }
            audit::record(tx, agent, "cancel", entity, item.id, json!({"status": ["open", status]}))?;
            Ok(())
        })
    }

    /// Moves an open reminder's due time to `until` (snoozed). Promises keep
    /// the date that was promised, and complaints their deadline.
    pub fn snooze_due(&mut self, item: &DueItem, until: DateTime<Utc>) -> Result<()> {
        if item.source != DueSource::Reminder {
            return Err(RepoError::Invalid(
                "only reminders can be snoozed: a promise keeps the date promised, a complaint its deadline".into(),
            ));
        }
        self.write(|tx, agent| {
            let n = tx
                .prepare_cached(
                    "UPDATE reminders SET status = 'snoozed', due_at = ?3, version = version + 1, updated_at = ?4
                     WHERE id = ?1 AND version = ?2 AND status IN ('open', 'snoozed')",
                )?
                .execute(params![item.id, item.version, ts(until), Utc::now().timestamp()])?;
            if n == 0 {
                return Err(RepoError::Conflict { entity: "reminder", id: item.id });
            }
            audit::record(tx, agent, "snooze", "reminder", item.id, json!({"due_at": [ts(item.due_at), ts(until)]}))?;
            Ok(())
        })
    }

    /// Counts of open items due before `until`: (reminders, promises, cases).
    pub fn due_counts(&self, until: DateTime<Utc>) -> Result<(i64, i64, i64)> {
        self.due_counts_for(until, &DueFilter::default())
    }

    /// As [`Repo::due_counts`], only the items `filter` lets through (0 for
    /// the sources it leaves out).
    pub fn due_counts_for(&self, until: DateTime<Utc>, filter: &DueFilter) -> Result<(i64, i64, i64)> {
        let t = ts(until);
        let owner = filter.owner.as_deref();
        let r = super::reminder_days::open_due_before(self.conn(), t, owner, filter.kind.reminder_kind())?;
        let (p, c): (i64, i64) = self
            .conn()
            .prepare_cached(
                "SELECT (SELECT count(*) FROM promises WHERE status = 'open' AND due_at < ?1
                        AND (?2 IS NULL OR agent = ?2)),
                    (SELECT count(*) FROM cases WHERE status = 'open' AND deadline_at < ?1
                        AND (?2 IS NULL OR owner = ?2))",
            )?
            .query_row(params![t, owner], |r| Ok((r.get(0)?, r.get(1)?)))?;
        let keep = |s: DueSource, n: i64| if filter.kind.shows(s) { n } else { 0 };
        Ok((keep(DueSource::Reminder, r), keep(DueSource::Promise, p), keep(DueSource::Case, c)))
    }

    /// Saves edits to an open or snoozed reminder read at `version`; refused
    /// with `Conflict` if someone changed it since (nothing written). The
    /// audit entry holds the old and new value of each changed field.
    /// Returns the new version.
    pub fn update_reminder(&mut self, id: i64, version: i64, e: &ReminderEdit) -> Result<i64> {
        if e.note.trim().is_empty() {
            return Err(RepoError::Invalid("a reminder needs a note".into()));
        }
        if let Some(rec) = &e.recurrence {
            Recurrence::parse(rec).map_err(RepoError::Invalid)?;
        }
        self.write(|tx, agent| {
            let old = tx
                .prepare_cached(&format!("{REMINDER_SELECT} WHERE r.id = ?1"))?
                .query_row([id], reminder_from_row)
                .optional()?
                .ok_or(RepoError::NotFound { entity: "reminder", id })?;
            if old.version != version || !matches!(old.status, ReminderStatus::Open | ReminderStatus::Snoozed) {
                return Err(RepoError::Conflict { entity: "reminder", id });
            }
            tx.prepare_cached(
                "UPDATE reminders SET kind = ?2, due_at = ?3, note = ?4, owner = ?5, recurrence = ?6,
                 version = version + 1, updated_at = ?7 WHERE id = ?1",
            )?
            .execute(params![
                id,
                e.kind.code(),
                ts(e.due_at),
                e.note.trim(),
                e.owner,
                e.recurrence,
                Utc::now().timestamp()
            ])?;
            let mut m = serde_json::Map::new();
            let mut diff = |field: &str, a: serde_json::Value, b: serde_json::Value| {
                if a != b {
                    m.insert(field.to_string(), json!([a, b]));
                }
            };
            diff("kind", json!(old.kind.code()), json!(e.kind.code()));
            diff("due_at", json!(ts(old.due_at)), json!(ts(e.due_at)));
            diff("note", json!(old.note), json!(e.note.trim()));
            diff("owner", json!(old.owner), json!(e.owner));
            diff("recurrence", json!(old.recurrence), json!(e.recurrence));
            audit::record(tx, agent, "update", "reminder", id, serde_json::Value::Object(m))?;
            Ok(version + 1)
        })
    }
}
