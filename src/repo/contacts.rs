//! Contacts of a customer (several for an enterprise).

use chrono::Utc;
use rusqlite::{OptionalExtension, Transaction, params};
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
        let mut st = self.conn().prepare_cached(&format!(
            "SELECT {CONTACT_COLS} FROM contacts WHERE customer_id = ?1 AND status = 'active' ORDER BY name, id"
        ))?;
        let rows = st.query_map([customer_id], contact_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// All of a customer's contacts, archived ones last, by name.
    pub fn all_contacts_of(&self, customer_id: i64) -> Result<Vec<Contact>> {
        let mut st = self.conn().prepare_cached(&format!(
            "SELECT {CONTACT_COLS} FROM contacts WHERE customer_id = ?1 ORDER BY status = 'archived', name, id"
        ))?;
        let rows = st.query_map([customer_id], contact_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// One contact, or `NotFound`.
    pub fn contact(&self, id: i64) -> Result<Contact> {
        self.conn()
            .query_row(&format!("SELECT {CONTACT_COLS} FROM contacts WHERE id = ?1"), [id], contact_from_row)
            .optional()?
            .ok_or(RepoError::NotFound { entity: "contact", id })
    }

    /// Saves edits to a contact (name, role, email, phone, birthday, and
    /// archived or not) if nobody changed it since `c.version` was read;
    /// otherwise `Conflict` and nothing is written. The audit entry holds
    /// the old and new value of each changed field. Returns the new version.
    pub fn update_contact(&mut self, c: &Contact) -> Result<i64> {
        if c.name.trim().is_empty() {
            return Err(RepoError::Invalid("a contact needs a name".into()));
        }
        self.write(|tx, agent| {
            let old = tx
                .query_row(&format!("SELECT {CONTACT_COLS} FROM contacts WHERE id = ?1"), [c.id], contact_from_row)
                .optional()?
                .ok_or(RepoError::NotFound { entity: "contact", id: c.id })?;
            if old.version != c.version {
                return Err(RepoError::Conflict { entity: "contact", id: c.id });
            }
            tx.prepare_cached(
                "UPDATE contacts SET name = ?2, role = ?3, email = ?4, phone = ?5, birthday = ?6, status = ?7,
                 version = version + 1, updated_at = ?8 WHERE id = ?1",
            )?
            .execute(params![
                c.id,
                c.name.trim(),
                c.role,
                c.email,
                c.phone,
                c.birthday.map(date_text),
                if c.archived { "archived" } else { "active" },
                Utc::now().timestamp()
            ])?;
            customers::refresh_search(tx, old.customer_id)?;
            let mut m = serde_json::Map::new();
            let mut diff = |field: &str, a: serde_json::Value, b: serde_json::Value| {
                if a != b {
                    m.insert(field.to_string(), json!([a, b]));
                }
            };
            diff("name", json!(old.name), json!(c.name.trim()));
            diff("role", json!(old.role), json!(c.role));
            diff("email", json!(old.email), json!(c.email));
            diff("phone", json!(old.phone), json!(c.phone));
            diff("birthday", json!(old.birthday.map(date_text)), json!(c.birthday.map(date_text)));
            diff("status", json!(status(old.archived)), json!(status(c.archived)));
            let action = match (old.archived, c.archived) {
                (false, true) => "archive",
                (true, false) => "restore",
                _ => "update",
            };
            audit::record(tx, agent, action, "contact", c.id, serde_json::Value::Object(m))?;
            Ok(c.version + 1)
        })
    }
}

fn status(archived: bool) -> &'static str {
    if archived { "archived" } else { "active" }
}

const CONTACT_COLS: &str = "id, customer_id, name, role, email, phone, birthday, status, version";

fn contact_from_row(r: &rusqlite::Row) -> rusqlite::Result<Contact> {
    Ok(Contact {
        id: r.get(0)?,
        customer_id: r.get(1)?,
        name: r.get(2)?,
        role: r.get(3)?,
        email: r.get(4)?,
        phone: r.get(5)?,
        birthday: parse_date(r.get(6)?),
        archived: r.get::<_, String>(7)? == "archived",
        version: r.get(8)?,
    })
}
