//! CSV import of 1,000,000 customer rows (budget ≤ 10 s, PRODUCT.md §7).
//!
//! A deterministic customer CSV is generated once per run (Latin, accented,
//! Chinese, Japanese and Korean names; companies with commas and quotes;
//! phones in several national formats; emails; external ids; notes, some on
//! two lines) into a temporary directory, then imported into a new, empty
//! base through the same code path as `rapport import customers FILE`
//! ([`rapport::cli::run_args`]: argument parsing, CSV reading, checks, the
//! one-transaction import and its audit entry). Each iteration imports into
//! a fresh base; only the import is timed, and every run's time is printed
//! to stderr as a `run ...` line besides criterion's estimate.
//!
//! - `RAPPORT_BENCH_IMPORT_ROWS=N`: rows in the file (default 1,000,000).
//! - `RAPPORT_BENCH_CSV=PATH`: write the file there and keep it (to time
//!   the binary by hand or read its peak memory with `/usr/bin/time -v`);
//!   an existing file at PATH is reused as it is.
//!
//! Run: `cargo bench --bench import` (about 11 whole imports: one warm-up,
//! ten samples).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn rows() -> usize {
    std::env::var("RAPPORT_BENCH_IMPORT_ROWS").ok().and_then(|s| s.parse().ok()).unwrap_or(1_000_000)
}

struct Names {
    given: &'static [&'static str],
    family: &'static [&'static str],
    /// Family name first, no space (CJK).
    family_first: bool,
    cities: &'static [(&'static str, &'static str)],
    phone: fn(&mut ChaCha8Rng) -> String,
    weight: u32,
}

