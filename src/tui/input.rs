//! Terminal input, read on a thread of its own.
//!
//! Once the terminal is gone (a dropped SSH connection, a closed window),
//! crossterm's reader spins forever inside `event::poll`, reading
//! end-of-file without returning, whatever the timeout
//! (crossterm-rs/crossterm#793). Were the event loop blocked in it, it
//! would never see the SIGHUP flag: no draft kept, a core burnt until
//! someone kills the process. So the loop only ever waits on a channel,
//! with a timeout, and this thread does the reading.

use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use crossterm::event::{self, Event};

/// How long one wait for input lasts before the thread looks at whether
/// it should pause (bounds how long [`Input::pause`] waits).
const SLICE: Duration = Duration::from_millis(50);

/// Events read ahead of the loop (a paste arrives as many at once).
const QUEUE: usize = 1_024;

/// What the loop gets from [`Input::next`].
pub enum Next {
    Event(Event),
    /// Nothing within the wait.
    Idle,
    /// The terminal cannot be read any more.
    Gone,
}

#[derive(Default)]
struct Gate {
    /// The loop asks the reader to stop reading (an editor owns the terminal).
    paused: bool,
    /// The reader is parked: not inside crossterm.
    parked: bool,
}

pub struct Input {
    events: Receiver<std::io::Result<Event>>,
    gate: Arc<(Mutex<Gate>, Condvar)>,
}

fn lock(m: &Mutex<Gate>) -> MutexGuard<'_, Gate> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Input {
    /// Starts the reading thread.
    pub fn start() -> std::io::Result<Input> {
        let (tx, events) = std::sync::mpsc::sync_channel(QUEUE);
        let gate = Arc::new((Mutex::new(Gate::default()), Condvar::new()));
        let theirs = Arc::clone(&gate);
        std::thread::Builder::new().name("rapport-input".into()).spawn(move || read(&tx, &theirs))?;
        Ok(Input { events, gate })
    }

    /// The next event, waiting at most `wait`.
    pub fn next(&self, wait: Duration) -> Next {
        match self.events.recv_timeout(wait) {
            Ok(Ok(e)) => Next::Event(e),
            Ok(Err(_)) | Err(RecvTimeoutError::Disconnected) => Next::Gone,
            Err(RecvTimeoutError::Timeout) => Next::Idle,
        }
    }

    /// An event already read, if any (no wait).
    pub fn ready(&self) -> Option<Next> {
        match self.events.try_recv() {
            Ok(Ok(e)) => Some(Next::Event(e)),
            Ok(Err(_)) => Some(Next::Gone),
            Err(_) => None,
        }
    }

    /// Stops reading until [`Input::resume`], and returns once the reader
    /// is out of crossterm (so that a program given the terminal, such as
    /// `$EDITOR`, gets every key).
    pub fn pause(&self) {
        let (m, cv) = &*self.gate;
        let mut g = lock(m);
        g.paused = true;
        while !g.parked {
            g = cv.wait(g).unwrap_or_else(|e| e.into_inner());
        }
    }

    pub fn resume(&self) {
        let (m, cv) = &*self.gate;
        lock(m).paused = false;
        cv.notify_all();
    }
}

/// The reading thread: forwards every event until the loop is gone or the
/// terminal fails.
fn read(tx: &SyncSender<std::io::Result<Event>>, gate: &(Mutex<Gate>, Condvar)) {
    let (m, cv) = gate;
    loop {
        {
            let mut g = lock(m);
            while g.paused {
                g.parked = true;
                cv.notify_all();
                g = cv.wait(g).unwrap_or_else(|e| e.into_inner());
            }
            g.parked = false;
        }
        let got = match event::poll(SLICE) {
            Ok(true) => event::read().map(Some),
            Ok(false) => Ok(None),
            Err(e) => Err(e),
        };
        let failed = got.is_err();
        // Waits for room when the loop is busy; fails once it has gone.
        if let Some(item) = got.transpose()
            && tx.send(item).is_err()
        {
            return;
        }
        if failed {
            return;
        }
    }
}
