//! Import and export through the real binary: CSV files with bad rows,
//! strict and dry runs, BOMs and delimiters, vCards, round trips, and the
//! iCalendar export of what is due. Real data comes from ../shared/data
//! (skipped with a message where that folder is absent).

mod shared_data;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use chrono::{TimeZone, Utc};
use rapport::domain::model::{
    CustomerKind, NewContact, NewCustomer, NewPromise, NewReminder, NewTransaction, ReminderKind, TxKind,
};
use rapport::domain::money::Money;
use rapport::repo::Repo;

fn rapport(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rapport"));
    c.env("RAPPORT_CONFIG_DIR", dir).env("TZ", "UTC").env_remove("RAPPORT_DB");
    c
}

struct Run {
    ok: bool,
    stdout: String,
    stderr: String,
}

fn run(dir: &Path, db: &Path, args: &[&str]) -> Run {
    let out = rapport(dir).args(args).arg("--db").arg(db).output().unwrap();
    let r = Run {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    r
}

/// Runs and insists on success.
fn ok(dir: &Path, db: &Path, args: &[&str]) -> Run {
    let r = run(dir, db, args);
    assert!(r.ok, "rapport {args:?} failed:\n{}", r.stderr);
    r
}

fn import(dir: &Path, db: &Path, kind: &str, file: &Path, extra: &[&str]) -> Run {
    let mut args = vec!["import", kind, file.to_str().unwrap()];
    args.extend_from_slice(extra);
    run(dir, db, &args)
}

fn export_json(dir: &Path, db: &Path, what: &str) -> Vec<serde_json::Value> {
    let r = ok(dir, db, &["export", what, "--format", "json"]);
    serde_json::from_str::<serde_json::Value>(&r.stdout).unwrap().as_array().unwrap().clone()
}

fn count(dir: &Path, db: &Path, what: &str) -> usize {
    if !db.exists() {
        return 0;
    }
    export_json(dir, db, what).len()
}

fn s(v: &serde_json::Value) -> &str {
    v.as_str().unwrap_or("")
}

fn data_dir() -> Option<PathBuf> {
    shared_data::dir("chinook")
}

fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header = r.headers().unwrap().iter().map(str::to_string).collect();
    let rows = r.records().map(|x| x.unwrap().iter().map(str::to_string).collect()).collect();
    (header, rows)
}

const CHINOOK_CUSTOMERS: &[&str] = &["--map", "customer_id=external_id"];
const CHINOOK_INVOICES: &[&str] =
    &["--map", "invoice_id=external_id", "--map", "customer_id=customer_external_id", "--map", "total=amount"];

#[test]
fn chinook_customers_and_invoices_import_and_reimport_adds_nothing() {
    let Some(data) = data_dir() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (tmp, db) = (dir.path(), dir.path().join("chinook.db"));
    let customers_csv = data.join("chinook/customers.csv");
    let invoices_csv = data.join("chinook/invoices.csv");

    let r = import(tmp, &db, "customers", &customers_csv, CHINOOK_CUSTOMERS);
    assert!(r.ok, "{}", r.stderr);
    assert!(r.stdout.contains("59 added, 0 updated, 0 unchanged, 0 rejected"), "{}", r.stdout);
    // Columns with no field are named, not silently dropped.
    assert!(r.stderr.contains("address, state, postal_code"), "{}", r.stderr);

    // Every customer as in the raw file, accents included (values are
    // trimmed: the file has "Edinburgh ").
    let (header, raw) = read_csv(&customers_csv);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let stored: HashMap<String, serde_json::Value> =
        export_json(tmp, &db, "customers").into_iter().map(|c| (s(&c["external_id"]).to_string(), c)).collect();
    assert_eq!(stored.len(), 59);
    for row in &raw {
        let c = &stored[&row[col("customer_id")]];
        assert_eq!(s(&c["name"]), format!("{} {}", row[col("first_name")], row[col("last_name")]));
        assert_eq!(s(&c["email"]), row[col("email")].trim());
        assert_eq!(s(&c["phone"]), row[col("phone")].trim());
        assert_eq!(s(&c["city"]), row[col("city")].trim());
        assert_eq!(s(&c["country"]), row[col("country")].trim());
        assert_eq!(s(&c["company"]), row[col("company")].trim());
    }
    assert_eq!(s(&stored["1"]["name"]), "Luís Gonçalves");
    assert_eq!(s(&stored["3"]["city"]), "Montréal");

    let r = import(tmp, &db, "transactions", &invoices_csv, CHINOOK_INVOICES);
    assert!(r.ok, "{}", r.stderr);
    assert!(r.stdout.contains("412 added, 0 updated, 0 unchanged, 0 rejected"), "{}", r.stdout);

    // Counts and sums against the raw file, per customer, to the cent.
    let (header, raw) = read_csv(&invoices_csv);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let mut expected: HashMap<String, i64> = HashMap::new();
    for row in &raw {
        *expected.entry(row[col("customer_id")].clone()).or_default() += Money::parse(&row[col("total")]).unwrap().0;
    }
    let txs = export_json(tmp, &db, "transactions");
    assert_eq!(txs.len(), 412);
    let mut got: HashMap<String, i64> = HashMap::new();
    for t in &txs {
        assert_eq!(s(&t["kind"]), "sale");
        *got.entry(s(&t["customer_external_id"]).to_string()).or_default() += Money::parse(s(&t["amount"])).unwrap().0;
    }
    assert_eq!(got, expected);
    assert_eq!(got.values().sum::<i64>(), 232_860, "Chinook's invoices total 2,328.60");
    let first = txs.iter().find(|t| s(&t["external_id"]) == "1").unwrap();
    assert_eq!(s(&first["date"]), "2021-01-01T12:00:00Z");
    assert_eq!(s(&first["customer"]), "Leonie Köhler");

    // Importing both again adds and changes nothing.
    let r = import(tmp, &db, "customers", &customers_csv, CHINOOK_CUSTOMERS);
    assert!(r.stdout.contains("0 added, 0 updated, 59 unchanged, 0 rejected"), "{}", r.stdout);
    let r = import(tmp, &db, "transactions", &invoices_csv, CHINOOK_INVOICES);
    assert!(r.stdout.contains("0 added, 0 updated, 412 unchanged, 0 rejected"), "{}", r.stdout);
    assert_eq!(count(tmp, &db, "customers"), 59);
    assert_eq!(count(tmp, &db, "transactions"), 412);

    // One audit entry per import, none per row; the pyramid was recomputed.
    let repo = Repo::open_existing(&db, "test").unwrap();
    for n in 1..=4 {
        let entries = repo.audit_for("import", n).unwrap();
        assert_eq!(entries.len(), 1, "import #{n}");
        assert_eq!(entries[0].action, "import");
    }
    let summary: serde_json::Value = serde_json::from_str(&repo.audit_for("import", 2).unwrap()[0].changes).unwrap();
    assert_eq!(summary["kind"], "transactions");
    assert_eq!(summary["added"], 412);
    assert!(repo.audit_for("import", 5).unwrap().is_empty());
    assert!(repo.audit_for("customer", 1).unwrap().is_empty());
    assert!(repo.audit_for("transaction", 1).unwrap().is_empty());
    assert!(!repo.snapshot_days(1).unwrap().is_empty(), "the pyramid was not recomputed");
}

