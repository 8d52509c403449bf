//! Pyramid + RFM recompute from scratch on 1,000,000 customers and
//! 10,000,000 transactions (PRODUCT.md section 7: ≤ 2 s).
//!
//! The base is made once with the scale generator (`rapport demo --scale
//! 1m`: seed 42, today 2026-11-25, 200,000 deals, 1,000,000 reminders) into
//! a temporary directory, or reused from `RAPPORT_BENCH_SCALE_DB=PATH` (made
//! there first if the file is missing, and kept: the base takes minutes to
//! build). `RAPPORT_BENCH_SCALE_CUSTOMERS=N` changes the size of a new base.
//!
//! What is timed (each sample is one whole call; every run's wall and CPU
//! time is also printed to stderr as a `run ...` line):
//!
//! - `recompute/new_day`: [`pyramid::recompute`] as of a day without a
//!   snapshot yet, the day after the one stored — the day's first
//!   recompute: read the window, classify, score RFM, store the customers
//!   whose figures changed (the window moved a day), write the day's
//!   snapshot (the customers whose tier or contribution changed). Each
//!   run is a day after the previous run's.
//! - `recompute/new_day_app`: the same, as the app's background job runs
//!   it: its connection leaves the copy of the log into the base to the
//!   app's checkpoint thread ([`Repo::defer_checkpoints`]), which runs
//!   beside it. Each run starts, as the day's job does, with the log of the
//!   day before copied into the base (not timed).
//! - `recompute/same_day`: the same day again (money was entered): the same
//!   work, but nothing changed to store and the snapshot is compared, not
//!   rewritten.
//! - `recompute/all_changed`: every customer's stored figures differ first
//!   (they are set to Low, 0, no RFM before each run, not timed), on a new
//!   day: the worst case, as after an import.
//! - `parts/read`: the inputs alone ([`Repo::pyramid_places`] +
//!   [`Repo::window_totals`]).
//! - `parts/compute`: [`pyramid::compute`]: read + classify + RFM, nothing
//!   stored: the pyramid and RFM computed from scratch, the budget's case.
//! - `parts/store_new_day`: [`Repo::store_recomputed`] of an already
//!   computed pyramid on a day without a snapshot (nothing else changed).
//!
//! Run: `cargo bench --bench pyramid` (the base build plus about 70
//! recomputes: 10 samples of each, after a warm-up run).

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use criterion::{Criterion, SamplingMode, criterion_group, criterion_main};
use rapport::config::Config;
use rapport::demo::scale::{self, ScaleOptions};
use rapport::domain::model::Tier;
use rapport::domain::money::Money;
use rapport::repo::Repo;
use rapport::services::pyramid::{self, Params};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
}

fn size() -> usize {
    std::env::var("RAPPORT_BENCH_SCALE_CUSTOMERS").ok().and_then(|s| s.parse().ok()).unwrap_or(1_000_000)
}

/// CPU time of this thread so far (user + system), from /proc.
fn cpu() -> Duration {
    let Ok(stat) = std::fs::read_to_string("/proc/thread-self/stat") else { return Duration::ZERO };
    let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
    let ticks: u64 = fields.get(11..13).map_or(0, |f| f.iter().filter_map(|x| x.parse::<u64>().ok()).sum());
    Duration::from_millis(ticks * 10)
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg").map(|s| s.trim().to_string()).unwrap_or_default()
}

