//! Text from outside (event fields, Salesforce's messages, contract values) on its way to a
//! terminal. A crafted event could otherwise carry escape sequences that clear the screen, move
//! the cursor over a preflight warning or retitle the terminal. Every control character is shown
//! escaped instead: C0 and C1 controls and DEL as `\x1b`-style escapes, and the Unicode
//! direction overrides (which reorder what a line appears to say) as `\u{202e}`. `--json` output
//! needs none of this: JSON escapes control characters itself.

use std::borrow::Cow;

/// Whether `c` changes how a terminal shows what follows (or hides text) rather than printing.
pub fn is_unsafe(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

/// `text` with every unsafe character escaped, line breaks and tabs kept (for whole renderings,
/// whose lines are the app's own).
pub fn lines(text: &str) -> Cow<'_, str> {
    escape(text, |c| c == '\n' || c == '\t')
}

/// `text` with every unsafe character escaped, line breaks included (for one value in a cell or
/// after a label, where a line break would forge a line of its own).
pub fn value(text: &str) -> Cow<'_, str> {
    escape(text, |_| false)
}

fn escape(text: &str, keep: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !text.chars().any(|c| is_unsafe(c) && !keep(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !is_unsafe(c) || keep(c) {
            out.push(c);
        } else if c == '\n' {
            out.push_str("\\n");
        } else if c == '\r' {
            out.push_str("\\r");
        } else if (c as u32) < 0x100 {
            out.push_str(&format!("\\x{:02x}", c as u32));
        } else {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_a_terminal_would_obey_and_keeps_the_rest() {
        assert_eq!(lines("plain text, ünïcödé ✓"), "plain text, ünïcödé ✓");
        assert_eq!(lines("a\u{1b}[2Jb\nc\td"), "a\\x1b[2Jb\nc\td");
        assert_eq!(value("a\u{1b}[2K\u{1b}[1Ab\nc"), "a\\x1b[2K\\x1b[1Ab\\nc");
        assert_eq!(value("x\ry\u{7f}\u{9b}z"), "x\\ry\\x7f\\x9bz");
        assert_eq!(value("invoice \u{202e}fdp.exe"), "invoice \\u{202e}fdp.exe");
        assert!(matches!(lines("nothing to do"), Cow::Borrowed(_)));
    }
}
