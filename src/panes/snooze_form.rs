//! Snoozing a reminder: to a day typed as `+1` (tomorrow, the default),
//! `+7` (a week), `tomorrow` or `YYYY-MM-DD`, same time of day.

use chrono::{Local, TimeZone};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::log_form::parse_due_date;
use super::widgets::{block, centered, clean, fit};
use super::{Effect, Env, Ui};
use crate::app::Action;
use crate::i18n::Txt;
use crate::keymap::Context;
use crate::repo::reminders::DueItem;

pub struct SnoozeForm {
    item: DueItem,
    pub text: String,
    error: Option<Txt>,
}

impl SnoozeForm {
    pub fn new(item: DueItem) -> SnoozeForm {
        SnoozeForm { item, text: "+1".into(), error: None }
    }

    pub fn context(&self) -> Context {
        Context::Form
    }

    pub fn type_char(&mut self, c: char) {
        self.error = None;
        self.text.push(c);
    }

    pub fn backspace(&mut self) {
        self.text.pop();
    }

    pub fn handle(&mut self, action: Action, env: &mut Env) -> Effect {
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
                match env.repo.snooze_due(&self.item, until) {
                    Ok(()) => Effect::Saved(format!("{} {day}", Txt::Snoozed.get(env.config.language()))),
                    Err(e) => Effect::Error(e.to_string()),
                }
            }
            _ => Effect::None,
        }
    }

    pub fn render(&self, f: &mut Frame, area: Rect, ui: &Ui) {
        let th = ui.theme;
        let rect = centered(area, 60.min(area.width), 7);
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
        f.render_widget(Paragraph::new(lines), inner);
    }
}
