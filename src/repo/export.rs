//! Reading whole tables out for export, one row at a time (streamed: an
//! export of a million rows never holds them all), in id order.

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::Row;

use super::{Repo, RepoError, code, from_ts, parse_date};
use crate::domain::model::{Channel, Customer, CustomerKind, CustomerStatus, DealStatus, Direction, Outcome, TxKind};
use crate::domain::money::Money;

/// The customer a row belongs to, as exports name it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Owner {
    pub customer_id: i64,
    pub external_id: Option<String>,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ContactOut {
    pub id: i64,
    pub external_id: Option<String>,
    pub customer: Owner,
    pub name: String,
    pub role: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub birthday: Option<NaiveDate>,
    pub status: CustomerStatus,
    /// The kind of the customer the contact belongs to.
    pub customer_kind: CustomerKind,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TransactionOut {
    pub id: i64,
    pub external_id: Option<String>,
    pub customer: Owner,
    pub kind: TxKind,
    /// Signed as stored.
    pub amount: Money,
    pub occurred_at: DateTime<Utc>,
    pub reference: Option<String>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct InteractionOut {
    pub id: i64,
    pub customer: Owner,
    pub channel: Channel,
    pub direction: Direction,
    pub summary: String,
    pub outcome: Outcome,
    pub agent: String,
    pub occurred_at: DateTime<Utc>,
    pub duration_secs: Option<i64>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DealOut {
    pub id: i64,
    pub customer: Owner,
    pub title: String,
    pub amount: Money,
    pub stage: String,
    pub probability_pct: Option<u8>,
    pub expected_close: Option<NaiveDate>,
    pub competitors: Option<String>,
    pub owner: Option<String>,
    pub next_step: Option<String>,
    pub status: DealStatus,
    pub close_reason: Option<String>,
    pub closed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReminderOut {
    pub id: i64,
    pub customer: Owner,
    /// The stored kind code (`call`, `follow_up`, ...).
    pub kind: String,
    pub due_at: DateTime<Utc>,
    pub note: String,
    pub owner: Option<String>,
    /// `open`, `done`, `snoozed` or `cancelled`.
    pub status: String,
    pub recurrence: Option<String>,
    pub done_at: Option<DateTime<Utc>>,
    pub origin_rule: Option<String>,
}

/// Where an open calendar item comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CalendarSource {
    Reminder,
    Promise,
}

/// An open reminder (open or snoozed) or open promise, for a calendar.
#[derive(Debug, Clone, PartialEq)]
pub struct CalendarEntry {
    pub source: CalendarSource,
    pub id: i64,
    pub customer: Owner,
    pub customer_phone: Option<String>,
    /// The reminder's kind code, or "promise".
    pub kind: String,
    pub text: String,
    pub due_at: DateTime<Utc>,
    pub owner: Option<String>,
    pub version: i64,
    /// A reminder's recurrence code (`days:14`, `monthly:31`, ...).
    pub recurrence: Option<String>,
}

fn opt_ts(v: Option<i64>) -> Option<DateTime<Utc>> {
    v.map(from_ts)
}

/// Columns 0..=2 of every query below that joins the customer.
fn owner(r: &Row, at: usize) -> rusqlite::Result<Owner> {
    Ok(Owner { customer_id: r.get(at)?, external_id: r.get(at + 1)?, name: r.get(at + 2)? })
}

impl Repo {
    fn each<T, E: From<RepoError>>(
        &self,
        sql: &str,
        map: fn(&Row) -> rusqlite::Result<T>,
        f: &mut dyn FnMut(T) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        let mut st = self.conn().prepare(sql).map_err(|e| E::from(RepoError::from(e)))?;
        let mut rows = st.query([]).map_err(|e| E::from(RepoError::from(e)))?;
        while let Some(row) = rows.next().map_err(|e| E::from(RepoError::from(e)))? {
            f(map(row).map_err(|e| E::from(RepoError::from(e)))?)?;
        }
        Ok(())
    }

    /// Every customer (active and archived), by id.
    pub fn each_customer<E: From<RepoError>>(
        &self,
        mut f: impl FnMut(Customer) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        self.each(
            &format!("SELECT {} FROM customers ORDER BY id", super::customers::CUSTOMER_COLS),
            super::customers::customer_from_row,
            &mut f,
        )
    }

    /// Every contact (active and archived), by id.
    pub fn each_contact<E: From<RepoError>>(
        &self,
        mut f: impl FnMut(ContactOut) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        self.each(
            "SELECT c.customer_id, cu.external_id, cu.name, c.id, c.external_id, c.name, c.role, c.email, c.phone,
                    c.birthday, c.status, cu.kind
             FROM contacts c JOIN customers cu ON cu.id = c.customer_id ORDER BY c.id",
            |r| {
                Ok(ContactOut {
                    customer: owner(r, 0)?,
                    id: r.get(3)?,
                    external_id: r.get(4)?,
                    name: r.get(5)?,
                    role: r.get(6)?,
                    email: r.get(7)?,
                    phone: r.get(8)?,
                    birthday: parse_date(r.get(9)?),
                    status: code(CustomerStatus::parse, r.get(10)?)?,
                    customer_kind: code(CustomerKind::parse, r.get(11)?)?,
                })
            },
            &mut f,
        )
    }

    /// Every money transaction, by id.
    pub fn each_transaction<E: From<RepoError>>(
        &self,
        mut f: impl FnMut(TransactionOut) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        self.each(
            "SELECT t.customer_id, cu.external_id, cu.name, t.id, t.external_id, t.kind, t.amount, t.occurred_at,
                    t.reference, t.note
             FROM transactions t JOIN customers cu ON cu.id = t.customer_id ORDER BY t.id",
            |r| {
                Ok(TransactionOut {
                    customer: owner(r, 0)?,
                    id: r.get(3)?,
                    external_id: r.get(4)?,
                    kind: code(TxKind::parse, r.get(5)?)?,
                    amount: Money(r.get(6)?),
                    occurred_at: from_ts(r.get(7)?),
                    reference: r.get(8)?,
                    note: r.get(9)?,
                })
            },
            &mut f,
        )
    }

    /// Every interaction, by id.
    pub fn each_interaction<E: From<RepoError>>(
        &self,
        mut f: impl FnMut(InteractionOut) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        self.each(
            "SELECT i.customer_id, cu.external_id, cu.name, i.id, i.channel, i.direction, i.summary, i.outcome,
                    i.agent, i.occurred_at, i.duration_secs, i.note
             FROM interactions i JOIN customers cu ON cu.id = i.customer_id ORDER BY i.id",
            |r| {
                Ok(InteractionOut {
                    customer: owner(r, 0)?,
                    id: r.get(3)?,
                    channel: code(Channel::parse, r.get(4)?)?,
                    direction: code(Direction::parse, r.get(5)?)?,
                    summary: r.get(6)?,
                    outcome: code(Outcome::parse, r.get(7)?)?,
                    agent: r.get(8)?,
                    occurred_at: from_ts(r.get(9)?),
                    duration_secs: r.get(10)?,
                    note: r.get(11)?,
                })
            },
            &mut f,
        )
    }

    /// Every deal (open and closed), by id.
    pub fn each_deal<E: From<RepoError>>(
        &self,
        mut f: impl FnMut(DealOut) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        self.each(
            "SELECT d.customer_id, cu.external_id, cu.name, d.id, d.title, d.amount, d.stage, d.probability_pct,
                    d.expected_close, d.competitors, d.owner, d.next_step, d.status, d.close_reason, d.closed_at,
                    d.created_at
             FROM deals d JOIN customers cu ON cu.id = d.customer_id ORDER BY d.id",
            |r| {
                Ok(DealOut {
                    customer: owner(r, 0)?,
                    id: r.get(3)?,
                    title: r.get(4)?,
                    amount: Money(r.get(5)?),
                    stage: r.get(6)?,
                    probability_pct: r.get(7)?,
                    expected_close: parse_date(r.get(8)?),
                    competitors: r.get(9)?,
                    owner: r.get(10)?,
                    next_step: r.get(11)?,
                    status: code(DealStatus::parse, r.get(12)?)?,
                    close_reason: r.get(13)?,
                    closed_at: opt_ts(r.get(14)?),
                    created_at: from_ts(r.get(15)?),
                })
            },
            &mut f,
        )
    }

    /// The whole audit log, oldest first: (id, entry).
    pub fn each_audit_entry<E: From<RepoError>>(
        &self,
        mut f: impl FnMut((i64, super::audit::AuditEntry)) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        self.each(
            "SELECT id, at, agent, action, entity, entity_id, changes FROM audit_log ORDER BY id",
            |r| {
                Ok((
                    r.get(0)?,
                    super::audit::AuditEntry {
                        at: from_ts(r.get(1)?),
                        agent: r.get(2)?,
                        action: r.get(3)?,
                        entity: r.get(4)?,
                        entity_id: r.get(5)?,
                        changes: r.get(6)?,
                    },
                ))
            },
            &mut f,
        )
    }

    /// Every reminder (any status), by id.
    pub fn each_reminder<E: From<RepoError>>(
        &self,
        mut f: impl FnMut(ReminderOut) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        self.each(
            "SELECT r.customer_id, cu.external_id, cu.name, r.id, r.kind, r.due_at, r.note, r.owner, r.status,
                    r.recurrence, r.done_at, r.origin_rule
             FROM reminders r JOIN customers cu ON cu.id = r.customer_id ORDER BY r.id",
            |r| {
                Ok(ReminderOut {
                    customer: owner(r, 0)?,
                    id: r.get(3)?,
                    kind: r.get(4)?,
                    due_at: from_ts(r.get(5)?),
                    note: r.get(6)?,
                    owner: r.get(7)?,
                    status: r.get(8)?,
                    recurrence: r.get(9)?,
                    done_at: opt_ts(r.get(10)?),
                    origin_rule: r.get(11)?,
                })
            },
            &mut f,
        )
    }

    /// Open reminders (open or snoozed) and open promises, soonest first.
    pub fn each_open_calendar_entry<E: From<RepoError>>(
        &self,
        mut f: impl FnMut(CalendarEntry) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        self.each(
            "SELECT customer_id, external_id, name, src, id, phone, kind, what, due_at, owner, version, recurrence
             FROM (
                 SELECT r.customer_id, cu.external_id, cu.name, 0 AS src, r.id, cu.phone, r.kind, r.note AS what,
                        r.due_at, r.owner, r.version, r.recurrence
                 FROM reminders r JOIN customers cu ON cu.id = r.customer_id
                 WHERE r.status IN ('open', 'snoozed')
                 UNION ALL
                 SELECT p.customer_id, cu.external_id, cu.name, 1, p.id, cu.phone, 'promise', p.text, p.due_at,
                        p.agent, p.version, NULL
                 FROM promises p JOIN customers cu ON cu.id = p.customer_id
                 WHERE p.status = 'open')
             ORDER BY due_at, src, id",
            |r| {
                Ok(CalendarEntry {
                    customer: owner(r, 0)?,
                    source: if r.get::<_, i64>(3)? == 0 { CalendarSource::Reminder } else { CalendarSource::Promise },
                    id: r.get(4)?,
                    customer_phone: r.get(5)?,
                    kind: r.get(6)?,
                    text: r.get(7)?,
                    due_at: from_ts(r.get(8)?),
                    owner: r.get(9)?,
                    version: r.get(10)?,
                    recurrence: r.get(11)?,
                })
            },
            &mut f,
        )
    }
}
