//! Creating and editing a contact of a customer: name, role, phone, email,
//! birthday. An edit refused because someone else saved the contact
//! meanwhile names what they changed; the user reloads their version,
//! overwrites it on purpose, or keeps editing (esc).

use chrono::NaiveDate;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::widgets::{block, cell, centered, clean, fit};
use super::{Effect, Env, Ui};
use crate::app::Action;
use crate::domain::conflict::{Clash, compare, contact_fields};
use crate::domain::model::{Contact, NewContact};
use crate::i18n::Txt;
use crate::repo::RepoError;

const LABELS: [Txt; 5] = [Txt::ColName, Txt::FieldRole, Txt::Phone, Txt::Email, Txt::FieldBirthday];

pub struct ContactForm {
    customer_id: i64,
    customer_name: String,
    /// The contact as read when the form opened (or was reloaded); `None`
    /// for a new one.
    editing: Option<Contact>,
    values: [String; 5],
    focus: usize,
    error: Option<String>,
    notice: Option<String>,
    conflict: Option<(Contact, Clash)>,
}

fn values_of(c: &Contact) -> [String; 5] {
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    [c.name.clone(), o(&c.role), o(&c.phone), o(&c.email), c.birthday.map(|b| b.to_string()).unwrap_or_default()]
}

impl ContactForm {
    pub fn new(customer_id: i64, customer_name: &str) -> ContactForm {
        ContactForm {
            customer_id,
            customer_name: customer_name.into(),
            editing: None,
            values: Default::default(),
            focus: 0,
            error: None,
            notice: None,
            conflict: None,
        }
    }

    pub fn edit(c: Contact, customer_name: &str) -> ContactForm {
        let mut f = ContactForm::new(c.customer_id, customer_name);
        f.values = values_of(&c);
        f.editing = Some(c);
        f
    }

    /// A typed character: text for the focused field, or, while a conflict
    /// is shown, its choice (r reload, o overwrite).
    pub fn type_char(&mut self, c: char, env: &mut Env) -> Effect {
        if let Some((fresh, _)) = &self.conflict {
            return match c {
                'r' | 'R' => {
                    let fresh = fresh.clone();
                    self.values = values_of(&fresh);
                    self.editing = Some(fresh);
                    self.conflict = None;
                    self.notice = Some(Txt::ConflictReloaded.get(env.config.language()).into());
                    Effect::None
                }
                'o' | 'O' => {
                    let fresh = fresh.clone();
                    self.editing = Some(fresh);
                    self.conflict = None;
                    self.submit(env)
                }
                _ => Effect::None,
            };
        }
        self.error = None;
        self.notice = None;
        self.values[self.focus].push(c);
        Effect::None
    }

    pub fn backspace(&mut self) {
        if self.conflict.is_none() {
            self.values[self.focus].pop();
        }
    }

    pub fn handle(&mut self, action: Action, env: &mut Env) -> Effect {
        if self.conflict.is_some() {
            if matches!(action, Action::Cancel | Action::Back) {
                self.conflict = None;
            }
            return Effect::None;
        }
        let n = LABELS.len();
        match action {
            Action::NextField | Action::Down => self.focus = (self.focus + 1) % n,
            Action::PrevField | Action::Up => self.focus = (self.focus + n - 1) % n,
            Action::Cancel | Action::Back => return Effect::Back,
            Action::Submit => return self.submit(env),
            _ => {}
        }
        Effect::None
    }

    /// The form's values over `base`: what saving them would store.
    fn applied(&self, base: &Contact, birthday: Option<NaiveDate>) -> Contact {
        let opt = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        Contact {
            name: self.values[0].trim().into(),
            role: opt(&self.values[1]),
            phone: opt(&self.values[2]),
            email: opt(&self.values[3]),
            birthday,
            ..base.clone()
        }
    }

