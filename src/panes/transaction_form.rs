//! Entering a transaction on a customer's card: kind, amount (unsigned, the
//! kind gives the sign), date, reference.

use chrono::{Local, NaiveTime, TimeZone};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::log_form::parse_due_date;
use super::widgets::{block, cell, centered, clean, fit};
use super::{Effect, Env, Ui};
use crate::app::Action;
use crate::domain::model::{NewTransaction, TxKind};
use crate::domain::money::Money;
use crate::i18n::Txt;

pub struct TransactionForm {
    customer_id: i64,
    customer_name: String,
    focus: usize,
    kind: usize,
    pub amount: String,
    date: String,
    reference: String,
    error: Option<String>,
}

impl TransactionForm {
    pub fn new(customer_id: i64, customer_name: &str) -> TransactionForm {
        TransactionForm {
            customer_id,
            customer_name: customer_name.into(),
            focus: 1,
            kind: 0,
            amount: String::new(),
            date: "today".into(),
            reference: String::new(),
            error: None,
        }
    }

    fn text_mut(&mut self) -> Option<&mut String> {
        match self.focus {
            1 => Some(&mut self.amount),
            2 => Some(&mut self.date),
            3 => Some(&mut self.reference),
            _ => None,
        }
    }

    pub fn type_char(&mut self, c: char) {
        self.error = None;
        if let Some(t) = self.text_mut() {
            t.push(c);
        }
    }

    pub fn backspace(&mut self) {
        if let Some(t) = self.text_mut() {
            t.pop();
        }
    }

    pub fn handle(&mut self, action: Action, env: &mut Env) -> Effect {
        let n = TxKind::ALL.len();
        match action {
            Action::NextField | Action::Down => self.focus = (self.focus + 1) % 4,
            Action::PrevField | Action::Up => self.focus = (self.focus + 3) % 4,
            Action::Left if self.focus == 0 => self.kind = (self.kind + n - 1) % n,
            Action::Right if self.focus == 0 => self.kind = (self.kind + 1) % n,
            Action::Cancel | Action::Back => return Effect::Back,
            Action::Submit => return self.submit(env),
            _ => {}
        }
        Effect::None
    }

    fn submit(&mut self, env: &mut Env) -> Effect {
        let lang = env.config.language();
        let amount = match Money::parse(&self.amount) {
            Ok(m) if m.0 > 0 => m,
            Ok(_) => {
                self.error = Some(Txt::ErrPositiveAmount.get(lang).into());
                self.focus = 1;
                return Effect::None;
            }
            Err(e) => {
                self.error = Some(e);
                self.focus = 1;
                return Effect::None;
            }
        };
        let today = env.today();
        let Some(day) = parse_due_date(&self.date, today).filter(|d| *d <= today) else {
            self.error = Some(Txt::ErrTxDate.get(lang).into());
            self.focus = 2;
            return Effect::None;
        };
        // Today: now; an earlier day: noon local time of that day.
        let at = if day == today {
            env.now
        } else {
            Local
                .from_local_datetime(&day.and_time(NaiveTime::from_hms_opt(12, 0, 0).unwrap_or_default()))
                .earliest()
                .map(|t| t.with_timezone(&chrono::Utc))
                .unwrap_or(env.now)
        };
        let t = NewTransaction {
            customer_id: self.customer_id,
            external_id: None,
            kind: TxKind::ALL[self.kind],
            amount,
            occurred_at: at,
            reference: Some(self.reference.trim().to_string()).filter(|s| !s.is_empty()),
        };
        match env.repo.create_transaction(&t) {
            Ok(_) => Effect::SavedMoney(Txt::TxSaved.get(lang).into()),
            Err(e) => {
                self.error = Some(e.to_string());
                Effect::None
            }
        }
    }

    pub fn render(&self, f: &mut Frame, area: Rect, ui: &Ui) {
        let th = ui.theme;
        let rect = centered(area, 64.min(area.width), 8 + u16::from(self.error.is_some()));
        f.render_widget(Clear, rect);
        let b = block(&format!("{} · {}", ui.t(Txt::NewTransaction), clean(&self.customer_name, th)), th, true);
        let inner = b.inner(rect);
        f.render_widget(b, rect);
        let w = inner.width as usize;
        let caret = |i: usize| if i == self.focus { "_" } else { "" };
        let rows = [
            (Txt::ColKind, format!("< {} >", TxKind::ALL[self.kind].code().replace('_', " "))),
            (Txt::FieldAmount, format!("{}{}", self.amount, caret(1))),
            (Txt::FieldDate, format!("{}{}", self.date, caret(2))),
            (Txt::FieldReference, format!("{}{}", self.reference, caret(3))),
        ];
        let mut lines = Vec::new();
        for (i, (label, value)) in rows.iter().enumerate() {
            let style = if i == self.focus { th.selected() } else { Default::default() };
            let marker = if i == self.focus { th.cursor() } else { " " };
            lines.push(Line::from(vec![
                Span::raw(format!("{marker} ")),
                Span::styled(cell(ui.t(*label), 12, th), th.header()),
                Span::styled(fit(value, w.saturating_sub(14), th), style),
            ]));
        }
        if let Some(e) = &self.error {
            lines.push(Line::from(Span::styled(fit(e, w, th), th.error())));
        }
        lines.push(Line::from(Span::styled(fit(ui.t(Txt::DealFormHint), w, th), th.dim())));
        f.render_widget(Paragraph::new(lines), inner);
    }
}
