//! How a form shows a save refused because someone else saved the record
//! meanwhile: the fields they changed (with their value, and the user's
//! where both changed it) and the choices: r reload their version, o
//! overwrite with yours, esc keep editing. Which fields differ is decided
//! in [`crate::domain::conflict`]; this only draws it.

use ratatui::text::{Line, Span};

use super::Ui;
use super::widgets::{cell, fit};
use crate::domain::conflict::Clash;
use crate::domain::text::width;
use crate::i18n::Txt;

/// A field the form shows that they changed.
pub struct Row {
    pub label: String,
    /// Their value, as the form would show it.
    pub theirs: String,
    /// The user's value, when they changed it too.
    pub mine: Option<String>,
}

/// "Saved by someone else meanwhile: phone, credit limit." in `lang`.
pub fn message(clash: &Clash, lang: crate::config::Lang) -> String {
    let names: Vec<String> = clash.theirs.iter().map(|f| Txt::field_name(f, lang)).collect();
    format!("{}: {}.", Txt::ConflictSaved.get(lang), names.join(", "))
}

/// `text` cut into lines of at most `w` cells at spaces (a word longer
/// than a line is cut).
fn wrap(text: &str, w: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let sep = usize::from(!line.is_empty());
        if !line.is_empty() && width(&line) + sep + width(word) > w {
            out.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        out.push(line);
    }
    out
}

/// The lines that explain the conflict, `w` cells wide; `label_w` is the
/// width of the form's labels so the values line up with the fields.
pub fn lines(clash: &Clash, rows: &[Row], w: usize, label_w: usize, ui: &Ui) -> Vec<Line<'static>> {
    let th = ui.theme;
    let mut out: Vec<Line<'static>> = wrap(&message(clash, ui.lang), w)
        .into_iter()
        .map(|l| Line::from(Span::styled(fit(&l, w, th), th.error())))
        .collect();
    for r in rows {
        let mut s = format!("{}: {}", ui.t(Txt::ConflictTheirs), r.theirs);
        if let Some(m) = &r.mine {
            s += &format!(" · {}: {m}", ui.t(Txt::ConflictYours));
        }
        out.push(Line::from(vec![
            Span::raw("  "),
            Span::styled(cell(&r.label, label_w, th), th.header()),
            Span::raw(fit(&s, w.saturating_sub(label_w + 2), th)),
        ]));
    }
    out.push(Line::from(Span::styled(fit(ui.t(Txt::ConflictChoices), w, th), th.selected())));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_words_whole() {
        assert_eq!(
            wrap("Saved by someone else meanwhile: phone.", 20),
            vec!["Saved by someone", "else meanwhile:", "phone."]
        );
        assert_eq!(wrap("short", 20), vec!["short"]);
    }
}
