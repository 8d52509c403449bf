//! The pipeline board on a base of 200,000 deals: opening the pane to its
//! first full frame, a keystroke moving the selection to the next frame, and
//! moving a deal a stage on (the write and the redraw).
//!
//! The base is built once per run into a temporary directory through the
//! repository API, in one transaction: `RAPPORT_BENCH_DEALS` deals (200,000
//! by default) over 5,000 customers, a fifth of them closed (won or lost),
//! the open ones spread over the four default stages. Frames are drawn into
//! ratatui's `TestBackend` (no terminal I/O), at 80×24 and 160×48.
//!
//! Each case is also timed call by call outside criterion and its p50 / p99
//! / max printed to stderr as `probe ...` lines (the keystroke budget is a
//! p99).
//!
//! Run: `cargo bench --bench pipeline` (or with `-- --quick`).

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use rapport::app::{Action, App};
use rapport::config::Config;
use rapport::domain::model::{CustomerKind, DealStatus, NewCustomer, NewDeal};
use rapport::domain::money::Money;
use rapport::keymap::Keymap;
use rapport::panes::pipeline::PipelinePane;
use rapport::panes::{Env, Ui};
use rapport::repo::Repo;
use rapport::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];
const CUSTOMERS: usize = 5_000;

/// Deals in the base: `RAPPORT_BENCH_DEALS`, default 200,000.
fn deal_count() -> usize {
    std::env::var("RAPPORT_BENCH_DEALS").ok().and_then(|s| s.parse().ok()).unwrap_or(200_000)
}

/// The fixed clock, as in the other benches and the UI tests.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap()
}

/// A small deterministic generator (64-bit LCG), so every run builds the
/// same base.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn build_base() -> (tempfile::TempDir, PathBuf) {
    // SAFETY: set once, before any other thread of this binary reads it.
    unsafe { std::env::set_var("TZ", "UTC") };
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("pipeline.db");
    let mut repo = Repo::open(&path, "bench").expect("open base");
    let started = Instant::now();
    let n = deal_count();
    let stages = ["Lead", "Qualified", "Proposal", "Negotiation"];
    let agents: Vec<String> = (0..20).map(|i| format!("agent{i:02}")).collect();
    let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    let (mut open, mut won, mut lost) = (0usize, 0usize, 0usize);
    repo.batch(|b| {
        let mut rng = Lcg(42);
        let mut customers = Vec::with_capacity(CUSTOMERS);
        for i in 0..CUSTOMERS {
            let mut c = NewCustomer::named(CustomerKind::Enterprise, &format!("Customer {i:05} GmbH"));
            c.owner = Some(agents[i % agents.len()].clone());
            customers.push(b.customer(&c)?);
        }
        for i in 0..n {
            let age_days = rng.below(730) as i64;
            let created = now() - chrono::Duration::days(age_days) - chrono::Duration::minutes(rng.below(1440) as i64);
            let stage = stages[rng.below(4) as usize];
            let close = (rng.below(10) != 0).then(|| today + chrono::Duration::days(rng.below(360) as i64 - 120));
            let id = b.deal(&NewDeal {
                customer_id: customers[rng.below(CUSTOMERS as u64) as usize],
                title: format!("Deal {i:06}"),
                amount: Money(10_000 + rng.below(5_000_000) as i64),
                stage: stage.into(),
                probability_pct: (rng.below(20) == 0).then(|| rng.below(101) as u8),
                expected_close: close,
                competitors: None,
                owner: Some(agents[rng.below(agents.len() as u64) as usize].clone()),
                next_step: None,
                created_at: created,
            })?;
            // A fifth closed, some time after creation (never after now).
            if i % 5 == 0 {
                let at = (created + chrono::Duration::days(rng.below(60) as i64)).min(now());
                let (to, status, reason) = if i % 10 == 0 {
                    won += 1;
                    ("Won", DealStatus::Won, "Best offer")
                } else {
                    lost += 1;
                    ("Lost", DealStatus::Lost, "Price")
                };
                b.move_deal(id, 1, to, status, Some(reason), at)?;
            } else {
                open += 1;
            }
        }
        Ok(())
    })
    .expect("build the base");
    eprintln!(
        "base: {CUSTOMERS} customers, {n} deals ({open} open, {won} won, {lost} lost), built in {:.1?} at {}",
        started.elapsed(),
        path.display()
    );
    if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
        eprintln!("load average: {}", load.trim());
    }
    (dir, path)
}

