//! Who may read and write a new base file: its owner only, or a group (a
//! team sharing one base on a server). The file is made before SQLite opens
//! it, with its mode set explicitly (whatever the umask); SQLite gives its
//! -wal and -shm files the same mode.

use std::path::Path;

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
