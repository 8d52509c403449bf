//! Whole-app snapshots through ratatui's TestBackend: each pane at 80×24 and
//! 160×48, with CJK, accented and hostile names, in colour and ASCII mode.

mod common;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use rapport::app::{App, View};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Color;

fn press(app: &mut App, code: KeyCode) {
    app.on_key(KeyEvent::new(code, KeyModifiers::NONE));
}

fn type_text(app: &mut App, s: &str) {
    for c in s.chars() {
        press(app, KeyCode::Char(c));
    }
}

fn draw(app: &mut App, w: u16, h: u16) -> Buffer {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| app.render(f)).unwrap();
    t.backend().buffer().clone()
}

fn text(buf: &Buffer) -> String {
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut skip = 0;
        for x in 0..buf.area.width {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let s = buf[(x, y)].symbol();
            out.push_str(s);
            skip = unicode_width::UnicodeWidthStr::width(s).saturating_sub(1);
        }
        out.push('\n');
    }
    out
}

/// Renders the app in every size and mode and snapshots each.
fn snapshot_all(name: &str, setup: impl Fn(&mut App)) {
    for (w, h) in [(80u16, 24u16), (160, 48)] {
        for ascii in [false, true] {
            let dir = tempfile::tempdir().unwrap();
            let mut app = common::app(&dir, ascii, false);
            setup(&mut app);
            let buf = draw(&mut app, w, h);
            let screen = text(&buf);
            assert!(!screen.contains('\u{1b}'), "an escape sequence reached the screen");
            assert!(!screen.contains("pwned"), "the OSC title payload reached the screen");
            if ascii {
                assert!(
                    screen.chars().all(|c| c.is_ascii() || !is_drawing_glyph(c)),
                    "box glyph in ASCII mode:\n{screen}"
                );
            }
            let mode = if ascii { "ascii" } else { "utf8" };
            insta::assert_snapshot!(format!("{name}_{w}x{h}_{mode}"), screen);
        }
    }
}

fn is_drawing_glyph(c: char) -> bool {
    ('\u{2500}'..='\u{25ff}').contains(&c) || ('\u{2190}'..='\u{21ff}').contains(&c) || c == '…'
}

#[test]
fn customers_pane() {
    snapshot_all("customers", |_| {});
}

#[test]
fn customers_search_cjk() {
    snapshot_all("search_cjk", |app| {
        press(app, KeyCode::Char('/'));
        type_text(app, "山田");
    });
}

#[test]
fn customer_card() {
    snapshot_all("card", |app| {
        press(app, KeyCode::Char('/'));
        type_text(app, "acme");
        press(app, KeyCode::Enter);
        assert_eq!(app.view, View::Card);
    });
}

#[test]
fn log_form() {
    snapshot_all("log_form", |app| {
        press(app, KeyCode::Char('/'));
        type_text(app, "zoe");
        press(app, KeyCode::Enter);
        press(app, KeyCode::Char('l'));
        type_text(app, "Asked about délais 配送");
    });
}

#[test]
fn pyramid_pane() {
    snapshot_all("pyramid", |app| press(app, KeyCode::Char('2')));
}

#[test]
fn pyramid_band_list() {
    snapshot_all("pyramid_band", |app| {
        press(app, KeyCode::Char('2'));
        press(app, KeyCode::Enter);
    });
}

#[test]
fn pipeline_pane() {
    snapshot_all("pipeline", |app| press(app, KeyCode::Char('3')));
}

#[test]
fn care_pane() {
    snapshot_all("care", |app| press(app, KeyCode::Char('4')));
}

#[test]
fn help_overlay() {
    snapshot_all("help", |app| press(app, KeyCode::Char('?')));
}

#[test]
fn too_small_terminal_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = common::app(&dir, false, false);
    let screen = text(&draw(&mut app, 40, 10));
    assert!(screen.contains("Terminal too small"), "{screen}");
    assert!(screen.contains("40×10"), "{screen}");
}

#[test]
fn no_color_means_no_colour() {
    for view in ['1', '2', '3', '4'] {
        let dir = tempfile::tempdir().unwrap();
        let mut colored = common::app(&dir, false, false);
        press(&mut colored, KeyCode::Char(view));
        let buf = draw(&mut colored, 100, 30);
        assert!(buf.content.iter().any(|c| c.fg != Color::Reset || c.bg != Color::Reset), "pane {view} has no colour");

        let dir = tempfile::tempdir().unwrap();
        let mut plain = common::app(&dir, false, true);
        press(&mut plain, KeyCode::Char(view));
        let buf = draw(&mut plain, 100, 30);
        assert!(
            buf.content.iter().all(|c| c.fg == Color::Reset && c.bg == Color::Reset),
            "pane {view} uses colour under NO_COLOR"
        );
    }
}

#[test]
fn search_folds_accents_and_phone_digits() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = common::app(&dir, false, false);
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "ANGSTROM");
    let screen = text(&draw(&mut app, 80, 24));
    assert!(screen.contains("Zoë Ångström"), "{screen}");
    for q in ["5147214711", "721-4711"] {
        press(&mut app, KeyCode::Esc);
        press(&mut app, KeyCode::Esc);
        press(&mut app, KeyCode::Char('/'));
        type_text(&mut app, q);
        let screen = text(&draw(&mut app, 80, 24));
        assert!(screen.contains("Zoë Ångström"), "{q}: {screen}");
        assert!(!screen.contains("山田太郎"), "{q}: {screen}");
    }
}

/// Typed characters are searched once, when something reads the list (the
/// next frame or the next action), not once each: a caller's name typed
/// fast, then Enter before any frame, opens that caller's card.
#[test]
fn a_search_typed_and_entered_before_a_frame_opens_the_match() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = common::app(&dir, false, false);
    draw(&mut app, 80, 24);
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "山田");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Enter);
    let screen = text(&draw(&mut app, 80, 24));
    assert!(screen.contains("山田太郎 · individual"), "{screen}");
}

#[test]
fn a_search_while_the_index_is_built_says_so_and_still_finds() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = common::app(&dir, false, false);
    // As after a first import: the background job fills the index.
    app.repo.reset_search_index().unwrap();
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "山田");
    let screen = text(&draw(&mut app, 80, 24));
    assert!(screen.contains("search index building"), "{screen}");
    assert!(screen.contains("山田太郎"), "{screen}");
    // Another connection (the app's job) completes it: the title clears.
    rapport::repo::Repo::open(app.repo.path(), "job").unwrap().catch_up_search_index().unwrap();
    assert!(app.poll_changes());
    let screen = text(&draw(&mut app, 80, 24));
    assert!(!screen.contains("search index building"), "{screen}");
    assert!(screen.contains("山田太郎"), "{screen}");
}

#[test]
fn logging_a_call_saves_it_and_shows_it_on_the_card() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = common::app(&dir, false, false);
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "zoe");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('l'));
    // Enter on an empty summary is refused, nothing saved.
    press(&mut app, KeyCode::Enter);
    assert!(app.overlay.is_some());
    let screen = text(&draw(&mut app, 80, 24));
    assert!(screen.contains("A summary is required"), "{screen}");
    type_text(&mut app, "Wants the quote in CAD");
    press(&mut app, KeyCode::Enter);
    assert!(app.overlay.is_none());
    let screen = text(&draw(&mut app, 80, 24));
    assert!(screen.contains("Interaction saved"), "{screen}");
    assert!(screen.contains("Wants the quote in CAD"), "{screen}");
    let id = app.card.customer_id().unwrap();
    let saved = app.repo.recent_interactions(id, 1).unwrap();
    assert_eq!(saved[0].summary, "Wants the quote in CAD");
    assert_eq!(saved[0].agent, "alice");
}

#[test]
fn a_promise_needs_a_valid_due_date() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = common::app(&dir, false, false);
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "zoe");
    press(&mut app, KeyCode::Enter);
    let id = app.card.customer_id().unwrap();
    let before = app.repo.interaction_count(id).unwrap();
    press(&mut app, KeyCode::Char('l'));
    type_text(&mut app, "Quote question");
    press(&mut app, KeyCode::Tab); // outcome
    press(&mut app, KeyCode::Tab); // promise
    type_text(&mut app, "Call back with prices");
    press(&mut app, KeyCode::Tab); // due
    type_text(&mut app, "2026-02-30");
    press(&mut app, KeyCode::Enter);
    assert!(app.overlay.is_some(), "an impossible date was accepted");
    assert_eq!(app.repo.interaction_count(id).unwrap(), before, "something was saved");
    for _ in 0.."2026-02-30".len() {
        press(&mut app, KeyCode::Backspace);
    }
    type_text(&mut app, "tomorrow");
    press(&mut app, KeyCode::Enter);
    assert!(app.overlay.is_none());
    assert_eq!(app.repo.interaction_count(id).unwrap(), before + 1);
    let promises = app.repo.open_promises_of(id).unwrap();
    assert_eq!(promises.len(), 1);
    assert_eq!(promises[0].text, "Call back with prices");
    assert_eq!(promises[0].due_at.date_naive(), chrono::NaiveDate::from_ymd_opt(2026, 11, 26).unwrap());
}

