//! Keymaps and the config file: the built-in sets, user overrides, key
//! sequences, and errors that name the file, the line and the culprit.

use std::fs;
use std::path::PathBuf;

use proptest::prelude::*;
use rapport::app::Action;
use rapport::config::{Config, ConfigError, Lang};
use rapport::keymap::{Context, Key, Keymap, KeymapError, KeymapErrorKind, Lookup};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

fn key(s: &str) -> Key {
    Key::parse(s).unwrap()
}

fn keys(s: &str) -> Vec<Key> {
    Key::parse_seq(s).unwrap()
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let path = dir.path().join(name);
    fs::write(&path, text).unwrap();
    path
}

fn keymap_err(src: &str) -> KeymapError {
    Keymap::from_toml(src, "keymap.toml").expect_err("the keymap should be rejected")
}

// --- built-in sets -----------------------------------------------------------

#[test]
fn builtin_sets_bind_every_action_except_noop() {
    for name in ["default", "vim"] {
        let km = Keymap::builtin(name).unwrap_or_else(|e| panic!("{name}: {e}"));
        for action in Action::ALL.iter().filter(|a| **a != Action::Noop) {
            assert!(km.bindings().any(|b| b.action == *action), "{name} binds nothing to {action:?}");
        }
        assert!(km.bindings().all(|b| b.action != Action::Noop), "{name} binds noop");
    }
}

#[test]
fn builtin_bindings_all_have_both_descriptions() {
    for name in ["default", "vim"] {
        let km = Keymap::builtin(name).unwrap();
        for b in km.bindings() {
            let zh = b.desc_zh.as_deref().unwrap_or("");
            assert!(!b.desc.trim().is_empty(), "{name}: {} has no desc", b.keys_text());
            assert!(!zh.trim().is_empty(), "{name}: {} has no desc_zh", b.keys_text());
            assert!(!b.desc.contains('\n') && !zh.contains('\n'));
            assert_eq!(b.description(Lang::Zh), zh);
            assert_eq!(b.description(Lang::En), b.desc);
        }
    }
}

#[test]
fn every_pane_context_can_quit_move_open_and_get_help() {
    for name in ["default", "vim"] {
        let km = Keymap::builtin(name).unwrap();
        for ctx in [Context::Customers, Context::Card, Context::Pyramid, Context::Pipeline, Context::Care] {
            for action in [Action::Quit, Action::Help, Action::Up, Action::Down, Action::Open, Action::Back] {
                assert!(!km.keys_for(ctx, action).is_empty(), "{name}: no key for {action:?} in {ctx:?}");
            }
        }
        for action in [Action::Submit, Action::Cancel, Action::NextField, Action::PrevField] {
            assert!(!km.keys_for(Context::Form, action).is_empty(), "{name}: {action:?}");
        }
        for action in [Action::Open, Action::Back, Action::Down, Action::Up] {
            assert!(!km.keys_for(Context::SearchInput, action).is_empty(), "{name}: {action:?}");
        }
        for action in [Action::Back, Action::Down, Action::PageDown] {
            assert!(!km.keys_for(Context::Help, action).is_empty(), "{name}: {action:?}");
        }
    }
}

