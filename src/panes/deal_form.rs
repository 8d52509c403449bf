//! Creating and editing a deal. A new deal's customer is picked by search
//! (type, then ←/→ among the matches); the probability defaults to the
//! stage's. Bad amounts, dates or probabilities are refused in the form,
//! with everything typed kept; nothing is half-saved. A save refused
//! because someone else saved the deal meanwhile names the fields they
//! changed: r reloads their version, o overwrites it, esc keeps editing.

use chrono::NaiveDate;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::widgets::{block, cell, centered, clean, fit};
use super::{Effect, Env, Ui, conflict};
use crate::app::Action;
use crate::domain::conflict::{Clash, compare, deal_fields};
use crate::domain::model::{CustomerRow, Deal, NewDeal};
use crate::domain::money::Money;
use crate::i18n::Txt;
use crate::repo::RepoError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Customer,
    Title,
    Amount,
    Stage,
    Probability,
    Close,
    Competitors,
    NextStep,
    Owner,
}

impl Field {
    /// The field's code in [`deal_fields`], for those an edit saves.
    fn code(self) -> Option<&'static str> {
        Some(match self {
            Field::Title => "title",
            Field::Amount => "amount",
            Field::Probability => "probability_pct",
            Field::Close => "expected_close",
            Field::Competitors => "competitors",
            Field::NextStep => "next_step",
            Field::Owner => "owner",
            Field::Customer | Field::Stage => return None,
        })
    }

    fn label(self) -> Txt {
        match self {
            Field::Customer => Txt::FieldCustomer,
            Field::Title => Txt::FieldTitle,
            Field::Amount => Txt::FieldAmount,
            Field::Stage => Txt::FieldStage,
            Field::Probability => Txt::FieldProbability,
            Field::Close => Txt::FieldClose,
            Field::Competitors => Txt::FieldCompetitors,
            Field::NextStep => Txt::FieldNextStep,
            Field::Owner => Txt::Owner,
        }
    }
}

/// The fields an edit saves, as [`deal_fields`] names them.
const SAVED: [&str; 7] = ["title", "amount", "probability_pct", "expected_close", "competitors", "next_step", "owner"];

/// What the form would save, checked.
#[derive(Clone, Copy)]
struct Checked {
    amount: Money,
    probability: Option<u8>,
    close: Option<NaiveDate>,
}

/// A save refused because someone else saved the deal meanwhile.
struct Conflict {
    fresh: Deal,
    clash: Clash,
}

pub struct DealForm {
    /// The deal being edited; `None` for a new one.
    editing: Option<Deal>,
    fields: Vec<Field>,
    focus: usize,
    customer: Option<(i64, String)>,
    customer_query: String,
    matches: Vec<CustomerRow>,
    pick: usize,
    title: String,
    amount: String,
    stages: Vec<(String, u8)>,
    stage: usize,
    probability: String,
    close: String,
    competitors: String,
    next_step: String,
    owner: String,
    error: Option<String>,
    /// Shown in place of an error: what just happened (a reload).
    notice: Option<String>,
    conflict: Option<Conflict>,
}

impl DealForm {
    /// A new deal, for `customer` if known (from a card), else picked here.
    pub fn new(customer: Option<(i64, String)>, stage: usize, env: &Env) -> DealForm {
        let mut fields = vec![Field::Customer];
        if customer.is_some() {
            fields.clear();
        }
        fields.extend([
            Field::Title,
            Field::Amount,
            Field::Stage,
            Field::Probability,
            Field::Close,
            Field::Competitors,
            Field::NextStep,
            Field::Owner,
        ]);
        DealForm {
            editing: None,
            fields,
            focus: 0,
            customer,
            customer_query: String::new(),
            matches: Vec::new(),
            pick: 0,
            title: String::new(),
            amount: String::new(),
            stages: env.config.pipeline.stages.iter().map(|s| (s.name.clone(), s.probability_pct)).collect(),
            stage,
            probability: String::new(),
            close: String::new(),
            competitors: String::new(),
            next_step: String::new(),
            owner: env.repo.agent().to_string(),
            error: None,
            notice: None,
            conflict: None,
        }
    }

