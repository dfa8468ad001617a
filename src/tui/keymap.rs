//! One table of key bindings drives dispatch, the footer and the help
//! overlay, so they cannot drift apart.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What a key asks the player to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Quit,
    TogglePlay,
    StepForward,
    StepBack,
    NextNote,
    PrevNote,
    NextCallback,
    PrevCallback,
    Home,
    End,
    Faster,
    Slower,
    ToggleJs,
    ToggleHelp,
    ToggleKnobs,
    SwitchRace,
    ToggleClock,
    Up,
    Down,
    Left,
    Right,
    Enter,
    /// Esc: closes a panel; in the player, asks before leaving.
    Escape,
    /// `y`: yes, in a confirmation.
    Confirm,
    /// Scroll the console back / forward.
    ScrollBack,
    ScrollForward,
    Answer(usize),
}

pub struct Binding {
    pub keys: &'static str,
    pub action: Action,
    pub description: &'static str,
    /// Shown in the footer (short form).
    pub footer: Option<&'static str>,
}

pub const BINDINGS: &[Binding] = &[
    Binding {
        keys: "space",
        action: Action::TogglePlay,
        description: "play / pause",
        footer: Some("space play"),
    },
    Binding {
        keys: "→ l",
        action: Action::StepForward,
        description: "step one event forward",
        footer: Some("←→ step"),
    },
    Binding {
        keys: "← h",
        action: Action::StepBack,
        description: "step one event back",
        footer: None,
    },
    Binding {
        keys: "n",
        action: Action::NextNote,
        description: "next narration step",
        footer: Some("n/N note"),
    },
    Binding {
        keys: "N p",
        action: Action::PrevNote,
        description: "previous narration step",
        footer: None,
    },
    Binding {
        keys: "c",
        action: Action::NextCallback,
        description: "next callback",
        footer: Some("c/C callback"),
    },
    Binding {
        keys: "C",
        action: Action::PrevCallback,
        description: "previous callback",
        footer: None,
    },
    Binding {
        keys: "home g",
        action: Action::Home,
        description: "first event",
        footer: None,
    },
    Binding {
        keys: "end G",
        action: Action::End,
        description: "last event",
        footer: None,
    },
    Binding {
        keys: "+",
        action: Action::Faster,
        description: "play faster",
        footer: None,
    },
    Binding {
        keys: "-",
        action: Action::Slower,
        description: "play slower",
        footer: None,
    },
    Binding {
        keys: "j",
        action: Action::ToggleJs,
        description: "script: Rhai / JavaScript",
        footer: Some("j js"),
    },
    Binding {
        keys: "k",
        action: Action::ToggleKnobs,
        description: "knobs: change the lesson's parameters (re-runs at once)",
        footer: Some("k knobs"),
    },
    Binding {
        keys: "r",
        action: Action::SwitchRace,
        description: "switch the outcome of a race real Node leaves to timing",
        footer: None,
    },
    Binding {
        keys: "t",
        action: Action::ToggleClock,
        description: "clock: virtual / real (re-runs on real threads, real time)",
        footer: None,
    },
    Binding {
        keys: "[ ] pgup",
        action: Action::ScrollBack,
        description: "scroll the console back / forward (pgup, pgdn)",
        footer: None,
    },
    Binding {
        keys: "1-9",
        action: Action::Answer(0),
        description: "answer a question",
        footer: None,
    },
    Binding {
        keys: "?",
        action: Action::ToggleHelp,
        description: "this help",
        footer: Some("? help"),
    },
    Binding {
        keys: "q",
        action: Action::Quit,
        description: "leave the lesson (your place is saved), or close the open panel",
        footer: Some("q quit"),
    },
    Binding {
        keys: "esc",
        action: Action::Escape,
        description: "close the open panel; in the player, asks before leaving",
        footer: None,
    },
];

/// Maps a key press to an action (Press events only; the caller filters).
pub fn action_for(key: KeyEvent) -> Option<Action> {
    if key.modifiers.contains(KeyModifiers::CONTROL) && matches!(key.code, KeyCode::Char('c')) {
        return Some(Action::Quit);
    }
    Some(match key.code {
        KeyCode::Char(' ') => Action::TogglePlay,
        KeyCode::Right | KeyCode::Char('l') => Action::StepForward,
        KeyCode::Left | KeyCode::Char('h') => Action::StepBack,
        KeyCode::Char('n') => Action::NextNote,
        KeyCode::Char('N') | KeyCode::Char('p') => Action::PrevNote,
        KeyCode::Char('c') => Action::NextCallback,
        KeyCode::Char('C') => Action::PrevCallback,
        KeyCode::Home | KeyCode::Char('g') => Action::Home,
        KeyCode::End | KeyCode::Char('G') => Action::End,
        KeyCode::Char('+') | KeyCode::Char('=') => Action::Faster,
        KeyCode::Char('-') => Action::Slower,
        KeyCode::Char('j') => Action::ToggleJs,
        KeyCode::Char('k') => Action::ToggleKnobs,
        KeyCode::Char('r') => Action::SwitchRace,
        KeyCode::Char('t') => Action::ToggleClock,
        KeyCode::Char('?') => Action::ToggleHelp,
        KeyCode::Char('q') => Action::Quit,
        KeyCode::Esc => Action::Escape,
        KeyCode::Char('y') => Action::Confirm,
        KeyCode::Char('[') | KeyCode::PageUp => Action::ScrollBack,
        KeyCode::Char(']') | KeyCode::PageDown => Action::ScrollForward,
        KeyCode::Up => Action::Up,
        KeyCode::Down => Action::Down,
        KeyCode::Enter => Action::Enter,
        KeyCode::Char(d @ '1'..='9') => Action::Answer(d as usize - '1' as usize),
        _ => return None,
    })
}

/// The footer line: the short hints, in table order.
pub fn footer_hints() -> String {
    BINDINGS
        .iter()
        .filter_map(|b| b.footer)
        .collect::<Vec<_>>()
        .join("  ")
}
