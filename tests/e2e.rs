//! End-to-end: the real binary in a real pseudo-terminal (80×24,
//! xterm-256color), its output parsed by a vt100 emulator. Every wait polls
//! the parsed screen or the process with a deadline; nothing sleeps and hopes.

mod pty;

use std::path::{Path, PathBuf};
use std::time::Duration;

use assert_cmd::Command;
use pty::{Pty, Spawn, signal};
use rapport::domain::model::{CustomerKind, NewCustomer};
use rapport::repo::Repo;
use tempfile::TempDir;

/// How quickly the app must leave after a signal.
const SIGNAL_EXIT: Duration = Duration::from_secs(3);

const YAMADA: &str = "山田太郎";
const SUMMARY: &str = "Asked about delivery 配送";
const SEARCH_HINT: &str = "name, company, email or phone digits";

/// A scratch place: an empty configuration directory and a database path.
struct Sandbox {
    dir: TempDir,
    config: PathBuf,
    db: PathBuf,
}

impl Sandbox {
    fn new() -> Sandbox {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config");
        std::fs::create_dir(&config).unwrap();
        let db = dir.path().join("base.db");
        Sandbox { dir, config, db }
    }

    /// A sandbox whose base holds the deterministic demo data.
    fn with_demo() -> Sandbox {
        let s = Sandbox::new();
        s.cli(&["demo"]).assert().success();
        s
    }

    fn db(&self) -> &str {
        self.db.to_str().expect("temp paths are UTF-8")
    }

    /// `rapport --db DB ARGS` as a plain process (no terminal), isolated
    /// from the developer's environment like the PTY runs.
    fn cli(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(pty::bin());
        cmd.env_clear()
            .env("TZ", "UTC")
            .env("USER", "tester")
            .env("LANG", "C.UTF-8")
            .env("HOME", &self.config)
            .env("RAPPORT_CONFIG_DIR", &self.config)
            .current_dir(self.dir.path())
            .args(args)
            .args(["--db", self.db()]);
        cmd.timeout(Duration::from_secs(30));
        cmd
    }

    /// The TUI on this sandbox's base, 80×24.
    fn open(&self, extra: &[&str]) -> Pty {
        let mut args = vec!["--db", self.db()];
        args.extend_from_slice(extra);
        Spawn::new(&self.config, &args).start()
    }
}

/// Waits for the first frame of the customer list.
fn wait_for_list(app: &mut Pty) {
    app.wait_for_text(&["Customers", "matches"]);
}

/// From the list: search for 山田 and open 山田太郎's card.
fn open_yamada(app: &mut Pty) {
    wait_for_list(app);
    app.send("/");
    app.wait_for("the search box to take input", |s| s.alternate_screen() && !s.contents().contains(SEARCH_HINT));
    app.send("山田");
    app.wait_for_text(&["山田_", YAMADA, "· 1 matches"]);
    app.send("\r");
    app.wait_for_text(&[&format!("{YAMADA} · individual"), "Recent interactions"]);
}

/// On a card: log an interaction with `summary` and wait until it is saved.
fn log_interaction(app: &mut Pty, summary: &str) {
    app.send("l");
    app.wait_for_text(&["Log interaction", "Summary"]);
    app.send(summary);
    app.send("\r");
    app.wait_for_text(&["Interaction saved."]);
}

/// The agent recorded on the interaction with `summary` of the one customer
/// matching `query`, read back with the library.
fn agent_of_logged(db: &Path, query: &str, summary: &str) -> String {
    let repo = Repo::open(db, "reader").unwrap();
    let found = repo.search_customers(query, 0, 10).unwrap();
    assert_eq!(found.len(), 1, "one customer matches {query:?}: {found:?}");
    let recent = repo.recent_interactions(found[0].id, 100).unwrap();
    let logged: Vec<_> = recent.iter().filter(|i| i.summary == summary).collect();
    assert_eq!(logged.len(), 1, "the interaction {summary:?} is stored once: {recent:?}");
    logged[0].agent.clone()
}

