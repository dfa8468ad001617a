//! `Readable.prototype.pipe` (readable.js), `pipeline` (pipeline.js) and
//! `eos` (end-of-stream.js). Node builds these from closures attached as
//! listeners; here each closure is an [`Internal`] listener whose captured
//! state lives in a table ([`PipeLink`], [`Eos`], [`Pipeline`]).

use super::readable::{self, DATA_LISTENING, END_EMITTED};
use super::writable::{self, ENDED, FINISHED};
use super::{
    AUTO_DESTROY, CLOSED, Cx, DESTROYED, EMIT_CLOSE, ERROR_EMITTED, EosEvent, Handler, Internal,
    Op, PipeLink, R, StreamErr, StreamId, destroy,
};
use crate::runtime::{HostTypes, Invoke};
use crate::trace::StreamClass;

/// What an `eos` callback does when it fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EosCb {
    /// pipeline's `destroyer`: `finished = !err`.
    Destroyer(u32, usize),
    /// pipeline's pipe helper, source side.
    PipeSrc(u32, StreamId),
    /// pipeline's `finish`.
    Finish(u32),
}

/// One `eos(stream, options, callback)` call.
pub struct Eos<H: HostTypes> {
    stream: StreamId,
    readable: bool,
    writable: bool,
    will_emit_close: bool,
    writable_finished: bool,
    readable_finished: bool,
    /// `once(callback)`; None once called or cleaned up.
    cb: Option<EosCb>,
    _h: std::marker::PhantomData<H>,
}

/// One `pipeline(...streams, callback)`.
pub struct Pipeline<H: HostTypes> {
    callback: Option<H::Func>,
    error: Option<H::Value>,
    /// The destroyers not yet run: (stream, finished).
    destroys: Vec<(StreamId, bool)>,
    /// Each destroyer's `finished` flag, by index.
    finished: Vec<bool>,
    finish_count: i32,
    /// pipe helpers: (src, dst, ended).
    helpers: Vec<(StreamId, StreamId, bool)>,
}

fn is_readable_node_stream(class: StreamClass) -> bool {
    class != StreamClass::Writable
}

fn is_writable_node_stream(class: StreamClass) -> bool {
    class != StreamClass::Readable
}

/// `isReadableFinished(stream, strict)`.
fn readable_finished<H: HostTypes, I: Invoke<H>>(
    cx: &Cx<H, I>,
    id: StreamId,
    strict: bool,
) -> bool {
    cx.with_r(id, |r| {
        r.errored.is_none()
            && (r.flags & END_EMITTED != 0
                || (!strict && r.flags & readable::ENDED != 0 && r.length == 0))
    })
    .unwrap_or(false)
}

/// `isWritableFinished(stream, strict)`.
fn writable_finished<H: HostTypes, I: Invoke<H>>(
    cx: &Cx<H, I>,
    id: StreamId,
    strict: bool,
) -> bool {
    cx.with_w(id, |w| {
        w.errored.is_none()
            && (w.flags & FINISHED != 0 || (!strict && w.flags & ENDED != 0 && w.length == 0))
    })
    .unwrap_or(false)
}

/// `isReadable(stream)`: None for a stream without a readable side.
fn is_readable<H: HostTypes, I: Invoke<H>>(cx: &Cx<H, I>, id: StreamId) -> Option<bool> {
    if !cx.has_r(id) {
        return None;
    }
    if cx.destroyed(id) {
        return Some(false);
    }
    Some(readable::readable_prop(cx, id) && !readable_finished(cx, id, true))
}

/// `isWritable(stream)`.
fn is_writable<H: HostTypes, I: Invoke<H>>(cx: &Cx<H, I>, id: StreamId) -> Option<bool> {
    if !cx.has_w(id) {
        return None;
    }
    if cx.destroyed(id) {
        return Some(false);
    }
    let ended = cx
        .with_w(id, |w| w.errored.is_none() && w.flags & ENDED != 0)
        .unwrap_or(false);
    Some(readable::writable_prop(cx, id) && !ended)
}

fn errored<H: HostTypes, I: Invoke<H>>(cx: &Cx<H, I>, id: StreamId) -> Option<H::Value> {
    cx.with_w(id, |w| w.errored.clone())
        .flatten()
        .or_else(|| cx.with_r(id, |r| r.errored.clone()).flatten())
}

// === pipe ===

