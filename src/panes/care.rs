//! Care: today's triage. Everything overdue or due today (reminders,
//! promises, complaint deadlines), Top customers first, then by due time.

use chrono::Local;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::log_form::end_of_local_day;
use super::widgets::{block, col, fit, scroll_top};
use super::{Effect, Env, Ui};
use crate::app::Action;
use crate::i18n::Txt;
use crate::keymap::Context;
use crate::repo::reminders::{Done, DueItem, DueSource};

const WINDOW: usize = 200;

#[derive(Default)]
pub struct CarePane {
    items: Vec<DueItem>,
    window_start: usize,
    counts: (i64, i64, i64),
    selected: usize,
    top: usize,
    height: usize,
    error: Option<String>,
}

impl CarePane {
    pub fn context(&self) -> Context {
        Context::Care
    }

    fn total(&self) -> usize {
        (self.counts.0 + self.counts.1 + self.counts.2) as usize
    }

    pub fn reload(&mut self, env: &mut Env) {
        let until = end_of_local_day(env.today());
        match env.repo.due_counts(until) {
            Ok(c) => self.counts = c,
            Err(e) => self.error = Some(e.to_string()),
        }
        self.items.clear();
        self.fill(env);
    }

    fn fill(&mut self, env: &mut Env) {
        let total = self.total();
        self.selected = self.selected.min(total.saturating_sub(1));
        self.top = scroll_top(self.top, self.selected, self.height.max(1));
        let need_end = (self.top + self.height.max(1)).min(total);
        if total > 0
            && (self.items.is_empty()
                || self.top < self.window_start
                || need_end > self.window_start + self.items.len())
        {
            let start = self.top.saturating_sub(WINDOW / 2);
            let until = end_of_local_day(env.today());
            match env.repo.due_items(until, start, WINDOW) {
                Ok(items) => {
                    self.items = items;
                    self.window_start = start;
                    self.error = None;
                }
                Err(e) => self.error = Some(e.to_string()),
            }
        }
    }

    fn selected_item(&self) -> Option<&DueItem> {
        self.selected.checked_sub(self.window_start).and_then(|i| self.items.get(i))
    }

    pub fn handle(&mut self, action: Action, env: &mut Env) -> Effect {
        let page = self.height.max(1);
        match action {
            Action::Up => self.selected = self.selected.saturating_sub(1),
            Action::Down => self.selected += 1,
            Action::PageUp => self.selected = self.selected.saturating_sub(page),
            Action::PageDown => self.selected += page,
            Action::First => self.selected = 0,
            Action::Last => self.selected = self.total().saturating_sub(1),
            Action::Open => return self.selected_item().map_or(Effect::None, |i| Effect::OpenCustomer(i.customer_id)),
            Action::LogInteraction => {
                return self.selected_item().map_or(Effect::None, |i| Effect::LogInteraction(i.customer_id));
            }
            Action::Done => {
                let Some(item) = self.selected_item().cloned() else { return Effect::None };
                let lang = env.config.language();
                return match env.repo.complete_due(&item, env.now) {
                    Ok(done) => {
                        let msg = match done {
                            Done::Reminder => Txt::DoneReminder.get(lang).to_string(),
                            Done::Recurs(next) => format!(
                                "{} {}",
                                Txt::DoneRecurs.get(lang),
                                next.with_timezone(&Local).format("%Y-%m-%d")
                            ),
                            Done::Kept => Txt::DoneKept.get(lang).to_string(),
                            Done::Late => Txt::DoneLate.get(lang).to_string(),
                        };
                        Effect::SavedThenLog(msg, item.customer_id)
                    }
                    Err(e) => Effect::Error(e.to_string()),
                };
            }
            Action::Snooze => {
                return match self.selected_item() {
                    Some(i) if i.source == DueSource::Reminder => Effect::Snooze(i.clone()),
                    Some(_) => Effect::Error(Txt::OnlyRemindersSnooze.get(env.config.language()).to_string()),
                    None => Effect::None,
                };
            }
            _ => return Effect::Ignored,
        }
        self.fill(env);
        Effect::None
    }

    pub fn render(&mut self, f: &mut Frame, area: Rect, ui: &Ui) {
        let th = ui.theme;
        let (r, p, c) = self.counts;
        let title = format!(
            "{} · {} · {r} {} · {p} {} · {c} {}",
            ui.t(Txt::PaneCare),
            ui.t(Txt::DueTitle),
            ui.t(Txt::DueReminders),
            ui.t(Txt::DuePromises),
            ui.t(Txt::DueCases)
        );
        let bl = block(&title, th, true);
        let inner = bl.inner(area);
        f.render_widget(bl, area);
        let w = inner.width as usize;
        let body = (inner.height as usize).saturating_sub(1);
        if self.height != body {
            self.height = body;
            self.top = scroll_top(self.top, self.selected, body.max(1));
        }
        let (tier_w, due_w, kind_w) = (11, 14, 13);
        let rest = w.saturating_sub(2 + tier_w + due_w + kind_w);
        let cust_w = rest * 2 / 5;
        let what_w = rest - cust_w;
        let header = format!(
            "  {}{}{}{}{}",
            col(ui.t(Txt::ColTier), tier_w, th),
            col(ui.t(Txt::ColDue), due_w, th),
            col(ui.t(Txt::ColKind), kind_w, th),
            col(ui.t(Txt::ColCustomer), cust_w, th),
            col(ui.t(Txt::ColWhat), what_w, th)
        );
        let mut lines = vec![Line::from(Span::styled(header, th.header()))];
        if let Some(e) = &self.error {
            lines.push(Line::from(Span::styled(fit(e, w, th), th.error())));
        } else if self.total() == 0 {
            lines.push(Line::from(Span::styled(ui.t(Txt::NothingDue), th.ok())));
        }
        let today = ui.today();
        let now = ui.now;
        for i in self.top..(self.top + body).min(self.total()) {
            let Some(item) = i.checked_sub(self.window_start).and_then(|j| self.items.get(j)) else { break };
            let sel = i == self.selected;
            let local = item.due_at.with_timezone(&Local);
            let overdue = item.due_at < now;
            let due = if local.date_naive() < today {
                format!("{}{}", (today - local.date_naive()).num_days(), ui.t(Txt::DaysLate))
            } else {
                format!("{} {}", ui.t(Txt::DueToday), local.format("%H:%M"))
            };
            let kind = match item.source {
                DueSource::Reminder => item.kind.replace('_', " "),
                DueSource::Promise => ui.t(Txt::Promise).to_string(),
                DueSource::Case => ui.t(Txt::Complaint).to_string(),
            };
            let what = match item.source {
                DueSource::Case => format!("{} ({})", item.what, item.kind),
                _ => item.what.clone(),
            };
            let cursor = if sel { format!("{} ", th.cursor()) } else { "  ".into() };
            let base = if sel { th.selected() } else { Default::default() };
            lines.push(Line::from(vec![
                Span::raw(cursor),
                Span::styled(col(ui.t(Txt::tier(item.tier)), tier_w, th), th.tier(item.tier).patch(base)),
                Span::styled(col(&due, due_w, th), if overdue { th.alert().patch(base) } else { base }),
                Span::styled(col(&kind, kind_w, th), base),
                Span::styled(col(&item.customer_name, cust_w, th), base),
                Span::styled(col(&what, what_w, th), base),
            ]));
        }
        f.render_widget(Paragraph::new(lines), inner);
    }
}
