//! End-to-end, the pipeline board: the real binary in a real pseudo-terminal
//! (80×24) moves a deal from Lead through every open stage and wins it, then
//! the base is read back through the library: the stage history, the status
//! and the audit log. Every wait polls the parsed screen; nothing sleeps.

mod pty;

use chrono::{Duration, NaiveDate, Utc};
use pty::Spawn;
use rapport::domain::model::{CustomerKind, DealStatus, NewCustomer, NewDeal};
use rapport::domain::money::Money;
use rapport::repo::Repo;

const TITLE: &str = "Harbour crane";
const REASON: &str = "Best delivery terms";

#[test]
fn a_deal_moves_through_every_stage_and_is_won() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    std::fs::create_dir(&config).unwrap();
    let db = dir.path().join("base.db");

    // A small base: one customer, one deal in Lead.
    let deal_id = {
        let mut repo = Repo::open(&db, "setup").unwrap();
        repo.batch(|b| {
            let c = b.customer(&NewCustomer::named(CustomerKind::Enterprise, "Nordwind Logistik"))?;
            b.deal(&NewDeal {
                customer_id: c,
                title: TITLE.into(),
                amount: Money(4_200_000),
                stage: "Lead".into(),
                probability_pct: None,
                expected_close: NaiveDate::from_ymd_opt(2030, 6, 30),
                competitors: None,
                owner: Some("tester".into()),
                next_step: None,
                created_at: Utc::now() - Duration::days(3),
            })
        })
        .unwrap()
    };

    let mut app = Spawn::new(&config, &["--db", db.to_str().unwrap()]).start();
    app.wait_for_text(&["Customers", "Nordwind Logistik"]);
    app.send("3");
    app.wait_for_text(&["Lead 10% · 1", TITLE]);
    // Each move is awaited on its own message before the next key.
    for stage in ["Qualified", "Proposal", "Negotiation"] {
        app.send(">");
        app.wait_for_text(&[&format!("Moved to {stage}"), TITLE]);
    }
    // The deal is in the last open stage: one more ">" is refused.
    app.send(">");
    app.wait_for_text(&["last open stage"]);
    // Won asks for a reason; an empty one is refused.
    app.send("w");
    app.wait_for_text(&[&format!("Won · {TITLE}"), "Reason"]);
    app.send("\r");
    app.wait_for_text(&["Give a reason."]);
    app.send(REASON);
    app.wait_for_text(&[&format!("{REASON}_")]);
    app.send("\r");
    app.wait_for_text(&["Deal won."]);
    app.wait_for("the card to leave the board", |s| s.alternate_screen() && !s.contents().contains(TITLE));
    app.send("q");
    let status = app.wait_exit();
    assert!(status.success(), "exit: {status:?}\n{}", app.dump());

    // Read back with the library.
    let repo = Repo::open(&db, "reader").unwrap();
    let deal = repo.deal(deal_id).unwrap();
    assert_eq!((deal.status, deal.stage.as_str()), (DealStatus::Won, "Won"));
    assert_eq!(deal.close_reason.as_deref(), Some(REASON));
    let history = repo.stage_history(deal_id).unwrap();
    let steps: Vec<(Option<&str>, &str, Option<&str>)> =
        history.iter().map(|h| (h.from_stage.as_deref(), h.to_stage.as_str(), h.reason.as_deref())).collect();
    assert_eq!(
        steps,
        [
            (None, "Lead", None),
            (Some("Lead"), "Qualified", None),
            (Some("Qualified"), "Proposal", None),
            (Some("Proposal"), "Negotiation", None),
            (Some("Negotiation"), "Won", Some(REASON)),
        ]
    );
    assert!(history.windows(2).all(|w| w[0].at <= w[1].at), "{history:?}");
    assert!(history[1..].iter().all(|h| h.agent == "tester"), "moves are the TUI user's: {history:?}");
    assert_eq!(history[0].agent, "setup");
    // One audit entry per move, in order, each naming its stages.
    let audit = repo.audit_for("deal", deal_id).unwrap();
    let moves: Vec<serde_json::Value> = audit
        .iter()
        .filter(|e| e.action == "stage_move")
        .map(|e| {
            assert_eq!(e.agent, "tester");
            serde_json::from_str(&e.changes).unwrap()
        })
        .collect();
    let stages: Vec<(String, String)> = moves
        .iter()
        .map(|m| (m["stage"][0].as_str().unwrap().to_string(), m["stage"][1].as_str().unwrap().to_string()))
        .collect();
    let expected =
        [("Lead", "Qualified"), ("Qualified", "Proposal"), ("Proposal", "Negotiation"), ("Negotiation", "Won")];
    assert_eq!(stages, expected.map(|(a, b)| (a.to_string(), b.to_string())), "{audit:?}");
    assert_eq!(moves[3]["status"], serde_json::json!(["open", "won"]));
    assert_eq!(moves[3]["reason"], REASON);
    assert!(audit.iter().any(|e| e.action == "create"), "{audit:?}");
}
