//! `lib/internal/streams/readable.js`: push (readableAddChunkPush*),
//! addChunk, read, howMuchToRead, fromList, emitReadable(_), maybeReadMore(_),
//! flow, resume(_), pause, on('data'/'readable'), endReadable(NT).

use super::{
    CLOSE_EMITTED, ChunkKind, Cx, DESTROYED, ERROR_EMITTED, ERRORED, OBJECT_MODE, Op, R, StreamErr,
    StreamId, destroy,
};
use crate::runtime::{HostTypes, Invoke};
use crate::trace::StreamClass;

pub(crate) const ENDED: u32 = 1 << 9;
pub(crate) const END_EMITTED: u32 = 1 << 10;
pub(crate) const READING: u32 = 1 << 11;
pub(crate) const SYNC: u32 = 1 << 12;
pub(crate) const NEED_READABLE: u32 = 1 << 13;
pub(crate) const EMITTED_READABLE: u32 = 1 << 14;
pub(crate) const READABLE_LISTENING: u32 = 1 << 15;
pub(crate) const RESUME_SCHEDULED: u32 = 1 << 16;
pub(crate) const READING_MORE: u32 = 1 << 18;
pub(crate) const DATA_EMITTED: u32 = 1 << 19;
pub(crate) const HAS_FLOWING: u32 = 1 << 23;
pub(crate) const FLOWING: u32 = 1 << 24;
pub(crate) const HAS_PAUSED: u32 = 1 << 25;
pub(crate) const PAUSED: u32 = 1 << 26;
pub(crate) const DATA_LISTENING: u32 = 1 << 27;

fn set<H: HostTypes, I: Invoke<H>>(cx: &Cx<H, I>, id: StreamId, on: u32, off: u32) {
    cx.with_r(id, |r| {
        r.flags |= on;
        r.flags &= !off;
    });
}

/// `Readable.prototype.push(chunk)`.
pub fn push<H: HostTypes, I: Invoke<H>>(
    cx: &mut Cx<H, I>,
    id: StreamId,
    chunk: H::Value,
) -> R<H, bool> {
    let flags = cx.rflags(id);
    let kind = H::chunk_kind(&chunk);
    if kind == ChunkKind::Null {
        set(cx, id, 0, READING);
        on_eof_chunk(cx, id)?;
        return Ok(false);
    }
    let mut chunk = chunk;
    if flags & OBJECT_MODE == 0 {
        match kind {
            ChunkKind::Str => chunk = H::to_buffer(&mut cx.rt.borrow_mut(), &chunk),
            ChunkKind::Bytes => {}
            ChunkKind::Undefined => {}
            _ => {
                let e = cx.err(StreamErr::InvalidChunk, Some(&chunk));
                destroy::error_or_destroy(cx, id, e, false)?;
                return Ok(false);
            }
        }
        if kind == ChunkKind::Undefined || H::byte_len(&chunk) == 0 {
            set(cx, id, 0, READING);
            maybe_read_more(cx, id);
            return Ok(can_push_more(cx, id));
        }
    }
    if flags & ENDED != 0 {
        let e = cx.err(StreamErr::PushAfterEof, None);
        destroy::error_or_destroy(cx, id, e, false)?;
        return Ok(false);
    }
    if flags & (DESTROYED | ERRORED) != 0 {
        return Ok(false);
    }
    set(cx, id, 0, READING);
    add_chunk(cx, id, chunk)?;
    Ok(can_push_more(cx, id))
}

fn can_push_more<H: HostTypes, I: Invoke<H>>(cx: &Cx<H, I>, id: StreamId) -> bool {
    cx.with_r(id, |r| {
        r.flags & ENDED == 0 && (r.length < r.hwm || r.length == 0)
    })
    .unwrap_or(false)
}

fn add_chunk<H: HostTypes, I: Invoke<H>>(
    cx: &mut Cx<H, I>,
    id: StreamId,
    chunk: H::Value,
) -> R<H, ()> {
    let direct = cx
        .with_r(id, |r| {
            if r.flags & (FLOWING | SYNC | DATA_LISTENING) == FLOWING | DATA_LISTENING
                && r.length == 0
            {
                r.await_drain.clear();
                r.flags |= DATA_EMITTED;
                true
            } else {
                r.length += super::chunk_len::<H>(r.flags & OBJECT_MODE != 0, &chunk);
                r.buffer.push_back(chunk.clone());
                false
            }
        })
        .unwrap_or(false);
    if direct {
        cx.emit(id, "data", vec![chunk])?;
    } else {
        cx.level(id);
        if cx.rflags(id) & NEED_READABLE != 0 {
            emit_readable(cx, id);
        }
    }
    maybe_read_more(cx, id);
    Ok(())
}

