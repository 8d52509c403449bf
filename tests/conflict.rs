//! Two agents edit the same record: a save refused because someone else
//! saved meanwhile names what they changed, and the user reloads their
//! version or overwrites it on purpose. Nothing is silently overwritten.
//!
//! The first test runs real processes: the TUI in a pseudo-terminal (agent
//! A), `rapport import` and a second TUI (agent B) writing to the same file.
//! The others drive the app in-process against a second connection.

mod common;
mod pty;

use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use pty::{Pty, Spawn};
use rapport::app::App;
use rapport::domain::model::{CustomerKind, DealStatus, NewCustomer};
use rapport::panes::Env;
use rapport::panes::deal_form::DealForm;
use rapport::panes::overlay::Overlay;
use rapport::panes::snooze_form::SnoozeForm;
use rapport::repo::Repo;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::{Value, json};

const NAME: &str = "Xavier Conflict";
const PHONE_0: &str = "+1 555 0100";
const PHONE_B1: &str = "+1 555 0199";
const PHONE_B2: &str = "+1 555 0177";
const PHONE_A: &str = "+1 555 0142";

struct Sandbox {
    dir: tempfile::TempDir,
    config: PathBuf,
    db: PathBuf,
}

impl Sandbox {
    fn new() -> Sandbox {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config");
        std::fs::create_dir(&config).unwrap();
        let db = dir.path().join("shared.db");
        Sandbox { dir, config, db }
    }

    fn db(&self) -> &str {
        self.db.to_str().unwrap()
    }

    /// `rapport --db DB --user USER ARGS` as a plain process.
    fn cli(&self, user: &str, args: &[&str]) -> Command {
        let mut cmd = Command::new(pty::bin());
        cmd.env_clear()
            .env("TZ", "UTC")
            .env("LANG", "C.UTF-8")
            .env("HOME", &self.config)
            .env("RAPPORT_CONFIG_DIR", &self.config)
            .current_dir(self.dir.path())
            .args(["--db", self.db(), "--user", user])
            .args(args);
        cmd.timeout(Duration::from_secs(30));
        cmd
    }

    /// The TUI as `user`, opened on the card of the customer with `phone`.
    fn open(&self, user: &str, phone: &str) -> Pty {
        Spawn::new(&self.config, &["--db", self.db(), "--user", user, "--phone", phone]).start()
    }
}

/// The customer's audit entries, oldest first, as (agent, action, changes).
fn audit(db: &Path, entity: &str, id: i64) -> Vec<(String, String, Value)> {
    let repo = Repo::open(db, "reader").unwrap();
    repo.audit_for(entity, id)
        .unwrap()
        .into_iter()
        .map(|e| (e.agent, e.action, serde_json::from_str(&e.changes).unwrap()))
        .collect()
}

/// The form's row for `label` showing `value` (the card's header says
/// "Phone: ..." instead, so this only matches the form).
fn form_row(label: &str, value: &str) -> String {
    format!("{label:<16}{value}")
}

/// On a card: opens the edit form and moves to the phone field, which
/// holds `phone`.
fn edit_phone(app: &mut Pty, phone: &str) {
    app.send("e");
    app.wait_for_text(&["Edit customer", &form_row("Name", NAME)]);
    app.send("\t\t");
    app.wait_for_text(&[&form_row("Phone", &format!("{phone}_"))]);
}