#[test]
fn default_set_does_what_the_product_says() {
    let km = Keymap::builtin("default").unwrap();
    let at = |ctx, k: &str| km.lookup(ctx, &keys(k));
    assert_eq!(at(Context::Customers, "q"), Lookup::Action(Action::Quit));
    assert_eq!(at(Context::Pyramid, "ctrl-c"), Lookup::Action(Action::Quit));
    assert_eq!(at(Context::Pipeline, "?"), Lookup::Action(Action::Help));
    assert_eq!(at(Context::Care, "2"), Lookup::Action(Action::PanePyramid));
    assert_eq!(at(Context::Card, "l"), Lookup::Action(Action::LogInteraction));
    assert_eq!(at(Context::Customers, "f5"), Lookup::Action(Action::Refresh));
    assert_eq!(at(Context::Customers, "backtab"), Lookup::Action(Action::PrevPane));
    // Help closes with q instead of quitting.
    assert_eq!(at(Context::Help, "q"), Lookup::Action(Action::Back));
    // In a form, letters are text and tab moves between fields.
    assert_eq!(at(Context::Form, "q"), Lookup::None);
    assert_eq!(at(Context::Form, "tab"), Lookup::Action(Action::NextField));
    assert_eq!(at(Context::Form, "ctrl-s"), Lookup::Action(Action::Submit));
    // While typing a search, letters are text but ctrl-c still quits.
    assert_eq!(at(Context::SearchInput, "l"), Lookup::None);
    assert_eq!(at(Context::SearchInput, "ctrl-c"), Lookup::Action(Action::Quit));
    assert_eq!(at(Context::SearchInput, "down"), Lookup::Action(Action::Down));
    assert_eq!(km.keys_for(Context::Customers, Action::Quit), vec!["q", "ctrl-c"]);
    assert_eq!(km.keys_for(Context::Help, Action::Back), vec!["esc", "?", "q"]);
}

#[test]
fn vim_set_uses_vim_keys() {
    let km = Keymap::builtin("vim").unwrap();
    let at = |k: &str| km.lookup(Context::Customers, &keys(k));
    assert_eq!(at("j"), Lookup::Action(Action::Down));
    assert_eq!(at("k"), Lookup::Action(Action::Up));
    assert_eq!(at("h"), Lookup::Action(Action::Left));
    assert_eq!(at("l"), Lookup::Action(Action::Right));
    assert_eq!(at("G"), Lookup::Action(Action::Last));
    assert_eq!(at("ctrl-d"), Lookup::Action(Action::PageDown));
    assert_eq!(at("ctrl-u"), Lookup::Action(Action::PageUp));
    assert_eq!(at("i"), Lookup::Action(Action::LogInteraction));
    assert_eq!(at("/"), Lookup::Action(Action::Search));
    assert_eq!(km.keys_for(Context::Pyramid, Action::First), vec!["g g", "home"]);
}

#[test]
fn sequence_lookup_gives_prefix_then_action() {
    let km = Keymap::builtin("vim").unwrap();
    let g = key("g");
    assert_eq!(km.lookup(Context::Customers, &[g]), Lookup::Prefix);
    assert_eq!(km.lookup(Context::Customers, &[g, g]), Lookup::Action(Action::First));
    assert_eq!(km.lookup(Context::Customers, &[g, key("x")]), Lookup::None);
    assert_eq!(km.lookup(Context::Help, &[g]), Lookup::Prefix);
    assert_eq!(km.lookup(Context::Help, &[g, g]), Lookup::Action(Action::First));
    // Typed text is never the start of a sequence.
    assert_eq!(km.lookup(Context::Form, &[g]), Lookup::None);
    assert_eq!(km.lookup(Context::SearchInput, &[g]), Lookup::None);
}

#[test]
fn terminal_events_match_file_keys() {
    let km = Keymap::builtin("vim").unwrap();
    // Some terminals report G with SHIFT, others without.
    for mods in [KeyModifiers::SHIFT, KeyModifiers::NONE] {
        let ev = KeyEvent::new(KeyCode::Char('G'), mods);
        assert_eq!(km.lookup(Context::Customers, &[Key::from_event(&ev)]), Lookup::Action(Action::Last));
    }
    let shift_tab = KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT);
    assert_eq!(km.lookup(Context::Form, &[Key::from_event(&shift_tab)]), Lookup::Action(Action::PrevField));
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert_eq!(km.lookup(Context::Care, &[Key::from_event(&ctrl_c)]), Lookup::Action(Action::Quit));
}

#[test]
fn help_lists_bindings_by_context_then_action_order() {
    let km = Keymap::builtin("default").unwrap();
    let help = km.bindings_for_help();
    assert_eq!(help.len(), km.bindings().count());
    let rank = |a: Action| Action::ALL.iter().position(|x| *x == a).unwrap();
    for pair in help.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        assert!((a.context, rank(a.action)) <= (b.context, rank(b.action)), "{a:?} listed before {b:?}");
    }
    assert_eq!(help[0].context, Context::Global);
    assert_eq!(help[0].action, Action::Quit);
}

