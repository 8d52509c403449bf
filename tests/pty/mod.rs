//! A small harness that runs the real `rapport` binary in a real
//! pseudo-terminal and reads what it draws through a vt100 emulator.
//!
//! A reader thread feeds every byte the program writes into a
//! [`vt100::Parser`] and keeps a copy of the raw bytes. Tests synchronise
//! only by polling that parsed screen ([`Pty::wait_for`]) or the process
//! ([`Pty::wait_exit`]), each with a generous deadline that fails with the
//! screen dump: never by sleeping and hoping.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, ExitStatus, MasterPty, PtySize, native_pty_system};

/// How long to wait for something that should happen: generous, because a
/// loaded CI machine is slow, and it only matters when a test fails.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// How often the screen or the process is polled while waiting.
const POLL: Duration = Duration::from_millis(20);

/// The rapport binary under test.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_rapport")
}

/// How to start the program.
pub struct Spawn<'a> {
    args: Vec<String>,
    cols: u16,
    rows: u16,
    config_dir: &'a Path,
    env: Vec<(String, String)>,
}

impl<'a> Spawn<'a> {
    /// `rapport ARGS` in an 80×24 terminal, with `config_dir` as its
    /// (normally empty) configuration directory.
    pub fn new(config_dir: &'a Path, args: &[&str]) -> Spawn<'a> {
        Spawn { args: args.iter().map(|s| s.to_string()).collect(), cols: 80, rows: 24, config_dir, env: Vec::new() }
    }

    pub fn size(mut self, cols: u16, rows: u16) -> Spawn<'a> {
        self.cols = cols;
        self.rows = rows;
        self
    }

    /// One more environment variable for the program (`EDITOR`, say).
    pub fn env(mut self, key: &str, value: &str) -> Spawn<'a> {
        self.env.push((key.to_string(), value.to_string()));
        self
    }

    pub fn start(self) -> Pty {
        Pty::start(self)
    }
}

/// A running (or finished) program in a pseudo-terminal.
pub struct Pty {
    parser: Arc<Mutex<vt100::Parser>>,
    raw: Arc<Mutex<Vec<u8>>>,
    eof: Arc<AtomicBool>,
    writer: Option<Box<dyn Write + Send>>,
    child: Box<dyn Child + Send + Sync>,
    reader: Option<JoinHandle<()>>,
    status: Option<ExitStatus>,
    // Kept open for the program's lifetime: closing it hangs the terminal
    // up (see [`Pty::hang_up`]).
    master: Option<Box<dyn MasterPty + Send>>,
    /// Tells the reading thread to stop (see [`Pty::hang_up`]).
    stop: Arc<AtomicBool>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking test must still be able to dump the screen.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Pty {
    fn start(spec: Spawn) -> Pty {
        let size = PtySize { rows: spec.rows, cols: spec.cols, pixel_width: 0, pixel_height: 0 };
        let pair = native_pty_system().openpty(size).expect("open a pseudo-terminal");
        let mut cmd = CommandBuilder::new(bin());
        cmd.args(&spec.args);
        // Nothing from the developer's environment (RAPPORT_DB, a config,
        // a Chinese locale, NO_COLOR...) may change what the program does.
        cmd.env_clear();
        cmd.env("TERM", "xterm-256color");
        cmd.env("TZ", "UTC");
        cmd.env("USER", "tester");
        cmd.env("LANG", "C.UTF-8");
        cmd.env("HOME", spec.config_dir);
        cmd.env("RAPPORT_CONFIG_DIR", spec.config_dir);
        if let Some(path) = std::env::var_os("PATH") {
            cmd.env("PATH", path);
        }
        for (k, v) in &spec.env {
            cmd.env(k, v);
        }
        cmd.cwd(spec.config_dir);
        let child = pair.slave.spawn_command(cmd).expect("spawn rapport in the pseudo-terminal");
        // Only the child holds the terminal's slave side now, so reading the
        // master ends (EOF or EIO) once the child is gone.
        drop(pair.slave);

        let rows = std::num::NonZeroU16::new(spec.rows).expect("rows > 0");
        let cols = std::num::NonZeroU16::new(spec.cols).expect("cols > 0");
        let parser = Arc::new(Mutex::new(vt100::Parser::new(rows, cols, 0)));
        let raw = Arc::new(Mutex::new(Vec::new()));
        let eof = Arc::new(AtomicBool::new(false));
        let mut reader = pair.master.try_clone_reader().expect("clone the pty reader");
        let fd = pair.master.as_raw_fd().expect("the pty's file descriptor");
        let writer = pair.master.take_writer().expect("take the pty writer");
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (parser, raw, eof, stop) = (Arc::clone(&parser), Arc::clone(&raw), Arc::clone(&eof), Arc::clone(&stop));
            std::thread::spawn(move || {
                let mut buf = [0u8; 8192];
                // Reads only when there is something to read, so that
                // [`Pty::hang_up`] can stop this thread: a read blocked in
                // the kernel would keep the terminal open.
                while !stop.load(Ordering::SeqCst) {
                    let mut p = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
                    // SAFETY: one valid pollfd, for the length given.
                    let n = unsafe { libc::poll(&mut p, 1, 20) };
                    if n == 0 || (n < 0 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted) {
                        continue;
                    }
                    match reader.read(&mut buf) {
                        Ok(0) => break,
                        Ok(n) => {
                            // Raw bytes first: a predicate on the screen may
                            // then rely on the bytes that drew it.
                            lock(&raw).extend_from_slice(&buf[..n]);
                            lock(&parser).process(&buf[..n]);
                        }
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        // EIO: the slave side is closed, the program is gone.
                        Err(_) => break,
                    }
                }
                eof.store(true, Ordering::SeqCst);
            })
        };
        Pty {
            parser,
            raw,
            eof,
            writer: Some(writer),
            child,
            reader: Some(thread),
            status: None,
            master: Some(pair.master),
            stop,
        }
    }