fn write(path: &Path, text: &str) -> PathBuf {
    std::fs::write(path, text).unwrap();
    path.to_path_buf()
}

const TWO_CUSTOMERS: &str = "external_id,name,email\n\
c1,Alice Martin,alice@example.com\n\
c2,,nobody@example.com\n\
c3,\"Bob \"\"the builder\"\" Durand\",bob@example.com\n";

#[test]
fn bad_rows_are_reported_by_line_and_column_and_set_aside() {
    let dir = tempfile::tempdir().unwrap();
    let (tmp, db) = (dir.path(), dir.path().join("t.db"));

    let customers = write(&tmp.join("customers.csv"), TWO_CUSTOMERS);
    let r = import(tmp, &db, "customers", &customers, &[]);
    assert!(r.ok, "{}", r.stderr);
    assert!(r.stdout.contains("2 added, 0 updated, 0 unchanged, 1 rejected"), "{}", r.stdout);
    assert!(r.stderr.contains("customers.csv:3: column \"name\": missing required field name"), "{}", r.stderr);
    let (header, rows) = read_csv(&tmp.join("customers.rejects.csv"));
    assert_eq!(header, ["reject_reason", "external_id", "name", "email"]);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][1..], ["c2", "", "nobody@example.com"]);
    assert!(rows[0][0].contains("line 3") && rows[0][0].contains("missing required field name"), "{:?}", rows[0]);

    // Line numbers count physical lines: the quoted reference of the first
    // row spans lines 2 and 3.
    let txs = write(
        &tmp.join("transactions.csv"),
        "external_id,customer_external_id,date,amount,kind,reference\n\
         t1,c1,2024-01-05,10.00,sale,\"multi\n\
         line ref\"\n\
         t2,c1,2024-13-05,10.00,sale,r2\n\
         t3,c3,2024-01-05,ten,sale,r3\n\
         t4,c9,2024-01-05,5.00,sale,r4\n\
         t5,c3,2024-01-05,5.00,sale\n\
         t6,c3,2024-01-06T09:30:00+02:00,\"1,234.50\",refund,r6\n\
         t7,c1,2024-01-07,-3.00,sale,r7\n\
         t8,,2024-01-07,3.00,sale,r8\n\
         t9,c1,2024-01-07,3.00,sale,r9,extra\n",
    );
    let r = import(tmp, &db, "transactions", &txs, &[]);
    assert!(r.ok, "{}", r.stderr);
    assert!(r.stdout.contains("2 added, 0 updated, 0 unchanged, 7 rejected"), "{}", r.stdout);
    assert!(r.stdout.contains("transactions.rejects.csv"), "{}", r.stdout);
    let expected = [
        "transactions.csv:4: column \"date\": bad date: \"2024-13-05\" is not a date (YYYY-MM-DD or RFC 3339)",
        "transactions.csv:5: column \"amount\": bad amount: \"ten\" is not an amount",
        "transactions.csv:6: column \"customer_external_id\": unknown customer: no customer has external id \"c9\"",
        "transactions.csv:7: column \"reference\": wrong column count: expected 6, found 5",
        "transactions.csv:9: column \"amount\": bad amount: \"-3.00\" is negative",
        "transactions.csv:10: column \"customer_external_id\": missing required field customer_external_id",
        "transactions.csv:11: column 7 (beyond the header): wrong column count: expected 6, found 7",
    ];
    for e in expected {
        assert!(r.stderr.contains(e), "{e}\nnot in:\n{}", r.stderr);
    }
    let bad_lines: Vec<&str> = r.stderr.lines().filter(|l| l.contains("transactions.csv:")).collect();
    assert_eq!(bad_lines.len(), 7, "{}", r.stderr);

    // The rejects file: the header, a reason column, each bad row as it was.
    let (header, rows) = {
        let mut rd = csv::ReaderBuilder::new().flexible(true).from_path(tmp.join("transactions.rejects.csv")).unwrap();
        let h: Vec<String> = rd.headers().unwrap().iter().map(str::to_string).collect();
        let rows: Vec<Vec<String>> = rd.records().map(|x| x.unwrap().iter().map(str::to_string).collect()).collect();
        (h, rows)
    };
    assert_eq!(header, ["reject_reason", "external_id", "customer_external_id", "date", "amount", "kind", "reference"]);
    let ids: Vec<&str> = rows.iter().map(|r| r[1].as_str()).collect();
    assert_eq!(ids, ["t2", "t3", "t4", "t5", "t7", "t8", "t9"]);
    assert_eq!(rows[3].len(), 6, "a short row stays short");
    assert_eq!(rows[6][7], "extra");
    assert!(rows[0][0].starts_with("line 4, column \"date\": bad date"), "{:?}", rows[0]);

    // The rejects file imported again (nothing fixed): its own rejects
    // have one reason column, this run's reasons, and the same rows.
    let again = import(tmp, &db, "transactions", &tmp.join("transactions.rejects.csv"), &[]);
    assert!(again.stdout.contains("0 added, 0 updated, 0 unchanged, 7 rejected"), "{}{}", again.stdout, again.stderr);
    let (header2, rows2) = {
        let path = tmp.join("transactions.rejects.rejects.csv");
        let mut rd = csv::ReaderBuilder::new().flexible(true).from_path(path).unwrap();
        let h: Vec<String> = rd.headers().unwrap().iter().map(str::to_string).collect();
        let rows: Vec<Vec<String>> = rd.records().map(|x| x.unwrap().iter().map(str::to_string).collect()).collect();
        (h, rows)
    };
    assert_eq!(header2, header);
    assert_eq!(rows2.iter().map(|r| r[1].as_str()).collect::<Vec<_>>(), ids);
    assert!(rows2[0][0].starts_with("line 2, column \"date\": bad date"), "{:?}", rows2[0]);
    assert_eq!(rows2[6][1..], rows[6][1..]);

    // The good rows are in.
    let stored = export_json(tmp, &db, "transactions");
    assert_eq!(stored.len(), 2);
    assert_eq!(s(&stored[0]["external_id"]), "t1");
    assert_eq!(s(&stored[0]["reference"]), "multi\nline ref");
    assert_eq!(s(&stored[0]["amount"]), "10.00");
    assert_eq!(s(&stored[1]["external_id"]), "t6");
    assert_eq!(s(&stored[1]["kind"]), "refund");
    assert_eq!(s(&stored[1]["amount"]), "-1234.50");
    assert_eq!(s(&stored[1]["date"]), "2024-01-06T07:30:00Z");
    assert_eq!(s(&stored[1]["customer"]), "Bob \"the builder\" Durand");

    // A clean re-import of fixed rows removes the stale rejects file.
    let fixed = write(
        &tmp.join("transactions.csv"),
        "external_id,customer_external_id,date,amount,kind,reference\nt2,c1,2024-12-05,10.00,sale,r2\n",
    );
    let r = import(tmp, &db, "transactions", &fixed, &[]);
    assert!(r.stdout.contains("1 added"), "{}", r.stdout);
    assert!(!tmp.join("transactions.rejects.csv").exists());
}