// --- user overrides ------------------------------------------------------------

#[test]
fn user_file_replaces_one_key_and_keeps_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let user = write(
        &dir,
        "keymap.toml",
        r#"
[[global]]
on = "q"
action = "back"

[[customers]]
on = "x"
action = "log_interaction"
desc = "Log a call"
"#,
    );
    let km = Keymap::load("default", Some(&user)).unwrap();
    assert_eq!(km.lookup(Context::Customers, &keys("q")), Lookup::Action(Action::Back));
    assert_eq!(km.lookup(Context::Customers, &keys("ctrl-c")), Lookup::Action(Action::Quit));
    assert_eq!(km.lookup(Context::Customers, &keys("x")), Lookup::Action(Action::LogInteraction));
    assert_eq!(km.lookup(Context::Pyramid, &keys("x")), Lookup::None);
    assert_eq!(km.lookup(Context::Customers, &keys("?")), Lookup::Action(Action::Help));
    assert_eq!(km.keys_for(Context::Customers, Action::Quit), vec!["ctrl-c"]);
    // A replaced key without its own description borrows the action's.
    let q = km.bindings().find(|b| b.keys == keys("q") && b.context == Context::Global).unwrap();
    assert_eq!(q.desc, "Go back");
    // Same number of bindings plus the one new key.
    let base = Keymap::builtin("default").unwrap();
    assert_eq!(km.bindings().count(), base.bindings().count() + 1);
}

#[test]
fn noop_unbinds_a_key() {
    let dir = tempfile::tempdir().unwrap();
    let user = write(
        &dir,
        "keymap.toml",
        "[[global]]\non = \"q\"\naction = \"noop\"\n\n[[help]]\non = \"esc\"\naction = \"noop\"\n",
    );
    let km = Keymap::load("default", Some(&user)).unwrap();
    assert_eq!(km.lookup(Context::Customers, &keys("q")), Lookup::Action(Action::Noop));
    assert!(km.keys_for(Context::Customers, Action::Quit) == vec!["ctrl-c"]);
    assert!(km.bindings_for_help().iter().all(|b| b.keys != keys("q") || b.context == Context::Help));
    // The help screen's own esc is off, and the global esc does not leak in.
    assert_eq!(km.lookup(Context::Help, &keys("esc")), Lookup::Action(Action::Noop));
    assert_eq!(km.keys_for(Context::Help, Action::Back), vec!["?", "q"]);
}

#[test]
fn user_can_replace_a_sequence_by_unbinding_it() {
    let dir = tempfile::tempdir().unwrap();
    // "g" alone would clash with vim's "g g" ...
    let clash = write(&dir, "clash.toml", "[[global]]\non = \"g\"\naction = \"first\"\n");
    let err = Keymap::load("vim", Some(&clash)).unwrap_err();
    assert_eq!(err.line, Some(2));
    assert!(err.to_string().contains("clash.toml line 2"), "{err}");
    assert!(err.to_string().contains("\"g g\""), "{err}");
    assert!(err.to_string().contains("keymaps/vim.toml line"), "{err}");
    // ... unless "g g" is switched off.
    let ok = write(
        &dir,
        "ok.toml",
        "[[global]]\non = \"g\"\naction = \"first\"\n[[global]]\non = \"g g\"\naction = \"noop\"\n\
         [[help]]\non = \"g g\"\naction = \"noop\"\n",
    );
    let km = Keymap::load("vim", Some(&ok)).unwrap();
    assert_eq!(km.lookup(Context::Customers, &keys("g")), Lookup::Action(Action::First));
    assert_eq!(km.lookup(Context::Help, &keys("g")), Lookup::Action(Action::First));
}

