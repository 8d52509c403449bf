//! The customers' search index (FTS5 trigram, `src/repo/search_index.rs`)
//! changes how fast a search is, never what it finds: every answer read
//! through it equals the answer of a scan of every customer, whatever was
//! written since (new customers, edits, contacts, merges, archiving), and
//! while it is being filled in steps.

mod undo;

use chrono::NaiveDate;
use rapport::domain::lifecycle::Stage;
use rapport::domain::model::{CustomerKind, CustomerStatus, NewContact, NewCustomer};
use rapport::repo::Repo;
use rapport::repo::customers::{ListFilter, SORT_BELOW};

fn demo_base() -> (tempfile::TempDir, Repo) {
    let dir = tempfile::tempdir().unwrap();
    let mut repo = Repo::open(&dir.path().join("s.db"), "alice").unwrap();
    let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    rapport::demo::generate(
        &mut repo,
        &rapport::demo::DemoOptions { customers: 400, ..rapport::demo::DemoOptions::new(today) },
    )
    .unwrap();
    // Lifecycle stages, for the list filtered by one.
    rapport::services::churn::recompute(&mut repo, &rapport::config::Config::default(), today).unwrap();
    (dir, repo)
}

/// Everything a search shows, for both lists (active and archived): the
/// count, the whole window read by sorting the matches, the window read in
/// name order (as for many matches: right after the count, and with
/// nothing remembered), the counts capped at 1 and 3, and the caller lookup
/// by number.
type Rows = Vec<(i64, String)>;
type Answer = Vec<(usize, Rows, Rows, Rows, [usize; 2], Rows, [Rows; 3], Vec<i64>)>;

/// Another search, so that the next one is read afresh.
fn forget(repo: &Repo) {
    repo.count_customers("\u{1}\u{1}\u{1}", 10).unwrap();
}

fn answer(repo: &Repo, q: &str) -> Answer {
    let filters = [
        ListFilter::default(),
        ListFilter { status: CustomerStatus::Archived, lifecycle: None },
        ListFilter { status: CustomerStatus::Active, lifecycle: Some(Stage::Mature) },
    ];
    filters
        .iter()
        .map(|f| {
            let n = repo.count_customers_in(f, q, 100_000).unwrap();
            let rows = |matches| {
                repo.search_customers_counted(f, q, 0, 100_000, matches)
                    .unwrap()
                    .into_iter()
                    .map(|r| (r.id, r.name))
                    .collect::<Vec<_>>()
            };
            let all = rows(n);
            let many = rows(SORT_BELOW);
            forget(repo);
            let capped = [1, 3].map(|cap| {
                forget(repo);
                repo.count_customers_in(f, q, cap).unwrap()
            });
            // After a capped count, which may have read no customer.
            let after_capped = rows(SORT_BELOW);
            forget(repo);
            let fresh = rows(SORT_BELOW);
            assert_eq!(after_capped, fresh, "{q:?}: read after a capped count and afresh");
            // Screenfuls of a long list (a short search may find them
            // among the first customers in name order).
            let screens = [(0, 10), (7, 5), (n.saturating_sub(3), 10)].map(|(offset, limit)| {
                forget(repo);
                repo.search_customers_counted(f, q, offset, limit, SORT_BELOW)
                    .unwrap()
                    .into_iter()
                    .map(|r| (r.id, r.name))
                    .collect::<Vec<_>>()
            });
            let by_phone = repo.customers_by_phone(q).unwrap().into_iter().map(|r| r.id).collect();
            (n, all, many, fresh, capped, after_capped, screens, by_phone)
        })
        .collect()
}

