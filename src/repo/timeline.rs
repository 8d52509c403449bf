//! A customer's whole story as one timeline, newest first: interactions,
//! transactions, deal moves (created, moved, won, lost), complaints opened
//! and closed, reminders and promises. Read a page at a time with a keyset
//! cursor, so years of history scroll without being loaded whole: each
//! source gives at most a page through its (customer, time) index and the
//! pages are merged.

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::{Repo, Result, code, from_ts};
use crate::domain::model::{
    Channel, Direction, Outcome, PromiseStatus, ReminderKind, ReminderStatus, Severity, TxKind,
};
use crate::domain::money::Money;

/// What happened.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Interaction {
        channel: Channel,
        direction: Direction,
        summary: String,
        outcome: Outcome,
        agent: String,
    },
    Transaction {
        kind: TxKind,
        amount: Money,
        reference: Option<String>,
    },
    /// A deal created (`from` is `None`), moved, won or lost.
    DealMove {
        title: String,
        amount: Money,
        from: Option<String>,
        to: String,
        reason: Option<String>,
        agent: String,
    },
    CaseOpened {
        title: String,
        severity: Severity,
        owner: Option<String>,
    },
    CaseClosed {
        title: String,
        satisfaction: Option<u8>,
        owner: Option<String>,
    },
    /// A reminder, at its due time (or when it was done).
    Reminder {
        kind: ReminderKind,
        note: String,
        status: ReminderStatus,
        owner: Option<String>,
    },
    /// A promise, when it was made.
    Promise {
        text: String,
        due_at: DateTime<Utc>,
        status: PromiseStatus,
        agent: String,
    },
}

/// One line of the timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub at: DateTime<Utc>,
    pub event: Event,
    /// Where the page after this entry starts.
    pub cursor: Cursor,
}

/// A place in the timeline: entries strictly older than it come next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    at: i64,
    source: i64,
    id: i64,
}

impl Cursor {
    /// Before the newest entry: the first page.
    pub const START: Cursor = Cursor { at: i64::MAX, source: i64::MAX, id: i64::MAX };
    /// After the oldest entry: [`Repo::timeline_newer`] from here gives the
    /// oldest page.
    pub const END: Cursor = Cursor { at: i64::MIN, source: i64::MIN, id: i64::MIN };
}

/// The sources, one branch each: (number, time column, SELECT of the
/// columns a..e and n, FROM and WHERE with `?1` the customer).
const SOURCES: &[(i64, &str, &str)] = &[
    (
        0,
        "x.occurred_at",
        "x.channel, x.direction, x.summary, x.outcome, x.agent, NULL FROM interactions x WHERE x.customer_id = ?1",
    ),
    (
        1,
        "x.occurred_at",
        "x.kind, x.reference, NULL, NULL, NULL, x.amount FROM transactions x WHERE x.customer_id = ?1",
    ),
    (
        2,
        "x.changed_at",
        "x.from_stage, x.to_stage, d.title, x.reason, x.agent, d.amount
         FROM deals d JOIN deal_stage_history x ON x.deal_id = d.id WHERE d.customer_id = ?1",
    ),
    (3, "x.opened_at", "x.severity, x.title, x.owner, NULL, NULL, NULL FROM cases x WHERE x.customer_id = ?1"),
    (
        4,
        "x.closed_at",
        "NULL, x.title, x.owner, NULL, NULL, x.satisfaction FROM cases x
         WHERE x.customer_id = ?1 AND x.closed_at IS NOT NULL",
    ),
    (
        5,
        "coalesce(x.done_at, x.due_at)",
        "x.kind, x.note, x.owner, x.status, NULL, NULL FROM reminders x WHERE x.customer_id = ?1",
    ),
    (6, "x.created_at", "x.text, x.agent, x.status, NULL, NULL, x.due_at FROM promises x WHERE x.customer_id = ?1"),
];