/// Bad rows are reported at the same line numbers whatever the line
/// endings (the CSV reader counted CRLF files a line short).
#[test]
fn crlf_files_report_the_same_line_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let (tmp, db) = (dir.path(), dir.path().join("t.db"));
    let rows = ["external_id,name,note", "a1,Ann,\"two\nlines\"", "a2,,x", "a3,Cy,y", "a4,,z"];
    for (name, eol) in [("lf.csv", "\n"), ("crlf.csv", "\r\n"), ("bom.csv", "\r\n")] {
        let mut text = rows.join(eol).replace('\n', eol).replace("\r\r", "\r") + eol;
        if name == "bom.csv" {
            text.insert(0, '\u{feff}');
        }
        let file = write(&tmp.join(name), &text);
        let r = import(tmp, &db, "customers", &file, &["--dry-run"]);
        for line in [4, 6] {
            let said = format!("{name}:{line}: column \"name\": missing required field name");
            assert!(r.stderr.contains(&said), "{said} not in:\n{}", r.stderr);
        }
    }
}

/// A quote that is never closed swallows the rest of the file into the
/// last row, which the CSV reader returns as if closed: that row is bad
/// (rejected, or under --strict nothing is written), wherever the quote is.
#[test]
fn an_unclosed_quote_is_a_bad_row() {
    let dir = tempfile::tempdir().unwrap();
    let (tmp, db) = (dir.path(), dir.path().join("t.db"));
    let at_end = write(&tmp.join("end.csv"), "name,email\nAnn,a@x.org\nBob,\"b@x.org\n");
    let r = import(tmp, &db, "customers", &at_end, &["--strict"]);
    assert!(!r.ok);
    assert!(
        r.stderr
            .contains("end.csv:3: column \"email\": a quoted field is never closed: the file ends inside its quotes"),
        "{}",
        r.stderr
    );
    assert_eq!(count(tmp, &db, "customers"), 0);
    let r = import(tmp, &db, "customers", &at_end, &[]);
    assert!(r.ok && r.stdout.contains("1 added, 0 updated, 0 unchanged, 1 rejected"), "{}{}", r.stdout, r.stderr);
    assert_eq!(s(&export_json(tmp, &db, "customers")[0]["name"]), "Ann");
    // In the middle: the rest of the file is that one bad row.
    let middle = write(&tmp.join("mid.csv"), "\u{feff}name,email\nCid,\"c@x.org\nDee,d@x.org\n");
    let r = import(tmp, &db, "customers", &middle, &["--strict"]);
    assert!(r.stderr.contains("mid.csv:2: column \"email\": a quoted field is never closed"), "{}", r.stderr);
    // A quote inside an unquoted field is a character (inches), even in
    // the last row; the delimiter is the file's.
    let inches = write(&tmp.join("inches.csv"), "name,note\nAcme,Display 27\" 4K\nBeta,Display 32\" 8K\n");
    let r = import(tmp, &db, "customers", &inches, &["--strict"]);
    assert!(r.ok && r.stdout.contains("2 added"), "{}{}", r.stdout, r.stderr);
    let semi = write(&tmp.join("semi.csv"), "name;note\nAnn;x\nBob;\"y;z\n");
    let r = import(tmp, &db, "customers", &semi, &["--strict", "--delimiter", ";"]);
    assert!(r.stderr.contains("semi.csv:3: column \"note\": a quoted field is never closed"), "{}", r.stderr);
    // Quotes written twice inside quotes are not unclosed ones.
    let fine = write(&tmp.join("fine.csv"), "name,note\n\"Eve \"\"E\"\"\",\"a \"\"b\"\"\"\n");
    let r = import(tmp, &db, "customers", &fine, &["--strict"]);
    assert!(r.ok && r.stdout.contains("1 added"), "{}{}", r.stdout, r.stderr);
}