#[test]
fn pyramid_migration() {
    snapshot_all("pyramid_migration", |app| {
        press(app, KeyCode::Char('2'));
        press(app, KeyCode::Char('m'));
    });
}

#[test]
fn a_top_customer_who_dropped_is_marked_in_words_at_80_columns() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = common::app(&dir, false, true);
    // Zoë is pinned to Top for a day's snapshot, then unpinned for the
    // next: between the latest two snapshots she drops from Top.
    let id = app.repo.search_customers("Zoë", 0, 5).unwrap()[0].id;
    let latest = app.repo.snapshot_days(1).unwrap()[0];
    let mut zoe = app.repo.customer(id).unwrap();
    zoe.tier_pin = Some(rapport::domain::model::Tier::Top);
    app.repo.update_customer(&zoe).unwrap();
    app.repo.store_snapshot(latest + chrono::Days::new(1)).unwrap();
    let mut zoe = app.repo.customer(id).unwrap();
    zoe.tier_pin = None;
    app.repo.update_customer(&zoe).unwrap();
    app.repo.store_snapshot(latest + chrono::Days::new(2)).unwrap();
    app.reload_all();
    press(&mut app, KeyCode::Char('2'));
    press(&mut app, KeyCode::Char('m'));
    let screen = text(&draw(&mut app, 80, 24));
    let row = screen.lines().find(|l| l.contains("Zoë")).unwrap_or_else(|| panic!("{screen}"));
    assert!(row.contains("Top ↓") && row.contains("TOP DROPPED"), "{row}");
    // The others are not marked.
    assert_eq!(screen.matches("TOP DROPPED").count(), 1, "{screen}");
}

#[test]
fn pinning_a_customer_shows_everywhere_and_unpinning_restores() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = common::app(&dir, false, false);
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "Famille");
    press(&mut app, KeyCode::Enter);
    let id = app.card.customer_id().unwrap();
    assert_eq!(app.repo.customer(id).unwrap().effective_tier(), rapport::domain::model::Tier::Low);
    // t opens the chooser; the first choice is Top.
    press(&mut app, KeyCode::Char('t'));
    let screen = text(&draw(&mut app, 80, 24));
    assert!(screen.contains("Pin to a tier"), "{screen}");
    press(&mut app, KeyCode::Home);
    for _ in 0..5 {
        press(&mut app, KeyCode::Up);
    }
    press(&mut app, KeyCode::Enter);
    let c = app.repo.customer(id).unwrap();
    assert_eq!(c.tier_pin, Some(rapport::domain::model::Tier::Top));
    let screen = text(&draw(&mut app, 80, 24));
    assert!(screen.contains("Top (pinned)"), "{screen}");
    // The list marks the pin too, and the pyramid counts them in Top.
    press(&mut app, KeyCode::Esc);
    let screen = text(&draw(&mut app, 80, 24));
    assert!(screen.contains("Top*       Famille Dubois"), "{screen}");
    let top_before = app.repo.tier_bands().unwrap()[0].count;
    // Unpin: the last choice.
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('t'));
    for _ in 0..5 {
        press(&mut app, KeyCode::Down);
    }
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.repo.customer(id).unwrap().tier_pin, None);
    assert_eq!(app.repo.tier_bands().unwrap()[0].count, top_before - 1);
    let audit = app.repo.audit_for("customer", id).unwrap();
    assert!(audit.iter().filter(|e| e.changes.contains("tier_pin")).count() == 2, "{audit:?}");
}

#[test]
fn snapshot_key_recomputes_in_the_background() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = common::app(&dir, false, false);
    press(&mut app, KeyCode::Char('2'));
    // A sale makes Famille Dubois the biggest customer once recomputed.
    let id = app.repo.search_customers("famille", 0, 1).unwrap()[0].id;
    app.repo
        .create_transaction(&rapport::domain::model::NewTransaction {
            customer_id: id,
            external_id: None,
            kind: rapport::domain::model::TxKind::Sale,
            amount: rapport::domain::money::Money(5_000_000),
            occurred_at: common::days_ago(1),
            reference: None,
        })
        .unwrap();
    assert_eq!(app.repo.customer(id).unwrap().tier, rapport::domain::model::Tier::Low);
    press(&mut app, KeyCode::Char('s'));
    let screen = text(&draw(&mut app, 80, 24));
    assert!(screen.contains("Recomputing the pyramid"), "{screen}");
    app.wait_recompute();
    assert_eq!(app.repo.customer(id).unwrap().tier, rapport::domain::model::Tier::Top);
    let screen = text(&draw(&mut app, 80, 24));
    assert!(screen.contains("snapshot taken for 2026-11-25"), "{screen}");
    assert!(screen.contains("total 50,400.00"), "{screen}");
}

#[test]
fn a_recompute_before_the_latest_snapshot_says_it_took_none() {
    // The clock went back: a snapshot of a later day exists. The figures are
    // recomputed, but the history only grows at its end.
    let dir = tempfile::tempdir().unwrap();
    let mut app = common::app(&dir, false, false);
    let later = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
    app.repo.store_snapshot(later).unwrap();
    press(&mut app, KeyCode::Char('2'));
    press(&mut app, KeyCode::Char('s'));
    app.wait_recompute();
    let screen = text(&draw(&mut app, 80, 24));
    assert!(screen.contains("Tiers recomputed for 2026-11-25 (no snapshot: the latest is 2026-11-30)"), "{screen}");
    assert_eq!(app.repo.snapshot_days(1).unwrap(), vec![later]);
}

#[test]
fn care_done_logs_a_call_and_snooze_moves_a_reminder_and_both_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = common::app(&dir, false, false);
    press(&mut app, KeyCode::Char('4'));
    let due = |app: &App| app.repo.due_items(common::now() + chrono::Duration::hours(14), 0, 50).unwrap();
    let before = due(&app);
    assert_eq!(before.len(), 4);
    // First line: 山田太郎's follow-up (Top). Done, then the call form opens.
    assert_eq!(before[0].customer_name, "山田太郎");
    press(&mut app, KeyCode::Char('d'));
    assert!(app.overlay.is_some(), "done should offer to log the interaction");
    type_text(&mut app, "Followed up, all fine");
    press(&mut app, KeyCode::Enter);
    assert!(app.overlay.is_none());
    let yamada = before[0].customer_id;
    assert_eq!(app.repo.recent_interactions(yamada, 1).unwrap()[0].summary, "Followed up, all fine");
    let screen = text(&draw(&mut app, 80, 24));
    assert!(!screen.contains("フォローアップの電話"), "{screen}");
    // Zoë's overdue call-back (Growth) is first now: snooze it a week.
    assert_eq!(due(&app)[0].customer_name, "Zoë Ångström");
    press(&mut app, KeyCode::Char('z'));
    let screen = text(&draw(&mut app, 80, 24));
    assert!(screen.contains("Snooze · Zoë Ångström"), "{screen}");
    press(&mut app, KeyCode::Backspace);
    type_text(&mut app, "7");
    press(&mut app, KeyCode::Enter);
    assert!(app.overlay.is_none());
    let screen = text(&draw(&mut app, 80, 24));
    assert!(screen.contains("Snoozed until 2026-12-02"), "{screen}");
    // The promise (Acme) is first now: a promise keeps its date.
    press(&mut app, KeyCode::Char('z'));
    assert!(app.overlay.is_none());
    let screen = text(&draw(&mut app, 80, 24));
    assert!(screen.contains("Only reminders can be snoozed"), "{screen}");
    let after = due(&app);
    assert_eq!(after.len(), 2, "{after:?}");
    drop(app);

    // Reopen the same base: both states were saved.
    let repo = rapport::repo::Repo::open(&dir.path().join("ui.db"), "alice").unwrap();
    let zoe = repo.search_customers("zoe", 0, 1).unwrap()[0].id;
    let r = repo.open_reminders_of(zoe).unwrap();
    assert_eq!(r[0].status, rapport::domain::model::ReminderStatus::Snoozed);
    assert_eq!(r[0].due_at.date_naive(), chrono::NaiveDate::from_ymd_opt(2026, 12, 2).unwrap());
    assert!(repo.open_reminders_of(yamada).unwrap().iter().all(|r| r.note != "フォローアップの電話"));
    let audit = repo.audit_for("reminder", before[0].id).unwrap();
    assert!(audit.iter().any(|e| e.action == "done"), "{audit:?}");
}