fn how_much_to_read<H: HostTypes>(r: &super::ReadState<H>, n: Option<usize>) -> usize {
    if n == Some(0) || (r.length == 0 && r.flags & ENDED != 0) {
        return 0;
    }
    if r.flags & OBJECT_MODE != 0 {
        return 1;
    }
    match n {
        None => {
            if r.flags & FLOWING != 0 && r.length > 0 {
                r.buffer.front().map_or(0, |c| H::byte_len(c))
            } else {
                r.length
            }
        }
        Some(n) if n <= r.length => n,
        Some(_) => {
            if r.flags & ENDED != 0 {
                r.length
            } else {
                0
            }
        }
    }
}

/// `Readable.prototype.read(n)`; `None` is `read()` (n = NaN).
pub fn read<H: HostTypes, I: Invoke<H>>(
    cx: &mut Cx<H, I>,
    id: StreamId,
    n_orig: Option<usize>,
) -> R<H, Option<H::Value>> {
    if !cx.has_r(id) {
        return Ok(None);
    }
    // Growing the highWaterMark for a large read(n).
    if let Some(n) = n_orig {
        cx.with_r(id, |r| {
            if n > r.hwm {
                r.hwm = n.min(1 << 30).next_power_of_two();
            }
        });
    }
    if n_orig != Some(0) {
        set(cx, id, 0, EMITTED_READABLE);
    }
    if n_orig == Some(0) {
        let quick = cx
            .with_r(id, |r| {
                let full = if r.hwm != 0 {
                    r.length >= r.hwm
                } else {
                    r.length > 0
                };
                if r.flags & NEED_READABLE != 0 && (full || r.flags & ENDED != 0) {
                    Some(r.length == 0 && r.flags & ENDED != 0)
                } else {
                    None
                }
            })
            .flatten();
        if let Some(ended) = quick {
            if ended {
                end_readable(cx, id);
            } else {
                emit_readable(cx, id);
            }
            return Ok(None);
        }
    }
    let mut n = cx.with_r(id, |r| how_much_to_read(r, n_orig)).unwrap_or(0);
    let (ended, length) = cx
        .with_r(id, |r| (r.flags & ENDED != 0, r.length))
        .unwrap_or((true, 0));
    if n == 0 && ended {
        if length == 0 {
            end_readable(cx, id);
        }
        return Ok(None);
    }
    let do_read = cx
        .with_r(id, |r| {
            let mut d = r.flags & NEED_READABLE != 0;
            if r.length == 0 || r.length.saturating_sub(n) < r.hwm {
                d = true;
            }
            if r.flags & (READING | ENDED | DESTROYED | ERRORED) != 0 {
                d = false;
            }
            d
        })
        .unwrap_or(false);
    if do_read {
        let hwm = cx
            .with_r(id, |r| {
                r.flags |= READING | SYNC;
                if r.length == 0 {
                    r.flags |= NEED_READABLE;
                }
                r.hwm
            })
            .unwrap_or(0);
        if let Err(e) = call_read(cx, id, hwm) {
            match e {
                crate::runtime::Abrupt::Throw(v) => destroy::error_or_destroy(cx, id, v, false)?,
                stop => return Err(stop),
            }
        }
        set(cx, id, 0, SYNC);
        if cx.rflags(id) & READING == 0 {
            n = cx.with_r(id, |r| how_much_to_read(r, n_orig)).unwrap_or(0);
        }
    }
    let ret = if n > 0 { from_list(cx, id, n) } else { None };
    let n = if ret.is_some() { n } else { 0 };
    let end_now = cx
        .with_r(id, |r| {
            if ret.is_none() {
                if r.length <= r.hwm {
                    r.flags |= NEED_READABLE;
                }
            } else {
                r.length -= n.min(r.length);
                r.await_drain.clear();
            }
            let mut end_now = false;
            if r.length == 0 {
                if r.flags & ENDED == 0 {
                    r.flags |= NEED_READABLE;
                }
                if n_orig != Some(n) && r.flags & ENDED != 0 {
                    end_now = true;
                }
            }
            end_now
        })
        .unwrap_or(false);
    cx.level(id);
    if end_now {
        end_readable(cx, id);
    }
    if let Some(v) = &ret
        && cx.rflags(id) & (ERROR_EMITTED | CLOSE_EMITTED) == 0
    {
        set(cx, id, DATA_EMITTED, 0);
        cx.emit(id, "data", vec![v.clone()])?;
    }
    Ok(ret)
}

