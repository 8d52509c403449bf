//! Care: today's triage. Everything overdue or due today (reminders,
//! promises, complaint deadlines), Top customers first, then by due time.

use chrono::Local;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::care_figures::CareFiguresView;
use super::log_form::end_of_local_day;
use super::widgets::{block, col, fit, scroll_top};
use super::{Effect, Env, Ui};
use crate::app::Action;
use crate::domain::model::{Case, Step4A};
use crate::i18n::Txt;
use crate::keymap::Context;
use crate::repo::reminders::{Done, DueFilter, DueItem, DueKind, DueSource};

const WINDOW: usize = 200;

#[derive(Default)]
pub struct CarePane {
    items: Vec<DueItem>,
    window_start: usize,
    counts: (i64, i64, i64),
    selected: usize,
    top: usize,
    height: usize,
    /// The complaints view, when open.
    complaints: Option<Complaints>,
    /// The figures view (promises kept, complaint times), when open.
    figures: Option<CareFiguresView>,
    /// The next 7 days instead of overdue and today.
    upcoming: bool,
    /// Only my items.
    mine: bool,
    /// Only one kind of item.
    kind: DueKind,
    error: Option<String>,
}

/// Open complaints with their 4A checklist, and the period's medians.
struct Complaints {
    cases: Vec<Case>,
    selected: usize,
    median_ack_hours: Option<f64>,
    median_close_days: Option<f64>,
}

fn median(mut v: Vec<i64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    let n = v.len();
    Some(if n % 2 == 1 { v[n / 2] as f64 } else { (v[n / 2 - 1] + v[n / 2]) as f64 / 2.0 })
}

/// How a kind filter reads in the title.
fn kind_label(kind: DueKind, ui: &Ui) -> String {
    match kind {
        DueKind::All => String::new(),
        DueKind::Source(DueSource::Reminder) => ui.t(Txt::DueReminders).to_string(),
        DueKind::Source(DueSource::Promise) => ui.t(Txt::DuePromises).to_string(),
        DueKind::Source(DueSource::Case) => ui.t(Txt::DueCases).to_string(),
        DueKind::Reminder(k) => k.code().replace('_', " "),
    }
}

impl CarePane {
    pub fn context(&self) -> Context {
        Context::Care
    }

    fn total(&self) -> usize {
        (self.counts.0 + self.counts.1 + self.counts.2) as usize
    }

    /// The end of today, or of the seventh day from now (upcoming).
    fn until(&self, env: &Env) -> chrono::DateTime<chrono::Utc> {
        let days = if self.upcoming { 7 } else { 0 };
        end_of_local_day(env.today() + chrono::Duration::days(days))
    }

    /// Whose and which items the list shows.
    fn filter(&self, env: &Env) -> DueFilter {
        DueFilter { owner: self.mine.then(|| env.repo.agent().to_string()), kind: self.kind }
    }

    fn load_complaints(&mut self, env: &mut Env) {
        let r = &*env.repo;
        let loaded = (|| -> crate::repo::Result<Complaints> {
            let cases = r.open_cases(0, 500)?;
            let times = r.case_times(env.now - chrono::Duration::days(30), env.now)?;
            let ack = median(times.iter().filter_map(|t| t.0).collect());
            let close = median(times.iter().filter_map(|t| t.1).collect());
            Ok(Complaints {
                cases,
                selected: 0,
                median_ack_hours: ack.map(|s| s / 3600.0),
                median_close_days: close.map(|s| s / 86_400.0),
            })
        })();
        match loaded {
            Ok(mut c) => {
                c.selected = self.complaints.as_ref().map_or(0, |o| o.selected).min(c.cases.len().saturating_sub(1));
                self.complaints = Some(c);
            }
            Err(e) => self.error = Some(e.to_string()),
        }
    }

    /// A typed period for the figures view.
    pub fn set_range(&mut self, text: &str, env: &mut Env) -> Result<(), String> {
        self.figures.get_or_insert_with(CareFiguresView::default).set_range(text, env)
    }

