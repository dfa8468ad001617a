//! `lib/internal/streams/writable.js` (and Transform's `_write`, `_read`
//! and `final` from `transform.js`): write, writeOrBuffer, onwrite,
//! afterWrite(Tick), clearBuffer, end, finishMaybe, prefinish, finish.
//! Names follow Node's so the port can be read side by side.

use super::{
    Cx, DESTROYED, ERROR_EMITTED, ERRORED, OBJECT_MODE, Op, Pending, R, StreamCallback, StreamErr,
    StreamId, W_DECODE_STRINGS, chunk_len, destroy,
};
use crate::runtime::{HostTypes, Invoke};
use crate::trace::{StreamClass, StreamSignal};

use super::{CLOSE_EMITTED, ChunkKind};

pub(crate) const SYNC: u32 = 1 << 9;
pub(crate) const FINAL_CALLED: u32 = 1 << 10;
pub(crate) const NEED_DRAIN: u32 = 1 << 11;
pub(crate) const ENDING: u32 = 1 << 12;
pub(crate) const FINISHED: u32 = 1 << 13;
pub(crate) const WRITING: u32 = 1 << 15;
pub(crate) const BUFFER_PROCESSING: u32 = 1 << 16;
pub(crate) const PREFINISHED: u32 = 1 << 17;
pub(crate) const ENDED: u32 = 1 << 21;
pub(crate) const EXPECT_WRITE_CB: u32 = 1 << 26;
pub(crate) const AFTER_WRITE_PENDING: u32 = 1 << 27;

/// What `_write` returns to `write()` and `end(chunk)`.
pub enum WriteResult<V> {
    Ret(bool),
    Err(V),
}

/// `Writable.prototype.write(chunk, cb)`.
pub fn write<H: HostTypes, I: Invoke<H>>(
    cx: &mut Cx<H, I>,
    id: StreamId,
    chunk: H::Value,
    cb: Option<H::Func>,
) -> R<H, bool> {
    Ok(match write_(cx, id, chunk, cb)? {
        WriteResult::Ret(b) => b,
        WriteResult::Err(_) => false,
    })
}

/// `_write(stream, chunk, encoding, cb)`: validation, write-after-end.
fn write_<H: HostTypes, I: Invoke<H>>(
    cx: &mut Cx<H, I>,
    id: StreamId,
    chunk: H::Value,
    cb: Option<H::Func>,
) -> R<H, WriteResult<H::Value>> {
    let flags = cx.wflags(id);
    let kind = H::chunk_kind(&chunk);
    if kind == ChunkKind::Null {
        return Err(crate::runtime::Abrupt::Throw(
            cx.err(StreamErr::NullValues, None),
        ));
    }
    let mut chunk = chunk;
    if flags & OBJECT_MODE == 0 {
        match kind {
            ChunkKind::Str => {
                if flags & W_DECODE_STRINGS != 0 {
                    chunk = H::to_buffer(&mut cx.rt.borrow_mut(), &chunk);
                }
            }
            ChunkKind::Bytes => {}
            _ => {
                return Err(crate::runtime::Abrupt::Throw(
                    cx.err(StreamErr::InvalidChunk, Some(&chunk)),
                ));
            }
        }
    }
    let err = if flags & ENDING != 0 {
        Some(cx.err(StreamErr::WriteAfterEnd, None))
    } else if flags & DESTROYED != 0 {
        Some(cx.err(StreamErr::Destroyed("write"), None))
    } else {
        None
    };
    if let Some(err) = err {
        cx.tick(Op::Call(cb, err.clone()));
        destroy::error_or_destroy(cx, id, err.clone(), true)?;
        return Ok(WriteResult::Err(err));
    }
    cx.with_w(id, |w| w.pendingcb += 1);
    write_or_buffer(cx, id, chunk, cb).map(WriteResult::Ret)
}

