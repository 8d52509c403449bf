//! Who may read and write a new base file: its owner only, or a group (a
//! team sharing one base on a server). The file is made before SQLite opens
//! it, with its mode set explicitly (whatever the umask); SQLite gives its
//! -wal and -shm files the same mode. And how a base this user may only
//! read, in a directory they may not write, is opened after all.

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

use super::{RepoError, Result};

/// Access to a new base file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Read and write for the owner only (0600).
    Private,
    /// Read and write for the owner and this group (0660, group set).
    Group(u32),
}

/// The id of group `name` (from /etc/group); an error naming it when there
/// is no such group.
pub fn group_id(name: &str) -> Result<u32> {
    let groups = std::fs::read_to_string("/etc/group")
        .map_err(|e| RepoError::Invalid(format!("cannot read /etc/group to find group \"{name}\": {e}")))?;
    groups
        .lines()
        .filter_map(|l| {
            let mut f = l.split(':');
            let n = f.next()?;
            let gid = f.nth(1)?.parse::<u32>().ok()?;
            (n == name).then_some(gid)
        })
        .next()
        .or_else(|| name.parse().ok())
        .ok_or_else(|| RepoError::Invalid(format!("there is no group \"{name}\" (see /etc/group)")))
}

/// Creates the empty base file at `path` with `access`, unless a file is
/// there already (then nothing changes).
pub fn create_base_file(path: &Path, access: Access) -> Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let shown = path.display().to_string();
    let fail = |e: std::io::Error| RepoError::Open { path: shown.clone(), detail: e.to_string() };
    let mode = match access {
        Access::Private => 0o600,
        Access::Group(_) => 0o660,
    };
    match std::fs::OpenOptions::new().write(true).create_new(true).mode(mode).open(path) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(()),
        Err(e) => return Err(fail(e)),
    }
    if let Access::Group(gid) = access {
        std::os::unix::fs::chown(path, None, Some(gid)).map_err(|e| {
            let _ = std::fs::remove_file(path);
            RepoError::Open {
                path: shown.clone(),
                detail: format!("cannot give the file to group {gid} (are you a member?): {e}"),
            }
        })?;
    }
    // The umask may have taken bits away: set the mode itself.
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(fail)
}

/// Whether SQLite failed to read a read-only base because it could not
/// open or make the files readers share (not a lock, not a damaged file).
pub(super) fn cannot_share(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _)
        if matches!(f.code, rusqlite::ErrorCode::ReadOnly | rusqlite::ErrorCode::CannotOpen))
}

/// The log (`-wal`) or rollback journal (`-journal`) beside the base when
/// it is not empty: committed changes not yet in the file, or a write in
/// progress.
pub(super) fn pending_beside(path: &Path) -> Option<&'static str> {
    [("-wal", "log (-wal file)"), ("-journal", "journal (-journal file)")].into_iter().find_map(|(suffix, what)| {
        let mut side = path.as_os_str().to_owned();
        side.push(suffix);
        std::fs::metadata(&side).ok().filter(|m| m.len() > 0).map(|_| what)
    })
}

/// Opens `path` read-only as an immutable file (`immutable=1`: no locks,
/// no shared memory, no log), for a base this user may only read in a
/// directory they may not write.
pub(super) fn open_immutable(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open_with_flags(
        format!("file:{}?immutable=1", uri_path(path)),
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    Ok(conn)
}

/// A file path as the path of a `file:` URI: every byte but letters,
/// digits, `/` and `-._~` percent-encoded (a `?`, `#` or `%` in a file
/// name would otherwise end or change the path).
fn uri_path(path: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    // An absolute path after an empty authority (`file:///tmp/x`): after
    // `file:` alone, a path starting `//` would be read as a host name.
    let mut out = String::from(if path.is_absolute() { "//" } else { "" });
    for &b in path.as_os_str().as_bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_with_uri_characters_opens_as_an_immutable_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a b?c#d%e ü.db");
        {
            let conn = rusqlite::Connection::open(&path).unwrap();
            conn.execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE t (x); INSERT INTO t VALUES (42);").unwrap();
        }
        assert!(uri_path(&path).ends_with("/a%20b%3Fc%23d%25e%20%C3%BC.db"), "{}", uri_path(&path));
        assert!(uri_path(&path).starts_with("///"), "{}", uri_path(&path));
        assert_eq!(uri_path(Path::new("//tmp/x.db")), "////tmp/x.db");
        assert_eq!(uri_path(Path::new("rel/x.db")), "rel/x.db");
        let conn = open_immutable(&path).unwrap();
        let x: i64 = conn.query_row("SELECT x FROM t", [], |r| r.get(0)).unwrap();
        assert_eq!(x, 42);
        assert!(conn.execute("INSERT INTO t VALUES (1)", []).is_err());
    }
}
