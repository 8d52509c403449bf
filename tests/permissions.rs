//! Who may read a new base: its owner only by default; the owner and a
//! group with `--shared-group`; an unknown group is refused with nothing
//! created.

use std::os::unix::fs::{MetadataExt, PermissionsExt};

use assert_cmd::Command;

fn rapport(dir: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rapport"));
    c.env_clear().env("RAPPORT_CONFIG_DIR", dir).env("HOME", dir).env("TZ", "UTC").env("USER", "tester");
    c
}

fn mode(p: &std::path::Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn a_new_base_is_readable_by_its_owner_only_whatever_the_umask() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("private.db");
    // `demo` creates the base (and its -wal while it writes).
    rapport(dir.path()).args(["demo", "--customers", "20", "--db"]).arg(&db).assert().success();
    assert_eq!(mode(&db), 0o600, "the base file");
    // A second process opening it changes nothing.
    rapport(dir.path()).args(["check", "--db"]).arg(&db).assert().success();
    assert_eq!(mode(&db), 0o600);
    for side in ["private.db-wal", "private.db-shm"] {
        let p = dir.path().join(side);
        if p.exists() {
            assert_eq!(mode(&p) & 0o077, 0, "{side} is readable by others");
        }
    }
}

#[test]
fn shared_group_makes_the_base_group_writable() {
    let dir = tempfile::tempdir().unwrap();
    // A group this user is in: the temp dir's own group.
    let gid = std::fs::metadata(dir.path()).unwrap().gid();
    let groups = std::fs::read_to_string("/etc/group").unwrap();
    let name = groups
        .lines()
        .find_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f.len() > 2 && f[2] == gid.to_string()).then(|| f[0].to_string())
        })
        .unwrap_or_else(|| gid.to_string());
    let db = dir.path().join("team.db");
    rapport(dir.path())
        .args(["demo", "--customers", "20", "--shared-group", &name, "--db"])
        .arg(&db)
        .assert()
        .success();
    assert_eq!(mode(&db), 0o660);
    assert_eq!(std::fs::metadata(&db).unwrap().gid(), gid);

    let nope = dir.path().join("nope.db");
    let out = rapport(dir.path())
        .args(["demo", "--customers", "20", "--shared-group", "no-such-group-xyz", "--db"])
        .arg(&nope)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no group \"no-such-group-xyz\""), "{err}");
    assert!(!nope.exists(), "nothing created");
}