/// The union over every source of the `?5` entries next to the cursor
/// (`?2`, `?3`, `?4`): older than it, newest first; or (`newer`) newer
/// than it, oldest first.
fn sql(newer: bool) -> String {
    let (cmp, strict, order) = if newer { (">=", ">", "ASC") } else { ("<=", "<", "DESC") };
    let (src_cmp, id_cmp) = if newer { ("<", ">") } else { (">", "<") };
    let branches: Vec<String> = SOURCES
        .iter()
        .map(|(n, at, rest)| {
            format!(
                "SELECT * FROM (SELECT {at} AS at, {n} AS src, x.id AS id, {rest}
                   AND {at} {cmp} ?2 AND ({at} {strict} ?2 OR ?3 {src_cmp} {n} OR (?3 = {n} AND x.id {id_cmp} ?4))
                 ORDER BY at {order}, id {order} LIMIT ?5)"
            )
        })
        .collect();
    format!("{} ORDER BY at {order}, src {order}, id {order} LIMIT ?5", branches.join("\nUNION ALL\n"))
}

fn entry(r: &rusqlite::Row) -> rusqlite::Result<Entry> {
    let at: i64 = r.get(0)?;
    let source: i64 = r.get(1)?;
    let id: i64 = r.get(2)?;
    let t = |i: usize| r.get::<_, Option<String>>(i);
    let s = |i: usize| -> rusqlite::Result<String> { Ok(t(i)?.unwrap_or_default()) };
    let n: Option<i64> = r.get(8)?;
    let event = match source {
        0 => Event::Interaction {
            channel: code(Channel::parse, s(3)?)?,
            direction: code(Direction::parse, s(4)?)?,
            summary: s(5)?,
            outcome: code(Outcome::parse, s(6)?)?,
            agent: s(7)?,
        },
        1 => Event::Transaction { kind: code(TxKind::parse, s(3)?)?, amount: Money(n.unwrap_or(0)), reference: t(4)? },
        2 => Event::DealMove {
            from: t(3)?,
            to: s(4)?,
            title: s(5)?,
            reason: t(6)?,
            agent: s(7)?,
            amount: Money(n.unwrap_or(0)),
        },
        3 => Event::CaseOpened { severity: code(Severity::parse, s(3)?)?, title: s(4)?, owner: t(5)? },
        4 => Event::CaseClosed { title: s(4)?, owner: t(5)?, satisfaction: n.and_then(|v| u8::try_from(v).ok()) },
        5 => Event::Reminder {
            kind: code(ReminderKind::parse, s(3)?)?,
            note: s(4)?,
            owner: t(5)?,
            status: code(ReminderStatus::parse, s(6)?)?,
        },
        _ => Event::Promise {
            text: s(3)?,
            agent: s(4)?,
            status: code(PromiseStatus::parse, s(5)?)?,
            due_at: from_ts(n.unwrap_or(0)),
        },
    };
    Ok(Entry { at: from_ts(at), event, cursor: Cursor { at, source, id } })
}

impl Repo {
    /// Up to `limit` entries of customer `customer_id`'s timeline older than
    /// `after` (`Cursor::START` for the newest), newest first.
    pub fn timeline(&self, customer_id: i64, after: Cursor, limit: usize) -> Result<Vec<Entry>> {
        let mut st = self.conn().prepare_cached(&sql(false))?;
        let rows = st.query_map(params![customer_id, after.at, after.source, after.id, limit as i64], entry)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Up to `limit` entries of the timeline just newer than `before`
    /// (`Cursor::END` for the oldest ones), newest first like
    /// [`Repo::timeline`]: for reading a long story from its end (the End
    /// key) without reading all of it.
    pub fn timeline_newer(&self, customer_id: i64, before: Cursor, limit: usize) -> Result<Vec<Entry>> {
        let mut st = self.conn().prepare_cached(&sql(true))?;
        let rows = st.query_map(params![customer_id, before.at, before.source, before.id, limit as i64], entry)?;
        let mut out: Vec<Entry> = rows.collect::<rusqlite::Result<_>>()?;
        out.reverse();
        Ok(out)
    }
}
