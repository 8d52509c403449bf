//! Writing a long text in the user's editor: `$VISUAL`, else `$EDITOR`,
//! else `vi`, on a private temporary file. The TUI leaves the terminal to
//! the editor while it runs and takes it back afterwards.

use std::io::Write;
use std::path::PathBuf;
use std::process::Command;

/// The editor command, split into program and arguments (`"code -w"`).
fn editor_command() -> Vec<String> {
    let chosen = ["VISUAL", "EDITOR"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "vi".into());
    chosen.split_whitespace().map(str::to_string).collect()
}

/// A temporary file only the user can read, holding `text`.
fn scratch_file(text: &str) -> std::io::Result<PathBuf> {
    let path = std::env::temp_dir().join(format!(
        "rapport-note-{}-{}.txt",
        std::process::id(),
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos())
    ));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut f = options.open(&path)?;
    f.write_all(text.as_bytes())?;
    Ok(path)
}

/// Runs the editor on `text` and returns what the file holds when it exits
/// successfully; an error message (naming the editor) otherwise. The
/// caller has handed the terminal over.
pub fn edit(text: &str) -> Result<String, String> {
    let cmd = editor_command();
    let (program, args) = cmd.split_first().ok_or("no editor configured: set $EDITOR")?;
    let path = scratch_file(text).map_err(|e| format!("cannot write a temporary file for the editor: {e}"))?;
    let status = Command::new(program).args(args).arg(&path).status();
    let result = match status {
        Ok(s) if s.success() => std::fs::read_to_string(&path).map_err(|e| format!("cannot read the edited text: {e}")),
        Ok(s) => Err(format!("the editor \"{program}\" exited with {s}; the text is unchanged")),
        Err(e) => Err(format!("cannot start the editor \"{program}\": {e} (set $VISUAL or $EDITOR)")),
    };
    let _ = std::fs::remove_file(&path);
    result
}
