//! The pipeline board on long columns: a column is read a window at a time
//! (`board_column` with an offset, or from its end), a deal's place in its
//! column (`board_rank`) agrees with that order under every sort and filter,
//! the headers' sums (kept by triggers in `deal_totals`) follow every kind
//! of write, and in the app every card of a long column can be reached and a
//! moved deal stays selected however deep in its column it sits.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use rapport::app::App;
use rapport::config::Config;
use rapport::domain::model::{CustomerKind, Deal, DealStatus, NewCustomer, NewDeal};
use rapport::domain::money::Money;
use rapport::domain::pipeline::DealGroup;
use rapport::keymap::Keymap;
use rapport::repo::Repo;
use rapport::repo::deals::{BoardFilter, CardSort};
use rapport::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 10, 0, 0).unwrap()
}

/// `n` deals in `stage`, with ties on purpose: amounts repeat every 7,
/// expected closes every 5 (and one in 4 has none), creation times every 3;
/// owners alternate; one in three customers is "Zephyr".
fn fill(repo: &mut Repo, stage: &str, n: usize, amount: impl Fn(usize) -> i64) {
    repo.batch(|b| {
        let acme = b.customer(&NewCustomer::named(CustomerKind::Enterprise, "Acme"))?;
        let zephyr = b.customer(&NewCustomer::named(CustomerKind::Enterprise, "Zephyr Ltd"))?;
        for i in 0..n {
            b.deal(&NewDeal {
                customer_id: if i % 3 == 0 { zephyr } else { acme },
                title: format!("Deal {i:03}"),
                amount: Money(amount(i)),
                stage: stage.into(),
                probability_pct: None,
                expected_close: (i % 4 != 0)
                    .then(|| NaiveDate::from_ymd_opt(2027, 1, 1).unwrap() + Duration::days((i % 5) as i64)),
                competitors: None,
                owner: Some(if i % 2 == 0 { "alice" } else { "bob" }.into()),
                next_step: None,
                created_at: now() - Duration::days(1 + (i % 3) as i64),
            })?;
        }
        Ok(())
    })
    .unwrap();
}

#[test]
fn windows_and_ranks_follow_the_columns_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut repo = Repo::open(&dir.path().join("board.db"), "tester").unwrap();
    fill(&mut repo, "Lead", 60, |i| 1_000 * (i % 7) as i64);
    let filters = [
        BoardFilter::default(),
        BoardFilter { owner: Some("bob".into()), ..Default::default() },
        BoardFilter { text: "zephyr".into(), ..Default::default() },
    ];
    for base in filters {
        for sort in [CardSort::Amount, CardSort::CloseDate, CardSort::Age] {
            let f = BoardFilter { sort, ..base.clone() };
            let all = repo.board_column("Lead", &f, 0, 1_000).unwrap();
            let expected = match (&f.owner, f.text.is_empty()) {
                (Some(_), _) => 30,
                (None, false) => 20,
                (None, true) => 60,
            };
            assert_eq!(all.len(), expected, "{f:?}");
            let count: u64 = repo.open_deal_groups_where(&f).unwrap().iter().map(|g| g.count).sum();
            assert_eq!(count as usize, all.len(), "{f:?}: the header counts the column");
            // The order itself.
            let ordered = all.windows(2).all(|w| match sort {
                CardSort::Amount => {
                    (std::cmp::Reverse(w[0].amount), w[0].id) < (std::cmp::Reverse(w[1].amount), w[1].id)
                }
                CardSort::CloseDate => {
                    (w[0].expected_close.is_none(), w[0].expected_close, w[0].id)
                        < (w[1].expected_close.is_none(), w[1].expected_close, w[1].id)
                }
                CardSort::Age => (w[0].stage_changed_at, w[0].id) < (w[1].stage_changed_at, w[1].id),
            });
            assert!(ordered, "{f:?}");
            for (k, d) in all.iter().enumerate() {
                assert_eq!(repo.board_rank(d, &f).unwrap(), k, "{f:?}: rank of {}", d.title);
            }
            // Any window is the same slice of the column, from either end.
            let ids = |w: &[Deal]| w.iter().map(|d| d.id).collect::<Vec<i64>>();
            for offset in [0, 1, 7, 19, all.len() - 3, all.len(), all.len() + 5] {
                let end = (offset + 7).min(all.len());
                let want = ids(all.get(offset.min(all.len())..end).unwrap_or(&[]));
                assert_eq!(ids(&repo.board_column("Lead", &f, offset, 7).unwrap()), want, "{f:?} at {offset}");
                let from_end = repo.board_column_from_end("Lead", &f, all.len() - end, end.saturating_sub(offset));
                assert_eq!(ids(&from_end.unwrap()), want, "{f:?} at {offset}, from the end");
            }
        }
    }
}

