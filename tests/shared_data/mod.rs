//! The real data sets beside the project (../shared/data, or
//! RAPPORT_SHARED_DATA). Where they are absent, tests say so and skip.

use std::path::PathBuf;

/// The data folder, if it holds `set` (e.g. "cdnow", "chinook").
pub fn dir(set: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("RAPPORT_SHARED_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data"));
    if dir.join(set).is_dir() {
        Some(dir)
    } else {
        eprintln!("SKIPPED: no {set} data at {} (set RAPPORT_SHARED_DATA)", dir.join(set).display());
        None
    }
}
