//! The demo generator: deterministic, realistic, and refusing non-empty bases.

use std::fmt::Write as _;
use std::path::Path;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rapport::demo::{DemoOptions, DemoSummary, ESCAPE_NAME, YAMADA, ZOE, generate};
use rapport::domain::model::{CustomerKind, NewCustomer, Tier};
use rapport::repo::reminders::DueSource;
use rapport::repo::{Repo, RepoError};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 3, 14).unwrap()
}

fn start_of(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(0, 0, 0).unwrap().and_utc()
}

fn end_of_today() -> DateTime<Utc> {
    start_of(today() + Duration::days(1))
}

fn opts(seed: u64) -> DemoOptions {
    let mut o = DemoOptions::new(today());
    o.seed = seed;
    o
}

fn make(path: &Path, o: &DemoOptions) -> (Repo, DemoSummary) {
    let mut repo = Repo::open(path, "demo").unwrap();
    let started = std::time::Instant::now();
    let summary = generate(&mut repo, o).unwrap();
    eprintln!("generated {summary:?} in {:?}", started.elapsed());
    (repo, summary)
}

/// Everything the public API shows of a base, except the wall-clock
/// creation and update times of customers.
fn dump(repo: &Repo) -> String {
    let mut out = String::new();
    let rows = repo.search_customers("", 0, 1_000_000).unwrap();
    for row in &rows {
        let mut c = repo.customer(row.id).unwrap();
        c.created_at = DateTime::default();
        c.updated_at = DateTime::default();
        writeln!(out, "{row:?}\n{c:?}").unwrap();
        writeln!(out, "{:?}", repo.contacts_of(row.id).unwrap()).unwrap();
        writeln!(out, "{:?}", repo.recent_transactions(row.id, 100_000).unwrap()).unwrap();
        writeln!(out, "{:?}", repo.recent_interactions(row.id, 100_000).unwrap()).unwrap();
        writeln!(out, "{:?}", repo.open_deals_of(row.id).unwrap()).unwrap();
        writeln!(out, "{:?}", repo.open_reminders_of(row.id).unwrap()).unwrap();
        writeln!(out, "{:?}", repo.open_promises_of(row.id).unwrap()).unwrap();
        writeln!(out, "{:?}", repo.balance_of(row.id).unwrap()).unwrap();
        writeln!(out, "{:?}", repo.open_case_count_of(row.id).unwrap()).unwrap();
    }
    writeln!(out, "{:?}", repo.due_items(end_of_today() + Duration::days(60), 0, 1_000_000).unwrap()).unwrap();
    writeln!(out, "{:?}", repo.tier_bands().unwrap()).unwrap();
    writeln!(out, "{:?}", repo.closed_deal_counts().unwrap()).unwrap();
    let mut groups = repo.open_deal_groups().unwrap();
    groups.sort_by(|a, b| (&a.stage, a.probability_pct).cmp(&(&b.stage, b.probability_pct)));
    writeln!(out, "{groups:?}").unwrap();
    out
}

fn is_cjk(c: char) -> bool {
    matches!(c, '\u{4e00}'..='\u{9fff}' | '\u{3040}'..='\u{30ff}' | '\u{ac00}'..='\u{d7af}')
}

#[test]
fn same_seed_same_base_and_other_seed_differs() {
    let dir = tempfile::tempdir().unwrap();
    let (a, sa) = make(&dir.path().join("a.db"), &opts(42));
    let (b, sb) = make(&dir.path().join("b.db"), &opts(42));
    let (c, _) = make(&dir.path().join("c.db"), &opts(7));
    assert_eq!(sa, sb);
    let (da, db, dc) = (dump(&a), dump(&b), dump(&c));
    assert!(da.len() > 10_000, "the dump should be substantial");
    assert!(da == db, "same seed and day must give the same base");
    assert!(da != dc, "another seed must give another base");

    // The other day shifts everything.
    let mut shifted = opts(42);
    shifted.today = today() + Duration::days(1);
    let (d, _) = make(&dir.path().join("d.db"), &shifted);
    assert!(da != dump(&d));
}

