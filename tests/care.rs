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

fn at(y: i32, m: u32, d: u32, h: u32) -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone;
    chrono::Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
}

#[test]
fn due_items_filter_by_kind_and_owner() {
    use rapport::repo::reminders::{DueFilter, DueKind, DueSource};
    let (_dir, repo) = base();
    let until = common::now() + Duration::days(1);
    let list = |f: &DueFilter| -> Vec<(DueSource, String)> {
        repo.due_items_for(until, f, 0, 100).unwrap().into_iter().map(|i| (i.source, i.what)).collect()
    };
    let all = DueFilter::default();
    assert_eq!(repo.due_counts_for(until, &all).unwrap(), (2, 1, 1));
    assert_eq!(list(&all).len(), 4);

    let promises = DueFilter { owner: None, kind: DueKind::Source(DueSource::Promise) };
    assert_eq!(list(&promises), [(DueSource::Promise, "Replacement part by today".to_string())]);
    assert_eq!(repo.due_counts_for(until, &promises).unwrap(), (0, 1, 0));

    let complaints = DueFilter { owner: None, kind: DueKind::Source(DueSource::Case) };
    assert_eq!(list(&complaints), [(DueSource::Case, "Damaged parcel".to_string())]);
    assert_eq!(repo.due_counts_for(until, &complaints).unwrap(), (0, 0, 1));

    let calls = DueFilter { owner: None, kind: DueKind::Reminder(ReminderKind::Call) };
    assert_eq!(list(&calls), [(DueSource::Reminder, "Call back about the quote".to_string())]);
    assert_eq!(repo.due_counts_for(until, &calls).unwrap(), (1, 0, 0));

    let reminders = DueFilter { owner: Some("alice".into()), kind: DueKind::Source(DueSource::Reminder) };
    assert_eq!(list(&reminders).len(), 2);
    let bobs = DueFilter { owner: Some("bob".into()), kind: DueKind::All };
    assert!(list(&bobs).is_empty());
    assert_eq!(repo.due_counts_for(until, &bobs).unwrap(), (0, 0, 0));

    // The key cycles through every filter and back to all.
    let mut k = DueKind::All;
    let mut seen = vec![];
    loop {
        k = k.next();
        if k == DueKind::All {
            break;
        }
        seen.push(k);
        assert!(seen.len() < 20, "the cycle never returns to all");
    }
    assert!(seen.contains(&DueKind::Source(DueSource::Case)));
    assert!(seen.contains(&DueKind::Reminder(ReminderKind::Birthday)));
    assert!(!seen.contains(&DueKind::Reminder(ReminderKind::Promise)), "promises are their own source");
}

#[test]
fn editing_a_reminder_is_audited_and_refused_when_stale_or_closed() {
    use rapport::repo::RepoError;
    use rapport::repo::reminders::ReminderEdit;
    let (_dir, mut repo) = base();
    let zoe = repo.search_customers("zoe", 0, 1).unwrap()[0].id;
    let r = repo.open_reminders_of(zoe).unwrap().remove(0);
    let edit = ReminderEdit {
        kind: ReminderKind::Task,
        due_at: r.due_at + Duration::days(3),
        note: "Call about the new quote".into(),
        owner: Some("bob".into()),
        recurrence: Some("monthly".into()),
    };
    let v = repo.update_reminder(r.id, r.version, &edit).unwrap();
    let now = repo.reminder(r.id).unwrap();
    assert_eq!(now.version, v);
    assert_eq!(
        (now.kind, now.due_at, now.note.as_str(), now.owner.as_deref(), now.recurrence.as_deref()),
        (ReminderKind::Task, edit.due_at, "Call about the new quote", Some("bob"), Some("monthly"))
    );
    let audit = repo.audit_for("reminder", r.id).unwrap();
    let last = audit.last().unwrap();
    assert_eq!(last.action, "update");
    let changes: serde_json::Value = serde_json::from_str(&last.changes).unwrap();
    assert_eq!(changes["note"], serde_json::json!(["Call back about the quote", "Call about the new quote"]));
    assert_eq!(changes["owner"], serde_json::json!(["alice", "bob"]));
    assert_eq!(changes["kind"], serde_json::json!(["call", "task"]));

    // Saved from the version read before: refused, nothing written.
    let stale = ReminderEdit { note: "stale".into(), ..edit.clone() };
    assert!(matches!(repo.update_reminder(r.id, r.version, &stale), Err(RepoError::Conflict { .. })));
    assert_eq!(repo.reminder(r.id).unwrap().note, "Call about the new quote");
    // A bad recurrence or an empty note is refused.
    let bad = ReminderEdit { recurrence: Some("fortnightly-ish".into()), ..edit.clone() };
    assert!(matches!(repo.update_reminder(r.id, v, &bad), Err(RepoError::Invalid(_))));
    let empty = ReminderEdit { note: "  ".into(), ..edit.clone() };
    assert!(matches!(repo.update_reminder(r.id, v, &empty), Err(RepoError::Invalid(_))));
    // A cancelled reminder is not edited back to life.
    let item = repo
        .due_items(common::now() + Duration::days(30), 0, 100)
        .unwrap()
        .into_iter()
        .find(|i| i.id == r.id && i.source == rapport::repo::reminders::DueSource::Reminder)
        .unwrap();
    repo.cancel_due(&item, common::now()).unwrap();
    let closed = repo.reminder(r.id).unwrap();
    assert!(matches!(repo.update_reminder(r.id, closed.version, &edit), Err(RepoError::Conflict { .. })));
}