/// `src.pipe(dest)`; `end: false` is pipeline's use.
pub fn pipe<H: HostTypes, I: Invoke<H>>(
    cx: &mut Cx<H, I>,
    src: StreamId,
    dest: StreamId,
    do_end: bool,
) -> R<H, ()> {
    let p = {
        let mut rt = cx.rt.borrow_mut();
        rt.streams.pipes.push(PipeLink {
            src,
            dest,
            ondrain: false,
            cleaned_up: false,
            do_end,
        });
        (rt.streams.pipes.len() - 1) as u32
    };
    cx.with_r(src, |r| r.pipes.push(dest));
    if cx.rflags(src) & END_EMITTED != 0 {
        cx.tick(Op::PipeEnd(p));
    } else {
        cx.on(src, "end", Handler::Internal(Internal::PipeEnd(p)), true)?;
    }
    cx.on(src, "data", Handler::Internal(Internal::PipeData(p)), false)?;
    cx.prepend(dest, "error", Handler::Internal(Internal::PipeError(p)));
    cx.on(
        dest,
        "close",
        Handler::Internal(Internal::PipeClose(p)),
        true,
    )?;
    cx.on(
        dest,
        "finish",
        Handler::Internal(Internal::PipeFinish(p)),
        true,
    )?;
    cx.emit(dest, "pipe", vec![H::stream_value(src)])?;
    let need_drain = cx
        .with_w(dest, |w| {
            w.flags & (DESTROYED | writable::ENDING | writable::NEED_DRAIN) == writable::NEED_DRAIN
        })
        .unwrap_or(false);
    if need_drain {
        pipe_pause(cx, p)?;
    } else if cx.rflags(src) & readable::FLOWING == 0 {
        readable::resume(cx, src);
    }
    Ok(())
}

fn link<H: HostTypes, I: Invoke<H>>(cx: &Cx<H, I>, p: u32) -> (StreamId, StreamId) {
    let rt = cx.rt.borrow();
    let l = &rt.streams.pipes[p as usize];
    (l.src, l.dest)
}

fn pipe_pause<H: HostTypes, I: Invoke<H>>(cx: &mut Cx<H, I>, p: u32) -> R<H, ()> {
    let (src, dest) = link(cx, p);
    let (cleaned, ondrain) = {
        let rt = cx.rt.borrow();
        let l = &rt.streams.pipes[p as usize];
        (l.cleaned_up, l.ondrain)
    };
    if !cleaned {
        cx.with_r(src, |r| {
            if r.pipes.contains(&dest) && !r.await_drain.contains(&dest) {
                r.await_drain.push(dest);
            }
        });
        readable::pause(cx, src)?;
    }
    if !ondrain {
        cx.rt.borrow_mut().streams.pipes[p as usize].ondrain = true;
        cx.on(
            dest,
            "drain",
            Handler::Internal(Internal::PipeDrain(p)),
            false,
        )?;
    }
    Ok(())
}

pub fn pipe_onend<H: HostTypes, I: Invoke<H>>(cx: &mut Cx<H, I>, p: u32) -> R<H, ()> {
    let (src, dest) = link(cx, p);
    let do_end = cx.rt.borrow().streams.pipes[p as usize].do_end;
    if do_end {
        writable::end(cx, dest, None, None)
    } else {
        unpipe(cx, src, dest)
    }
}

/// `src.unpipe(dest)` and the `onunpipe` → `cleanup` it triggers.
fn unpipe<H: HostTypes, I: Invoke<H>>(
    cx: &mut Cx<H, I>,
    src: StreamId,
    dest: StreamId,
) -> R<H, ()> {
    let found = cx
        .with_r(src, |r| match r.pipes.iter().position(|d| *d == dest) {
            Some(i) => {
                r.pipes.remove(i);
                Some(r.pipes.is_empty())
            }
            None => None,
        })
        .flatten();
    let Some(now_empty) = found else {
        return Ok(());
    };
    if now_empty {
        readable::pause(cx, src)?;
    }
    cx.emit(dest, "unpipe", vec![H::stream_value(src)])?;
    // onunpipe → cleanup, for every link src → dest not yet cleaned up.
    let links: Vec<u32> = {
        let rt = cx.rt.borrow();
        rt.streams
            .pipes
            .iter()
            .enumerate()
            .filter(|(_, l)| l.src == src && l.dest == dest && !l.cleaned_up)
            .map(|(i, _)| i as u32)
            .collect()
    };
    for p in links {
        cleanup(cx, p)?;
    }
    Ok(())
}

