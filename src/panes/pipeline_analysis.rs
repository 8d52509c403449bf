//! The pipeline's analysis view over a chosen period (the last 90 days, 30
//! days, this quarter, this year or a typed range): conversion from stage
//! to stage, win rate, days per stage, cycle time, lost reasons, and the
//! weighted forecast by month of expected close drawn as bars.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::widgets::{block, col, fit};
use super::{Env, Ui};
use crate::domain::forecast::{Analysis, PeriodChoice, analyse};
use crate::domain::pipeline::Stage;
use crate::i18n::Txt;

/// Reads and computes the analysis over the period `choice` stands for as
/// of today (on opening the view or choosing a period, not per frame). The
/// same figures as `rapport report pipeline --from --to` for that period.
pub fn load(env: &Env, stages: &[Stage], choice: PeriodChoice) -> Result<Analysis, String> {
    let today = env.today();
    let period = choice.period(today);
    let histories = env.repo.deal_histories(&period).map_err(|e| e.to_string())?;
    let open = env.repo.open_deals_for_forecast().map_err(|e| e.to_string())?;
    Ok(analyse(stages, &env.config.pipeline.lost_reasons, period, today, &histories, &open))
}

fn pct(r: Option<f64>) -> String {
    r.map(|r| format!("{:.0}%", r * 100.0)).unwrap_or_else(|| "–".into())
}

fn days(d: Option<f64>) -> String {
    d.map(|d| format!("{d:.1}")).unwrap_or_else(|| "–".into())
}

/// The name of a period choice, for the title (`None` for a typed range:
/// its dates say it all).
fn choice_name(choice: PeriodChoice) -> Option<Txt> {
    match choice {
        PeriodChoice::Last30 => Some(Txt::Last30),
        PeriodChoice::Last90 => Some(Txt::Last90),
        PeriodChoice::ThisQuarter => Some(Txt::ThisQuarter),
        PeriodChoice::ThisYear => Some(Txt::ThisYear),
        PeriodChoice::Range(_) => None,
    }
}

pub fn render(f: &mut Frame, area: Rect, a: &Analysis, choice: PeriodChoice, ui: &Ui) {
    let th = ui.theme;
    let name = choice_name(choice).map(|t| format!("{} · ", ui.t(t))).unwrap_or_default();
    let title = format!("{} · {name}{} → {}", ui.t(Txt::Analysis), a.period.from(), a.period.to());
    let outer = block(&title, th, true);
    let inner = outer.inner(area);
    f.render_widget(outer, area);
    let wide = inner.width >= 100;
    let (left, right) = if wide {
        let [l, r] = Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(inner);
        (l, Some(r))
    } else {
        (inner, None)
    };
    let w = left.width as usize;
    let mut lines = vec![Line::from(Span::styled(
        fit(
            &format!(
                "{} {} ({} {} / {} {}) · {} {} {}",
                ui.t(Txt::WinRate),
                pct(a.win_rate.rate()),
                a.win_rate.won,
                ui.t(Txt::KeyWon),
                a.win_rate.lost,
                ui.t(Txt::KeyLost),
                ui.t(Txt::CycleTime),
                days(a.cycle.avg_days),
                ui.t(Txt::DaysShort)
            ),
            w,
            th,
        ),
        th.header(),
    ))];
    lines.push(Line::raw(""));
    let name_w = 24.min(w / 2);
    lines.push(Line::from(Span::styled(
        fit(
            &format!(
                "{}{}{}{}",
                col(ui.t(Txt::FieldStage), name_w, th),
                col(ui.t(Txt::Conversion), 18, th),
                col(ui.t(Txt::DaysInStage), 14, th),
                ""
            ),
            w,
            th,
        ),
        th.header(),
    )));
    for (c, t) in a.conversions.iter().zip(&a.stage_times) {
        let conv = format!("{} ({}/{})", pct(c.rate()), c.advanced, c.entered);
        lines.push(Line::raw(fit(
            &format!(
                "{}{}{}",
                col(&format!("{} → {}", c.from, c.to), name_w, th),
                col(&conv, 18, th),
                days(t.avg_days)
            ),
            w,
            th,
        )));
    }
    lines.push(Line::raw(""));
    lines.push(Line::from(Span::styled(ui.t(Txt::LostReasons), th.header())));
    if a.lost_reasons.is_empty() {
        lines.push(Line::from(Span::styled(format!("  {}", ui.t(Txt::NoneYet)), th.dim())));
    }
    for r in a.lost_reasons.iter().take(5) {
        let name = r.reason.clone().unwrap_or_else(|| ui.t(Txt::NoReason).to_string());
        lines.push(Line::raw(fit(&format!("  {} {} · {}", r.count, name, r.total.short()), w, th)));
    }
    let mut chart = vec![Line::from(Span::styled(
        fit(&format!("{} · {} {}", ui.t(Txt::Forecast), ui.t(Txt::Weighted), a.open_weighted.short()), w, th),
        th.header(),
    ))];
    let max = a.forecast.iter().map(|m| m.weighted.0).max().unwrap_or(0).max(1);
    let bar_room = (right.map_or(inner.width, |r| r.width) as usize).saturating_sub(8 + 14 + 2);
    let glyph = th.band_fill();
    for m in &a.forecast {
        let label = m.month.map(|m| m.to_string()).unwrap_or_else(|| ui.t(Txt::NoDate).to_string());
        let n = ((m.weighted.0.max(0) as i128 * bar_room as i128) / max as i128) as usize;
        let style = if m.overdue > 0 { th.alert() } else { th.ok() };
        chart.push(Line::from(vec![
            Span::raw(col(&label, 9, th)),
            Span::styled(glyph.repeat(n.max(usize::from(m.weighted.0 > 0))), style),
            Span::raw(format!(" {}", m.weighted.short())),
        ]));
    }
    match right {
        Some(r) => {
            f.render_widget(Paragraph::new(lines), left);
            f.render_widget(Paragraph::new(chart), r);
        }
        None => {
            lines.push(Line::raw(""));
            lines.extend(chart);
            f.render_widget(Paragraph::new(lines), left);
        }
    }
}
