//! SIGTERM, SIGQUIT and SIGHUP become flags the event loop checks on every
//! tick, so the app leaves promptly through its normal path.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use signal_hook::consts::{SIGHUP, SIGQUIT, SIGTERM};

use super::Exit;

pub struct Signals {
    last: Arc<AtomicUsize>,
}

impl Signals {
    pub fn install() -> std::io::Result<Signals> {
        let last = Arc::new(AtomicUsize::new(0));
        for sig in [SIGTERM, SIGQUIT, SIGHUP] {
            signal_hook::flag::register_usize(sig, Arc::clone(&last), sig as usize)?;
        }
        Ok(Signals { last })
    }

    /// The exit a received signal asks for, if any.
    pub fn pending(&self) -> Option<Exit> {
        match self.last.load(Ordering::SeqCst) as i32 {
            0 => None,
            SIGHUP => Some(Exit::HungUp),
            _ => Some(Exit::Terminated),
        }
    }
}