    /// Types bytes at the terminal, as a user (or a paste) would.
    pub fn send(&mut self, bytes: impl AsRef<[u8]>) {
        let writer = self.writer.as_mut().expect("the terminal was hung up");
        writer.write_all(bytes.as_ref()).expect("write to the pty");
        writer.flush().expect("flush the pty");
    }

    /// Closes the terminal's master side, as a dropped SSH connection or a
    /// closed terminal window does: the kernel hangs the terminal up and
    /// sends SIGHUP to the program, whose terminal then reads as ended.
    pub fn hang_up(&mut self) {
        // Every descriptor of the master side must be closed: the reading
        // thread's too.
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.reader.take() {
            t.join().expect("the reader thread panicked");
        }
        self.writer = None;
        self.master = None;
    }

    /// The visible text of the terminal, rows separated by newlines.
    pub fn screen(&self) -> String {
        lock(&self.parser).screen().contents()
    }

    /// Runs `f` on the parsed screen as it is now.
    pub fn with_screen<T>(&self, f: impl FnOnce(&vt100::Screen) -> T) -> T {
        f(lock(&self.parser).screen())
    }

    /// Everything the program wrote to the terminal so far, byte for byte.
    pub fn raw(&self) -> Vec<u8> {
        lock(&self.raw).clone()
    }

    /// The raw output as (lossy) text.
    pub fn raw_text(&self) -> String {
        String::from_utf8_lossy(&self.raw()).into_owned()
    }

    /// The process id of the program.
    pub fn pid(&self) -> u32 {
        self.child.process_id().expect("the child has a process id")
    }

    /// What a failing wait prints: the screen and the state of the program.
    pub fn dump(&self) -> String {
        let (alt, hidden, contents) = self.with_screen(|s| (s.alternate_screen(), s.hide_cursor(), s.contents()));
        let raw = self.raw();
        let tail = &raw[raw.len().saturating_sub(600)..];
        format!(
            "---- screen (alternate: {alt}, cursor hidden: {hidden}, exit: {:?}) ----\n{contents}\n\
             ---- last raw bytes ----\n{:?}\n--------",
            self.status,
            String::from_utf8_lossy(tail)
        )
    }

    /// Polls the parsed screen until `pred` holds; fails with the screen
    /// dump after `timeout`. `what` says what was awaited.
    pub fn wait_for_within(&mut self, what: &str, timeout: Duration, pred: impl Fn(&vt100::Screen) -> bool) {
        let deadline = Instant::now() + timeout;
        loop {
            if self.with_screen(&pred) {
                return;
            }
            if self.status.is_none()
                && let Ok(Some(s)) = self.child.try_wait()
            {
                self.status = Some(s);
            }
            // Once the program is gone and its output drained, the screen
            // cannot change any more: fail now rather than at the deadline.
            let finished = self.status.is_some() && self.eof.load(Ordering::SeqCst);
            if finished && self.with_screen(&pred) {
                return;
            }
            if finished || Instant::now() >= deadline {
                panic!("timed out after {timeout:?} waiting for {what}\n{}", self.dump());
            }
            std::thread::sleep(POLL);
        }
    }

    /// [`Pty::wait_for_within`] with the default deadline.
    pub fn wait_for(&mut self, what: &str, pred: impl Fn(&vt100::Screen) -> bool) {
        self.wait_for_within(what, TIMEOUT, pred)
    }

    /// Waits until the app, still on the alternate screen, shows all of `texts`.
    pub fn wait_for_text(&mut self, texts: &[&str]) {
        let what = format!("the alternate screen to show {texts:?}");
        self.wait_for(&what, |s| s.alternate_screen() && texts.iter().all(|t| s.contents().contains(t)))
    }

    /// Waits for the program to exit and its output to be read to the end;
    /// fails with the screen dump after `timeout`.
    pub fn wait_exit_within(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        while self.status.is_none() {
            match self.child.try_wait() {
                Ok(Some(s)) => self.status = Some(s),
                Ok(None) if Instant::now() >= deadline => {
                    panic!("the program did not exit within {timeout:?}\n{}", self.dump())
                }
                Ok(None) => std::thread::sleep(POLL),
                Err(e) => panic!("waiting for the program: {e}"),
            }
        }
        // The program is gone; what it wrote last may still be in flight.
        let drain = Instant::now() + TIMEOUT;
        while !self.eof.load(Ordering::SeqCst) {
            if Instant::now() >= drain {
                panic!("the terminal output did not end after the program exited\n{}", self.dump());
            }
            std::thread::sleep(POLL);
        }
        if let Some(t) = self.reader.take() {
            t.join().expect("the reader thread panicked");
        }
        self.status.clone().expect("exit status")
    }

    /// [`Pty::wait_exit_within`] with the default deadline.
    pub fn wait_exit(&mut self) -> ExitStatus {
        self.wait_exit_within(TIMEOUT)
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        // A test that failed half-way must not leave the program running.
        if self.status.is_none() && matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Sends `signal` ("HUP", "TERM", ...) to a process with the system's `kill`.
pub fn signal(pid: u32, signal: &str) {
    let status =
        std::process::Command::new("kill").args([format!("-{signal}"), pid.to_string()]).status().expect("run kill");
    assert!(status.success(), "kill -{signal} {pid} failed: {status}");
}
