//! Where rapport keeps its files: the configuration directory (config.toml,
//! keymap.toml) and the default database, following each platform's
//! conventions through the `directories` crate.

use std::path::PathBuf;

/// Environment variable that overrides the configuration directory.
pub const CONFIG_DIR_ENV: &str = "RAPPORT_CONFIG_DIR";

/// File name of the configuration file inside the configuration directory.
pub const CONFIG_FILE_NAME: &str = "config.toml";

/// File name of the user's key overrides inside the configuration directory.
pub const KEYMAP_FILE_NAME: &str = "keymap.toml";

/// File name of the default database inside the data directory.
pub const DB_FILE_NAME: &str = "rapport.db";

/// The platform's directories for rapport, or `None` when no home directory
/// can be found.
pub fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "rapport")
}

/// The configuration directory: `$RAPPORT_CONFIG_DIR` when set (and not
/// empty), else the platform's configuration directory for rapport.
pub fn config_dir() -> Option<PathBuf> {
    match std::env::var_os(CONFIG_DIR_ENV) {
        Some(dir) if !dir.is_empty() => Some(PathBuf::from(dir)),
        _ => project_dirs().map(|d| d.config_dir().to_path_buf()),
    }
}

/// Where the database lives when neither `--db` nor `RAPPORT_DB` says otherwise.
pub fn default_db_path() -> Option<PathBuf> {
    project_dirs().map(|d| d.data_dir().join(DB_FILE_NAME))
}

/// The configuration file: `<config dir>/config.toml`.
pub fn config_file() -> Option<PathBuf> {
    config_dir().map(|d| d.join(CONFIG_FILE_NAME))
}

/// The user's key overrides: `<config dir>/keymap.toml`.
pub fn user_keymap_file() -> Option<PathBuf> {
    config_dir().map(|d| d.join(KEYMAP_FILE_NAME))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_live_in_their_directories() {
        if let (Some(dir), Some(cfg), Some(keys)) = (config_dir(), config_file(), user_keymap_file()) {
            assert_eq!(cfg, dir.join("config.toml"));
            assert_eq!(keys, dir.join("keymap.toml"));
        }
        if let Some(db) = default_db_path() {
            assert_eq!(db.file_name().unwrap(), "rapport.db");
        }
    }
}
