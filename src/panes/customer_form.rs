//! Creating and editing a customer: kind, name, company, phone, email,
//! city, country, owner, credit limit. A new customer may come with a phone
//! number already filled in (an unknown caller).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::widgets::{block, cell, centered, fit};
use super::{Effect, Env, Ui};
use crate::app::Action;
use crate::domain::model::{Customer, CustomerKind, NewCustomer};
use crate::domain::money::Money;
use crate::i18n::Txt;

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

pub struct CustomerForm {
    editing: Option<Customer>,
    kind: usize,
    /// Text of the fields after Kind, in `LABELS` order.
    values: [String; 8],
    focus: usize,
    error: Option<String>,
}

impl CustomerForm {
    pub fn new(phone: Option<&str>, owner: &str) -> CustomerForm {
        let mut values: [String; 8] = Default::default();
        values[2] = phone.unwrap_or_default().to_string();
        values[6] = owner.to_string();
        CustomerForm { editing: None, kind: 2, values, focus: 1, error: None }
    }

    pub fn edit(c: Customer) -> CustomerForm {
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
        let kind = CustomerKind::ALL.iter().position(|k| *k == c.kind).unwrap_or(2);
        CustomerForm { editing: Some(c), kind, values, focus: 1, error: None }
    }

    pub fn type_char(&mut self, c: char) {
        self.error = None;
        if self.focus > 0 {
            self.values[self.focus - 1].push(c);
        }
    }

    pub fn backspace(&mut self) {
        if self.focus > 0 {
            self.values[self.focus - 1].pop();
        }
    }

    pub fn handle(&mut self, action: Action, env: &mut Env) -> Effect {
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

    fn submit(&mut self, env: &mut Env) -> Effect {
        let lang = env.config.language();
        let v = &self.values;
        if v[0].trim().is_empty() {
            self.error = Some(Txt::ErrNameRequired.get(lang).into());
            self.focus = 1;
            return Effect::None;
        }
        let credit = match v[7].trim() {
            "" => None,
            t => match Money::parse(t) {
                Ok(m) if m.0 >= 0 => Some(m),
                Ok(_) => {
                    self.error = Some(Txt::ErrNegativeAmount.get(lang).into());
                    self.focus = 8;
                    return Effect::None;
                }
                Err(e) => {
                    self.error = Some(e);
                    self.focus = 8;
                    return Effect::None;
                }
            },
        };
        let opt = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        let kind = CustomerKind::ALL[self.kind];
        let result = match &self.editing {
            Some(c) => {
                let mut c = c.clone();
                c.kind = kind;
                c.name = v[0].trim().into();
                c.company = opt(&v[1]);
                c.phone = opt(&v[2]);
                c.email = opt(&v[3]);
                c.city = opt(&v[4]);
                c.country = opt(&v[5]);
                c.owner = opt(&v[6]);
                c.credit_limit = credit;
                env.repo.update_customer(&c).map(|_| c.id)
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

    pub fn render(&self, f: &mut Frame, area: Rect, ui: &Ui) {
        let th = ui.theme;
        let height = LABELS.len() as u16 + 4 + u16::from(self.error.is_some());
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
        }
        lines.push(Line::from(Span::styled(fit(ui.t(Txt::DealFormHint), w, th), th.dim())));
        f.render_widget(Paragraph::new(lines), inner);
    }
}
