//! The interaction form: log a call (or email, visit, ...) in a few
//! keystrokes, optionally with a promise made to the customer. Nothing is
//! written until it is confirmed; then it is written at once, whole.

use chrono::{Duration, Local, NaiveDate, NaiveTime, TimeZone, Utc};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::widgets::{block, centered, clean, fit};
use super::{Effect, Env, Ui};
use crate::app::Action;
use crate::domain::model::{Channel, Direction, NewInteraction, Outcome};
use crate::i18n::Txt;
use crate::keymap::Context;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Channel,
    Direction,
    Summary,
    Outcome,
    Promise,
    PromiseDue,
}

const FIELDS: [Field; 6] =
    [Field::Channel, Field::Direction, Field::Summary, Field::Outcome, Field::Promise, Field::PromiseDue];

pub struct LogForm {
    pub customer_id: i64,
    customer_name: String,
    channel: usize,
    direction: usize,
    outcome: usize,
    pub summary: String,
    promise: String,
    promise_due: String,
    focus: usize,
    error: Option<Txt>,
    started: chrono::DateTime<Utc>,
}

impl LogForm {
    /// A form for this customer: an inbound call, cursor on the summary.
    pub fn new(customer_id: i64, customer_name: &str, now: chrono::DateTime<Utc>) -> LogForm {
        LogForm {
            customer_id,
            customer_name: customer_name.to_string(),
            channel: 0,
            direction: 0,
            outcome: 0,
            summary: String::new(),
            promise: String::new(),
            promise_due: String::new(),
            focus: 2,
            error: None,
            started: now,
        }
    }

    /// What was typed so far, to keep as a draft when the session dies.
    pub fn to_draft(&self) -> serde_json::Value {
        serde_json::json!({
            "customer_id": self.customer_id,
            "customer_name": self.customer_name,
            "channel": self.channel,
            "direction": self.direction,
            "outcome": self.outcome,
            "summary": self.summary,
            "promise": self.promise,
            "promise_due": self.promise_due,
        })
    }

    /// A form from a draft; `None` if the draft is not one.
    pub fn from_draft(v: &serde_json::Value, now: chrono::DateTime<Utc>) -> Option<LogForm> {
        let s = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
        let n = |k: &str, max: usize| v.get(k).and_then(|x| x.as_u64()).map(|x| (x as usize).min(max - 1));
        let mut f = LogForm::new(v.get("customer_id")?.as_i64()?, &s("customer_name")?, now);
        f.channel = n("channel", Channel::ALL.len())?;
        f.direction = n("direction", Direction::ALL.len())?;
        f.outcome = n("outcome", Outcome::ALL.len())?;
        f.summary = s("summary")?;
        f.promise = s("promise")?;
        f.promise_due = s("promise_due")?;
        Some(f)
    }

    /// An outbound call (we dialled).
    pub fn outbound(mut self) -> LogForm {
        self.direction = 1;
        self
    }

    pub fn context(&self) -> Context {
        Context::Form
    }

    fn field(&self) -> Field {
        FIELDS[self.focus]
    }

    /// The focused field, when it holds prose (the summary or the promise)
    /// that may be written in an external editor.
    pub fn long_text_mut(&mut self) -> Option<&mut String> {
        match self.field() {
            Field::Summary => Some(&mut self.summary),
            Field::Promise => Some(&mut self.promise),
            _ => None,
        }
    }

    fn text_mut(&mut self) -> Option<&mut String> {
        match self.field() {
            Field::Summary => Some(&mut self.summary),
            Field::Promise => Some(&mut self.promise),
            Field::PromiseDue => Some(&mut self.promise_due),
            _ => None,
        }
    }

    /// A character typed: into a text field, or on a choice field the first
    /// letter picks the choice that starts with it.
    pub fn type_char(&mut self, c: char, ui_lang: crate::config::Lang) {
        self.error = None;
        if let Some(t) = self.text_mut() {
            t.push(c);
            return;
        }
        let lc = c.to_lowercase().next().unwrap_or(c);
        let pick = |names: Vec<&str>| names.iter().position(|n| n.to_lowercase().starts_with(lc));
        match self.field() {
            Field::Channel => {
                if let Some(i) = pick(Channel::ALL.iter().map(|x| Txt::channel(*x).get(ui_lang)).collect()) {
                    self.channel = i;
                }
            }
            Field::Direction => {
                if let Some(i) = pick(Direction::ALL.iter().map(|x| Txt::direction(*x).get(ui_lang)).collect()) {
                    self.direction = i;
                }
            }
            Field::Outcome => {
                if let Some(i) = pick(Outcome::ALL.iter().map(|x| Txt::outcome(*x).get(ui_lang)).collect()) {
                    self.outcome = i;
                }
            }
            _ => {}
        }
    }

