//! The customer's card with a long story: one customer with 100,000
//! timeline entries (interactions, transactions, reminders, promises, deal
//! moves). Measured at 80×24 into ratatui's `TestBackend`:
//! - opening the card from the search list (Enter) to its first frame,
//! - switching to the timeline tab to its first frame,
//! - a keystroke in the timeline (line down/up, page down/up) to the next frame,
//! - End (the story's oldest page) and Home.
//!
//! Budgets (PRODUCT.md §7): first frame ≤ 150 ms, keystroke → frame p99 ≤ 16 ms.
//! Size: `RAPPORT_BENCH_TIMELINE` entries (default 100,000).
//!
//! Run: `cargo bench --bench card`

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use rapport::app::App;
use rapport::config::Config;
use rapport::domain::model::{
    Channel, CustomerKind, Direction, NewCustomer, NewInteraction, NewPromise, NewReminder, NewTransaction, Outcome,
    ReminderKind, TxKind,
};
use rapport::domain::money::Money;
use rapport::keymap::Keymap;
use rapport::repo::Repo;
use rapport::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const NAME: &str = "Long Story Handelsgesellschaft";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap()
}

fn entries() -> usize {
    std::env::var("RAPPORT_BENCH_TIMELINE").ok().and_then(|s| s.parse().ok()).unwrap_or(100_000)
}

/// A base with the long-story customer and a few hundred others.
fn build_base() -> (tempfile::TempDir, PathBuf) {
    // SAFETY: set once, before any other thread of this binary reads it.
    unsafe { std::env::set_var("TZ", "UTC") };
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("card.db");
    let mut repo = Repo::open(&path, "bench").expect("open base");
    let n = entries();
    let started = Instant::now();
    repo.batch(|b| {
        for i in 0..300 {
            b.customer(&NewCustomer::named(CustomerKind::Individual, &format!("Other Customer {i:03}")))?;
        }
        let id = b.customer(&NewCustomer::named(CustomerKind::Enterprise, NAME))?;
        // Spread over ten years, newest at `now`.
        let at = |i: usize| now() - chrono::Duration::minutes((i * 52) as i64);
        for i in 0..n {
            match i % 10 {
                0..=4 => {
                    b.interaction(&NewInteraction {
                        customer_id: id,
                        channel: if i % 2 == 0 { Channel::Call } else { Channel::Email },
                        direction: Direction::Inbound,
                        summary: format!("Question about order {i}"),
                        outcome: Outcome::Resolved,
                        occurred_at: at(i),
                        duration_secs: Some(120),
                    })?;
                }
                5..=8 => {
                    b.transaction(&NewTransaction {
                        customer_id: id,
                        external_id: None,
                        kind: if i % 10 == 8 { TxKind::Payment } else { TxKind::Sale },
                        amount: Money(10_000 + i as i64),
                        occurred_at: at(i),
                        reference: Some(format!("INV-{i:06}")),
                    })?;
                }
                _ if i % 20 == 9 => {
                    b.reminder(&NewReminder {
                        customer_id: id,
                        kind: ReminderKind::FollowUp,
                        due_at: at(i),
                        note: format!("Follow up {i}"),
                        owner: Some("bench".into()),
                        recurrence: None,
                        origin: None,
                    })?;
                }
                _ => {
                    b.promise(&NewPromise {
                        customer_id: id,
                        interaction_id: None,
                        text: format!("Promise {i}"),
                        due_at: at(i),
                    })?;
                }
            }
        }
        Ok(())
    })
    .expect("long story");
    eprintln!("base: 1 customer with {n} timeline entries, built in {:.1?}", started.elapsed());
    if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
        eprintln!("load average: {}", load.trim());
    }
    (dir, path)
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

struct Rig {
    app: App,
    term: Terminal<TestBackend>,
}

impl Rig {
    /// The app on the customer list, the search already narrowed to the
    /// long-story customer.
    fn on_list(path: &Path) -> Rig {
        let mut config = Config::default();
        config.ui.language = Some("en".into());
        let keymap = Keymap::builtin("default").expect("default keymap");
        let repo = Repo::open(path, "bench").expect("open base");
        let mut app = App::new(repo, config, keymap, "default", Theme::new(false, false));
        app.fixed_now = Some(now());
        let mut rig = Rig { app, term: Terminal::new(TestBackend::new(80, 24)).expect("terminal") };
        rig.press(KeyCode::Char('/'));
        for c in "long story".chars() {
            rig.press(KeyCode::Char(c));
        }
        rig
    }

    fn press(&mut self, code: KeyCode) -> Duration {
        let t = Instant::now();
        self.app.on_key(key(code));
        let app = &mut self.app;
        self.term.draw(|f| app.render(f)).expect("draw");
        t.elapsed()
    }
}

fn card(c: &mut Criterion) {
    let (_dir, path) = build_base();

    // Enter on the list: the card opens (overview) and is drawn.
    let mut rig = Rig::on_list(&path);
    common::bench_step(c, "card/open_100k_story", 500, || {
        let d = rig.press(KeyCode::Enter);
        rig.press(KeyCode::Esc);
        d
    });

    // → : the timeline tab's first page, drawn.
    let mut rig = Rig::on_list(&path);
    rig.press(KeyCode::Enter);
    common::bench_step(c, "card/timeline_tab_first_frame", 500, || {
        let d = rig.press(KeyCode::Right);
        rig.press(KeyCode::Left);
        d
    });

    // Keystrokes in the timeline: a line and a page down, then back up.
    let mut rig = Rig::on_list(&path);
    rig.press(KeyCode::Enter);
    rig.press(KeyCode::Right);
    let keys = [KeyCode::Down, KeyCode::PageDown, KeyCode::Up, KeyCode::PageUp];
    let mut i = 0;
    common::bench_step(c, "card/timeline_keystroke", 3_000, || {
        // Walk deeper and deeper: two pages down for each one up, so new
        // pages are read from the base as the probe goes.
        let k = match i % 6 {
            0..=2 => keys[1],
            3 => keys[0],
            4 => keys[2],
            _ => keys[3],
        };
        i += 1;
        rig.press(k)
    });

    // End reads the story's oldest page; Home goes back to the top.
    let mut rig = Rig::on_list(&path);
    rig.press(KeyCode::Enter);
    rig.press(KeyCode::Right);
    let d = rig.press(KeyCode::End);
    eprintln!("probe card/timeline_end (the oldest page): {d:.3?}");
    common::bench_step(c, "card/timeline_home_end_after_read", 500, || {
        rig.press(KeyCode::Home) + rig.press(KeyCode::End)
    });
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! { name = benches; config = config(); targets = card }
criterion_main!(benches);