/// What users type: pieces of the base's own names, companies, emails and
/// phones of every length, in other cases and formats, and a few that
/// match nothing or hold LIKE's and FTS5's special characters.
fn queries(repo: &Repo) -> Vec<String> {
    let mut qs: Vec<String> = [
        "m", "ma", "mar", "müller", "MÜLLER", "mul", "山", "山田", "王", "李", "zzzzzz", "q", "\"", "\"a", "%", "_",
        "a_b", "a b", "  x ", "5147", "+1 (5", "514-7", "00", "0", "@", "example", ".org", "*", "a OR b", "NEAR(", "ö",
        "é", "ß", "ﬁ", // A spacing accent folds to a space: these end in one once folded.
        "smith´", "¨¨", "h´", "´´´", "a¨",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for r in repo.search_customers("", 0, 1_000).unwrap().iter().step_by(7) {
        let name: Vec<char> = r.name.chars().collect();
        for len in [1, 2, 3, 6] {
            if name.len() >= len {
                qs.push(name[..len].iter().collect());
                qs.push(name[name.len() - len..].iter().collect());
            }
        }
        qs.push(r.name.to_uppercase());
        if let Some(p) = &r.phone {
            let digits: String = p.chars().filter(char::is_ascii_digit).collect();
            qs.push(p.clone());
            for len in [3, 4, 7] {
                if digits.len() >= len {
                    qs.push(digits[digits.len() - len..].to_string());
                }
            }
        }
        if let Some(e) = &r.email {
            qs.push(e.split('@').next().unwrap_or_default().to_string());
        }
        if let Some(c) = &r.company {
            qs.push(c.chars().take(4).collect());
        }
    }
    qs.sort();
    qs.dedup();
    qs
}

/// The answers through the index, and the same with the index emptied
/// (every search then scans), then the index caught up again.
fn indexed_and_scanned(repo: &mut Repo, qs: &[String]) -> (Vec<Answer>, Vec<Answer>) {
    assert!(repo.search_index_complete().unwrap());
    let indexed: Vec<Answer> = qs.iter().map(|q| answer(repo, q)).collect();
    repo.reset_search_index().unwrap();
    assert!(!repo.search_index_complete().unwrap());
    let scanned: Vec<Answer> = qs.iter().map(|q| answer(repo, q)).collect();
    repo.catch_up_search_index().unwrap();
    (indexed, scanned)
}

fn assert_same(repo: &mut Repo, qs: &[String], when: &str) {
    let (indexed, scanned) = indexed_and_scanned(repo, qs);
    let (mut found, mut mature) = (0, 0);
    for ((q, i), s) in qs.iter().zip(&indexed).zip(&scanned) {
        assert_eq!(i, s, "{when}: {q:?} through the index (left) and by a scan (right)");
        found += usize::from(s[0].0 > 0);
        mature += usize::from(s[2].0 > 0);
    }
    assert!(found > qs.len() / 2, "{when}: only {found} of {} searches found anyone", qs.len());
    let mature_filter = ListFilter { status: CustomerStatus::Active, lifecycle: Some(Stage::Mature) };
    if repo.count_customers_in(&mature_filter, "", 1).unwrap() > 0 {
        assert!(mature > 0, "{when}: no search found a mature customer");
    }
}

#[test]
fn the_index_finds_exactly_what_a_scan_finds() {
    let (_dir, mut repo) = demo_base();
    let qs = queries(&repo);
    assert!(qs.len() > 300, "{} queries", qs.len());
    let mature = ListFilter { status: CustomerStatus::Active, lifecycle: Some(Stage::Mature) };
    assert!(repo.count_customers_in(&mature, "", 1_000).unwrap() > 10);
    assert_same(&mut repo, &qs, "demo base");
}

#[test]
fn searches_read_the_index_when_it_is_complete() {
    // Take one customer out of the index behind its back: a search that
    // reads the index no longer finds them; one that scans still does.
    let (dir, mut repo) = demo_base();
    let who = repo.search_customers("", 0, 1).unwrap().remove(0);
    let q = who.name.clone();
    assert!(repo.search_customers(&q, 0, 10).unwrap().iter().any(|r| r.id == who.id));
    let conn = rusqlite::Connection::open(dir.path().join("s.db")).unwrap();
    conn.execute("DELETE FROM customer_search WHERE rowid = ?1", [who.id]).unwrap();
    let tail: String = q.chars().rev().take(2).collect::<Vec<_>>().into_iter().rev().collect();
    for q in [q.as_str(), tail.as_str()] {
        assert!(!repo.search_customers(q, 0, 1_000).unwrap().iter().any(|r| r.id == who.id), "{q:?} scanned");
        assert_eq!(repo.count_customers(q, 10_000).unwrap(), repo.search_customers(q, 0, 10_000).unwrap().len());
    }
    repo.reset_search_index().unwrap();
    assert!(repo.search_customers(&q, 0, 10).unwrap().iter().any(|r| r.id == who.id));
    repo.catch_up_search_index().unwrap();
    assert!(repo.search_customers(&q, 0, 10).unwrap().iter().any(|r| r.id == who.id));
}

#[test]
fn writes_keep_the_index_true() {
    let (dir, mut repo) = demo_base();
    let new = |name: &str, phone: &str| NewCustomer {
        phone: Some(phone.into()),
        email: Some(format!("{}@example.jp", name.len())),
        ..NewCustomer::named(CustomerKind::Individual, name)
    };
    let a = repo.create_customer(&new("Ōsaka Qwertz", "+81 6-6123-4567")).unwrap();
    let b = repo.create_customer(&new("Żaneta Qwertz", "+48 22 555 01 99")).unwrap();
    repo.create_contact(&NewContact {
        customer_id: a,
        name: "鈴木一郎".into(),
        role: None,
        email: Some("ichiro@example.jp".into()),
        phone: Some("090-1111-2222".into()),
        birthday: None,
    })
    .unwrap();
    // Nothing after the name (no email, no phone): its last character is
    // still found on its own.
    let bare = repo.create_customer(&NewCustomer::named(CustomerKind::Individual, "Kenji 一郎")).unwrap();
    // Renamed, and archived.
    let mut c = repo.customer(b).unwrap();
    c.name = "Żaneta Kowalczyk".into();
    c.phone = Some("+48 22 777 33 11".into());
    repo.update_customer(&c).unwrap();
    let mut c = repo.customer(b).unwrap();
    c.status = CustomerStatus::Archived;
    repo.update_customer(&c).unwrap();
    // A demo customer merged into another (and so archived).
    let two = repo.search_customers("", 0, 2).unwrap();
    repo.merge_customers(two[0].id, two[1].id).unwrap();

    assert_eq!(repo.search_customers("qwertz", 0, 10).unwrap().len(), 1);
    assert_eq!(repo.search_customers("鈴木", 0, 10).unwrap()[0].id, a);
    assert_eq!(repo.search_customers("1111-2222", 0, 10).unwrap()[0].id, a);
    for q in ["郎", "一郎", "i 一郎"] {
        assert!(repo.search_customers(q, 0, 100).unwrap().iter().any(|r| r.id == bare), "{q}");
    }
    assert_eq!(repo.customers_by_phone("090 1111 2222").unwrap()[0].id, a);
    assert!(repo.search_customers("555 01 99", 0, 10).unwrap().is_empty());
    let archived = ListFilter { status: CustomerStatus::Archived, lifecycle: None };
    assert_eq!(repo.search_customers_in(&archived, "kowalczyk", 0, 10).unwrap()[0].id, b);
    // rapport never deletes a customer (a merge archives), but a row
    // deleted from outside leaves the index too: one entry per customer.
    let doomed = repo.create_customer(&NewCustomer::named(CustomerKind::Individual, "Doomed Row")).unwrap();
    let conn = rusqlite::Connection::open(dir.path().join("s.db")).unwrap();
    conn.execute("DELETE FROM customers WHERE id = ?1", [doomed]).unwrap();
    let count = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
    assert_eq!(count("SELECT count(*) FROM customer_search"), count("SELECT count(*) FROM customers"));
    assert_eq!(count(&format!("SELECT count(*) FROM customer_search WHERE rowid = {doomed}")), 0);
    let mut qs = queries(&repo);
    qs.extend(["郎", "一郎", "qwertz", "鈴木", "鈴", "ichiro", "2222", "kowal", "777 33", "555 01"].map(String::from));
    assert_same(&mut repo, &qs, "after writes");
}

#[test]
fn a_base_indexed_in_steps_while_agents_write_ends_up_exactly_indexed() {
    let (_dir, mut repo) = demo_base();
    let qs = queries(&repo);
    repo.reset_search_index().unwrap();
    let first = repo.index_search_step(150).unwrap();
    assert!(!first.done && first.upto < first.last, "{first:?}");
    assert!(!repo.search_index_complete().unwrap());
    // Written between steps: one customer the index already covers, one
    // it does not yet, and a new one.
    let ids: Vec<i64> = repo.search_customers("", 0, 1_000).unwrap().into_iter().map(|r| r.id).collect();
    let below = *ids.iter().find(|&&id| id <= first.upto).unwrap();
    let above = *ids.iter().find(|&&id| id > first.upto).unwrap();
    for id in [below, above] {
        let mut c = repo.customer(id).unwrap();
        c.name = format!("Quixotic {id}");
        repo.update_customer(&c).unwrap();
    }
    let added =
        repo.create_customer(&NewCustomer::named(CustomerKind::Enterprise, "Quixotic Trading 株式会社")).unwrap();
    // Searches while the index is partly filled scan, and are right.
    assert_eq!(repo.search_customers("quixotic", 0, 10).unwrap().len(), 3);
    let mut steps = 1;
    while !repo.index_search_step(150).unwrap().done {
        steps += 1;
    }
    assert!(steps >= 3, "{steps} steps");
    assert!(repo.search_index_complete().unwrap());
    let found: Vec<i64> = repo.search_customers("quixotic", 0, 10).unwrap().into_iter().map(|r| r.id).collect();
    assert_eq!(found.len(), 3);
    assert!(found.contains(&below) && found.contains(&above) && found.contains(&added));
    assert_eq!(repo.search_customers("株式", 0, 10).unwrap()[0].id, added);
    // And every answer equals a scan's.
    assert_same(&mut repo, &qs, "after a catch-up in steps");
}

#[test]
fn a_first_load_leaves_the_index_to_be_caught_up_and_a_migrated_base_catches_up() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("i.db");
    let csv = dir.path().join("c.csv");
    let mut text = String::from("external_id,name,company,email,phone\n");
    for i in 0..300 {
        let name = ["Zoë Ångström", "山田太郎", "Małgorzata Nowak", "김민준", "O'Brien \"Bob\""][i % 5];
        text +=
            &format!("x{i},\"{} {i}\",\"Acme, {i}\",u{i}@example.org,+1 514 721 {:04}\n", name.replace('"', "\"\""), i);
    }
    std::fs::write(&csv, text).unwrap();
    let args = ["rapport", "--db", db.to_str().unwrap(), "import", "customers", csv.to_str().unwrap()];
    assert_eq!(rapport::cli::run_args(args).unwrap(), 0);
    let mut repo = Repo::open(&db, "alice").unwrap();
    assert!(!repo.search_index_complete().unwrap(), "a first load indexes as it goes");
    let scanned: Vec<Answer> = ["山田", "nowak 12", "7210", "bob", "ångs"].iter().map(|q| answer(&repo, q)).collect();
    assert_eq!(scanned[0][0].0, 60);
    repo.catch_up_search_index().unwrap();
    let indexed: Vec<Answer> = ["山田", "nowak 12", "7210", "bob", "ångs"].iter().map(|q| answer(&repo, q)).collect();
    assert_eq!(indexed, scanned);
    let qs = queries(&repo);
    assert_same(&mut repo, &qs, "after a first load");
    drop(repo);

    // A second import into the indexed base, of new rows and changed ones:
    // the triggers keep the index.
    let mut text = String::from("external_id,name,phone\n");
    for i in (0..300).step_by(3) {
        text += &format!("x{i},Renamed Kowalski {i},+48 22 555 {i:04}\n");
    }
    text += "y1,Brand New Nguyễn,+84 28 3822 9999\n";
    std::fs::write(&csv, text).unwrap();
    let args = ["rapport", "--db", db.to_str().unwrap(), "import", "customers", csv.to_str().unwrap()];
    assert_eq!(rapport::cli::run_args(args).unwrap(), 0);
    let mut repo = Repo::open(&db, "alice").unwrap();
    assert!(repo.search_index_complete().unwrap());
    assert_eq!(repo.count_customers("kowalski", 1_000).unwrap(), 100);
    assert_eq!(repo.count_customers("nguyen", 1_000).unwrap(), 1);
    assert_eq!(repo.count_customers("3822 9999", 1_000).unwrap(), 1);
    let mut qs = qs;
    qs.extend(["kowalski", "renamed", "555 0", "nguyen", "nguyễn", "3822"].map(String::from));
    assert_same(&mut repo, &qs, "after a second import");
    let indexed: Vec<Answer> = qs.iter().map(|q| answer(&repo, q)).collect();
    drop(repo);

    // A base from before the index (schema 9): opened, it starts empty
    // and is caught up in steps.
    let conn = rusqlite::Connection::open(&db).unwrap();
    undo::back_to(&conn, 9);
    drop(conn);
    let mut repo = Repo::open(&db, "alice").unwrap();
    assert!(!repo.search_index_complete().unwrap());
    let again: Vec<Answer> = qs.iter().map(|q| answer(&repo, q)).collect();
    assert!(again == indexed, "a scan after the migration differs from the index before it");
    repo.catch_up_search_index().unwrap();
    assert!(repo.search_index_complete().unwrap());
    assert_same(&mut repo, &qs, "after the migration");
    drop(repo);

    // A base whose index has no positions (schema 15): migration 16 builds
    // it again, by the same catch-up.
    let conn = rusqlite::Connection::open(&db).unwrap();
    undo::back_to(&conn, 15);
    drop(conn);
    let mut repo = Repo::open(&db, "alice").unwrap();
    assert!(!repo.search_index_complete().unwrap());
    repo.catch_up_search_index().unwrap();
    assert_same(&mut repo, &qs, "after migration 16");
}