    pub fn backspace(&mut self) {
        if let Some(t) = self.text_mut() {
            t.pop();
        }
    }

    fn cycle(&mut self, step: isize) {
        let (value, n) = match self.field() {
            Field::Channel => (&mut self.channel, Channel::ALL.len()),
            Field::Direction => (&mut self.direction, Direction::ALL.len()),
            Field::Outcome => (&mut self.outcome, Outcome::ALL.len()),
            _ => return,
        };
        *value = (*value as isize + step).rem_euclid(n as isize) as usize;
    }

    pub fn handle(&mut self, action: Action, env: &mut Env) -> Effect {
        match action {
            Action::NextField | Action::Down => self.focus = (self.focus + 1) % FIELDS.len(),
            Action::PrevField | Action::Up => self.focus = (self.focus + FIELDS.len() - 1) % FIELDS.len(),
            Action::Left => self.cycle(-1),
            Action::Right => self.cycle(1),
            Action::Cancel | Action::Back => return Effect::Back,
            Action::Submit => return self.submit(env),
            _ => return Effect::Ignored,
        }
        Effect::None
    }

    /// Validates and saves; on a mistake, says what is wrong and keeps
    /// everything typed.
    fn submit(&mut self, env: &mut Env) -> Effect {
        if self.summary.trim().is_empty() {
            self.error = Some(Txt::ErrSummaryRequired);
            self.focus = 2;
            return Effect::None;
        }
        let promise = if self.promise.trim().is_empty() {
            None
        } else {
            if self.promise_due.trim().is_empty() {
                self.error = Some(Txt::ErrPromiseDue);
                self.focus = 5;
                return Effect::None;
            }
            let today = env.today();
            let Some(day) = parse_due_date(&self.promise_due, today) else {
                self.error = Some(Txt::ErrBadDate);
                self.focus = 5;
                return Effect::None;
            };
            if day < today {
                self.error = Some(Txt::ErrDueInPast);
                self.focus = 5;
                return Effect::None;
            }
            Some((self.promise.trim().to_string(), end_of_local_day(day)))
        };
        let now = env.now;
        let channel = Channel::ALL[self.channel];
        let i = NewInteraction {
            customer_id: self.customer_id,
            channel,
            direction: Direction::ALL[self.direction],
            summary: self.summary.trim().to_string(),
            outcome: Outcome::ALL[self.outcome],
            occurred_at: now,
            duration_secs: (channel == Channel::Call).then(|| (now - self.started).num_seconds().max(0)),
        };
        match env.repo.log_interaction(&i, promise.as_ref().map(|(t, d)| (t.as_str(), *d))) {
            Ok(_) => Effect::Saved(Txt::Logged.get(env.config.language()).to_string()),
            Err(e) => Effect::Error(e.to_string()),
        }
    }

