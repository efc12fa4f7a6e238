//! What each key does.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::model::Sort;

/// What a key asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Action {
    /// Sort the table by this column.
    Sort(Sort),
    /// Show every method, or only those called, in turn.
    ToggleAll,
    /// Leave.
    Quit,
}

/// The action of `key`, if it has one. Only presses count: terminals that report releases
/// too would otherwise toggle "all" twice.
pub(super) fn action(key: &KeyEvent) -> Option<Action> {
    if key.kind != KeyEventKind::Press {
        return None;
    }
    // Raw mode turns Ctrl-C into a key instead of SIGINT, so it is one more way out.
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        return (key.code == KeyCode::Char('c')).then_some(Action::Quit);
    }
    match key.code {
        KeyCode::Char(c) => match c.to_ascii_lowercase() {
            'r' => Some(Action::Sort(Sort::Rate)),
            'e' => Some(Action::Sort(Sort::Errors)),
            'l' => Some(Action::Sort(Sort::Latency)),
            'a' => Some(Action::ToggleAll),
            'q' => Some(Action::Quit),
            _ => None,
        },
        KeyCode::Esc => Some(Action::Quit),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crossterm::event::KeyEventState;

    use super::*;

    fn press(code: KeyCode, modifiers: KeyModifiers) -> Option<Action> {
        action(&KeyEvent::new(code, modifiers))
    }

    #[test]
    fn letters_sort_toggle_and_quit() {
        let plain = |c| press(KeyCode::Char(c), KeyModifiers::NONE);
        assert_eq!(plain('r'), Some(Action::Sort(Sort::Rate)));
        assert_eq!(plain('e'), Some(Action::Sort(Sort::Errors)));
        assert_eq!(plain('l'), Some(Action::Sort(Sort::Latency)));
        assert_eq!(plain('a'), Some(Action::ToggleAll));
        assert_eq!(plain('q'), Some(Action::Quit));
        assert_eq!(
            press(KeyCode::Char('E'), KeyModifiers::SHIFT),
            Some(Action::Sort(Sort::Errors))
        );
        assert_eq!(plain('x'), None);
    }

    #[test]
    fn escape_and_ctrl_c_quit_but_other_chords_do_nothing() {
        assert_eq!(press(KeyCode::Esc, KeyModifiers::NONE), Some(Action::Quit));
        let ctrl = |c| press(KeyCode::Char(c), KeyModifiers::CONTROL);
        assert_eq!(ctrl('c'), Some(Action::Quit));
        assert_eq!(ctrl('r'), None);
        assert_eq!(press(KeyCode::Enter, KeyModifiers::NONE), None);
    }

    #[test]
    fn releases_are_ignored() {
        let release = KeyEvent {
            kind: KeyEventKind::Release,
            state: KeyEventState::NONE,
            ..KeyEvent::new(KeyCode::Char('a'), KeyModifiers::NONE)
        };
        assert_eq!(action(&release), None);
    }
}
