//! The terminal UI: start to first frame, keystroke to next frame in every
//! pane, each pane's first open, typing in the search box, and the bytes one cursor move sends to
//! the terminal.
//!
//! Frames are drawn at 80×24 into ratatui's `TestBackend` (no terminal I/O);
//! the byte counts use rapport's `LeanBackend` writing into a `Vec<u8>`, the same
//! escape sequences the real terminal gets.
//!
//! The base is generated once per run into a temporary directory
//! (`RAPPORT_BENCH_CUSTOMERS` customers, 20,000 by default) with the demo
//! generator, then the pyramid is recomputed; or `RAPPORT_BENCH_UI_DB=PATH`
//! names an existing base (the 1,000,000-customer one of `rapport demo
//! --scale 1m`): its search index is caught up first, then it is only
//! read. See BENCHMARKS.md.
//!
//! Each case is also timed keystroke by keystroke outside criterion and its
//! p50 / p99 / max printed to stderr as `probe ...` lines (the budget is a
//! p99); byte counts are printed as `bytes ...` lines, and with
//! `RAPPORT_BENCH_DUMP=1` the bytes themselves (escapes made visible).
//!
//! Run: `cargo bench --bench ui`

mod common;

use std::cell::RefCell;
use std::hint::black_box;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use crossterm::queue;
use crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
use rapport::app::App;
use rapport::config::Config;
use rapport::keymap::Keymap;
use rapport::repo::Repo;
use rapport::theme::Theme;
use rapport::tui::lean_backend::LeanBackend;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};

const W: u16 = 80;
const H: u16 = 24;

/// The day the demo base is generated around, and the fixed clock.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap()
}

/// The shared base: a new demo base, or the existing one that
/// `RAPPORT_BENCH_UI_DB` names (e.g. made by `rapport demo --scale 1m`),
/// its search index caught up first. Dates are shown in local
/// time, so the zone is pinned as the UI tests do.
fn build_base() -> (Option<tempfile::TempDir>, PathBuf) {
    // SAFETY: set once, before any other thread of this binary reads it.
    unsafe { std::env::set_var("TZ", "UTC") };
    let Some(p) = std::env::var_os("RAPPORT_BENCH_UI_DB") else {
        let (dir, path) = common::build_base();
        return (Some(dir), path);
    };
    let path = PathBuf::from(p);
    let mut repo = Repo::open(&path, "bench").expect("open base");
    let t = Instant::now();
    repo.catch_up_search_index().expect("search index");
    eprintln!(
        "base: reusing {} ({} customers), search index caught up in {:.2?}; load average: {}",
        path.display(),
        repo.customer_count().expect("count"),
        t.elapsed(),
        std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim()
    );
    (None, path)
}

fn config() -> Config {
    let mut config = Config::default();
    config.ui.language = Some("en".into());
    config
}

/// `App::new` on an open base: this loads every pane.
fn new_app(repo: Repo) -> App {
    let keymap = Keymap::builtin("default").expect("default keymap");
    let mut app = App::new(repo, config(), keymap, "default", Theme::new(false, false));
    app.fixed_now = Some(now());
    app
}