fn cleanup<H: HostTypes, I: Invoke<H>>(cx: &mut Cx<H, I>, p: u32) -> R<H, ()> {
    let (src, dest) = link(cx, p);
    cx.off_internal(dest, "close", Internal::PipeClose(p));
    cx.off_internal(dest, "finish", Internal::PipeFinish(p));
    let ondrain = cx.rt.borrow().streams.pipes[p as usize].ondrain;
    if ondrain {
        cx.off_internal(dest, "drain", Internal::PipeDrain(p));
    }
    cx.off_internal(dest, "error", Internal::PipeError(p));
    cx.off_internal(src, "end", Internal::PipeEnd(p));
    cx.off_internal(src, "data", Internal::PipeData(p));
    cx.rt.borrow_mut().streams.pipes[p as usize].cleaned_up = true;
    let awaiting = cx
        .with_r(src, |r| !r.await_drain.is_empty())
        .unwrap_or(false);
    let need_drain = cx
        .with_w(dest, |w| w.flags & writable::NEED_DRAIN != 0)
        .unwrap_or(true);
    if ondrain && awaiting && need_drain {
        pipe_on_drain(cx, p)?;
    }
    Ok(())
}

fn pipe_on_drain<H: HostTypes, I: Invoke<H>>(cx: &mut Cx<H, I>, p: u32) -> R<H, ()> {
    let (src, dest) = link(cx, p);
    let resume = cx
        .with_r(src, |r| {
            r.await_drain.retain(|d| *d != dest);
            r.await_drain.is_empty() && r.flags & DATA_LISTENING != 0
        })
        .unwrap_or(false);
    if resume {
        readable::resume(cx, src);
    }
    Ok(())
}

/// Runs a model-internal listener.
pub fn internal<H: HostTypes, I: Invoke<H>>(
    cx: &mut Cx<H, I>,
    _on: StreamId,
    which: Internal,
    args: &[H::Value],
) -> R<H, ()> {
    let arg = args.first().cloned();
    match which {
        Internal::PipeData(p) => {
            let (_, dest) = link(cx, p);
            let chunk = arg.unwrap_or_else(H::undefined);
            let ret = writable::write(cx, dest, chunk, None)?;
            if !ret {
                pipe_pause(cx, p)?;
            }
            Ok(())
        }
        Internal::PipeDrain(p) => pipe_on_drain(cx, p),
        Internal::HttpResponseEnd(ex) => {
            crate::runtime::net::deliver::response_on_end(cx.rt, ex);
            Ok(())
        }
        Internal::PipeEnd(p) => pipe_onend(cx, p),
        Internal::PipeError(p) => {
            let (src, dest) = link(cx, p);
            let er = arg.unwrap_or_else(H::undefined);
            unpipe(cx, src, dest)?;
            cx.off_internal(dest, "error", Internal::PipeError(p));
            if cx.listener_count(dest, "error") == 0 {
                if (cx.rflags(dest) | cx.wflags(dest)) & ERROR_EMITTED == 0 {
                    destroy::error_or_destroy(cx, dest, er, false)?;
                } else {
                    cx.emit(dest, "error", vec![er])?;
                }
            }
            Ok(())
        }
        Internal::PipeClose(p) => {
            let (src, dest) = link(cx, p);
            cx.off_internal(dest, "finish", Internal::PipeFinish(p));
            unpipe(cx, src, dest)
        }
        Internal::PipeFinish(p) => {
            let (src, dest) = link(cx, p);
            cx.off_internal(dest, "close", Internal::PipeClose(p));
            unpipe(cx, src, dest)
        }
        Internal::Eos(e, ev) => match ev {
            EosEvent::End => eos_onend(cx, e),
            EosEvent::Finish => eos_onfinish(cx, e),
            EosEvent::Error => eos_call(cx, e, arg),
            EosEvent::Close => eos_onclose(cx, e),
        },
        Internal::DestroyerClose(d) => {
            let (pl, i) = (d >> 16, (d & 0xffff) as usize);
            if let Some(f) = cx.rt.borrow_mut().streams.pipelines[pl as usize]
                .finished
                .get_mut(i)
            {
                *f = true;
            }
            Ok(())
        }
        Internal::PipelineError(pl) => {
            let err = arg.filter(H::truthy);
            if let Some(e) = err {
                let code = H::error_code(&e);
                let abort = code.as_deref() == Some("ABORT_ERR");
                if !abort && code.as_deref() != Some("ERR_STREAM_PREMATURE_CLOSE") {
                    pipeline_finish(cx, pl, Some(e))?;
                }
            }
            Ok(())
        }
        Internal::PipelineDstClose(h) => {
            let (pl, i) = (h >> 16, (h & 0xffff) as usize);
            let ended = cx.rt.borrow().streams.pipelines[pl as usize]
                .helpers
                .get(i)
                .is_some_and(|x| x.2);
            if !ended {
                let e = cx.err(StreamErr::PrematureClose, None);
                pipeline_finish(cx, pl, Some(e))?;
            }
            Ok(())
        }
        Internal::PipelineEndFn(h) => pipeline_end_fn(cx, h),
        Internal::PipelineFinish(pl) => pipeline_finish(cx, pl, arg.filter(H::truthy)),
    }
}