const LATIN_GIVEN: &[&str] = &[
    "James",
    "Olivia",
    "Zoë",
    "Chloé",
    "Hélène",
    "François",
    "Jürgen",
    "Jörg",
    "Søren",
    "Åsa",
    "Małgorzata",
    "Łukasz",
    "José",
    "María",
    "Inés",
    "Ángel",
    "Noah",
    "Emma",
    "Liam",
    "Ava",
    "Björn",
    "Ægir",
    "Renée",
    "Zoltán",
];
const LATIN_FAMILY: &[&str] = &[
    "Smith",
    "Müller",
    "Ångström",
    "Lefèvre",
    "García",
    "Núñez",
    "O'Brien",
    "Schröder",
    "Nowak",
    "Wiśniewski",
    "Dubois",
    "Fernández",
    "Johansson",
    "Østergaard",
    "Brown",
    "Kovács",
    "Doğan",
    "Peña",
    "Straße",
    "Da Silva",
];
const ZH_GIVEN: &[&str] = &["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "洋", "艳", "勇", "军", "杰", "娟"];
const ZH_FAMILY: &[&str] = &["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱"];
const JA_GIVEN: &[&str] = &["太郎", "花子", "翔太", "陽菜", "蓮", "結衣", "大輝", "美咲", "健一", "さくら"];
const JA_FAMILY: &[&str] = &["山田", "佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "中村", "小林", "加藤"];
const KO_GIVEN: &[&str] = &["민준", "서연", "지훈", "하은", "도윤", "지우", "서준", "수아"];
const KO_FAMILY: &[&str] = &["김", "이", "박", "최", "정", "강", "조", "윤"];

fn digits(rng: &mut ChaCha8Rng, n: usize) -> String {
    (0..n).map(|_| char::from(b'0' + rng.random_range(0..10u8))).collect()
}

const CULTURES: &[Names] = &[
    Names {
        given: LATIN_GIVEN,
        family: LATIN_FAMILY,
        family_first: false,
        cities: &[("Montréal", "CA"), ("New York", "US"), ("Toronto", "CA"), ("Boston", "US")],
        phone: |r| format!("+1 ({}) {}-{}", digits(r, 3), digits(r, 3), digits(r, 4)),
        weight: 30,
    },
    Names {
        given: LATIN_GIVEN,
        family: LATIN_FAMILY,
        family_first: false,
        cities: &[("Paris", "FR"), ("Lyon", "FR"), ("München", "DE"), ("Köln", "DE"), ("Sevilla", "ES")],
        phone: |r| format!("+33 {} {} {} {} {}", digits(r, 1), digits(r, 2), digits(r, 2), digits(r, 2), digits(r, 2)),
        weight: 30,
    },
    Names {
        given: ZH_GIVEN,
        family: ZH_FAMILY,
        family_first: true,
        cities: &[("北京", "CN"), ("上海", "CN"), ("广州", "CN"), ("深圳", "CN")],
        phone: |r| format!("+86 1{}-{}-{}", digits(r, 2), digits(r, 4), digits(r, 4)),
        weight: 20,
    },
    Names {
        given: JA_GIVEN,
        family: JA_FAMILY,
        family_first: true,
        cities: &[("東京", "JP"), ("大阪", "JP"), ("京都", "JP")],
        phone: |r| format!("03-{}-{}", digits(r, 4), digits(r, 4)),
        weight: 12,
    },
    Names {
        given: KO_GIVEN,
        family: KO_FAMILY,
        family_first: true,
        cities: &[("서울", "KR"), ("부산", "KR")],
        phone: |r| format!("+82 10-{}-{}", digits(r, 4), digits(r, 4)),
        weight: 8,
    },
];

const COMPANIES: &[&str] =
    &["Smith, Jones & Co", "Acme \"Global\" Ltd", "Müller GmbH", "山田商事", "北京科技有限公司", "Café Lumière SARL"];
const DOMAINS: &[&str] = &["example.com", "example.net", "example.org", "mail.example"];
const KINDS: &[&str] = &["individual", "individual", "individual", "household", "enterprise"];
const OWNERS: &[&str] = &["alice", "bob", "chen", "dana", ""];
const VIP: &[&str] = &["", "", "", "", "Silver", "Gold", "Platinum"];

/// A culture, by weight.
fn pick(rng: &mut ChaCha8Rng, total: u32) -> &'static Names {
    let mut x = rng.random_range(0..total);
    for c in CULTURES {
        if x < c.weight {
            return c;
        }
        x -= c.weight;
    }
    &CULTURES[0]
}

/// Writes `n` customer rows (plus the header) to `path`, the same bytes for
/// the same `n` on every machine.
fn generate(path: &Path, n: usize) -> std::io::Result<()> {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let total: u32 = CULTURES.iter().map(|c| c.weight).sum();
    let mut w =
        csv::WriterBuilder::new().from_writer(std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?));
    w.write_record([
        "external_id",
        "name",
        "kind",
        "company",
        "email",
        "phone",
        "city",
        "country",
        "owner",
        "vip_level",
        "credit_limit",
        "note",
    ])?;
    for i in 0..n {
        let culture = pick(&mut rng, total);
        let given = culture.given[rng.random_range(0..culture.given.len())];
        let family = culture.family[rng.random_range(0..culture.family.len())];
        let name = if culture.family_first { format!("{family}{given}") } else { format!("{given} {family}") };
        let kind = KINDS[rng.random_range(0..KINDS.len())];
        let company = if kind == "enterprise" || rng.random_bool(0.2) {
            COMPANIES[rng.random_range(0..COMPANIES.len())]
        } else {
            ""
        };
        let email = if rng.random_bool(0.85) {
            format!("c{i}.{}@{}", rng.random_range(0..1000), DOMAINS[rng.random_range(0..DOMAINS.len())])
        } else {
            String::new()
        };
        let phone = if rng.random_bool(0.9) { (culture.phone)(&mut rng) } else { String::new() };
        let (city, country) = culture.cities[rng.random_range(0..culture.cities.len())];
        let credit = if rng.random_bool(0.3) {
            format!("{}.{:02}", rng.random_range(100..50_000), rng.random_range(0..100))
        } else {
            String::new()
        };
        let note = match rng.random_range(0..20) {
            0 => "Prefers email; only call after 2 pm",
            1 => "Key account.\nVisit twice a year",
            2 => "请用中文联系",
            _ => "",
        };
        w.write_record([
            format!("EXT-{i:08}").as_str(),
            &name,
            kind,
            company,
            &email,
            &phone,
            city,
            country,
            OWNERS[rng.random_range(0..OWNERS.len())],
            VIP[rng.random_range(0..VIP.len())],
            &credit,
            note,
        ])?;
    }
    w.into_inner().map_err(|e| e.into_error())?.flush()
}