#[test]
fn a_stale_save_names_the_change_then_reload_or_overwrite_with_real_processes() {
    let s = Sandbox::new();
    let id = {
        let mut repo = Repo::open(&s.db, "setup").unwrap();
        let mut c = NewCustomer::named(CustomerKind::Individual, NAME);
        c.external_id = Some("X1".into());
        c.phone = Some(PHONE_0.into());
        c.email = Some("xavier@example.com".into());
        repo.create_customer(&c).unwrap()
    };

    // A opens X's form and types a city.
    let mut a = s.open("alice", PHONE_0);
    a.wait_for_text(&[&format!("{NAME} · individual")]);
    a.send("e");
    a.wait_for_text(&["Edit customer", &form_row("Name", NAME)]);
    a.send("\t\t\t\t");
    a.wait_for_text(&[&form_row("City", "_")]);
    a.send("Lyon");
    a.wait_for_text(&[&form_row("City", "Lyon_")]);

    // Meanwhile B, another process, imports a new phone for X.
    let csv = s.dir.path().join("phones.csv");
    std::fs::write(&csv, format!("external_id,name,phone\nX1,{NAME},{PHONE_B1}\n")).unwrap();
    s.cli("bob", &["import", "customers", csv.to_str().unwrap()]).assert().success();

    // A saves: refused, naming the phone, with their value; nothing saved.
    a.send("\r");
    a.wait_for_text(&[
        "Saved by someone else meanwhile: phone.",
        &format!("theirs: {PHONE_B1}"),
        "r reload their version · o overwrite with yours · esc keep editing",
    ]);
    let repo = Repo::open(&s.db, "reader").unwrap();
    let x = repo.customer(id).unwrap();
    assert_eq!((x.phone.as_deref(), x.city.as_deref()), (Some(PHONE_B1), None));

    // Reload: B's phone in the form, A's city gone; still editing.
    a.send("r");
    a.wait_for_text(&[
        "Their version is loaded; your changes were dropped.",
        &form_row("Phone", PHONE_B1),
        &form_row("City", "_"),
    ]);
    assert!(!a.screen().contains("Lyon"), "{}", a.screen());
    assert!(!a.screen().contains("Saved by someone else"), "{}", a.screen());

    // A now types another phone...
    a.send("\x1b[Z\x1b[Z");
    a.wait_for_text(&[&form_row("Phone", &format!("{PHONE_B1}_"))]);
    a.send("\x7f".repeat(PHONE_B1.len()));
    a.wait_for_text(&[&form_row("Phone", "_")]);
    a.send(PHONE_A);
    a.wait_for_text(&[&form_row("Phone", &format!("{PHONE_A}_"))]);

    // ... while B, a second TUI, saves yet another one.
    let mut b = s.open("bob", PHONE_B1);
    b.wait_for_text(&[&format!("{NAME} · individual")]);
    edit_phone(&mut b, PHONE_B1);
    b.send("\x7f".repeat(PHONE_B1.len()));
    b.wait_for_text(&[&form_row("Phone", "_")]);
    b.send(PHONE_B2);
    b.wait_for_text(&[&form_row("Phone", &format!("{PHONE_B2}_"))]);
    b.send("\r");
    b.wait_for_text(&["Customer saved."]);
    b.send("q");
    b.wait_exit();

    // A saves: refused again, both values shown; A overwrites on purpose.
    a.send("\r");
    a.wait_for_text(&["Saved by someone else meanwhile: phone.", &format!("theirs: {PHONE_B2} · yours: {PHONE_A}")]);
    assert_eq!(Repo::open(&s.db, "reader").unwrap().customer(id).unwrap().phone.as_deref(), Some(PHONE_B2));
    a.send("o");
    a.wait_for_text(&["Customer saved.", &format!("Phone: {PHONE_A}")]);
    assert!(!a.screen().contains("Edit customer"), "{}", a.screen());
    a.send("q");
    assert!(a.wait_exit().success());

    // The base holds A's phone, and nothing else of X changed.
    let repo = Repo::open(&s.db, "reader").unwrap();
    let x = repo.customer(id).unwrap();
    assert_eq!(x.phone.as_deref(), Some(PHONE_A));
    assert_eq!(x.email.as_deref(), Some("xavier@example.com"));
    assert_eq!(x.city, None);
    assert_eq!(x.external_id.as_deref(), Some("X1"));
    // The audit log has B's update and A's, each with old and new values
    // (the import is one summary entry of its own).
    let log = audit(&s.db, "customer", id);
    let updates: Vec<_> = log.iter().filter(|(_, action, _)| action == "update").cloned().collect();
    assert_eq!(
        updates,
        vec![
            ("bob".to_string(), "update".to_string(), json!({"phone": [PHONE_B1, PHONE_B2]})),
            ("alice".to_string(), "update".to_string(), json!({"phone": [PHONE_B2, PHONE_A]})),
        ]
    );
    assert_eq!(log.len(), 3, "create + two updates: {log:?}");
    let imports = audit(&s.db, "import", 1);
    assert_eq!(imports.len(), 1);
    assert_eq!((imports[0].0.as_str(), &imports[0].2["updated"]), ("bob", &json!(1)), "{imports:?}");
}

// --- In-process: the app and a second connection ------------------------------

