//! Many writes in one transaction (demo data, imports): all or nothing.

use super::{Repo, Result, cases, contacts, customers, deals, interactions, promises, reminders, transactions};
use crate::domain::model::{
    DealStatus, NewCase, NewContact, NewCustomer, NewDeal, NewInteraction, NewPromise, NewReminder, NewTransaction,
    PromiseStatus,
};

/// A write transaction handed to [`Repo::batch`]'s closure.
pub struct Batch<'a> {
    tx: &'a rusqlite::Transaction<'a>,
    agent: &'a str,
}

impl Batch<'_> {
    pub fn customer(&self, c: &NewCustomer) -> Result<i64> {
        customers::insert_customer(self.tx, self.agent, c)
    }
    pub fn contact(&self, c: &NewContact) -> Result<i64> {
        contacts::insert_contact(self.tx, self.agent, c)
    }
    pub fn interaction(&self, i: &NewInteraction) -> Result<i64> {
        interactions::insert_interaction(self.tx, self.agent, i)
    }
    /// Logs an interaction as if made by `agent` (demo data, imports).
    pub fn interaction_by(&self, agent: &str, i: &NewInteraction) -> Result<i64> {
        interactions::insert_interaction(self.tx, agent, i)
    }
    pub fn transaction(&self, t: &NewTransaction) -> Result<i64> {
        transactions::insert_transaction(self.tx, self.agent, t)
    }
    pub fn deal(&self, d: &NewDeal) -> Result<i64> {
        deals::insert_deal(self.tx, self.agent, d)
    }
    /// Moves a freshly made deal (version 1 + moves so far) at time `at`.
    pub fn move_deal(
        &self,
        id: i64,
        version: i64,
        to_stage: &str,
        status: DealStatus,
        reason: Option<&str>,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<()> {
        deals::move_deal(self.tx, self.agent, id, version, &deals::StageMove { to_stage, status, reason, at })
    }
    pub fn reminder(&self, r: &NewReminder) -> Result<Option<i64>> {
        reminders::insert_reminder(self.tx, self.agent, r)
    }
    /// Marks a reminder done at `at` (demo history).
    pub fn complete_reminder(&self, id: i64, at: chrono::DateTime<chrono::Utc>) -> Result<()> {
        self.tx.execute(
            "UPDATE reminders SET status = 'done', done_at = ?2, version = version + 1 WHERE id = ?1",
            rusqlite::params![id, super::ts(at)],
        )?;
        Ok(())
    }
    pub fn promise(&self, p: &NewPromise) -> Result<i64> {
        promises::insert_promise(self.tx, self.agent, p)
    }
    pub fn case(&self, c: &NewCase) -> Result<i64> {
        cases::insert_case(self.tx, self.agent, c)
    }
    /// A promise made by `agent` (demo data).
    pub fn promise_by(&self, agent: &str, p: &NewPromise) -> Result<i64> {
        promises::insert_promise(self.tx, agent, p)
    }
    /// Settles a promise as kept, late or broken at `at` (demo history).
    pub fn settle_promise(&self, id: i64, status: PromiseStatus, at: chrono::DateTime<chrono::Utc>) -> Result<()> {
        self.tx.execute(
            "UPDATE promises SET status = ?2, done_at = ?3, version = version + 1 WHERE id = ?1",
            rusqlite::params![id, status.code(), super::ts(at)],
        )?;
        Ok(())
    }
    /// A complaint owned by `agent` (demo data).
    pub fn case_by(&self, agent: &str, c: &NewCase) -> Result<i64> {
        cases::insert_case(self.tx, agent, c)
    }
    /// Ticks a complaint's 4A steps at the given times (the Anticipate one
    /// with `note`) and closes it with a satisfaction when given (demo history).
    pub fn case_progress(
        &self,
        id: i64,
        steps: [Option<chrono::DateTime<chrono::Utc>>; 4],
        note: Option<&str>,
        closed: Option<(chrono::DateTime<chrono::Utc>, u8)>,
    ) -> Result<()> {
        let t = |x: Option<chrono::DateTime<chrono::Utc>>| x.map(super::ts);
        self.tx.execute(
            "UPDATE cases SET acknowledged_at = ?2, apologized_at = ?3, amended_at = ?4, anticipated_at = ?5,
                 anticipate_note = ?6, status = CASE WHEN ?7 IS NULL THEN 'open' ELSE 'closed' END, closed_at = ?7,
                 satisfaction = ?8, version = version + 1
             WHERE id = ?1",
            rusqlite::params![
                id,
                t(steps[0]),
                t(steps[1]),
                t(steps[2]),
                t(steps[3]),
                note,
                t(closed.map(|c| c.0)),
                closed.map(|c| c.1)
            ],
        )?;
        Ok(())
    }
}

impl Repo {
    /// Runs `f` with a [`Batch`] in one `BEGIN IMMEDIATE` transaction: if
    /// `f` fails, nothing it wrote stays.
    pub fn batch<T>(&mut self, f: impl FnOnce(&Batch) -> Result<T>) -> Result<T> {
        self.write(|tx, agent| f(&Batch { tx, agent }))
    }
}
