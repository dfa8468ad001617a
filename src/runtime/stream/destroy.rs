//! `lib/internal/streams/destroy.js`: destroy, the default `_destroy`
//! (calls back synchronously), emitCloseNT, emitErrorNT, errorOrDestroy.

use super::{
    AUTO_DESTROY, CLOSE_EMITTED, CLOSED, Cx, DESTROYED, EMIT_CLOSE, ERROR_EMITTED, ERRORED, Op, R,
    StreamId,
};
use crate::runtime::{HostTypes, Invoke};

fn both<H: HostTypes, I: Invoke<H>>(cx: &Cx<H, I>, id: StreamId, on: u32) {
    cx.with_r(id, |r| r.flags |= on);
    cx.with_w(id, |w| w.flags |= on);
}

/// `checkError`: records the first error on each side.
fn check_error<H: HostTypes, I: Invoke<H>>(cx: &Cx<H, I>, id: StreamId, err: &Option<H::Value>) {
    let Some(e) = err else { return };
    cx.with_w(id, |w| {
        if w.errored.is_none() {
            w.errored = Some(e.clone());
            w.flags |= ERRORED;
        }
    });
    cx.with_r(id, |r| {
        if r.errored.is_none() {
            r.errored = Some(e.clone());
            r.flags |= ERRORED;
        }
    });
}

/// `stream.destroy(err)` (Writable's override first queues errorBuffer).
pub fn destroy<H: HostTypes, I: Invoke<H>>(
    cx: &mut Cx<H, I>,
    id: StreamId,
    err: Option<H::Value>,
) -> R<H, ()> {
    let pending_writes = cx
        .with_w(id, |w| {
            (!w.buffered.is_empty() || !w.on_finished.is_empty()) && w.flags & DESTROYED == 0
        })
        .unwrap_or(false);
    if pending_writes {
        cx.tick(Op::ErrorBuffer(id));
    }
    if cx.destroyed(id) {
        return Ok(());
    }
    check_error(cx, id, &err);
    both(cx, id, DESTROYED);
    // The default `_destroy(err, cb)` is `cb(err)`: onDestroy runs now.
    check_error(cx, id, &err);
    both(cx, id, CLOSED);
    match err {
        Some(e) => cx.tick(Op::EmitErrorClose(id, e)),
        None => cx.tick(Op::EmitClose(id)),
    }
    Ok(())
}

pub fn emit_close_nt<H: HostTypes, I: Invoke<H>>(cx: &mut Cx<H, I>, id: StreamId) -> R<H, ()> {
    both(cx, id, CLOSE_EMITTED);
    if (cx.rflags(id) | cx.wflags(id)) & EMIT_CLOSE != 0 {
        cx.emit(id, "close", Vec::new())?;
    }
    Ok(())
}

pub fn emit_error_nt<H: HostTypes, I: Invoke<H>>(
    cx: &mut Cx<H, I>,
    id: StreamId,
    err: H::Value,
) -> R<H, ()> {
    if (cx.rflags(id) | cx.wflags(id)) & ERROR_EMITTED != 0 {
        return Ok(());
    }
    both(cx, id, ERROR_EMITTED);
    cx.emit(id, "error", vec![err])?;
    Ok(())
}

/// `errorOrDestroy(stream, err, sync)`.
pub fn error_or_destroy<H: HostTypes, I: Invoke<H>>(
    cx: &mut Cx<H, I>,
    id: StreamId,
    err: H::Value,
    sync: bool,
) -> R<H, ()> {
    if cx.destroyed(id) {
        return Ok(());
    }
    if (cx.rflags(id) | cx.wflags(id)) & AUTO_DESTROY != 0 {
        return destroy(cx, id, Some(err));
    }
    check_error(cx, id, &Some(err.clone()));
    if sync {
        cx.tick(Op::EmitError(id, err));
        Ok(())
    } else {
        emit_error_nt(cx, id, err)
    }
}
