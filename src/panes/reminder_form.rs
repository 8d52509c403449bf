//! A reminder set by hand from the card, or edited from care: what (kind),
//! when (a day and a time), a note, whose, and whether it recurs.
//!
//! An edit refused because someone else changed the reminder meanwhile
//! reads it again and names what they changed; the user reloads their
//! version, overwrites it on purpose, or keeps editing (esc).

use chrono::{Local, NaiveTime, TimeZone};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::log_form::parse_due_date;
use super::widgets::{block, cell, centered, clean, fit};
use super::{Effect, Env, Ui};
use crate::app::Action;
use crate::domain::conflict::{Clash, compare, reminder_fields};
use crate::domain::model::{NewReminder, Reminder, ReminderKind};
use crate::domain::recurrence::Recurrence;
use crate::i18n::Txt;
use crate::repo::RepoError;
use crate::repo::reminders::ReminderEdit;

/// The kinds a person sets by hand (the others are the rules').
const KINDS: [ReminderKind; 3] = [ReminderKind::Call, ReminderKind::Task, ReminderKind::FollowUp];
/// Recurrence choices: none, every 7, 14, 30 days, monthly, yearly.
const REPEATS: [Option<&str>; 6] =
    [None, Some("days:7"), Some("days:14"), Some("days:30"), Some("monthly"), Some("yearly")];
/// The fields the form edits, as [`reminder_fields`] names them.
const FIELDS: [&str; 5] = ["kind", "due_at", "note", "owner", "recurrence"];

pub struct ReminderForm {
    customer_id: i64,
    customer_name: String,
    /// The reminder as read when the form opened (or was last reloaded);
    /// `None` for a new one.
    editing: Option<Reminder>,
    /// The kinds to choose from (an edited rule-made reminder keeps its own).
    kinds: Vec<ReminderKind>,
    /// Recurrence choices (an edited reminder's own, if not a usual one).
    repeats: Vec<Option<String>>,
    focus: usize,
    kind: usize,
    day: String,
    time: String,
    pub note: String,
    owner: String,
    repeat: usize,
    error: Option<String>,
    /// Shown in place of an error: what just happened (a reload).
    notice: Option<String>,
    /// A refused edit: the reminder as stored now, and what differs.
    conflict: Option<(Reminder, Clash)>,
}

impl ReminderForm {
    pub fn new(customer_id: i64, customer_name: &str, owner: &str) -> ReminderForm {
        ReminderForm {
            customer_id,
            customer_name: customer_name.into(),
            editing: None,
            kinds: KINDS.to_vec(),
            repeats: REPEATS.iter().map(|r| r.map(str::to_string)).collect(),
            focus: 3,
            kind: 0,
            day: "tomorrow".into(),
            time: "09:00".into(),
            note: String::new(),
            owner: owner.into(),
            repeat: 0,
            error: None,
            notice: None,
            conflict: None,
        }
    }

    /// The form on an existing reminder, its values filled in.
    pub fn edit(r: Reminder) -> ReminderForm {
        let mut f = ReminderForm::new(r.customer_id, &r.customer_name, "");
        f.fill(&r);
        f.editing = Some(r);
        f
    }

    /// Puts `r`'s values in the form.
    fn fill(&mut self, r: &Reminder) {
        if !self.kinds.contains(&r.kind) {
            self.kinds.push(r.kind);
        }
        self.kind = self.kinds.iter().position(|k| *k == r.kind).unwrap_or(0);
        if !self.repeats.contains(&r.recurrence) {
            self.repeats.push(r.recurrence.clone());
        }
        self.repeat = self.repeats.iter().position(|x| *x == r.recurrence).unwrap_or(0);
        let local = r.due_at.with_timezone(&Local);
        self.day = local.format("%Y-%m-%d").to_string();
        self.time = local.format("%H:%M").to_string();
        self.note = r.note.clone();
        self.owner = r.owner.clone().unwrap_or_default();
    }

    /// The note, when focused: it may be written in an external editor.
    pub fn long_text_mut(&mut self) -> Option<&mut String> {
        (self.focus == 3 && self.conflict.is_none()).then_some(&mut self.note)
    }

