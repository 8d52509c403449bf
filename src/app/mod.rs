//! App state and `update()`: keys become Actions, Actions change state.
//! Each pane owns its state; the app only routes between them.

pub mod action;

pub use action::Action;

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::config::{Config, Lang};
use crate::i18n::Txt;
use crate::keymap::{Context, Key, Keymap, Lookup};
use crate::panes::card::CardPane;
use crate::panes::care::CarePane;
use crate::panes::close_form::CloseForm;
use crate::panes::complaint_form::ComplaintForm;
use crate::panes::contact_form::ContactForm;
use crate::panes::customer_form::CustomerForm;
use crate::panes::customers::CustomersPane;
use crate::panes::deal_form::DealForm;
use crate::panes::help::HelpPane;
use crate::panes::log_form::LogForm;
use crate::panes::overlay::Overlay;
use crate::panes::pipeline::PipelinePane;
use crate::panes::prompt_form::{PromptForm, Purpose};
use crate::panes::pyramid::PyramidPane;
use crate::panes::reminder_form::ReminderForm;
use crate::panes::snooze_form::SnoozeForm;
use crate::panes::team::TeamPane;
use crate::panes::transaction_form::TransactionForm;
use crate::panes::widgets::fit;
use crate::panes::{Effect, Env, Ui};
use crate::repo::Repo;
use crate::theme::Theme;

/// The smallest terminal rapport draws in.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;

/// How often the care rules run while the app is open.
const RULES_EVERY: std::time::Duration = std::time::Duration::from_secs(300);

/// The background job's page cache (KiB): its steps scan, and the screen's
/// connection keeps its own 32 MiB.
const JOB_CACHE_KIB: i64 = 8_192;

/// The background job's own connection. When the app's checkpoint thread
/// runs (`checkpointed`), the job's commits leave the copy of the log into
/// the base to it, as the app's own commits do: a day's recompute at a
/// million customers writes tens of MB of log, and copying them inside its
/// commit held the new pyramid back by a second or two.
fn open_for_job(path: &std::path::Path, agent: &str, checkpointed: bool) -> crate::repo::Result<Repo> {
    let repo = Repo::open(path, agent)?;
    repo.set_page_cache_kib(JOB_CACHE_KIB)?;
    if checkpointed {
        repo.leave_checkpoints_to_thread()?;
    }
    Ok(repo)
}

/// What a background job did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JobDone {
    /// The day the pyramid was recomputed and snapshotted for, if it was.
    pub recomputed: Option<chrono::NaiveDate>,
    /// The latest snapshot's day when it is after the recomputed day (the
    /// clock went back): that day's snapshot was not taken.
    pub later_snapshot: Option<chrono::NaiveDate>,
    /// Reminders the care rules raised.
    pub raised: usize,
}

/// The places you can switch between.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Customers,
    Pyramid,
    Pipeline,
    Care,
    Team,
    /// A customer's card, opened from any other view.
    Card,
}

const TABS: [View; 5] = [View::Customers, View::Pyramid, View::Pipeline, View::Care, View::Team];

/// Which panes must re-read their data before they are shown again.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Stale(u8);

impl Stale {
    const ALL: Stale = Stale(u8::MAX);

    fn bit(view: View) -> u8 {
        1 << view as u8
    }

    /// Whether `view` was stale; it no longer is.
    fn take(&mut self, view: View) -> bool {
        let was = self.0 & Stale::bit(view) != 0;
        self.0 &= !Stale::bit(view);
        was
    }
}

/// A message in the status line.
#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    pub text: String,
    pub error: bool,
}

pub struct App {
    pub repo: Repo,
    pub config: Config,
    pub keymap: Keymap,
    pub keymap_name: String,
    pub theme: Theme,
    pub lang: Lang,
    pub view: View,
    /// Where Esc on a card goes back to.
    card_from: View,
    pub customers: CustomersPane,
    pub pyramid: PyramidPane,
    pub pipeline: PipelinePane,
    pub care: CarePane,
    pub team: TeamPane,
    pub card: CardPane,
    pub help: Option<HelpPane>,
    /// The form on top, if any.
    pub overlay: Option<Overlay>,
    pub status: Option<Status>,
    pending: Vec<Key>,
    pub quit: bool,
    /// A fixed clock for tests; `None` is the system clock.
    pub fixed_now: Option<DateTime<Utc>>,
    /// A background job (pyramid recompute and/or care rules) running on
    /// its own connection, if any.
    job: Option<std::sync::mpsc::Receiver<Result<JobDone, String>>>,
    /// When the care rules last started.
    rules_at: Option<std::time::Instant>,
    data_version: i64,
    /// The newest transaction when the pyramid was last brought up to date
    /// (see [`Repo::newest_transaction`]).
    money_mark: i64,
    /// Money came in while a background job ran: recompute when it ends.
    recompute_pending: bool,
    /// Panes whose data changed since they last read it; each is re-read
    /// when it is next shown, so a write re-reads one pane, not six.
    stale: Stale,
    /// Copies the WAL into the base off this thread, so no keystroke pays
    /// for it (`None` on a read-only base).
    checkpointer: Option<crate::repo::checkpoint::Checkpointer>,
    /// Text a form asked to have written in the external editor; the event
    /// loop runs the editor (it owns the terminal) and hands the result back.
    editor_request: Option<String>,
}