#[test]
fn strict_and_dry_run_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (tmp, db) = (dir.path(), dir.path().join("t.db"));
    let customers = write(&tmp.join("customers.csv"), TWO_CUSTOMERS);

    // --strict: one bad row, nothing written, no rejects file, exit 1.
    let r = import(tmp, &db, "customers", &customers, &["--strict"]);
    assert!(!r.ok);
    assert!(r.stderr.contains("customers.csv:3: column \"name\": missing required field name"), "{}", r.stderr);
    assert!(r.stderr.contains("1 bad row; --strict: nothing was imported"), "{}", r.stderr);
    assert!(r.stdout.is_empty());
    assert_eq!(count(tmp, &db, "customers"), 0);
    assert!(!tmp.join("customers.rejects.csv").exists());

    // --dry-run: says what would happen, writes nothing (not even a new base).
    let fresh = tmp.join("fresh.db");
    let r = import(tmp, &fresh, "customers", &customers, &["--dry-run"]);
    assert!(r.ok && r.stdout.contains("2 added, 0 updated, 0 unchanged, 1 rejected"), "{}{}", r.stdout, r.stderr);
    assert!(!fresh.exists());
    let r = import(tmp, &db, "customers", &customers, &["--dry-run"]);
    assert!(r.ok, "{}", r.stderr);
    assert!(r.stdout.contains("dry run, nothing written"), "{}", r.stdout);
    assert!(r.stdout.contains("2 added, 0 updated, 0 unchanged, 1 rejected"), "{}", r.stdout);
    assert!(r.stderr.contains("customers.csv:3:"), "{}", r.stderr);
    assert_eq!(count(tmp, &db, "customers"), 0);
    assert!(!tmp.join("customers.rejects.csv").exists());
    // Dry run and strict together: a validation pass for scripts.
    assert!(!import(tmp, &db, "customers", &customers, &["--dry-run", "--strict"]).ok);

    let r = import(tmp, &db, "customers", &customers, &[]);
    assert!(r.stdout.contains("2 added"), "{}", r.stdout);
    assert_eq!(count(tmp, &db, "customers"), 2);

    // The same for transactions, and for an update: before == after.
    let txs = write(
        &tmp.join("tx.csv"),
        "external_id,customer_external_id,date,amount\nt1,c1,2024-01-05,10.00\nt2,c1,2024-01-06,1O.00\n",
    );
    let before = export_json(tmp, &db, "customers");
    let r = import(tmp, &db, "transactions", &txs, &["--strict"]);
    assert!(!r.ok);
    assert!(r.stderr.contains("tx.csv:3: column \"amount\": bad amount"), "{}", r.stderr);
    assert_eq!(count(tmp, &db, "transactions"), 0);
    let r = import(tmp, &db, "transactions", &txs, &["--dry-run"]);
    assert!(r.stdout.contains("1 added, 0 updated, 0 unchanged, 1 rejected"), "{}", r.stdout);
    assert_eq!(count(tmp, &db, "transactions"), 0);
    let renamed = write(&tmp.join("renamed.csv"), "external_id,name,email\nc1,Alice Dupont,alice@example.com\n");
    let r = import(tmp, &db, "customers", &renamed, &["--dry-run"]);
    assert!(r.stdout.contains("0 added, 1 updated"), "{}", r.stdout);
    assert_eq!(export_json(tmp, &db, "customers"), before);
    let r = import(tmp, &db, "customers", &renamed, &[]);
    assert!(r.stdout.contains("0 added, 1 updated"), "{}", r.stdout);
    assert_eq!(s(&export_json(tmp, &db, "customers")[0]["name"]), "Alice Dupont");
}

#[test]
fn a_bom_and_other_delimiters_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let (tmp, db) = (dir.path(), dir.path().join("t.db"));
    let bom = write(
        &tmp.join("bom.csv"),
        "\u{feff}external_id,name,kind,credit_limit,on_hold\r\nb1,Zoë Ångström,household,\"1,500.00\",yes\r\n",
    );
    let r = import(tmp, &db, "customers", &bom, &[]);
    assert!(r.ok && r.stdout.contains("1 added"), "{}{}", r.stdout, r.stderr);
    assert!(!r.stderr.contains("ignoring"), "{}", r.stderr);
    let semi = write(
        &tmp.join("semi.csv"),
        "\u{feff}External_ID;Name;Company;Phone\nb2;山田太郎;Dupont, Fils & Cie;+81 3 1234 5678\nb3;\"Jean; dit \"\"Jo\"\"\";;\n",
    );
    let r = import(tmp, &db, "customers", &semi, &["--delimiter", ";"]);
    assert!(r.ok && r.stdout.contains("2 added"), "{}{}", r.stdout, r.stderr);
    let tab = write(&tmp.join("tab.tsv"), "external_id\tname\nb4\tTab Person\n");
    let r = import(tmp, &db, "customers", &tab, &["--delimiter", "tab"]);
    assert!(r.ok && r.stdout.contains("1 added"), "{}{}", r.stdout, r.stderr);

    let c: HashMap<String, serde_json::Value> =
        export_json(tmp, &db, "customers").into_iter().map(|c| (s(&c["external_id"]).to_string(), c)).collect();
    assert_eq!(s(&c["b1"]["name"]), "Zoë Ångström");
    assert_eq!(s(&c["b1"]["kind"]), "household");
    assert_eq!(s(&c["b1"]["credit_limit"]), "1500.00");
    assert_eq!(c["b1"]["on_hold"], true);
    assert_eq!(s(&c["b2"]["name"]), "山田太郎");
    assert_eq!(s(&c["b2"]["company"]), "Dupont, Fils & Cie");
    assert_eq!(s(&c["b3"]["name"]), "Jean; dit \"Jo\"");
    assert_eq!(s(&c["b4"]["name"]), "Tab Person");

    // Bad options and layouts get a clear message before anything is read.
    let r = import(tmp, &db, "customers", &semi, &["--delimiter", "::"]);
    assert!(!r.ok && r.stderr.contains("one-character"), "{}", r.stderr);
    let r = import(tmp, &db, "transactions", &semi, &["--delimiter", ";"]);
    assert!(!r.ok && r.stderr.contains("no column gives the customer"), "{}", r.stderr);
    let r = import(tmp, &db, "customers", &bom, &["--map", "nope=name"]);
    assert!(!r.ok && r.stderr.contains("has no column \"nope\""), "{}", r.stderr);
    let r = import(tmp, &db, "customers", &bom, &["--map", "name=colour"]);
    assert!(!r.ok && r.stderr.contains("\"colour\" is not a field of customers"), "{}", r.stderr);
    assert_eq!(count(tmp, &db, "customers"), 4);
}

