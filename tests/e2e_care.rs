//! End-to-end, care: the real binary in a real pseudo-terminal (80×24) on
//! the demo base. Today's list, reminders only: the first is marked done
//! and the call logged in the form that follows, the next is snoozed a
//! week; after a restart both states are kept, on screen and in the base.
//! Every wait polls the parsed screen; nothing sleeps.

mod pty;

use assert_cmd::Command;
use chrono::{Duration, Utc};
use pty::Spawn;
use rapport::domain::model::ReminderStatus;
use rapport::repo::Repo;
use rapport::repo::reminders::{DueFilter, DueKind, DueSource};

const SUMMARY: &str = "Called back: all sorted";

/// The end of today, as the app computes it under TZ=UTC.
fn end_of_today() -> chrono::DateTime<Utc> {
    (Utc::now().date_naive() + Duration::days(1)).and_hms_opt(0, 0, 0).unwrap().and_utc()
}

#[test]
fn done_with_a_logged_call_and_a_snooze_are_kept_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    std::fs::create_dir(&config).unwrap();
    let db = dir.path().join("base.db");
    let dbs = db.to_str().unwrap();
    let cli = |args: &[&str]| {
        Command::new(pty::bin())
            .env_clear()
            .env("TZ", "UTC")
            .env("USER", "tester")
            .env("HOME", &config)
            .env("RAPPORT_CONFIG_DIR", &config)
            .args(args)
            .args(["--db", dbs])
            .timeout(std::time::Duration::from_secs(60))
            .assert()
            .success();
    };
    cli(&["demo"]);
    // The app runs the care rules as it starts; run them first so the list
    // read here is the one it shows (they raise each reminder once).
    cli(&["care", "run-rules"]);

    // Today's reminders, in the order care lists them.
    let reminders = DueFilter { owner: None, kind: DueKind::Source(DueSource::Reminder) };
    let due = || Repo::open(&db, "reader").unwrap().due_items_for(end_of_today(), &reminders, 0, 10_000).unwrap();
    let before = due();
    assert!(before.len() >= 2, "the demo base has reminders due today: {before:?}");
    let (first, second) = (before[0].clone(), before[1].clone());

    let mut app = Spawn::new(&config, &["--db", dbs]).start();
    app.wait_for_text(&["Customers", "matches"]);
    app.send("4");
    app.wait_for_text(&["Overdue and due today"]);
    app.send("f");
    app.wait_for_text(&[&format!("reminders: {}", before.len())]);
    // Done: the interaction form follows, for the same customer.
    app.send("d");
    app.wait_for_text(&["Log interaction"]);
    app.send(SUMMARY);
    app.send("\r");
    app.wait_for_text(&["Interaction saved.", &format!("reminders: {}", before.len() - 1)]);
    // The next one (now first): snooze a week.
    app.send("z");
    app.wait_for_text(&["Snooze ·"]);
    app.send("\x7f7"); // "+1" becomes "+7"
    app.send("\r");
    app.wait_for_text(&["Snoozed until", &format!("reminders: {}", before.len() - 2)]);
    app.send("q");
    assert!(app.wait_exit().success(), "{}", app.dump());

    // In the base: the first is done with the call logged, the second snoozed a week.
    let repo = Repo::open(&db, "reader").unwrap();
    let done = repo.reminder(first.id).unwrap();
    assert_eq!(done.status, ReminderStatus::Done);
    let logged = repo.recent_interactions(first.customer_id, 20).unwrap();
    assert!(logged.iter().any(|i| i.summary == SUMMARY && i.agent == "tester"), "{logged:?}");
    let snoozed = repo.reminder(second.id).unwrap();
    assert_eq!(snoozed.status, ReminderStatus::Snoozed);
    assert_eq!(snoozed.due_at.date_naive(), Utc::now().date_naive() + Duration::days(7));
    let audit = repo.audit_for("reminder", second.id).unwrap();
    assert!(audit.iter().any(|e| e.action == "snooze" && e.agent == "tester"), "{audit:?}");
    drop(repo);

    // A new session shows both states: two fewer due today, the snoozed one in the next 7 days.
    let after = due();
    assert_eq!(after.len(), before.len() - 2);
    assert!(after.iter().all(|i| i.id != first.id && i.id != second.id));
    let mut app = Spawn::new(&config, &["--db", dbs]).start();
    app.wait_for_text(&["Customers", "matches"]);
    app.send("4");
    app.wait_for_text(&["Overdue and due today"]);
    app.send("f");
    app.wait_for_text(&[&format!("reminders: {}", before.len() - 2)]);
    app.send("u");
    app.wait_for_text(&["Due in the next 7 days"]);
    app.send("q");
    assert!(app.wait_exit().success());
    let week = Repo::open(&db, "reader")
        .unwrap()
        .due_items_for(end_of_today() + Duration::days(7), &reminders, 0, 10_000)
        .unwrap();
    assert!(week.iter().any(|i| i.id == second.id), "the snoozed reminder is due within the week");
}