#[test]
fn a_phone_search_is_not_answered_by_digits_in_the_text() {
    // The index holds the text and the phone digits together: the digits of
    // a formatted number found in someone's email are not their phone.
    let dir = tempfile::tempdir().unwrap();
    let mut repo = Repo::open(&dir.path().join("p.db"), "alice").unwrap();
    let mut a = NewCustomer::named(CustomerKind::Individual, "Ana Phone");
    a.phone = Some("+1 514 721-4711".into());
    repo.create_customer(&a).unwrap();
    let mut b = NewCustomer::named(CustomerKind::Individual, "Ben Mail");
    b.email = Some("x7214711@example.org".into());
    b.phone = Some("+1 555 000 0000".into());
    repo.create_customer(&b).unwrap();
    let mut c = NewCustomer::named(CustomerKind::Individual, "Cy Mail");
    c.email = Some("5147214711@example.org".into());
    repo.create_customer(&c).unwrap();
    assert!(repo.search_index_complete().unwrap());
    for cap in [1, 2, 10] {
        forget(&repo);
        assert_eq!(repo.count_customers("721-4711", cap).unwrap(), 1.min(cap), "cap {cap}");
    }
    let names = |q: &str| repo.search_customers(q, 0, 10).unwrap().into_iter().map(|r| r.name).collect::<Vec<_>>();
    assert_eq!(names("721-4711"), ["Ana Phone"]);
    // Digits alone: the phone digits and the text both count.
    assert_eq!(names("7214711"), ["Ana Phone", "Ben Mail", "Cy Mail"]);
    assert_eq!(names("5147214711"), ["Ana Phone", "Cy Mail"]);
    // A text search of digits (too short for a number) is not a phone search.
    assert_eq!(names("47"), ["Ben Mail", "Cy Mail"]);
    let qs: Vec<String> =
        ["721-4711", "7214711", "47", "5147214711", "+1 514", "x72", "mail"].map(String::from).to_vec();
    assert_same_few(&mut repo, &qs);
}