const VCARDS: &str = "BEGIN:VCARD\r\n\
VERSION:3.0\r\n\
FN:Zoë Ångström-Lindqvist de la Fontaine\\, directrice des achats pour l'Europe \r\n du Nord\r\n\
N:Ångström;Zoë;;;\r\n\
ORG:Smith\\, Jones \\; Co;Purchasing\r\n\
TITLE:Head of purchasing\r\n\
TEL;TYPE=work,voice:+33 1 42 68 53 00\r\n\
TEL;TYPE=cell,pref:+33 6 12 \r\n 34 56 78\r\n\
EMAIL;TYPE=INTERNET:zoe@example.fr\r\n\
BDAY:1985-04-12\r\n\
END:VCARD\r\n\
BEGIN:VCARD\r\n\
VERSION:4.0\r\n\
UID:urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1\r\n\
FN:山田太郎\r\n\
TEL;VALUE=uri;TYPE=cell:tel:+81-3-1234-5678\r\n\
EMAIL:taro@example.jp\r\n\
BDAY:19790201\r\n\
END:VCARD\r\n";

#[test]
fn vcards_become_contacts_of_their_organisation() {
    let dir = tempfile::tempdir().unwrap();
    let (tmp, db) = (dir.path(), dir.path().join("t.db"));
    let vcf = write(&tmp.join("people.vcf"), VCARDS);
    let r = import(tmp, &db, "contacts", &vcf, &[]);
    assert!(r.ok, "{}", r.stderr);
    assert!(r.stdout.contains("2 added, 0 updated, 0 unchanged, 0 rejected, 2 customers created"), "{}", r.stdout);

    let customers = export_json(tmp, &db, "customers");
    let kind_of = |name: &str| {
        s(&customers.iter().find(|c| s(&c["name"]) == name).unwrap_or_else(|| panic!("{name}"))["kind"]).to_string()
    };
    assert_eq!(kind_of("Smith, Jones ; Co"), "enterprise");
    assert_eq!(kind_of("山田太郎"), "individual");
    let contacts = export_json(tmp, &db, "contacts");
    assert_eq!(contacts.len(), 2);
    let zoe = &contacts[0];
    assert_eq!(s(&zoe["name"]), "Zoë Ångström-Lindqvist de la Fontaine, directrice des achats pour l'Europe du Nord");
    assert_eq!(s(&zoe["customer"]), "Smith, Jones ; Co");
    assert_eq!(s(&zoe["role"]), "Head of purchasing");
    assert_eq!(s(&zoe["phone"]), "+33 6 12 34 56 78", "the preferred number");
    assert_eq!(s(&zoe["email"]), "zoe@example.fr");
    assert_eq!(s(&zoe["birthday"]), "1985-04-12");
    let taro = &contacts[1];
    assert_eq!(s(&taro["customer"]), "山田太郎");
    assert_eq!(s(&taro["phone"]), "+81-3-1234-5678");
    assert_eq!(s(&taro["birthday"]), "1979-02-01");
    assert_eq!(s(&taro["external_id"]), "urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1");

    // Again: nothing new, and the contacts are found by phone digits.
    let r = import(tmp, &db, "contacts", &vcf, &[]);
    assert!(r.stdout.contains("0 added, 0 updated, 2 unchanged, 0 rejected"), "{}", r.stdout);
    assert!(!r.stdout.contains("customers created"), "{}", r.stdout);
    let repo = Repo::open_existing(&db, "t").unwrap();
    assert_eq!(repo.customers_by_phone("3 1234 5678").unwrap().len(), 1);

    // A bad card is reported by line and set aside; the good one goes in.
    let bad = write(
        &tmp.join("bad.vcf"),
        "BEGIN:VCARD\nVERSION:3.0\nFN:Bad Birthday\nBDAY:1985-13-45\nEND:VCARD\n\
         BEGIN:VCARD\nVERSION:3.0\nFN:Good Person\nORG:Smith\\, Jones \\; Co\nEND:VCARD\n",
    );
    let r = import(tmp, &db, "contacts", &bad, &[]);
    assert!(r.ok, "{}", r.stderr);
    assert!(r.stdout.contains("1 added, 0 updated, 0 unchanged, 1 rejected"), "{}", r.stdout);
    assert!(r.stderr.contains("bad.vcf:4: column BDAY: \"1985-13-45\" is not a date"), "{}", r.stderr);
    let rejects = std::fs::read_to_string(tmp.join("bad.rejects.vcf")).unwrap();
    assert!(rejects.starts_with("BEGIN:VCARD\r\nX-RAPPORT-REJECT:line 4\\, BDAY"), "{rejects}");
    assert!(rejects.contains("FN:Bad Birthday") && !rejects.contains("Good Person"), "{rejects}");
    assert_eq!(count(tmp, &db, "contacts"), 3);
    assert_eq!(count(tmp, &db, "customers"), 2);

    // A birthday without a year cannot be kept: the card goes in, and
    // stderr says what was left out.
    let yearless =
        write(&tmp.join("yearless.vcf"), "BEGIN:VCARD\nVERSION:4.0\nFN:Ida Noyear\nBDAY:--0415\nEND:VCARD\n");
    let r = import(tmp, &db, "contacts", &yearless, &[]);
    assert!(r.ok && r.stdout.contains("1 added"), "{}{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("yearless.vcf:4: BDAY \"--0415\" has no year: the birthday is not kept"), "{}", r.stderr);
}