fn config() -> Config {
    let mut config = Config::default();
    config.ui.language = Some("en".into());
    config
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

/// Runs `step` (which returns the duration of its timed part) call by call
/// and prints p50, p99 and max.
fn probe(label: &str, max_calls: usize, step: &mut dyn FnMut() -> Duration) {
    let mut times = Vec::new();
    let started = Instant::now();
    while times.len() < max_calls && (times.len() < 50 || started.elapsed() < Duration::from_millis(1_500)) {
        times.push(step());
    }
    times.sort();
    let pct = |p: usize| times[(times.len() * p / 100).min(times.len() - 1)];
    eprintln!(
        "probe {label}: n={} p50={:.3?} p99={:.3?} max={:.3?}",
        times.len(),
        pct(50),
        pct(99),
        times[times.len() - 1]
    );
}

/// Probes `step`, then benchmarks it with criterion.
fn bench_step(c: &mut Criterion, name: &str, max_calls: usize, mut step: impl FnMut() -> Duration) {
    probe(name, max_calls, &mut step);
    c.bench_function(name, |b| b.iter_custom(|iters| (0..iters).map(|_| step()).sum()));
}

// ---------------------------------------------------------------------------
// The pane alone: what opening the board costs, without the other panes.

struct PaneRig {
    repo: Repo,
    config: Config,
    keymap: Keymap,
    theme: Theme,
}

impl PaneRig {
    fn new(path: &Path) -> PaneRig {
        PaneRig {
            repo: Repo::open(path, "bench").expect("open base"),
            config: config(),
            keymap: Keymap::builtin("default").expect("default keymap"),
            theme: Theme::new(false, false),
        }
    }

    /// A fresh board, loaded and drawn once at `w`×`h`.
    fn open_and_draw(&mut self, w: u16, h: u16) -> (PipelinePane, Terminal<TestBackend>) {
        let mut pane = PipelinePane::default();
        let mut env = Env { repo: &mut self.repo, config: &self.config, now: now() };
        pane.reload(&mut env);
        let mut term = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
        self.draw(&mut pane, &mut term);
        (pane, term)
    }

    fn draw(&self, pane: &mut PipelinePane, term: &mut Terminal<TestBackend>) {
        let ui = Ui { theme: &self.theme, lang: self.config.language(), keymap: &self.keymap, now: now() };
        term.draw(|f| pane.render(f, f.area(), &ui)).expect("draw");
    }

    fn act(&mut self, pane: &mut PipelinePane, term: &mut Terminal<TestBackend>, action: Action) {
        let mut env = Env { repo: &mut self.repo, config: &self.config, now: now() };
        black_box(pane.handle(action, &mut env));
        self.draw(pane, term);
    }
}

// ---------------------------------------------------------------------------
// The whole app, as the user meets it.

fn open_app(path: &Path) -> App {
    let repo = Repo::open(path, "bench").expect("open base");
    let keymap = Keymap::builtin("default").expect("default keymap");
    let mut app = App::new(repo, config(), keymap, "default", Theme::new(false, false));
    app.fixed_now = Some(now());
    app
}

struct AppRig {
    app: App,
    term: Terminal<TestBackend>,
}

impl AppRig {
    fn new(path: &Path, w: u16, h: u16, keys: &[KeyCode]) -> AppRig {
        let app = open_app(path);
        let term = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
        let mut rig = AppRig { app, term };
        rig.draw();
        for k in keys {
            rig.press(*k);
        }
        rig
    }

    fn draw(&mut self) {
        let app = &mut self.app;
        self.term.draw(|f| app.render(f)).expect("draw");
    }

    fn press(&mut self, code: KeyCode) {
        self.app.on_key(key(code));
        self.draw();
    }

    fn timed(&mut self, code: KeyCode) -> Duration {
        let t = Instant::now();
        self.press(code);
        t.elapsed()
    }
}

/// Alternates `span` presses of one key with `span` presses of its opposite.
struct Bounce {
    span: usize,
    i: usize,
    forward: KeyCode,
    back: KeyCode,
}

impl Bounce {
    fn new(span: usize, forward: KeyCode, back: KeyCode) -> Bounce {
        Bounce { span, i: 0, forward, back }
    }

    fn next(&mut self) -> KeyCode {
        let k = if self.i % (2 * self.span) < self.span { self.forward } else { self.back };
        self.i += 1;
        k
    }
}

// ---------------------------------------------------------------------------
// (a) opening the board to its first full frame

fn first_frame(c: &mut Criterion, path: &Path) {
    for (w, h) in SIZES {
        let mut rig = PaneRig::new(path);
        let name = format!("first_frame/pane_reload+draw_{w}x{h}");
        bench_step(c, &name, 200, || {
            let t = Instant::now();
            let opened = rig.open_and_draw(w, h);
            let d = t.elapsed();
            drop(black_box(opened));
            d
        });
    }
    for (w, h) in SIZES {
        // Open the base, build the app (every pane loads), switch to the
        // pipeline ('3') and draw: what a user starting on the board waits.
        let name = format!("first_frame/open+app_new+pipeline_{w}x{h}");
        bench_step(c, &name, 100, || {
            let t = Instant::now();
            let mut app = open_app(path);
            app.on_key(key(KeyCode::Char('3')));
            let mut term = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
            term.draw(|f| app.render(f)).expect("draw");
            let d = t.elapsed();
            drop(black_box((app, term)));
            d
        });
    }
    // What each pane's reload costs (App::new runs the visible one's; a
    // write re-reads the pane in view and marks the others stale, re-read
    // when they are next shown).
    let mut app = open_app(path);
    let panes = ["customers", "pyramid", "pipeline", "care", "team", "card"];
    for name in panes {
        probe(&format!("reload/{name}"), 100, &mut || {
            let mut env = Env { repo: &mut app.repo, config: &app.config, now: now() };
            let t = Instant::now();
            match name {
                "customers" => app.customers.reload(&mut env),
                "pyramid" => app.pyramid.reload(&mut env),
                "pipeline" => app.pipeline.reload(&mut env),
                "care" => app.care.reload(&mut env),
                "team" => app.team.reload(&mut env),
                _ => app.card.reload(&mut env),
            }
            t.elapsed()
        });
    }
    // The board's queries on their own, for the record.
    let rig = PaneRig::new(path);
    let filter = rapport::repo::deals::BoardFilter::default();
    probe("query/open_deal_groups (column headers)", 200, &mut || {
        let t = Instant::now();
        black_box(rig.repo.open_deal_groups_where(&filter).expect("groups"));
        t.elapsed()
    });
    probe("query/board_column Lead, first 10", 500, &mut || {
        let t = Instant::now();
        black_box(rig.repo.board_column("Lead", &filter, 0, 10).expect("column"));
        t.elapsed()
    });
    probe("query/closed_deal_counts", 200, &mut || {
        let t = Instant::now();
        black_box(rig.repo.closed_deal_counts().expect("counts"));
        t.elapsed()
    });
    let mine = rapport::repo::deals::BoardFilter { owner: Some("agent07".into()), ..Default::default() };
    probe("query/open_deal_groups, only mine (1 agent of 20)", 200, &mut || {
        let t = Instant::now();
        black_box(rig.repo.open_deal_groups_where(&mine).expect("groups"));
        t.elapsed()
    });
    let count =
        rig.repo.open_deal_groups().expect("groups").iter().filter(|g| g.stage == "Lead").map(|g| g.count).sum::<u64>();
    probe("query/board_column Lead, 12 cards at the middle", 200, &mut || {
        let t = Instant::now();
        black_box(rig.repo.board_column("Lead", &filter, count as usize / 2, 12).expect("column"));
        t.elapsed()
    });
    let last = rig.repo.board_column_from_end("Lead", &filter, 0, 1).expect("column");
    probe("query/board_rank of the Lead column's last card", 200, &mut || {
        let t = Instant::now();
        black_box(rig.repo.board_rank(&last[0], &filter).expect("rank"));
        t.elapsed()
    });
}

// ---------------------------------------------------------------------------
// (b) keystroke to next frame

fn keystrokes(c: &mut Criterion, path: &Path) {
    for (w, h) in SIZES {
        // Down a column and back (300 each way, so the cards in view are
        // re-read from the base as the selection leaves them).
        let mut rig = AppRig::new(path, w, h, &[KeyCode::Char('3')]);
        let mut b = Bounce::new(300, KeyCode::Down, KeyCode::Up);
        bench_step(c, &format!("keystroke/next_card_down_up_{w}x{h}"), 3_000, || rig.timed(b.next()));
        // Across the columns and back.
        let mut b = Bounce::new(3, KeyCode::Right, KeyCode::Left);
        bench_step(c, &format!("keystroke/next_column_right_left_{w}x{h}"), 3_000, || rig.timed(b.next()));
    }
    // Page down a column and back, and the jumps to its last and first card.
    let mut rig = AppRig::new(path, 80, 24, &[KeyCode::Char('3')]);
    let mut b = Bounce::new(100, KeyCode::PageDown, KeyCode::PageUp);
    bench_step(c, "keystroke/page_down_up_80x24", 3_000, || rig.timed(b.next()));
    let mut b = Bounce::new(1, KeyCode::End, KeyCode::Home);
    bench_step(c, "keystroke/end_home_80x24", 3_000, || rig.timed(b.next()));
}

// ---------------------------------------------------------------------------
// (c) moving a deal a stage on: the write and the redraw

fn moves(c: &mut Criterion, path: &Path) {
    // The pane alone: the write, the board re-read, the frame.
    let mut rig = PaneRig::new(path);
    let (mut pane, mut term) = rig.open_and_draw(80, 24);
    let mut b = Bounce::new(1, KeyCode::Char('>'), KeyCode::Char('<'));
    bench_step(c, "move/pane_stage_on_back_80x24", 300, || {
        let action = if b.next() == KeyCode::Char('>') { Action::StageNext } else { Action::StagePrev };
        let t = Instant::now();
        rig.act(&mut pane, &mut term, action);
        t.elapsed()
    });
    // Through the app: the board re-reads itself after the write; the other
    // panes are only marked stale.
    let mut rig = AppRig::new(path, 80, 24, &[KeyCode::Char('3')]);
    let mut b = Bounce::new(1, KeyCode::Char('>'), KeyCode::Char('<'));
    bench_step(c, "move/app_stage_on_back_80x24", 300, || rig.timed(b.next()));
    let moved = rig.app.status.as_ref().map(|s| s.text.clone()).unwrap_or_default();
    eprintln!("last status after the moves: {moved:?}");
}

fn pipeline(c: &mut Criterion) {
    let (_dir, path) = build_base();
    first_frame(c, &path);
    keystrokes(c, &path);
    moves(c, &path);
}

fn criterion_config() -> Criterion {
    Criterion::default().sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = criterion_config();
    targets = pipeline
}
criterion_main!(benches);
