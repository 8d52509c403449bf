//! One module per pane: its state, its rendering, the actions it handles.
//! Panes read and write through the repository; they never write SQL.

pub mod card;
pub mod care;
pub mod care_figures;
pub mod close_form;
pub mod complaint_form;
pub mod conflict;
pub mod contact_form;
pub mod customer_form;
pub mod customers;
pub mod deal_form;
pub mod duplicates;
pub mod help;
pub mod log_form;
pub mod overlay;
pub mod period;
pub mod pipeline;
pub mod pipeline_analysis;
pub mod prompt_form;
pub mod pyramid;
pub mod reminder_form;
pub mod snooze_form;
pub mod team;
pub mod transaction_form;
pub mod widgets;

use chrono::{DateTime, Local, NaiveDate, Utc};

use crate::config::{Config, Lang};
use crate::i18n::Txt;
use crate::keymap::Keymap;
use crate::repo::Repo;
use crate::theme::Theme;

/// What panes need to draw: no database here, rendering never queries.
pub struct Ui<'a> {
    pub theme: &'a Theme,
    pub lang: Lang,
    pub keymap: &'a Keymap,
    /// The time the frame is drawn at (fixed in tests).
    pub now: DateTime<Utc>,
}

impl Ui<'_> {
    /// Today in the user's time zone.
    pub fn today(&self) -> NaiveDate {
        self.now.with_timezone(&Local).date_naive()
    }
}

impl Ui<'_> {
    pub fn t(&self, key: Txt) -> &'static str {
        key.get(self.lang)
    }
}

/// What panes need to act: the base and the settings.
pub struct Env<'a> {
    pub repo: &'a mut Repo,
    pub config: &'a Config,
    /// The time the action happens at (fixed in tests).
    pub now: DateTime<Utc>,
}

impl Env<'_> {
    /// Today in the user's time zone.
    pub fn today(&self) -> NaiveDate {
        self.now.with_timezone(&Local).date_naive()
    }
}

/// What a pane asks the app to do after handling an action.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Handled; nothing else to do.
    None,
    /// Not handled here; the app may try a global meaning.
    Ignored,
    /// Open this customer's card.
    OpenCustomer(i64),
    /// Open the interaction form for this customer.
    LogInteraction(i64),
    /// Close the current view.
    Back,
    /// Tell the user something (already translated).
    Status(String),
    /// This pane wrote to the base: other panes must reload; then say so.
    Saved(String),
    /// Like `Saved`, but this pane has already re-read what it shows (a
    /// deal moved on the board): only the other panes are marked stale.
    SavedHere(String),
    /// Written; now offer to log the interaction with this customer.
    SavedThenLog(String, i64),
    /// Open the deal form: a new deal (for this customer, in this stage).
    NewDeal(Option<(i64, String)>, usize),
    /// Open the deal form on this deal.
    EditDeal(Box<crate::domain::model::Deal>),
    /// Ask for the reason this deal was won (true) or lost (false).
    CloseDeal(Box<crate::domain::model::Deal>, bool),
    /// Ask for the team view's date range.
    AskTeamRange,
    /// The team view's range was typed.
    TeamRange(String),
    /// Ask for the pipeline analysis's date range.
    AskAnalysisRange,
    /// The pipeline analysis's range was typed.
    AnalysisRange(String),
    /// Ask for the board's text filter (starting from this text).
    AskBoardFilter(String),
    /// Money was entered: reload, recompute the pyramid beside the screen.
    SavedMoney(String),
    /// Open the reminder form for this customer.
    NewReminder(i64, String),
    /// The contact form: a new contact of (customer id, name).
    NewContact(i64, String),
    /// The contact form on this contact (of the named customer).
    EditContact(Box<crate::domain::model::Contact>, String),
    /// Write this text (the focused form field) in the external editor.
    OpenEditor(String),
    /// Open the reminder form on this reminder (care's edit).
    EditReminder(Box<crate::domain::model::Reminder>),
    /// Open the transaction form for this customer.
    NewTransaction(i64, String),
    /// A customer was saved: reload, say so, and show their card.
    SavedCustomer(String, i64),
    /// Open the customer form: a new customer (with this phone), or edit one.
    NewCustomer(Option<String>),
    EditCustomer(Box<crate::domain::model::Customer>),
    /// Dial this number with the configured dialer, then log the call.
    Dial(i64, String),
    /// Open the complaint form for this customer.
    NewComplaint(i64, String),
    /// Ask the Anticipate note (true) or the satisfaction to close (false).
    AskCase(Box<crate::domain::model::Case>, bool),
    /// The board's text filter was given.
    BoardFilter(String),
    /// Ask when to snooze this item until.
    Snooze(crate::repo::reminders::DueItem),
    /// Recompute the pyramid (and snapshot it) in the background.
    Recompute,
    /// Something went wrong; nothing was lost (already translated).
    Error(String),
}