/// `stream._read(highWaterMark)`, with `this` bound to the stream.
fn call_read<H: HostTypes, I: Invoke<H>>(cx: &mut Cx<H, I>, id: StreamId, hwm: usize) -> R<H, ()> {
    let (class, f, incoming) = cx.with_s(id, |s| (s.class, s.read_fn.clone(), s.incoming));
    if incoming {
        return Ok(());
    }
    if class == StreamClass::Transform && f.is_none() {
        return super::writable::transform_read(cx, id);
    }
    match f {
        Some(f) => cx
            .call_method(&f, id, vec![H::number(hwm as f64)])
            .map(|_| ()),
        None => Err(crate::runtime::Abrupt::Throw(
            cx.err(StreamErr::NotImplemented("_read()"), None),
        )),
    }
}

/// `fromList(n, state)`: takes n bytes (or one object) off the buffer.
/// Buffers are allocated by the runtime, so the parts are taken out of
/// the stream's buffer first and joined or sliced afterwards.
fn from_list<H: HostTypes, I: Invoke<H>>(
    cx: &mut Cx<H, I>,
    id: StreamId,
    n: usize,
) -> Option<H::Value> {
    let mut rt = cx.rt.borrow_mut();
    let rt = &mut *rt;
    let r = rt.streams.list[id.0 as usize].r.as_mut()?;
    if r.length == 0 {
        return None;
    }
    if r.flags & OBJECT_MODE != 0 {
        return r.buffer.pop_front();
    }
    let first_len = r.buffer.front().map_or(0, |c| H::byte_len(c));
    if n >= r.length {
        // Everything: one chunk as it is, several concatenated.
        if r.buffer.len() == 1 {
            return r.buffer.pop_front();
        }
        let parts: Vec<H::Value> = r.buffer.drain(..).collect();
        return Some(H::concat(rt, parts));
    }
    if n == first_len {
        return r.buffer.pop_front();
    }
    if n < first_len {
        let first = r.buffer.pop_front()?;
        let ret = H::slice(rt, &first, 0, n);
        let rest = H::slice(rt, &first, n, first_len);
        rt.streams.list[id.0 as usize]
            .r
            .as_mut()?
            .buffer
            .push_front(rest);
        return Some(ret);
    }
    let mut whole = Vec::new();
    let mut left = n;
    let mut split = None;
    while left > 0 {
        let Some(c) = r.buffer.pop_front() else { break };
        let len = H::byte_len(&c);
        if len <= left {
            left -= len;
            whole.push(c);
        } else {
            split = Some((c, left, len));
            left = 0;
        }
    }
    if let Some((c, at, len)) = split {
        whole.push(H::slice(rt, &c, 0, at));
        let rest = H::slice(rt, &c, at, len);
        rt.streams.list[id.0 as usize]
            .r
            .as_mut()?
            .buffer
            .push_front(rest);
    }
    Some(H::concat(rt, whole))
}

fn on_eof_chunk<H: HostTypes, I: Invoke<H>>(cx: &mut Cx<H, I>, id: StreamId) -> R<H, ()> {
    let flags = cx.rflags(id);
    if flags & ENDED != 0 {
        return Ok(());
    }
    set(cx, id, ENDED, 0);
    if flags & SYNC != 0 {
        emit_readable(cx, id);
        Ok(())
    } else {
        set(cx, id, EMITTED_READABLE, NEED_READABLE);
        emit_readable_(cx, id)
    }
}