fn deal_by_title(app: &App, title: &str) -> rapport::domain::model::Deal {
    let id: i64 = (1..50).find(|id| app.repo.deal(*id).map(|d| d.title == title).unwrap_or(false)).unwrap();
    app.repo.deal(id).unwrap()
}

#[test]
fn pipeline_moves_wins_and_loses_deals_with_history() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = common::app(&dir, false, false);
    press(&mut app, KeyCode::Char('3'));
    // The Lead column is selected; its only card is Zoë's "Studio upgrade".
    press(&mut app, KeyCode::Char('>'));
    let d = deal_by_title(&app, "Studio upgrade");
    assert_eq!(d.stage, "Qualified");
    let screen = text(&draw(&mut app, 80, 24));
    assert!(screen.contains("Moved to Qualified"), "{screen}");
    // The selection followed the deal: move it back, then forward twice.
    press(&mut app, KeyCode::Char('<'));
    assert_eq!(deal_by_title(&app, "Studio upgrade").stage, "Lead");
    press(&mut app, KeyCode::Char('>'));
    press(&mut app, KeyCode::Char('>'));
    assert_eq!(deal_by_title(&app, "Studio upgrade").stage, "Proposal");
    // Won asks for a reason; an empty one is refused.
    press(&mut app, KeyCode::Char('w'));
    press(&mut app, KeyCode::Enter);
    let screen = text(&draw(&mut app, 80, 24));
    assert!(screen.contains("Give a reason"), "{screen}");
    type_text(&mut app, "Best fit");
    press(&mut app, KeyCode::Enter);
    let d = deal_by_title(&app, "Studio upgrade");
    assert_eq!((d.status, d.stage.as_str()), (rapport::domain::model::DealStatus::Won, "Won"));
    // Lost: a configured reason plus detail. The Proposal column's next card is 年間保守契約.
    press(&mut app, KeyCode::Char('x'));
    press(&mut app, KeyCode::Right);
    type_text(&mut app, "went with Acme CRM");
    press(&mut app, KeyCode::Enter);
    let lost = deal_by_title(&app, "年間保守契約");
    assert_eq!(lost.status, rapport::domain::model::DealStatus::Lost);
    let audit = app.repo.audit_for("deal", lost.id).unwrap();
    let last = &audit.last().unwrap().changes;
    assert!(last.contains("Competitor: went with Acme CRM") || last.contains(": went with Acme CRM"), "{last}");
    let moves = app.repo.audit_for("deal", d.id).unwrap().iter().filter(|e| e.action == "stage_move").count();
    assert_eq!(moves, 5);
}

#[test]
fn a_new_deal_is_validated_then_saved_whole() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = common::app(&dir, false, false);
    press(&mut app, KeyCode::Char('3'));
    press(&mut app, KeyCode::Char('n'));
    // Customer picker: type, the first match is chosen.
    type_text(&mut app, "dubois");
    press(&mut app, KeyCode::Tab);
    type_text(&mut app, "Garden furniture");
    press(&mut app, KeyCode::Tab);
    type_text(&mut app, "12x0");
    press(&mut app, KeyCode::Enter);
    let screen = text(&draw(&mut app, 80, 24));
    assert!(screen.contains("is not an amount"), "{screen}");
    assert!(app.overlay.is_some());
    for _ in 0..4 {
        press(&mut app, KeyCode::Backspace);
    }
    type_text(&mut app, "1,250.50");
    press(&mut app, KeyCode::Tab); // stage
    press(&mut app, KeyCode::Tab); // probability
    type_text(&mut app, "140");
    press(&mut app, KeyCode::Enter);
    let screen = text(&draw(&mut app, 80, 24));
    assert!(screen.contains("from 0 to 100"), "{screen}");
    for _ in 0..3 {
        press(&mut app, KeyCode::Backspace);
    }
    press(&mut app, KeyCode::Tab); // close
    type_text(&mut app, "2027-02-30");
    press(&mut app, KeyCode::Enter);
    assert!(app.overlay.is_some(), "an impossible date was accepted");
    for _ in 0..10 {
        press(&mut app, KeyCode::Backspace);
    }
    type_text(&mut app, "2027-02-28");
    press(&mut app, KeyCode::Enter);
    assert!(app.overlay.is_none());
    let d = deal_by_title(&app, "Garden furniture");
    assert_eq!(d.customer_name, "Famille Dubois");
    assert_eq!(d.amount, rapport::domain::money::Money(125_050));
    assert_eq!(d.stage, "Lead");
    assert_eq!(d.probability_pct, None);
    assert_eq!(d.expected_close, chrono::NaiveDate::from_ymd_opt(2027, 2, 28));
    assert_eq!(d.owner.as_deref(), Some("alice"));
    // Edit it: title and probability.
    press(&mut app, KeyCode::Char('o')); // sort by close date: the new deal stays in Lead
    press(&mut app, KeyCode::Char('f'));
    type_text(&mut app, "garden");
    press(&mut app, KeyCode::Enter);
    let screen = text(&draw(&mut app, 80, 24));
    assert!(screen.contains("\"garden\""), "{screen}");
    assert!(!screen.contains("Studio upgrade"), "{screen}");
    press(&mut app, KeyCode::Char('e'));
    for _ in 0.."Garden furniture".len() {
        press(&mut app, KeyCode::Backspace);
    }
    type_text(&mut app, "Garden set");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.repo.deal(d.id).unwrap().title, "Garden set");
    assert_eq!(app.repo.deal(d.id).unwrap().version, d.version + 1);
}

#[test]
fn pipeline_analysis_view() {
    snapshot_all("pipeline_analysis", |app| {
        press(app, KeyCode::Char('3'));
        // Win one deal and lose another so every section has figures.
        press(app, KeyCode::Char('>'));
        press(app, KeyCode::Char('w'));
        type_text(app, "Best fit");
        press(app, KeyCode::Enter);
        press(app, KeyCode::Right);
        press(app, KeyCode::Right);
        press(app, KeyCode::Char('x'));
        press(app, KeyCode::Enter);
        press(app, KeyCode::Char('a'));
    });
}

/// As in `pipeline_analysis_view`: win one deal, lose another, open the analysis.
fn win_lose_and_analyse(app: &mut App) {
    press(app, KeyCode::Char('3'));
    press(app, KeyCode::Char('>'));
    press(app, KeyCode::Char('w'));
    type_text(app, "Best fit");
    press(app, KeyCode::Enter);
    press(app, KeyCode::Right);
    press(app, KeyCode::Right);
    press(app, KeyCode::Char('x'));
    press(app, KeyCode::Enter);
    press(app, KeyCode::Char('a'));
}

#[test]
fn pipeline_analysis_typed_range() {
    // October 2026: only 年間保守契約's creation in Proposal falls in it;
    // the win and the loss (today, Nov 25) do not.
    snapshot_all("pipeline_analysis_range", |app| {
        win_lose_and_analyse(app);
        for _ in 0..3 {
            press(app, KeyCode::Char('p'));
        }
        assert!(app.overlay.is_some(), "after this year, the range is typed");
        type_text(app, "2026-10-01..2026-10-31");
        press(app, KeyCode::Enter);
        assert!(app.overlay.is_none());
    });
}

#[test]
fn pipeline_analysis_last_30_days() {
    // From a typed range, p goes round to the last 30 days: 年間保守契約's
    // creation (40 days ago) drops out, its loss today stays in.
    snapshot_all("pipeline_analysis_30d", |app| {
        win_lose_and_analyse(app);
        for _ in 0..3 {
            press(app, KeyCode::Char('p'));
        }
        type_text(app, "2026-10-01 2026-10-31");
        press(app, KeyCode::Enter);
        press(app, KeyCode::Char('p'));
    });
}