#[test]
fn missing_user_file_and_keymap_file_by_path() {
    let dir = tempfile::tempdir().unwrap();
    let absent = dir.path().join("nope.toml");
    let km = Keymap::load("vim", Some(&absent)).unwrap();
    assert_eq!(km.lookup(Context::Customers, &keys("j")), Lookup::Action(Action::Down));

    let mine = write(&dir, "mine.toml", "[[global]]\non = \"x\"\naction = \"quit\"\n");
    let km = Keymap::load(mine.to_str().unwrap(), None).unwrap();
    assert_eq!(km.lookup(Context::Care, &keys("x")), Lookup::Action(Action::Quit));
    assert_eq!(km.lookup(Context::Care, &keys("q")), Lookup::None);

    let err = Keymap::load("emacs", None).unwrap_err();
    assert!(matches!(err.kind, KeymapErrorKind::UnknownKeymap));
    assert!(err.to_string().starts_with("emacs: unknown keymap"), "{err}");
}

#[test]
fn broken_user_file_names_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let user = write(&dir, "keymap.toml", "[[global]]\non = \"q\"\naction = \"quitt\"\n");
    let err = Keymap::load("default", Some(&user)).unwrap_err();
    assert_eq!(err.file, user.display().to_string());
    assert_eq!(err.to_string(), format!("{} line 3: unknown action \"quitt\" for key \"q\"", user.display()));
}

// --- keymap errors name file and line ----------------------------------------

#[test]
fn unknown_action_names_line_and_key() {
    let err = keymap_err(
        r#"# my keys
[[global]]
on = "?"
action = "help"

[[global]]
on = "q"
action = "quitt"
"#,
    );
    assert_eq!(err.line, Some(8));
    assert_eq!(err.to_string(), "keymap.toml line 8: unknown action \"quitt\" for key \"q\"");
}

#[test]
fn bad_key_names_line_and_key() {
    let err = keymap_err("[[global]]\naction = \"quit\"\non = \"ctlr-x\"\n");
    assert_eq!(err.line, Some(3));
    let text = err.to_string();
    assert!(text.starts_with("keymap.toml line 3: bad key \"ctlr-x\""), "{text}");
    assert!(matches!(err.kind, KeymapErrorKind::BadKey { ref key, .. } if key == "ctlr-x"));

    let err = keymap_err("[[help]]\non = \"g enterr\"\naction = \"first\"\n");
    assert_eq!(err.line, Some(2));
    assert!(err.to_string().contains("\"enterr\""), "{err}");
}

#[test]
fn unknown_section_names_line() {
    let err = keymap_err("[[global]]\non = \"q\"\naction = \"quit\"\n\n[[customer]]\non = \"x\"\naction = \"open\"\n");
    assert_eq!(err.line, Some(5));
    assert!(err.to_string().starts_with("keymap.toml line 5: unknown section [customer]"), "{err}");
}

#[test]
fn missing_action_and_unknown_field_name_line() {
    let err = keymap_err("[[global]]\non = \"q\"\n\n[[global]]\non = \"x\"\naction = \"open\"\n");
    assert_eq!(err.line, Some(2));
    assert_eq!(err.to_string(), "keymap.toml line 2: binding in [global] has no \"action\" for key \"q\"");

    let err = keymap_err("[[global]]\naction = \"quit\"\n");
    assert_eq!(err.line, Some(1));
    assert!(err.to_string().contains("has no \"on\""), "{err}");

    let err = keymap_err("[[global]]\non = \"q\"\naction = \"quit\"\ndescr = \"Quit\"\n");
    assert_eq!(err.line, Some(4));
    assert!(err.to_string().contains("unknown field \"descr\""), "{err}");

    let err = keymap_err("[[global]]\non = 5\naction = \"quit\"\n");
    assert_eq!(err.line, Some(2));
    assert!(err.to_string().contains("\"on\" must be a string"), "{err}");

    let err = keymap_err("[global]\non = \"q\"\naction = \"quit\"\n");
    assert_eq!(err.line, Some(1));
    assert!(err.to_string().contains("[[global]]"), "{err}");
}