fn emit_readable<H: HostTypes, I: Invoke<H>>(cx: &mut Cx<H, I>, id: StreamId) {
    let schedule = cx
        .with_r(id, |r| {
            r.flags &= !NEED_READABLE;
            if r.flags & EMITTED_READABLE == 0 {
                r.flags |= EMITTED_READABLE;
                true
            } else {
                false
            }
        })
        .unwrap_or(false);
    if schedule {
        cx.tick(Op::EmitReadable(id));
    }
}

pub fn emit_readable_<H: HostTypes, I: Invoke<H>>(cx: &mut Cx<H, I>, id: StreamId) -> R<H, ()> {
    let go = cx
        .with_r(id, |r| {
            r.flags & (DESTROYED | ERRORED) == 0 && (r.length > 0 || r.flags & ENDED != 0)
        })
        .unwrap_or(false);
    if go {
        cx.emit(id, "readable", Vec::new())?;
        set(cx, id, 0, EMITTED_READABLE);
    }
    cx.with_r(id, |r| {
        if r.flags & (FLOWING | ENDED) == 0 && r.length <= r.hwm {
            r.flags |= NEED_READABLE;
        }
    });
    flow(cx, id)
}

fn maybe_read_more<H: HostTypes, I: Invoke<H>>(cx: &mut Cx<H, I>, id: StreamId) {
    let go = cx
        .with_r(id, |r| {
            if r.flags & READING_MORE == 0 {
                r.flags |= READING_MORE;
                true
            } else {
                false
            }
        })
        .unwrap_or(false);
    if go {
        cx.tick(Op::MaybeReadMore(id));
    }
}

pub fn maybe_read_more_<H: HostTypes, I: Invoke<H>>(cx: &mut Cx<H, I>, id: StreamId) -> R<H, ()> {
    loop {
        let len = cx
            .with_r(id, |r| {
                (r.flags & (READING | ENDED) == 0
                    && (r.length < r.hwm || (r.flags & FLOWING != 0 && r.length == 0)))
                    .then_some(r.length)
            })
            .flatten();
        let Some(len) = len else { break };
        read(cx, id, Some(0))?;
        if cx.with_r(id, |r| r.length).unwrap_or(len) == len {
            break;
        }
    }
    set(cx, id, 0, READING_MORE);
    Ok(())
}

/// Readable's `on` override, after the listener was added.
pub fn on_listener<H: HostTypes, I: Invoke<H>>(
    cx: &mut Cx<H, I>,
    id: StreamId,
    event: &str,
) -> R<H, ()> {
    match event {
        "data" => {
            let readable_listeners = cx.listener_count(id, "readable") > 0;
            set(
                cx,
                id,
                DATA_LISTENING
                    | if readable_listeners {
                        READABLE_LISTENING
                    } else {
                        0
                    },
                0,
            );
            if cx.rflags(id) & (HAS_FLOWING | FLOWING) != HAS_FLOWING {
                resume(cx, id);
            }
        }
        "readable" => {
            let flags = cx.rflags(id);
            if flags & (END_EMITTED | READABLE_LISTENING) == 0 {
                set(
                    cx,
                    id,
                    READABLE_LISTENING | NEED_READABLE | HAS_FLOWING,
                    FLOWING | EMITTED_READABLE,
                );
                let (len, reading) = cx
                    .with_r(id, |r| (r.length, r.flags & READING != 0))
                    .unwrap_or((0, true));
                if len > 0 {
                    emit_readable(cx, id);
                } else if !reading {
                    cx.tick(Op::NReading(id));
                }
            }
        }
        _ => {}
    }
    Ok(())
}

pub fn data_listener_removed<H: HostTypes, I: Invoke<H>>(cx: &mut Cx<H, I>, id: StreamId) {
    if cx.listener_count(id, "data") == 0 {
        set(cx, id, 0, DATA_LISTENING);
    }
}

/// `Readable.prototype.resume()`.
pub fn resume<H: HostTypes, I: Invoke<H>>(cx: &mut Cx<H, I>, id: StreamId) {
    let schedule = cx
        .with_r(id, |r| {
            let mut schedule = false;
            if r.flags & FLOWING == 0 {
                r.flags |= HAS_FLOWING;
                if r.flags & READABLE_LISTENING == 0 {
                    r.flags |= FLOWING;
                } else {
                    r.flags &= !FLOWING;
                }
                if r.flags & RESUME_SCHEDULED == 0 {
                    r.flags |= RESUME_SCHEDULED;
                    schedule = true;
                }
            }
            r.flags |= HAS_PAUSED;
            r.flags &= !PAUSED;
            schedule
        })
        .unwrap_or(false);
    if schedule {
        cx.tick(Op::Resume(id));
    }
}