#[test]
fn report_care_gives_the_promise_kept_rate_per_agent_and_complaint_times() {
    use rapport::domain::model::{NewCase, NewPromise, Severity, Step4A};
    use rapport::repo::reminders::{DueFilter, DueKind, DueSource};
    let (dir, mut alice) = base();
    let db = dir.path().join("care.db");
    let mut bob = Repo::open(&db, "bob").unwrap();
    let acme = alice.search_customers("acme", 0, 1).unwrap()[0].id;
    let promise = |repo: &mut Repo, due| {
        repo.create_promise(&NewPromise {
            customer_id: acme,
            interaction_id: None,
            text: "Call back".into(),
            due_at: due,
        })
        .unwrap()
    };
    // alice: kept, late, broken; bob: kept. All settled in October 2026.
    let p1 = promise(&mut alice, at(2026, 10, 10, 12));
    let p2 = promise(&mut alice, at(2026, 10, 11, 12));
    let p3 = promise(&mut alice, at(2026, 10, 12, 12));
    let p4 = promise(&mut bob, at(2026, 10, 20, 12));
    let only_promises = DueFilter { owner: None, kind: DueKind::Source(DueSource::Promise) };
    let items = alice.due_items_for(at(2026, 11, 1, 0), &only_promises, 0, 100).unwrap();
    let item = |id| items.iter().find(|i| i.id == id).unwrap().clone();
    alice.complete_due(&item(p1), at(2026, 10, 10, 9)).unwrap();
    alice.complete_due(&item(p2), at(2026, 10, 12, 9)).unwrap();
    alice.cancel_due(&item(p3), at(2026, 10, 12, 13)).unwrap();
    bob.complete_due(&item(p4), at(2026, 10, 19, 9)).unwrap();
    // alice's complaint: acknowledged in 4 h, closed in 3 days; bob's: acknowledged in 2 h, still open.
    let case = |repo: &mut Repo, opened| {
        repo.create_case(&NewCase {
            customer_id: acme,
            title: "Late parcel".into(),
            description: None,
            severity: Severity::Medium,
            opened_at: opened,
            deadline_at: opened + Duration::days(5),
        })
        .unwrap()
    };
    let k1 = case(&mut alice, at(2026, 10, 5, 9));
    let k2 = case(&mut bob, at(2026, 10, 6, 9));
    for (step, t) in [
        (Step4A::Acknowledge, at(2026, 10, 5, 13)),
        (Step4A::Apologize, at(2026, 10, 5, 14)),
        (Step4A::Amend, at(2026, 10, 6, 9)),
    ] {
        let v = alice.case(k1).unwrap().version;
        alice.tick_case_step(k1, v, step, None, t).unwrap();
    }
    let v = alice.case(k1).unwrap().version;
    alice.close_case(k1, v, 4, at(2026, 10, 8, 9)).unwrap();
    let v = bob.case(k2).unwrap().version;
    bob.tick_case_step(k2, v, Step4A::Acknowledge, None, at(2026, 10, 6, 11)).unwrap();
    drop((alice, bob));

    let report = |format: &str| {
        let out = assert_cmd::Command::new(env!("CARGO_BIN_EXE_rapport"))
            .env("RAPPORT_CONFIG_DIR", dir.path())
            .env("TZ", "UTC")
            .args(["report", "care", "--from", "2026-10-01", "--to", "2026-10-31", "--format", format, "--db"])
            .arg(&db)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let j: serde_json::Value = serde_json::from_str(&report("json")).unwrap();
    assert_eq!(j["from"], "2026-10-01");
    let p = &j["promises"];
    assert_eq!(
        (p["settled"].as_u64(), p["kept"].as_u64(), p["late"].as_u64(), p["broken"].as_u64()),
        (Some(4), Some(2), Some(1), Some(1))
    );
    assert_eq!(p["kept_rate"].as_f64(), Some(0.5));
    let c = &j["complaints"];
    assert_eq!((c["acknowledged"].as_u64(), c["closed"].as_u64()), (Some(2), Some(1)));
    assert_eq!(c["ack_hours_median"].as_f64(), Some(3.0));
    assert_eq!(c["close_days_median"].as_f64(), Some(3.0));
    // Open now: bob's October one and the fixture's parcel complaint.
    assert_eq!(c["open"].as_u64(), Some(2));
    let ages: u64 = c["open_by_age"].as_array().unwrap().iter().map(|a| a["count"].as_u64().unwrap()).sum();
    assert_eq!(ages, 2);
    let agents = j["agents"].as_array().unwrap();
    let agent = |name: &str| agents.iter().find(|a| a["agent"] == name).unwrap().clone();
    assert_eq!(agent("alice")["promises"]["kept_rate"].as_f64(), Some(1.0 / 3.0));
    assert_eq!(agent("alice")["complaints"]["close_days_median"].as_f64(), Some(3.0));
    assert_eq!(agent("bob")["promises"]["kept_rate"].as_f64(), Some(1.0));
    assert_eq!(agent("bob")["complaints"]["ack_hours_median"].as_f64(), Some(2.0));

    let text = report("text");
    assert!(text.contains("Promises: 4 settled, 2 kept, 1 late, 1 broken; kept rate 50%"), "{text}");
    assert!(text.contains("Complaints: 2 acknowledged (median 3.0 h), 1 closed (median 3.0 d)"), "{text}");
    assert!(text.lines().any(|l| l.starts_with("alice") && l.contains("33%")), "{text}");
}
