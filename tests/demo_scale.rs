//! `rapport demo --scale`: the large generated base, at a small size —
//! exact counts, the same rows from the same seed, a skewed pyramid, and a
//! base that search works on.

use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::Path;

use assert_cmd::Command;
use chrono::NaiveDate;
use rapport::config::Config;
use rapport::demo::scale::{ScaleOptions, ScaleSummary, generate};
use rapport::demo::{YAMADA, ZOE};
use rapport::domain::model::{Tier, TxKind};
use rapport::domain::money::Money;
use rapport::domain::pyramid::{ValueInput, classify};
use rapport::domain::rfm::{RfmInput, RfmScore, score};
use rapport::domain::text::phone_digits;
use rapport::repo::{Repo, RepoError};
use rapport::services::pyramid::{Params, compute, thresholds};

const N: usize = 2_000;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
}

fn make(path: &Path, seed: u64) -> (Repo, ScaleSummary) {
    let mut repo = Repo::open(path, "demo").unwrap();
    let mut o = ScaleOptions::new(N, today());
    o.seed = seed;
    let started = std::time::Instant::now();
    let s = generate(&mut repo, &o, &Config::default()).unwrap();
    eprintln!("generated {s:?} in {:?}", started.elapsed());
    (repo, s)
}

/// Every row the public API shows of the generated tables.
fn dump(repo: &Repo) -> String {
    let mut out = String::new();
    let mut deals = Vec::new();
    repo.each_customer(|c| writeln!(out, "{c:?}").map_err(|_| RepoError::Invalid("write".into()))).unwrap();
    repo.each_transaction(|t| writeln!(out, "{t:?}").map_err(|_| RepoError::Invalid("write".into()))).unwrap();
    repo.each_deal(|d| {
        deals.push(d.id);
        writeln!(out, "{d:?}").map_err(|_| RepoError::Invalid("write".into()))
    })
    .unwrap();
    for id in deals {
        writeln!(out, "{:?}", repo.stage_history(id).unwrap()).unwrap();
    }
    repo.each_reminder(|r| writeln!(out, "{r:?}").map_err(|_| RepoError::Invalid("write".into()))).unwrap();
    writeln!(out, "{:?}", repo.tier_bands().unwrap()).unwrap();
    out
}