#[test]
fn pipeline_analysis_period_cycles_and_bad_ranges_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = common::app(&dir, false, false);
    win_lose_and_analyse(&mut app);
    let title = |app: &mut App| {
        let screen = text(&draw(app, 100, 30));
        screen.lines().nth(1).unwrap_or("").to_string()
    };
    assert!(title(&mut app).contains("last 90 days · 2026-08-28 → 2026-11-25"), "{}", title(&mut app));
    press(&mut app, KeyCode::Char('p'));
    assert!(title(&mut app).contains("this quarter · 2026-10-01 → 2026-11-25"), "{}", title(&mut app));
    press(&mut app, KeyCode::Char('p'));
    assert!(title(&mut app).contains("this year · 2026-01-01 → 2026-11-25"), "{}", title(&mut app));
    // The range prompt: esc keeps this year.
    press(&mut app, KeyCode::Char('p'));
    assert!(text(&draw(&mut app, 100, 30)).contains("YYYY-MM-DD..YYYY-MM-DD"));
    press(&mut app, KeyCode::Esc);
    assert!(app.overlay.is_none());
    assert!(title(&mut app).contains("this year"), "{}", title(&mut app));
    // A range backwards, and one that is no range: said, and nothing changes.
    for bad in ["2026-10-31..2026-10-01", "2026-13-01..2026-13-02", "last week"] {
        press(&mut app, KeyCode::Char('p'));
        type_text(&mut app, bad);
        press(&mut app, KeyCode::Enter);
        let screen = text(&draw(&mut app, 100, 30));
        assert!(app.status.as_ref().is_some_and(|s| s.error), "{bad}: {screen}");
        assert!(screen.lines().nth(1).unwrap().contains("this year"), "{bad}: {screen}");
        app.status = None;
    }
    press(&mut app, KeyCode::Char('p'));
    type_text(&mut app, "2026-11-25..2026-11-25");
    press(&mut app, KeyCode::Enter);
    assert!(title(&mut app).contains("Pipeline analysis · 2026-11-25 → 2026-11-25"), "{}", title(&mut app));
    // Closing and reopening the view keeps the period; the board is untouched.
    press(&mut app, KeyCode::Char('a'));
    assert!(title(&mut app).contains("Pipeline ·"), "{}", title(&mut app));
    press(&mut app, KeyCode::Char('a'));
    assert!(title(&mut app).contains("2026-11-25 → 2026-11-25"), "{}", title(&mut app));
    press(&mut app, KeyCode::Char('p'));
    assert!(title(&mut app).contains("last 30 days · 2026-10-27 → 2026-11-25"), "{}", title(&mut app));
    press(&mut app, KeyCode::Char('p'));
    assert!(title(&mut app).contains("last 90 days"), "{}", title(&mut app));
}

#[test]
fn a_complaint_follows_the_4a_checklist_and_cannot_close_before_amend() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = common::app(&dir, false, false);
    // Open one from Zoë's card.
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "zoe");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('c'));
    type_text(&mut app, "Invoice charged twice");
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Right); // medium → high
    press(&mut app, KeyCode::Enter);
    assert!(app.overlay.is_none());
    let zoe = app.card.customer_id().unwrap();
    let case = app.repo.open_cases(0, 10).unwrap().into_iter().find(|c| c.customer_id == zoe).unwrap();
    assert_eq!(case.severity, rapport::domain::model::Severity::High);
    assert_eq!(case.deadline_at, common::now() + chrono::Duration::hours(24));
    // Care → complaints: Bob's older case first, then Zoë's.
    press(&mut app, KeyCode::Char('4'));
    press(&mut app, KeyCode::Char('k'));
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Char('s')); // Acknowledge
    press(&mut app, KeyCode::Char('s')); // Apologize
    press(&mut app, KeyCode::Char('c')); // close: refused, Amend is missing
    let screen = text(&draw(&mut app, 80, 24));
    assert!(screen.contains("cannot close yet: Amend still to do"), "{screen}");
    assert!(screen.contains("[✓][✓][ ][ ]"), "{screen}");
    assert_eq!(app.repo.case(case.id).unwrap().status, rapport::domain::model::CaseStatus::Open);
    press(&mut app, KeyCode::Char('s')); // Amend
    press(&mut app, KeyCode::Char('s')); // Anticipate asks for a note
    assert!(app.overlay.is_some());
    press(&mut app, KeyCode::Enter);
    let screen = text(&draw(&mut app, 80, 24));
    assert!(screen.contains("Anticipate needs a note"), "{screen}");
    type_text(&mut app, "Deduplicate card payments at checkout");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('c'));
    type_text(&mut app, "7");
    press(&mut app, KeyCode::Enter);
    let screen = text(&draw(&mut app, 80, 24));
    assert!(screen.contains("from 1 to 5"), "{screen}");
    press(&mut app, KeyCode::Backspace);
    type_text(&mut app, "4");
    press(&mut app, KeyCode::Enter);
    let closed = app.repo.case(case.id).unwrap();
    assert_eq!(closed.status, rapport::domain::model::CaseStatus::Closed);
    assert_eq!(closed.satisfaction, Some(4));
    assert_eq!(closed.anticipate_note.as_deref(), Some("Deduplicate card payments at checkout"));
    assert!(closed.steps.iter().all(Option::is_some));
    let screen = text(&draw(&mut app, 80, 24));
    assert!(screen.contains("30-day medians: ack 0.0 h, close 0.0 d"), "{screen}");
}

#[test]
fn customers_are_created_edited_archived_restored_and_dialled() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = common::app(&dir, false, false);
    // An unknown caller: the form comes with the number.
    app.open_phone("+33 6 12 34 56 78");
    let screen = text(&draw(&mut app, 80, 24));
    assert!(screen.contains("New customer") && screen.contains("+33 6 12 34 56 78"), "{screen}");
    press(&mut app, KeyCode::Enter);
    let screen = text(&draw(&mut app, 80, 24));
    assert!(screen.contains("A name is required"), "{screen}");
    type_text(&mut app, "Élodie Marchand");
    press(&mut app, KeyCode::Enter);
    assert!(app.overlay.is_none());
    assert_eq!(app.view, View::Card);
    let id = app.card.customer_id().unwrap();
    assert_eq!(app.repo.customers_by_phone("0612345678").unwrap()[0].id, id);
    // Edit: the city.
    press(&mut app, KeyCode::Char('e'));
    for _ in 0..4 {
        press(&mut app, KeyCode::Tab); // name → company → phone → email → city
    }
    type_text(&mut app, "Lyon");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.repo.customer(id).unwrap().city.as_deref(), Some("Lyon"));
    // Dial through the configured command, then the call form is open.
    app.config.ui.dialer = Some(format!("touch {}/called-{{number}}", dir.path().display()));
    press(&mut app, KeyCode::Char('d'));
    assert!(app.overlay.is_some());
    let called = dir.path().join("called-+33612345678");
    for _ in 0..200 {
        if called.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(called.exists(), "the dialer did not run");
    press(&mut app, KeyCode::Esc);
    // Archive: gone from the list; A lists archived ones; restore.
    press(&mut app, KeyCode::Char('a'));
    assert_eq!(app.repo.customer(id).unwrap().status, rapport::domain::model::CustomerStatus::Archived);
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "marchand");
    let screen = text(&draw(&mut app, 80, 24));
    assert!(screen.contains("0 matches"), "{screen}");
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char('A'));
    let screen = text(&draw(&mut app, 80, 24));
    assert!(screen.contains("ARCHIVED") && screen.contains("Élodie Marchand"), "{screen}");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('a'));
    assert_eq!(app.repo.customer(id).unwrap().status, rapport::domain::model::CustomerStatus::Active);
    let audit = app.repo.audit_for("customer", id).unwrap();
    assert!(audit.iter().any(|e| e.changes.contains("archived")), "{audit:?}");
}

#[test]
fn money_entered_on_the_card_ages_and_a_credit_hold_is_placed_and_lifted() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = common::app(&dir, false, false);
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "zoe");
    press(&mut app, KeyCode::Enter);
    let id = app.card.customer_id().unwrap();
    // A sale of 2,500.00 today; a bad amount first.
    press(&mut app, KeyCode::Char('$'));
    type_text(&mut app, "-5");
    press(&mut app, KeyCode::Enter);
    let screen = text(&draw(&mut app, 80, 24));
    assert!(screen.contains("more than zero"), "{screen}");
    press(&mut app, KeyCode::Backspace);
    press(&mut app, KeyCode::Backspace);
    type_text(&mut app, "2500");
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Tab);
    type_text(&mut app, "INV-77");
    press(&mut app, KeyCode::Enter);
    assert!(app.overlay.is_none());
    app.wait_recompute();
    let (inv, paid, out) = app.repo.balance_of(id).unwrap();
    assert_eq!((inv.0, paid.0, out.0), (370_000, 0, 370_000));
    let screen = text(&draw(&mut app, 120, 40));
    assert!(screen.contains("owed by age: 0–30 3,700") && screen.contains("INV-77"), "{screen}");
    // A credit limit below what is owed: the rules put the customer on hold.
    let mut c = app.repo.customer(id).unwrap();
    c.credit_limit = Some(rapport::domain::money::Money(100_000));
    app.repo.update_customer(&c).unwrap();
    rapport::services::care::run_rules(&mut app.repo, &app.config, common::now()).unwrap();
    app.reload_all();
    assert!(app.repo.customer(id).unwrap().on_hold);
    let screen = text(&draw(&mut app, 80, 24));
    assert!(screen.contains("ON HOLD"), "{screen}");
    press(&mut app, KeyCode::Esc);
    let screen = text(&draw(&mut app, 80, 24));
    assert!(screen.contains("! Zoë Ångström"), "{screen}");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('h'));
    assert!(!app.repo.customer(id).unwrap().on_hold);
    let audit = app.repo.audit_for("customer", id).unwrap();
    assert!(audit.iter().any(|e| e.action == "hold") && audit.iter().any(|e| e.action == "lift_hold"), "{audit:?}");
    // The same occasion (this month) does not put the hold back.
    rapport::services::care::run_rules(&mut app.repo, &app.config, common::now()).unwrap();
    assert!(!app.repo.customer(id).unwrap().on_hold);
}

