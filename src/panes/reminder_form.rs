//! A reminder set by hand from the card: what (kind), when (a day and a
//! time), a note, whose, and whether it recurs.

use chrono::{Local, NaiveTime, TimeZone};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::log_form::parse_due_date;
use super::widgets::{block, cell, centered, clean, fit};
use super::{Effect, Env, Ui};
use crate::app::Action;
use crate::domain::model::{NewReminder, ReminderKind};
use crate::domain::recurrence::Recurrence;
use crate::i18n::Txt;

/// The kinds a person sets by hand (the others are the rules').
const KINDS: [ReminderKind; 3] = [ReminderKind::Call, ReminderKind::Task, ReminderKind::FollowUp];
/// Recurrence choices: none, every 7, 14, 30 days, monthly, yearly.
const REPEATS: [Option<&str>; 6] =
    [None, Some("days:7"), Some("days:14"), Some("days:30"), Some("monthly"), Some("yearly")];

pub struct ReminderForm {
    customer_id: i64,
    customer_name: String,
    focus: usize,
    kind: usize,
    day: String,
    time: String,
    pub note: String,
    owner: String,
    repeat: usize,
    error: Option<String>,
}

impl ReminderForm {
    pub fn new(customer_id: i64, customer_name: &str, owner: &str) -> ReminderForm {
        ReminderForm {
            customer_id,
            customer_name: customer_name.into(),
            focus: 3,
            kind: 0,
            day: "tomorrow".into(),
            time: "09:00".into(),
            note: String::new(),
            owner: owner.into(),
            repeat: 0,
            error: None,
        }
    }

    fn text_mut(&mut self) -> Option<&mut String> {
        match self.focus {
            1 => Some(&mut self.day),
            2 => Some(&mut self.time),
            3 => Some(&mut self.note),
            4 => Some(&mut self.owner),
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
        let step = |v: &mut usize, n: usize, d: isize| *v = (*v as isize + d).rem_euclid(n as isize) as usize;
        match action {
            Action::NextField | Action::Down => self.focus = (self.focus + 1) % 6,
            Action::PrevField | Action::Up => self.focus = (self.focus + 5) % 6,
            Action::Left | Action::Right => {
                let d = if action == Action::Left { -1 } else { 1 };
                match self.focus {
                    0 => step(&mut self.kind, KINDS.len(), d),
                    5 => step(&mut self.repeat, REPEATS.len(), d),
                    _ => {}
                }
            }
            Action::Cancel | Action::Back => return Effect::Back,
            Action::Submit => return self.submit(env),
            _ => {}
        }
        Effect::None
    }

    fn submit(&mut self, env: &mut Env) -> Effect {
        let lang = env.config.language();
        let today = env.today();
        let Some(day) = parse_due_date(&self.day, today) else {
            self.error = Some(Txt::ErrBadDate.get(lang).into());
            self.focus = 1;
            return Effect::None;
        };
        let Ok(time) = NaiveTime::parse_from_str(self.time.trim(), "%H:%M") else {
            self.error = Some(Txt::ErrBadTime.get(lang).into());
            self.focus = 2;
            return Effect::None;
        };
        let Some(due) = Local.from_local_datetime(&day.and_time(time)).earliest() else {
            self.error = Some(Txt::ErrBadTime.get(lang).into());
            self.focus = 2;
            return Effect::None;
        };
        let due = due.with_timezone(&chrono::Utc);
        if due < env.now {
            self.error = Some(Txt::ErrDueInPast.get(lang).into());
            self.focus = 1;
            return Effect::None;
        }
        if self.note.trim().is_empty() {
            self.error = Some(Txt::ErrNoteRequired.get(lang).into());
            self.focus = 3;
            return Effect::None;
        }
        let recurrence = REPEATS[self.repeat].map(|r| Recurrence::parse(r).map(|r| r.code()).unwrap_or_default());
        let r = NewReminder {
            customer_id: self.customer_id,
            kind: KINDS[self.kind],
            due_at: due,
            note: self.note.trim().into(),
            owner: Some(self.owner.trim().to_string()).filter(|s| !s.is_empty()),
            recurrence,
            origin: None,
        };
        match env.repo.create_reminder(&r) {
            Ok(_) => Effect::Saved(Txt::ReminderSaved.get(lang).into()),
            Err(e) => {
                self.error = Some(e.to_string());
                Effect::None
            }
        }
    }

    pub fn render(&self, f: &mut Frame, area: Rect, ui: &Ui) {
        let th = ui.theme;
        let rect = centered(area, 70.min(area.width), 10 + u16::from(self.error.is_some()));
        f.render_widget(Clear, rect);
        let b = block(&format!("{} · {}", ui.t(Txt::NewReminder), clean(&self.customer_name, th)), th, true);
        let inner = b.inner(rect);
        f.render_widget(b, rect);
        let w = inner.width as usize;
        let caret = |i: usize| if i == self.focus { "_" } else { "" };
        let repeat = REPEATS[self.repeat].unwrap_or("–");
        let rows = [
            (Txt::ColKind, format!("< {} >", KINDS[self.kind].code().replace('_', " "))),
            (Txt::FieldDate, format!("{}{}", self.day, caret(1))),
            (Txt::FieldTime, format!("{}{}", self.time, caret(2))),
            (Txt::FieldNote, format!("{}{}", self.note, caret(3))),
            (Txt::Owner, format!("{}{}", self.owner, caret(4))),
            (Txt::FieldRepeat, format!("< {repeat} >")),
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
