//! The records of the CRM as plain Rust values. Stored text codes are the
//! enums' `code()`s; money is [`Money`]; times are UTC.

use chrono::{DateTime, NaiveDate, Utc};

use super::money::Money;

/// A type's name as words for a message: `TxKind` → "transaction kind",
/// `CustomerStatus` → "customer status".
pub fn type_words(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.char_indices() {
        if c.is_uppercase() && i > 0 {
            out.push(' ');
        }
        out.extend(c.to_lowercase());
    }
    match out.strip_prefix("tx ") {
        Some(rest) => format!("transaction {rest}"),
        None => out,
    }
}

/// Defines an enum stored as a short text code, with `code()`, `parse()` and
/// `ALL`.
macro_rules! coded_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident = $code:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vm])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The code stored in the database and used on the command line.
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            /// Parses a stored code; unknown codes are an error naming them.
            pub fn parse(s: &str) -> Result<Self, String> {
                match s {
                    $($code => Ok($name::$variant),)+
                    other => Err(format!(
                        "unknown {} \"{}\" (expected one of: {})",
                        $crate::domain::model::type_words(stringify!($name)),
                        other,
                        [$($code),+].join(", ")
                    )),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }
    };
}

coded_enum!(
    /// Enterprise / group (several contacts), household, or individual.
    CustomerKind { Enterprise = "enterprise", Household = "household", Individual = "individual" }
);

coded_enum!(
    /// Archived customers are hidden, never deleted.
    CustomerStatus { Active = "active", Archived = "archived" }
);

coded_enum!(
    /// The customer pyramid's bands, most valuable first.
    Tier { Top = "top", Growth = "growth", Low = "low", Negative = "negative" }
);

impl Tier {
    /// The band's place, most valuable first: 0 Top, 1 Growth, 2 Low,
    /// 3 Negative (its index in [`Tier::ALL`], and the band number the
    /// care list sorts open reminders by).
    pub fn rank(self) -> usize {
        self as usize
    }
}

coded_enum!(
    Channel { Call = "call", Email = "email", Visit = "visit", Chat = "chat", Message = "message" }
);

coded_enum!(
    Direction { Inbound = "inbound", Outbound = "outbound" }
);

coded_enum!(
    /// What came of an interaction.
    Outcome {
        Resolved = "resolved",
        FollowUp = "follow_up",
        InfoGiven = "info_given",
        NoAnswer = "no_answer",
        Voicemail = "voicemail",
        Sale = "sale",
        Complaint = "complaint",
    }
);

coded_enum!(
    /// Transaction kinds. Amounts are signed: sales add to contribution;
    /// refunds, service costs, discounts and write-offs subtract; payments
    /// are money received, not contribution.
    TxKind {
        Sale = "sale",
        Refund = "refund",
        ServiceCost = "service_cost",
        Discount = "discount",
        WriteOff = "write_off",
        Payment = "payment",
    }
);

impl TxKind {
    /// The sign this kind's amount carries in storage.
    pub fn sign(self) -> i64 {
        match self {
            TxKind::Sale | TxKind::Payment => 1,
            _ => -1,
        }
    }

    /// Whether the amount counts toward the customer's contribution.
    pub fn is_contribution(self) -> bool {
        self != TxKind::Payment
    }
}

coded_enum!(
    DealStatus { Open = "open", Won = "won", Lost = "lost" }
);

coded_enum!(
    ReminderStatus { Open = "open", Done = "done", Snoozed = "snoozed", Cancelled = "cancelled" }
);

coded_enum!(
    /// What a reminder is about; rule-made kinds name their rule.
    ReminderKind {
        Task = "task",
        Call = "call",
        FollowUp = "follow_up",
        Birthday = "birthday",
        NoContact = "no_contact",
        ChurnRisk = "churn_risk",
        TierDrop = "tier_drop",
        Credit = "credit",
        Complaint = "complaint",
        Promise = "promise",
    }
);

coded_enum!(
    PromiseStatus { Open = "open", Kept = "kept", Late = "late", Broken = "broken" }
);

coded_enum!(
    CaseStatus { Open = "open", Closed = "closed" }
);

coded_enum!(
    Severity { Low = "low", Medium = "medium", High = "high", Critical = "critical" }
);

coded_enum!(
    PointsKind { Earn = "earn", Redeem = "redeem", Adjust = "adjust" }
);

/// A customer as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Customer {
    pub id: i64,
    pub external_id: Option<String>,
    pub kind: CustomerKind,
    pub name: String,
    pub company: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub city: Option<String>,
    pub country: Option<String>,
    pub owner: Option<String>,
    pub status: CustomerStatus,
    pub tier: Tier,
    pub tier_pin: Option<Tier>,
    pub contribution: Money,
    /// RFM scores (R, F, M) over the pyramid's window; `None` without sales.
    pub rfm: Option<(u8, u8, u8)>,
    pub segment: Option<super::rfm::Segment>,
    pub credit_limit: Option<Money>,
    pub on_hold: bool,
    pub vip_level: Option<String>,
    pub note: Option<String>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The fields a new customer is made from.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCustomer {
    pub external_id: Option<String>,
    pub kind: CustomerKind,
    pub name: String,
    pub company: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub city: Option<String>,
    pub country: Option<String>,
    pub owner: Option<String>,
    pub credit_limit: Option<Money>,
    pub vip_level: Option<String>,
    pub note: Option<String>,
}

impl NewCustomer {
    pub fn named(kind: CustomerKind, name: &str) -> NewCustomer {
        NewCustomer {
            external_id: None,
            kind,
            name: name.to_string(),
            company: None,
            email: None,
            phone: None,
            city: None,
            country: None,
            owner: None,
            credit_limit: None,
            vip_level: None,
            note: None,
        }
    }
}