// === eos ===

fn eos<H: HostTypes, I: Invoke<H>>(
    cx: &mut Cx<H, I>,
    id: StreamId,
    readable: bool,
    writable: bool,
    cb: EosCb,
) -> R<H, ()> {
    let class = cx.class(id);
    let state_flags = if cx.has_w(id) {
        cx.wflags(id)
    } else {
        cx.rflags(id)
    };
    let will_emit_close = state_flags & AUTO_DESTROY != 0
        && state_flags & EMIT_CLOSE != 0
        && state_flags & CLOSED == 0
        && is_readable_node_stream(class) == readable
        && is_writable_node_stream(class) == writable;
    let e = {
        let mut rt = cx.rt.borrow_mut();
        rt.streams.eos.push(Eos {
            stream: id,
            readable,
            writable,
            will_emit_close,
            writable_finished: false,
            readable_finished: false,
            cb: Some(cb),
            _h: std::marker::PhantomData,
        });
        (rt.streams.eos.len() - 1) as u32
    };
    let wf = writable_finished(cx, id, false);
    let rf = readable_finished(cx, id, false);
    cx.rt.borrow_mut().streams.eos[e as usize].writable_finished = wf;
    cx.rt.borrow_mut().streams.eos[e as usize].readable_finished = rf;
    for (ev, which) in [
        ("end", EosEvent::End),
        ("finish", EosEvent::Finish),
        ("error", EosEvent::Error),
        ("close", EosEvent::Close),
    ] {
        cx.on(id, ev, Handler::Internal(Internal::Eos(e, which)), false)?;
    }
    let closed = (cx.rflags(id) | cx.wflags(id)) & CLOSED != 0;
    let error_emitted = (cx.rflags(id) | cx.wflags(id)) & ERROR_EMITTED != 0;
    let pendingcb = cx.with_w(id, |w| w.pendingcb).unwrap_or(0);
    if closed {
        cx.tick(Op::EosClose(e));
    } else if error_emitted {
        if !will_emit_close {
            cx.tick(Op::EosClosed(e));
        }
    } else {
        // Already finished on the watched side(s): eos answers on a tick.
        let writable_done = !readable
            && (!will_emit_close || is_readable(cx, id) == Some(true))
            && (wf || is_writable(cx, id) == Some(false))
            && pendingcb == 0;
        let readable_done = !writable
            && (!will_emit_close || is_writable(cx, id) == Some(true))
            && (rf || is_readable(cx, id) == Some(false));
        if writable_done || readable_done {
            cx.tick(Op::EosClosed(e));
        }
    }
    Ok(())
}

fn eos_data<H: HostTypes, I: Invoke<H>>(cx: &Cx<H, I>, e: u32) -> (StreamId, bool, bool, bool) {
    let rt = cx.rt.borrow();
    let x = &rt.streams.eos[e as usize];
    (x.stream, x.readable, x.writable, x.will_emit_close)
}

fn eos_onfinish<H: HostTypes, I: Invoke<H>>(cx: &mut Cx<H, I>, e: u32) -> R<H, ()> {
    let (id, readable, _, _) = eos_data(cx, e);
    let destroyed = cx.destroyed(id);
    let (will, rf) = {
        let mut rt = cx.rt.borrow_mut();
        let x = &mut rt.streams.eos[e as usize];
        x.writable_finished = true;
        if destroyed {
            x.will_emit_close = false;
        }
        (x.will_emit_close, x.readable_finished)
    };
    let stream_readable = readable::readable_prop(cx, id);
    if will && (!stream_readable || readable) {
        return Ok(());
    }
    if !readable || rf {
        return eos_call(cx, e, None);
    }
    Ok(())
}

