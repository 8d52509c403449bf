//! The terminal backend sends fewer bytes than ratatui's crossterm backend
//! and the terminal shows the same: random frames in a row (CJK, accents,
//! emoji, combining marks, colours, attributes) are drawn through both,
//! each fed to a terminal emulator (vt100), and the two screens compared
//! cell by cell, attributes and colours included, and with the frame.

use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;

use proptest::prelude::*;
use rapport::tui::lean_backend::LeanBackend;
use ratatui::backend::CrosstermBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::{Terminal, TerminalOptions, Viewport};

const W: u16 = 24;
const H: u16 = 6;

#[derive(Clone, Default)]
struct Sink(Rc<RefCell<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn options() -> TerminalOptions {
    TerminalOptions { viewport: Viewport::Fixed(Rect::new(0, 0, W, H)) }
}

/// One run of text on a frame: where, what, how.
#[derive(Debug, Clone)]
struct Run {
    x: u16,
    y: u16,
    text: String,
    style: Style,
}

const WORDS: &[&str] =
    &["a", "rapport", "Zoë", "Ångström", "山田太郎", "王芳", "한국", "カナ", "│─┼", "▶", "e\u{301}", "😀", "  ", "x"];
const COLORS: &[Color] = &[
    Color::Reset,
    Color::Red,
    Color::Yellow,
    Color::DarkGray,
    Color::LightCyan,
    Color::White,
    Color::Indexed(208),
    Color::Rgb(10, 200, 30),
];
const MODIFIERS: &[Modifier] = &[Modifier::BOLD, Modifier::ITALIC, Modifier::UNDERLINED, Modifier::REVERSED];

fn run() -> impl Strategy<Value = Run> {
    (0..W, 0..H, prop::collection::vec(0..WORDS.len(), 1..4), 0..COLORS.len(), 0..COLORS.len(), 0u8..16).prop_map(
        |(x, y, words, fg, bg, m)| {
            let modifier = MODIFIERS
                .iter()
                .enumerate()
                .filter(|(i, _)| m & (1 << i) != 0)
                .fold(Modifier::empty(), |acc, (_, m)| acc | *m);
            Run {
                x,
                y,
                text: words.iter().map(|i| WORDS[*i]).collect(),
                style: Style::default().fg(COLORS[fg]).bg(COLORS[bg]).add_modifier(modifier),
            }
        },
    )
}

fn paint(buf: &mut Buffer, runs: &[Run]) {
    for r in runs {
        buf.set_stringn(r.x, r.y, &r.text, (W - r.x) as usize, r.style);
    }
}

fn vt_color(c: Color) -> vt100::Color {
    match c {
        Color::Reset => vt100::Color::Default,
        Color::Red => vt100::Color::Idx(1),
        Color::Yellow => vt100::Color::Idx(3),
        Color::DarkGray => vt100::Color::Idx(8),
        Color::LightCyan => vt100::Color::Idx(14),
        Color::White => vt100::Color::Idx(15),
        Color::Indexed(i) => vt100::Color::Idx(i),
        Color::Rgb(r, g, b) => vt100::Color::Rgb(r, g, b),
        other => panic!("no mapping for {other:?}"),
    }
}

/// The two emulated screens are the same, cell by cell: text, colours,
/// attributes.
fn assert_same(lean: &vt100::Screen, plain: &vt100::Screen) {
    for y in 0..H {
        for x in 0..W {
            let (a, b) = (lean.cell(y, x).expect("cell"), plain.cell(y, x).expect("cell"));
            let at = format!("({x},{y})");
            assert_eq!(a.contents(), b.contents(), "{at}");
            assert_eq!((a.fgcolor(), a.bgcolor()), (b.fgcolor(), b.bgcolor()), "{at} colours");
            assert_eq!(
                (a.bold(), a.italic(), a.underline(), a.inverse()),
                (b.bold(), b.italic(), b.underline(), b.inverse()),
                "{at} attributes"
            );
        }
    }
}

/// The emulator's screen shows the buffer: every cell's text, and where a
/// cell was drawn whole, its colours and attributes (half of a wide
/// character overwritten is the terminal's to blank).
fn assert_shows(screen: &vt100::Screen, buf: &Buffer) {
    for y in 0..H {
        let mut x = 0;
        while x < W {
            let want = &buf[(x, y)];
            let got = screen.cell(y, x).expect("cell");
            let at = format!("({x},{y})");
            let text = if got.contents().is_empty() { " " } else { got.contents() };
            assert_eq!(text, want.symbol(), "{at}");
            if want.symbol() != " " {
                assert_eq!(got.fgcolor(), vt_color(want.fg), "{at} fg");
                assert_eq!(got.bgcolor(), vt_color(want.bg), "{at} bg");
                assert_eq!(got.bold(), want.modifier.contains(Modifier::BOLD), "{at} bold");
                assert_eq!(got.italic(), want.modifier.contains(Modifier::ITALIC), "{at} italic");
                assert_eq!(got.underline(), want.modifier.contains(Modifier::UNDERLINED), "{at} underline");
                assert_eq!(got.inverse(), want.modifier.contains(Modifier::REVERSED), "{at} inverse");
            }
            x += unicode_width::UnicodeWidthStr::width(want.symbol()).max(1) as u16;
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn the_terminal_shows_every_frame_exactly_with_no_more_bytes(
        frames in prop::collection::vec(prop::collection::vec(run(), 0..12), 1..5)
    ) {
        let lean_out = Sink::default();
        let plain_out = Sink::default();
        let mut lean = Terminal::with_options(LeanBackend::new(lean_out.clone()), options()).unwrap();
        let mut plain = Terminal::with_options(CrosstermBackend::new(plain_out.clone()), options()).unwrap();
        let size = (std::num::NonZeroU16::new(H).unwrap(), std::num::NonZeroU16::new(W).unwrap());
        let mut parser = vt100::Parser::new(size.0, size.1, 0);
        let mut plain_parser = vt100::Parser::new(size.0, size.1, 0);
        for runs in &frames {
            let before = (lean_out.0.borrow().len(), plain_out.0.borrow().len());
            lean.draw(|f| paint(f.buffer_mut(), runs)).unwrap();
            plain.draw(|f| paint(f.buffer_mut(), runs)).unwrap();
            let sent = lean_out.0.borrow()[before.0..].to_vec();
            let plain_sent = plain_out.0.borrow()[before.1..].to_vec();
            prop_assert!(sent.len() <= plain_sent.len(), "{} > {} bytes", sent.len(), plain_sent.len());
            parser.process(&sent);
            plain_parser.process(&plain_sent);
            assert_same(parser.screen(), plain_parser.screen());
            let mut want = Buffer::empty(Rect::new(0, 0, W, H));
            paint(&mut want, runs);
            assert_shows(parser.screen(), &want);
        }
    }
}

/// A cursor move in a list of CJK names: the rows change, and the bytes are
/// a fraction of what ratatui's backend sends (it re-addresses the cursor
/// after every wide character and sends both colours for every change).
#[test]
fn a_selection_move_over_cjk_rows_costs_far_fewer_bytes() {
    let draw = |backend_lean: bool| -> usize {
        let out = Sink::default();
        let rows = ["山田太郎  03-1234-5678", "王芳      +86 138 0013", "김민준    010-1234-5678"];
        let frame = |f: &mut ratatui::Frame, sel: usize| {
            for (i, r) in rows.iter().enumerate() {
                let style = if i == sel { Style::default().add_modifier(Modifier::REVERSED) } else { Style::default() };
                f.buffer_mut().set_string(0, i as u16, r, style.fg(Color::DarkGray));
            }
        };
        if backend_lean {
            let mut t = Terminal::with_options(LeanBackend::new(out.clone()), options()).unwrap();
            t.draw(|f| frame(f, 0)).unwrap();
            out.0.borrow_mut().clear();
            t.draw(|f| frame(f, 1)).unwrap();
        } else {
            let mut t = Terminal::with_options(CrosstermBackend::new(out.clone()), options()).unwrap();
            t.draw(|f| frame(f, 0)).unwrap();
            out.0.borrow_mut().clear();
            t.draw(|f| frame(f, 1)).unwrap();
        }
        out.0.borrow().len()
    };
    let (lean, plain) = (draw(true), draw(false));
    assert!(lean * 10 < plain * 7, "lean {lean} bytes, ratatui's {plain}");
}