    /// Editing an existing deal: its stage moves with the board's keys.
    pub fn edit(deal: Deal, env: &Env) -> DealForm {
        let mut f = DealForm::new(Some((deal.customer_id, deal.customer_name.clone())), 0, env);
        f.fields.retain(|x| *x != Field::Stage);
        f.load(deal);
        f
    }

    /// Puts `deal` in the form, every field of it.
    fn load(&mut self, deal: Deal) {
        let f = self;
        f.customer = Some((deal.customer_id, deal.customer_name.clone()));
        f.title = deal.title.clone();
        f.amount = deal.amount.to_string().replace(',', "");
        f.probability = deal.probability_pct.map(|p| p.to_string()).unwrap_or_default();
        f.close = deal.expected_close.map(|d| d.to_string()).unwrap_or_default();
        f.competitors = deal.competitors.clone().unwrap_or_default();
        f.next_step = deal.next_step.clone().unwrap_or_default();
        f.owner = deal.owner.clone().unwrap_or_default();
        f.stage = f.stages.iter().position(|(n, _)| *n == deal.stage).unwrap_or(0);
        f.editing = Some(deal);
    }

    /// The text the form shows for field `code` of `deal`.
    fn shown(deal: &Deal, code: &str) -> String {
        let o = |v: &Option<String>| v.clone().unwrap_or_default();
        match code {
            "title" => deal.title.clone(),
            "amount" => deal.amount.to_string().replace(',', ""),
            "probability_pct" => deal.probability_pct.map(|p| p.to_string()).unwrap_or_default(),
            "expected_close" => deal.expected_close.map(|d| d.to_string()).unwrap_or_default(),
            "competitors" => o(&deal.competitors),
            "next_step" => o(&deal.next_step),
            "owner" => o(&deal.owner),
            _ => String::new(),
        }
    }

    /// The text the user has in field `code`.
    fn typed(&self, code: &str) -> &str {
        match code {
            "title" => &self.title,
            "amount" => &self.amount,
            "probability_pct" => &self.probability,
            "expected_close" => &self.close,
            "competitors" => &self.competitors,
            "next_step" => &self.next_step,
            "owner" => &self.owner,
            _ => "",
        }
    }

    fn field(&self) -> Field {
        self.fields[self.focus]
    }

    fn text_mut(&mut self) -> Option<&mut String> {
        Some(match self.field() {
            Field::Customer => &mut self.customer_query,
            Field::Title => &mut self.title,
            Field::Amount => &mut self.amount,
            Field::Probability => &mut self.probability,
            Field::Close => &mut self.close,
            Field::Competitors => &mut self.competitors,
            Field::NextStep => &mut self.next_step,
            Field::Owner => &mut self.owner,
            Field::Stage => return None,
        })
    }

    fn search(&mut self, env: &mut Env) {
        self.matches = if self.customer_query.trim().is_empty() {
            Vec::new()
        } else {
            env.repo.search_customers(&self.customer_query, 0, 5).unwrap_or_default()
        };
        self.pick = 0;
        self.customer = self.matches.first().map(|c| (c.id, c.name.clone()));
    }

    /// A typed character: text for the focused field, or, while a
    /// conflict is shown, its choice (r reload, o overwrite).
    pub fn type_char(&mut self, c: char, env: &mut Env) -> Effect {
        if self.conflict.is_some() {
            return match c {
                'r' | 'R' => {
                    if let Some(Conflict { fresh, .. }) = self.conflict.take() {
                        self.load(fresh);
                        self.error = None;
                        self.notice = Some(Txt::ConflictReloaded.get(env.config.language()).into());
                    }
                    Effect::None
                }
                'o' | 'O' => self.overwrite(env),
                _ => Effect::None,
            };
        }
        self.error = None;
        self.notice = None;
        if let Some(t) = self.text_mut() {
            t.push(c);
        }
        if self.field() == Field::Customer {
            self.search(env);
        }
        Effect::None
    }