#[test]
fn a_scaled_base_has_exact_counts_the_same_rows_from_the_same_seed_and_a_skewed_pyramid() {
    let dir = tempfile::tempdir().unwrap();
    let (repo, s) = make(&dir.path().join("a.db"), 7);

    // Exact counts.
    assert_eq!((s.customers, s.transactions, s.deals, s.reminders), (N, 10 * N, N / 5, N));
    let counts: HashMap<String, i64> = repo.row_counts().unwrap().into_iter().collect();
    let n = N as i64;
    for (table, want) in [
        ("customers", n),
        ("transactions", 10 * n),
        ("deals", n / 5),
        ("deal_stage_history", s.deal_moves as i64),
        ("reminders", n),
        // The first snapshot: every customer's first change.
        ("snapshot_days", 1),
        ("tier_changes", n),
        ("tier_latest", n),
        ("contacts", 0),
        ("interactions", 0),
        ("promises", 0),
        ("cases", 0),
        ("points_ledger", 0),
        // One entry for the whole load, none per row.
        ("audit_log", 1),
    ] {
        assert_eq!(counts.get(table), Some(&want), "{table}");
    }
    // Each deal has its creation, and a closed one its closing, in its history.
    assert!(s.deal_moves >= s.deals, "{s:?}");

    // The same seed makes the same rows; another seed does not.
    let (again, s2) = make(&dir.path().join("b.db"), 7);
    assert_eq!(s, s2);
    let first = dump(&repo);
    assert_eq!(first, dump(&again), "two bases from seed 7 differ");
    let (other, _) = make(&dir.path().join("c.db"), 8);
    assert_ne!(first, dump(&other), "seeds 7 and 8 made the same base");

    // Few customers bring most of the value: the top 20% of customers hold
    // at least 60% of the positive contribution; some cost more than they bring.
    let p = compute(&repo, &Params::from_config(&Config::default(), today())).unwrap();
    assert_eq!(p.customers.len(), N);
    let top: i64 = p.customers.iter().take(N / 5).map(|c| c.contribution.0.max(0)).sum();
    let share = top as f64 / p.positive_total.0 as f64;
    eprintln!("top 20% of customers hold {:.1}% of the positive contribution", share * 100.0);
    assert!(share >= 0.60, "top 20% hold only {:.1}%", share * 100.0);
    let bands = repo.tier_bands().unwrap();
    assert!(bands[3].count > 0, "no Negative customer: {bands:?}");
    assert!(bands[0].count > 0 && bands[0].count < bands[2].count, "not a pyramid: {bands:?}");
    // The stored tiers are the computed ones.
    for c in p.customers.iter().step_by(97) {
        let stored = repo.customer(c.customer_id).unwrap();
        assert_eq!(
            (stored.tier, stored.contribution, stored.rfm.is_some()),
            (c.computed, c.contribution, c.rfm.is_some())
        );
    }
    let negative = p.customers.iter().filter(|c| c.tier == Tier::Negative).count();
    assert_eq!(negative as u64, bands[3].count);

    // The recompute's tiers and RFM scores are those of the plain rules
    // (classify, score) applied to inputs summed here from the exported
    // transactions.
    let end = today().succ_opt().unwrap().and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp();
    let (start, recent, previous) = (end - 365 * 86_400, end - 90 * 86_400, end - 180 * 86_400);
    let mut sums: HashMap<i64, (i64, i64, i64, i64, BTreeSet<i64>)> = HashMap::new();
    repo.each_transaction(|t| {
        let at = t.occurred_at.timestamp();
        if t.kind == TxKind::Payment || at >= end {
            return Ok::<_, RepoError>(());
        }
        let e = sums.entry(t.customer.customer_id).or_default();
        if at >= start {
            e.0 += t.amount.0;
        }
        if at >= recent {
            e.1 += t.amount.0;
        } else if at >= previous {
            e.2 += t.amount.0;
        }
        if at >= start && t.kind == TxKind::Sale {
            e.3 += t.amount.0;
            e.4.insert(at.div_euclid(86_400));
        }
        Ok(())
    })
    .unwrap();
    let as_of_day = end / 86_400 - 1;
    let (values, rfm): (Vec<ValueInput>, Vec<RfmInput>) = (1..=N as i64)
        .map(|id| {
            let (c, r, p, m, days) = sums.remove(&id).unwrap_or_default();
            (
                ValueInput { customer_id: id, contribution: Money(c), recent: Money(r), previous: Money(p), pin: None },
                RfmInput {
                    customer_id: id,
                    recency_days: days.last().map(|d| as_of_day - d),
                    frequency: days.len() as i64,
                    monetary: Money(m),
                },
            )
        })
        .unzip();
    let tiers: HashMap<i64, Tier> =
        classify(&values, thresholds(&Config::default())).into_iter().map(|(id, computed, _)| (id, computed)).collect();
    let scores: HashMap<i64, Option<RfmScore>> = score(&rfm).into_iter().collect();
    for c in &p.customers {
        assert_eq!((c.computed, c.rfm), (tiers[&c.customer_id], scores[&c.customer_id]), "customer {}", c.customer_id);
    }

    // Names from several cultures, phones and e-mails.
    let mut all = Vec::new();
    repo.each_customer(|c| {
        all.push(c);
        Ok::<_, RepoError>(())
    })
    .unwrap();
    let cjk = all.iter().filter(|c| c.name.chars().any(|ch| ('\u{4e00}'..='\u{9fff}').contains(&ch))).count();
    let accented =
        all.iter().filter(|c| c.name.chars().any(|ch| !ch.is_ascii() && ch.is_alphabetic() && ch < '\u{0250}')).count();
    let phones = all.iter().filter(|c| c.phone.is_some()).count();
    let emails = all.iter().filter(|c| c.email.is_some()).count();
    eprintln!("{cjk} CJK names, {accented} accented, {phones} phones, {emails} e-mails");
    assert!(cjk > N / 20 && accented > N / 20, "{cjk} CJK, {accented} accented names");
    assert!(phones > N * 3 / 4 && emails > N * 3 / 4, "{phones} phones, {emails} e-mails");
}

