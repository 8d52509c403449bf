//! Care rules against a real base: each raises its reminder once per
//! occasion, a done reminder is not raised again, switched-off rules raise
//! nothing; `rapport today` and `rapport care run-rules` for cron.

mod common;

use chrono::Duration;
use rapport::config::Config;
use rapport::domain::model::{NewTransaction, ReminderKind, TxKind};
use rapport::domain::money::Money;
use rapport::repo::Repo;
use rapport::services::care::run_rules;

fn base() -> (tempfile::TempDir, Repo) {
    common::pin_timezone();
    let dir = tempfile::tempdir().unwrap();
    let mut repo = Repo::open(&dir.path().join("care.db"), "alice").unwrap();
    common::fill(&mut repo);
    (dir, repo)
}

#[test]
fn rules_raise_each_reminder_once_per_occasion() {
    let (_dir, mut repo) = base();
    let now = common::now();
    let made = run_rules(&mut repo, &Config::default(), now).unwrap();
    let codes: Vec<&str> = made.iter().map(|p| p.rule.code()).collect();
    // The fixture: Zoë's sale 10 days ago (follow-up due 3 days ago), Jürgen
    // Müller's birthday today, 山田太郎 (Top) called 3 days ago so not quiet,
    // Bob's complaint past its deadline, Acme's promise due in 5 hours.
    assert!(codes.contains(&"follow_up"), "{codes:?}");
    assert!(codes.contains(&"birthday"), "{codes:?}");
    assert!(codes.contains(&"complaint"), "{codes:?}");
    assert!(codes.contains(&"promise"), "{codes:?}");
    let birthday = made.iter().find(|p| p.rule.code() == "birthday").unwrap();
    assert_eq!(birthday.detail, "Jürgen Müller");
    // Again: nothing new.
    assert!(run_rules(&mut repo, &Config::default(), now).unwrap().is_empty());
    // Done reminders are not raised again for the same occasion.
    let until = now + Duration::days(30);
    for item in repo.due_items(until, 0, 100).unwrap() {
        if item.source == rapport::repo::reminders::DueSource::Reminder {
            repo.complete_due(&item, now).unwrap();
        }
    }
    assert!(run_rules(&mut repo, &Config::default(), now + Duration::hours(1)).unwrap().is_empty());
    // A new sale is a new occasion.
    let zoe = repo.search_customers("zoe", 0, 1).unwrap()[0].id;
    repo.create_transaction(&NewTransaction {
        customer_id: zoe,
        external_id: None,
        kind: TxKind::Sale,
        amount: Money(9_900),
        occurred_at: now,
        reference: None,
    })
    .unwrap();
    let made = run_rules(&mut repo, &Config::default(), now + Duration::hours(2)).unwrap();
    assert_eq!(made.len(), 1);
    assert_eq!(made[0].rule.kind(), ReminderKind::FollowUp);
    assert_eq!(made[0].due_at, now + Duration::days(7));
}

#[test]
fn switched_off_rules_raise_nothing() {
    let (_dir, mut repo) = base();
    let mut config = Config::default();
    config.care.rules.birthday = false;
    config.care.rules.complaint = false;
    let made = run_rules(&mut repo, &config, common::now()).unwrap();
    assert!(made.iter().all(|p| !matches!(p.rule.code(), "birthday" | "complaint")), "{made:?}");
    config.care.rules_enabled = false;
    assert!(run_rules(&mut repo, &config, common::now()).unwrap().is_empty());
}

#[test]
fn no_contact_with_a_top_customer_is_raised_after_the_quiet_period() {
    let (_dir, mut repo) = base();
    // 山田太郎 (Top) was called 3 days ago: quiet from 30 days after that.
    let yamada = repo.search_customers("山田", 0, 1).unwrap()[0].id;
    let quiet = |made: &[rapport::domain::care_rules::Proposal]| {
        made.iter().any(|p| p.rule.code() == "no_contact" && p.customer_id == yamada)
    };
    let made = run_rules(&mut repo, &Config::default(), common::now() + Duration::days(26)).unwrap();
    assert!(!quiet(&made), "{made:?}");
    let made = run_rules(&mut repo, &Config::default(), common::now() + Duration::days(28)).unwrap();
    assert!(quiet(&made), "{made:?}");
}

#[test]
fn today_and_run_rules_for_cron() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let rapport = || {
        let mut c = assert_cmd::Command::new(env!("CARGO_BIN_EXE_rapport"));
        c.env("RAPPORT_CONFIG_DIR", dir.path()).env("TZ", "UTC");
        c
    };
    rapport().args(["demo", "--customers", "80", "--db"]).arg(&db).assert().success();
    let out = rapport().args(["care", "run-rules", "--db"]).arg(&db).output().unwrap();
    assert!(out.status.success());
    let first = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(first.contains("reminder(s) raised"), "{first}");
    let out = rapport().args(["care", "run-rules", "--db"]).arg(&db).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("0 reminder(s) raised"));
    let out = rapport().args(["today", "--format", "json", "--db"]).arg(&db).output().unwrap();
    assert!(out.status.success());
    let items: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let items = items.as_array().unwrap();
    assert!(!items.is_empty());
    // Top customers first.
    let rank = |t: &str| ["top", "growth", "low", "negative"].iter().position(|x| *x == t).unwrap();
    let ranks: Vec<usize> = items.iter().map(|i| rank(i["tier"].as_str().unwrap())).collect();
    assert!(ranks.windows(2).all(|w| w[0] <= w[1]), "{ranks:?}");
    let out = rapport().args(["today", "--db"]).arg(&db).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&format!("{} item(s) overdue or due today", items.len())), "{text}");
}
