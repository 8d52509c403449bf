//! The one currency between keys and state: every key binding names an `Action`.

use serde::{Deserialize, Serialize};

/// Everything a key can ask the app to do. Key bindings name these in
/// snake_case (`action = "next_pane"`), so the keymap files stay readable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Leave rapport.
    Quit,
    /// Show the key bindings in force.
    Help,
    /// Switch to the customer list (search).
    PaneCustomers,
    /// Switch to the customer pyramid.
    PanePyramid,
    /// Switch to the pipeline board.
    PanePipeline,
    /// Switch to care (today's triage).
    PaneCare,
    /// Switch to the team view (agents, service levels, competitors).
    PaneTeam,
    /// Cycle to the next pane.
    NextPane,
    /// Cycle to the previous pane.
    PrevPane,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    First,
    Last,
    /// Open the selected item (a customer's card, a band's customers, ...).
    Open,
    /// Go back / close the current overlay.
    Back,
    /// Focus the search box and type to filter.
    Search,
    /// Log an interaction (call, email, visit, ...) with the current customer.
    LogInteraction,
    /// Reload the figures from the database.
    Refresh,
    /// Forms: move to the next field.
    NextField,
    /// Forms: move to the previous field.
    PrevField,
    /// Forms: save what was typed.
    Submit,
    /// Forms: throw away what was typed.
    Cancel,
    /// On an empty base: fill it with demo data.
    LoadDemo,
    /// Pyramid: show who moved between tiers since the previous snapshot.
    Migration,
    /// Pyramid: recompute and snapshot the tiers now.
    Snapshot,
    /// Card: pin the customer to a tier by hand, or unpin.
    PinTier,
    /// Care: mark the selected item done (then offer to log the interaction).
    Done,
    /// Care: snooze the selected reminder (a day, a week, a date).
    Snooze,
    /// Pipeline: move the selected deal to the next stage.
    StageNext,
    /// Pipeline: move the selected deal back a stage.
    StagePrev,
    /// Pipeline: mark the selected deal won (asks for a reason).
    Won,
    /// Pipeline: mark the selected deal lost (asks for a reason).
    Lost,
    /// Pipeline, card: create a deal.
    NewDeal,
    /// Pipeline: edit the selected deal.
    EditDeal,
    /// Pipeline: show only my deals, or everyone's.
    FilterMine,
    /// Pipeline: filter the board by text.
    FilterText,
    /// Pipeline: order cards by amount, close date or age.
    SortCards,
    /// Pipeline: the analysis view (conversion, win rate, forecast), or back to the board.
    Analysis,
    /// Pipeline analysis: the period (30 days, 90 days, this quarter, this year, a typed range).
    AnalysisPeriod,
    /// Care: open complaints with their 4A checklist, or back to today.
    Complaints,
    /// Care (complaints): tick the next 4A step (Anticipate asks for a note).
    NextStep,
    /// Care (complaints): close the complaint (asks the satisfaction, 1–5).
    CloseCase,
    /// Card: open a complaint for this customer.
    NewComplaint,
    /// Card: edit the customer.
    EditCustomer,
    /// Card: archive the customer (hidden, never deleted), or restore.
    Archive,
    /// Card: dial the customer's number with the configured dialer and log the call.
    Dial,
    /// Card: set a reminder (kind, when, note, owner, recurrence).
    NewReminder,
    /// Care: cancel the selected reminder, or mark the promise broken.
    CancelItem,
    /// Care: the next 7 days, or back to overdue and today.
    Upcoming,
    /// Care: only one kind of item (reminders, promises, complaints, or one kind of reminder), cycling.
    FilterKind,
    /// Care: edit the selected reminder (kind, when, note, owner, recurrence).
    EditReminder,
    /// Care: the promise-kept rate and complaint times over a period, or back to today.
    CareFigures,
    /// Customer list: possible duplicates (shared phone or email), or back to the list.
    Duplicates,
    /// Duplicates: merge the others of the group into the chosen customer (press twice).
    Merge,
    /// Form: write the focused long text (summary, note, description) in $VISUAL / $EDITOR.
    ExternalEditor,
    /// Card: enter a transaction (sale, payment, refund, ...).
    NewTransaction,
    /// Card: lift the customer's credit hold (audited).
    LiftHold,
    /// Card: the record's history from the audit log (who, when, old → new).
    History,
    /// Team: agents, teams, or competitors.
    TeamMode,
    /// Team, care figures: this week, this month, the last 30 days, or a typed range.
    TeamPeriod,
    /// Customer list: a new customer.
    NewCustomer,
    /// Customer list: show archived customers instead of active ones.
    ToggleArchived,
    /// Customer list: only one lifecycle stage (prospect, new, ... lost), cycling.
    LifecycleFilter,
    /// Pyramid: the win-back list (lost customers who were once Top or Growth).
    WinBack,
    /// Does nothing: bind a key to it to switch that key off.
    Noop,
}

impl Action {
    /// Every action, in the order the help screen lists them.
    pub const ALL: &'static [Action] = &[
        Action::Quit,
        Action::Help,
        Action::PaneCustomers,
        Action::PanePyramid,
        Action::PanePipeline,
        Action::PaneCare,
        Action::PaneTeam,
        Action::NextPane,
        Action::PrevPane,
        Action::Up,
        Action::Down,
        Action::Left,
        Action::Right,
        Action::PageUp,
        Action::PageDown,
        Action::First,
        Action::Last,
        Action::Open,
        Action::Back,
        Action::Search,
        Action::LogInteraction,
        Action::Refresh,
        Action::NextField,
        Action::PrevField,
        Action::Submit,
        Action::Cancel,
        Action::LoadDemo,
        Action::Migration,
        Action::Snapshot,
        Action::PinTier,
        Action::Done,
        Action::Snooze,
        Action::StageNext,
        Action::StagePrev,
        Action::Won,
        Action::Lost,
        Action::NewDeal,
        Action::EditDeal,
        Action::FilterMine,
        Action::FilterText,
        Action::SortCards,
        Action::Analysis,
        Action::AnalysisPeriod,
        Action::Complaints,
        Action::NextStep,
        Action::CloseCase,
        Action::NewComplaint,
        Action::EditCustomer,
        Action::Archive,
        Action::Dial,
        Action::NewReminder,
        Action::CancelItem,
        Action::Upcoming,
        Action::FilterKind,
        Action::EditReminder,
        Action::CareFigures,
        Action::ExternalEditor,
        Action::Duplicates,
        Action::Merge,
        Action::NewTransaction,
        Action::LiftHold,
        Action::History,
        Action::TeamMode,
        Action::TeamPeriod,
        Action::NewCustomer,
        Action::ToggleArchived,
        Action::LifecycleFilter,
        Action::WinBack,
        Action::Noop,
    ];
}