#[test]
fn realistic_base() {
    let dir = tempfile::tempdir().unwrap();
    let o = opts(42);
    let (repo, summary) = make(&dir.path().join("demo.db"), &o);

    assert_eq!(summary.customers, 300);
    assert_eq!(repo.customer_count().unwrap(), 300);
    assert!(summary.contacts > 100, "{summary:?}");
    assert!(summary.transactions > 1_000, "{summary:?}");
    assert!(summary.interactions > 500, "{summary:?}");
    assert!(summary.deals > 40, "{summary:?}");
    assert!(summary.reminders > 50, "{summary:?}");
    assert!(summary.promises > 5, "{summary:?}");
    assert!(summary.cases > 2, "{summary:?}");

    let rows = repo.search_customers("", 0, 100_000).unwrap();
    assert_eq!(rows.len(), 300);
    for kind in CustomerKind::ALL {
        assert!(rows.iter().any(|r| r.kind == *kind), "no {kind} customer");
    }
    let enterprises = rows.iter().filter(|r| r.kind == CustomerKind::Enterprise).count();
    assert!((30..=90).contains(&enterprises), "{enterprises} enterprises");
    let cjk = rows.iter().filter(|r| r.name.chars().any(is_cjk)).count();
    assert!(cjk * 100 >= rows.len() * 15, "only {cjk} of {} CJK names", rows.len());
    let vip = rows.iter().filter(|r| repo.customer(r.id).unwrap().vip_level.is_some()).count();
    assert!((15..=90).contains(&vip), "{vip} VIPs");
    assert!(rows.iter().filter(|r| r.phone.is_some()).count() > 250);
    assert!(rows.iter().filter(|r| r.email.is_some()).count() > 200);

    // An enterprise has several contacts with roles.
    let ent = rows.iter().find(|r| r.kind == CustomerKind::Enterprise).unwrap();
    let contacts = repo.contacts_of(ent.id).unwrap();
    assert!((2..=5).contains(&contacts.len()));
    assert!(contacts.iter().all(|c| c.role.is_some()));

    // The escape-sequence name is stored as is (the UI neutralises it).
    let bob = repo.search_customers("bob escape", 0, 10).unwrap();
    assert_eq!(bob.len(), 1);
    assert_eq!(bob[0].name, ESCAPE_NAME);
}

#[test]
fn special_customers_are_findable() {
    let dir = tempfile::tempdir().unwrap();
    let (repo, _) = make(&dir.path().join("demo.db"), &opts(42));

    let yamada = repo.search_customers("山田", 0, 10).unwrap();
    assert!(yamada.iter().any(|r| r.name == YAMADA && r.kind == CustomerKind::Individual), "{yamada:?}");
    assert!(repo.search_customers("81312345678", 0, 10).unwrap().iter().any(|r| r.name == YAMADA));

    for q in ["zoe ang", "Zoë Ångström", "ZOE", "5147214711", "721-4711", "zoe.angstrom@example.com"] {
        let found = repo.search_customers(q, 0, 10).unwrap();
        assert!(found.iter().any(|r| r.name == ZOE && r.kind == CustomerKind::Individual), "{q}: {found:?}");
    }
    let by_phone = repo.customers_by_phone("+1 514 721 4711").unwrap();
    assert_eq!(by_phone.len(), 1);
    assert_eq!(by_phone[0].name, ZOE);
}

