//! Contacts of a customer (several for an enterprise).

use chrono::Utc;
use rusqlite::{Transaction, params};
use serde_json::json;

use super::{Repo, RepoError, Result, audit, customers, date_text, parse_date};
use crate::domain::model::{Contact, NewContact};

pub(crate) fn insert_contact(tx: &Transaction, agent: &str, c: &NewContact) -> Result<i64> {
    if c.name.trim().is_empty() {
        return Err(RepoError::Invalid("a contact needs a name".into()));
    }
    let now = Utc::now().timestamp();
    tx.prepare_cached(
        "INSERT INTO contacts (customer_id, name, role, email, phone, birthday, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
    )?
    .execute(params![c.customer_id, c.name.trim(), c.role, c.email, c.phone, c.birthday.map(date_text), now])?;
    let id = tx.last_insert_rowid();
    customers::refresh_search(tx, c.customer_id)?;
    audit::record(
        tx,
        agent,
        "create",
        "contact",
        id,
        json!({"customer_id": c.customer_id, "name": c.name, "role": c.role, "email": c.email, "phone": c.phone}),
    )?;
    Ok(id)
}

impl Repo {
    pub fn create_contact(&mut self, c: &NewContact) -> Result<i64> {
        self.write(|tx, agent| insert_contact(tx, agent, c))
    }

    /// A customer's active contacts, by name.
    pub fn contacts_of(&self, customer_id: i64) -> Result<Vec<Contact>> {
        let mut st = self.conn().prepare_cached(
            "SELECT id, customer_id, name, role, email, phone, birthday, version FROM contacts
             WHERE customer_id = ?1 AND status = 'active' ORDER BY name, id",
        )?;
        let rows = st.query_map([customer_id], |r| {
            Ok(Contact {
                id: r.get(0)?,
                customer_id: r.get(1)?,
                name: r.get(2)?,
                role: r.get(3)?,
                email: r.get(4)?,
                phone: r.get(5)?,
                birthday: parse_date(r.get(6)?),
                version: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}
