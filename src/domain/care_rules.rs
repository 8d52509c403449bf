//! Care rules: reminders the CRM raises by itself, each at most once per
//! occasion. Every proposal carries its rule and an occasion key; the base
//! refuses a second reminder with the same pair, so running the rules twice
//! creates nothing new, and a reminder marked done is not raised again for
//! the same occasion.
//!
//! | rule | occasion | due |
//! |---|---|---|
//! | follow_up | the sale (`sale:<tx>`) | `follow_up_days` after the sale |
//! | birthday | the contact and year (`<contact>:<year>`) | the birthday, 09:00 UTC |
//! | no_contact | the last interaction (`<customer>:<interaction or 0>`) | now |
//! | tier_drop | the snapshot that showed it (`<customer>:<day>`) | now |
//! | credit | the customer and month (`<customer>:<YYYY-MM>`) | now |
//! | complaint | the case (`case:<id>`) | the case's deadline |
//! | promise | the promise (`promise:<id>`) | `promise_notice_hours` before it is due |
//! | churn_risk | the customer and month (`<customer>:<YYYY-MM>`) | now |

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};

use super::model::{ReminderKind, Tier};
use super::money::Money;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rule {
    FollowUp,
    Birthday,
    NoContact,
    TierDrop,
    Credit,
    Complaint,
    Promise,
    ChurnRisk,
}

impl Rule {
    pub const ALL: &'static [Rule] = &[
        Rule::FollowUp,
        Rule::Birthday,
        Rule::NoContact,
        Rule::TierDrop,
        Rule::Credit,
        Rule::Complaint,
        Rule::Promise,
        Rule::ChurnRisk,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Rule::FollowUp => "follow_up",
            Rule::Birthday => "birthday",
            Rule::NoContact => "no_contact",
            Rule::TierDrop => "tier_drop",
            Rule::Credit => "credit",
            Rule::Complaint => "complaint",
            Rule::Promise => "promise",
            Rule::ChurnRisk => "churn_risk",
        }
    }

    pub fn kind(self) -> ReminderKind {
        match self {
            Rule::FollowUp => ReminderKind::FollowUp,
            Rule::Birthday => ReminderKind::Birthday,
            Rule::NoContact => ReminderKind::NoContact,
            Rule::TierDrop => ReminderKind::TierDrop,
            Rule::Credit => ReminderKind::Credit,
            Rule::Complaint => ReminderKind::Complaint,
            Rule::Promise => ReminderKind::Promise,
            Rule::ChurnRisk => ReminderKind::ChurnRisk,
        }
    }
}

/// A Top or Growth customer: id, tier, last interaction (id, when), since.
pub type Important = (i64, Tier, Option<(i64, DateTime<Utc>)>, DateTime<Utc>);

/// What the rules look at.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleInputs {
    /// Recent sales: (transaction id, customer id, when).
    pub sales: Vec<(i64, i64, DateTime<Utc>)>,
    /// Contacts: (contact id, customer id, name, birthday).
    pub birthdays: Vec<(i64, i64, String, NaiveDate)>,
    /// Top and Growth customers with their last interaction, if any:
    /// (customer id, tier, last interaction (id, when), customer since).
    pub important: Vec<Important>,
    /// Customers who left the Top tier at the latest snapshot:
    /// (customer id, now in tier, snapshot day).
    pub tier_drops: Vec<(i64, Tier, NaiveDate)>,
    /// Customers over their credit limit: (customer id, outstanding, limit).
    pub over_limit: Vec<(i64, Money, Money)>,
    /// Open complaints: (case id, customer id, title, deadline).
    pub open_cases: Vec<(i64, i64, String, DateTime<Utc>)>,
    /// Open promises: (promise id, customer id, text, due, agent).
    pub open_promises: Vec<(i64, i64, String, DateTime<Utc>, String)>,
    /// Top and Growth customers the churn model flags: (customer id, P(alive)).
    pub churn_risks: Vec<(i64, f64)>,
}

/// How the rules are tuned.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleSettings {
    pub now: DateTime<Utc>,
    pub follow_up_days: u32,
    pub no_contact_days: u32,
    pub promise_notice_hours: u32,
    pub enabled: Vec<Rule>,
}

