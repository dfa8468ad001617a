//! The lesson played as a learner plays it with the `n` key: each
//! narration step in turn, each question as it is asked and then answered
//! (the right choice, so the explanation shows), and the summary at the
//! end. Every stop is a [`Shot`]: the frame, how long it stays on screen,
//! and, at a narration step, its marker.

use ratatui::buffer::Buffer;

use super::super::app::{Overlay, Player};
use super::super::keymap::Action;
use super::frame;

/// One frame of a recording.
pub struct Shot {
    /// How long it stays on screen, in milliseconds.
    pub dwell_ms: u64,
    /// At a narration step: `step 3/9: <its opening phrase>`.
    pub marker: Option<String>,
    pub buffer: Buffer,
}

/// Time enough to read `words` words (about four a second), at least 2.5 s
/// and at most 15 s a frame. From the text alone, so a recording's times
/// are the same on every run.
fn dwell(words: usize) -> u64 {
    (1_500 + words as u64 * 250).clamp(2_500, 15_000)
}

fn words(text: &str) -> usize {
    text.split_whitespace().count()
}

/// Plays the lesson from its first event to its summary.
pub fn play(player: &mut Player, width: u16, height: u16) -> Vec<Shot> {
    let mut shots = vec![Shot {
        dwell_ms: 3_000,
        marker: None,
        buffer: frame(player, width, height),
    }];
    let (_, steps) = player.step();
    // Each press moves to the next note or question (or to the end);
    // a bound on the presses, in case a stop ever failed to move.
    let presses = player.len() + 4 * player.run.declarations().questions.len() + 2;
    for _ in 0..presses {
        let (before_step, _) = player.step();
        let before_cursor = player.cursor;
        let _ = player.update(Action::NextNote);
        let (step, _) = player.step();
        // A press can land on a step and ask its question at once: the
        // marker goes with the first frame of the step either way.
        let mut marker = match step {
            Some(k) if step != before_step => Some(format!(
                "step {}/{steps}: {}",
                k + 1,
                note_headline(player, k)
            )),
            _ => None,
        };
        if let Overlay::Question {
            index,
            answered: None,
        } = player.overlay
        {
            let q = player.run.declarations().questions[index].clone();
            let asked = words(&q.ask) + q.choices.iter().map(|c| words(c)).sum::<usize>();
            shots.push(Shot {
                dwell_ms: dwell(asked),
                marker: marker.take(),
                buffer: frame(player, width, height),
            });
            let _ = player.update(Action::Answer(q.answer));
            shots.push(Shot {
                dwell_ms: dwell(words(&q.explain)),
                marker: None,
                buffer: frame(player, width, height),
            });
            // Any key closes an answered question.
            let _ = player.update(Action::Enter);
            continue;
        }
        if marker.is_none() && player.cursor == before_cursor && player.overlay == Overlay::None {
            break;
        }
        let text = step.map(|k| note_text(player, k)).unwrap_or_default();
        shots.push(Shot {
            dwell_ms: dwell(words(&text)),
            marker,
            buffer: frame(player, width, height),
        });
        if player.overlay == Overlay::Summary {
            break;
        }
    }
    shots
}

/// The text of narration step `k` (0-based).
pub fn note_text(player: &Player, k: usize) -> String {
    let Some(&seq) = player.index.notes.get(k) else {
        return String::new();
    };
    match player.trace().events.get(seq as usize).map(|e| e.kind) {
        Some(crate::trace::Kind::Note { text }) => player.trace().text(text).to_string(),
        _ => String::new(),
    }
}

/// A marker's label: the note's opening phrase, at most 60 characters.
fn note_headline(player: &Player, k: usize) -> String {
    let headline = crate::lesson::headline(&note_text(player, k));
    if headline.chars().count() <= 60 {
        return headline;
    }
    let cut: String = headline.chars().take(59).collect();
    format!("{}…", cut.trim_end())
}

/// The player at narration step `step` (1-based), as a learner resuming
/// there sees it: the questions before it count as asked, no panel open.
pub fn at_step(player: &mut Player, step: usize) {
    player.resume_at_step(step);
    player.overlay = Overlay::None;
}