fn write_or_buffer<H: HostTypes, I: Invoke<H>>(
    cx: &mut Cx<H, I>,
    id: StreamId,
    chunk: H::Value,
    cb: Option<H::Func>,
) -> R<H, bool> {
    let direct = cx
        .with_w(id, |w| {
            let len = chunk_len::<H>(w.flags & OBJECT_MODE != 0, &chunk);
            w.length += len;
            if w.flags & (WRITING | ERRORED) != 0 {
                w.buffered.push_back(Pending {
                    chunk: chunk.clone(),
                    cb: cb.clone(),
                });
                None
            } else {
                w.writelen = len;
                w.writecb = cb.clone();
                w.flags |= WRITING | SYNC | EXPECT_WRITE_CB;
                Some(())
            }
        })
        .flatten();
    cx.level(id);
    if direct.is_some() {
        call_write(cx, id, chunk)?;
        cx.with_w(id, |w| w.flags &= !SYNC);
    }
    let (ret, gone) = cx
        .with_w(id, |w| {
            let ret = w.length < w.hwm || w.length == 0;
            if !ret {
                w.flags |= NEED_DRAIN;
            }
            (ret, w.flags & (DESTROYED | ERRORED) != 0)
        })
        .unwrap_or((false, true));
    if !ret {
        cx.signal(id, StreamSignal::WriteFalse);
    }
    Ok(ret && !gone)
}

/// `stream._write(chunk, encoding, state.onwrite)`.
fn call_write<H: HostTypes, I: Invoke<H>>(
    cx: &mut Cx<H, I>,
    id: StreamId,
    chunk: H::Value,
) -> R<H, ()> {
    let (class, write_fn, om) = cx.with_s(id, |s| {
        (
            s.class,
            s.write_fn.clone(),
            s.w.as_ref().map(|w| w.flags & OBJECT_MODE != 0),
        )
    });
    let encoding = match (om, H::chunk_kind(&chunk)) {
        (Some(true), ChunkKind::Str) => "utf8",
        (Some(true), _) => "buffer",
        (_, ChunkKind::Str) => "utf8",
        _ => "buffer",
    };
    if class == StreamClass::Transform {
        return transform_write(cx, id, chunk, encoding);
    }
    let onwrite = H::stream_callback(StreamCallback::OnWrite(id));
    match write_fn {
        Some(f) => {
            cx.call_method(&f, id, vec![chunk, H::string(encoding), onwrite])?;
            Ok(())
        }
        None => Err(crate::runtime::Abrupt::Throw(
            cx.err(StreamErr::NotImplemented("_write()"), None),
        )),
    }
}

/// `onwrite(stream, er)`: the `callback` a `_write` calls.
pub fn onwrite<H: HostTypes, I: Invoke<H>>(
    cx: &mut Cx<H, I>,
    id: StreamId,
    er: Option<H::Value>,
) -> R<H, ()> {
    let Some(expect) = cx.with_w(id, |w| w.flags & EXPECT_WRITE_CB != 0) else {
        return Ok(());
    };
    if !expect {
        let e = er.unwrap_or_else(|| cx.err(StreamErr::MultipleCallback, None));
        return destroy::error_or_destroy(cx, id, e, false);
    }
    let (sync, cb) = cx
        .with_w(id, |w| {
            let sync = w.flags & SYNC != 0;
            let cb = w.writecb.take();
            w.flags &= !(WRITING | EXPECT_WRITE_CB);
            w.length -= w.writelen.min(w.length);
            w.writelen = 0;
            (sync, cb)
        })
        .unwrap_or((false, None));
    cx.level(id);
    if let Some(er) = er {
        cx.with_w(id, |w| {
            if w.flags & ERRORED == 0 {
                w.errored = Some(er.clone());
                w.flags |= ERRORED;
            }
        });
        cx.with_r(id, |r| {
            if r.errored.is_none() {
                r.errored = Some(er.clone());
            }
        });
        if sync {
            cx.tick(Op::OnWriteError(id, er, cb));
            return Ok(());
        }
        return onwrite_error(cx, id, er, cb);
    }
    if cx.with_w(id, |w| !w.buffered.is_empty()).unwrap_or(false) {
        clear_buffer(cx, id)?;
    }
    if !sync {
        return after_write(cx, id, 1, cb);
    }
    enum Next {
        Tick,
        TickInfo,
        Count,
        Done(bool),
    }
    let next = cx
        .with_w(id, |w| {
            let need_drain = w.flags & NEED_DRAIN != 0 && w.length == 0;
            // Node v20 tests `state[kState] & kDestroyed !== 0`, which
            // precedence makes `state & 1`: the objectMode bit.
            let need_tick = need_drain || w.flags & OBJECT_MODE != 0 || cb.is_some();
            match &cb {
                None => {
                    if w.flags & AFTER_WRITE_PENDING == 0 && need_tick {
                        w.flags |= AFTER_WRITE_PENDING;
                        Next::Tick
                    } else {
                        w.pendingcb = w.pendingcb.saturating_sub(1);
                        Next::Done(w.flags & ENDING != 0)
                    }
                }
                Some(f) => match &mut w.after_write_info {
                    Some((count, Some(g))) if H::same_func(f, g) => {
                        *count += 1;
                        Next::Count
                    }
                    _ => {
                        w.after_write_info = Some((1, cb.clone()));
                        w.flags |= AFTER_WRITE_PENDING;
                        Next::TickInfo
                    }
                },
            }
        })
        .unwrap_or(Next::Done(false));
    match next {
        Next::Tick => cx.tick(Op::AfterWriteNop(id)),
        Next::TickInfo => cx.tick(Op::AfterWriteTick(id)),
        Next::Count => {}
        Next::Done(ending) => {
            if ending {
                finish_maybe(cx, id, true)?;
            }
        }
    }
    Ok(())
}

