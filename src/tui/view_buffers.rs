//! The buffers view: pool slabs as blocks, each cell coloured by the live
//! views (Buffers) that cover it, with used bytes against retained bytes.
//! A pure function of (trace, cursor) through [`BufferFold`].

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::theme::Theme;
use crate::trace::fold_buffers::{BufferIndex, StoreFold};

/// Rows the view wants: borders, a row per slab (at most 6), a summary.
pub fn wanted_height(slabs: u16) -> u16 {
    slabs.clamp(1, 6) + 3
}

fn bytes(n: u64) -> String {
    if n >= 10 * 1024 * 1024 {
        format!("{:.1} MiB", n as f64 / 1048576.0)
    } else if n >= 10 * 1024 {
        format!("{:.1} KiB", n as f64 / 1024.0)
    } else {
        format!("{n} B")
    }
}

pub fn draw_buffers(
    frame: &mut Frame,
    area: Rect,
    index: &BufferIndex,
    cursor: usize,
    theme: &Theme,
) {
    // The index answers in O(stores) at any cursor (a trace of a million
    // allocations included); [`BufferFold`] is the plain fold it is tested
    // against.
    let f = index.at(cursor);
    let retained = f.retained;
    let used = f.used;
    let live_stores = f.stores.iter().filter(|s| !s.freed && !s.detached).count();
    let block = Block::bordered().title(Span::styled(
        format!(
            " buffers: used {} of {} retained · ArrayBuffers {live_stores} · gc {} ",
            bytes(used),
            bytes(retained),
            f.gcs
        ),
        theme.title(),
    ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height == 0 || inner.width < 20 {
        return;
    }
    let slabs: Vec<&StoreFold> = f
        .stores
        .iter()
        .filter(|s| s.pool && !s.freed && !s.detached)
        .collect();
    let rows = (inner.height as usize).saturating_sub(1).max(1);
    let shown = &slabs[slabs.len().saturating_sub(rows)..];
    let palette = [
        theme.timer(),
        theme.immediate(),
        theme.io(),
        theme.tick(),
        theme.microtask(),
    ];
    let label_w = 6usize;
    let suffix_w = 25usize;
    let width = (inner.width as usize)
        .saturating_sub(label_w + suffix_w)
        .max(4);
    let mut lines = Vec::new();
    for store in shown.iter().copied() {
        let sid = store.id;
        let views = index.views_of(sid, cursor);
        let size = (store.bytes as u64).max(1);
        let mut owner: Vec<Option<u32>> = vec![None; width];
        let mut carved = vec![false; width];
        let cell_of = |b: u64| ((b * width as u64) / size).min(width as u64 - 1) as usize;
        for &(vid, v) in &views {
            if v.len == 0 {
                continue;
            }
            let (a, b) = (
                cell_of(v.offset as u64),
                cell_of((v.offset + v.len - 1) as u64),
            );
            for c in a..=b {
                carved[c] = true;
                if !v.dead {
                    owner[c] = Some(vid);
                }
            }
        }
        let mut spans = vec![Span::styled(format!("ab{sid:<4}"), theme.dim())];
        for c in 0..width {
            let (ch, style) = match owner[c] {
                Some(vid) => {
                    let style = if f.last_view == Some(vid) {
                        theme.running()
                    } else {
                        palette[vid as usize % palette.len()]
                    };
                    ('█', style)
                }
                None if carved[c] => ('░', theme.dim()),
                None => ('·', Style::default()),
            };
            spans.push(Span::styled(ch.to_string(), style));
        }
        let used = index.used_bytes(sid, cursor);
        let live = store.live_views;
        let current = if f.current_slab == Some(sid) {
            "*"
        } else {
            " "
        };
        spans.push(Span::styled(
            format!(
                "{current}{:>6}/{:<6} {live:>2} views",
                bytes_short(used),
                bytes_short(store.bytes as u64)
            ),
            theme.dim(),
        ));
        lines.push(Line::from(spans));
    }
    let hidden = slabs.len() - shown.len();
    let freed_slabs = f.stores.iter().filter(|s| s.pool && s.freed).count();
    let own: Vec<_> = f
        .stores
        .iter()
        .filter(|s| !s.pool && !s.freed && !s.detached)
        .collect();
    let own_bytes: u64 = own.iter().map(|s| s.bytes as u64).sum();
    let mut summary = format!(
        "unpooled {} ({}) · slabs freed {freed_slabs}",
        own.len(),
        bytes(own_bytes)
    );
    if hidden > 0 {
        summary.push_str(&format!(" · {hidden} older not shown"));
    }
    summary.push_str(" · █ live ░ garbage · free * current");
    lines.push(Line::from(Span::styled(summary, theme.dim())));
    frame.render_widget(Paragraph::new(lines), inner);
}

/// A byte count in at most 6 characters.
fn bytes_short(n: u64) -> String {
    if n < 100_000 {
        n.to_string()
    } else {
        format!("{}K", n / 1024)
    }
}