/// As [`assert_same`], for a base too small for its counts of finds.
fn assert_same_few(repo: &mut Repo, qs: &[String]) {
    let (indexed, scanned) = indexed_and_scanned(repo, qs);
    for ((q, i), s) in qs.iter().zip(&indexed).zip(&scanned) {
        assert_eq!(i, s, "{q:?} through the index (left) and by a scan (right)");
    }
}

#[test]
fn a_remembered_search_is_read_again_once_the_base_changes() {
    // The list counts a search and then reads windows of it; the matches
    // it remembers in between must not outlive a change, by this agent or
    // by another.
    let (dir, mut repo) = demo_base();
    let f = ListFilter::default();
    let names = |repo: &Repo| -> Vec<String> {
        let n = repo.count_customers_in(&f, "xylophon", SORT_BELOW).unwrap();
        let rows = repo.search_customers_counted(&f, "xylophon", 0, 50, n).unwrap();
        assert_eq!(rows.len(), n);
        rows.into_iter().map(|r| r.name).collect()
    };
    assert!(names(&repo).is_empty());
    repo.create_customer(&NewCustomer::named(CustomerKind::Individual, "Xylophone Zed")).unwrap();
    assert_eq!(names(&repo), ["Xylophone Zed"]);
    let mut other = Repo::open(&dir.path().join("s.db"), "bob").unwrap();
    other.create_customer(&NewCustomer::named(CustomerKind::Individual, "Xylophone Abe")).unwrap();
    assert_eq!(names(&repo), ["Xylophone Abe", "Xylophone Zed"]);
    let id = repo.search_customers("xylophone zed", 0, 1).unwrap()[0].id;
    let mut c = other.customer(id).unwrap();
    c.name = "Marimba Zed".into();
    other.update_customer(&c).unwrap();
    assert_eq!(names(&repo), ["Xylophone Abe"]);
    // A two-character search's plan (the index terms that start with it)
    // is remembered between the count and the window, and no longer.
    let short = |repo: &Repo| -> Vec<String> {
        let n = repo.count_customers_in(&f, "qz", SORT_BELOW).unwrap();
        let rows = repo.search_customers_counted(&f, "qz", 0, 50, n).unwrap();
        assert_eq!(rows.len(), n);
        rows.into_iter().map(|r| r.name).collect()
    };
    assert!(short(&repo).is_empty());
    repo.create_customer(&NewCustomer::named(CustomerKind::Individual, "Qzara Lin")).unwrap();
    assert_eq!(short(&repo), ["Qzara Lin"]);
    other.create_customer(&NewCustomer::named(CustomerKind::Individual, "Aqzo Bell")).unwrap();
    assert_eq!(short(&repo), ["Aqzo Bell", "Qzara Lin"]);
}