#[test]
fn toml_syntax_error_names_line() {
    let err = keymap_err("[[global]]\non = \"q\"\naction = \"quit\"\n\n[[global]]\non = \"x\naction = \"open\"\n");
    assert!(matches!(err.kind, KeymapErrorKind::Syntax(_)));
    assert_eq!(err.line, Some(6));
    assert!(err.to_string().starts_with("keymap.toml line 6: "), "{err}");
}

#[test]
fn prefix_conflict_names_both_keys() {
    let err = keymap_err("[[global]]\non = \"g g\"\naction = \"first\"\n\n[[global]]\non = \"g\"\naction = \"last\"\n");
    assert_eq!(err.line, Some(6));
    let text = err.to_string();
    assert!(text.starts_with("keymap.toml line 6: key \"g\""), "{text}");
    assert!(text.contains("\"g g\" (line 2)"), "{text}");
    // Different contexts do not clash: the context's binding wins.
    let km = Keymap::from_toml(
        "[[global]]\non = \"g g\"\naction = \"first\"\n[[customers]]\non = \"g\"\naction = \"last\"\n",
        "k.toml",
    )
    .unwrap();
    assert_eq!(km.lookup(Context::Customers, &keys("g")), Lookup::Action(Action::Last));
    assert_eq!(km.lookup(Context::Pyramid, &keys("g")), Lookup::Prefix);
}

// --- config --------------------------------------------------------------------

#[test]
fn config_defaults_when_the_file_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config::load(Some(&dir.path().join("config.toml"))).unwrap();
    assert_eq!(config, Config::default());
    assert_eq!(Config::load(None).unwrap(), Config::default());
    assert_eq!(config.ui.keymap, "default");
    assert!(!config.ui.ascii);
    assert_eq!(config.pyramid.window_days, 365);
    assert_eq!(config.pyramid.top_share_pct, 50);
    assert_eq!(config.pyramid.growth_share_pct, 80);
    let stages: Vec<(&str, u8)> = config.pipeline.stages.iter().map(|s| (s.name.as_str(), s.probability_pct)).collect();
    assert_eq!(stages, [("Lead", 10), ("Qualified", 25), ("Proposal", 50), ("Negotiation", 75)]);
    assert_eq!(config.pipeline.stall_days, 14);
    assert_eq!(config.pipeline.lost_reasons.len(), 6);
    assert_eq!(config.care.follow_up_days, 7);
    assert!(config.care.rules_enabled);
    assert_eq!(config.lifecycle.lost_days, 365);
}

#[test]
fn config_typo_names_field_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "config.toml", "[ui]\nascii = true\nkeympa = \"vim\"\n");
    let err = Config::load(Some(&path)).unwrap_err();
    assert_eq!(err.line(), Some(3));
    let text = err.to_string();
    assert!(text.starts_with(&format!("{} line 3: ", path.display())), "{text}");
    assert!(text.contains("keympa"), "{text}");

    let err = Config::from_toml("[pyramd]\ntop_share_pct = 40\n", "config.toml").unwrap_err();
    assert_eq!(err.line(), Some(1));
    assert!(err.to_string().contains("pyramd"), "{err}");

    let err = Config::from_toml("[care]\n\nfollow_up_days = \"soon\"\n", "config.toml").unwrap_err();
    assert!(matches!(err, ConfigError::Parse { .. }));
    assert_eq!(err.line(), Some(3));
}

#[test]
fn invalid_shares_are_rejected() {
    let err = Config::from_toml("[pyramid]\ntop_share_pct = 90\n", "config.toml").unwrap_err();
    assert!(matches!(err, ConfigError::Invalid { .. }));
    assert_eq!(err.line(), Some(2));
    let text = err.to_string();
    assert!(text.starts_with("config.toml line 2: pyramid.top_share_pct"), "{text}");
    assert!(text.contains("growth_share_pct"), "{text}");

    let err = Config::from_toml("[pyramid]\n\ngrowth_share_pct = 101\n", "config.toml").unwrap_err();
    assert_eq!(err.line(), Some(3));
    assert!(err.to_string().contains("pyramid.growth_share_pct"), "{err}");

    let err = Config::from_toml("[pyramid]\ntop_share_pct = 0\n", "config.toml").unwrap_err();
    assert!(err.to_string().contains("pyramid.top_share_pct"), "{err}");

    let err = Config::from_toml("[pyramid]\nwindow_days = 0\n", "config.toml").unwrap_err();
    assert!(err.to_string().contains("pyramid.window_days"), "{err}");
}