    fn submit(&mut self, env: &mut Env) -> Effect {
        let lang = env.config.language();
        if self.values[0].trim().is_empty() {
            self.error = Some(Txt::ErrNameRequired.get(lang).into());
            self.focus = 0;
            return Effect::None;
        }
        let birthday = match self.values[4].trim() {
            "" => None,
            t => match NaiveDate::parse_from_str(t, "%Y-%m-%d") {
                Ok(d) => Some(d),
                Err(_) => {
                    self.error = Some(Txt::ErrBadBirthday.get(lang).into());
                    self.focus = 4;
                    return Effect::None;
                }
            },
        };
        let saved = Effect::Saved(Txt::ContactSaved.get(lang).into());
        let Some(base) = self.editing.clone() else {
            let c = self.applied(
                &Contact {
                    id: 0,
                    customer_id: self.customer_id,
                    name: String::new(),
                    role: None,
                    email: None,
                    phone: None,
                    birthday: None,
                    archived: false,
                    version: 0,
                },
                birthday,
            );
            let new = NewContact {
                customer_id: c.customer_id,
                name: c.name,
                role: c.role,
                email: c.email,
                phone: c.phone,
                birthday: c.birthday,
            };
            return match env.repo.create_contact(&new) {
                Ok(_) => saved,
                Err(e) => self.failed(e),
            };
        };
        let mine = self.applied(&base, birthday);
        match env.repo.update_contact(&mine) {
            Ok(_) => saved,
            Err(RepoError::Conflict { .. }) => {
                let fresh = match env.repo.contact(base.id) {
                    Ok(c) => c,
                    Err(e) => return self.failed(e),
                };
                let clash = compare(&contact_fields(&base), &contact_fields(&fresh), &contact_fields(&mine));
                self.conflict = Some((fresh, clash));
                Effect::None
            }
            Err(e) => self.failed(e),
        }
    }

    fn failed(&mut self, e: RepoError) -> Effect {
        self.error = Some(e.to_string());
        Effect::None
    }

    pub fn render(&self, f: &mut Frame, area: Rect, ui: &Ui) {
        let th = ui.theme;
        let w_out = 70.min(area.width);
        let conflict_lines = self
            .conflict
            .as_ref()
            .map(|(_, clash)| super::conflict::lines(clash, &[], w_out.saturating_sub(2) as usize, 12, ui))
            .unwrap_or_default();
        let extra = u16::from(self.error.is_some() || self.notice.is_some()) + conflict_lines.len() as u16;
        let rect = centered(area, w_out, 9 + extra);
        f.render_widget(Clear, rect);
        let title = if self.editing.is_some() { Txt::EditContact } else { Txt::NewContact };
        let b = block(&format!("{} · {}", ui.t(title), clean(&self.customer_name, th)), th, true);
        let inner = b.inner(rect);
        f.render_widget(b, rect);
        let w = inner.width as usize;
        let mut lines = Vec::new();
        for (i, label) in LABELS.iter().enumerate() {
            let style = if i == self.focus { th.selected() } else { Default::default() };
            let marker = if i == self.focus { th.cursor() } else { " " };
            let caret = if i == self.focus { "_" } else { "" };
            lines.push(Line::from(vec![
                Span::raw(format!("{marker} ")),
                Span::styled(cell(ui.t(*label), 12, th), th.header()),
                Span::styled(fit(&format!("{}{caret}", self.values[i]), w.saturating_sub(14), th), style),
            ]));
        }
        lines.extend(conflict_lines);
        if let Some(e) = &self.error {
            lines.push(Line::from(Span::styled(fit(e, w, th), th.error())));
        } else if let Some(n) = &self.notice {
            lines.push(Line::from(Span::styled(fit(n, w, th), th.ok())));
        }
        lines.push(Line::from(Span::styled(fit(ui.t(Txt::ContactFormHint), w, th), th.dim())));
        f.render_widget(Paragraph::new(lines), inner);
    }
}
