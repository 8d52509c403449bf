//! Snoozing a reminder: to a day typed as `+1` (tomorrow, the default),
//! `+7` (a week), `tomorrow` or `YYYY-MM-DD`, same time of day. A snooze
//! refused because someone else changed the reminder meanwhile names what
//! they changed: r reloads it, o snoozes their version anyway, esc goes back
//! to the date.

use chrono::{DateTime, Local, TimeZone, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::log_form::parse_due_date;
use super::widgets::{block, centered, clean, fit};
use super::{Effect, Env, Ui, conflict};
use crate::app::Action;
use crate::domain::conflict::{Clash, compare, reminder_fields};
use crate::domain::model::{Reminder, ReminderKind, ReminderStatus};
use crate::i18n::Txt;
use crate::keymap::Context;
use crate::repo::RepoError;
use crate::repo::reminders::DueItem;

/// The field a snooze saves, as [`reminder_fields`] names it.
const SAVED: [&str; 1] = ["due_at"];

/// A snooze refused because someone else changed the reminder meanwhile.
struct Conflict {
    fresh: Reminder,
    clash: Clash,
    /// When the user wants it due.
    until: DateTime<Utc>,
}

pub struct SnoozeForm {
    item: DueItem,
    pub text: String,
    error: Option<Txt>,
    conflict: Option<Conflict>,
}

fn local_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&Local).format("%Y-%m-%d %H:%M").to_string()
}

impl SnoozeForm {
    pub fn new(item: DueItem) -> SnoozeForm {
        SnoozeForm { item, text: "+1".into(), error: None, conflict: None }
    }

    /// The reminder as the form read it (from the due list), with what the
    /// list does not carry taken from `fresh`.
    fn base(&self, fresh: &Reminder) -> Reminder {
        Reminder {
            kind: ReminderKind::parse(&self.item.kind).unwrap_or(fresh.kind),
            due_at: self.item.due_at,
            note: self.item.what.clone(),
            owner: self.item.owner.clone(),
            version: self.item.version,
            ..fresh.clone()
        }
    }

    /// The snooze was refused: reads the reminder again and compares. When
    /// they did not move it, it is snoozed over their version (undoing
    /// nothing of theirs); otherwise the conflict is shown.
    fn conflicted(&mut self, until: DateTime<Utc>, env: &mut Env) -> Effect {
        for _ in 0..3 {
            let fresh = match env.repo.reminder(self.item.id) {
                Ok(r) => r,
                Err(e) => return Effect::Error(e.to_string()),
            };
            if !matches!(fresh.status, ReminderStatus::Open | ReminderStatus::Snoozed) {
                self.error = Some(Txt::ConflictClosed);
                return Effect::None;
            }
            let base = self.base(&fresh);
            let mine = Reminder { due_at: until, ..base.clone() };
            let clash = compare(&reminder_fields(&base), &reminder_fields(&fresh), &reminder_fields(&mine));
            if clash.touches(&SAVED) {
                self.conflict = Some(Conflict { fresh, clash, until });
                return Effect::None;
            }
            match self.snooze_over(&fresh, until, env) {
                Err(RepoError::Conflict { .. }) => continue,
                done => return self.done(done, until, env),
            }
        }
        Effect::Error(RepoError::Conflict { entity: "reminder", id: self.item.id }.to_string())
    }

    /// Snoozes `fresh` (the version stored now) until `until`.
    fn snooze_over(&mut self, fresh: &Reminder, until: DateTime<Utc>, env: &mut Env) -> crate::repo::Result<()> {
        let item = DueItem { due_at: fresh.due_at, version: fresh.version, ..self.item.clone() };
        env.repo.snooze_due(&item, until)
    }

    fn done(&mut self, result: crate::repo::Result<()>, until: DateTime<Utc>, env: &mut Env) -> Effect {
        match result {
            Ok(()) => {
                let day = until.with_timezone(&Local).date_naive();
                Effect::Saved(format!("{} {day}", Txt::Snoozed.get(env.config.language())))
            }
            Err(RepoError::Conflict { .. }) => self.conflicted(until, env),
            Err(e) => Effect::Error(e.to_string()),
        }
    }