#[test]
fn team_view() {
    snapshot_all("team", |app| press(app, KeyCode::Char('5')));
}

#[test]
fn team_competitors() {
    snapshot_all("team_competitors", |app| {
        // A deal against a competitor, lost for its price.
        let d = deal_by_title(app, "Fleet renewal 2027");
        let mut d2 = d.clone();
        d2.competitors = Some("Acme CRM, 河马软件".into());
        app.repo.update_deal(&d2).unwrap();
        // Lost at the screen's clock, so the month's figures never depend on the day the test runs.
        let lost = rapport::repo::deals::StageMove {
            to_stage: "Lost",
            status: rapport::domain::model::DealStatus::Lost,
            reason: Some("Price"),
            at: common::now(),
        };
        app.repo.move_deal_as(d.id, d.version + 1, &lost).unwrap();
        app.reload_all();
        press(app, KeyCode::Char('5'));
        for _ in 0..3 {
            press(app, KeyCode::Char('t'));
        }
    });
}

#[test]
fn team_periods_misses_and_a_competitors_deals() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = common::app(&dir, false, false);
    press(&mut app, KeyCode::Char('5'));
    let screen = text(&draw(&mut app, 100, 30));
    assert!(screen.contains("this month"), "{screen}");
    press(&mut app, KeyCode::Char('p'));
    assert!(text(&draw(&mut app, 100, 30)).contains("last 30 days"));
    press(&mut app, KeyCode::Char('p'));
    assert!(app.overlay.is_some(), "the third period is typed");
    type_text(&mut app, "2026-11-30 2026-11-01");
    press(&mut app, KeyCode::Enter);
    let screen = text(&draw(&mut app, 100, 30));
    assert!(screen.contains("after it ends"), "{screen}");
    // Still on the last 30 days: p asks again.
    press(&mut app, KeyCode::Char('p'));
    type_text(&mut app, "2026-11-01 2026-11-30");
    press(&mut app, KeyCode::Enter);
    let screen = text(&draw(&mut app, 100, 30));
    assert!(screen.contains("2026-11-01 → 2026-11-30"), "{screen}");
    // Misses: Bob's complaint was never acknowledged.
    press(&mut app, KeyCode::Char('t'));
    press(&mut app, KeyCode::Char('t'));
    let screen = text(&draw(&mut app, 100, 30));
    assert!(screen.contains("Missed service levels") && screen.contains("Bob Escape"), "{screen}");
    // A competitor's deals.
    let d = deal_by_title(&app, "Fleet renewal 2027");
    let mut d2 = d.clone();
    d2.competitors = Some("Salesfolk".into());
    app.repo.update_deal(&d2).unwrap();
    app.reload_all();
    press(&mut app, KeyCode::Char('t'));
    press(&mut app, KeyCode::Enter);
    let screen = text(&draw(&mut app, 100, 30));
    assert!(screen.contains("Deals against · Salesfolk") && screen.contains("Fleet renewal 2027"), "{screen}");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.view, View::Card);
}

#[test]
fn lists_filter_by_lifecycle_and_the_pyramid_shows_the_win_back_list() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = common::app(&dir, false, false);
    let stages = ["prospect", "new", "growing", "mature", "declining", "lost"];
    let mut seen = 0;
    for stage in stages {
        press(&mut app, KeyCode::Char('L'));
        let screen = text(&draw(&mut app, 100, 30));
        assert!(screen.contains(&format!("· {stage} ─")), "{stage}: {screen}");
        // Every listed customer is in that stage, and every customer of the stage is listed.
        let all = app.repo.search_customers("", 0, 100).unwrap();
        for c in all {
            let in_stage = app.repo.churn_of(c.id).unwrap().lifecycle == stage;
            let name = rapport::domain::text::sanitize(&c.name);
            assert_eq!(screen.contains(&name), in_stage, "{stage}: {name}\n{screen}");
            seen += usize::from(in_stage);
        }
    }
    assert_eq!(seen, 5, "each customer is in exactly one stage");
    press(&mut app, KeyCode::Char('L'));
    let screen = text(&draw(&mut app, 100, 30));
    assert!(screen.contains("5 matches"), "{screen}");
    press(&mut app, KeyCode::Char('2'));
    press(&mut app, KeyCode::Char('w'));
    let screen = text(&draw(&mut app, 100, 30));
    assert!(screen.contains("Win back"), "{screen}");
}

#[test]
fn the_card_shows_vip_points_and_possible_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = common::app(&dir, false, false);
    let yamada = app.repo.search_customers("山田", 0, 1).unwrap()[0].id;
    app.repo.adjust_points(yamada, 120, "welcome bonus").unwrap();
    // Someone else with 山田太郎's number, written another way.
    let mut twin =
        rapport::domain::model::NewCustomer::named(rapport::domain::model::CustomerKind::Individual, "Taro Yamada");
    twin.phone = Some("+81 (3) 1234 5678".into());
    let twin_id = app.repo.create_customer(&twin).unwrap();
    app.open_customer(yamada);
    let screen = text(&draw(&mut app, 120, 30));
    assert!(screen.contains("VIP Gold · 120 points"), "{screen}");
    assert!(screen.contains(&format!("same phone/email as #{twin_id}")), "{screen}");
    // The ledger: the adjustment with its reason and who made it.
    assert!(screen.contains("VIP points ledger (120 points)"), "{screen}");
    assert!(screen.lines().any(|l| l.contains("+120 adjust · welcome bonus · alice")), "{screen}");
}

#[test]
fn reminders_are_set_by_hand_recur_and_can_be_cancelled_and_promises_broken() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = common::app(&dir, false, false);
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "famille");
    press(&mut app, KeyCode::Enter);
    let id = app.card.customer_id().unwrap();
    press(&mut app, KeyCode::Char('r'));
    // The note is required.
    press(&mut app, KeyCode::Enter);
    assert!(text(&draw(&mut app, 80, 24)).contains("Say what the reminder is for"));
    type_text(&mut app, "Ask about the garden set");
    press(&mut app, KeyCode::Tab); // owner
    press(&mut app, KeyCode::Tab); // repeats
    press(&mut app, KeyCode::Right);
    press(&mut app, KeyCode::Right); // every 14 days
    press(&mut app, KeyCode::Enter);
    assert!(app.overlay.is_none());
    let r = app.repo.open_reminders_of(id).unwrap().into_iter().find(|r| r.note == "Ask about the garden set").unwrap();
    assert_eq!(r.recurrence.as_deref(), Some("days:14"));
    assert_eq!(r.kind, rapport::domain::model::ReminderKind::Call);
    assert_eq!(r.owner.as_deref(), Some("alice"));
    assert_eq!(r.due_at.date_naive(), chrono::NaiveDate::from_ymd_opt(2026, 11, 26).unwrap());
    // In care: the promise (Acme) is marked broken with x; the complaint cannot be.
    press(&mut app, KeyCode::Char('4'));
    let due = app.repo.due_items(common::now() + chrono::Duration::hours(14), 0, 50).unwrap();
    let promise_at = due.iter().position(|i| i.source == rapport::repo::reminders::DueSource::Promise).unwrap();
    for _ in 0..promise_at {
        press(&mut app, KeyCode::Down);
    }
    press(&mut app, KeyCode::Char('x'));
    assert!(text(&draw(&mut app, 80, 24)).contains("Promise marked broken"));
    let acme = app.repo.search_customers("acme", 0, 1).unwrap()[0].id;
    assert!(app.repo.open_promises_of(acme).unwrap().is_empty());
}

#[test]
fn care_shows_the_next_seven_days_and_only_my_items() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = common::app(&dir, false, false);
    press(&mut app, KeyCode::Char('4'));
    let screen = text(&draw(&mut app, 100, 30));
    assert!(!screen.contains("Send the brochure"), "due in 5 days, not today: {screen}");
    press(&mut app, KeyCode::Char('u'));
    let screen = text(&draw(&mut app, 100, 30));
    assert!(screen.contains("Due in the next 7 days") && screen.contains("Send the brochure"), "{screen}");
    // Bob's complaint belongs to the fixture's writer ("alice" too); a reminder of bob's is hidden by "mine".
    let zoe = app.repo.search_customers("zoe", 0, 1).unwrap()[0].id;
    app.repo
        .create_reminder(&rapport::domain::model::NewReminder {
            customer_id: zoe,
            kind: rapport::domain::model::ReminderKind::Task,
            due_at: common::now() + chrono::Duration::hours(1),
            note: "Bob's own task".into(),
            owner: Some("bob".into()),
            recurrence: None,
            origin: None,
        })
        .unwrap();
    app.reload_all();
    assert!(text(&draw(&mut app, 100, 30)).contains("Bob's own task"));
    press(&mut app, KeyCode::Char('m'));
    let screen = text(&draw(&mut app, 100, 30));
    assert!(screen.contains("· mine") && !screen.contains("Bob's own task"), "{screen}");
    assert!(screen.contains("Send the brochure"), "{screen}");
}