#[test]
fn find_cjk_customer_log_call_and_see_it_after_restart() {
    let s = Sandbox::with_demo();

    let mut app = s.open(&[]);
    open_yamada(&mut app);
    log_interaction(&mut app, SUMMARY);
    // Still on the card, with the new interaction listed.
    app.wait_for_text(&[&format!("{YAMADA} · individual"), "Recent interactions", SUMMARY]);
    app.send("q");
    let status = app.wait_exit();
    assert!(status.success(), "q should exit 0, got {status:?}\n{}", app.dump());
    app.with_screen(|scr| {
        assert!(!scr.alternate_screen(), "the terminal was left on the alternate screen");
        assert!(!scr.hide_cursor(), "the cursor was left hidden");
    });

    // A new session on the same base sees it.
    let mut app = s.open(&[]);
    open_yamada(&mut app);
    app.wait_for_text(&["Recent interactions", SUMMARY]);
    app.send("q");
    assert!(app.wait_exit().success());

    assert_eq!(agent_of_logged(&s.db, "山田", SUMMARY), "tester", "the interaction is recorded as the OS user");
}

#[test]
fn sighup_exits_promptly_and_keeps_the_base_intact() {
    let s = Sandbox::with_demo();
    let mut app = s.open(&[]);
    open_yamada(&mut app);
    log_interaction(&mut app, "Hung up mid-call 電話");

    signal(app.pid(), "HUP");
    let status = app.wait_exit_within(SIGNAL_EXIT);
    assert_eq!(status.exit_code(), 129, "SIGHUP exits with 128 + 1: {status:?}");

    let out = s.cli(&["check"]).assert().success().get_output().stdout.clone();
    let out = String::from_utf8_lossy(&out);
    let schema = rapport::repo::latest_schema_version();
    assert!(
        out.contains(&format!(": sound (file and references checked; schema {schema}, 300 customers)")),
        "rapport check: {out}"
    );
    assert_eq!(agent_of_logged(&s.db, "山田", "Hung up mid-call 電話"), "tester");
}

#[test]
fn sigterm_restores_the_terminal() {
    let s = Sandbox::with_demo();
    let mut app = s.open(&[]);
    wait_for_list(&mut app);
    assert!(app.with_screen(|scr| scr.hide_cursor()), "the TUI hides the cursor");

    signal(app.pid(), "TERM");
    let status = app.wait_exit_within(SIGNAL_EXIT);
    assert_eq!(status.exit_code(), 143, "SIGTERM exits with 128 + 15: {status:?}");
    app.with_screen(|scr| {
        assert!(!scr.alternate_screen(), "still on the alternate screen after SIGTERM\n{}", scr.contents());
        assert!(!scr.hide_cursor(), "the cursor is still hidden after SIGTERM");
    });
}

#[test]
fn escape_sequences_in_names_are_neutralised() {
    let s = Sandbox::new();
    {
        let mut repo = Repo::open(&s.db, "tester").unwrap();
        let hostile = "\x1b]0;pwned\x07Bob \x1b[2J\x1b[31mRed";
        repo.create_customer(&NewCustomer::named(CustomerKind::Individual, hostile)).unwrap();
    }
    let mut app = s.open(&[]);
    app.wait_for_text(&["Bob", "· 1 matches"]);
    // The name, cleaned, on its row of the list (tier first, then name).
    app.wait_for("the list row of Bob Red", |scr| {
        scr.alternate_screen() && scr.contents().lines().any(|l| l.contains("Low") && l.contains("Bob Red"))
    });
    assert!(!app.screen().contains("pwned"));
    // The card draws the name in its title too.
    app.send("\r");
    app.wait_for_text(&["Bob Red · individual"]);
    assert!(!app.screen().contains("pwned"));
    app.send("q");
    assert!(app.wait_exit().success());

    // Everything the app ever wrote, now that it is gone.
    let raw = app.raw();
    let text = String::from_utf8_lossy(&raw);
    assert!(!text.contains("\x1b]0;"), "an OSC 0 (set title) sequence reached the terminal");
    assert!(!text.contains("\x1b]"), "an OSC sequence reached the terminal");
    assert!(!text.contains("pwned"), "the OSC payload reached the terminal");
    assert!(!raw.contains(&0x07), "a BEL (the OSC terminator) reached the terminal");
    assert!(text.contains("Bob"), "the raw output is the app's own");
}

#[test]
fn phone_flag_opens_the_callers_card() {
    let s = Sandbox::with_demo();
    let mut app = s.open(&["--phone", "5147214711"]);
    app.wait_for_text(&["Zoë Ångström · individual", "+1 (514) 721-4711", "Recent interactions"]);
    app.send("q");
    assert!(app.wait_exit().success());
}

