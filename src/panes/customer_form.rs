//! Creating and editing a customer: kind, name, company, phone, email,
//! city, country, owner, credit limit. A new customer may come with a phone
//! number already filled in (an unknown caller).
//!
//! A save refused because someone else saved the customer meanwhile reads
//! it again and names the fields they changed; the user then reloads their
//! version, overwrites it with theirs on purpose, or keeps editing.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::widgets::{block, cell, centered, fit};
use super::{Effect, Env, Ui, conflict};
use crate::app::Action;
use crate::domain::conflict::{Clash, compare, customer_fields};
use crate::domain::model::{Customer, CustomerKind, NewCustomer};
use crate::domain::money::Money;
use crate::i18n::Txt;
use crate::repo::RepoError;

const LABELS: [Txt; 9] = [
    Txt::ColKind,
    Txt::ColName,
    Txt::Company,
    Txt::Phone,
    Txt::Email,
    Txt::FieldCity,
    Txt::FieldCountry,
    Txt::Owner,
    Txt::FieldCreditLimit,
];

/// The fields the form edits, as [`customer_fields`] names them, in
/// `LABELS` order.
const FIELDS: [&str; 9] = ["kind", "name", "company", "phone", "email", "city", "country", "owner", "credit_limit"];

/// A save refused because someone else saved the customer meanwhile.
struct Conflict {
    /// The customer as stored now.
    fresh: Customer,
    clash: Clash,
}

pub struct CustomerForm {
    /// The customer as it was when the form opened (or was last reloaded).
    editing: Option<Customer>,
    kind: usize,
    /// Text of the fields after Kind, in `LABELS` order.
    values: [String; 8],
    focus: usize,
    error: Option<String>,
    /// Shown in place of an error: what just happened (a reload).
    notice: Option<String>,
    conflict: Option<Conflict>,
}

/// The kind's index and the text of the other fields, for `c`.
fn form_values(c: &Customer) -> (usize, [String; 8]) {
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    let values = [
        c.name.clone(),
        o(&c.company),
        o(&c.phone),
        o(&c.email),
        o(&c.city),
        o(&c.country),
        o(&c.owner),
        c.credit_limit.map(|m| m.to_string().replace(',', "")).unwrap_or_default(),
    ];
    (CustomerKind::ALL.iter().position(|k| *k == c.kind).unwrap_or(2), values)
}

impl CustomerForm {
    pub fn new(phone: Option<&str>, owner: &str) -> CustomerForm {
        let mut values: [String; 8] = Default::default();
        values[2] = phone.unwrap_or_default().to_string();
        values[6] = owner.to_string();
        CustomerForm { editing: None, kind: 2, values, focus: 1, error: None, notice: None, conflict: None }
    }

    pub fn edit(c: Customer) -> CustomerForm {
        let (kind, values) = form_values(&c);
        CustomerForm { editing: Some(c), kind, values, focus: 1, error: None, notice: None, conflict: None }
    }

    /// Whether a conflict is on screen, waiting for r, o or esc.
    pub fn in_conflict(&self) -> bool {
        self.conflict.is_some()
    }

    /// A typed character: text for the focused field, or, while a conflict
    /// is shown, its choice (r reload, o overwrite).
    pub fn type_char(&mut self, c: char, env: &mut Env) -> Effect {
        if self.conflict.is_some() {
            return match c {
                'r' | 'R' => self.reload(env.config.language()),
                'o' | 'O' => self.overwrite(env),
                _ => Effect::None,
            };
        }
        self.error = None;
        self.notice = None;
        if self.focus > 0 {
            self.values[self.focus - 1].push(c);
        }
        Effect::None
    }

    pub fn backspace(&mut self) {
        if self.focus > 0 && self.conflict.is_none() {
            self.values[self.focus - 1].pop();
        }
    }

    pub fn handle(&mut self, action: Action, env: &mut Env) -> Effect {
        if self.conflict.is_some() {
            // Esc keeps editing; nothing else applies until a choice is made.
            if matches!(action, Action::Cancel | Action::Back) {
                self.conflict = None;
            }
            return Effect::None;
        }
        let n = LABELS.len();
        let kinds = CustomerKind::ALL.len();
        match action {
            Action::NextField | Action::Down => self.focus = (self.focus + 1) % n,
            Action::PrevField | Action::Up => self.focus = (self.focus + n - 1) % n,
            Action::Left if self.focus == 0 => self.kind = (self.kind + kinds - 1) % kinds,
            Action::Right if self.focus == 0 => self.kind = (self.kind + 1) % kinds,
            Action::Cancel | Action::Back => return Effect::Back,
            Action::Submit => return self.submit(env),
            _ => {}
        }
        Effect::None
    }