pub fn after_write_tick<H: HostTypes, I: Invoke<H>>(cx: &mut Cx<H, I>, id: StreamId) -> R<H, ()> {
    let info = cx.with_w(id, |w| w.after_write_info.take()).flatten();
    let (count, cb) = info.unwrap_or((0, None));
    after_write(cx, id, count, cb)
}

pub fn after_write<H: HostTypes, I: Invoke<H>>(
    cx: &mut Cx<H, I>,
    id: StreamId,
    count: u32,
    cb: Option<H::Func>,
) -> R<H, ()> {
    let need_drain = cx
        .with_w(id, |w| {
            w.flags &= !AFTER_WRITE_PENDING;
            let d = w.flags & (ENDING | NEED_DRAIN | DESTROYED) == NEED_DRAIN && w.length == 0;
            if d {
                w.flags &= !NEED_DRAIN;
            }
            d
        })
        .unwrap_or(false);
    if need_drain {
        cx.emit(id, "drain", Vec::new())?;
    }
    for _ in 0..count {
        cx.with_w(id, |w| w.pendingcb = w.pendingcb.saturating_sub(1));
        if let Some(f) = &cb {
            cx.call(f, vec![H::null()])?;
        }
    }
    if cx.wflags(id) & DESTROYED != 0 {
        error_buffer(cx, id)?;
    }
    if cx.wflags(id) & ENDING != 0 {
        finish_maybe(cx, id, true)?;
    }
    Ok(())
}

pub fn onwrite_error<H: HostTypes, I: Invoke<H>>(
    cx: &mut Cx<H, I>,
    id: StreamId,
    er: H::Value,
    cb: Option<H::Func>,
) -> R<H, ()> {
    cx.with_w(id, |w| w.pendingcb = w.pendingcb.saturating_sub(1));
    if let Some(f) = cb {
        cx.call(&f, vec![er.clone()])?;
    }
    error_buffer(cx, id)?;
    destroy::error_or_destroy(cx, id, er, false)
}

/// `errorBuffer(state)`: fails every buffered write and end callback.
pub fn error_buffer<H: HostTypes, I: Invoke<H>>(cx: &mut Cx<H, I>, id: StreamId) -> R<H, ()> {
    if cx.wflags(id) & WRITING != 0 {
        return Ok(());
    }
    loop {
        let next = cx
            .with_w(id, |w| {
                let p = w.buffered.pop_front()?;
                let len = chunk_len::<H>(w.flags & OBJECT_MODE != 0, &p.chunk);
                w.length -= len.min(w.length);
                Some((p.cb, w.errored.clone()))
            })
            .flatten();
        let Some((cb, errored)) = next else { break };
        cx.level(id);
        let e = errored.unwrap_or_else(|| cx.err(StreamErr::Destroyed("write"), None));
        if let Some(f) = cb {
            cx.call(&f, vec![e])?;
        }
    }
    let errored = cx.with_w(id, |w| w.errored.clone()).flatten();
    let e = errored.unwrap_or_else(|| cx.err(StreamErr::Destroyed("end"), None));
    call_finished_callbacks(cx, id, e)
}