/// A CSV export without the columns that differ between bases.
fn comparable(path: &Path) -> Vec<Vec<String>> {
    let (header, rows) = read_csv(path);
    let keep: Vec<usize> = header
        .iter()
        .enumerate()
        .filter(|(_, h)| !matches!(h.as_str(), "id" | "created_at" | "updated_at"))
        .map(|(i, _)| i)
        .collect();
    let mut out = vec![keep.iter().map(|&i| header[i].clone()).collect::<Vec<_>>()];
    out.extend(rows.into_iter().map(|r| keep.iter().map(|&i| r[i].clone()).collect()));
    out
}

#[test]
fn export_then_import_gives_the_same_data() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path();
    let (a, b) = (tmp.join("a.db"), tmp.join("b.db"));
    ok(tmp, &a, &["demo", "--customers", "40"]);
    {
        // Text that needs quoting, and records without external ids.
        let mut repo = Repo::open(&a, "test").unwrap();
        let mut c = NewCustomer::named(CustomerKind::Enterprise, "O'Brien, \"Dan\" & Sons");
        c.note = Some("  line one\nline two, with; marks  ".into());
        c.email = Some("dan@obrien.example".into());
        let id = repo.create_customer(&c).unwrap();
        for name in ["Siobhán Ó Briain", "Siobhán Ó Briain"] {
            repo.create_contact(&NewContact {
                customer_id: id,
                name: name.into(),
                role: Some("Buyer, \"senior\"".into()),
                email: None,
                phone: Some("+353 1 234 5678".into()),
                birthday: None,
            })
            .unwrap();
        }
        for _ in 0..2 {
            repo.create_transaction(&NewTransaction {
                customer_id: id,
                external_id: None,
                kind: TxKind::Refund,
                amount: Money(1250),
                occurred_at: Utc.with_ymd_and_hms(2025, 3, 1, 8, 0, 0).unwrap(),
                reference: Some("RMA, 7".into()),
            })
            .unwrap();
        }
    }
    // The pyramid as of today on both sides.
    ok(tmp, &a, &["report", "pyramid"]);
    let kinds = ["customers", "contacts", "transactions"];
    for k in kinds {
        let out = tmp.join(format!("a-{k}.csv"));
        ok(tmp, &a, &["export", k, "-o", out.to_str().unwrap()]);
    }
    for k in kinds {
        let r = import(tmp, &b, k, &tmp.join(format!("a-{k}.csv")), &["--strict"]);
        assert!(r.ok, "{k}: {}", r.stderr);
        assert!(r.stdout.contains("0 updated, 0 unchanged, 0 rejected"), "{k}: {}", r.stdout);
        assert!(!r.stderr.contains("ignoring"), "{k}: {}", r.stderr);
    }
    for k in kinds {
        let out = tmp.join(format!("b-{k}.csv"));
        ok(tmp, &b, &["export", k, "-o", out.to_str().unwrap()]);
        let (x, y) = (comparable(&tmp.join(format!("a-{k}.csv"))), comparable(&out));
        assert!(x.len() > 3, "{k}: the demo made too little to compare");
        assert_eq!(x, y, "{k} differ after the round trip");
    }
    // Importing an export back into its own base changes nothing.
    for k in kinds {
        let r = import(tmp, &a, k, &tmp.join(format!("a-{k}.csv")), &[]);
        assert!(r.stdout.contains(" 0 added, 0 updated,"), "{k}: {}", r.stdout);
    }
    // The vCard export re-imports onto the same contacts.
    let vcf = tmp.join("a.vcf");
    ok(tmp, &a, &["export", "contacts", "--format", "vcard", "-o", vcf.to_str().unwrap()]);
    let text = std::fs::read_to_string(&vcf).unwrap();
    assert!(text.split("\r\n").all(|l| l.len() <= 75 && !l.contains('\n')));
    let r = import(tmp, &b, "contacts", &vcf, &[]);
    assert!(r.ok, "{}", r.stderr);
    assert!(r.stdout.contains(" 0 added, 0 updated,") && r.stdout.contains(" 0 rejected"), "{}", r.stdout);
    assert!(!r.stdout.contains("customers created"), "{}", r.stdout);
    // Into an empty base, the cards make their customers, of their kinds.
    let c = tmp.join("c.db");
    let r = import(tmp, &c, "contacts", &vcf, &["--strict"]);
    assert!(r.ok && r.stdout.contains("customers created"), "{}{}", r.stdout, r.stderr);
    let kinds: HashMap<String, String> = export_json(tmp, &a, "customers")
        .iter()
        .map(|x| (s(&x["name"]).to_string(), s(&x["kind"]).to_string()))
        .collect();
    let made = export_json(tmp, &c, "customers");
    assert!(made.len() > 3);
    assert!(made.iter().any(|x| s(&x["kind"]) != "enterprise"), "every customer made an enterprise");
    for x in &made {
        assert_eq!(Some(s(&x["kind"])), kinds.get(s(&x["name"])).map(String::as_str), "{x}");
    }
}

