//! The form on top of the current view, if any: one at a time. Forms take
//! typed text; they return `Effect::Saved` when they wrote (the app closes
//! them and refreshes), `Effect::Back` when cancelled, `Effect::Error` to
//! stay open with a message (nothing typed is lost), `Effect::None` to stay.

use ratatui::Frame;
use ratatui::layout::Rect;

use super::close_form::CloseForm;
use super::complaint_form::ComplaintForm;
use super::contact_form::ContactForm;
use super::customer_form::CustomerForm;
use super::deal_form::DealForm;
use super::log_form::LogForm;
use super::prompt_form::PromptForm;
use super::reminder_form::ReminderForm;
use super::snooze_form::SnoozeForm;
use super::transaction_form::TransactionForm;
use super::{Effect, Env, Ui};
use crate::app::Action;
use crate::config::Lang;

pub enum Overlay {
    Log(LogForm),
    Snooze(SnoozeForm),
    Deal(Box<DealForm>),
    Close(CloseForm),
    Prompt(PromptForm),
    Complaint(ComplaintForm),
    Customer(Box<CustomerForm>),
    Transaction(TransactionForm),
    Reminder(ReminderForm),
    Contact(ContactForm),
}

impl Overlay {
    /// A typed character. Usually text; while a form shows a conflict, its
    /// choice (r reload, o overwrite), which may save and close the form.
    pub fn type_char(&mut self, c: char, lang: Lang, env: &mut Env) -> Effect {
        match self {
            Overlay::Log(f) => f.type_char(c, lang),
            Overlay::Snooze(f) => return f.type_char(c, env),
            Overlay::Deal(f) => return f.type_char(c, env),
            Overlay::Close(f) => f.type_char(c),
            Overlay::Prompt(f) => f.type_char(c),
            Overlay::Complaint(f) => f.type_char(c),
            Overlay::Customer(f) => return f.type_char(c, env),
            Overlay::Transaction(f) => f.type_char(c),
            Overlay::Reminder(f) => return f.type_char(c, env),
            Overlay::Contact(f) => return f.type_char(c, env),
        }
        Effect::None
    }

    pub fn backspace(&mut self, env: &mut Env) {
        match self {
            Overlay::Log(f) => f.backspace(),
            Overlay::Snooze(f) => f.backspace(),
            Overlay::Deal(f) => f.backspace(env),
            Overlay::Close(f) => f.backspace(),
            Overlay::Prompt(f) => f.backspace(),
            Overlay::Complaint(f) => f.backspace(),
            Overlay::Customer(f) => f.backspace(),
            Overlay::Transaction(f) => f.backspace(),
            Overlay::Reminder(f) => f.backspace(),
            Overlay::Contact(f) => f.backspace(),
        }
    }

    /// The focused field of the form, when it holds prose that may be
    /// written in an external editor (`$VISUAL` / `$EDITOR`).
    pub fn long_text_mut(&mut self) -> Option<&mut String> {
        match self {
            Overlay::Log(f) => f.long_text_mut(),
            Overlay::Complaint(f) => f.long_text_mut(),
            Overlay::Reminder(f) => f.long_text_mut(),
            _ => None,
        }
    }

    pub fn handle(&mut self, action: Action, env: &mut Env) -> Effect {
        if action == Action::ExternalEditor {
            return match self.long_text_mut() {
                Some(text) => Effect::OpenEditor(text.clone()),
                None => Effect::Ignored,
            };
        }
        match self {
            Overlay::Log(f) => f.handle(action, env),
            Overlay::Snooze(f) => f.handle(action, env),
            Overlay::Deal(f) => f.handle(action, env),
            Overlay::Close(f) => f.handle(action, env),
            Overlay::Prompt(f) => f.handle(action, env),
            Overlay::Complaint(f) => f.handle(action, env),
            Overlay::Customer(f) => f.handle(action, env),
            Overlay::Transaction(f) => f.handle(action, env),
            Overlay::Reminder(f) => f.handle(action, env),
            Overlay::Contact(f) => f.handle(action, env),
        }
    }

    pub fn render(&self, f: &mut Frame, area: Rect, ui: &Ui) {
        match self {
            Overlay::Log(o) => o.render(f, area, ui),
            Overlay::Snooze(o) => o.render(f, area, ui),
            Overlay::Deal(o) => o.render(f, area, ui),
            Overlay::Close(o) => o.render(f, area, ui),
            Overlay::Prompt(o) => o.render(f, area, ui),
            Overlay::Complaint(o) => o.render(f, area, ui),
            Overlay::Customer(o) => o.render(f, area, ui),
            Overlay::Transaction(o) => o.render(f, area, ui),
            Overlay::Reminder(o) => o.render(f, area, ui),
            Overlay::Contact(o) => o.render(f, area, ui),
        }
    }
}