/// A reminder a rule wants to exist.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposal {
    pub rule: Rule,
    pub customer_id: i64,
    pub due_at: DateTime<Utc>,
    pub occasion: String,
    /// The facts behind it, for the note (a date, a name, an amount).
    pub detail: String,
    /// Whose reminder it is, when the rule knows (a promise's agent).
    pub owner: Option<String>,
}

/// How far back the follow-up rule looks: sales whose follow-up fell due
/// more than this many days ago are history, not work.
pub const FOLLOW_UP_GRACE_DAYS: i64 = 7;

/// Every reminder the enabled rules want, as of `s.now`.
pub fn proposals(i: &RuleInputs, s: &RuleSettings) -> Vec<Proposal> {
    let mut out = Vec::new();
    each_proposal(i, s, |p| out.push(p));
    out
}

/// As [`proposals`], handed to `emit` one at a time (on a million
/// customers the rules want hundreds of thousands of reminders, nearly all
/// raised before: they need not be held all at once).
pub fn each_proposal(i: &RuleInputs, s: &RuleSettings, mut emit: impl FnMut(Proposal)) {
    let on = |r: Rule| s.enabled.contains(&r);
    let today = s.now.date_naive();
    if on(Rule::FollowUp) {
        for (tx, customer, at) in &i.sales {
            let due = *at + Duration::days(s.follow_up_days as i64);
            if due >= s.now - Duration::days(FOLLOW_UP_GRACE_DAYS) {
                emit(Proposal {
                    rule: Rule::FollowUp,
                    customer_id: *customer,
                    due_at: due,
                    occasion: format!("sale:{tx}"),
                    detail: at.date_naive().to_string(),
                    owner: None,
                });
            }
        }
    }
    if on(Rule::Birthday) {
        for (contact, customer, name, born) in &i.birthdays {
            if let Some(day) = birthday_in(*born, today.year())
                && day == today
            {
                emit(Proposal {
                    rule: Rule::Birthday,
                    customer_id: *customer,
                    due_at: day.and_hms_opt(9, 0, 0).unwrap_or_default().and_utc(),
                    occasion: format!("{contact}:{}", today.year()),
                    detail: name.clone(),
                    owner: None,
                });
            }
        }
    }
    if on(Rule::NoContact) {
        let limit = Duration::days(s.no_contact_days as i64);
        for (customer, tier, last, since) in &i.important {
            let quiet_since = last.map(|(_, t)| t).unwrap_or(*since);
            if !matches!(tier, Tier::Top | Tier::Growth) || s.now - quiet_since < limit {
                continue;
            }
            emit(Proposal {
                rule: Rule::NoContact,
                customer_id: *customer,
                due_at: s.now,
                occasion: format!("{customer}:{}", last.map(|(id, _)| id).unwrap_or(0)),
                detail: format!("{} d", (s.now - quiet_since).num_days()),
                owner: None,
            });
        }
    }
    if on(Rule::TierDrop) {
        for (customer, now_in, day) in &i.tier_drops {
            emit(Proposal {
                rule: Rule::TierDrop,
                customer_id: *customer,
                due_at: s.now,
                occasion: format!("{customer}:{day}"),
                detail: format!("top → {}", now_in.code()),
                owner: None,
            });
        }
    }
    if on(Rule::Credit) {
        for (customer, outstanding, limit) in &i.over_limit {
            if outstanding > limit {
                emit(Proposal {
                    rule: Rule::Credit,
                    customer_id: *customer,
                    due_at: s.now,
                    occasion: format!("{customer}:{}", today.format("%Y-%m")),
                    detail: format!("{outstanding} > {limit}"),
                    owner: None,
                });
            }
        }
    }
    if on(Rule::Complaint) {
        for (case, customer, title, deadline) in &i.open_cases {
            if *deadline < s.now {
                emit(Proposal {
                    rule: Rule::Complaint,
                    customer_id: *customer,
                    due_at: *deadline,
                    occasion: format!("case:{case}"),
                    detail: title.clone(),
                    owner: None,
                });
            }
        }
    }
    if on(Rule::Promise) {
        let notice = Duration::hours(s.promise_notice_hours as i64);
        for (promise, customer, text, due, agent) in &i.open_promises {
            if *due - notice <= s.now {
                emit(Proposal {
                    rule: Rule::Promise,
                    customer_id: *customer,
                    due_at: *due - notice,
                    occasion: format!("promise:{promise}"),
                    detail: text.clone(),
                    owner: Some(agent.clone()),
                });
            }
        }
    }
    if on(Rule::ChurnRisk) {
        for (customer, p) in &i.churn_risks {
            emit(Proposal {
                rule: Rule::ChurnRisk,
                customer_id: *customer,
                due_at: s.now,
                occasion: format!("{customer}:{}", today.format("%Y-%m")),
                detail: format!("P(alive) {:.0}%", p * 100.0),
                owner: None,
            });
        }
    }
}