    pub fn backspace(&mut self, env: &mut Env) {
        if self.conflict.is_some() {
            return;
        }
        if let Some(t) = self.text_mut() {
            t.pop();
        }
        if self.field() == Field::Customer {
            self.search(env);
        }
    }

    fn cycle(&mut self, step: isize) {
        match self.field() {
            Field::Stage if !self.stages.is_empty() => {
                self.stage = (self.stage as isize + step).rem_euclid(self.stages.len() as isize) as usize;
            }
            Field::Customer if !self.matches.is_empty() => {
                self.pick = (self.pick as isize + step).rem_euclid(self.matches.len() as isize) as usize;
                let c = &self.matches[self.pick];
                self.customer = Some((c.id, c.name.clone()));
            }
            _ => {}
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
        let n = self.fields.len();
        match action {
            Action::NextField | Action::Down => self.focus = (self.focus + 1) % n,
            Action::PrevField | Action::Up => self.focus = (self.focus + n - 1) % n,
            Action::Left => self.cycle(-1),
            Action::Right => self.cycle(1),
            Action::Cancel | Action::Back => return Effect::Back,
            Action::Submit => return self.submit(env),
            _ => {}
        }
        Effect::None
    }

    fn fail(&mut self, field: Field, msg: String) -> Effect {
        self.error = Some(msg);
        if let Some(i) = self.fields.iter().position(|f| *f == field) {
            self.focus = i;
        }
        Effect::None
    }

    /// The form's values over `d`: what saving them would store.
    fn applied(&self, d: &Deal, v: Checked) -> Deal {
        let opt = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        let mut d = d.clone();
        d.title = self.title.trim().into();
        d.amount = v.amount;
        d.probability_pct = v.probability;
        d.expected_close = v.close;
        d.competitors = opt(&self.competitors);
        d.next_step = opt(&self.next_step);
        d.owner = opt(&self.owner);
        d
    }

    /// The save was refused: reads the deal again and compares. When they
    /// changed nothing this form saves (a stage move, say), the user's
    /// values are saved over their version, undoing nothing of theirs;
    /// otherwise the conflict is shown and the user chooses.
    fn conflicted(&mut self, v: Checked, env: &mut Env) -> Effect {
        let lang = env.config.language();
        let Some(base) = self.editing.clone() else { return Effect::None };
        let mine = self.applied(&base, v);
        for _ in 0..3 {
            let fresh = match env.repo.deal(base.id) {
                Ok(d) => d,
                Err(e) => {
                    self.error = Some(e.to_string());
                    return Effect::None;
                }
            };
            let clash = compare(&deal_fields(&base), &deal_fields(&fresh), &deal_fields(&mine));
            if clash.touches(&SAVED) {
                self.conflict = Some(Conflict { fresh, clash });
                return Effect::None;
            }
            match env.repo.update_deal(&self.applied(&fresh, v)) {
                Ok(_) => {
                    let mut text = Txt::DealSaved.get(lang).to_string();
                    if !clash.is_empty() {
                        let names: Vec<String> = clash.theirs.iter().map(|f| Txt::field_name(f, lang)).collect();
                        text = format!("{text} ({}: {})", Txt::ConflictKept.get(lang), names.join(", "));
                    }
                    return Effect::Saved(text);
                }
                Err(RepoError::Conflict { .. }) => continue,
                Err(e) => {
                    self.error = Some(e.to_string());
                    return Effect::None;
                }
            }
        }
        self.error = Some(RepoError::Conflict { entity: "deal", id: base.id }.to_string());
        Effect::None
    }

    /// o: the user's values saved over their version, on purpose.
    fn overwrite(&mut self, env: &mut Env) -> Effect {
        let Some(Conflict { fresh, .. }) = self.conflict.take() else { return Effect::None };
        let Ok(v) = self.check(env.config.language()) else { return Effect::None };
        match env.repo.update_deal(&self.applied(&fresh, v)) {
            Ok(_) => Effect::Saved(Txt::DealSaved.get(env.config.language()).to_string()),
            // Yet another save meanwhile: compare again.
            Err(RepoError::Conflict { .. }) => self.conflicted(v, env),
            Err(e) => {
                self.error = Some(e.to_string());
                Effect::None
            }
        }
    }

    /// The amount, probability and close date as typed, checked; `Err`
    /// (with the error shown and the focus on the field) if one is wrong.
    fn check(&mut self, lang: crate::config::Lang) -> Result<Checked, ()> {
        let amount = match Money::parse(&self.amount) {
            Ok(m) if m.0 >= 0 => m,
            Ok(_) => {
                self.fail(Field::Amount, Txt::ErrNegativeAmount.get(lang).into());
                return Err(());
            }
            Err(e) => {
                self.fail(Field::Amount, e);
                return Err(());
            }
        };
        let probability = match self.probability.trim().trim_end_matches('%') {
            "" => None,
            p => match p.parse::<u8>() {
                Ok(p) if p <= 100 => Some(p),
                _ => {
                    self.fail(Field::Probability, Txt::ErrProbability.get(lang).into());
                    return Err(());
                }
            },
        };
        let close = match self.close.trim() {
            "" => None,
            d => match NaiveDate::parse_from_str(d, "%Y-%m-%d") {
                Ok(d) => Some(d),
                Err(_) => {
                    self.fail(Field::Close, format!("\"{d}\": {}", Txt::ErrBadDate.get(lang)));
                    return Err(());
                }
            },
        };
        Ok(Checked { amount, probability, close })
    }

    fn submit(&mut self, env: &mut Env) -> Effect {
        let lang = env.config.language();
        let Some((customer_id, _)) = self.customer.clone() else {
            return self.fail(Field::Customer, Txt::ErrPickCustomer.get(lang).into());
        };
        if self.title.trim().is_empty() {
            return self.fail(Field::Title, Txt::ErrTitleRequired.get(lang).into());
        }
        let Ok(checked) = self.check(lang) else { return Effect::None };
        let Checked { amount, probability, close } = checked;
        let opt = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        let result = match &self.editing {
            Some(d) => {
                let d = self.applied(d, checked);
                match env.repo.update_deal(&d) {
                    Err(RepoError::Conflict { .. }) => return self.conflicted(checked, env),
                    r => r.map(|_| Txt::DealSaved),
                }
            }
            None => env
                .repo
                .create_deal(&NewDeal {
                    customer_id,
                    title: self.title.trim().into(),
                    amount,
                    stage: self.stages.get(self.stage).map(|s| s.0.clone()).unwrap_or_default(),
                    probability_pct: probability,
                    expected_close: close,
                    competitors: opt(&self.competitors),
                    owner: opt(&self.owner),
                    next_step: opt(&self.next_step),
                    created_at: env.now,
                })
                .map(|_| Txt::DealCreated),
        };
        match result {
            Ok(t) => Effect::Saved(t.get(lang).to_string()),
            Err(e) => {
                self.error = Some(e.to_string());
                Effect::None
            }
        }
    }

    /// The conflict's lines, `w` cells wide.
    fn conflict_lines(&self, w: usize, label_w: usize, ui: &Ui) -> Vec<Line<'static>> {
        let Some(Conflict { fresh, clash }) = &self.conflict else { return Vec::new() };
        let rows: Vec<conflict::Row> = self
            .fields
            .iter()
            .filter_map(|f| f.code().filter(|c| clash.theirs.contains(c)).map(|c| (f, c)))
            .map(|(f, c)| conflict::Row {
                label: ui.t(f.label()).to_string(),
                theirs: DealForm::shown(fresh, c),
                mine: clash.both.contains(&c).then(|| self.typed(c).to_string()),
            })
            .collect();
        conflict::lines(clash, &rows, w, label_w, ui)
    }