fn eos_onend<H: HostTypes, I: Invoke<H>>(cx: &mut Cx<H, I>, e: u32) -> R<H, ()> {
    let (id, _, writable, _) = eos_data(cx, e);
    let destroyed = cx.destroyed(id);
    let (will, wf) = {
        let mut rt = cx.rt.borrow_mut();
        let x = &mut rt.streams.eos[e as usize];
        x.readable_finished = true;
        if destroyed {
            x.will_emit_close = false;
        }
        (x.will_emit_close, x.writable_finished)
    };
    let stream_writable = readable::writable_prop(cx, id);
    if will && (!stream_writable || writable) {
        return Ok(());
    }
    if !writable || wf {
        return eos_call(cx, e, None);
    }
    Ok(())
}

pub fn eos_onclose<H: HostTypes, I: Invoke<H>>(cx: &mut Cx<H, I>, e: u32) -> R<H, ()> {
    let (id, readable, writable, _) = eos_data(cx, e);
    if let Some(err) = errored(cx, id) {
        return eos_call(cx, e, Some(err));
    }
    let (rf, wf) = {
        let rt = cx.rt.borrow();
        let x = &rt.streams.eos[e as usize];
        (x.readable_finished, x.writable_finished)
    };
    if readable && !rf && is_readable_node_stream(cx.class(id)) && !readable_finished(cx, id, false)
    {
        let err = cx.err(StreamErr::PrematureClose, None);
        return eos_call(cx, e, Some(err));
    }
    if writable && !wf && !writable_finished(cx, id, false) {
        let err = cx.err(StreamErr::PrematureClose, None);
        return eos_call(cx, e, Some(err));
    }
    eos_call(cx, e, None)
}

pub fn eos_onclosed<H: HostTypes, I: Invoke<H>>(cx: &mut Cx<H, I>, e: u32) -> R<H, ()> {
    let (id, ..) = eos_data(cx, e);
    let err = errored(cx, id);
    eos_call(cx, e, err)
}

/// The `once`-wrapped eos callback.
fn eos_call<H: HostTypes, I: Invoke<H>>(
    cx: &mut Cx<H, I>,
    e: u32,
    err: Option<H::Value>,
) -> R<H, ()> {
    let cb = cx.rt.borrow_mut().streams.eos[e as usize].cb.take();
    let err = err.filter(H::truthy);
    match cb {
        None => Ok(()),
        Some(EosCb::Destroyer(pl, i)) => {
            if let Some(f) = cx.rt.borrow_mut().streams.pipelines[pl as usize]
                .finished
                .get_mut(i)
            {
                *f = err.is_none();
            }
            Ok(())
        }
        Some(EosCb::PipeSrc(pl, src)) => {
            let premature = err
                .as_ref()
                .is_some_and(|e| H::error_code(e).as_deref() == Some("ERR_STREAM_PREMATURE_CLOSE"));
            let clean_end = cx
                .with_r(src, |r| {
                    r.flags & readable::ENDED != 0
                        && r.errored.is_none()
                        && r.flags & ERROR_EMITTED == 0
                })
                .unwrap_or(false);
            if premature && clean_end {
                cx.on(
                    src,
                    "end",
                    Handler::Internal(Internal::PipelineFinish(pl)),
                    true,
                )?;
                cx.on(
                    src,
                    "error",
                    Handler::Internal(Internal::PipelineFinish(pl)),
                    true,
                )?;
                Ok(())
            } else {
                pipeline_finish(cx, pl, err)
            }
        }
        Some(EosCb::Finish(pl)) => pipeline_finish(cx, pl, err),
    }
}

// === pipeline ===

/// `stream.pipeline(a, b, ..., callback)`; returns the last stream.
pub fn pipeline<H: HostTypes, I: Invoke<H>>(
    cx: &mut Cx<H, I>,
    streams: &[StreamId],
    callback: H::Func,
) -> R<H, ()> {
    let pl = {
        let mut rt = cx.rt.borrow_mut();
        rt.streams.pipelines.push(Pipeline {
            callback: Some(callback),
            error: None,
            destroys: Vec::new(),
            finished: Vec::new(),
            finish_count: 0,
            helpers: Vec::new(),
        });
        (rt.streams.pipelines.len() - 1) as u32
    };
    let n = streams.len();
    let mut ret: Option<StreamId> = None;
    for (i, &stream) in streams.iter().enumerate() {
        let reading = i < n - 1;
        let writing = i > 0;
        // destroyer(stream, reading, writing)
        let d = {
            let mut rt = cx.rt.borrow_mut();
            let p = &mut rt.streams.pipelines[pl as usize];
            p.finished.push(false);
            p.destroys.push((stream, false));
            p.finished.len() - 1
        };
        cx.on(
            stream,
            "close",
            Handler::Internal(Internal::DestroyerClose(pl << 16 | d as u32)),
            false,
        )?;
        eos(cx, stream, reading, writing, EosCb::Destroyer(pl, d))?;
        cx.on(
            stream,
            "error",
            Handler::Internal(Internal::PipelineError(pl)),
            false,
        )?;
        if let Some(src) = ret
            && cx.has_r(src)
        {
            cx.rt.borrow_mut().streams.pipelines[pl as usize].finish_count += 2;
            pipeline_pipe(cx, pl, src, stream)?;
        }
        ret = Some(stream);
    }
    Ok(())
}