#[test]
fn every_table_exports_as_csv_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path();
    let db = tmp.join("demo.db");
    ok(tmp, &db, &["demo", "--customers", "30"]);
    for (what, keys) in [
        ("interactions", &["customer", "channel", "direction", "summary", "outcome", "agent", "occurred_at"][..]),
        ("deals", &["customer", "title", "amount", "stage", "status", "expected_close"][..]),
        ("reminders", &["customer", "kind", "due_at", "note", "status"][..]),
    ] {
        let rows = export_json(tmp, &db, what);
        assert!(!rows.is_empty(), "{what}");
        for k in keys {
            assert!(rows[0].get(*k).is_some(), "{what}: {k} missing in {}", rows[0]);
        }
        let csv_text = ok(tmp, &db, &["export", what]).stdout;
        let mut rd = csv::Reader::from_reader(csv_text.as_bytes());
        assert_eq!(rd.records().count(), rows.len(), "{what}");
    }
    // A JSON export is not read as a CSV with odd headers.
    let json = tmp.join("customers.json");
    ok(tmp, &db, &["export", "customers", "--format", "json", "-o", json.to_str().unwrap()]);
    let r = import(tmp, &db, "customers", &json, &[]);
    assert!(!r.ok && r.stderr.contains("looks like JSON; import reads CSV"), "{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    // A header in brackets is a header, not JSON.
    let bracketed = tmp.join("bracketed.csv");
    std::fs::write(&bracketed, "[Name],email\nAnn Bracket,ann@example.org\n").unwrap();
    let r = import(tmp, &db, "customers", &bracketed, &["--map", "[Name]=name"]);
    assert!(r.ok && r.stdout.contains("1 added"), "{}{}", r.stdout, r.stderr);
    // An empty table still has its header; vcard and ics only where they fit.
    let empty = tmp.join("empty.db");
    Repo::open(&empty, "t").unwrap();
    let r = ok(tmp, &empty, &["export", "deals"]);
    assert!(r.stdout.starts_with("id,customer_external_id,customer,title,amount,"), "{}", r.stdout);
    assert_eq!(r.stdout.lines().count(), 1);
    assert_eq!(ok(tmp, &empty, &["export", "deals", "--format", "json"]).stdout, "[]\n");
    let r = run(tmp, &empty, &["export", "deals", "--format", "vcard"]);
    assert!(!r.ok && r.stderr.contains("--format vcard is for contacts"), "{}", r.stderr);
    let r = run(tmp, &tmp.join("missing.db"), &["export", "customers"]);
    assert!(!r.ok && r.stderr.contains("no such file"), "{}", r.stderr);
    assert!(!tmp.join("missing.db").exists());
}

