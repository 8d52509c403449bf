//! The audit log's stored changes (a JSON object: field → value, or
//! field → [old, new] for an update) as lines a person reads: which field,
//! the old value, the new one. Values keep their kind (money, a time, a
//! yes/no) so the screen can show them in the user's locale and time zone.

use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;

use super::money::Money;

/// A value as it should be shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shown {
    /// No value (cleared, or never set).
    Empty,
    Text(String),
    Money(Money),
    /// A point in time (stored as seconds since the epoch).
    Time(DateTime<Utc>),
    Flag(bool),
}

/// One field of one audit entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldChange {
    pub field: String,
    /// The value before, for updates; `None` when the entry records only a
    /// value (a creation, a reason).
    pub old: Option<Shown>,
    pub new: Shown,
}

/// Fields whose integers are money in minor units.
const MONEY: &[&str] = &["amount", "credit_limit", "contribution"];
/// Fields whose integers are times (seconds since the epoch).
const TIMES: &[&str] = &["due_at", "occurred_at", "deadline_at", "opened_at", "closed_at", "at"];
/// Fields that hold a list, never an [old, new] pair.
const LISTS: &[&str] = &["transactions", "ids"];
/// Fields left out: the record they belong to is already known.
const HIDDEN: &[&str] = &["customer_id"];

/// How `value` of `field` is shown.
pub fn show(field: &str, value: &Value) -> Shown {
    match value {
        Value::Null => Shown::Empty,
        Value::Bool(b) => Shown::Flag(*b),
        Value::Number(n) if MONEY.contains(&field) => {
            n.as_i64().map_or(Shown::Text(n.to_string()), |c| Shown::Money(Money(c)))
        }
        Value::Number(n) if TIMES.contains(&field) => {
            n.as_i64().and_then(|s| Utc.timestamp_opt(s, 0).single()).map_or(Shown::Text(n.to_string()), Shown::Time)
        }
        Value::Number(n) => Shown::Text(n.to_string()),
        Value::String(s) if s.is_empty() => Shown::Empty,
        Value::String(s) => Shown::Text(s.clone()),
        Value::Array(items) => Shown::Text(
            items
                .iter()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                .collect::<Vec<_>>()
                .join(", "),
        ),
        Value::Object(_) => Shown::Text(value.to_string()),
    }
}

/// The fields of one entry's `changes`, in the stored object's order.
/// Fields without a value, and pairs whose old and new values are the same
/// (a stage move within open deals keeps the status), are left out.
pub fn field_changes(changes: &str) -> Vec<FieldChange> {
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(changes) else {
        let text = changes.trim();
        return if text.is_empty() || text == "{}" {
            Vec::new()
        } else {
            vec![FieldChange { field: String::new(), old: None, new: Shown::Text(text.to_string()) }]
        };
    };
    let mut out = Vec::new();
    for (field, value) in &map {
        if HIDDEN.contains(&field.as_str()) {
            continue;
        }
        match value {
            Value::Array(pair) if pair.len() == 2 && !LISTS.contains(&field.as_str()) => {
                let (old, new) = (show(field, &pair[0]), show(field, &pair[1]));
                if old != new {
                    out.push(FieldChange { field: field.clone(), old: Some(old), new });
                }
            }
            Value::Null => {}
            v => out.push(FieldChange { field: field.clone(), old: None, new: show(field, v) }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_update_gives_old_and_new_per_field() {
        let c = field_changes(r#"{"phone":["+1 555 0100","+1 555 0199"],"credit_limit":[100000,null]}"#);
        assert_eq!(c.len(), 2);
        let phone = c.iter().find(|f| f.field == "phone").unwrap();
        assert_eq!(phone.old, Some(Shown::Text("+1 555 0100".into())));
        assert_eq!(phone.new, Shown::Text("+1 555 0199".into()));
        let credit = c.iter().find(|f| f.field == "credit_limit").unwrap();
        assert_eq!(credit.old, Some(Shown::Money(Money(100_000))));
        assert_eq!(credit.new, Shown::Empty);
    }

    #[test]
    fn a_creation_lists_its_values_without_the_empty_ones_or_the_owner_record() {
        let c = field_changes(r#"{"customer_id":3,"title":"Fleet","amount":250000,"company":null}"#);
        assert_eq!(
            c,
            vec![
                FieldChange { field: "amount".into(), old: None, new: Shown::Money(Money(250_000)) },
                FieldChange { field: "title".into(), old: None, new: Shown::Text("Fleet".into()) },
            ]
        );
    }

    #[test]
    fn times_flags_and_lists_keep_their_kind() {
        let c = field_changes(r#"{"due_at":[1764064800,1764151200],"on_hold":[false,true],"transactions":[4,9]}"#);
        let due = c.iter().find(|f| f.field == "due_at").unwrap();
        assert_eq!(due.old, Some(Shown::Time(Utc.timestamp_opt(1_764_064_800, 0).unwrap())));
        let hold = c.iter().find(|f| f.field == "on_hold").unwrap();
        assert_eq!((hold.old.clone(), hold.new.clone()), (Some(Shown::Flag(false)), Shown::Flag(true)));
        let tx = c.iter().find(|f| f.field == "transactions").unwrap();
        assert_eq!((tx.old.clone(), tx.new.clone()), (None, Shown::Text("4, 9".into())));
    }

    #[test]
    fn a_field_that_did_not_change_is_left_out() {
        let c = field_changes(r#"{"stage":["Lead","Won"],"status":["open","open"],"reason":null}"#);
        assert_eq!(c.iter().map(|f| f.field.as_str()).collect::<Vec<_>>(), ["stage"]);
    }

    #[test]
    fn text_that_is_not_an_object_is_shown_as_is() {
        assert!(field_changes("{}").is_empty());
        assert!(field_changes("").is_empty());
        assert_eq!(field_changes("merged")[0].new, Shown::Text("merged".into()));
    }
}