/// `clearBuffer`: writes buffered chunks one by one until one goes async
/// (no `_writev` in the scenario API).
fn clear_buffer<H: HostTypes, I: Invoke<H>>(cx: &mut Cx<H, I>, id: StreamId) -> R<H, ()> {
    let skip = cx
        .with_w(id, |w| {
            w.flags & (DESTROYED | BUFFER_PROCESSING) != 0 || w.buffered.is_empty()
        })
        .unwrap_or(true);
    if skip {
        return Ok(());
    }
    cx.with_w(id, |w| w.flags |= BUFFER_PROCESSING);
    loop {
        let next = cx
            .with_w(id, |w| {
                let p = w.buffered.pop_front()?;
                let len = chunk_len::<H>(w.flags & OBJECT_MODE != 0, &p.chunk);
                Some((p, len))
            })
            .flatten();
        let Some((p, len)) = next else { break };
        // doWrite
        let destroyed = cx
            .with_w(id, |w| {
                w.writelen = len;
                w.writecb = p.cb.clone();
                w.flags |= WRITING | SYNC | EXPECT_WRITE_CB;
                w.flags & DESTROYED != 0
            })
            .unwrap_or(true);
        if destroyed {
            let e = cx.err(StreamErr::Destroyed("write"), None);
            onwrite(cx, id, Some(e))?;
        } else {
            call_write(cx, id, p.chunk)?;
        }
        let stop = cx
            .with_w(id, |w| {
                w.flags &= !SYNC;
                w.buffered.is_empty() || w.flags & WRITING != 0
            })
            .unwrap_or(true);
        if stop {
            break;
        }
    }
    cx.with_w(id, |w| w.flags &= !BUFFER_PROCESSING);
    Ok(())
}

/// `Writable.prototype.end(chunk, cb)`.
pub fn end<H: HostTypes, I: Invoke<H>>(
    cx: &mut Cx<H, I>,
    id: StreamId,
    chunk: Option<H::Value>,
    cb: Option<H::Func>,
) -> R<H, ()> {
    let mut err = None;
    if let Some(chunk) = chunk
        && !matches!(
            H::chunk_kind(&chunk),
            ChunkKind::Null | ChunkKind::Undefined
        )
        && let WriteResult::Err(e) = write_(cx, id, chunk, None)?
    {
        err = Some(e);
    }
    let flags = cx.wflags(id);
    if err.is_some() {
    } else if flags & (ENDING | ERRORED) == 0 {
        cx.with_w(id, |w| w.flags |= ENDING);
        finish_maybe(cx, id, true)?;
        cx.with_w(id, |w| w.flags |= ENDED);
    } else if flags & FINISHED != 0 {
        err = Some(cx.err(StreamErr::AlreadyFinished, None));
    } else if flags & DESTROYED != 0 {
        err = Some(cx.err(StreamErr::Destroyed("end"), None));
    }
    if let Some(cb) = cb {
        let flags = cx.wflags(id);
        if let Some(e) = err {
            cx.tick(Op::Call(Some(cb), e));
        } else if flags & ERRORED != 0 {
            let e = cx
                .with_w(id, |w| w.errored.clone())
                .flatten()
                .unwrap_or_else(H::undefined);
            cx.tick(Op::Call(Some(cb), e));
        } else if flags & FINISHED != 0 {
            cx.tick(Op::Call(Some(cb), H::null()));
        } else {
            cx.with_w(id, |w| w.on_finished.push(cb));
        }
    }
    Ok(())
}

pub fn need_finish<H: HostTypes, I: Invoke<H>>(cx: &Cx<H, I>, id: StreamId) -> bool {
    cx.with_w(id, |w| {
        w.flags
            & (ENDING | DESTROYED | FINISHED | WRITING | ERROR_EMITTED | CLOSE_EMITTED | ERRORED)
            == ENDING
            && w.buffered.is_empty()
            && w.length == 0
    })
    .unwrap_or(false)
}