#[test]
fn a_newer_schema_is_refused_with_a_clear_message() {
    let s = Sandbox::new();
    drop(Repo::open(&s.db, "tester").unwrap());
    {
        let conn = rusqlite::Connection::open(&s.db).unwrap();
        conn.pragma_update(None, "user_version", 999).unwrap();
    }
    let out = s.cli(&["check"]).assert().failure().get_output().clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("newer rapport"), "stderr: {stderr}");
    assert!(stderr.contains("999"), "the message names the schema found: {stderr}");
    assert!(!stderr.contains("panicked"), "stderr: {stderr}");

    let g = Sandbox::new();
    std::fs::write(&g.db, "hello").unwrap();
    let out = g.cli(&["check"]).assert().failure().get_output().clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("not a rapport database"), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "stderr: {stderr}");
    assert_eq!(std::fs::read(&g.db).unwrap(), b"hello", "the file is left as it was");
}

#[test]
fn too_small_terminal_says_so() {
    let s = Sandbox::with_demo();
    let mut app = Spawn::new(&s.config, &["--db", s.db()]).size(40, 10).start();
    app.wait_for_text(&["Terminal too small"]);
    app.send("q");
    assert!(app.wait_exit().success());
}

#[test]
fn a_broken_user_keymap_names_file_and_line() {
    let s = Sandbox::new();
    std::fs::write(s.config.join("keymap.toml"), "[[global]]\non = \"x\"\naction = \"frobnicate\"\n").unwrap();
    let mut app = s.open(&[]);
    let status = app.wait_exit();
    let out = app.raw_text();
    assert!(!status.success(), "a broken keymap must not start the app: {status:?}\n{out}");
    assert!(out.contains("keymap.toml line 3"), "the error names the file and the line: {out:?}");
    assert!(out.contains("frobnicate"), "the error names the bad action: {out:?}");
    assert!(!out.contains("panicked"), "{out:?}");
    assert!(!app.with_screen(|scr| scr.alternate_screen()));
}

#[test]

fn check_does_not_create_a_missing_base() {
    let s = Sandbox::new();
    let out = s.cli(&["check"]).output().unwrap();
    assert!(!s.db.exists(), "check created {}", s.db.display());
    assert!(!out.status.success(), "check said a missing base is fine: {}", String::from_utf8_lossy(&out.stdout));
}

/// A demo base, and the app on 山田太郎's card with a call half logged:
/// `summary` typed, the form not confirmed.
fn half_typed_call(summary: &str) -> (Sandbox, pty::Pty) {
    let s = Sandbox::with_demo();
    let mut app = s.open(&[]);
    open_yamada(&mut app);
    app.send("l");
    app.wait_for_text(&["Log interaction", "Summary"]);
    app.send(summary);
    app.wait_for_text(&[&format!("{summary}_")]);
    (s, app)
}

/// The terminal really goes away (its master side closed, as when an SSH
/// connection drops), not just a signal sent: the program must still leave
/// promptly, keep the half-typed call as a draft, and not spin on a
/// terminal that reads as ended forever (crossterm's reader does that:
/// crossterm-rs/crossterm#793).
#[test]
fn a_terminal_that_goes_away_ends_the_program_and_keeps_the_draft() {
    let (s, mut app) = half_typed_call("The line went dead on 配送");
    app.hang_up();
    let status = app.wait_exit_within(SIGNAL_EXIT);
    assert!(!status.success(), "{status:?}");
    let mut app = s.open(&[]);
    app.wait_for_text(&["Log interaction", "The line went dead on 配送", "finish it or esc"]);
    app.send("\x1b");
    app.wait_for("the form closed", |scr| !scr.contents().contains("Log interaction"));
    app.send("q");
    assert!(app.wait_exit().success());
}

#[test]
fn a_half_typed_call_survives_a_dropped_connection_as_a_draft() {
    let (s, mut app) = half_typed_call("Customer asks about 配送 and");
    signal(app.pid(), "HUP");
    let status = app.wait_exit_within(SIGNAL_EXIT);
    assert_eq!(status.exit_code(), 129, "{status:?}");
    // Nothing was logged: the form was never confirmed.
    let repo = Repo::open(&s.db, "reader").unwrap();
    let yamada = repo.search_customers("山田", 0, 1).unwrap()[0].id;
    assert!(repo.recent_interactions(yamada, 100).unwrap().iter().all(|i| !i.summary.contains("asks about")));
    drop(repo);
    // The next start offers it back, on the customer's card.
    let mut app = s.open(&[]);
    app.wait_for_text(&["Log interaction", "Customer asks about 配送 and", "finish it or esc"]);
    app.send(" wants a date");
    app.send("\r");
    app.wait_for_text(&["Interaction saved."]);
    app.send("q");
    assert!(app.wait_exit().success());
    assert_eq!(agent_of_logged(&s.db, "山田", "Customer asks about 配送 and wants a date"), "tester");
    // Offered once: a third start has no draft.
    let mut app = s.open(&[]);
    wait_for_list(&mut app);
    assert!(!app.screen().contains("Log interaction"));
    app.send("q");
    assert!(app.wait_exit().success());
}