/// Care's figures: Acme's promise kept at the screen's clock, then `v`.
#[test]
fn care_figures_view() {
    snapshot_all("care_figures", |app| {
        let item = app
            .repo
            .due_items(common::now() + chrono::Duration::days(1), 0, 50)
            .unwrap()
            .into_iter()
            .find(|i| i.source == rapport::repo::reminders::DueSource::Promise)
            .unwrap();
        app.repo.complete_due(&item, common::now()).unwrap();
        app.reload_all();
        press(app, KeyCode::Char('4'));
        press(app, KeyCode::Char('v'));
    });
}

#[test]
fn care_edit_reminder_form() {
    snapshot_all("care_edit_reminder", |app| {
        press(app, KeyCode::Char('4'));
        press(app, KeyCode::Char('f'));
        press(app, KeyCode::Char('e'));
    });
}

#[test]
fn care_figures_follow_the_period_and_the_kind_filter_narrows_the_list() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = common::app(&dir, false, false);
    press(&mut app, KeyCode::Char('4'));
    // One kind at a time: reminders, promises, complaints.
    press(&mut app, KeyCode::Char('f'));
    let screen = text(&draw(&mut app, 100, 30));
    assert!(screen.contains("reminders: 2") && !screen.contains("Replacement part"), "{screen}");
    press(&mut app, KeyCode::Char('f'));
    let screen = text(&draw(&mut app, 100, 30));
    assert!(screen.contains("promises: 1") && screen.contains("Replacement part"), "{screen}");
    assert!(!screen.contains("Call back about the quote"), "{screen}");
    press(&mut app, KeyCode::Char('f'));
    let screen = text(&draw(&mut app, 100, 30));
    assert!(screen.contains("complaints: 1") && screen.contains("Damaged parcel"), "{screen}");
    // Keep the promise now; the figures of this month count it.
    press(&mut app, KeyCode::Char('f'));
    press(&mut app, KeyCode::Char('f'));
    let promise = app
        .repo
        .due_items(common::now() + chrono::Duration::days(1), 0, 50)
        .unwrap()
        .into_iter()
        .find(|i| i.source == rapport::repo::reminders::DueSource::Promise)
        .unwrap();
    app.repo.complete_due(&promise, common::now()).unwrap();
    press(&mut app, KeyCode::Char('v'));
    let screen = text(&draw(&mut app, 100, 30));
    assert!(screen.contains("Figures · this month"), "{screen}");
    assert!(screen.contains("Promises kept: 100% (1 settled"), "{screen}");
    // A typed range before it: nothing settled then.
    press(&mut app, KeyCode::Char('p'));
    press(&mut app, KeyCode::Char('p'));
    assert!(app.overlay.is_some(), "after the last 30 days the period key asks for a range");
    type_text(&mut app, "2026-01-01..2026-01-31");
    press(&mut app, KeyCode::Enter);
    let screen = text(&draw(&mut app, 100, 30));
    assert!(screen.contains("2026-01-01 → 2026-01-31"), "{screen}");
    assert!(screen.contains("Promises kept: – (0 settled"), "{screen}");
    assert!(screen.contains("No promise settled"), "{screen}");
    press(&mut app, KeyCode::Esc);
    let screen = text(&draw(&mut app, 100, 30));
    assert!(screen.contains("Overdue and due today"), "{screen}");
}

#[test]
fn care_edits_a_reminder_and_a_conflicting_edit_names_the_field_then_reloads_or_overwrites() {
    use rapport::repo::reminders::ReminderEdit;
    let dir = tempfile::tempdir().unwrap();
    let mut app = common::app(&dir, false, false);
    let zoe = app.repo.search_customers("zoe", 0, 1).unwrap()[0].id;
    let id = app.repo.open_reminders_of(zoe).unwrap()[0].id;
    press(&mut app, KeyCode::Char('4'));
    press(&mut app, KeyCode::Char('f')); // reminders only: Zoë's call is not first (山田 is Top)
    let items = app.repo.due_items(common::now() + chrono::Duration::hours(14), 0, 50).unwrap();
    let at =
        items.iter().filter(|i| i.source == rapport::repo::reminders::DueSource::Reminder).position(|i| i.id == id);
    for _ in 0..at.unwrap() {
        press(&mut app, KeyCode::Down);
    }
    press(&mut app, KeyCode::Char('e'));
    let screen = text(&draw(&mut app, 80, 24));
    assert!(screen.contains("Edit reminder · Zoë Ångström"), "{screen}");
    for _ in 0.."Call back about the quote".chars().count() {
        press(&mut app, KeyCode::Backspace);
    }
    type_text(&mut app, "Call about the new quote");
    press(&mut app, KeyCode::Enter);
    assert!(app.overlay.is_none());
    assert!(text(&draw(&mut app, 80, 24)).contains("Reminder changed."));
    assert_eq!(app.repo.reminder(id).unwrap().note, "Call about the new quote");

    // Open the form again; meanwhile another agent changes the note.
    press(&mut app, KeyCode::Char('e'));
    let mut other = rapport::repo::Repo::open(&dir.path().join("ui.db"), "bob").unwrap();
    let r = other.reminder(id).unwrap();
    let theirs = ReminderEdit {
        kind: r.kind,
        due_at: r.due_at,
        note: "Bob: call after the holidays".into(),
        owner: r.owner.clone(),
        recurrence: r.recurrence.clone(),
    };
    other.update_reminder(id, r.version, &theirs).unwrap();
    type_text(&mut app, "!");
    press(&mut app, KeyCode::Enter);
    let screen = text(&draw(&mut app, 80, 24));
    assert!(screen.contains("Saved by someone else meanwhile: note"), "{screen}");
    assert!(screen.contains("r reload their version"), "{screen}");
    assert_eq!(app.repo.reminder(id).unwrap().note, "Bob: call after the holidays", "nothing overwritten");
    // r: their version is in the form.
    press(&mut app, KeyCode::Char('r'));
    let screen = text(&draw(&mut app, 80, 24));
    assert!(screen.contains("Bob: call after the holidays_"), "{screen}");
    // They change it again; this time overwrite on purpose.
    let r = other.reminder(id).unwrap();
    other.update_reminder(id, r.version, &ReminderEdit { note: "Bob again".into(), ..theirs.clone() }).unwrap();
    type_text(&mut app, " (alice)");
    press(&mut app, KeyCode::Enter);
    assert!(text(&draw(&mut app, 80, 24)).contains("Saved by someone else meanwhile: note"));
    press(&mut app, KeyCode::Char('o'));
    assert!(app.overlay.is_none(), "overwrite saves and closes the form");
    assert_eq!(app.repo.reminder(id).unwrap().note, "Bob: call after the holidays (alice)");
    let audit = app.repo.audit_for("reminder", id).unwrap();
    let agents: Vec<&str> = audit.iter().filter(|e| e.action == "update").map(|e| e.agent.as_str()).collect();
    assert_eq!(agents, ["alice", "bob", "bob", "alice"]);
}

/// Acme's card after a few changes by two agents (one with a hostile
/// note), with the audit log's times pinned so snapshots never depend on
/// the wall clock.
fn acme_with_history(app: &mut App) -> i64 {
    press(app, KeyCode::Char('/'));
    type_text(app, "acme");
    press(app, KeyCode::Enter);
    let id = app.card.customer_id().unwrap();
    let mut bob = rapport::repo::Repo::open(app.repo.path(), "bob").unwrap();
    let mut c = bob.customer(id).unwrap();
    c.phone = Some("+49 30 7654321".into());
    c.credit_limit = Some(rapport::domain::money::Money(500_000));
    bob.update_customer(&c).unwrap();
    let mut c = app.repo.customer(id).unwrap();
    c.note = Some("\x1b]0;pwned\x07Call \x1b[31mbefore\x1b[0m noon".into());
    c.on_hold = true;
    app.repo.update_customer(&c).unwrap();
    let deal = app.repo.open_deals_of(id).unwrap().remove(0);
    bob.move_deal(deal.id, deal.version, "Proposal", rapport::domain::model::DealStatus::Open, None).unwrap();
    // One entry an hour, the newest at the tests' fixed now.
    let db = rusqlite::Connection::open(app.repo.path()).unwrap();
    db.execute(
        "UPDATE audit_log SET at = ?1 - ((SELECT max(id) FROM audit_log) - id) * 3600",
        [common::now().timestamp()],
    )
    .unwrap();
    app.reload_all();
    id
}