    pub fn reload(&mut self, env: &mut Env) {
        if let Some(v) = &mut self.figures {
            v.reload(env);
        }
        if self.complaints.is_some() {
            self.load_complaints(env);
        }
        let until = self.until(env);
        match env.repo.due_counts_for(until, &self.filter(env)) {
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
            let until = self.until(env);
            match env.repo.due_items_for(until, &self.filter(env), start, WINDOW) {
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
        if action == Action::CareFigures || (self.figures.is_some() && action == Action::Back) {
            if self.figures.take().is_none() {
                let mut v = CareFiguresView::default();
                v.reload(env);
                self.figures = Some(v);
            }
            return Effect::None;
        }
        if let Some(v) = &mut self.figures {
            return v.handle(action, env);
        }
        if action == Action::Complaints || (self.complaints.is_some() && action == Action::Back) {
            if self.complaints.take().is_none() {
                self.load_complaints(env);
            }
            return Effect::None;
        }
        if let Some(c) = &mut self.complaints {
            let n = c.cases.len();
            let case = c.cases.get(c.selected).cloned();
            match action {
                Action::Up => c.selected = c.selected.saturating_sub(1),
                Action::Down => c.selected = (c.selected + 1).min(n.saturating_sub(1)),
                Action::First => c.selected = 0,
                Action::Last => c.selected = n.saturating_sub(1),
                Action::Open => return case.map_or(Effect::None, |k| Effect::OpenCustomer(k.customer_id)),
                Action::LogInteraction => return case.map_or(Effect::None, |k| Effect::LogInteraction(k.customer_id)),
                Action::NextStep => {
                    let Some(k) = case else { return Effect::None };
                    return match k.next_step() {
                        None => Effect::Error(Txt::AllStepsDone.get(env.config.language()).into()),
                        Some(Step4A::Anticipate) => Effect::AskCase(Box::new(k), true),
                        Some(step) => match env.repo.tick_case_step(k.id, k.version, step, None, env.now) {
                            Ok(()) => Effect::Saved(Txt::StepDone.get(env.config.language()).into()),
                            Err(e) => Effect::Error(e.to_string()),
                        },
                    };
                }
                Action::CloseCase => {
                    let Some(k) = case else { return Effect::None };
                    if !k.can_close() {
                        // Say exactly what is missing (the repository's words).
                        return match env.repo.close_case(k.id, k.version, 3, env.now) {
                            Err(e) => Effect::Error(e.to_string()),
                            Ok(()) => Effect::Saved(Txt::CaseClosed.get(env.config.language()).into()),
                        };
                    }
                    return Effect::AskCase(Box::new(k), false);
                }
                _ => return Effect::Ignored,
            }
            return Effect::None;
        }
        let page = self.height.max(1);
        match action {
            Action::Upcoming => {
                self.upcoming = !self.upcoming;
                self.selected = 0;
                self.top = 0;
                self.reload(env);
                return Effect::None;
            }
            Action::FilterKind => {
                self.kind = self.kind.next();
                self.selected = 0;
                self.top = 0;
                self.reload(env);
                return Effect::None;
            }
            Action::FilterMine => {
                self.mine = !self.mine;
                self.selected = 0;
                self.top = 0;
                self.reload(env);
                return Effect::None;
            }
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
            Action::CancelItem => {
                let Some(item) = self.selected_item().cloned() else { return Effect::None };
                let lang = env.config.language();
                return match env.repo.cancel_due(&item, env.now) {
                    Ok(()) => Effect::Saved(
                        (if item.source == DueSource::Promise { Txt::Broken } else { Txt::Cancelled }).get(lang).into(),
                    ),
                    Err(e) => Effect::Error(e.to_string()),
                };
            }
            Action::EditReminder => {
                return match self.selected_item() {
                    Some(i) if i.source == DueSource::Reminder => match env.repo.reminder(i.id) {
                        Ok(r) => Effect::EditReminder(Box::new(r)),
                        Err(e) => Effect::Error(e.to_string()),
                    },
                    Some(_) => Effect::Error(Txt::OnlyRemindersEdit.get(env.config.language()).to_string()),
                    None => Effect::None,
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

    fn render_complaints(&self, f: &mut Frame, area: Rect, ui: &Ui) {
        let th = ui.theme;
        let Some(c) = &self.complaints else { return };
        let hours = |h: Option<f64>| h.map(|h| format!("{h:.1} h")).unwrap_or_else(|| "–".into());
        let days = |d: Option<f64>| d.map(|d| format!("{d:.1} d")).unwrap_or_else(|| "–".into());
        let title = format!(
            "{} · {} {} · {}: {} {}, {} {}",
            ui.t(Txt::Complaints),
            c.cases.len(),
            ui.t(Txt::OpenLabel),
            ui.t(Txt::Last30Days),
            ui.t(Txt::MedianAck),
            hours(c.median_ack_hours),
            ui.t(Txt::MedianClose),
            days(c.median_close_days)
        );
        let bl = block(&title, th, true);
        let inner = bl.inner(area);
        f.render_widget(bl, area);
        let w = inner.width as usize;
        let (age_w, sev_w, box_w) = (8, 10, 14);
        let rest = w.saturating_sub(2 + age_w + sev_w + box_w);
        let cust_w = rest * 2 / 5;
        let what_w = rest - cust_w;
        let mut lines = vec![Line::from(Span::styled(
            format!(
                "  {}{}{}{}{}",
                col(ui.t(Txt::ColAge), age_w, th),
                col(ui.t(Txt::ColSeverity), sev_w, th),
                col(ui.t(Txt::Col4A), box_w, th),
                col(ui.t(Txt::ColCustomer), cust_w, th),
                col(ui.t(Txt::ColWhat), what_w, th)
            ),
            th.header(),
        ))];
        if c.cases.is_empty() {
            lines.push(Line::from(Span::styled(ui.t(Txt::NoOpenCases), th.ok())));
        }
        let height = (inner.height as usize).saturating_sub(1);
        let top = scroll_top(0, c.selected, height.max(1));
        let (done, todo) = if th.ascii { ("x", " ") } else { ("✓", " ") };
        for (i, k) in c.cases.iter().enumerate().skip(top).take(height) {
            let sel = i == c.selected;
            let base = if sel { th.selected() } else { Default::default() };
            let age = format!("{}{}", (ui.now - k.opened_at).num_days(), ui.t(Txt::DaysShort));
            let boxes: String =
                k.steps.iter().map(|s| format!("[{}]", if s.is_some() { done } else { todo })).collect();
            let late = k.deadline_at < ui.now;
            let cursor = if sel { format!("{} ", th.cursor()) } else { "  ".into() };
            lines.push(Line::from(vec![
                Span::raw(cursor),
                Span::styled(col(&age, age_w, th), if late { th.alert().patch(base) } else { base }),
                Span::styled(col(k.severity.code(), sev_w, th), base),
                Span::styled(col(&boxes, box_w, th), base),
                Span::styled(col(&k.customer_name, cust_w, th), base),
                Span::styled(col(&k.title, what_w, th), base),
            ]));
        }
        f.render_widget(Paragraph::new(lines), inner);
    }

    pub fn render(&mut self, f: &mut Frame, area: Rect, ui: &Ui) {
        if let Some(v) = &self.figures {
            v.render(f, area, ui);
            return;
        }
        if self.complaints.is_some() {
            self.render_complaints(f, area, ui);
            return;
        }
        let th = ui.theme;
        let (r, p, c) = self.counts;
        let mut title = format!(
            "{} · {}",
            ui.t(Txt::PaneCare),
            ui.t(if self.upcoming { Txt::UpcomingTitle } else { Txt::DueTitle })
        );
        if self.mine {
            title += &format!(" · {}", ui.t(Txt::FilterMine));
        }
        match self.kind {
            DueKind::All => {
                title += &format!(
                    " · {r} {} · {p} {} · {c} {}",
                    ui.t(Txt::DueReminders),
                    ui.t(Txt::DuePromises),
                    ui.t(Txt::DueCases)
                )
            }
            // One kind: its name and its count only.
            kind => title += &format!(" · {}: {}", kind_label(kind, ui), r + p + c),
        }
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