#[test]
fn search_finds_generated_customers_by_name_and_by_phone_digits() {
    let dir = tempfile::tempdir().unwrap();
    let (repo, _) = make(&dir.path().join("s.db"), 42);
    let finds = |q: &str, id: i64| repo.search_customers(q, 0, N).unwrap().iter().any(|r| r.id == id);
    // The load built the search index before it committed: these searches
    // read it (tests/search_index.rs shows it answers as a scan does).
    assert!(repo.search_index_complete().unwrap());

    // The two named customers: CJK, and accents typed or not.
    assert!(finds(YAMADA, 1));
    assert!(finds(ZOE, 2));
    assert!(finds("zoe angstrom", 2));
    assert!(finds("721-4711", 2));

    // Generated ones, by their whole name, by a word of it in capitals, and
    // by the last digits of their phone typed with a dash.
    let mut checked = 0;
    for id in (3..N as i64).step_by(37) {
        let c = repo.customer(id).unwrap();
        assert!(finds(&c.name, id), "{:?} not found by name", c.name);
        let word = c.name.split_whitespace().last().unwrap().to_uppercase();
        assert!(finds(&word, id), "{:?} not found by {word:?}", c.name);
        if let Some(phone) = &c.phone {
            let d = phone_digits(phone);
            let tail = &d[d.len() - 7..];
            let typed = format!("{}-{}", &tail[..3], &tail[3..]);
            assert!(finds(&typed, id), "{:?} ({phone}) not found by {typed}", c.name);
            assert!(repo.customers_by_phone(phone).unwrap().iter().any(|r| r.id == id), "{phone}: no caller card");
            checked += 1;
        }
        if let Some(email) = &c.email {
            assert!(finds(email, id), "{:?} not found by {email}", c.name);
        }
    }
    assert!(checked > 30, "only {checked} customers with phones checked");
}

#[test]
fn the_command_makes_a_scaled_base_and_refuses_bad_sizes() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("cli.db");
    let out = Command::cargo_bin("rapport")
        .unwrap()
        .args(["--db", db.to_str().unwrap(), "demo", "--scale", "1k", "--seed", "3"])
        .env("RAPPORT_CONFIG_DIR", dir.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("1000 customers, 10000 transactions, 200 deals, 1000 reminders"), "{err}");
    let repo = Repo::open(&db, "t").unwrap();
    assert_eq!(repo.customer_count().unwrap(), 1_000);
    assert!(!repo.snapshot_days(1).unwrap().is_empty(), "the pyramid was not computed");
    drop(repo);

    // Into a base that has customers: refused, nothing added.
    let out = Command::cargo_bin("rapport")
        .unwrap()
        .args(["--db", db.to_str().unwrap(), "demo", "--scale", "10"])
        .env("RAPPORT_CONFIG_DIR", dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert_eq!(Repo::open(&db, "t").unwrap().customer_count().unwrap(), 1_000);

    for bad in [&["--scale", "0"][..], &["--scale", "lots"], &["--scale", "10k", "--customers", "5"]] {
        let out = Command::cargo_bin("rapport")
            .unwrap()
            .args(["--db", dir.path().join("bad.db").to_str().unwrap(), "demo"])
            .args(bad)
            .env("RAPPORT_CONFIG_DIR", dir.path())
            .output()
            .unwrap();
        assert!(!out.status.success(), "{bad:?} was accepted");
    }
    assert!(!dir.path().join("bad.db").exists());
}