pub fn resume_<H: HostTypes, I: Invoke<H>>(cx: &mut Cx<H, I>, id: StreamId) -> R<H, ()> {
    if cx.rflags(id) & READING == 0 {
        read(cx, id, Some(0))?;
    }
    set(cx, id, 0, RESUME_SCHEDULED);
    cx.emit(id, "resume", Vec::new())?;
    flow(cx, id)?;
    if cx.rflags(id) & (FLOWING | READING) == FLOWING {
        read(cx, id, Some(0))?;
    }
    Ok(())
}

/// `Readable.prototype.pause()`.
pub fn pause<H: HostTypes, I: Invoke<H>>(cx: &mut Cx<H, I>, id: StreamId) -> R<H, ()> {
    let emit = cx
        .with_r(id, |r| {
            let e = r.flags & (HAS_FLOWING | FLOWING) != HAS_FLOWING;
            if e {
                r.flags |= HAS_FLOWING;
                r.flags &= !FLOWING;
            }
            r.flags |= HAS_PAUSED | PAUSED;
            e
        })
        .unwrap_or(false);
    if emit {
        cx.emit(id, "pause", Vec::new())?;
    }
    Ok(())
}

fn flow<H: HostTypes, I: Invoke<H>>(cx: &mut Cx<H, I>, id: StreamId) -> R<H, ()> {
    while cx.rflags(id) & FLOWING != 0 {
        if read(cx, id, None)?.is_none() {
            break;
        }
    }
    Ok(())
}

pub fn end_readable<H: HostTypes, I: Invoke<H>>(cx: &mut Cx<H, I>, id: StreamId) {
    if cx.rflags(id) & END_EMITTED == 0 {
        set(cx, id, ENDED, 0);
        cx.tick(Op::EndReadable(id));
    }
}

pub fn end_readable_nt<H: HostTypes, I: Invoke<H>>(cx: &mut Cx<H, I>, id: StreamId) -> R<H, ()> {
    let go = cx
        .with_r(id, |r| {
            r.flags & (ERRORED | CLOSE_EMITTED | END_EMITTED) == 0
                && r.length == 0
                && r.errored.is_none()
        })
        .unwrap_or(false);
    if !go {
        return Ok(());
    }
    set(cx, id, END_EMITTED, 0);
    cx.emit(id, "end", Vec::new())?;
    let writable = writable_prop(cx, id);
    let half_open = cx.with_s(id, |s| s.allow_half_open);
    if writable && !half_open {
        // endWritableNT: `stream.end()` on a later tick.
        cx.tick(Op::EndWritable(id));
        return Ok(());
    }
    if cx.rflags(id) & super::AUTO_DESTROY != 0 {
        let auto = cx
            .with_w(id, |w| {
                w.flags & super::AUTO_DESTROY != 0 && w.flags & super::writable::FINISHED != 0
            })
            .unwrap_or(true);
        if auto {
            destroy::destroy(cx, id, None)?;
        }
    }
    Ok(())
}

/// The `writable` getter: not destroyed, errored or ending.
pub fn writable_prop<H: HostTypes, I: Invoke<H>>(cx: &Cx<H, I>, id: StreamId) -> bool {
    cx.with_w(id, |w| {
        w.flags & (DESTROYED | ERRORED | super::writable::ENDING | super::writable::ENDED) == 0
    })
    .unwrap_or(false)
}

/// The `readable` getter.
pub fn readable_prop<H: HostTypes, I: Invoke<H>>(cx: &Cx<H, I>, id: StreamId) -> bool {
    cx.with_r(id, |r| {
        r.readable && r.flags & (DESTROYED | ERROR_EMITTED | END_EMITTED) == 0
    })
    .unwrap_or(false)
}

/// `Readable.prototype.isPaused()`.
pub fn is_paused<H: HostTypes, I: Invoke<H>>(cx: &Cx<H, I>, id: StreamId) -> bool {
    let f = cx.rflags(id);
    f & PAUSED != 0 || f & (HAS_FLOWING | FLOWING) == HAS_FLOWING
}