#[test]
fn reminders_export_as_icalendar() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path();
    let db = tmp.join("t.db");
    ok(tmp, &db, &["demo", "--customers", "60"]);
    let note = "Call back re: order 42, ask about the refund; bring the contract \\ 山田太郎さんに折り返し電話して、\
                交換品の発送日を確認すること。Zoë Ångström will join the call.";
    {
        let mut repo = Repo::open(&db, "test").unwrap();
        let mut c = NewCustomer::named(CustomerKind::Enterprise, "Café, Ltd; \"Paris\"");
        c.phone = Some("+33 1 42 68 53 00".into());
        let id = repo.create_customer(&c).unwrap();
        repo.create_reminder(&NewReminder {
            customer_id: id,
            kind: ReminderKind::Call,
            due_at: Utc.with_ymd_and_hms(2030, 5, 6, 7, 8, 9).unwrap(),
            note: note.into(),
            owner: Some("agent, one".into()),
            recurrence: None,
            origin: None,
        })
        .unwrap();
        repo.create_reminder(&NewReminder {
            customer_id: id,
            kind: ReminderKind::Call,
            due_at: Utc.with_ymd_and_hms(2030, 1, 31, 9, 0, 0).unwrap(),
            note: "Monthly check-in".into(),
            owner: None,
            recurrence: Some("monthly:31".into()),
            origin: None,
        })
        .unwrap();
        repo.create_promise(&NewPromise {
            customer_id: id,
            interaction_id: None,
            text: "Replacement by the 3rd; no excuses".into(),
            due_at: Utc.with_ymd_and_hms(2030, 5, 3, 17, 0, 0).unwrap(),
        })
        .unwrap();
    }
    let (reminders, promises, _) =
        Repo::open_existing(&db, "t").unwrap().due_counts(Utc.with_ymd_and_hms(9999, 1, 1, 0, 0, 0).unwrap()).unwrap();
    assert!(reminders > 1 && promises > 1, "the demo should have open reminders and promises");

    let ics = tmp.join("rapport.ics");
    let r = ok(tmp, &db, &["export", "reminders", "--format", "ics", "-o", ics.to_str().unwrap()]);
    assert!(r.stdout.is_empty());
    let text = std::fs::read_to_string(&ics).unwrap();
    // CRLF everywhere, no physical line over 75 octets.
    assert!(text.ends_with("\r\n"));
    let physical: Vec<&str> = text.trim_end_matches("\r\n").split("\r\n").collect();
    for l in &physical {
        assert!(!l.contains('\n') && !l.contains('\r'), "bare line break in {l:?}");
        assert!(l.len() <= 75, "{} octets: {l}", l.len());
    }
    assert!(physical.iter().any(|l| l.starts_with(' ')), "the long note should have been folded");
    // Unfolded: one VEVENT per open reminder and promise, each complete.
    let unfolded = text.replace("\r\n ", "");
    let lines: Vec<&str> = unfolded.split("\r\n").collect();
    assert_eq!(lines[0], "BEGIN:VCALENDAR");
    assert!(lines.contains(&"VERSION:2.0") && lines.iter().any(|l| l.starts_with("PRODID:")));
    assert_eq!(lines.iter().filter(|l| **l == "BEGIN:VEVENT").count() as i64, reminders + promises);
    assert_eq!(lines.iter().filter(|l| **l == "END:VEVENT").count() as i64, reminders + promises);
    let uids: std::collections::HashSet<&str> = lines.iter().filter(|l| l.starts_with("UID:")).copied().collect();
    assert_eq!(uids.len() as i64, reminders + promises);
    for prefix in ["DTSTAMP:", "DTSTART:", "DTEND:"] {
        let values: Vec<&str> = lines.iter().filter_map(|l| l.strip_prefix(prefix)).collect();
        assert!(values.len() as i64 >= reminders + promises, "{prefix}");
        assert!(
            values.iter().all(|v| v.len() == 16 && v.ends_with('Z') && v.as_bytes()[8] == b'T'),
            "{prefix} not UTC: {values:?}"
        );
    }
    // A repeating reminder repeats in the calendar too, on the month's last
    // day when it has no 31st; the others have no rule.
    let rules: Vec<&str> = lines.iter().filter(|l| l.starts_with("RRULE:")).copied().collect();
    let repeating: Vec<&str> = lines
        .iter()
        .skip_while(|l| !l.starts_with("DESCRIPTION:Monthly check-in"))
        .take_while(|l| **l != "END:VEVENT")
        .copied()
        .collect();
    assert!(!repeating.is_empty(), "{unfolded}");
    let own_rule = lines
        .iter()
        .rev()
        .skip_while(|l| !l.starts_with("DESCRIPTION:Monthly check-in"))
        .take_while(|l| **l != "BEGIN:VEVENT")
        .any(|l| *l == "RRULE:FREQ=MONTHLY;BYMONTHDAY=28,29,30,31;BYSETPOS=-1");
    assert!(own_rule, "{unfolded}");
    assert!(rules.len() as i64 <= reminders, "{rules:?}");
    // Text escaped: commas, semicolons, backslashes, line breaks.
    assert!(lines.contains(&"DTSTART:20300506T070809Z"));
    assert!(lines.contains(&"SUMMARY:Call: Café\\, Ltd\\; \"Paris\""), "{unfolded}");
    let description =
        lines.iter().find(|l| l.starts_with("DESCRIPTION:Call back re: order 42")).expect("the reminder's description");
    assert!(
        description.starts_with(
            "DESCRIPTION:Call back re: order 42\\, ask about the refund\\; bring the contract \\\\ 山田太郎"
        ),
        "{description}"
    );
    assert!(description.contains("\\nCustomer: Café\\, Ltd\\; \"Paris\"\\nPhone: +33 1 42 68 53 00"), "{description}");
    assert!(description.contains("\\nOwner: agent\\, one"), "{description}");
    assert!(lines.contains(&"SUMMARY:Promise: Café\\, Ltd\\; \"Paris\""));
    assert!(lines.iter().any(|l| l.starts_with("DESCRIPTION:Replacement by the 3rd\\; no excuses")));

    // As to-dos instead, to stdout.
    let todo = ok(tmp, &db, &["export", "reminders", "--format", "ics", "--component", "todo"]).stdout;
    let todo = todo.replace("\r\n ", "");
    assert_eq!(todo.matches("BEGIN:VTODO\r\n").count() as i64, reminders + promises);
    assert!(todo.contains("DUE:20300506T070809Z\r\n"));
    assert!(!todo.contains("VEVENT"));
}

#[test]
fn help_documents_the_layouts() {
    let dir = tempfile::tempdir().unwrap();
    let out = rapport(dir.path()).args(["import", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for needle in
        ["customer_external_id", "first_name", "FILE.rejects.csv", "--strict", "--dry-run", "vCard", "RFC 3339"]
    {
        assert!(help.contains(needle), "{needle} missing from import --help");
    }
    let out = rapport(dir.path()).args(["export", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for needle in ["vcard", "ics", "tier_pin", "duration_secs"] {
        assert!(help.contains(needle), "{needle} missing from export --help");
    }
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    const BASE: &str = "external_id,customer_external_id,date,amount,kind\n\
                        t1,c1,2024-01-05,10.00,sale\n\
                        t2,c3,2024-01-06,\"1,234.50\",refund\n\
                        t3,c1,2024-02-01T10:00:00Z,3,payment\n";

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

        /// Truncated and corrupted files never panic, and under --strict an
        /// import with any bad row leaves the base as it was.
        #[test]
        fn random_csv_never_panics_nor_half_imports(
            cut in 0usize..BASE.len(),
            noise in proptest::collection::vec(any::<u8>(), 0..40),
            at in 0usize..BASE.len(),
        ) {
            let dir = tempfile::tempdir().unwrap();
            let (tmp, db) = (dir.path(), dir.path().join("t.db"));
            let customers = write(&tmp.join("c.csv"), TWO_CUSTOMERS);
            import(tmp, &db, "customers", &customers, &[]);
            let mut bytes = BASE.as_bytes()[..cut].to_vec();
            let at = at.min(bytes.len());
            bytes.splice(at..at, noise);
            let file = tmp.join("t.csv");
            std::fs::write(&file, &bytes).unwrap();
            let r = import(tmp, &db, "transactions", &file, &["--strict"]);
            let n = count(tmp, &db, "transactions");
            if r.ok {
                prop_assert!(r.stdout.contains(" 0 rejected"), "{}", r.stdout);
            } else {
                prop_assert_eq!(n, 0, "a failed strict import wrote rows: {}", r.stderr);
                prop_assert!(r.stderr.starts_with("rapport: ") || r.stderr.contains("column"), "{}", r.stderr);
            }
        }
    }
}