    /// Whether a conflict is on screen, waiting for r, o or esc.
    pub fn in_conflict(&self) -> bool {
        self.conflict.is_some()
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

    /// A typed character: text for the focused field, or, while a conflict
    /// is shown, its choice (r reload, o overwrite).
    pub fn type_char(&mut self, c: char, env: &mut Env) -> Effect {
        if self.conflict.is_some() {
            return match c {
                'r' | 'R' => self.reload(env),
                'o' | 'O' => self.overwrite(env),
                _ => Effect::None,
            };
        }
        self.error = None;
        self.notice = None;
        if let Some(t) = self.text_mut() {
            t.push(c);
        }
        Effect::None
    }

    pub fn backspace(&mut self) {
        if self.conflict.is_some() {
            return;
        }
        if let Some(t) = self.text_mut() {
            t.pop();
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
        let step = |v: &mut usize, n: usize, d: isize| *v = (*v as isize + d).rem_euclid(n as isize) as usize;
        match action {
            Action::NextField | Action::Down => self.focus = (self.focus + 1) % 6,
            Action::PrevField | Action::Up => self.focus = (self.focus + 5) % 6,
            Action::Left | Action::Right => {
                let d = if action == Action::Left { -1 } else { 1 };
                match self.focus {
                    0 => step(&mut self.kind, self.kinds.len(), d),
                    5 => step(&mut self.repeat, self.repeats.len(), d),
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
        // An edit may keep a due time already past (only the note changed,
        // say); a new or moved one must lie ahead.
        let unchanged = self.editing.as_ref().is_some_and(|r| r.due_at == due);
        if due < env.now && !unchanged {
            self.error = Some(Txt::ErrDueInPast.get(lang).into());
            self.focus = 1;
            return Effect::None;
        }
        if self.note.trim().is_empty() {
            self.error = Some(Txt::ErrNoteRequired.get(lang).into());
            self.focus = 3;
            return Effect::None;
        }
        let recurrence =
            self.repeats[self.repeat].as_deref().map(|r| Recurrence::parse(r).map(|r| r.code()).unwrap_or_default());
        let edit = ReminderEdit {
            kind: self.kinds[self.kind],
            due_at: due,
            note: self.note.trim().into(),
            owner: Some(self.owner.trim().to_string()).filter(|s| !s.is_empty()),
            recurrence,
        };
        if let Some(base) = self.editing.clone() {
            return match env.repo.update_reminder(base.id, base.version, &edit) {
                Ok(_) => Effect::Saved(Txt::ReminderChanged.get(lang).into()),
                Err(RepoError::Conflict { .. }) => self.conflicted(&base, &edit, env),
                Err(e) => self.failed(e),
            };
        }
        let r = NewReminder {
            customer_id: self.customer_id,
            kind: edit.kind,
            due_at: edit.due_at,
            note: edit.note,
            owner: edit.owner,
            recurrence: edit.recurrence,
            origin: None,
        };
        match env.repo.create_reminder(&r) {
            Ok(_) => Effect::Saved(Txt::ReminderSaved.get(lang).into()),
            Err(e) => self.failed(e),
        }
    }

    fn failed(&mut self, e: RepoError) -> Effect {
        self.error = Some(e.to_string());
        Effect::None
    }

    /// The edit was refused: reads the reminder again and compares. When
    /// they changed nothing the form shows (and it is still open), the
    /// user's values are saved over their version; otherwise the conflict
    /// is shown and the user chooses.
    fn conflicted(&mut self, base: &Reminder, edit: &ReminderEdit, env: &mut Env) -> Effect {
        let lang = env.config.language();
        let fresh = match env.repo.reminder(base.id) {
            Ok(r) => r,
            Err(e) => return self.failed(e),
        };
        let mine = Reminder {
            kind: edit.kind,
            due_at: edit.due_at,
            note: edit.note.clone(),
            owner: edit.owner.clone(),
            recurrence: edit.recurrence.clone(),
            ..base.clone()
        };
        let clash = compare(&reminder_fields(base), &reminder_fields(&fresh), &reminder_fields(&mine));
        if clash.touches(&FIELDS) || clash.touches(&["status"]) {
            self.conflict = Some((fresh, clash));
            return Effect::None;
        }
        match env.repo.update_reminder(fresh.id, fresh.version, edit) {
            Ok(_) => Effect::Saved(Txt::ReminderChanged.get(lang).into()),
            Err(e) => self.failed(e),
        }
    }

    /// r: their version in the form; the user's changes are dropped.
    fn reload(&mut self, env: &mut Env) -> Effect {
        let Some((fresh, _)) = self.conflict.take() else { return Effect::None };
        self.fill(&fresh);
        self.editing = Some(fresh);
        self.error = None;
        self.notice = Some(Txt::ConflictReloaded.get(env.config.language()).into());
        Effect::None
    }

    /// o: the user's values saved over their version, on purpose (a closed
    /// reminder stays closed: the repository refuses it).
    fn overwrite(&mut self, env: &mut Env) -> Effect {
        let Some((fresh, _)) = self.conflict.take() else { return Effect::None };
        self.editing = Some(fresh);
        self.submit(env)
    }

    pub fn render(&self, f: &mut Frame, area: Rect, ui: &Ui) {
        let th = ui.theme;
        let extra = u16::from(self.error.is_some() || self.notice.is_some()) + 2 * u16::from(self.conflict.is_some());
        let rect = centered(area, 70.min(area.width), 10 + extra);
        f.render_widget(Clear, rect);
        let title = if self.editing.is_some() { Txt::EditReminder } else { Txt::NewReminder };
        let b = block(&format!("{} · {}", ui.t(title), clean(&self.customer_name, th)), th, true);
        let inner = b.inner(rect);
        f.render_widget(b, rect);
        let w = inner.width as usize;
        let caret = |i: usize| if i == self.focus { "_" } else { "" };
        let repeat = self.repeats[self.repeat].as_deref().unwrap_or("–");
        let rows = [
            (Txt::ColKind, format!("< {} >", self.kinds[self.kind].code().replace('_', " "))),
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
        if let Some((_, clash)) = &self.conflict {
            let names: Vec<String> = clash.theirs.iter().map(|f| Txt::field_name(f, ui.lang)).collect();
            let text = format!("{}: {}", ui.t(Txt::ConflictSaved), names.join(", "));
            lines.push(Line::from(Span::styled(fit(&text, w, th), th.error())));
            lines.push(Line::from(Span::styled(fit(ui.t(Txt::ConflictChoices), w, th), th.header())));
        }
        if let Some(e) = &self.error {
            lines.push(Line::from(Span::styled(fit(e, w, th), th.error())));
        } else if let Some(n) = &self.notice {
            lines.push(Line::from(Span::styled(fit(n, w, th), th.ok())));
        }
        lines.push(Line::from(Span::styled(fit(ui.t(Txt::DealFormHint), w, th), th.dim())));
        f.render_widget(Paragraph::new(lines), inner);
    }
}