/// The birthday in `year`: 29 February falls on 28 February in other years.
pub fn birthday_in(born: NaiveDate, year: i32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, born.month(), born.day()).or_else(|| NaiveDate::from_ymd_opt(year, 2, 28))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 3, 1, 10, 0, 0).unwrap()
    }

    fn settings() -> RuleSettings {
        RuleSettings {
            now: now(),
            follow_up_days: 7,
            no_contact_days: 30,
            promise_notice_hours: 24,
            enabled: Rule::ALL.to_vec(),
        }
    }

    #[test]
    fn follow_ups_for_recent_sales_only() {
        let i = RuleInputs {
            sales: vec![(1, 10, now() - Duration::days(3)), (2, 11, now() - Duration::days(20))],
            ..Default::default()
        };
        let p = proposals(&i, &settings());
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].occasion, "sale:1");
        assert_eq!(p[0].due_at, now() + Duration::days(4));
    }

    #[test]
    fn leap_day_birthdays_fall_on_the_28th_in_other_years() {
        let born = NaiveDate::from_ymd_opt(1992, 2, 29).unwrap();
        assert_eq!(birthday_in(born, 2025), NaiveDate::from_ymd_opt(2025, 2, 28));
        assert_eq!(birthday_in(born, 2028), NaiveDate::from_ymd_opt(2028, 2, 29));
        let mut s = settings();
        s.now = Utc.with_ymd_and_hms(2025, 2, 28, 8, 0, 0).unwrap();
        let i = RuleInputs { birthdays: vec![(5, 10, "Ann".into(), born)], ..Default::default() };
        let p = proposals(&i, &s);
        assert_eq!((p.len(), p[0].occasion.as_str()), (1, "5:2025"));
    }

    #[test]
    fn no_contact_is_keyed_by_the_last_interaction() {
        let i = RuleInputs {
            important: vec![
                (1, Tier::Top, Some((77, now() - Duration::days(31))), now() - Duration::days(400)),
                (2, Tier::Growth, Some((78, now() - Duration::days(5))), now() - Duration::days(400)),
                (3, Tier::Top, None, now() - Duration::days(45)),
                (4, Tier::Low, None, now() - Duration::days(400)),
            ],
            ..Default::default()
        };
        let p = proposals(&i, &settings());
        let occ: Vec<_> = p.iter().map(|p| p.occasion.as_str()).collect();
        assert_eq!(occ, ["1:77", "3:0"]);
    }

    #[test]
    fn switched_off_rules_propose_nothing() {
        let i = RuleInputs {
            open_cases: vec![(9, 1, "Broken".into(), now() - Duration::hours(1))],
            open_promises: vec![(4, 1, "Call back".into(), now() + Duration::hours(2), "bob".into())],
            ..Default::default()
        };
        assert_eq!(proposals(&i, &settings()).len(), 2);
        let mut s = settings();
        s.enabled = vec![Rule::Promise];
        let p = proposals(&i, &s);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].owner.as_deref(), Some("bob"));
        assert_eq!(p[0].due_at, now() + Duration::hours(2) - Duration::hours(24));
    }

    #[test]
    fn credit_occasions_are_monthly() {
        let i = RuleInputs {
            over_limit: vec![(1, Money(5_000), Money(4_000)), (2, Money(100), Money(100))],
            ..Default::default()
        };
        let p = proposals(&i, &settings());
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].occasion, "1:2025-03");
    }
}