impl App {
    pub fn new(repo: Repo, config: Config, keymap: Keymap, keymap_name: &str, theme: Theme) -> App {
        let lang = config.language();
        let data_version = repo.data_version().unwrap_or(0);
        let money_mark = repo.newest_transaction().unwrap_or(0);
        let checkpointer = repo.defer_checkpoints().ok().flatten();
        let mut app = App {
            repo,
            config,
            keymap,
            keymap_name: keymap_name.to_string(),
            theme,
            lang,
            view: View::Customers,
            card_from: View::Customers,
            customers: CustomersPane::default(),
            pyramid: PyramidPane::default(),
            pipeline: PipelinePane::default(),
            care: CarePane::default(),
            team: TeamPane::default(),
            card: CardPane::default(),
            help: None,
            overlay: None,
            status: None,
            pending: Vec::new(),
            quit: false,
            fixed_now: None,
            job: None,
            rules_at: None,
            data_version,
            money_mark,
            recompute_pending: false,
            stale: Stale::default(),
            checkpointer,
            editor_request: None,
        };
        app.reload_all();
        if app.repo.is_read_only() {
            app.status = Some(Status { text: Txt::ReadOnly.get(app.lang).to_string(), error: true });
        }
        app
    }

    #[allow(clippy::type_complexity)]
    fn env(
        &mut self,
    ) -> (Env<'_>, &mut CustomersPane, &mut PyramidPane, &mut PipelinePane, &mut CarePane, &mut CardPane, &mut TeamPane)
    {
        let now = self.now();
        (
            Env { repo: &mut self.repo, config: &self.config, now },
            &mut self.customers,
            &mut self.pyramid,
            &mut self.pipeline,
            &mut self.care,
            &mut self.card,
            &mut self.team,
        )
    }

    /// The current time (the fixed one in tests).
    pub fn now(&self) -> DateTime<Utc> {
        self.fixed_now.unwrap_or_else(Utc::now)
    }

    /// The data changed: the visible pane is re-read now, every other one
    /// when it is next shown.
    pub fn reload_all(&mut self) {
        self.stale = Stale::ALL;
        self.refresh_visible();
    }

    /// Re-reads the visible pane if its data changed since it last read it.
    fn refresh_visible(&mut self) {
        let view = self.view;
        if !self.stale.take(view) {
            return;
        }
        let (mut env, customers, pyramid, pipeline, care, card, team) = self.env();
        match view {
            View::Customers => customers.reload(&mut env),
            View::Pyramid => pyramid.reload(&mut env),
            View::Pipeline => pipeline.reload(&mut env),
            View::Care => care.reload(&mut env),
            View::Team => team.reload(&mut env),
            View::Card => card.reload(&mut env),
        }
    }

    /// Shows `view`, re-reading it first if its data changed meanwhile.
    pub fn show(&mut self, view: View) {
        self.view = view;
        self.refresh_visible();
    }

    /// Opens the card of a customer directly.
    pub fn open_customer(&mut self, id: i64) {
        self.apply(Effect::OpenCustomer(id));
    }

    /// `--phone NUMBER`: the caller's card when the number is known to one
    /// customer; otherwise the list, searched for the number.
    pub fn open_phone(&mut self, number: &str) {
        match self.repo.customers_by_phone(number) {
            Ok(found) if found.len() == 1 => self.open_customer(found[0].id),
            Ok(found) if found.is_empty() => self.apply(Effect::NewCustomer(Some(number.to_string()))),
            Ok(_) => {
                let digits = crate::domain::text::phone_digits(number);
                self.customers.clear_query();
                for c in digits.chars() {
                    self.customers.type_char(c);
                }
                self.settle();
            }
            Err(e) => self.status = Some(Status { text: e.to_string(), error: true }),
        }
    }

    fn draft_key(&self) -> String {
        format!("draft:{}", self.repo.agent())
    }

    /// Keeps a half-typed interaction as a draft (the session is dying:
    /// SIGHUP, SIGTERM); it is offered back on the next start.
    pub fn save_draft(&mut self) {
        if let Some(Overlay::Log(f)) = &self.overlay {
            let draft = f.to_draft().to_string();
            let key = self.draft_key();
            let _ = self.repo.set_meta(&key, &draft);
        }
    }

    /// Reopens a draft left by a session that died, if any.
    pub fn restore_draft(&mut self) {
        let key = self.draft_key();
        let Ok(Some(text)) = self.repo.meta(&key) else { return };
        let _ = self.repo.delete_meta(&key);
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else { return };
        if let Some(form) = LogForm::from_draft(&v, self.now())
            && self.repo.customer(form.customer_id).is_ok()
        {
            self.apply(Effect::OpenCustomer(form.customer_id));
            self.overlay = Some(Overlay::Log(form));
            self.status = Some(Status { text: Txt::DraftRestored.get(self.lang).into(), error: false });
        }
    }

    /// Dials `number` through the configured command (no shell: the
    /// command is split on spaces, `{number}` replaced), then opens the call
    /// form, timed from now.
    fn dial(&mut self, customer_id: i64, number: &str) {
        let Some(template) = self.config.ui.dialer.clone().filter(|d| !d.trim().is_empty()) else {
            self.status = Some(Status { text: Txt::NoDialer.get(self.lang).into(), error: true });
            return;
        };
        let digits: String = number.chars().filter(|c| c.is_ascii_digit() || *c == '+').collect();
        let mut parts = template.split_whitespace().map(|p| p.replace("{number}", &digits));
        let Some(program) = parts.next() else { return };
        let spawned = std::process::Command::new(&program)
            .args(parts)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn();
        match spawned {
            Ok(_) => {
                let name = self.repo.customer(customer_id).map(|c| c.name).unwrap_or_default();
                self.overlay = Some(Overlay::Log(LogForm::new(customer_id, &name, self.now()).outbound()));
                self.status = Some(Status { text: format!("{} {digits}", Txt::Dialing.get(self.lang)), error: false });
            }
            Err(e) => self.status = Some(Status { text: format!("{program}: {e}"), error: true }),
        }
    }

    /// Called when idle: if another process changed the base, reload; if
    /// it added transactions (an import, another agent's sale), recompute
    /// the pyramid in the background too. Returns whether anything changed
    /// on screen.
    pub fn poll_changes(&mut self) -> bool {
        match self.repo.data_version() {
            Ok(v) if v != self.data_version => {
                self.data_version = v;
                self.reload_all();
                if let Ok(mark) = self.repo.newest_transaction()
                    && mark != self.money_mark
                {
                    self.money_mark = mark;
                    if !self.start_job(true) {
                        self.recompute_pending = true;
                    }
                }
                true
            }
            _ => false,
        }
    }

    /// Recomputes the pyramid as of today, then runs the care rules, on a
    /// thread with its own connection, so the screen stays responsive on a
    /// large base; panes reload when it is done.
    pub fn start_recompute(&mut self) {
        if self.start_job(true) {
            self.status = Some(Status { text: Txt::Recomputing.get(self.lang).to_string(), error: false });
        }
    }

    /// Starts a background job unless one runs; whether it started.
    fn start_job(&mut self, recompute: bool) -> bool {
        if self.repo.is_read_only() || self.job.is_some() {
            return false;
        }
        let path = self.repo.path().to_path_buf();
        let agent = self.repo.agent().to_string();
        let config = self.config.clone();
        let now = self.now();
        let day = now.with_timezone(&chrono::Local).date_naive();
        let checkpointed = self.checkpointer.is_some();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let result = open_for_job(&path, &agent, checkpointed)
                .and_then(|mut repo| {
                    // First, so that search stops scanning soonest.
                    repo.catch_up_search_index()?;
                    let mut later_snapshot = None;
                    if recompute {
                        let placed = crate::services::pyramid::recompute(&mut repo, &config, day)?;
                        crate::services::churn::recompute_with(&mut repo, &config, day, &placed)?;
                        later_snapshot = repo.snapshot_days(1)?.first().copied().filter(|l| *l > day);
                    }
                    let mut raised = 0;
                    crate::services::care::run_rules_each(&mut repo, &config, now, |_| raised += 1)?;
                    Ok(JobDone { recomputed: recompute.then_some(day), later_snapshot, raised })
                })
                .map_err(|e| e.to_string());
            let _ = tx.send(result);
        });
        self.job = Some(rx);
        self.rules_at = Some(std::time::Instant::now());
        true
    }

    /// Waits for a running background job (tests, scripts).
    pub fn wait_recompute(&mut self) {
        if let Some(rx) = self.job.take() {
            let result = rx.recv().unwrap_or_else(|_| Err("the background job stopped".into()));
            self.finish_job(result);
        }
    }

    /// Called on every turn of the loop: whether a background job finished
    /// (and the screen changed). Starts the care rules every few minutes.
    pub fn poll_jobs(&mut self) -> bool {
        if self.rules_at.is_some_and(|t| t.elapsed() >= RULES_EVERY) {
            self.start_job(false);
        }
        let Some(rx) = &self.job else { return false };
        match rx.try_recv() {
            Ok(result) => {
                self.job = None;
                self.finish_job(result);
                true
            }
            Err(std::sync::mpsc::TryRecvError::Empty) => false,
            Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                self.job = None;
                true
            }
        }
    }

    fn finish_job(&mut self, result: Result<JobDone, String>) {
        if std::mem::take(&mut self.recompute_pending) {
            self.start_job(true);
        }
        let status = match result {
            Ok(JobDone { recomputed: Some(day), later_snapshot: None, .. }) => {
                Some(Status { text: format!("{} {day}", Txt::SnapshotTaken.get(self.lang)), error: false })
            }
            Ok(JobDone { recomputed: Some(day), later_snapshot: Some(later), .. }) => Some(Status {
                text: format!(
                    "{} {day} ({} {later})",
                    Txt::TiersRecomputedFor.get(self.lang),
                    Txt::NoSnapshotLater.get(self.lang)
                ),
                error: false,
            }),
            Ok(JobDone { raised: 0, .. }) => None,
            Ok(JobDone { raised, .. }) => {
                Some(Status { text: format!("{}: {raised}", Txt::RulesRaised.get(self.lang)), error: false })
            }
            Err(e) => Some(Status { text: e, error: true }),
        };
        // Never hide what the user just did ("Interaction saved.") or an
        // error they have not read behind news from the background.
        let recomputing = Txt::Recomputing.get(self.lang);
        if let Some(new) = status
            && self.status.as_ref().is_none_or(|s| s.text == recomputing || (s.error && new.error))
        {
            self.status = Some(new);
        }
        self.after_write();
    }

    /// The context whose bindings apply now.
    pub fn context(&self) -> Context {
        if self.help.is_some() {
            return Context::Help;
        }
        if self.overlay.is_some() {
            return Context::Form;
        }
        match self.view {
            View::Customers => self.customers.context(),
            View::Pyramid => self.pyramid.context(),
            View::Pipeline => self.pipeline.context(),
            View::Care => self.care.context(),
            View::Team => self.team.context(),
            View::Card => self.card.context(),
        }
    }

    fn typing(&self) -> bool {
        matches!(self.context(), Context::Form | Context::SearchInput)
    }

    /// One key press. Returns whether the screen needs redrawing.
    pub fn on_key(&mut self, ev: KeyEvent) -> bool {
        if ev.kind == KeyEventKind::Release {
            return false;
        }
        let ctx = self.context();
        let key = Key::from_event(&ev);
        self.pending.push(key);
        match self.keymap.lookup(ctx, &self.pending) {
            Lookup::Action(a) => {
                self.pending.clear();
                self.status = None;
                self.dispatch(a);
                return true;
            }
            Lookup::Prefix => return true,
            Lookup::None => {}
        }
        let was_sequence = self.pending.len() > 1;
        self.pending.clear();
        if was_sequence {
            // A sequence that went nowhere: try the last key on its own.
            return self.on_key(ev);
        }
        if self.typing() {
            self.text_input(ev);
            return true;
        }
        false
    }

    fn text_input(&mut self, ev: KeyEvent) {
        let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        let lang = self.lang;
        if self.overlay.is_some() {
            let now = self.now();
            let mut env = Env { repo: &mut self.repo, config: &self.config, now };
            let Some(o) = &mut self.overlay else { return };
            let effect = match ev.code {
                KeyCode::Char(c) if !ctrl => o.type_char(c, lang, &mut env),
                KeyCode::Backspace => {
                    o.backspace(&mut env);
                    Effect::None
                }
                _ => Effect::None,
            };
            self.overlay_effect(effect);
            return;
        }
        match ev.code {
            KeyCode::Char('u') if ctrl => self.customers.clear_query(),
            KeyCode::Char(c) if !ctrl => self.customers.type_char(c),
            KeyCode::Backspace => self.customers.backspace(),
            _ => {}
        }
    }

    /// Runs the customer search typed since it last ran (see
    /// [`CustomersPane::settle`]).
    fn settle(&mut self) {
        let (mut env, customers, ..) = self.env();
        customers.settle(&mut env);
    }

    /// Carries out an action: overlays first, then the current view, then
    /// the app-wide meaning.
    pub fn dispatch(&mut self, action: Action) {
        self.settle();
        if let Some(h) = &mut self.help {
            if h.handle(action) == Effect::Back {
                self.help = None;
            }
            return;
        }
        let now = self.now();
        if let Some(o) = &mut self.overlay {
            let mut env = Env { repo: &mut self.repo, config: &self.config, now };
            let effect = o.handle(action, &mut env);
            self.overlay_effect(effect);
            return;
        }
        let view = self.view;
        let (mut env, customers, pyramid, pipeline, care, card, team) = self.env();
        let effect = match view {
            View::Customers => customers.handle(action, &mut env),
            View::Pyramid => pyramid.handle(action, &mut env),
            View::Pipeline => pipeline.handle(action, &mut env),
            View::Care => care.handle(action, &mut env),
            View::Team => team.handle(action, &mut env),
            View::Card => card.handle(action, &mut env),
        };
        if effect == Effect::Ignored {
            self.global(action);
        } else {
            self.apply(effect);
        }
    }

    /// What the form on top asked for: closes it when it is done, then
    /// carries the effect out.
    fn overlay_effect(&mut self, effect: Effect) {
        match effect {
            Effect::Saved(_)
            | Effect::Back
            | Effect::SavedThenLog(..)
            | Effect::BoardFilter(_)
            | Effect::TeamRange(_)
            | Effect::AnalysisRange(_)
            | Effect::SavedCustomer(..)
            | Effect::SavedMoney(_) => self.overlay = None,
            _ => {}
        }
        if effect != Effect::Back {
            self.apply(effect);
        }
    }

    fn global(&mut self, action: Action) {
        match action {
            Action::Quit => self.quit = true,
            Action::Help => self.help = Some(HelpPane::default()),
            Action::PaneCustomers => self.show(View::Customers),
            Action::PanePyramid => self.show(View::Pyramid),
            Action::PanePipeline => self.show(View::Pipeline),
            Action::PaneCare => self.show(View::Care),
            Action::PaneTeam => self.show(View::Team),
            Action::NextPane | Action::PrevPane => {
                let at = TABS.iter().position(|v| *v == self.view).unwrap_or(0);
                let step = if action == Action::NextPane { 1 } else { TABS.len() - 1 };
                self.show(TABS[(at + step) % TABS.len()]);
            }
            Action::Search => {
                self.show(View::Customers);
                let (mut env, customers, ..) = self.env();
                customers.handle(Action::Search, &mut env);
            }
            Action::Refresh => self.reload_all(),
            Action::LoadDemo => self.load_demo(),
            Action::Back if self.view == View::Card => self.show(self.card_from),
            _ => {}
        }
    }

    fn apply(&mut self, effect: Effect) {
        match effect {
            Effect::None | Effect::Ignored => {}
            Effect::OpenCustomer(id) => {
                if self.view != View::Card {
                    self.card_from = self.view;
                }
                let (mut env, .., card, _) = self.env();
                card.open(id, &mut env);
                self.stale.take(View::Card);
                self.view = View::Card;
            }
            Effect::LogInteraction(id) => {
                if self.repo.is_read_only() {
                    self.status = Some(Status { text: crate::repo::RepoError::ReadOnly.to_string(), error: true });
                    return;
                }
                let name = self.repo.customer(id).map(|c| c.name).unwrap_or_default();
                self.overlay = Some(Overlay::Log(LogForm::new(id, &name, self.now())));
            }
            Effect::Back => self.show(self.card_from),
            Effect::Recompute => self.start_recompute(),
            Effect::SavedThenLog(text, id) => {
                self.after_write();
                self.status = Some(Status { text, error: false });
                self.apply(Effect::LogInteraction(id));
            }
            Effect::NewDeal(customer, stage) => {
                let env =
                    Env { repo: &mut self.repo, config: &self.config, now: self.fixed_now.unwrap_or_else(Utc::now) };
                self.overlay = Some(Overlay::Deal(Box::new(DealForm::new(customer, stage, &env))));
            }
            Effect::EditDeal(deal) => {
                let env =
                    Env { repo: &mut self.repo, config: &self.config, now: self.fixed_now.unwrap_or_else(Utc::now) };
                self.overlay = Some(Overlay::Deal(Box::new(DealForm::edit(*deal, &env))));
            }
            Effect::CloseDeal(deal, won) => {
                self.overlay = Some(Overlay::Close(CloseForm::new(*deal, won, &self.config.pipeline.lost_reasons)));
            }
            Effect::AskBoardFilter(text) => {
                self.overlay = Some(Overlay::Prompt(PromptForm::new(Purpose::BoardFilter, &text)));
            }
            Effect::SavedMoney(text) => {
                self.after_write();
                self.start_recompute();
                self.status = Some(Status { text, error: false });
            }
            Effect::NewReminder(id, name) => {
                self.overlay = Some(Overlay::Reminder(ReminderForm::new(id, &name, self.repo.agent())));
            }
            Effect::OpenEditor(text) => self.editor_request = Some(text),
            Effect::NewContact(id, name) => self.overlay = Some(Overlay::Contact(ContactForm::new(id, &name))),
            Effect::EditContact(c, name) => self.overlay = Some(Overlay::Contact(ContactForm::edit(*c, &name))),
            Effect::EditReminder(r) => self.overlay = Some(Overlay::Reminder(ReminderForm::edit(*r))),
            Effect::NewTransaction(id, name) => {
                self.overlay = Some(Overlay::Transaction(TransactionForm::new(id, &name)));
            }
            Effect::SavedCustomer(text, id) => {
                self.after_write();
                self.status = Some(Status { text, error: false });
                self.apply(Effect::OpenCustomer(id));
            }
            Effect::NewCustomer(phone) => {
                let form = CustomerForm::new(phone.as_deref(), self.repo.agent());
                self.overlay = Some(Overlay::Customer(Box::new(form)));
                if phone.is_some() {
                    self.status = Some(Status { text: Txt::UnknownNumber.get(self.lang).into(), error: false });
                }
            }
            Effect::EditCustomer(c) => self.overlay = Some(Overlay::Customer(Box::new(CustomerForm::edit(*c)))),
            Effect::Dial(id, number) => self.dial(id, &number),
            Effect::AskTeamRange => self.overlay = Some(Overlay::Prompt(PromptForm::new(Purpose::TeamRange, ""))),
            Effect::TeamRange(text) => {
                self.overlay = None;
                let view = self.view;
                let (mut env, _, _, _, care, _, team) = self.env();
                let set =
                    if view == View::Care { care.set_range(&text, &mut env) } else { team.set_range(&text, &mut env) };
                if let Err(e) = set {
                    self.status = Some(Status { text: e, error: true });
                }
            }
            Effect::AskAnalysisRange => {
                self.overlay = Some(Overlay::Prompt(PromptForm::new(Purpose::AnalysisRange, "")));
            }
            Effect::AnalysisRange(text) => {
                self.overlay = None;
                let (mut env, _, _, pipeline, ..) = self.env();
                if let Err(e) = pipeline.set_analysis_range(&text, &mut env) {
                    self.status = Some(Status { text: e, error: true });
                }
            }
            Effect::NewComplaint(id, name) => self.overlay = Some(Overlay::Complaint(ComplaintForm::new(id, &name))),
            Effect::AskCase(case, anticipate) => {
                let purpose = if anticipate { Purpose::Anticipate(case) } else { Purpose::Satisfaction(case) };
                self.overlay = Some(Overlay::Prompt(PromptForm::new(purpose, "")));
            }
            Effect::BoardFilter(text) => {
                self.overlay = None;
                let (mut env, _, _, pipeline, ..) = self.env();
                pipeline.set_text_filter(text, &mut env);
            }
            Effect::Snooze(item) => self.overlay = Some(Overlay::Snooze(SnoozeForm::new(item))),
            Effect::Status(text) => self.status = Some(Status { text, error: false }),
            Effect::Saved(text) => {
                self.after_write();
                self.status = Some(Status { text, error: false });
            }
            Effect::SavedHere(text) => {
                self.data_version = self.repo.data_version().unwrap_or(self.data_version);
                self.stale = Stale::ALL;
                self.stale.take(self.view);
                self.status = Some(Status { text, error: false });
            }
            Effect::Error(text) => self.status = Some(Status { text, error: true }),
        }
    }

    /// Whether a form asked for the external editor (the loop stops
    /// handling keys until it has run).
    pub fn has_editor_request(&self) -> bool {
        self.editor_request.is_some()
    }

    /// The text a form asked to have written in the external editor, once.
    pub fn take_editor_request(&mut self) -> Option<String> {
        self.editor_request.take()
    }

    /// What came back from the external editor: the text replaces the
    /// focused field (a trailing newline dropped); an error is shown and the
    /// field keeps what it had.
    pub fn editor_finished(&mut self, result: Result<String, String>) {
        match result {
            Ok(text) => {
                if let Some(field) = self.overlay.as_mut().and_then(|o| o.long_text_mut()) {
                    *field = text.trim_end_matches(['\n', '\r']).to_string();
                }
            }
            Err(e) => self.status = Some(Status { text: e, error: true }),
        }
    }

    /// Fills an empty base with demo data (the first-run offer).
    fn load_demo(&mut self) {
        let result = (|| -> crate::repo::Result<()> {
            if self.repo.customer_count()? > 0 {
                return Ok(());
            }
            let opts = crate::demo::DemoOptions {
                customers: 300,
                seed: 42,
                today: self.now().with_timezone(&chrono::Local).date_naive(),
                stages: self.config.pipeline.stages.iter().map(|s| s.name.clone()).collect(),
                lost_reasons: self.config.pipeline.lost_reasons.clone(),
            };
            crate::demo::generate(&mut self.repo, &opts)?;
            let today = self.now().with_timezone(&chrono::Local).date_naive();
            crate::services::pyramid::recompute(&mut self.repo, &self.config, today)?;
            Ok(())
        })();
        self.status = Some(match result {
            Ok(()) => Status { text: Txt::DemoLoaded.get(self.lang).to_string(), error: false },
            Err(e) => Status { text: e.to_string(), error: true },
        });
        self.after_write();
    }

    /// After this session wrote something: refresh what shows it.
    fn after_write(&mut self) {
        self.data_version = self.repo.data_version().unwrap_or(self.data_version);
        self.money_mark = self.repo.newest_transaction().unwrap_or(self.money_mark);
        self.reload_all();
    }

    pub fn render(&mut self, f: &mut Frame) {
        self.settle();
        let area = f.area();
        let th = self.theme.clone();
        let ui = Ui { theme: &th, lang: self.lang, keymap: &self.keymap, now: self.now() };
        if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
            let msg = format!(
                "{} ({}×{}): {} {MIN_WIDTH}×{MIN_HEIGHT}",
                ui.t(Txt::TooSmall),
                area.width,
                area.height,
                ui.t(Txt::Need)
            );
            f.render_widget(
                Paragraph::new(fit(&msg, area.width as usize * area.height as usize, &th))
                    .wrap(ratatui::widgets::Wrap { trim: true }),
                area,
            );
            return;
        }
        let [tabs, body, footer] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(1), Constraint::Length(1)]).areas(area);
        self.render_tabs(f, tabs, &ui);
        match self.view {
            View::Customers => self.customers.render(f, body, &ui),
            View::Pyramid => self.pyramid.render(f, body, &ui),
            View::Pipeline => self.pipeline.render(f, body, &ui),
            View::Care => self.care.render(f, body, &ui),
            View::Team => self.team.render(f, body, &ui),
            View::Card => self.card.render(f, body, &ui),
        }
        if let Some(o) = &self.overlay {
            o.render(f, body, &ui);
        }
        if let Some(h) = &mut self.help {
            h.render(f, body, &ui, &self.keymap_name);
        }
        self.render_footer(f, footer, &ui);
    }

    fn render_tabs(&self, f: &mut Frame, area: Rect, ui: &Ui) {
        let th = ui.theme;
        let mut spans = vec![Span::styled(format!(" {} ", ui.t(Txt::AppName)), th.title())];
        let actions =
            [Action::PaneCustomers, Action::PanePyramid, Action::PanePipeline, Action::PaneCare, Action::PaneTeam];
        for (v, a) in TABS.iter().zip(actions) {
            let name = match v {
                View::Customers => Txt::PaneCustomers,
                View::Pyramid => Txt::PanePyramid,
                View::Pipeline => Txt::PanePipeline,
                View::Team => Txt::PaneTeam,
                _ => Txt::PaneCare,
            };
            let key = self.keymap.keys_for(Context::Global, a).into_iter().next().unwrap_or_default();
            let active = *v == self.view || (self.view == View::Card && *v == self.card_from);
            let style = if active { th.tab_active() } else { th.dim() };
            spans.push(Span::raw(" "));
            spans.push(Span::styled(format!(" {key} {} ", ui.t(name)), style));
        }
        if self.repo.is_read_only() {
            spans.push(Span::styled(format!("  {}", ui.t(Txt::ReadOnly)), th.alert()));
        }
        f.render_widget(Paragraph::new(Line::from(spans)), area);
    }

    fn render_footer(&self, f: &mut Frame, area: Rect, ui: &Ui) {
        let th = ui.theme;
        let w = area.width as usize;
        if let Some(s) = &self.status {
            let style = if s.error { th.error() } else { th.ok() };
            f.render_widget(Paragraph::new(Span::styled(fit(&s.text, w, th), style)), area);
            return;
        }
        let ctx = self.context();
        let hint =
            |a: Action, t: Txt| self.keymap.keys_for(ctx, a).into_iter().next().map(|k| format!("{k} {}", ui.t(t)));
        let hints: &[(Action, Txt)] = match ctx {
            Context::Card => &[
                (Action::Help, Txt::KeyHelp),
                (Action::LogInteraction, Txt::KeyLog),
                (Action::Dial, Txt::KeyDial),
                (Action::NewTransaction, Txt::KeyMoney),
                (Action::PinTier, Txt::KeyPin),
                (Action::Back, Txt::KeyBack),
                (Action::Quit, Txt::KeyQuit),
            ],
            Context::Pipeline => &[
                (Action::Help, Txt::KeyHelp),
                (Action::StageNext, Txt::KeyMove),
                (Action::Won, Txt::KeyWon),
                (Action::Lost, Txt::KeyLost),
                (Action::NewDeal, Txt::KeyNew),
                (Action::Open, Txt::KeyOpen),
                (Action::Quit, Txt::KeyQuit),
            ],
            Context::Pyramid => &[
                (Action::Help, Txt::KeyHelp),
                (Action::Open, Txt::KeyOpen),
                (Action::Migration, Txt::KeyMigration),
                (Action::Snapshot, Txt::KeySnapshot),
                (Action::Back, Txt::KeyBack),
                (Action::Quit, Txt::KeyQuit),
            ],
            Context::SearchInput => &[(Action::Open, Txt::KeyOpen), (Action::Back, Txt::KeyBack)],
            Context::Team => &[
                (Action::Help, Txt::KeyHelp),
                (Action::TeamMode, Txt::KeyTeamMode),
                (Action::TeamPeriod, Txt::KeyPeriod),
                (Action::SortCards, Txt::KeySort),
                (Action::Quit, Txt::KeyQuit),
            ],
            Context::Care => &[
                (Action::Help, Txt::KeyHelp),
                (Action::Done, Txt::KeyDone),
                (Action::Snooze, Txt::KeySnooze),
                (Action::Complaints, Txt::KeyComplaints),
                (Action::NextStep, Txt::KeyStep),
                (Action::CloseCase, Txt::KeyCloseCase),
                (Action::LogInteraction, Txt::KeyLog),
                (Action::Quit, Txt::KeyQuit),
            ],
            _ => &[
                (Action::Help, Txt::KeyHelp),
                (Action::Search, Txt::KeySearch),
                (Action::Open, Txt::KeyOpen),
                (Action::LogInteraction, Txt::KeyLog),
                (Action::Back, Txt::KeyBack),
                (Action::Quit, Txt::KeyQuit),
            ],
        };
        let parts: Vec<String> = hints.iter().filter_map(|(a, t)| hint(*a, *t)).collect();
        let db = self.repo.path().file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        let left = parts.join("  ");
        let room = w.saturating_sub(crate::domain::text::width(&left) + 2);
        let text = if room > 10 { format!("{left}  {}", fit(&db, room, th)) } else { fit(&left, w, th) };
        f.render_widget(Paragraph::new(Span::styled(text, th.dim())), area);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_job_leaves_checkpoints_to_the_thread_only_when_it_runs() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.db");
        assert_eq!(open_for_job(&path, "job", true).unwrap().wal_autocheckpoint().unwrap(), 0);
        assert_eq!(open_for_job(&path, "job", false).unwrap().wal_autocheckpoint().unwrap(), 1_000);
        assert_eq!(open_for_job(&path, "job", false).unwrap().page_cache_kib().unwrap(), JOB_CACHE_KIB);
    }
}