#[test]
fn invalid_stages_are_rejected() {
    let err = Config::from_toml("[pipeline]\nstages = []\n", "config.toml").unwrap_err();
    assert!(err.to_string().contains("pipeline.stages"), "{err}");
    let src = "[[pipeline.stages]]\nname = \"Lead\"\nprobability_pct = 30\n\n\
               [[pipeline.stages]]\nname = \"Won?\"\nprobability_pct = 20\n";
    let err = Config::from_toml(src, "config.toml").unwrap_err();
    assert_eq!(err.line(), Some(7));
    assert!(err.to_string().contains("pipeline.stages[1].probability_pct"), "{err}");
}

#[test]
fn partial_config_keeps_defaults_for_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        &dir,
        "config.toml",
        "[ui]\nkeymap = \"vim\"\nlanguage = \"zh\"\n\n[pyramid]\ntop_share_pct = 40\n\n[care]\nrules_enabled = false\n",
    );
    let config = Config::load(Some(&path)).unwrap();
    let defaults = Config::default();
    assert_eq!(config.ui.keymap, "vim");
    assert_eq!(config.language(), Lang::Zh);
    assert_eq!(config.ui.ascii, defaults.ui.ascii);
    assert_eq!(config.ui.dialer, None);
    assert_eq!(config.pyramid.top_share_pct, 40);
    assert_eq!(config.pyramid.growth_share_pct, defaults.pyramid.growth_share_pct);
    assert_eq!(config.pyramid.window_days, defaults.pyramid.window_days);
    assert!(!config.care.rules_enabled);
    assert_eq!(config.care.no_contact_days, defaults.care.no_contact_days);
    assert_eq!(config.pipeline, defaults.pipeline);
    assert_eq!(config.lifecycle, defaults.lifecycle);
}

#[test]
fn unknown_language_is_rejected() {
    let err = Config::from_toml("[ui]\nlanguage = \"fr\"\n", "config.toml").unwrap_err();
    assert_eq!(err.line(), Some(2));
    assert!(err.to_string().contains("ui.language"), "{err}");
}

// --- never panic ---------------------------------------------------------------

proptest! {
    #[test]
    fn arbitrary_text_never_panics(src in any::<String>()) {
        let _ = Keymap::from_toml(&src, "fuzz.toml");
        let _ = Key::parse(&src);
        let _ = Key::parse_seq(&src);
        let _ = Config::from_toml(&src, "fuzz.toml");
    }

    #[test]
    fn keymap_like_text_never_panics(
        src in "(\\[\\[(global|help|form|card|x)\\]\\]\n|on = \"[a-z\\- ]{0,12}\"\n|action = \"[a-z_]{0,10}\"\n|desc = 1\n|\n){0,12}"
    ) {
        match Keymap::from_toml(&src, "fuzz.toml") {
            Ok(km) => {
                for b in km.bindings() {
                    let _ = km.lookup(b.context, &b.keys);
                }
            }
            Err(e) => {
                let lines = src.lines().count().max(1);
                prop_assert!(e.line.is_none_or(|l| l >= 1 && l <= lines + 1), "{}", e);
            }
        }
    }

    #[test]
    fn parsed_keys_display_and_parse_back(
        text in "((ctrl|alt|shift)-){0,2}([a-zA-Z0-9?/\\-]|enter|esc|tab|space|up|pagedown|f[1-9])"
    ) {
        if let Ok(k) = Key::parse(&text) {
            prop_assert_eq!(Key::parse(&k.to_string()), Ok(k));
        }
    }
}