/// One line of the customer list.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerRow {
    pub id: i64,
    pub kind: CustomerKind,
    pub name: String,
    pub company: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub tier: Tier,
    pub tier_pin: Option<Tier>,
    pub on_hold: bool,
}

impl CustomerRow {
    /// The tier in force: the pin when there is one.
    pub fn effective_tier(&self) -> Tier {
        self.tier_pin.unwrap_or(self.tier)
    }
}

impl Customer {
    pub fn effective_tier(&self) -> Tier {
        self.tier_pin.unwrap_or(self.tier)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Contact {
    pub id: i64,
    pub customer_id: i64,
    pub name: String,
    pub role: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub birthday: Option<NaiveDate>,
    /// Archived contacts are hidden from the card's overview, never deleted.
    pub archived: bool,
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewContact {
    pub customer_id: i64,
    pub name: String,
    pub role: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub birthday: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Interaction {
    pub id: i64,
    pub customer_id: i64,
    pub channel: Channel,
    pub direction: Direction,
    pub summary: String,
    pub outcome: Outcome,
    pub agent: String,
    pub occurred_at: DateTime<Utc>,
    pub duration_secs: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewInteraction {
    pub customer_id: i64,
    pub channel: Channel,
    pub direction: Direction,
    pub summary: String,
    pub outcome: Outcome,
    pub occurred_at: DateTime<Utc>,
    pub duration_secs: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Transaction {
    pub id: i64,
    pub customer_id: i64,
    pub kind: TxKind,
    /// Signed: see [`TxKind::sign`].
    pub amount: Money,
    pub occurred_at: DateTime<Utc>,
    pub reference: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewTransaction {
    pub customer_id: i64,
    pub external_id: Option<String>,
    pub kind: TxKind,
    /// Unsigned amount as typed; the kind gives the sign.
    pub amount: Money,
    pub occurred_at: DateTime<Utc>,
    pub reference: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Deal {
    pub id: i64,
    pub customer_id: i64,
    pub customer_name: String,
    pub title: String,
    pub amount: Money,
    pub stage: String,
    pub probability_pct: Option<u8>,
    pub expected_close: Option<NaiveDate>,
    pub competitors: Option<String>,
    pub owner: Option<String>,
    pub next_step: Option<String>,
    pub status: DealStatus,
    /// Why it was won or lost.
    pub close_reason: Option<String>,
    pub stage_changed_at: DateTime<Utc>,
    pub last_activity_at: DateTime<Utc>,
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewDeal {
    pub customer_id: i64,
    pub title: String,
    pub amount: Money,
    pub stage: String,
    pub probability_pct: Option<u8>,
    pub expected_close: Option<NaiveDate>,
    pub competitors: Option<String>,
    pub owner: Option<String>,
    pub next_step: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Reminder {
    pub id: i64,
    pub customer_id: i64,
    pub customer_name: String,
    pub kind: ReminderKind,
    pub due_at: DateTime<Utc>,
    pub note: String,
    pub owner: Option<String>,
    pub status: ReminderStatus,
    pub recurrence: Option<String>,
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewReminder {
    pub customer_id: i64,
    pub kind: ReminderKind,
    pub due_at: DateTime<Utc>,
    pub note: String,
    pub owner: Option<String>,
    pub recurrence: Option<String>,
    /// Rule that made it and the occasion, so a rule makes it once.
    pub origin: Option<(String, String)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewCase {
    pub customer_id: i64,
    pub title: String,
    pub description: Option<String>,
    pub severity: Severity,
    pub opened_at: DateTime<Utc>,
    pub deadline_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewPromise {
    pub customer_id: i64,
    pub interaction_id: Option<i64>,
    pub text: String,
    pub due_at: DateTime<Utc>,
}

/// One of the 4A recovery steps of a complaint, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step4A {
    Acknowledge,
    Apologize,
    Amend,
    /// The preventive step, with a note of what will change.
    Anticipate,
}

impl Step4A {
    pub const ALL: [Step4A; 4] = [Step4A::Acknowledge, Step4A::Apologize, Step4A::Amend, Step4A::Anticipate];
}

/// A complaint case as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    pub id: i64,
    pub customer_id: i64,
    pub customer_name: String,
    pub title: String,
    pub severity: Severity,
    pub owner: Option<String>,
    pub status: CaseStatus,
    pub opened_at: DateTime<Utc>,
    pub deadline_at: DateTime<Utc>,
    /// When each 4A step was done, in [`Step4A::ALL`] order.
    pub steps: [Option<DateTime<Utc>>; 4],
    pub anticipate_note: Option<String>,
    pub closed_at: Option<DateTime<Utc>>,
    pub satisfaction: Option<u8>,
    pub version: i64,
}

impl Case {
    /// The first step not done yet.
    pub fn next_step(&self) -> Option<Step4A> {
        Step4A::ALL.iter().zip(self.steps).find(|(_, at)| at.is_none()).map(|(s, _)| *s)
    }

    /// A case closes once Acknowledge, Apologize and Amend are done.
    pub fn can_close(&self) -> bool {
        self.steps[..3].iter().all(Option::is_some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_code_is_named_in_words() {
        let e = TxKind::parse("bogus").unwrap_err();
        assert!(e.starts_with("unknown transaction kind \"bogus\" (expected one of: sale, "), "{e}");
        let e = CustomerStatus::parse("gone").unwrap_err();
        assert!(e.starts_with("unknown customer status \"gone\""), "{e}");
        assert_eq!(type_words("Tier"), "tier");
    }
}