/// `onFinish(err)`: the callback of `_final`.
pub fn on_finish<H: HostTypes, I: Invoke<H>>(
    cx: &mut Cx<H, I>,
    id: StreamId,
    err: Option<H::Value>,
) -> R<H, ()> {
    let flags = cx.wflags(id);
    if flags & PREFINISHED != 0 {
        let e = err.unwrap_or_else(|| cx.err(StreamErr::MultipleCallback, None));
        return destroy::error_or_destroy(cx, id, e, false);
    }
    cx.with_w(id, |w| w.pendingcb = w.pendingcb.saturating_sub(1));
    if let Some(e) = err {
        call_finished_callbacks(cx, id, e.clone())?;
        return destroy::error_or_destroy(cx, id, e, flags & SYNC != 0);
    }
    if need_finish(cx, id) {
        cx.with_w(id, |w| w.flags |= PREFINISHED);
        cx.emit(id, "prefinish", Vec::new())?;
        cx.with_w(id, |w| w.pendingcb += 1);
        cx.tick(Op::Finish(id));
    }
    Ok(())
}

fn prefinish<H: HostTypes, I: Invoke<H>>(cx: &mut Cx<H, I>, id: StreamId) -> R<H, ()> {
    let flags = cx.wflags(id);
    if flags & (PREFINISHED | FINAL_CALLED) != 0 {
        return Ok(());
    }
    let (class, final_fn) = cx.with_s(id, |s| (s.class, s.final_fn.clone()));
    // A Transform's `_final` is always Transform.prototype.final.
    let has_final = class == StreamClass::Transform || final_fn.is_some();
    if has_final && flags & DESTROYED == 0 {
        cx.with_w(id, |w| {
            w.flags |= FINAL_CALLED | SYNC;
            w.pendingcb += 1;
        });
        let result = if class == StreamClass::Transform {
            transform_final(cx, id)
        } else {
            match final_fn {
                Some(f) => {
                    let cb = H::stream_callback(StreamCallback::Final(id));
                    cx.call_method(&f, id, vec![cb]).map(|_| ())
                }
                None => Ok(()),
            }
        };
        if let Err(e) = result {
            match e {
                crate::runtime::Abrupt::Throw(v) => on_finish(cx, id, Some(v))?,
                stop => return Err(stop),
            }
        }
        cx.with_w(id, |w| w.flags &= !SYNC);
    } else {
        cx.with_w(id, |w| w.flags |= FINAL_CALLED | PREFINISHED);
        cx.emit(id, "prefinish", Vec::new())?;
    }
    Ok(())
}

pub fn finish_maybe<H: HostTypes, I: Invoke<H>>(
    cx: &mut Cx<H, I>,
    id: StreamId,
    sync: bool,
) -> R<H, ()> {
    if !need_finish(cx, id) {
        return Ok(());
    }
    prefinish(cx, id)?;
    if cx.with_w(id, |w| w.pendingcb).unwrap_or(1) == 0 {
        if sync {
            cx.with_w(id, |w| w.pendingcb += 1);
            cx.tick(Op::FinishMaybe(id));
        } else if need_finish(cx, id) {
            cx.with_w(id, |w| w.pendingcb += 1);
            finish(cx, id)?;
        }
    }
    Ok(())
}

pub fn finish<H: HostTypes, I: Invoke<H>>(cx: &mut Cx<H, I>, id: StreamId) -> R<H, ()> {
    cx.with_w(id, |w| {
        w.pendingcb = w.pendingcb.saturating_sub(1);
        w.flags |= FINISHED;
    });
    call_finished_callbacks(cx, id, H::null())?;
    cx.emit(id, "finish", Vec::new())?;
    let wflags = cx.wflags(id);
    if wflags & super::AUTO_DESTROY != 0 {
        let auto = cx
            .with_r(id, |r| {
                r.flags & super::AUTO_DESTROY != 0
                    && (r.flags & super::readable::END_EMITTED != 0 || !r.readable)
            })
            .unwrap_or(true);
        if auto {
            destroy::destroy(cx, id, None)?;
        }
    }
    Ok(())
}

fn call_finished_callbacks<H: HostTypes, I: Invoke<H>>(
    cx: &mut Cx<H, I>,
    id: StreamId,
    err: H::Value,
) -> R<H, ()> {
    let cbs = cx
        .with_w(id, |w| std::mem::take(&mut w.on_finished))
        .unwrap_or_default();
    for f in cbs {
        cx.call(&f, vec![err.clone()])?;
    }
    Ok(())
}