#[test]
fn a_long_summary_is_written_in_the_users_editor() {
    use std::os::unix::fs::PermissionsExt;
    let s = Sandbox::with_demo();
    // The "editor": appends two lines to the file it is given, as a person would.
    let editor = s.dir.path().join("editor.sh");
    std::fs::write(&editor, "#!/bin/sh\nprintf 'first line of a long note\\nsecond line 第二行\\n' >> \"$1\"\n")
        .unwrap();
    std::fs::set_permissions(&editor, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut app = Spawn::new(&s.config, &["--db", s.db()]).env("EDITOR", editor.to_str().unwrap()).start();
    open_yamada(&mut app);
    app.send("l");
    app.wait_for_text(&["Log interaction", "Summary"]);
    app.send("Called: ");
    app.wait_for_text(&["Called: _"]);
    app.send("\x05"); // ctrl-e
    app.wait_for_text(&["Called: first line of a long note"]);
    app.with_screen(|scr| assert!(scr.alternate_screen(), "the TUI took the terminal back"));
    app.send("\r");
    app.wait_for_text(&["Interaction saved."]);
    app.send("q");
    assert!(app.wait_exit().success());
    let repo = Repo::open(&s.db, "reader").unwrap();
    let yamada = repo.search_customers("山田", 0, 1).unwrap()[0].id;
    let last = repo.recent_interactions(yamada, 1).unwrap().remove(0);
    assert_eq!(last.summary, "Called: first line of a long note\nsecond line 第二行");
}

#[test]
fn an_editor_that_fails_leaves_the_text_and_says_why() {
    let s = Sandbox::with_demo();
    let mut app = Spawn::new(&s.config, &["--db", s.db()]).env("EDITOR", "/nonexistent/editor").start();
    open_yamada(&mut app);
    app.send("l");
    app.wait_for_text(&["Log interaction", "Summary"]);
    app.send("kept text");
    app.wait_for_text(&["kept text_"]);
    app.send("\x05");
    app.wait_for_text(&["cannot start the editor \"/nonexistent/editor\"", "kept text_"]);
    app.send("\x1b");
    app.wait_for("the form to close", |scr| !scr.contents().contains("Log interaction"));
    app.send("q");
    assert!(app.wait_exit().success());
}

#[test]
fn dial_runs_the_configured_command_with_the_callers_number_and_times_the_call() {
    use std::os::unix::fs::PermissionsExt;
    let s = Sandbox::with_demo();
    let dialled = s.dir.path().join("dialled.txt");
    let script = s.dir.path().join("dial.sh");
    std::fs::write(&script, format!("#!/bin/sh\nprintf '%s' \"$1\" > {}\n", dialled.display())).unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(s.config.join("config.toml"), format!("[ui]\ndialer = \"{} {{number}}\"\n", script.display()))
        .unwrap();
    // The caller's number, formatted differently from the stored "+1 (514) 721-4711".
    let mut app = s.open(&["--phone", "514.721.4711"]);
    app.wait_for_text(&["Zoë Ångström · individual", "Recent interactions"]);
    app.send("d");
    app.wait_for_text(&["Dialing +15147214711", "Log interaction", "< outbound >"]);
    let deadline = std::time::Instant::now() + pty::TIMEOUT;
    while std::fs::read_to_string(&dialled).map_or(true, |s| s.is_empty()) {
        assert!(std::time::Instant::now() < deadline, "the dialer was not run");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(std::fs::read_to_string(&dialled).unwrap(), "+15147214711");
    app.send("Quote follow-up by phone");
    app.send("\r");
    app.wait_for_text(&["Interaction saved."]);
    app.send("q");
    assert!(app.wait_exit().success());
    let repo = Repo::open(&s.db, "reader").unwrap();
    let zoe = repo.customers_by_phone("5147214711").unwrap()[0].id;
    let call = repo.recent_interactions(zoe, 1).unwrap().remove(0);
    assert_eq!(call.summary, "Quote follow-up by phone");
    assert_eq!(call.direction, rapport::domain::model::Direction::Outbound);
    assert!(call.duration_secs.is_some(), "the call is timed from the dial: {call:?}");
}