    /// The form's values over `c`: what saving them would store.
    fn applied(&self, c: &Customer, credit: Option<Money>) -> Customer {
        let v = &self.values;
        let opt = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        let mut c = c.clone();
        c.kind = CustomerKind::ALL[self.kind];
        c.name = v[0].trim().into();
        c.company = opt(&v[1]);
        c.phone = opt(&v[2]);
        c.email = opt(&v[3]);
        c.city = opt(&v[4]);
        c.country = opt(&v[5]);
        c.owner = opt(&v[6]);
        c.credit_limit = credit;
        c
    }

    /// The save was refused: reads the customer again and compares. When
    /// they changed nothing this form shows, the user's values are saved
    /// over their version (nothing of theirs is undone); otherwise the
    /// conflict is shown and the user chooses.
    fn conflicted(&mut self, credit: Option<Money>, env: &mut Env) -> Effect {
        let lang = env.config.language();
        let Some(base) = self.editing.clone() else { return Effect::None };
        let mine = self.applied(&base, credit);
        for _ in 0..3 {
            let fresh = match env.repo.customer(base.id) {
                Ok(c) => c,
                Err(e) => {
                    self.error = Some(e.to_string());
                    return Effect::None;
                }
            };
            let clash = compare(&customer_fields(&base), &customer_fields(&fresh), &customer_fields(&mine));
            if clash.touches(&FIELDS) {
                self.conflict = Some(Conflict { fresh, clash });
                return Effect::None;
            }
            match env.repo.update_customer(&self.applied(&fresh, credit)) {
                Ok(_) => {
                    let mut text = Txt::CustomerSaved.get(lang).to_string();
                    if !clash.is_empty() {
                        let names: Vec<String> = clash.theirs.iter().map(|f| Txt::field_name(f, lang)).collect();
                        text = format!("{text} ({}: {})", Txt::ConflictKept.get(lang), names.join(", "));
                    }
                    return Effect::SavedCustomer(text, base.id);
                }
                Err(RepoError::Conflict { .. }) => continue,
                Err(e) => {
                    self.error = Some(e.to_string());
                    return Effect::None;
                }
            }
        }
        self.error = Some(RepoError::Conflict { entity: "customer", id: base.id }.to_string());
        Effect::None
    }

    /// r: their version in the form; the user's changes are dropped.
    fn reload(&mut self, lang: crate::config::Lang) -> Effect {
        let Some(Conflict { fresh, .. }) = self.conflict.take() else { return Effect::None };
        (self.kind, self.values) = form_values(&fresh);
        self.editing = Some(fresh);
        self.error = None;
        self.notice = Some(Txt::ConflictReloaded.get(lang).into());
        Effect::None
    }

    /// o: the user's values saved over their version, on purpose.
    fn overwrite(&mut self, env: &mut Env) -> Effect {
        let Some(Conflict { fresh, .. }) = self.conflict.take() else { return Effect::None };
        let lang = env.config.language();
        let Ok(credit) = self.credit(lang) else { return Effect::None };
        match env.repo.update_customer(&self.applied(&fresh, credit)) {
            Ok(_) => Effect::SavedCustomer(Txt::CustomerSaved.get(lang).into(), fresh.id),
            // Yet another save meanwhile: compare again.
            Err(RepoError::Conflict { .. }) => self.conflicted(credit, env),
            Err(e) => {
                self.error = Some(e.to_string());
                Effect::None
            }
        }
    }

    /// The credit limit as typed; `Err` (with the error shown and the focus
    /// on it) if it is not an amount.
    fn credit(&mut self, lang: crate::config::Lang) -> Result<Option<Money>, ()> {
        match self.values[7].trim() {
            "" => Ok(None),
            t => match Money::parse(t) {
                Ok(m) if m.0 >= 0 => Ok(Some(m)),
                Ok(_) => {
                    self.error = Some(Txt::ErrNegativeAmount.get(lang).into());
                    self.focus = 8;
                    Err(())
                }
                Err(e) => {
                    self.error = Some(e);
                    self.focus = 8;
                    Err(())
                }
            },
        }
    }