    pub fn render(&self, f: &mut Frame, area: Rect, ui: &Ui) {
        let th = ui.theme;
        // Fields, the focused field's hint, a gap, an error, the keys.
        let height = FIELDS.len() as u16 + 1 + 1 + u16::from(self.error.is_some()) + 1 + 2;
        let rect = centered(area, 76.min(area.width), height.min(area.height));
        f.render_widget(Clear, rect);
        let title = format!("{} · {}", ui.t(Txt::LogTitle), clean(&self.customer_name, th));
        let b = block(&title, th, true);
        let inner = b.inner(rect);
        f.render_widget(b, rect);
        let w = inner.width as usize;
        let label_w = 16;
        let mut lines = Vec::new();
        for (i, field) in FIELDS.iter().enumerate() {
            let focused = i == self.focus;
            let (label, value, hint) = match field {
                Field::Channel => (
                    Txt::FieldChannel,
                    choice(Channel::ALL.iter().map(|x| Txt::channel(*x)), self.channel, ui),
                    Some(Txt::FormHintChoice),
                ),
                Field::Direction => (
                    Txt::FieldDirection,
                    choice(Direction::ALL.iter().map(|x| Txt::direction(*x)), self.direction, ui),
                    Some(Txt::FormHintChoice),
                ),
                Field::Summary => (Txt::FieldSummary, clean(&self.summary, th), None),
                Field::Outcome => (
                    Txt::FieldOutcome,
                    choice(Outcome::ALL.iter().map(|x| Txt::outcome(*x)), self.outcome, ui),
                    Some(Txt::FormHintChoice),
                ),
                Field::Promise => (Txt::FieldPromise, clean(&self.promise, th), None),
                Field::PromiseDue => (Txt::FieldPromiseDue, clean(&self.promise_due, th), Some(Txt::FormHintDate)),
            };
            let marker = if focused { th.cursor() } else { " " };
            let label = super::widgets::cell(ui.t(label), label_w, th);
            let caret = if focused && hint != Some(Txt::FormHintChoice) { "_" } else { "" };
            let avail = w.saturating_sub(label_w + 3);
            // Show the end of a long text being typed, not its start.
            let shown = tail(&format!("{value}{caret}"), avail);
            let style = if focused { th.selected() } else { Default::default() };
            lines.push(Line::from(vec![
                Span::raw(format!("{marker} ")),
                Span::styled(label, th.header()),
                Span::styled(shown, style),
            ]));
            if focused && let Some(h) = hint {
                lines.push(Line::from(Span::styled(format!("  {:label_w$}{}", "", fit(ui.t(h), avail, th)), th.dim())));
            }
        }
        lines.push(Line::raw(""));
        if let Some(e) = self.error {
            lines.push(Line::from(Span::styled(fit(ui.t(e), w, th), th.error())));
        }
        let keys = |a: Action| ui.keymap.keys_for(Context::Form, a).join("/");
        lines.push(Line::from(Span::styled(
            fit(
                &format!(
                    "{} {}   {} {}   {} {}",
                    keys(Action::Submit),
                    ui.t(Txt::FormSave),
                    keys(Action::NextField),
                    ui.t(Txt::FormNextField),
                    keys(Action::Cancel),
                    ui.t(Txt::FormCancel)
                ),
                w,
                th,
            ),
            th.dim(),
        )));
        f.render_widget(Paragraph::new(lines), inner);
    }
}

fn choice(names: impl Iterator<Item = Txt>, selected: usize, ui: &Ui) -> String {
    let v: Vec<&str> = names.map(|t| t.get(ui.lang)).collect();
    format!("< {} >  ({}/{})", v[selected], selected + 1, v.len())
}

/// The last `cells` cells of `s`.
fn tail(s: &str, cells: usize) -> String {
    let mut out: Vec<char> = Vec::new();
    let mut used = 0;
    for c in s.chars().rev() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w > cells {
            break;
        }
        used += w;
        out.push(c);
    }
    out.into_iter().rev().collect()
}

/// Parses a typed due date: `YYYY-MM-DD`, `today`, `tomorrow`, `+N` (days).
pub fn parse_due_date(s: &str, today: NaiveDate) -> Option<NaiveDate> {
    let s = s.trim().to_lowercase();
    match s.as_str() {
        "today" | "今天" => Some(today),
        "tomorrow" | "明天" => today.succ_opt(),
        _ => {
            if let Some(n) = s.strip_prefix('+') {
                let n: i64 = n.trim_end_matches('d').parse().ok()?;
                return (0..=3650).contains(&n).then(|| today + Duration::days(n));
            }
            NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok()
        }
    }
}

/// The last second of a local calendar day, in UTC.
pub fn end_of_local_day(day: NaiveDate) -> chrono::DateTime<Utc> {
    let t = day.and_time(NaiveTime::from_hms_opt(23, 59, 59).unwrap_or_default());
    Local.from_local_datetime(&t).earliest().map(|d| d.with_timezone(&Utc)).unwrap_or_else(|| Utc.from_utc_datetime(&t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_dates() {
        let d = NaiveDate::from_ymd_opt(2024, 2, 28).unwrap();
        assert_eq!(parse_due_date("tomorrow", d), NaiveDate::from_ymd_opt(2024, 2, 29));
        assert_eq!(parse_due_date("+2", d), NaiveDate::from_ymd_opt(2024, 3, 1));
        assert_eq!(parse_due_date("2024-03-05", d), NaiveDate::from_ymd_opt(2024, 3, 5));
        assert_eq!(parse_due_date("2024-02-30", d), None);
        assert_eq!(parse_due_date("soon", d), None);
        assert_eq!(parse_due_date("+99999", d), None);
    }

    #[test]
    fn tail_keeps_the_end() {
        assert_eq!(tail("abcdef", 3), "def");
        assert_eq!(tail("山田太郎", 5), "太郎");
    }
}