    pub fn render(&self, f: &mut Frame, area: Rect, ui: &Ui) {
        let th = ui.theme;
        let extra = usize::from(self.field() == Field::Customer) * self.matches.len().min(5);
        let conflict = self.conflict_lines(76.min(area.width).saturating_sub(2) as usize, 18, ui);
        let message = usize::from(self.error.is_some() || self.notice.is_some());
        let below = if conflict.is_empty() { 0 } else { conflict.len() + 1 };
        let height = (self.fields.len() + extra + 4 + message + below) as u16;
        let rect = centered(area, 76.min(area.width), height.min(area.height));
        f.render_widget(Clear, rect);
        let t = if self.editing.is_some() { Txt::EditDeal } else { Txt::NewDeal };
        let title = match &self.customer {
            Some((_, name)) if self.editing.is_some() || !self.fields.contains(&Field::Customer) => {
                format!("{} · {}", ui.t(t), clean(name, th))
            }
            _ => ui.t(t).to_string(),
        };
        let b = block(&title, th, true);
        let inner = b.inner(rect);
        f.render_widget(b, rect);
        let w = inner.width as usize;
        let label_w = 18;
        let mut lines = Vec::new();
        for (i, field) in self.fields.iter().enumerate() {
            let focused = i == self.focus;
            let (label, value) = match field {
                Field::Customer => {
                    let chosen = self.customer.as_ref().map(|(_, n)| format!("  → {}", n)).unwrap_or_default();
                    (Txt::FieldCustomer, format!("{}{}", self.customer_query, chosen))
                }
                Field::Title => (Txt::FieldTitle, self.title.clone()),
                Field::Amount => (Txt::FieldAmount, self.amount.clone()),
                Field::Stage => {
                    let (name, p) = self.stages.get(self.stage).cloned().unwrap_or_default();
                    (Txt::FieldStage, format!("< {name} {p}% >"))
                }
                Field::Probability => {
                    let default = self.stages.get(self.stage).map(|s| s.1).unwrap_or(0);
                    let v = if self.probability.is_empty() && !focused {
                        format!("({} {default}%)", ui.t(Txt::StageDefault))
                    } else {
                        self.probability.clone()
                    };
                    (Txt::FieldProbability, v)
                }
                Field::Close => (Txt::FieldClose, self.close.clone()),
                Field::Competitors => (Txt::FieldCompetitors, self.competitors.clone()),
                Field::NextStep => (Txt::FieldNextStep, self.next_step.clone()),
                Field::Owner => (Txt::Owner, self.owner.clone()),
            };
            let marker = if focused { th.cursor() } else { " " };
            let caret = if focused && *field != Field::Stage { "_" } else { "" };
            let style = if focused { th.selected() } else { Default::default() };
            lines.push(Line::from(vec![
                Span::raw(format!("{marker} ")),
                Span::styled(cell(ui.t(label), label_w, th), th.header()),
                Span::styled(fit(&format!("{value}{caret}"), w.saturating_sub(label_w + 2), th), style),
            ]));
            if focused && *field == Field::Customer {
                for (k, m) in self.matches.iter().enumerate() {
                    let sel = if k == self.pick { th.cursor() } else { " " };
                    let s = format!("{:label_w$}  {sel} {} · {}", "", m.name, m.phone.as_deref().unwrap_or(""));
                    lines.push(Line::from(Span::styled(fit(&s, w, th), th.dim())));
                }
            }
        }
        if let Some(e) = &self.error {
            lines.push(Line::from(Span::styled(fit(e, w, th), th.error())));
        } else if let Some(n) = &self.notice {
            lines.push(Line::from(Span::styled(fit(n, w, th), th.ok())));
        }
        if !conflict.is_empty() {
            lines.push(Line::raw(""));
            lines.extend(conflict);
        }
        lines.push(Line::from(Span::styled(fit(ui.t(Txt::DealFormHint), w, th), th.dim())));
        f.render_widget(Paragraph::new(lines), inner);
    }
}
