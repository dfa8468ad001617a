//! asciicast v2 (the format of `asciinema rec`): a JSON header line, then
//! one JSON array per event, `[time, "o", text]` for output and
//! `[time, "m", label]` for a marker (asciinema's player lists markers and
//! pauses or seeks to them).

use super::ansi;
use super::play::Shot;

/// The recording: the header (`version` 2, the size, the title, the
/// terminal it was drawn for), the screen cleared and the cursor hidden,
/// then each shot at the time the ones before it add up to, a marker at
/// the same time as its frame; the cursor shown again at the end.
pub fn write(shots: &[Shot], width: u16, height: u16, title: &str) -> String {
    let mut out = format!(
        "{{\"version\": 2, \"width\": {width}, \"height\": {height}, \"title\": {}, \"env\": {{\"TERM\": \"xterm-256color\"}}}}\n",
        json(title)
    );
    // Times start just after 0 and every output event comes later than
    // the one before it.
    let mut at_ms = 100u64;
    for (i, shot) in shots.iter().enumerate() {
        if let Some(marker) = &shot.marker {
            out.push_str(&event(at_ms, "m", marker));
        }
        // The first frame hides the cursor and clears the screen.
        let start = if i == 0 { "\x1b[?25l\x1b[2J" } else { "" };
        out.push_str(&event(
            at_ms,
            "o",
            &format!("{start}{}", ansi::redraw(&shot.buffer)),
        ));
        at_ms += shot.dwell_ms.max(1);
    }
    out.push_str(&event(at_ms, "o", "\x1b[0m\x1b[?25h"));
    out
}

fn event(at_ms: u64, code: &str, data: &str) -> String {
    format!(
        "[{}.{:03}, \"{code}\", {}]\n",
        at_ms / 1000,
        at_ms % 1000,
        json(data)
    )
}

fn json(text: &str) -> String {
    // A String always serializes.
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".into())
}
