//! Two people edited the same record at once: which fields did the other
//! one change, and which of those did the user change too? Records are
//! compared as lists of named field values (a stable code per field), so
//! the same three-way comparison serves customers, deals and reminders.

use super::model::{Contact, Customer, Deal, Reminder};

/// A record's fields as `(code, value)` pairs, in display order. Values are
/// compared as text; an absent value is the empty text.
pub type Fields = Vec<(&'static str, String)>;

/// What a refused save found when it read the record again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Clash {
    /// Fields someone else changed since the form read the record, in the
    /// record's field order.
    pub theirs: Vec<&'static str>,
    /// Of those, the ones the user changed too, to a different value.
    pub both: Vec<&'static str>,
}

impl Clash {
    /// Nothing differs from the version the form started from.
    pub fn is_empty(&self) -> bool {
        self.theirs.is_empty()
    }

    /// Whether they changed any of `shown` (the fields a form edits). When
    /// they did not, the user's values can be saved over the new version
    /// without undoing anything of theirs.
    pub fn touches(&self, shown: &[&str]) -> bool {
        self.theirs.iter().any(|f| shown.contains(f))
    }
}

/// Compares the version a form started from (`base`), the one now stored
/// (`theirs`) and the user's (`mine`, the base with the form's values).
pub fn compare(
    base: &[(&'static str, String)],
    theirs: &[(&'static str, String)],
    mine: &[(&'static str, String)],
) -> Clash {
    let value = |list: &[(&'static str, String)], code: &str| {
        list.iter().find(|(c, _)| *c == code).map(|(_, v)| v.clone()).unwrap_or_default()
    };
    let mut clash = Clash::default();
    for (code, now) in theirs {
        let was = value(base, code);
        if *now == was {
            continue;
        }
        clash.theirs.push(code);
        let mine = value(mine, code);
        if mine != was && mine != *now {
            clash.both.push(code);
        }
    }
    clash
}

fn text(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

/// A customer's own fields (not the computed ones: tier, contribution, RFM).
pub fn customer_fields(c: &Customer) -> Fields {
    vec![
        ("kind", c.kind.code().to_string()),
        ("name", c.name.trim().to_string()),
        ("company", text(&c.company)),
        ("phone", text(&c.phone)),
        ("email", text(&c.email)),
        ("city", text(&c.city)),
        ("country", text(&c.country)),
        ("owner", text(&c.owner)),
        ("credit_limit", c.credit_limit.map(|m| m.0.to_string()).unwrap_or_default()),
        ("status", c.status.code().to_string()),
        ("tier_pin", c.tier_pin.map(|t| t.code().to_string()).unwrap_or_default()),
        ("on_hold", c.on_hold.to_string()),
        ("vip_level", text(&c.vip_level)),
        ("note", text(&c.note)),
        ("external_id", text(&c.external_id)),
    ]
}

/// A deal's fields, its stage and status included.
pub fn deal_fields(d: &Deal) -> Fields {
    vec![
        ("title", d.title.trim().to_string()),
        ("amount", d.amount.0.to_string()),
        ("probability_pct", d.probability_pct.map(|p| p.to_string()).unwrap_or_default()),
        ("expected_close", d.expected_close.map(|e| e.to_string()).unwrap_or_default()),
        ("competitors", text(&d.competitors)),
        ("next_step", text(&d.next_step)),
        ("owner", text(&d.owner)),
        ("stage", d.stage.clone()),
        ("status", d.status.code().to_string()),
        ("close_reason", text(&d.close_reason)),
    ]
}

/// A contact's fields.
pub fn contact_fields(c: &Contact) -> Fields {
    vec![
        ("name", c.name.trim().to_string()),
        ("role", text(&c.role)),
        ("phone", text(&c.phone)),
        ("email", text(&c.email)),
        ("birthday", c.birthday.map(|b| b.to_string()).unwrap_or_default()),
        ("status", if c.archived { "archived" } else { "active" }.to_string()),
    ]
}

/// A reminder's fields.
pub fn reminder_fields(r: &Reminder) -> Fields {
    vec![
        ("kind", r.kind.code().to_string()),
        ("due_at", r.due_at.timestamp().to_string()),
        ("note", r.note.clone()),
        ("owner", text(&r.owner)),
        ("status", r.status.code().to_string()),
        ("recurrence", text(&r.recurrence)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::model::{CustomerKind, CustomerStatus, Tier};
    use crate::domain::money::Money;
    use chrono::{TimeZone, Utc};

    fn customer() -> Customer {
        let t = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        Customer {
            id: 1,
            external_id: None,
            kind: CustomerKind::Individual,
            name: "Zoë".into(),
            company: None,
            email: Some("z@example.com".into()),
            phone: Some("+1 555 0100".into()),
            city: None,
            country: None,
            owner: Some("alice".into()),
            status: CustomerStatus::Active,
            tier: Tier::Low,
            tier_pin: None,
            contribution: Money(0),
            rfm: None,
            segment: None,
            credit_limit: Some(Money(100_000)),
            on_hold: false,
            vip_level: None,
            note: None,
            version: 1,
            created_at: t,
            updated_at: t,
        }
    }

    #[test]
    fn nothing_changed_is_no_clash() {
        let c = customer();
        let f = customer_fields(&c);
        assert!(compare(&f, &f, &f).is_empty());
    }

    #[test]
    fn names_what_they_changed_and_what_both_changed() {
        let base = customer();
        let mut theirs = base.clone();
        theirs.phone = Some("+1 555 0199".into());
        theirs.credit_limit = Some(Money(200_000));
        theirs.version = 2;
        let mut mine = base.clone();
        mine.phone = Some("+1 555 0142".into());
        mine.city = Some("Montréal".into());
        let clash = compare(&customer_fields(&base), &customer_fields(&theirs), &customer_fields(&mine));
        assert_eq!(clash.theirs, vec!["phone", "credit_limit"]);
        assert_eq!(clash.both, vec!["phone"]);
        assert!(clash.touches(&["name", "phone"]));
        assert!(!clash.touches(&["name", "city"]));
    }

    #[test]
    fn the_same_change_on_both_sides_is_not_a_clash_of_values() {
        let base = customer();
        let mut theirs = base.clone();
        theirs.email = Some("zoe@example.com".into());
        let mine = theirs.clone();
        let clash = compare(&customer_fields(&base), &customer_fields(&theirs), &customer_fields(&mine));
        assert_eq!(clash.theirs, vec!["email"]);
        assert!(clash.both.is_empty());
    }

    #[test]
    fn absent_and_empty_are_the_same_and_computed_fields_do_not_count() {
        let base = customer();
        let mut theirs = base.clone();
        theirs.company = Some(String::new());
        theirs.tier = Tier::Top;
        theirs.contribution = Money(5_000_000);
        theirs.version = 7;
        assert!(compare(&customer_fields(&base), &customer_fields(&theirs), &customer_fields(&base)).is_empty());
    }

    #[test]
    fn changes_outside_the_form_do_not_touch_it() {
        let base = customer();
        let mut theirs = base.clone();
        theirs.on_hold = true;
        theirs.note = Some("called twice".into());
        let clash = compare(&customer_fields(&base), &customer_fields(&theirs), &customer_fields(&base));
        assert_eq!(clash.theirs, vec!["on_hold", "note"]);
        assert!(!clash.touches(&["kind", "name", "phone", "credit_limit"]));
    }
}