fn press(app: &mut App, code: KeyCode) {
    app.on_key(KeyEvent::new(code, KeyModifiers::NONE));
}

fn type_text(app: &mut App, s: &str) {
    for c in s.chars() {
        press(app, KeyCode::Char(c));
    }
}

fn screen(app: &mut App) -> String {
    let mut t = Terminal::new(TestBackend::new(100, 30)).unwrap();
    t.draw(|f| app.render(f)).unwrap();
    let buf = t.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

fn deal_titled(repo: &Repo, title: &str) -> rapport::domain::model::Deal {
    (1..50).filter_map(|id| repo.deal(id).ok()).find(|d| d.title == title).unwrap()
}

fn edit_deal(app: &mut App, title: &str) {
    let deal = deal_titled(&app.repo, title);
    let env = Env { repo: &mut app.repo, config: &app.config, now: common::now() };
    let form = DealForm::edit(deal, &env);
    app.overlay = Some(Overlay::Deal(Box::new(form)));
}

#[test]
fn a_deal_edited_meanwhile_is_named_and_overwritten_only_on_purpose() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = common::app(&dir, false, false);
    let mut bob = Repo::open(&dir.path().join("ui.db"), "bob").unwrap();
    edit_deal(&mut app, "Studio upgrade");
    type_text(&mut app, " XL");
    // Bob raises the amount and sets a next step meanwhile.
    let mut d = deal_titled(&bob, "Studio upgrade");
    d.amount = rapport::domain::money::Money(175_000);
    d.next_step = Some("Send the quote".into());
    bob.update_deal(&d).unwrap();

    press(&mut app, KeyCode::Enter);
    let s = screen(&mut app);
    assert!(s.contains("Saved by someone else meanwhile: amount, next step."), "{s}");
    assert!(s.contains("theirs: 1750.00"), "{s}");
    assert!(app.overlay.is_some());
    // Esc keeps editing: the conflict goes, the typed title stays, nothing saved.
    press(&mut app, KeyCode::Esc);
    let s = screen(&mut app);
    assert!(app.overlay.is_some() && !s.contains("Saved by someone else"), "{s}");
    assert!(s.contains("Studio upgrade XL"), "{s}");
    assert_eq!(deal_titled(&bob, "Studio upgrade").amount.0, 175_000);
    // Other keys do nothing while the conflict shows; o overwrites.
    press(&mut app, KeyCode::Enter);
    type_text(&mut app, "xyz");
    assert!(screen(&mut app).contains("Saved by someone else meanwhile"));
    type_text(&mut app, "o");
    assert!(app.overlay.is_none(), "{}", screen(&mut app));
    let saved = deal_titled(&bob, "Studio upgrade XL");
    assert_eq!(saved.amount.0, 150_000, "the form's amount, over theirs");
    assert_eq!(saved.next_step, None);
    let log = bob.audit_for("deal", saved.id).unwrap();
    let updates: Vec<(String, Value)> = log
        .iter()
        .filter(|e| e.action == "update")
        .map(|e| (e.agent.clone(), serde_json::from_str(&e.changes).unwrap()))
        .collect();
    assert_eq!(
        updates,
        vec![
            ("bob".into(), json!({"amount": [150_000, 175_000], "next_step": [null, "Send the quote"]})),
            (
                "alice".into(),
                json!({"title": ["Studio upgrade", "Studio upgrade XL"], "amount": [175_000, 150_000], "next_step": ["Send the quote", null]})
            ),
        ]
    );
}

#[test]
fn reload_puts_their_deal_in_the_form_and_a_stage_move_is_kept_without_asking() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = common::app(&dir, false, false);
    let mut bob = Repo::open(&dir.path().join("ui.db"), "bob").unwrap();
    edit_deal(&mut app, "Home bundle");
    type_text(&mut app, " plus");
    let mut d = deal_titled(&bob, "Home bundle");
    d.title = "Home bundle 2027".into();
    bob.update_deal(&d).unwrap();
    press(&mut app, KeyCode::Enter);
    let s = screen(&mut app);
    assert!(s.contains("Saved by someone else meanwhile: title."), "{s}");
    assert!(s.contains("theirs: Home bundle 2027 · yours: Home bundle plus"), "{s}");
    type_text(&mut app, "r");
    let s = screen(&mut app);
    assert!(s.contains("Their version is loaded"), "{s}");
    assert!(s.contains("Home bundle 2027_") && !s.contains("Home bundle plus"), "{s}");

    // Now Bob moves the stage: a field this form does not save. Alice's
    // next save goes over it without a question, and says so.
    let d = deal_titled(&bob, "Home bundle 2027");
    bob.move_deal(d.id, d.version, "Proposal", DealStatus::Open, None).unwrap();
    type_text(&mut app, "!");
    press(&mut app, KeyCode::Enter);
    assert!(app.overlay.is_none(), "{}", screen(&mut app));
    let status = app.status.clone().unwrap();
    assert_eq!(status.text, "Deal saved. (kept their change to: stage)");
    let d = deal_titled(&bob, "Home bundle 2027!");
    assert_eq!((d.stage.as_str(), d.version), ("Proposal", 4));
}