fn open_app(path: &Path) -> App {
    new_app(Repo::open(path, "bench").expect("open base"))
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

/// An app with its own terminal, one frame already drawn.
struct Rig {
    app: App,
    term: Terminal<TestBackend>,
}

impl Rig {
    fn new(path: &Path) -> Rig {
        let app = open_app(path);
        let term = Terminal::new(TestBackend::new(W, H)).expect("test terminal");
        let mut rig = Rig { app, term };
        rig.draw();
        rig
    }

    fn draw(&mut self) {
        let app = &mut self.app;
        self.term.draw(|f| app.render(f)).expect("draw");
    }

    /// A key press and the frame that follows it.
    fn press(&mut self, code: KeyCode) {
        self.app.on_key(key(code));
        self.draw();
    }

    /// Presses without timing.
    fn setup(&mut self, keys: &[KeyCode]) {
        for k in keys {
            self.press(*k);
        }
    }

    /// Times one key press and the frame after it.
    fn timed(&mut self, code: KeyCode) -> Duration {
        let t = Instant::now();
        self.press(code);
        t.elapsed()
    }
}

/// Alternates `span` presses of one key with `span` presses of its
/// opposite, so a list move never stops at the end of the list.
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

/// Runs `step` (which returns the duration of its timed part) call by call
/// and prints p50, p99 and max.
fn probe(label: &str, step: &mut dyn FnMut() -> Duration) {
    let mut times = Vec::new();
    let started = Instant::now();
    while times.len() < 3_000 && (times.len() < 50 || started.elapsed() < Duration::from_millis(1_500)) {
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
fn bench_step(c: &mut Criterion, name: &str, mut step: impl FnMut() -> Duration) {
    probe(name, &mut step);
    c.bench_function(name, |b| b.iter_custom(|iters| (0..iters).map(|_| step()).sum()));
}

// ---------------------------------------------------------------------------
// (a) start to first frame
// ---------------------------------------------------------------------------

fn first_frame(c: &mut Criterion, path: &Path) {
    let mut step_open = || {
        let t = Instant::now();
        let mut app = open_app(path);
        let mut term = Terminal::new(TestBackend::new(W, H)).expect("test terminal");
        term.draw(|f| app.render(f)).expect("draw");
        let d = t.elapsed();
        drop(black_box((app, term)));
        d
    };
    probe("first_frame/open+app_new+draw_80x24", &mut step_open);
    c.bench_function("first_frame/open+app_new+draw_80x24", |b| {
        b.iter_batched(
            || (),
            |()| {
                let mut app = open_app(path);
                let mut term = Terminal::new(TestBackend::new(W, H)).expect("test terminal");
                term.draw(|f| app.render(f)).expect("draw");
                (app, term)
            },
            BatchSize::PerIteration,
        )
    });
    c.bench_function("first_frame/app_new+draw_80x24", |b| {
        b.iter_batched(
            || Repo::open(path, "bench").expect("open base"),
            |repo| {
                let mut app = new_app(repo);
                let mut term = Terminal::new(TestBackend::new(W, H)).expect("test terminal");
                term.draw(|f| app.render(f)).expect("draw");
                (app, term)
            },
            BatchSize::PerIteration,
        )
    });
}

// ---------------------------------------------------------------------------
// (b) keystroke to next frame
// ---------------------------------------------------------------------------

fn keystrokes(c: &mut Criterion, path: &Path) {
    // The customer list: 300 down, 300 up, so the 200-row window around the
    // selection is re-read from time to time, as when scrolling for real.
    let mut rig = Rig::new(path);
    let mut b = Bounce::new(300, KeyCode::Down, KeyCode::Up);
    bench_step(c, "keystroke/customers_down_up", || rig.timed(b.next()));

    // The pyramid's four bands.
    let mut rig = Rig::new(path);
    rig.setup(&[KeyCode::Char('2')]);
    let mut b = Bounce::new(3, KeyCode::Down, KeyCode::Up);
    bench_step(c, "keystroke/pyramid_bands_down_up", || rig.timed(b.next()));

    // The biggest band, opened: its customer list.
    let mut rig = Rig::new(path);
    let bands = rig.app.repo.tier_bands().expect("bands");
    let biggest = (0..4).max_by_key(|&i| bands[i].count).unwrap_or(0);
    eprintln!("pyramid bands (count): {:?}, opening band {biggest}", bands.iter().map(|b| b.count).collect::<Vec<_>>());
    rig.setup(&[KeyCode::Char('2')]);
    for _ in 0..biggest {
        rig.setup(&[KeyCode::Down]);
    }
    rig.setup(&[KeyCode::Enter]);
    let mut b = Bounce::new(300, KeyCode::Down, KeyCode::Up);
    bench_step(c, "keystroke/pyramid_band_list_down_up", || rig.timed(b.next()));

    // The pipeline: down a stage's column, and across stages.
    let mut rig = Rig::new(path);
    rig.setup(&[KeyCode::Char('3'), KeyCode::Right]);
    let mut b = Bounce::new(30, KeyCode::Down, KeyCode::Up);
    bench_step(c, "keystroke/pipeline_down_up", || rig.timed(b.next()));
    let mut b = Bounce::new(3, KeyCode::Right, KeyCode::Left);
    bench_step(c, "keystroke/pipeline_right_left", || rig.timed(b.next()));

    // Care: today's follow-ups.
    let mut rig = Rig::new(path);
    rig.setup(&[KeyCode::Char('4')]);
    let mut b = Bounce::new(100, KeyCode::Down, KeyCode::Up);
    bench_step(c, "keystroke/care_down_up", || rig.timed(b.next()));

    // A card: Enter on the customer list (a different customer each time),
    // then Esc back to the list; each timed on its own.
    let mut rig = Rig::new(path);
    let mut b = Bounce::new(300, KeyCode::Down, KeyCode::Up);
    bench_step(c, "keystroke/card_open_enter", || {
        let d = rig.timed(KeyCode::Enter);
        rig.setup(&[KeyCode::Esc, b.next()]);
        d
    });
    let mut rig = Rig::new(path);
    let mut b = Bounce::new(300, KeyCode::Down, KeyCode::Up);
    bench_step(c, "keystroke/card_close_esc", || {
        rig.setup(&[KeyCode::Enter]);
        let d = rig.timed(KeyCode::Esc);
        rig.setup(&[b.next()]);
        d
    });

    // A pane switch.
    let mut rig = Rig::new(path);
    let mut b = Bounce::new(1, KeyCode::Char('2'), KeyCode::Char('1'));
    bench_step(c, "keystroke/pane_switch_1_2", || rig.timed(b.next()));

    // Each pane opened for the first time: a new app (opened on the
    // customer list, one frame drawn; not timed), then the pane's key and
    // its first full frame. The base's pages are in the system's cache,
    // not yet in this connection's.
    for (name, k) in [("pyramid", '2'), ("pipeline", '3'), ("care", '4'), ("team", '5')] {
        bench_step(c, &format!("pane_first_open/{name}"), || Rig::new(path).timed(KeyCode::Char(k)));
    }
}

// ---------------------------------------------------------------------------
// (c) typing in the search box
// ---------------------------------------------------------------------------

fn typing(c: &mut Criterion, path: &Path) {
    // (name, already typed, the character timed)
    let cases: &[(&str, &str, char)] = &[
        ("search_type/first_char_m", "", 'm'),
        ("search_type/third_char_mul", "mü", 'l'),
        ("search_type/sixth_char_muller", "mülle", 'r'),
        ("search_type/cjk_wang", "", '王'),
        ("search_type/cjk_yamada_2nd", "山", '田'),
        ("search_type/phone_5147_4th", "514", '7'),
        ("search_type/miss_zzzzzz_6th", "zzzzz", 'z'),
    ];
    for (name, typed, ch) in cases {
        let mut rig = Rig::new(path);
        rig.setup(&[KeyCode::Char('/')]);
        for c in typed.chars() {
            rig.setup(&[KeyCode::Char(c)]);
        }
        bench_step(c, name, || {
            let d = rig.timed(KeyCode::Char(*ch));
            rig.setup(&[KeyCode::Backspace]);
            d
        });
    }
}

// ---------------------------------------------------------------------------
// Bytes to the terminal
// ---------------------------------------------------------------------------

/// A `Vec<u8>` the terminal writes into and the bench reads from.
#[derive(Clone, Default)]
struct Sink(Rc<RefCell<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Sink {
    fn len(&self) -> usize {
        self.0.borrow().len()
    }

    fn clear(&self) {
        self.0.borrow_mut().clear();
    }
}

type VecTerm = Terminal<LeanBackend<Sink>>;

fn vec_terminal(w: u16, h: u16) -> (VecTerm, Sink) {
    let sink = Sink::default();
    let term = Terminal::with_options(
        LeanBackend::new(sink.clone()),
        TerminalOptions { viewport: Viewport::Fixed(Rect::new(0, 0, w, h)) },
    )
    .expect("crossterm terminal");
    (term, sink)
}

/// Draws one frame as rapport's event loop does (inside a synchronized
/// update, then a flush) and returns (bytes of the frame alone, bytes with
/// the synchronized-update wrapper).
fn frame_bytes(app: &mut App, term: &mut VecTerm, sink: &Sink) -> (usize, usize) {
    sink.clear();
    queue!(term.backend_mut(), BeginSynchronizedUpdate).expect("queue");
    let before = sink.len();
    term.draw(|f| app.render(f)).expect("draw");
    let frame = sink.len() - before;
    queue!(term.backend_mut(), EndSynchronizedUpdate).expect("queue");
    term.backend_mut().flush().expect("flush");
    (frame, sink.len())
}

fn bytes_after(path: &Path, w: u16, h: u16, setup: &[KeyCode], keys: &[KeyCode]) -> (usize, usize) {
    let mut app = open_app(path);
    let (mut term, sink) = vec_terminal(w, h);
    frame_bytes(&mut app, &mut term, &sink);
    for k in setup {
        app.on_key(key(*k));
        frame_bytes(&mut app, &mut term, &sink);
    }
    for k in keys {
        app.on_key(key(*k));
    }
    let n = frame_bytes(&mut app, &mut term, &sink);
    if std::env::var_os("RAPPORT_BENCH_DUMP").is_some() {
        // What exactly was sent, escapes made visible.
        eprintln!("{}", String::from_utf8_lossy(&sink.0.borrow()).escape_debug());
    }
    n
}

fn terminal_bytes(c: &mut Criterion, path: &Path) {
    let report = |label: &str, (frame, total): (usize, usize)| {
        eprintln!("bytes {label}: {frame} (frame) / {total} (with synchronized-update wrapper)");
    };
    {
        let mut app = open_app(path);
        let (mut term, sink) = vec_terminal(W, H);
        report("first full frame 80x24", frame_bytes(&mut app, &mut term, &sink));
        let (mut term, sink) = vec_terminal(200, 50);
        report("first full frame 200x50", frame_bytes(&mut app, &mut term, &sink));
    }
    let down = [KeyCode::Down];
    report("customers Down 80x24", bytes_after(path, W, H, &[], &down));
    report("customers Down 80x24 (5th move)", bytes_after(path, W, H, &[KeyCode::Down; 4], &down));
    report("customers Down 200x50", bytes_after(path, 200, 50, &[], &down));
    report("customers Up 80x24", bytes_after(path, W, H, &[KeyCode::Down; 5], &[KeyCode::Up]));
    report("pyramid band Down 80x24", bytes_after(path, W, H, &[KeyCode::Char('2')], &down));
    report("pipeline Down 80x24", bytes_after(path, W, H, &[KeyCode::Char('3')], &down));
    report("care Down 80x24", bytes_after(path, W, H, &[KeyCode::Char('4')], &down));
    report("pane switch customers->pyramid ('2') 80x24", bytes_after(path, W, H, &[], &[KeyCode::Char('2')]));
    report("pane switch customers->pipeline ('3') 80x24", bytes_after(path, W, H, &[], &[KeyCode::Char('3')]));
    report("pane switch customers->care ('4') 80x24", bytes_after(path, W, H, &[], &[KeyCode::Char('4')]));
    report(
        "pane switch pyramid->customers ('1') 80x24",
        bytes_after(path, W, H, &[KeyCode::Char('2')], &[KeyCode::Char('1')]),
    );
    report("card open (Enter) 80x24", bytes_after(path, W, H, &[], &[KeyCode::Enter]));
    report("search type 'm' 80x24", bytes_after(path, W, H, &[KeyCode::Char('/')], &[KeyCode::Char('m')]));

    // The time of a cursor move including the escape-sequence encoding.
    let mut app = open_app(path);
    let (mut term, sink) = vec_terminal(W, H);
    frame_bytes(&mut app, &mut term, &sink);
    let mut b = Bounce::new(300, KeyCode::Down, KeyCode::Up);
    bench_step(c, "keystroke/customers_down_up_crossterm_vec", || {
        let t = Instant::now();
        app.on_key(key(b.next()));
        black_box(frame_bytes(&mut app, &mut term, &sink));
        t.elapsed()
    });
}

fn ui(c: &mut Criterion) {
    let (_dir, path) = build_base();
    terminal_bytes(c, &path);
    first_frame(c, &path);
    keystrokes(c, &path);
    typing(c, &path);
}

fn criterion_config() -> Criterion {
    Criterion::default().sample_size(30).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = criterion_config();
    targets = ui
}
criterion_main!(benches);