    /// A typed character: the date, or, while a conflict is shown, its
    /// choice (r reload, o snooze their version anyway).
    pub fn type_char(&mut self, c: char, env: &mut Env) -> Effect {
        if self.conflict.is_some() {
            return match c {
                'r' | 'R' => {
                    if let Some(Conflict { fresh, .. }) = self.conflict.take() {
                        self.item = DueItem {
                            kind: fresh.kind.code().to_string(),
                            what: fresh.note.clone(),
                            due_at: fresh.due_at,
                            owner: fresh.owner.clone(),
                            version: fresh.version,
                            customer_name: fresh.customer_name.clone(),
                            ..self.item.clone()
                        };
                        self.text = "+1".into();
                    }
                    Effect::None
                }
                'o' | 'O' => match self.conflict.take() {
                    Some(Conflict { fresh, until, .. }) => {
                        let r = self.snooze_over(&fresh, until, env);
                        self.done(r, until, env)
                    }
                    None => Effect::None,
                },
                _ => Effect::None,
            };
        }
        self.error = None;
        self.text.push(c);
        Effect::None
    }

    pub fn context(&self) -> Context {
        Context::Form
    }

    pub fn backspace(&mut self) {
        if self.conflict.is_none() {
            self.text.pop();
        }
    }

    pub fn handle(&mut self, action: Action, env: &mut Env) -> Effect {
        if self.conflict.is_some() {
            // Esc goes back to the date; nothing else applies until a choice.
            if matches!(action, Action::Cancel | Action::Back) {
                self.conflict = None;
            }
            return Effect::None;
        }
        match action {
            Action::Cancel | Action::Back => Effect::Back,
            Action::Submit => {
                let today = env.today();
                let Some(day) = parse_due_date(&self.text, today) else {
                    self.error = Some(Txt::ErrBadDate);
                    return Effect::None;
                };
                if day <= today {
                    self.error = Some(Txt::ErrSnoozeFuture);
                    return Effect::None;
                }
                let time = self.item.due_at.with_timezone(&Local).time();
                let until = Local
                    .from_local_datetime(&day.and_time(time))
                    .earliest()
                    .map(|t| t.with_timezone(&chrono::Utc))
                    .unwrap_or_else(|| day.and_time(time).and_utc());
                let r = env.repo.snooze_due(&self.item, until);
                self.done(r, until, env)
            }
            _ => Effect::None,
        }
    }

    pub fn render(&self, f: &mut Frame, area: Rect, ui: &Ui) {
        let th = ui.theme;
        let conflict = match &self.conflict {
            Some(Conflict { fresh, clash, until }) => {
                let row = conflict::Row {
                    label: ui.t(Txt::SnoozeUntil).to_string(),
                    theirs: local_time(fresh.due_at),
                    mine: clash.both.contains(&"due_at").then(|| local_time(*until)),
                };
                let w = 60.min(area.width).saturating_sub(2) as usize;
                conflict::lines(clash, &[row], w, crate::domain::text::width(ui.t(Txt::SnoozeUntil)) + 1, ui)
            }
            None => Vec::new(),
        };
        let rect = centered(area, 60.min(area.width), 7 + conflict.len() as u16);
        f.render_widget(Clear, rect);
        let title = format!("{} · {}", ui.t(Txt::SnoozeTitle), clean(&self.item.customer_name, th));
        let b = block(&title, th, true);
        let inner = b.inner(rect);
        f.render_widget(b, rect);
        let w = inner.width as usize;
        let mut lines = vec![
            Line::from(Span::raw(fit(&self.item.what, w, th))),
            Line::from(vec![
                Span::styled(format!("{} ", ui.t(Txt::SnoozeUntil)), th.header()),
                Span::styled(format!("{}_", clean(&self.text, th)), th.selected()),
            ]),
            Line::from(Span::styled(fit(ui.t(Txt::SnoozeHint), w, th), th.dim())),
        ];
        if let Some(e) = self.error {
            lines.push(Line::from(Span::styled(fit(ui.t(e), w, th), th.error())));
        }
        lines.extend(conflict);
        f.render_widget(Paragraph::new(lines), inner);
    }
}
