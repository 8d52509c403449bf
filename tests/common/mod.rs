//! A small hand-made base for UI tests: fixed data, fixed clock.
#![allow(dead_code)]

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use rapport::app::App;
use rapport::config::Config;
use rapport::domain::model::*;
use rapport::domain::money::Money;
use rapport::keymap::Keymap;
use rapport::repo::Repo;
use rapport::theme::Theme;

/// The fixed "now" of every UI test: 2026-11-25 10:00 UTC.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap()
}

/// Dates are shown in local time: pin the zone so snapshots hold anywhere.
pub fn pin_timezone() {
    // SAFETY: every test in these binaries sets the same value before
    // reading it, so concurrent writers agree.
    unsafe { std::env::set_var("TZ", "UTC") };
}

pub fn days_ago(n: i64) -> DateTime<Utc> {
    now() - Duration::days(n)
}

/// Fills `repo` with a handful of customers of every kind, with CJK,
/// accented and hostile names, and their deals, reminders and history.
pub fn fill(repo: &mut Repo) {
    repo.batch(|b| {
        let mut c = NewCustomer::named(CustomerKind::Individual, "山田太郎");
        c.phone = Some("+81 3-1234-5678".into());
        c.email = Some("taro@example.jp".into());
        c.city = Some("東京".into());
        c.vip_level = Some("Gold".into());
        let yamada = b.customer(&c)?;
        let mut c = NewCustomer::named(CustomerKind::Individual, "Zoë Ångström");
        c.phone = Some("+1 (514) 721-4711".into());
        c.email = Some("zoe.angstrom@example.com".into());
        c.city = Some("Montréal".into());
        let zoe = b.customer(&c)?;
        let mut c = NewCustomer::named(CustomerKind::Enterprise, "Acme Industries");
        c.company = Some("Acme Industries GmbH".into());
        c.phone = Some("+49 30 1234567".into());
        c.owner = Some("alice".into());
        let acme = b.customer(&c)?;
        b.contact(&NewContact {
            customer_id: acme,
            name: "Jürgen Müller".into(),
            role: Some("Purchasing".into()),
            email: Some("j.mueller@acme.example".into()),
            phone: Some("+49 30 7654321".into()),
            birthday: NaiveDate::from_ymd_opt(1970, 11, 25),
        })?;
        b.contact(&NewContact {
            customer_id: acme,
            name: "李娜".into(),
            role: Some("CEO".into()),
            email: None,
            phone: Some("+86 138 0013 8000".into()),
            birthday: None,
        })?;
        let dubois = b.customer(&NewCustomer::named(CustomerKind::Household, "Famille Dubois"))?;
        let bob = b.customer(&NewCustomer::named(CustomerKind::Individual, "\x1b]0;pwned\x07Bob \x1b[31mEscape"))?;

        let sale = |customer_id, cents, days| NewTransaction {
            customer_id,
            external_id: None,
            kind: TxKind::Sale,
            amount: Money(cents),
            occurred_at: days_ago(days),
            reference: None,
        };
        b.transaction(&sale(yamada, 900_000, 30))?;
        b.transaction(&sale(yamada, 300_000, 200))?;
        b.transaction(&sale(acme, 500_000, 60))?;
        b.transaction(&sale(zoe, 120_000, 10))?;
        b.transaction(&sale(dubois, 40_000, 100))?;
        b.transaction(&NewTransaction { kind: TxKind::Refund, ..sale(bob, 30_000, 5) })?;
        b.transaction(&sale(bob, 10_000, 50))?;
        b.transaction(&NewTransaction { kind: TxKind::Payment, ..sale(yamada, 900_000, 20) })?;

        b.interaction_by(
            "alice",
            &NewInteraction {
                customer_id: yamada,
                channel: Channel::Call,
                direction: Direction::Inbound,
                summary: "配送について問い合わせ".into(),
                outcome: Outcome::Resolved,
                occurred_at: days_ago(3),
                duration_secs: Some(240),
            },
        )?;
        b.interaction_by(
            "bob",
            &NewInteraction {
                customer_id: zoe,
                channel: Channel::Email,
                direction: Direction::Outbound,
                summary: "Sent the renewal quote".into(),
                outcome: Outcome::FollowUp,
                occurred_at: days_ago(20),
                duration_secs: None,
            },
        )?;

        let deal = |customer_id, title: &str, cents, stage: &str, close: Option<NaiveDate>, age| NewDeal {
            customer_id,
            title: title.into(),
            amount: Money(cents),
            stage: stage.into(),
            probability_pct: None,
            expected_close: close,
            competitors: None,
            owner: Some("alice".into()),
            next_step: None,
            created_at: days_ago(age),
        };
        b.deal(&deal(acme, "Fleet renewal 2027", 2_500_000, "Negotiation", NaiveDate::from_ymd_opt(2026, 12, 15), 5))?;
        b.deal(&deal(yamada, "年間保守契約", 800_000, "Proposal", NaiveDate::from_ymd_opt(2026, 11, 1), 40))?;
        b.deal(&deal(zoe, "Studio upgrade", 150_000, "Lead", None, 2))?;
        b.deal(&deal(dubois, "Home bundle", 60_000, "Qualified", NaiveDate::from_ymd_opt(2027, 1, 10), 1))?;

        let rem = |customer_id, kind, due, note: &str| NewReminder {
            customer_id,
            kind,
            due_at: due,
            note: note.into(),
            owner: Some("alice".into()),
            recurrence: None,
            origin: None,
        };
        b.reminder(&rem(zoe, ReminderKind::Call, days_ago(2), "Call back about the quote"))?;
        b.reminder(&rem(yamada, ReminderKind::FollowUp, now() + Duration::hours(3), "フォローアップの電話"))?;
        b.reminder(&rem(dubois, ReminderKind::Task, now() + Duration::days(5), "Send the brochure"))?;
        b.promise(&NewPromise {
            customer_id: acme,
            interaction_id: None,
            text: "Replacement part by today".into(),
            due_at: now() + Duration::hours(5),
        })?;
        b.case(&NewCase {
            customer_id: bob,
            title: "Damaged parcel".into(),
            description: None,
            severity: Severity::High,
            opened_at: days_ago(4),
            deadline_at: days_ago(1),
        })?;
        Ok(())
    })
    .unwrap();
    let config = Config::default();
    // A month ago, then today: the pyramid pane has a migration to show.
    rapport::services::pyramid::recompute(repo, &config, (now() - Duration::days(30)).date_naive()).unwrap();
    rapport::services::pyramid::recompute(repo, &config, now().date_naive()).unwrap();
    rapport::services::churn::recompute(repo, &config, now().date_naive()).unwrap();
}

/// An app on a fresh filled base, with the fixed clock.
pub fn app(dir: &tempfile::TempDir, ascii: bool, no_color: bool) -> App {
    pin_timezone();
    let mut repo = Repo::open(&dir.path().join("ui.db"), "alice").unwrap();
    fill(&mut repo);
    let keymap = Keymap::builtin("default").unwrap();
    let mut config = Config::default();
    config.ui.language = Some("en".into());
    let mut app = App::new(repo, config, keymap, "default", Theme::new(ascii, no_color));
    app.fixed_now = Some(now());
    app.reload_all();
    app
}