#[test]
fn long_and_odd_searches_answer_without_error() {
    let (_dir, repo) = demo_base();
    let long_latin: String = "abcdefghij".repeat(60);
    let long_cjk: String = "山田太郎".repeat(150);
    let pasted = "Zoë Ångström | Smith, Jones & Co | zoe@example.fr".repeat(20);
    let digits = "+1 (514) 721-4711 ".repeat(30);
    for q in [
        long_latin.as_str(),
        long_cjk.as_str(),
        pasted.as_str(),
        digits.as_str(),
        "\"\"\"",
        "a\"b",
        "'; DROP",
        "NOT a",
        "(((",
        "^",
        "-x",
    ] {
        let n = repo.count_customers(q, 10_001).unwrap_or_else(|e| panic!("{q:?}: {e}"));
        let rows = repo.search_customers(q, 0, 50).unwrap_or_else(|e| panic!("{q:?}: {e}"));
        assert_eq!(rows.len(), n.min(50), "{q:?}");
        repo.customers_by_phone(q).unwrap_or_else(|e| panic!("{q:?}: {e}"));
    }
}

/// Thousands of customers hold the same text: an exact search counts them
/// from the index alone when nobody has another status, and reads a
/// window near the top of its list in name order. Every window equals the
/// one a scan gives, at the top, further down and at the end, with and
/// without archived customers.
#[test]
fn a_search_with_thousands_of_matches_reads_the_same_windows_by_name_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut repo = Repo::open(&dir.path().join("m.db"), "alice").unwrap();
    let names = ["Müller", "Mueller", "Schmidt", "Muller-Lyer", "Anna Müllerová"];
    for i in 0..4_000 {
        // Spread over the alphabet, so that name order interleaves matches
        // with others.
        let name = format!("{} {}{:04}", names[i % names.len()], ["A", "K", "Z", "b", "ä"][i % 3], (i * 7919) % 4_000);
        repo.create_customer(&NewCustomer::named(CustomerKind::Individual, &name)).unwrap();
    }
    let windows = |repo: &Repo, q: &str| {
        let f = ListFilter::default();
        forget(repo);
        let n = repo.count_customers_in(&f, q, SORT_BELOW).unwrap();
        let at = |offset: usize| {
            repo.search_customers_counted(&f, q, offset, 200, n)
                .unwrap()
                .into_iter()
                .map(|r| (r.id, r.name))
                .collect::<Vec<_>>()
        };
        (n, [0, 150, 1_000, n.saturating_sub(100)].map(at))
    };
    let qs = ["mül", "müller", "muller", "mueller", "schmidt", "a0", "k00"];
    for archived in [false, true] {
        if archived {
            for id in [3, 500, 3_999] {
                let mut c = repo.customer(id).unwrap();
                c.status = CustomerStatus::Archived;
                repo.update_customer(&c).unwrap();
            }
        }
        let indexed: Vec<_> = qs.iter().map(|q| windows(&repo, q)).collect();
        assert!(indexed[0].0 >= 2_000, "too few matches to read by name order: {}", indexed[0].0);
        repo.reset_search_index().unwrap();
        let scanned: Vec<_> = qs.iter().map(|q| windows(&repo, q)).collect();
        repo.catch_up_search_index().unwrap();
        for ((q, i), s) in qs.iter().zip(&indexed).zip(&scanned) {
            assert_eq!(i, s, "{q:?} (archived: {archived}) through the index (left) and by a scan (right)");
            assert_eq!(i.1[0].len(), 200.min(i.0), "{q:?}");
        }
    }
}