// === Transform (lib/internal/streams/transform.js) ===

/// `Transform.prototype._write`: calls the user's `transform` with a
/// callback that pushes its value and calls `onwrite`, or holds it
/// (`kCallback`) until the readable side asks for more.
fn transform_write<H: HostTypes, I: Invoke<H>>(
    cx: &mut Cx<H, I>,
    id: StreamId,
    chunk: H::Value,
    encoding: &str,
) -> R<H, ()> {
    let len = cx.with_r(id, |r| r.length).unwrap_or(0);
    cx.with_s(id, |s| s.transform_len = len);
    let f = cx.with_s(id, |s| s.transform_fn.clone());
    let cb = H::stream_callback(StreamCallback::Transform(id));
    match f {
        Some(f) => cx
            .call_method(&f, id, vec![chunk, H::string(encoding), cb])
            .map(|_| ()),
        None => Err(crate::runtime::Abrupt::Throw(
            cx.err(StreamErr::NotImplemented("_transform()"), None),
        )),
    }
}

/// `callback(null, value)` of transform and flush: a value other than
/// null or undefined is pushed to the readable side.
fn push_result<H: HostTypes, I: Invoke<H>>(
    cx: &mut Cx<H, I>,
    id: StreamId,
    val: Option<H::Value>,
) -> R<H, ()> {
    if let Some(v) = val
        && !matches!(H::chunk_kind(&v), ChunkKind::Null | ChunkKind::Undefined)
    {
        super::readable::push(cx, id, v)?;
    }
    Ok(())
}

/// The callback given to `transform(chunk, enc, callback)`.
pub fn transform_callback<H: HostTypes, I: Invoke<H>>(
    cx: &mut Cx<H, I>,
    id: StreamId,
    err: Option<H::Value>,
    val: Option<H::Value>,
) -> R<H, ()> {
    if let Some(e) = err {
        return onwrite(cx, id, Some(e));
    }
    push_result(cx, id, val)?;
    let before = cx.with_s(id, |s| s.transform_len);
    let (ended, now, hwm) = cx
        .with_r(id, |r| {
            (r.flags & super::readable::ENDED != 0, r.length, r.hwm)
        })
        .unwrap_or((false, 0, 0));
    let w_ended = cx.wflags(id) & ENDED != 0;
    if ended {
        cx.tick(Op::TransformCallback(id));
    } else if w_ended || before == now || now < hwm {
        onwrite(cx, id, None)?;
    } else {
        cx.with_s(id, |s| s.transform_pending = true);
    }
    Ok(())
}

/// `Transform.prototype._read`: releases a held write callback.
pub fn transform_read<H: HostTypes, I: Invoke<H>>(cx: &mut Cx<H, I>, id: StreamId) -> R<H, ()> {
    let pending = cx.with_s(id, |s| std::mem::take(&mut s.transform_pending));
    if pending {
        onwrite(cx, id, None)?;
    }
    Ok(())
}

/// Transform's `final(cb)`: `flush`, then `push(null)`, then `cb()`.
fn transform_final<H: HostTypes, I: Invoke<H>>(cx: &mut Cx<H, I>, id: StreamId) -> R<H, ()> {
    let flush = cx.with_s(id, |s| s.flush_fn.clone());
    match flush {
        Some(f) if !cx.destroyed(id) => {
            let cb = H::stream_callback(StreamCallback::Flush(id));
            cx.call_method(&f, id, vec![cb]).map(|_| ())
        }
        _ => {
            super::readable::push(cx, id, H::null())?;
            on_finish(cx, id, None)
        }
    }
}

/// The callback given to `flush(callback)`.
pub fn flush_callback<H: HostTypes, I: Invoke<H>>(
    cx: &mut Cx<H, I>,
    id: StreamId,
    err: Option<H::Value>,
    val: Option<H::Value>,
) -> R<H, ()> {
    if let Some(e) = err {
        return on_finish(cx, id, Some(e));
    }
    push_result(cx, id, val)?;
    super::readable::push(cx, id, H::null())?;
    on_finish(cx, id, None)
}
