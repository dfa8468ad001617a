//! Recordings of the player: an asciicast v2 file of a lesson played step
//! by step (`workbench export NAME --format asciicast`) and one frame as an
//! SVG (`--format svg`, for slides and the book). Frames are the real
//! player's: [`super::view::draw_player`] drawn on ratatui's TestBackend,
//! as tests/tui.rs draws them, then written out cell by cell. Nothing here
//! reads a clock: a lesson runs under the virtual clock and every frame's
//! time is computed from the text on it, so the same lesson gives the same
//! bytes on every run and every machine.

pub mod ansi;
pub mod asciicast;
pub mod play;
pub mod svg;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;

use super::app::Player;
use super::theme::Theme;
use super::view::{MIN_HEIGHT, MIN_WIDTH, draw_player};

/// The largest frame an export draws (a 4K screen of 8x16 cells is about
/// 480x135): a typo such as `--width 10000` is refused rather than
/// drawing a frame of tens of megabytes.
pub const MAX_WIDTH: u16 = 500;
pub const MAX_HEIGHT: u16 = 200;

/// Default size of an exported frame: larger than the player's minimum
/// (80x24), so the panels beside the loop have room, and small enough to
/// read on a slide or a book page.
pub const DEFAULT_WIDTH: u16 = 120;
pub const DEFAULT_HEIGHT: u16 = 36;

/// Checks a frame size given on the command line: the player needs
/// 80x24 (below that it draws only "Enlarge the terminal").
pub fn check_size(width: u16, height: u16) -> Result<(), String> {
    if width < MIN_WIDTH || height < MIN_HEIGHT {
        return Err(format!(
            "error: --width {width} --height {height}: the player needs at least {MIN_WIDTH}x{MIN_HEIGHT}"
        ));
    }
    if width > MAX_WIDTH || height > MAX_HEIGHT {
        return Err(format!(
            "error: --width {width} --height {height}: at most {MAX_WIDTH}x{MAX_HEIGHT}"
        ));
    }
    Ok(())
}

/// The player's frame as it is now, at `width` x `height`.
pub fn frame(player: &Player, width: u16, height: u16) -> Buffer {
    // Colour always: the theme's colours are what an export is for
    // (NO_COLOR is about the terminal workbench runs in, not a file).
    let theme = Theme { color: true };
    // TestBackend never fails (its error type is Infallible).
    let mut terminal = match Terminal::new(TestBackend::new(width, height)) {
        Ok(t) => t,
        Err(never) => match never {},
    };
    if let Err(never) = terminal.draw(|f| draw_player(f, player, &theme)) {
        match never {}
    }
    terminal.backend().buffer().clone()
}