/// The base: reused or made (see the module's documentation).
fn base() -> (Option<tempfile::TempDir>, PathBuf) {
    let (dir, path) = match std::env::var_os("RAPPORT_BENCH_SCALE_DB") {
        Some(p) => (None, PathBuf::from(p)),
        None => {
            let dir = tempfile::tempdir().expect("temp dir");
            let path = dir.path().join("scale.db");
            (Some(dir), path)
        }
    };
    let mut repo = Repo::open(&path, "bench").expect("open base");
    if repo.customer_count().expect("count") == 0 {
        let started = Instant::now();
        let (c0, l0) = (cpu(), load());
        let s =
            scale::generate(&mut repo, &ScaleOptions::new(size(), today()), &Config::default()).expect("scale base");
        eprintln!(
            "base: {} customers, {} transactions, {} deals, {} reminders, built in {:.1?} ({:.1?} CPU) at {} \
             (load average before: {l0})",
            s.customers,
            s.transactions,
            s.deals,
            s.reminders,
            started.elapsed(),
            cpu() - c0,
            path.display()
        );
    } else {
        eprintln!("base: reusing {} ({} customers)", path.display(), repo.customer_count().unwrap_or(0));
    }
    let bytes: u64 = ["", "-wal"]
        .iter()
        .filter_map(|s| std::fs::metadata(format!("{}{s}", path.display())).ok())
        .map(|m| m.len())
        .sum();
    eprintln!("base on disk: {:.0} MB; load average: {}", bytes as f64 / 1e6, load());
    (dir, path)
}

/// Times `run` once per iteration after `setup` (not timed), printing each run.
fn timed(
    name: &str,
    iters: u64,
    mut setup: impl FnMut(u64),
    mut run: impl FnMut(u64) -> Duration,
    k: &mut u64,
) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        setup(*k);
        let c0 = cpu();
        let d = run(*k);
        eprintln!("run {name}: {:.0} ms wall, {:.0} ms CPU", d.as_secs_f64() * 1e3, (cpu() - c0).as_secs_f64() * 1e3);
        total += d;
        *k += 1;
    }
    total
}