/// pipeline.js's `pipe(src, dst, finish, { end })`.
fn pipeline_pipe<H: HostTypes, I: Invoke<H>>(
    cx: &mut Cx<H, I>,
    pl: u32,
    src: StreamId,
    dst: StreamId,
) -> R<H, ()> {
    let h = {
        let mut rt = cx.rt.borrow_mut();
        let p = &mut rt.streams.pipelines[pl as usize];
        p.helpers.push((src, dst, false));
        pl << 16 | (p.helpers.len() - 1) as u32
    };
    cx.on(
        dst,
        "close",
        Handler::Internal(Internal::PipelineDstClose(h)),
        false,
    )?;
    pipe(cx, src, dst, false)?;
    if readable_finished(cx, src, true) {
        cx.tick(Op::PipelineEndFn(h));
    } else {
        cx.on(
            src,
            "end",
            Handler::Internal(Internal::PipelineEndFn(h)),
            true,
        )?;
    }
    eos(cx, src, true, false, EosCb::PipeSrc(pl, src))?;
    eos(cx, dst, false, true, EosCb::Finish(pl))
}

pub fn pipeline_end_fn<H: HostTypes, I: Invoke<H>>(cx: &mut Cx<H, I>, h: u32) -> R<H, ()> {
    let (pl, i) = (h >> 16, (h & 0xffff) as usize);
    let dst = {
        let mut rt = cx.rt.borrow_mut();
        let helper = rt.streams.pipelines[pl as usize].helpers.get_mut(i);
        helper.map(|x| {
            x.2 = true;
            x.1
        })
    };
    match dst {
        Some(dst) => writable::end(cx, dst, None, None),
        None => Ok(()),
    }
}

/// `finish(err)` → `finishImpl(err, --finishCount === 0)`.
fn pipeline_finish<H: HostTypes, I: Invoke<H>>(
    cx: &mut Cx<H, I>,
    pl: u32,
    err: Option<H::Value>,
) -> R<H, ()> {
    let final_ = {
        let mut rt = cx.rt.borrow_mut();
        let p = &mut rt.streams.pipelines[pl as usize];
        p.finish_count -= 1;
        p.finish_count == 0
    };
    let error = {
        let mut rt = cx.rt.borrow_mut();
        let p = &mut rt.streams.pipelines[pl as usize];
        if let Some(e) = err {
            let replace = match &p.error {
                None => true,
                Some(old) => H::error_code(old).as_deref() == Some("ERR_STREAM_PREMATURE_CLOSE"),
            };
            if replace {
                p.error = Some(e);
            }
        }
        p.error.clone()
    };
    if error.is_none() && !final_ {
        return Ok(());
    }
    loop {
        let next = {
            let mut rt = cx.rt.borrow_mut();
            let p = &mut rt.streams.pipelines[pl as usize];
            if p.destroys.is_empty() {
                None
            } else {
                let (s, _) = p.destroys.remove(0);
                let idx = p.finished.len() - p.destroys.len() - 1;
                let finished = p.finished.get(idx).copied().unwrap_or(true);
                if let Some(f) = p.finished.get_mut(idx) {
                    *f = true;
                }
                Some((s, finished))
            }
        };
        let Some((s, finished)) = next else { break };
        if finished || cx.destroyed(s) {
            continue;
        }
        let e = error
            .clone()
            .unwrap_or_else(|| cx.err(StreamErr::Destroyed("pipe"), None));
        destroy::destroy(cx, s, Some(e))?;
    }
    if final_ {
        let cb = cx.rt.borrow_mut().streams.pipelines[pl as usize]
            .callback
            .take();
        if let Some(cb) = cb {
            cx.tick(Op::PipelineCallback(cb, error.unwrap_or_else(H::undefined)));
        }
    }
    Ok(())
}
