//! The terminal side: setup and teardown, the panic hook, signals, and the
//! event loop that draws only when something changed.

mod editor;
mod input;
pub mod lean_backend;
mod signals;
mod terminal;

use std::io::Write;
use std::time::{Duration, Instant};

use crossterm::event::Event;

use input::{Input, Next};

use crate::app::App;
pub use signals::Signals;
pub use terminal::{TerminalGuard, install_panic_hook};

/// How often the loop wakes when idle to notice signals.
const TICK: Duration = Duration::from_millis(250);
/// How often it asks the base whether another session changed it.
const CHANGE_POLL: Duration = Duration::from_secs(1);

/// Why the loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Quit,
    /// SIGTERM or SIGQUIT: restore the terminal and leave.
    Terminated,
    /// SIGHUP or the terminal vanished: there is no terminal to restore.
    HungUp,
}

/// Runs the app until the user quits or a signal arrives. Every confirmed
/// edit is already committed, so leaving at any point loses nothing saved.
pub fn run(app: &mut App) -> anyhow::Result<Exit> {
    let signals = Signals::install()?;
    install_panic_hook();
    let mut guard = TerminalGuard::enter()?;
    let input = Input::start()?;
    let exit = event_loop(app, &mut guard, &signals, &input);
    match exit {
        Ok(Exit::HungUp) => guard.abandon(),
        _ => guard.restore(),
    }
    exit
}

fn event_loop(app: &mut App, guard: &mut TerminalGuard, signals: &Signals, input: &Input) -> anyhow::Result<Exit> {
    let mut dirty = true;
    let mut last_poll = Instant::now();
    loop {
        if let Some(exit) = signals.pending() {
            return Ok(exit);
        }
        if app.quit {
            return Ok(Exit::Quit);
        }
        if dirty {
            if let Err(e) = guard.draw(|f| app.render(f)) {
                return if is_hangup(&e) { Ok(Exit::HungUp) } else { Err(e.into()) };
            }
            dirty = false;
        }
        // Every event already read, then the next frame: a paste or
        // held-down key is drawn once, not once per key.
        let mut next = input.next(TICK);
        loop {
            match next {
                Next::Event(Event::Key(k)) => dirty |= app.on_key(k),
                Next::Event(Event::Resize(..)) => {
                    guard.autoresize()?;
                    dirty = true;
                }
                Next::Event(_) | Next::Idle => {}
                Next::Gone => return Ok(Exit::HungUp),
            }
            if app.quit || app.has_editor_request() {
                break;
            }
            match input.ready() {
                Some(n) => next = n,
                None => break,
            }
        }
        if let Some(text) = app.take_editor_request() {
            input.pause();
            guard.suspend()?;
            let result = editor::edit(&text);
            guard.resume()?;
            input.resume();
            app.editor_finished(result);
            dirty = true;
        }
        dirty |= app.poll_jobs();
        if last_poll.elapsed() >= CHANGE_POLL {
            last_poll = Instant::now();
            dirty |= app.poll_changes();
        }
    }
}

fn is_hangup(e: &std::io::Error) -> bool {
    // EPIPE, EIO (a hung-up tty) and ENXIO (the device is gone).
    e.kind() == std::io::ErrorKind::BrokenPipe || matches!(e.raw_os_error(), Some(5 | 6))
}

/// Flushes stdout, ignoring a terminal that is gone.
pub fn flush_quietly() {
    let _ = std::io::stdout().flush();
}
