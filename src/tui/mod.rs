//! The terminal side: setup and teardown, the panic hook, signals, and the
//! event loop that draws only when something changed.

mod editor;
pub mod lean_backend;
mod signals;
mod terminal;

use std::io::Write;
use std::time::{Duration, Instant};

use crossterm::event::{self, Event};

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
    let exit = event_loop(app, &mut guard, &signals);
    match exit {
        Ok(Exit::HungUp) => guard.abandon(),
        _ => guard.restore(),
    }
    exit
}

fn event_loop(app: &mut App, guard: &mut TerminalGuard, signals: &Signals) -> anyhow::Result<Exit> {
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
        match event::poll(TICK) {
            Ok(true) => match event::read() {
                Ok(Event::Key(k)) => dirty |= app.on_key(k),
                Ok(Event::Resize(..)) => {
                    guard.autoresize()?;
                    dirty = true;
                }
                Ok(_) => {}
                Err(_) => return Ok(Exit::HungUp),
            },
            Ok(false) => {}
            Err(_) => return Ok(Exit::HungUp),
        }
        if let Some(text) = app.take_editor_request() {
            guard.suspend()?;
            let result = editor::edit(&text);
            guard.resume()?;
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