    fn submit(&mut self, env: &mut Env) -> Effect {
        let lang = env.config.language();
        let v = &self.values;
        if v[0].trim().is_empty() {
            self.error = Some(Txt::ErrNameRequired.get(lang).into());
            self.focus = 1;
            return Effect::None;
        }
        let Ok(credit) = self.credit(lang) else { return Effect::None };
        let v = &self.values;
        let opt = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        let kind = CustomerKind::ALL[self.kind];
        let result = match &self.editing {
            Some(c) => {
                let c = self.applied(c, credit);
                match env.repo.update_customer(&c) {
                    Err(RepoError::Conflict { .. }) => return self.conflicted(credit, env),
                    r => r.map(|_| c.id),
                }
            }
            None => {
                let mut c = NewCustomer::named(kind, v[0].trim());
                c.company = opt(&v[1]);
                c.phone = opt(&v[2]);
                c.email = opt(&v[3]);
                c.city = opt(&v[4]);
                c.country = opt(&v[5]);
                c.owner = opt(&v[6]);
                c.credit_limit = credit;
                env.repo.create_customer(&c)
            }
        };
        match result {
            Ok(id) => Effect::SavedCustomer(Txt::CustomerSaved.get(lang).into(), id),
            Err(e) => {
                self.error = Some(e.to_string());
                Effect::None
            }
        }
    }

    /// The conflict's lines, `w` cells wide.
    fn conflict_lines(&self, w: usize, ui: &Ui) -> Vec<Line<'static>> {
        let Some(Conflict { fresh, clash }) = &self.conflict else { return Vec::new() };
        let (kind, theirs) = form_values(fresh);
        let kind_name = |k: usize| ui.t(Txt::kind(CustomerKind::ALL[k])).to_string();
        let rows: Vec<conflict::Row> = FIELDS
            .iter()
            .enumerate()
            .filter(|(_, f)| clash.theirs.contains(f))
            .map(|(i, f)| {
                let (theirs, mine) = if i == 0 {
                    (kind_name(kind), kind_name(self.kind))
                } else {
                    (theirs[i - 1].clone(), self.values[i - 1].clone())
                };
                conflict::Row {
                    label: ui.t(LABELS[i]).to_string(),
                    theirs,
                    mine: clash.both.contains(f).then_some(mine),
                }
            })
            .collect();
        conflict::lines(clash, &rows, w, 16, ui)
    }

    pub fn render(&self, f: &mut Frame, area: Rect, ui: &Ui) {
        let th = ui.theme;
        let inner_w = 70.min(area.width).saturating_sub(2) as usize;
        let conflict = self.conflict_lines(inner_w, ui);
        let extra = if conflict.is_empty() { 0 } else { conflict.len() as u16 + 1 };
        let message = u16::from(self.error.is_some() || self.notice.is_some());
        let height = LABELS.len() as u16 + 4 + message + extra;
        let rect = centered(area, 70.min(area.width), height.min(area.height));
        f.render_widget(Clear, rect);
        let t = if self.editing.is_some() { Txt::EditCustomer } else { Txt::NewCustomer };
        let b = block(ui.t(t), th, true);
        let inner = b.inner(rect);
        f.render_widget(b, rect);
        let w = inner.width as usize;
        let mut lines = Vec::new();
        for (i, label) in LABELS.iter().enumerate() {
            let focused = i == self.focus;
            let value = if i == 0 {
                format!("< {} >", ui.t(Txt::kind(CustomerKind::ALL[self.kind])))
            } else {
                format!("{}{}", self.values[i - 1], if focused { "_" } else { "" })
            };
            let marker = if focused { th.cursor() } else { " " };
            let style = if focused { th.selected() } else { Default::default() };
            lines.push(Line::from(vec![
                Span::raw(format!("{marker} ")),
                Span::styled(cell(ui.t(*label), 16, th), th.header()),
                Span::styled(fit(&value, w.saturating_sub(18), th), style),
            ]));
        }
        lines.push(Line::raw(""));
        if let Some(e) = &self.error {
            lines.push(Line::from(Span::styled(fit(e, w, th), th.error())));
        } else if let Some(n) = &self.notice {
            lines.push(Line::from(Span::styled(fit(n, w, th), th.ok())));
        }
        if !conflict.is_empty() {
            lines.extend(conflict);
            lines.push(Line::raw(""));
        }
        lines.push(Line::from(Span::styled(fit(ui.t(Txt::DealFormHint), w, th), th.dim())));
        f.render_widget(Paragraph::new(lines), inner);
    }
}