fn bench(c: &mut Criterion) {
    let (_dir, path) = base();
    let config = Config::default();
    let mut repo = Repo::open(&path, "bench").expect("open");
    let day0 = today();
    // The base's stored figures are those of day0 (the generator's pass);
    // snapshots of later days (a base used by other runs) are removed, so
    // that each new day below is after the latest.
    repo.delete_snapshots_from(day0 + chrono::Days::new(1)).expect("delete later snapshots");
    pyramid::recompute(&mut repo, &config, day0).expect("recompute");

    let mut g = c.benchmark_group("recompute");
    g.sample_size(10).sampling_mode(SamplingMode::Flat).warm_up_time(Duration::from_millis(1));
    g.measurement_time(Duration::from_secs(20));
    let mut k = 0;
    g.bench_function("new_day", |b| {
        b.iter_custom(|iters| {
            // Run k is as of day0 + 1 + k: each run moves the stored
            // figures one day on from the previous run's, and writes a new
            // day's snapshot.
            let day = |k: u64| day0 + chrono::Days::new(1 + k);
            let r = std::cell::RefCell::new(&mut repo);
            timed(
                "recompute/new_day",
                iters,
                |_| {},
                |k| {
                    let t = Instant::now();
                    black_box(pyramid::recompute(&mut r.borrow_mut(), &config, day(k)).expect("recompute"));
                    t.elapsed()
                },
                &mut k,
            )
        })
    });
    // The same, as the app's background job runs it: the log is copied
    // into the base by the app's checkpoint thread, not inside the commit.
    {
        let held = repo.defer_checkpoints().expect("checkpoint thread");
        assert!(held.is_some(), "no checkpoint thread");
        g.bench_function("new_day_app", |b| {
            b.iter_custom(|iters| {
                let day = |k: u64| day0 + chrono::Days::new(1 + k);
                let r = std::cell::RefCell::new(&mut repo);
                timed(
                    "recompute/new_day_app",
                    iters,
                    // Each run starts as the day's job does, the log of the
                    // day before copied into the base (not timed).
                    |_| {
                        rusqlite::Connection::open(&path)
                            .and_then(|c| c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())))
                            .expect("checkpoint");
                    },
                    |k| {
                        let t = Instant::now();
                        black_box(pyramid::recompute(&mut r.borrow_mut(), &config, day(k)).expect("recompute"));
                        t.elapsed()
                    },
                    &mut k,
                )
            })
        });
    }
    // Checkpoints in the commit again, as the other cases had them.
    drop(repo);
    let mut repo = Repo::open(&path, "bench").expect("open");
    // Leave the stored figures and snapshot at day0.
    repo.delete_snapshots_from(day0 + chrono::Days::new(1)).expect("delete");
    pyramid::recompute(&mut repo, &config, day0).expect("recompute");
    g.bench_function("same_day", |b| {
        b.iter_custom(|iters| {
            let r = std::cell::RefCell::new(&mut repo);
            timed(
                "recompute/same_day",
                iters,
                |_| {},
                |_| {
                    let t = Instant::now();
                    black_box(pyramid::recompute(&mut r.borrow_mut(), &config, day0).expect("recompute"));
                    t.elapsed()
                },
                &mut k,
            )
        })
    });
    let ids: Vec<i64> = repo.pyramid_places().expect("places").active_ids().collect();
    let reset: Vec<(i64, Tier, Money, Option<_>)> = ids.iter().map(|id| (*id, Tier::Low, Money::ZERO, None)).collect();
    g.bench_function("all_changed", |b| {
        b.iter_custom(|iters| {
            let r = std::cell::RefCell::new(&mut repo);
            timed(
                "recompute/all_changed",
                iters,
                |_| {
                    let mut repo = r.borrow_mut();
                    repo.store_pyramid(&reset).expect("reset");
                    repo.delete_snapshots_from(day0).expect("delete snapshot");
                },
                |_| {
                    let t = Instant::now();
                    black_box(pyramid::recompute(&mut r.borrow_mut(), &config, day0).expect("recompute"));
                    t.elapsed()
                },
                &mut k,
            )
        })
    });
    g.finish();

    let mut g = c.benchmark_group("parts");
    g.sample_size(10).sampling_mode(SamplingMode::Flat).warm_up_time(Duration::from_millis(1));
    g.measurement_time(Duration::from_secs(10));
    let params = Params::from_config(&config, day0);
    g.bench_function("read", |b| {
        b.iter_custom(|iters| {
            timed(
                "parts/read",
                iters,
                |_| {},
                |_| {
                    let t = Instant::now();
                    let places = repo.pyramid_places().expect("places");
                    black_box(repo.window_totals(day0, params.window_days, places.len()).expect("totals"));
                    t.elapsed()
                },
                &mut k,
            )
        })
    });
    g.bench_function("compute", |b| {
        b.iter_custom(|iters| {
            timed(
                "parts/compute",
                iters,
                |_| {},
                |_| {
                    let t = Instant::now();
                    black_box(pyramid::compute(&repo, &params).expect("compute"));
                    t.elapsed()
                },
                &mut k,
            )
        })
    });
    let p = pyramid::compute(&repo, &params).expect("compute");
    let spare = day0 + chrono::Days::new(30);
    g.bench_function("store_new_day", |b| {
        b.iter_custom(|iters| {
            let r = std::cell::RefCell::new(&mut repo);
            let places = std::cell::RefCell::new(None);
            timed(
                "parts/store_new_day",
                iters,
                |_| {
                    let mut repo = r.borrow_mut();
                    repo.delete_snapshots_from(spare).expect("delete snapshot");
                    *places.borrow_mut() = Some(repo.pyramid_places().expect("places"));
                },
                |_| {
                    let rows = p.customers.iter().map(|c| (c.customer_id, c.computed, c.contribution, c.rfm));
                    let places = places.borrow_mut().take().expect("places");
                    let t = Instant::now();
                    black_box(r.borrow_mut().store_recomputed(places, spare, rows).expect("store"));
                    t.elapsed()
                },
                &mut k,
            )
        })
    });
    repo.delete_snapshots_from(spare).expect("delete snapshot");
    g.finish();
    eprintln!("load average at the end: {}", load());
}

criterion_group!(benches, bench);
criterion_main!(benches);