fn key(app: &mut App, code: KeyCode) {
    app.on_key(KeyEvent::new(code, KeyModifiers::NONE));
}

fn screen(app: &mut App) -> String {
    let mut t = Terminal::new(TestBackend::new(80, 24)).unwrap();
    t.draw(|f| app.render(f)).unwrap();
    let buf = t.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

/// The selected card's title (on the line under the cursor's), 8 characters.
fn selected_title(screen: &str) -> String {
    let lines: Vec<&str> = screen.lines().collect();
    let (at, col) = lines
        .iter()
        .enumerate()
        .find_map(|(i, l)| l.find("│▶ ").map(|c| (i, c)))
        .unwrap_or_else(|| panic!("no selection:\n{screen}"));
    // The next line holds the title, below the cursor (the box drawing
    // before it takes the same bytes on both lines).
    let title = lines[at + 1][col..].trim_start_matches(['│', ' ']);
    title.chars().take(8).collect::<String>().trim_end().to_string()
}

#[test]
fn every_card_of_a_long_column_can_be_reached_and_a_moved_deal_stays_selected() {
    // SAFETY: every test here sets the same value.
    unsafe { std::env::set_var("TZ", "UTC") };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("board.db");
    let mut repo = Repo::open(&path, "tester").unwrap();
    // 250 deals in Lead, Deal 000 the largest: the column's order is the
    // deals' numbers. Then 40 larger ones in Qualified.
    fill(&mut repo, "Lead", 250, |i| 1_000_000 - 1_000 * i as i64);
    repo.batch(|b| {
        let c = b.customer(&NewCustomer::named(CustomerKind::Individual, "Big Spender"))?;
        for i in 0..40 {
            b.deal(&NewDeal {
                customer_id: c,
                title: format!("Big {i:03}"),
                amount: Money(5_000_000 - i),
                stage: "Qualified".into(),
                probability_pct: None,
                expected_close: None,
                competitors: None,
                owner: None,
                next_step: None,
                created_at: now(),
            })?;
        }
        Ok(())
    })
    .unwrap();
    let mut config = Config::default();
    config.ui.language = Some("en".into());
    let mut app = App::new(repo, config, Keymap::builtin("default").unwrap(), "default", Theme::new(false, false));
    app.fixed_now = Some(now());
    app.reload_all();
    key(&mut app, KeyCode::Char('3'));
    assert_eq!(selected_title(&screen(&mut app)), "Deal 000");
    key(&mut app, KeyCode::End);
    let s = screen(&mut app);
    assert!(s.contains("Lead 10% · 250"), "{s}");
    assert_eq!(selected_title(&s), "Deal 249");
    key(&mut app, KeyCode::Home);
    assert_eq!(selected_title(&screen(&mut app)), "Deal 000");
    // Down, one card at a time, past where a fixed first page would end.
    for k in 1..=180 {
        key(&mut app, KeyCode::Down);
        if k % 9 == 0 {
            assert_eq!(selected_title(&screen(&mut app)), format!("Deal {k:03}"));
        }
    }
    for _ in 0..30 {
        key(&mut app, KeyCode::PageDown);
    }
    assert_eq!(selected_title(&screen(&mut app)), "Deal 249");
    for _ in 0..10 {
        key(&mut app, KeyCode::PageUp);
    }
    assert_eq!(selected_title(&screen(&mut app)), "Deal 199");
    // Move Deal 199 on: it lands after the 40 larger deals in Qualified,
    // still selected; back again: at its place in Lead.
    key(&mut app, KeyCode::Char('>'));
    let s = screen(&mut app);
    assert!(s.contains("Moved to Qualified") && s.contains("Qualified 25% · 41"), "{s}");
    assert_eq!(selected_title(&s), "Deal 199", "{s}");
    let moved = (1..400).find_map(|id| app.repo.deal(id).ok().filter(|d| d.title == "Deal 199")).unwrap();
    assert_eq!((moved.stage.as_str(), moved.status), ("Qualified", DealStatus::Open));
    key(&mut app, KeyCode::Char('<'));
    let s = screen(&mut app);
    assert!(s.contains("Lead 10% · 250"), "{s}");
    assert_eq!(selected_title(&s), "Deal 199");
    key(&mut app, KeyCode::Down);
    assert_eq!(selected_title(&screen(&mut app)), "Deal 200");
    // The next column kept its place (where Deal 199 was: now its last card).
    key(&mut app, KeyCode::Right);
    assert_eq!(selected_title(&screen(&mut app)), "Big 039");
}

/// The board's headers worked out from the cards themselves: open deals
/// per (stage, probability override), and (won, lost, won value).
fn counted(repo: &Repo) -> (Vec<DealGroup>, (i64, i64, Money)) {
    let mut groups: Vec<DealGroup> = Vec::new();
    let (mut won, mut lost, mut value) = (0, 0, Money(0));
    for id in 1.. {
        let Ok(d) = repo.deal(id) else { break };
        match d.status {
            DealStatus::Won => (won, value) = (won + 1, value + d.amount),
            DealStatus::Lost => lost += 1,
            DealStatus::Open => {
                match groups.iter_mut().find(|g| g.stage == d.stage && g.probability_pct == d.probability_pct) {
                    Some(g) => (g.count, g.total) = (g.count + 1, g.total + d.amount),
                    None => groups.push(DealGroup {
                        stage: d.stage.clone(),
                        probability_pct: d.probability_pct,
                        count: 1,
                        total: d.amount,
                    }),
                }
            }
        }
    }
    groups.sort_by(|a, b| (&a.stage, a.probability_pct).cmp(&(&b.stage, b.probability_pct)));
    (groups, (won, lost, value))
}

fn headers(repo: &Repo) -> (Vec<DealGroup>, (i64, i64, Money)) {
    let mut groups = repo.open_deal_groups().unwrap();
    groups.sort_by(|a, b| (&a.stage, a.probability_pct).cmp(&(&b.stage, b.probability_pct)));
    (groups, repo.closed_deal_counts().unwrap())
}

#[test]
fn header_totals_follow_every_kind_of_write() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("totals.db");
    let mut repo = Repo::open(&path, "tester").unwrap();
    assert_eq!(headers(&repo), (vec![], (0, 0, Money(0))));
    fill(&mut repo, "Lead", 12, |i| 10_000 + i as i64);
    assert_eq!(headers(&repo), counted(&repo));
    let d = |repo: &Repo, id: i64| repo.deal(id).unwrap();
    // Moves, with and without an override.
    let x = d(&repo, 1);
    repo.move_deal(x.id, x.version, "Proposal", DealStatus::Open, None).unwrap();
    let mut y = d(&repo, 2);
    y.probability_pct = Some(40);
    y.amount = Money(77_700);
    repo.update_deal(&y).unwrap();
    assert_eq!(headers(&repo), counted(&repo));
    let y = d(&repo, 2);
    repo.move_deal(y.id, y.version, "Qualified", DealStatus::Open, None).unwrap();
    // Won, lost, and a won deal reopened.
    for (id, to, status) in [(3, "Won", DealStatus::Won), (4, "Lost", DealStatus::Lost), (5, "Won", DealStatus::Won)] {
        let z = d(&repo, id);
        repo.move_deal(z.id, z.version, to, status, Some("why")).unwrap();
    }
    let z = d(&repo, 5);
    repo.move_deal(z.id, z.version, "Negotiation", DealStatus::Open, None).unwrap();
    // An override taken off again, an amount changed on a won deal.
    let mut y = d(&repo, 2);
    y.probability_pct = None;
    repo.update_deal(&y).unwrap();
    let mut w = d(&repo, 3);
    w.amount = Money(1);
    repo.update_deal(&w).unwrap();
    let (groups, closed) = headers(&repo);
    assert_eq!((groups.clone(), closed), counted(&repo));
    assert_eq!(closed, (1, 1, Money(1)));
    assert_eq!(groups.iter().map(|g| g.count).sum::<u64>(), 10);
    // Only mine: the same sums over each owner's deals add up to everyone's.
    let mine = |o: &str| repo.open_deal_groups_where(&BoardFilter { owner: Some(o.into()), ..Default::default() });
    let owners: u64 = ["alice", "bob"].iter().map(|o| mine(o).unwrap().iter().map(|g| g.count).sum::<u64>()).sum();
    assert_eq!(owners, 10);
}