#[test]
fn card_history() {
    snapshot_all("card_history", |app| {
        acme_with_history(app);
        press(app, KeyCode::Char('H'));
    });
}

#[test]
fn the_history_scrolls_newest_first_and_closes() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = common::app(&dir, false, false);
    acme_with_history(&mut app);
    let card = text(&draw(&mut app, 80, 24));
    press(&mut app, KeyCode::Char('H'));
    let screen = text(&draw(&mut app, 80, 24));
    let lines: Vec<&str> = screen.lines().collect();
    // Newest first: Bob's stage move, then Alice's note and hold, then Bob's phone.
    let at = |s: &str| lines.iter().position(|l| l.contains(s)).unwrap_or_else(|| panic!("{s:?} in\n{screen}"));
    assert!(at("History (") < at("2026-11-25 10:00  bob · stage move deal #"), "{screen}");
    assert!(at("stage: Negotiation → Proposal") < at("2026-11-25 09:00  alice · changed customer"), "{screen}");
    assert!(at("credit hold: no → yes") < at("2026-11-25 08:00  bob · changed customer"), "{screen}");
    assert!(screen.contains("note: – → Call before noon"), "{screen}");
    assert!(!screen.contains('\u{1b}') && !screen.contains("pwned"), "{screen}");
    // Down scrolls to the older entries: the customer's creation is last.
    for _ in 0..40 {
        press(&mut app, KeyCode::Down);
    }
    let screen = text(&draw(&mut app, 80, 24));
    assert!(screen.contains("created customer"), "{screen}");
    assert!(screen.contains("name: Acme Industries"), "{screen}");
    assert!(!screen.contains("stage move"), "{screen}");
    press(&mut app, KeyCode::Home);
    assert!(text(&draw(&mut app, 80, 24)).contains("stage move"));
    // Esc closes it, and the card is as before.
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.view, View::Card);
    assert_eq!(text(&draw(&mut app, 80, 24)), card);
    // The history is read newest first, a window at a time.
    let id = app.card.customer_id().unwrap();
    let all = app.repo.history_of("customer", id, 100, 0).unwrap();
    let second = app.repo.history_of("customer", id, 2, 1).unwrap();
    assert_eq!(second, all[1..3].to_vec());
    assert!(all.windows(2).all(|w| w[0].at >= w[1].at), "{all:?}");
    assert!(all.iter().any(|e| e.entity == "contact") && all.iter().any(|e| e.entity == "deal"));
    assert!(all.iter().all(|e| e.entity != "interaction" && e.entity != "transaction"));
}

/// Opens the card of the one customer matching `query`.
fn open_card(app: &mut App, query: &str) {
    press(app, KeyCode::Char('/'));
    type_text(app, query);
    press(app, KeyCode::Enter);
    assert!(app.card.customer_id().is_some(), "no card for {query:?}");
}

#[test]
fn card_timeline_tab() {
    snapshot_all("card_timeline", |app| {
        open_card(app, "zoe");
        press(app, KeyCode::Right);
    });
}

#[test]
fn card_contacts_tab() {
    snapshot_all("card_contacts", |app| {
        open_card(app, "acme");
        press(app, KeyCode::Right);
        press(app, KeyCode::Right);
    });
}

#[test]
fn contacts_are_added_edited_and_archived_from_the_card() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = common::app(&dir, false, false);
    open_card(&mut app, "acme");
    let id = app.card.customer_id().unwrap();
    let before = app.repo.all_contacts_of(id).unwrap().len();
    press(&mut app, KeyCode::Right);
    press(&mut app, KeyCode::Right);
    press(&mut app, KeyCode::Char('n'));
    let screen = text(&draw(&mut app, 80, 24));
    assert!(screen.contains("New contact · Acme"), "{screen}");
    type_text(&mut app, "Dr. Åsa Öberg");
    press(&mut app, KeyCode::Tab);
    type_text(&mut app, "CTO");
    press(&mut app, KeyCode::Tab);
    type_text(&mut app, "+46 8 555 0101");
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Tab);
    type_text(&mut app, "1980-02-30");
    press(&mut app, KeyCode::Enter);
    assert!(text(&draw(&mut app, 80, 24)).contains("Birthday: a date YYYY-MM-DD"), "an impossible date is refused");
    assert_eq!(app.repo.all_contacts_of(id).unwrap().len(), before, "nothing half-saved");
    press(&mut app, KeyCode::Backspace);
    press(&mut app, KeyCode::Backspace);
    type_text(&mut app, "29");
    press(&mut app, KeyCode::Enter);
    assert!(app.overlay.is_none());
    let all = app.repo.all_contacts_of(id).unwrap();
    let asa = all.iter().find(|k| k.name == "Dr. Åsa Öberg").unwrap().clone();
    assert_eq!((asa.role.as_deref(), asa.birthday), (Some("CTO"), chrono::NaiveDate::from_ymd_opt(1980, 2, 29)));
    // The caller's number now finds the customer.
    assert_eq!(app.repo.customers_by_phone("+46855501 01").unwrap().len(), 1);
    // Select her and edit the role; then archive her.
    let at = all.iter().position(|k| k.id == asa.id).unwrap();
    for _ in 0..at {
        press(&mut app, KeyCode::Down);
    }
    press(&mut app, KeyCode::Char('e'));
    let screen = text(&draw(&mut app, 80, 24));
    assert!(screen.contains("Edit contact") && screen.contains("Dr. Åsa Öberg"), "{screen}");
    press(&mut app, KeyCode::Tab);
    for _ in 0..3 {
        press(&mut app, KeyCode::Backspace);
    }
    type_text(&mut app, "CEO");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.repo.contact(asa.id).unwrap().role.as_deref(), Some("CEO"));
    press(&mut app, KeyCode::Char('a'));
    assert!(app.repo.contact(asa.id).unwrap().archived);
    assert!(text(&draw(&mut app, 100, 30)).contains("(archived)"));
    assert!(app.repo.contacts_of(id).unwrap().iter().all(|k| k.id != asa.id));
    press(&mut app, KeyCode::Char('a'));
    assert!(!app.repo.contact(asa.id).unwrap().archived, "restored");
}

#[test]
fn the_timeline_tab_scrolls_through_a_long_story() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = common::app(&dir, false, false);
    open_card(&mut app, "zoe");
    let id = app.card.customer_id().unwrap();
    app.repo
        .batch(|b| {
            for i in 0..1_000 {
                b.interaction(&rapport::domain::model::NewInteraction {
                    customer_id: id,
                    channel: rapport::domain::model::Channel::Email,
                    direction: rapport::domain::model::Direction::Outbound,
                    summary: format!("newsletter {i:04}"),
                    outcome: rapport::domain::model::Outcome::NoAnswer,
                    occurred_at: common::now() - chrono::Duration::days(400) + chrono::Duration::hours(i),
                    duration_secs: None,
                })?;
            }
            Ok(())
        })
        .unwrap();
    app.reload_all();
    press(&mut app, KeyCode::Right);
    let screen = text(&draw(&mut app, 80, 24));
    assert!(screen.contains("[Timeline]"), "{screen}");
    assert!(!screen.contains("newsletter 0000"), "the oldest is far below");
    press(&mut app, KeyCode::End);
    let screen = text(&draw(&mut app, 80, 24));
    assert!(screen.contains("newsletter 0000"), "End reaches the oldest entry:\n{screen}");
    press(&mut app, KeyCode::Home);
    let screen = text(&draw(&mut app, 80, 24));
    assert!(!screen.contains("newsletter 0000") && screen.contains("Call back about the quote"), "{screen}");
}

/// A second record of Zoë: same phone written differently, one call logged on it.
fn zoe_twice(app: &mut App) -> (i64, i64) {
    let zoe = app.repo.search_customers("zoe", 0, 1).unwrap()[0].id;
    let mut twin =
        rapport::domain::model::NewCustomer::named(rapport::domain::model::CustomerKind::Individual, "Zoe Angstrom");
    twin.phone = Some("514 721 4711".into());
    let twin = app.repo.create_customer(&twin).unwrap();
    app.repo
        .log_interaction(
            &rapport::domain::model::NewInteraction {
                customer_id: twin,
                channel: rapport::domain::model::Channel::Call,
                direction: rapport::domain::model::Direction::Inbound,
                summary: "Called from the second record".into(),
                outcome: rapport::domain::model::Outcome::Resolved,
                occurred_at: common::now() - chrono::Duration::hours(1),
                duration_secs: None,
            },
            None,
        )
        .unwrap();
    app.reload_all();
    (zoe, twin)
}

#[test]
fn duplicates_view() {
    snapshot_all("duplicates", |app| {
        zoe_twice(app);
        press(app, KeyCode::Char('M'));
    });
}