#[test]
fn pipeline_care_and_pyramid() {
    let dir = tempfile::tempdir().unwrap();
    let o = opts(42);
    let (repo, _) = make(&dir.path().join("demo.db"), &o);

    for stage in &o.stages {
        assert!(!repo.open_deals_in_stage(stage, 0, 1).unwrap().is_empty(), "no open deal in {stage}");
    }
    let (won, lost, won_value) = repo.closed_deal_counts().unwrap();
    assert!(won > 0 && lost > 0 && won_value.0 > 0, "{won} won, {lost} lost");
    let open: Vec<_> =
        o.stages.iter().flat_map(|s| repo.open_deals_in_stage(s, 0, 10_000).unwrap()).collect::<Vec<_>>();
    assert!(open.iter().any(|d| d.expected_close.is_some_and(|c| c < today())), "no overdue deal");
    assert!(open.iter().any(|d| d.last_activity_at < start_of(today()) - Duration::days(60)), "no stale deal");
    assert!(open.iter().any(|d| d.competitors.is_some()));

    let due = repo.due_items(end_of_today(), 0, 1_000).unwrap();
    let start = start_of(today());
    let reminders: Vec<_> = due.iter().filter(|d| d.source == DueSource::Reminder).collect();
    assert!(reminders.iter().any(|d| d.due_at < start), "no overdue reminder");
    assert!(reminders.iter().any(|d| d.due_at >= start), "no reminder due today");
    assert!(due.iter().any(|d| d.source == DueSource::Promise), "no promise due");
    assert!(reminders.iter().any(|d| d.customer_name == ZOE && d.due_at >= start));
    assert!(reminders.iter().any(|d| d.customer_name == YAMADA && d.due_at < start));

    let bands = repo.tier_bands().unwrap();
    for (tier, band) in Tier::ALL.iter().zip(bands.iter()) {
        assert!(band.count > 0, "tier {tier} is empty: {bands:?}");
    }
    // Few customers at the top bring most of the value.
    assert!(bands[0].count < bands[2].count, "{bands:?}");
    assert!(bands[0].total.0 > bands[2].total.0, "{bands:?}");
    assert!(bands[3].total.0 < 0);
}

#[test]
fn refuses_a_base_with_customers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("used.db");
    let mut repo = Repo::open(&path, "demo").unwrap();
    repo.create_customer(&NewCustomer::named(CustomerKind::Individual, "Already Here")).unwrap();
    let err = generate(&mut repo, &opts(1)).unwrap_err();
    assert!(matches!(err, RepoError::Invalid(_)), "{err:?}");
    assert!(err.to_string().contains("empty"), "{err}");
    assert_eq!(repo.customer_count().unwrap(), 1);

    // And a base it filled itself is refused the second time.
    let mut o = opts(1);
    o.customers = 20;
    let mut fresh = Repo::open(&dir.path().join("fresh.db"), "demo").unwrap();
    generate(&mut fresh, &o).unwrap();
    assert!(matches!(generate(&mut fresh, &o), Err(RepoError::Invalid(_))));
    assert_eq!(fresh.customer_count().unwrap(), 20);
}

#[test]
fn odd_sizes_and_days() {
    let dir = tempfile::tempdir().unwrap();
    for (n, day) in [(0, today()), (1, today()), (2, today()), (40, NaiveDate::from_ymd_opt(2024, 2, 29).unwrap())] {
        let mut o = opts(3);
        o.customers = n;
        o.today = day;
        let mut repo = Repo::open(&dir.path().join(format!("odd{n}.db")), "demo").unwrap();
        let s = generate(&mut repo, &o).unwrap();
        assert_eq!(s.customers, n);
        assert_eq!(repo.customer_count().unwrap(), n as i64);
    }
    let mut o = opts(3);
    o.stages.clear();
    let mut repo = Repo::open(&dir.path().join("nostages.db"), "demo").unwrap();
    assert!(matches!(generate(&mut repo, &o), Err(RepoError::Invalid(_))));
    assert_eq!(repo.customer_count().unwrap(), 0);
}

#[test]
fn demo_data_into_a_base_snapshotted_empty_still_shows_a_month_of_moves() {
    // The app's day job snapshots a new, empty base on open; demo data
    // loaded after (the `D` key) still gets its month-old snapshot.
    let dir = tempfile::tempdir().unwrap();
    let mut repo = Repo::open(&dir.path().join("empty.db"), "demo").unwrap();
    rapport::services::pyramid::recompute(&mut repo, &rapport::config::Config::default(), today()).unwrap();
    assert_eq!(repo.snapshot_days(5).unwrap(), vec![today()]);
    let mut o = opts(3);
    o.customers = 60;
    generate(&mut repo, &o).unwrap();
    let days = repo.snapshot_days(5).unwrap();
    assert_eq!(days, vec![today(), today() - Duration::days(30)]);
    assert_eq!(repo.snapshot(days[1]).unwrap().len(), 60);
    assert!(!repo.tier_moves(days[1], days[0]).unwrap().is_empty());
}