#[test]
fn a_customer_changed_outside_the_form_is_saved_over_without_undoing_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = common::app(&dir, false, false);
    let mut bob = Repo::open(&dir.path().join("ui.db"), "bob").unwrap();
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "zoe");
    press(&mut app, KeyCode::Enter);
    let id = app.card.customer_id().unwrap();
    press(&mut app, KeyCode::Char('e'));
    press(&mut app, KeyCode::Tab);
    type_text(&mut app, "Studio Ångström");
    // Bob writes a note meanwhile: a field the form does not show.
    let mut c = bob.customer(id).unwrap();
    c.note = Some("Prefers email".into());
    bob.update_customer(&c).unwrap();
    press(&mut app, KeyCode::Enter);
    assert!(app.overlay.is_none(), "{}", screen(&mut app));
    assert_eq!(app.status.clone().unwrap().text, "Customer saved. (kept their change to: note)");
    let c = bob.customer(id).unwrap();
    assert_eq!((c.company.as_deref(), c.note.as_deref()), (Some("Studio Ångström"), Some("Prefers email")));
}

#[test]
fn a_snooze_of_a_reminder_moved_meanwhile_asks_and_one_closed_meanwhile_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = common::app(&dir, false, false);
    let mut bob = Repo::open(&dir.path().join("ui.db"), "bob").unwrap();
    let until = common::now() + chrono::Duration::hours(14);
    let item =
        app.repo.due_items(until, 0, 50).unwrap().into_iter().find(|i| i.customer_name == "Zoë Ångström").unwrap();
    app.overlay = Some(Overlay::Snooze(SnoozeForm::new(item.clone())));
    // Bob snoozes it to 2026-11-30 first.
    let bobs = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, 30, 9, 0, 0).unwrap();
    bob.snooze_due(&item, bobs).unwrap();
    press(&mut app, KeyCode::Enter);
    let s = screen(&mut app);
    assert!(s.contains("Saved by someone else meanwhile: due."), "{s}");
    assert!(s.contains("theirs: 2026-11-30 09:00"), "{s}");
    // Reload, then snooze their version to tomorrow at its own time.
    type_text(&mut app, "r");
    assert!(!screen(&mut app).contains("Saved by someone else"));
    press(&mut app, KeyCode::Enter);
    assert!(app.overlay.is_none(), "{}", screen(&mut app));
    let r = bob.reminder(item.id).unwrap();
    assert_eq!(r.due_at, chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, 26, 9, 0, 0).unwrap());
    let snoozes: Vec<String> = bob
        .audit_for("reminder", item.id)
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "snooze")
        .map(|e| e.agent)
        .collect();
    assert_eq!(snoozes, ["bob", "alice"]);

    // Closed by Bob meanwhile: nothing to snooze, said so, nothing written.
    let item = app
        .repo
        .due_items(until + chrono::Duration::days(2), 0, 50)
        .unwrap()
        .into_iter()
        .find(|i| i.id == item.id && i.source == item.source)
        .unwrap();
    app.overlay = Some(Overlay::Snooze(SnoozeForm::new(item.clone())));
    bob.cancel_due(&item, common::now()).unwrap();
    press(&mut app, KeyCode::Enter);
    let s = screen(&mut app);
    assert!(s.contains("It was closed by someone else meanwhile"), "{s}");
    type_text(&mut app, "o");
    assert_eq!(bob.reminder(item.id).unwrap().status, rapport::domain::model::ReminderStatus::Cancelled);
}