#[test]
fn duplicates_are_merged_from_the_list_after_a_confirmation() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = common::app(&dir, false, false);
    let (zoe, twin) = zoe_twice(&mut app);
    press(&mut app, KeyCode::Char('M'));
    let screen = text(&draw(&mut app, 100, 30));
    assert!(screen.contains("Possible duplicates · 1 groups"), "{screen}");
    assert!(screen.contains(&format!("#{twin} Zoe Angstrom")), "{screen}");
    // Keep the first (the original); one m only asks.
    press(&mut app, KeyCode::Char('m'));
    let screen = text(&draw(&mut app, 100, 30));
    assert!(screen.contains(&format!("into #{zoe} Zoë Ångström?")), "{screen}");
    assert_eq!(app.repo.customer(twin).unwrap().status, rapport::domain::model::CustomerStatus::Active);
    // Any other key cancels; m m merges.
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Char('m'));
    press(&mut app, KeyCode::Char('m'));
    let screen = text(&draw(&mut app, 100, 30));
    assert!(screen.contains(&format!("Merged #{twin} → #{zoe}")), "{screen}");
    assert!(screen.contains("No customers share a phone or an email."), "{screen}");
    assert_eq!(app.repo.customer(twin).unwrap().status, rapport::domain::model::CustomerStatus::Archived);
    let calls = app.repo.recent_interactions(zoe, 50).unwrap();
    assert!(calls.iter().any(|i| i.summary == "Called from the second record"), "the call moved: {calls:?}");
    // Esc: back to the list.
    press(&mut app, KeyCode::Esc);
    assert!(text(&draw(&mut app, 100, 30)).contains("matches"));
}

/// A write re-reads only the pane in view; a pane that was hidden while the
/// base changed re-reads when it is shown again, so it never shows what the
/// base no longer holds. Both a change by another agent and one made here.
#[test]
fn a_pane_hidden_while_the_base_changed_shows_the_change_when_shown_again() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = common::app(&dir, false, false);
    press(&mut app, KeyCode::Char('3'));
    let board = text(&draw(&mut app, 160, 48));
    assert!(!board.contains("Hidden-pane deal"), "{board}");
    press(&mut app, KeyCode::Char('1'));
    let list = text(&draw(&mut app, 160, 48));
    let first = list.lines().find(|l| l.contains("Zoë Ångström")).map(str::to_string);
    assert!(first.is_some(), "{list}");

    // Another agent adds the biggest deal of the board while it is hidden.
    let mut other = rapport::repo::Repo::open(app.repo.path(), "bob").unwrap();
    let customer = app.repo.search_customers("Zoë", 0, 1).unwrap()[0].id;
    other
        .create_deal(&rapport::domain::model::NewDeal {
            customer_id: customer,
            title: "Hidden-pane deal".into(),
            amount: rapport::domain::money::Money(999_999_900),
            stage: "Lead".into(),
            probability_pct: None,
            expected_close: None,
            competitors: None,
            owner: Some("bob".into()),
            next_step: None,
            created_at: common::now(),
        })
        .unwrap();
    assert!(app.poll_changes());
    press(&mut app, KeyCode::Char('3'));
    let board = text(&draw(&mut app, 160, 48));
    assert!(board.contains("Hidden-pane deal"), "{board}");

    // Here: archive Zoë from her card while the list is hidden behind it.
    press(&mut app, KeyCode::Char('1'));
    app.open_customer(customer);
    assert_eq!(app.view, View::Card);
    press(&mut app, KeyCode::Char('a'));
    assert_eq!(app.repo.customer(customer).unwrap().status, rapport::domain::model::CustomerStatus::Archived);
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.view, View::Customers);
    let list = text(&draw(&mut app, 160, 48));
    assert!(!list.contains("Zoë Ångström"), "{list}");
}

/// Money that another process adds (an import, another agent's sale) brings
/// the pyramid up to date in the background, without a restart.
#[test]
fn transactions_added_elsewhere_recompute_the_pyramid_in_the_background() {
    use rapport::domain::model::{NewTransaction, Tier, TxKind};
    let dir = tempfile::tempdir().unwrap();
    let mut app = common::app(&dir, false, false);
    app.wait_recompute();
    let low = app
        .repo
        .search_customers("", 0, 500)
        .unwrap()
        .into_iter()
        .find(|c| c.tier == Tier::Low && c.tier_pin.is_none())
        .expect("a Low customer");
    let mut other = rapport::repo::Repo::open(app.repo.path(), "importer").unwrap();
    // A sale bigger than everyone else's together.
    other
        .create_transaction(&NewTransaction {
            customer_id: low.id,
            external_id: None,
            kind: TxKind::Sale,
            amount: rapport::domain::money::Money(10_000_000_000),
            occurred_at: common::days_ago(1),
            reference: Some("BIG-1".into()),
        })
        .unwrap();
    assert!(app.poll_changes());
    app.wait_recompute();
    assert_eq!(app.repo.customer(low.id).unwrap().tier, Tier::Top);
    press(&mut app, KeyCode::Char('2'));
    let screen = text(&draw(&mut app, 160, 48));
    assert!(screen.contains("Top"), "{screen}");
}

/// End on a long timeline reads the story's last page, not every page
/// before it; scrolling up from there reads newer pages in, seamlessly, and
/// Home goes back to the newest.
#[test]
fn the_end_of_a_long_timeline_then_scrolling_up_shows_every_entry_in_order() {
    use chrono::Duration;
    use rapport::domain::model::{Channel, CustomerKind, Direction, NewCustomer, NewInteraction, Outcome};
    let dir = tempfile::tempdir().unwrap();
    let mut app = common::app(&dir, false, false);
    let t0 = common::days_ago(800);
    let id = app
        .repo
        .batch(|b| {
            let id = b.customer(&NewCustomer::named(CustomerKind::Enterprise, "Long Story AG"))?;
            for i in 0..3_000 {
                b.interaction(&NewInteraction {
                    customer_id: id,
                    channel: Channel::Call,
                    direction: Direction::Inbound,
                    summary: format!("call {i:04}"),
                    outcome: Outcome::Resolved,
                    occurred_at: t0 + Duration::minutes(i),
                    duration_secs: None,
                })?;
            }
            Ok(id)
        })
        .unwrap();
    app.open_customer(id);
    press(&mut app, KeyCode::Right);
    let screen = text(&draw(&mut app, 80, 24));
    assert!(screen.contains("call 2999"), "{screen}");
    press(&mut app, KeyCode::End);
    let screen = text(&draw(&mut app, 80, 24));
    let calls = |s: &str| -> Vec<String> {
        s.lines()
            .filter(|l| l.contains("· resolved"))
            .filter_map(|l| l.split("call ").last())
            .map(|r| r.chars().take(4).collect())
            .collect()
    };
    let shown = calls(&screen);
    assert_eq!(shown.last().map(String::as_str), Some("0000"), "{screen}");
    // Up through several pages: always consecutive calls, newest on top.
    for _ in 0..12 {
        press(&mut app, KeyCode::PageUp);
        let shown: Vec<u32> = calls(&text(&draw(&mut app, 80, 24))).iter().map(|c| c.parse().unwrap()).collect();
        assert!(!shown.is_empty() && shown.windows(2).all(|w| w[0] == w[1] + 1), "{shown:?}");
    }
    press(&mut app, KeyCode::Home);
    assert!(text(&draw(&mut app, 80, 24)).contains("call 2999"));
}

/// The next caller: `/` on an earlier query and a typed character start a
/// new search (the old query is shown selected until then); a Backspace
/// first edits the old query instead.
#[test]
fn a_new_search_replaces_the_last_callers_query_and_backspace_refines_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = common::app(&dir, false, false);
    press(&mut app, KeyCode::Char('/'));
    type_text(&mut app, "zoë");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.view, View::Card);
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.customers.query, "zoë");
    // The next call.
    press(&mut app, KeyCode::Char('/'));
    let buf = draw(&mut app, 80, 24);
    let row = (0..buf.area.width).find(|x| buf[(*x, 2)].symbol() == "z").expect("the query on screen");
    assert!(buf[(row, 2)].modifier.contains(ratatui::style::Modifier::REVERSED), "the old query is shown selected");
    type_text(&mut app, "山田");
    assert_eq!(app.customers.query, "山田");
    let screen = text(&draw(&mut app, 80, 24));
    assert!(screen.contains("山田") && !screen.contains("Zoë"), "{screen}");
    press(&mut app, KeyCode::Esc);
    // Refining instead: Backspace edits the old query.
    press(&mut app, KeyCode::Char('/'));
    press(&mut app, KeyCode::Backspace);
    type_text(&mut app, "中");
    assert_eq!(app.customers.query, "山中");
}