/// The CSV to import: `RAPPORT_BENCH_CSV` (kept, reused) or one in `dir`.
fn csv_file(dir: &Path) -> PathBuf {
    let n = rows();
    let path = std::env::var_os("RAPPORT_BENCH_CSV").map(PathBuf::from).unwrap_or_else(|| dir.join("customers.csv"));
    if path.exists() {
        eprintln!("using the existing {}", path.display());
    } else {
        let t = Instant::now();
        generate(&path, n).expect("write the CSV");
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        eprintln!("generated {n} rows ({:.1} MB) in {:.1?} at {}", size as f64 / 1e6, t.elapsed(), path.display());
    }
    path
}

/// One whole `rapport import customers FILE` into a new, empty base.
fn import_once(dir: &Path, csv: &Path, run: usize) -> Duration {
    let db = dir.join(format!("run-{run}.db"));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    // The empty base is made (schema and all) outside the timed part.
    drop(rapport::repo::Repo::open(&db, "bench").expect("new base"));
    let sched = schedstat();
    let t = Instant::now();
    let code = rapport::cli::run_args([
        "rapport".as_ref(),
        "--user".as_ref(),
        "bench".as_ref(),
        "--db".as_ref(),
        db.as_os_str(),
        "import".as_ref(),
        "customers".as_ref(),
        csv.as_os_str(),
    ])
    .expect("import");
    let took = t.elapsed();
    let (on_cpu, waiting) = match (sched, schedstat()) {
        (Some(a), Some(b)) => (format!("{:.2?}", b.0 - a.0), format!("{:.2?}", b.1 - a.1)),
        _ => ("?".into(), "?".into()),
    };
    assert_eq!(code, 0);
    let repo = rapport::repo::Repo::open(&db, "bench").expect("reopen");
    let n = repo.customer_count().expect("count");
    assert_eq!(n as usize, rows(), "every row imported");
    drop(repo);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    eprintln!("run {run}: {} rows in {took:.2?} (on a CPU {on_cpu}, waiting for one {waiting})", rows());
    took
}

/// This thread's time on a CPU and time waiting for one (the machine is
/// shared: the second says how much of the wall time others took), from
/// `/proc/thread-self/schedstat`. The import runs on this thread alone.
fn schedstat() -> Option<(Duration, Duration)> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let mut f = text.split_whitespace().map(|n| n.parse::<u64>().ok());
    Some((Duration::from_nanos(f.next()??), Duration::from_nanos(f.next()??)))
}

fn import(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    // No user config may change what is measured.
    // SAFETY: set before any other thread of this process starts.
    unsafe { std::env::set_var("RAPPORT_CONFIG_DIR", dir.path()) };
    let csv = csv_file(dir.path());
    if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
        eprintln!("load average: {}", load.trim());
    }
    let mut run = 0;
    let mut g = c.benchmark_group("import");
    g.bench_function(format!("customers_csv_{}", rows()), |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| {
                    run += 1;
                    import_once(dir.path(), &csv, run)
                })
                .sum()
        })
    });
    g.finish();
    if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
        eprintln!("load average: {}", load.trim());
    }
}

fn config() -> Criterion {
    // One import is seconds long: ten samples of one import each.
    Criterion::default().sample_size(10).warm_up_time(Duration::from_millis(1)).measurement_time(Duration::from_secs(1))
}

criterion_group! {
    name = benches;
    config = config();
    targets = import
}
criterion_main!(benches);
