//! Node v20's streams (`lib/internal/streams/*.js`), ported state machine by
//! state machine: [`readable`], [`writable`] (with Transform's `_write`,
//! `_read` and `final`), [`destroy`], and [`pipe`] (`Readable.prototype.pipe`,
//! `pipeline` and `eos`).
//!
//! Why here and not in the script layer: every ordering a stream shows comes
//! from where Node calls `process.nextTick` (`afterWriteTick`, `emitReadable_`,
//! `resume_`, `endReadableNT`, `finish`, `emitCloseNT`...). Those are real
//! entries of the model's nextTick queue ([`super::Tick::Stream`]), so they
//! interleave exactly with script ticks and promise jobs, and the driver runs
//! them like any tick. The runtime still knows nothing of Rhai: user functions
//! (`read`, `write`, `transform`, listeners) are `H::Func`s called through the
//! host's [`Invoke`], and the few values the model must make (errors, the
//! `callback` handed to `write`, a stream handle for `this`) come from
//! [`HostTypes`] hooks.
//!
//! Stream state lives in [`Streams`] inside the runtime. Every operation
//! borrows the runtime briefly and never across a call into script code, so
//! script functions can re-enter (a `write` whose callback writes again), as
//! JavaScript can.

pub mod destroy;
pub mod pipe;
pub mod readable;
pub mod writable;

use std::collections::VecDeque;

use super::events::{Emitter, Listener};
use super::{Abrupt, HostTypes, Invoke, Shared, Site, Tick};
use crate::trace::{CallbackKind, Kind, StreamClass, StreamSide, StreamSignal};

/// A stream's number (its index in [`Streams`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StreamId(pub u32);

impl StreamId {
    fn trace(self) -> u16 {
        self.0.min(u16::MAX as u32) as u16
    }
}

/// What a chunk is, for byte-mode checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkKind {
    Null,
    Undefined,
    Str,
    Bytes,
    Other,
}

/// Node's stream errors the model raises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamErr {
    WriteAfterEnd,
    PushAfterEof,
    /// `ERR_INVALID_ARG_TYPE` for a chunk (the culprit is described).
    InvalidChunk,
    NullValues,
    /// `ERR_STREAM_DESTROYED` for this method ("write", "end", "pipe").
    Destroyed(&'static str),
    PrematureClose,
    MultipleCallback,
    AlreadyFinished,
    /// `ERR_METHOD_NOT_IMPLEMENTED` for `_read()`, `_write()`, `_transform()`.
    NotImplemented(&'static str),
    /// `AbortError`.
    Abort,
}

impl StreamErr {
    /// (constructor name, code, message).
    pub fn parts(self) -> (&'static str, &'static str, String) {
        match self {
            StreamErr::WriteAfterEnd => ("Error", "ERR_STREAM_WRITE_AFTER_END", "write after end".into()),
            StreamErr::PushAfterEof => ("Error", "ERR_STREAM_PUSH_AFTER_EOF", "stream.push() after EOF".into()),
            StreamErr::InvalidChunk => (
                "TypeError",
                "ERR_INVALID_ARG_TYPE",
                "The \"chunk\" argument must be of type string or an instance of Buffer, TypedArray, or DataView. Received ".into(),
            ),
            StreamErr::NullValues => ("TypeError", "ERR_STREAM_NULL_VALUES", "May not write null values to stream".into()),
            StreamErr::Destroyed(m) => (
                "Error",
                "ERR_STREAM_DESTROYED",
                format!("Cannot call {m} after a stream was destroyed"),
            ),
            StreamErr::PrematureClose => ("Error", "ERR_STREAM_PREMATURE_CLOSE", "Premature close".into()),
            StreamErr::MultipleCallback => ("Error", "ERR_MULTIPLE_CALLBACK", "Callback called multiple times".into()),
            StreamErr::AlreadyFinished => (
                "Error",
                "ERR_STREAM_ALREADY_FINISHED",
                "Cannot call end after a stream was finished".into(),
            ),
            StreamErr::NotImplemented(m) => (
                "Error",
                "ERR_METHOD_NOT_IMPLEMENTED",
                format!("The {m} method is not implemented"),
            ),
            StreamErr::Abort => ("AbortError", "ABORT_ERR", "The operation was aborted".into()),
        }
    }
}

/// A function the model hands to script code: the `callback` of `write`
/// and `transform`, `flush`'s callback. Calling it re-enters the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamCallback {
    /// `state.onwrite` (a Writable's, or a Transform's writable side).
    OnWrite(StreamId),
    /// The callback a Transform gives `transform(chunk, enc, cb)`.
    Transform(StreamId),
    /// The callback given to `flush(cb)` (Transform's `final`).
    Flush(StreamId),
    /// The callback given to a Writable's `final(cb)`.
    Final(StreamId),
}

/// A model-internal listener: the closures Node's `pipe`, `pipeline` and
/// `eos` attach to streams. Kept in the same listener lists as script
/// listeners, so their relative order is Node's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Internal {
    PipeData(u32),
    PipeDrain(u32),
    PipeEnd(u32),
    PipeError(u32),
    PipeClose(u32),
    PipeFinish(u32),
    /// `eos` listeners: (eos id, which).
    Eos(u32, EosEvent),
    /// pipeline's `destroyer`: `stream.on('close', () => finished = true)`.
    DestroyerClose(u32),
    /// pipeline's per-stream `onError`.
    PipelineError(u32),
    /// pipeline's `pipe()` helper: dst 'close' before the end, `endFn`,
    /// and the late `once('end'/'error', finish)`.
    PipelineDstClose(u32),
    PipelineEndFn(u32),
    PipelineFinish(u32),
    /// `_http_client.js`'s `responseOnEnd` on a response (by exchange).
    HttpResponseEnd(u32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EosEvent {
    End,
    Finish,
    Error,
    Close,
}

#[derive(Clone)]
pub enum Handler<F> {
    User(F),
    Internal(Internal),
}

/// A model-internal `process.nextTick` (named after Node's functions).
pub enum Op<H: HostTypes> {
    AfterWriteTick(StreamId),
    /// `process.nextTick(afterWrite, stream, state, 1, nop)`.
    AfterWriteNop(StreamId),
    OnWriteError(StreamId, H::Value, Option<H::Func>),
    FinishMaybe(StreamId),
    Finish(StreamId),
    ErrorBuffer(StreamId),
    EmitReadable(StreamId),
    MaybeReadMore(StreamId),
    Resume(StreamId),
    EndReadable(StreamId),
    /// `endWritableNT`: a Duplex without allowHalfOpen ends its writable side.
    EndWritable(StreamId),
    NReading(StreamId),
    EmitClose(StreamId),
    EmitErrorClose(StreamId, H::Value),
    EmitError(StreamId, H::Value),
    /// `process.nextTick(cb, arg)` for a script callback (or Node's `nop`).
    Call(Option<H::Func>, H::Value),
    /// `process.nextTick(callback)` of a Transform's deferred write callback.
    TransformCallback(StreamId),
    /// `process.nextTick(onclosed)` / `process.nextTick(onclose)` of eos.
    EosClosed(u32),
    EosClose(u32),
    /// `process.nextTick(endFn)` of pipeline's pipe helper / of `pipe`.
    PipelineEndFn(u32),
    PipeEnd(u32),
    /// `process.nextTick(callback, error, value)`: pipeline's callback.
    PipelineCallback(H::Func, H::Value),
}

impl<H: HostTypes> Op<H> {
    fn name(&self) -> &'static str {
        match self {
            Op::AfterWriteTick(_) => "afterWriteTick",
            Op::AfterWriteNop(_) => "afterWrite",
            Op::OnWriteError(..) => "onwriteError",
            Op::FinishMaybe(_) => "finishMaybe",
            Op::Finish(_) => "finish",
            Op::ErrorBuffer(_) => "errorBuffer",
            Op::EmitReadable(_) => "emitReadable_",
            Op::MaybeReadMore(_) => "maybeReadMore_",
            Op::Resume(_) => "resume_",
            Op::EndReadable(_) => "endReadableNT",
            Op::EndWritable(_) => "endWritableNT",
            Op::NReading(_) => "nReadingNextTick",
            Op::EmitClose(_) => "emitCloseNT",
            Op::EmitErrorClose(..) => "emitErrorCloseNT",
            Op::EmitError(..) => "emitErrorNT",
            Op::Call(..) => "callback",
            Op::TransformCallback(_) => "transform callback",
            Op::EosClosed(_) => "eos onclosed",
            Op::EosClose(_) => "eos onclose",
            Op::PipelineEndFn(_) | Op::PipeEnd(_) => "endFn",
            Op::PipelineCallback(..) => "pipeline callback",
        }
    }

    fn stream(&self) -> Option<StreamId> {
        match self {
            Op::AfterWriteTick(s)
            | Op::AfterWriteNop(s)
            | Op::OnWriteError(s, ..)
            | Op::FinishMaybe(s)
            | Op::Finish(s)
            | Op::ErrorBuffer(s)
            | Op::EmitReadable(s)
            | Op::MaybeReadMore(s)
            | Op::Resume(s)
            | Op::EndReadable(s)
            | Op::EndWritable(s)
            | Op::NReading(s)
            | Op::EmitClose(s)
            | Op::EmitErrorClose(s, _)
            | Op::EmitError(s, _)
            | Op::TransformCallback(s) => Some(*s),
            _ => None,
        }
    }
}

// Flags shared by both sides (lib/internal/streams/utils.js).
pub(crate) const OBJECT_MODE: u32 = 1 << 0;
pub(crate) const ERRORED: u32 = 1 << 1;
pub(crate) const DESTROYED: u32 = 1 << 2;
pub(crate) const CLOSED: u32 = 1 << 3;
pub(crate) const CLOSE_EMITTED: u32 = 1 << 4;
pub(crate) const ERROR_EMITTED: u32 = 1 << 5;
pub(crate) const AUTO_DESTROY: u32 = 1 << 6;
pub(crate) const EMIT_CLOSE: u32 = 1 << 7;

/// `ReadableState`.
pub struct ReadState<H: HostTypes> {
    pub flags: u32,
    pub hwm: usize,
    pub buffer: VecDeque<H::Value>,
    pub length: usize,
    pub pipes: Vec<StreamId>,
    /// `awaitDrainWriters`: the destinations that must drain before the
    /// source resumes (a set once there are several pipes).
    pub await_drain: Vec<StreamId>,
    pub errored: Option<H::Value>,
    /// The `readable` property (false once ended for a Duplex made with
    /// `readable: false`; always true here).
    pub readable: bool,
}

/// A buffered write: chunk and callback.
pub struct Pending<H: HostTypes> {
    pub chunk: H::Value,
    pub cb: Option<H::Func>,
}

/// `WritableState`.
pub struct WriteState<H: HostTypes> {
    pub flags: u32,
    pub hwm: usize,
    pub length: usize,
    pub writelen: usize,
    pub writecb: Option<H::Func>,
    pub buffered: VecDeque<Pending<H>>,
    pub pendingcb: u32,
    /// `kAfterWriteTickInfoValue`: (count, cb).
    pub after_write_info: Option<(u32, Option<H::Func>)>,
    pub errored: Option<H::Value>,
    pub on_finished: Vec<H::Func>,
}

/// One stream: its kind, its options' functions, its two states and its
/// listeners.
pub struct StreamData<H: HostTypes> {
    pub class: StreamClass,
    pub r: Option<ReadState<H>>,
    pub w: Option<WriteState<H>>,
    pub read_fn: Option<H::Func>,
    pub write_fn: Option<H::Func>,
    pub final_fn: Option<H::Func>,
    pub transform_fn: Option<H::Func>,
    pub flush_fn: Option<H::Func>,
    pub allow_half_open: bool,
    /// Transform's `kCallback`: a write callback held until `_read`.
    pub transform_pending: bool,
    /// The readable length when `_write` handed a chunk to `transform`.
    pub transform_len: usize,
    pub listeners: Emitter<Handler<H::Func>>,
    /// Last lengths recorded in the trace (readable, writable).
    traced: (u32, u32),
    /// See [`StreamOptions::incoming`].
    pub incoming: bool,
}

/// How `pipe()` remembers one src → dest link (Node keeps it in closures).
pub struct PipeLink {
    pub src: StreamId,
    pub dest: StreamId,
    pub ondrain: bool,
    pub cleaned_up: bool,
    /// `end: false` (pipeline's own pipe) unpipes on 'end' instead.
    pub do_end: bool,
}

/// The streams of a run.
pub struct Streams<H: HostTypes> {
    pub list: Vec<StreamData<H>>,
    pub pipes: Vec<PipeLink>,
    pub eos: Vec<pipe::Eos<H>>,
    pub pipelines: Vec<pipe::Pipeline<H>>,
}

impl<H: HostTypes> Default for Streams<H> {
    fn default() -> Self {
        Streams {
            list: Vec::new(),
            pipes: Vec::new(),
            eos: Vec::new(),
            pipelines: Vec::new(),
        }
    }
}

/// Options of `new Readable/Writable/Transform({...})`.
pub struct StreamOptions<H: HostTypes> {
    pub object_mode: bool,
    pub readable_object_mode: bool,
    pub writable_object_mode: bool,
    pub hwm: Option<usize>,
    pub read: Option<H::Func>,
    pub write: Option<H::Func>,
    pub final_fn: Option<H::Func>,
    pub transform: Option<H::Func>,
    pub flush: Option<H::Func>,
    pub decode_strings: bool,
    pub allow_half_open: bool,
    pub auto_destroy: bool,
    pub emit_close: bool,
    /// An HTTP IncomingMessage: `_read` asks the socket for more (a no-op
    /// here: the network pushes as bytes arrive), and the stream is left
    /// out of the trace's stream events (one per request would drown the
    /// backpressure view).
    pub incoming: bool,
}

impl<H: HostTypes> Default for StreamOptions<H> {
    fn default() -> Self {
        StreamOptions {
            object_mode: false,
            readable_object_mode: false,
            writable_object_mode: false,
            hwm: None,
            read: None,
            write: None,
            final_fn: None,
            transform: None,
            flush: None,
            decode_strings: true,
            allow_half_open: true,
            auto_destroy: true,
            emit_close: true,
            incoming: false,
        }
    }
}

/// `getDefaultHighWaterMark(objectMode)` in Node 20.
pub fn default_hwm(object_mode: bool) -> usize {
    if object_mode { 16 } else { 16 * 1024 }
}

pub(crate) const W_DECODE_STRINGS: u32 = 1 << 14;

pub type R<H, T> = Result<T, Abrupt<<H as HostTypes>::Value>>;

/// The model's side of one stream operation: the runtime and the host that
/// runs script functions.
pub struct Cx<'a, H: HostTypes, I: Invoke<H>> {
    pub rt: &'a Shared<H>,
    pub host: &'a mut I,
}

impl<'a, H: HostTypes, I: Invoke<H>> Cx<'a, H, I> {
    pub fn new(rt: &'a Shared<H>, host: &'a mut I) -> Self {
        Cx { rt, host }
    }

    /// Creates a stream; returns its id.
    pub fn create(&mut self, class: StreamClass, o: StreamOptions<H>, label: &str) -> StreamId {
        let mut rt = self.rt.borrow_mut();
        let id = StreamId(rt.streams.list.len() as u32);
        let base = |om: bool| {
            let mut f = 0;
            if om {
                f |= OBJECT_MODE;
            }
            if o.auto_destroy {
                f |= AUTO_DESTROY;
            }
            if o.emit_close {
                f |= EMIT_CLOSE;
            }
            f
        };
        let r_om = o.object_mode || o.readable_object_mode;
        let w_om = o.object_mode || o.writable_object_mode;
        let r = (class != StreamClass::Writable).then(|| ReadState {
            flags: base(r_om) | readable::SYNC,
            hwm: o.hwm.unwrap_or_else(|| default_hwm(r_om)),
            buffer: VecDeque::new(),
            length: 0,
            pipes: Vec::new(),
            await_drain: Vec::new(),
            errored: None,
            readable: true,
        });
        let w = (class != StreamClass::Readable).then(|| WriteState {
            flags: base(w_om)
                | writable::SYNC
                | if o.decode_strings {
                    W_DECODE_STRINGS
                } else {
                    0
                },
            hwm: o.hwm.unwrap_or_else(|| default_hwm(w_om)),
            length: 0,
            writelen: 0,
            writecb: None,
            buffered: VecDeque::new(),
            pendingcb: 0,
            after_write_info: None,
            errored: None,
            on_finished: Vec::new(),
        });
        let mut r = r;
        if class == StreamClass::Transform
            && let Some(r) = r.as_mut()
        {
            // `this._readableState.sync = false` in the Transform constructor.
            r.flags &= !readable::SYNC;
        }
        let hwm = r.as_ref().map(|r| r.hwm).or(w.as_ref().map(|w| w.hwm));
        rt.streams.list.push(StreamData {
            class,
            r,
            w,
            read_fn: o.read,
            write_fn: o.write,
            final_fn: o.final_fn,
            transform_fn: o.transform,
            flush_fn: o.flush,
            allow_half_open: o.allow_half_open,
            transform_pending: false,
            transform_len: 0,
            listeners: Emitter::default(),
            traced: (0, 0),
            incoming: o.incoming,
        });
        if o.incoming {
            return id;
        }
        let label = rt.trace.strings.intern(label);
        rt.emit(Kind::StreamNew {
            class,
            stream: id.trace(),
            hwm: hwm.unwrap_or(0).min(u32::MAX as usize) as u32,
            label,
        });
        id
    }

    // === small accessors (each borrows the runtime briefly) ===

    pub(crate) fn rflags(&self, id: StreamId) -> u32 {
        self.rt.borrow().streams.list[id.0 as usize]
            .r
            .as_ref()
            .map_or(0, |r| r.flags)
    }

    pub(crate) fn wflags(&self, id: StreamId) -> u32 {
        self.rt.borrow().streams.list[id.0 as usize]
            .w
            .as_ref()
            .map_or(0, |w| w.flags)
    }

    pub(crate) fn has_r(&self, id: StreamId) -> bool {
        self.rt.borrow().streams.list[id.0 as usize].r.is_some()
    }

    pub(crate) fn has_w(&self, id: StreamId) -> bool {
        self.rt.borrow().streams.list[id.0 as usize].w.is_some()
    }

    pub(crate) fn with_r<T>(
        &self,
        id: StreamId,
        f: impl FnOnce(&mut ReadState<H>) -> T,
    ) -> Option<T> {
        let mut rt = self.rt.borrow_mut();
        rt.streams.list[id.0 as usize].r.as_mut().map(f)
    }

    pub(crate) fn with_w<T>(
        &self,
        id: StreamId,
        f: impl FnOnce(&mut WriteState<H>) -> T,
    ) -> Option<T> {
        let mut rt = self.rt.borrow_mut();
        rt.streams.list[id.0 as usize].w.as_mut().map(f)
    }

    pub(crate) fn with_s<T>(&self, id: StreamId, f: impl FnOnce(&mut StreamData<H>) -> T) -> T {
        let mut rt = self.rt.borrow_mut();
        f(&mut rt.streams.list[id.0 as usize])
    }

    pub(crate) fn class(&self, id: StreamId) -> StreamClass {
        self.rt.borrow().streams.list[id.0 as usize].class
    }

    /// `stream.destroyed` (either side).
    pub(crate) fn destroyed(&self, id: StreamId) -> bool {
        (self.rflags(id) | self.wflags(id)) & DESTROYED != 0
    }

    /// Records buffer lengths that changed since the last record.
    pub(crate) fn level(&self, id: StreamId) {
        let mut rt = self.rt.borrow_mut();
        let s = &mut rt.streams.list[id.0 as usize];
        if s.incoming {
            return;
        }
        let r =
            s.r.as_ref()
                .map_or(0, |r| r.length.min(u32::MAX as usize) as u32);
        let w =
            s.w.as_ref()
                .map_or(0, |w| w.length.min(u32::MAX as usize) as u32);
        let (tr, tw) = s.traced;
        s.traced = (r, w);
        if r != tr {
            rt.emit(Kind::StreamLevel {
                side: StreamSide::Readable,
                stream: id.trace(),
                length: r,
            });
        }
        if w != tw {
            rt.emit(Kind::StreamLevel {
                side: StreamSide::Writable,
                stream: id.trace(),
                length: w,
            });
        }
    }

    pub(crate) fn signal(&self, id: StreamId, signal: StreamSignal) {
        if self.rt.borrow().streams.list[id.0 as usize].incoming {
            return;
        }
        self.rt.borrow_mut().emit(Kind::StreamSignal {
            signal,
            stream: id.trace(),
        });
    }

    /// `process.nextTick(op)`: a real entry of the nextTick queue.
    pub(crate) fn tick(&self, op: Op<H>) {
        let mut rt = self.rt.borrow_mut();
        if rt.exiting {
            return;
        }
        // An IncomingMessage's ticks share one label (one per request
        // would grow the interned strings of a long load run).
        let label: std::borrow::Cow<'static, str> = match op.stream() {
            Some(s) if !rt.streams.list[s.0 as usize].incoming => {
                format!("{} s{}", op.name(), s.0).into()
            }
            _ => op.name().into(),
        };
        let site = Site {
            label,
            ..Site::default()
        };
        let cb = rt.register_callback(CallbackKind::NextTick, &site);
        rt.push_tick(Tick::Stream(op), cb);
    }

    pub(crate) fn err(&self, e: StreamErr, culprit: Option<&H::Value>) -> H::Value {
        H::stream_error(e, culprit)
    }

    /// Calls a script function (a user `read`, `write`, listener...).
    pub(crate) fn call(&mut self, f: &H::Func, args: Vec<H::Value>) -> R<H, H::Value> {
        self.host.call(f, args)
    }

    /// Calls a stream method option with `this` bound to the stream.
    pub(crate) fn call_method(
        &mut self,
        f: &H::Func,
        id: StreamId,
        args: Vec<H::Value>,
    ) -> R<H, H::Value> {
        self.host.call_method(f, H::stream_value(id), args)
    }

    // === events ===

    /// `stream.on(event, f)` with Readable's and Writable's overrides.
    pub fn on(&mut self, id: StreamId, event: &str, h: Handler<H::Func>, once: bool) -> R<H, ()> {
        self.with_s(id, |s| s.listeners.on(event, h, once));
        if self.has_r(id) {
            readable::on_listener(self, id, event)?;
        }
        Ok(())
    }

    pub(crate) fn prepend(&mut self, id: StreamId, event: &str, h: Handler<H::Func>) {
        self.with_s(id, |s| s.listeners.prepend(event, h, false));
    }

    /// `removeListener` for a model-internal listener.
    pub(crate) fn off_internal(&mut self, id: StreamId, event: &str, which: Internal) {
        self.with_s(id, |s| {
            s.listeners
                .off(event, |h| matches!(h, Handler::Internal(i) if *i == which))
        });
        if event == "data" && self.has_r(id) {
            readable::data_listener_removed(self, id);
        }
    }

    /// `stream.off(event, f)` for a script function.
    pub fn off_user(&mut self, id: StreamId, event: &str, f: &H::Func) {
        self.with_s(id, |s| {
            s.listeners.off(
                event,
                |h| matches!(h, Handler::User(g) if H::same_func(g, f)),
            )
        });
        if event == "data" && self.has_r(id) {
            readable::data_listener_removed(self, id);
        }
    }

    pub fn listener_count(&self, id: StreamId, event: &str) -> usize {
        self.rt.borrow().streams.list[id.0 as usize]
            .listeners
            .listener_count(event)
    }

    /// `stream.emit(event, ...args)`; an 'error' nobody listens to is
    /// thrown, as EventEmitter throws it.
    pub fn emit(&mut self, id: StreamId, event: &str, args: Vec<H::Value>) -> R<H, bool> {
        let signal = match event {
            "drain" => Some(StreamSignal::Drain),
            "pause" => Some(StreamSignal::Pause),
            "resume" => Some(StreamSignal::Resume),
            "end" => Some(StreamSignal::End),
            "finish" => Some(StreamSignal::Finish),
            "close" => Some(StreamSignal::Close),
            "error" => Some(StreamSignal::Error),
            _ => None,
        };
        if let Some(sig) = signal {
            self.signal(id, sig);
        }
        let listeners = self.with_s(id, |s| s.listeners.snapshot_for_emit(event));
        if listeners.is_empty() {
            if event == "error" {
                let err = args.into_iter().next().unwrap_or_else(H::undefined);
                let class = self.class(id).name();
                return Err(Abrupt::Throw(H::unhandled_error_event(&err, class)));
            }
            return Ok(false);
        }
        for l in listeners {
            if !self.with_s(id, |s| s.listeners.should_call(event, &l)) {
                continue;
            }
            match &l.func {
                Handler::User(f) => {
                    self.call(f, args.clone())?;
                }
                Handler::Internal(i) => pipe::internal(self, id, *i, &args)?,
            }
        }
        Ok(true)
    }

    // === ticks ===

    /// Runs a model-internal nextTick.
    pub fn run_tick(&mut self, op: Op<H>) -> R<H, ()> {
        match op {
            Op::AfterWriteTick(s) => writable::after_write_tick(self, s),
            Op::AfterWriteNop(s) => writable::after_write(self, s, 1, None),
            Op::OnWriteError(s, er, cb) => writable::onwrite_error(self, s, er, cb),
            Op::FinishMaybe(s) => {
                if writable::need_finish(self, s) {
                    writable::finish(self, s)
                } else {
                    self.with_w(s, |w| w.pendingcb = w.pendingcb.saturating_sub(1));
                    Ok(())
                }
            }
            Op::Finish(s) => writable::finish(self, s),
            Op::ErrorBuffer(s) => writable::error_buffer(self, s),
            Op::EmitReadable(s) => readable::emit_readable_(self, s),
            Op::MaybeReadMore(s) => readable::maybe_read_more_(self, s),
            Op::Resume(s) => readable::resume_(self, s),
            Op::EndReadable(s) => readable::end_readable_nt(self, s),
            Op::EndWritable(s) => writable::end(self, s, None, None),
            Op::NReading(s) => readable::read(self, s, Some(0)).map(|_| ()),
            Op::EmitClose(s) => destroy::emit_close_nt(self, s),
            Op::EmitErrorClose(s, e) => {
                destroy::emit_error_nt(self, s, e)?;
                destroy::emit_close_nt(self, s)
            }
            Op::EmitError(s, e) => destroy::emit_error_nt(self, s, e),
            Op::Call(f, arg) => match f {
                Some(f) => self.call(&f, vec![arg]).map(|_| ()),
                None => Ok(()),
            },
            Op::TransformCallback(s) => writable::onwrite(self, s, None),
            Op::EosClosed(e) => pipe::eos_onclosed(self, e),
            Op::EosClose(e) => pipe::eos_onclose(self, e),
            Op::PipelineEndFn(p) => pipe::pipeline_end_fn(self, p),
            Op::PipeEnd(p) => pipe::pipe_onend(self, p),
            Op::PipelineCallback(f, e) => self.call(&f, vec![e]).map(|_| ()),
        }
    }

    /// A script called one of the model's callbacks ([`StreamCallback`]).
    pub fn callback(&mut self, cb: StreamCallback, args: Vec<H::Value>) -> R<H, ()> {
        let mut args = args.into_iter();
        let err = args.next().filter(H::truthy);
        match cb {
            StreamCallback::OnWrite(s) => writable::onwrite(self, s, err),
            StreamCallback::Transform(s) => {
                let val = args.next();
                writable::transform_callback(self, s, err, val)
            }
            StreamCallback::Flush(s) => {
                let val = args.next();
                writable::flush_callback(self, s, err, val)
            }
            StreamCallback::Final(s) => writable::on_finish(self, s, err),
        }
    }
}

/// The `this` a `read`/`write` option sees, and what `pipe` listeners get.
pub fn chunk_len<H: HostTypes>(object_mode: bool, chunk: &H::Value) -> usize {
    if object_mode { 1 } else { H::byte_len(chunk) }
}

/// Stream properties a script reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prop {
    WritableLength,
    WritableHighWaterMark,
    WritableNeedDrain,
    WritableEnded,
    WritableFinished,
    ReadableLength,
    ReadableHighWaterMark,
    ReadableFlowing,
    ReadableEnded,
    Destroyed,
}

/// A property value: a number, a bool, or null.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PropValue {
    Number(usize),
    Bool(bool),
    Null,
}

impl<H: HostTypes> Streams<H> {
    pub fn prop(&self, id: StreamId, prop: Prop) -> Option<PropValue> {
        let s = self.list.get(id.0 as usize)?;
        let r = s.r.as_ref();
        let w = s.w.as_ref();
        Some(match prop {
            Prop::WritableLength => PropValue::Number(w?.length),
            Prop::WritableHighWaterMark => PropValue::Number(w?.hwm),
            Prop::WritableNeedDrain => {
                let w = w?;
                PropValue::Bool(
                    w.flags & (DESTROYED | writable::ENDING | writable::NEED_DRAIN)
                        == writable::NEED_DRAIN,
                )
            }
            Prop::WritableEnded => PropValue::Bool(w?.flags & writable::ENDING != 0),
            Prop::WritableFinished => PropValue::Bool(w?.flags & writable::FINISHED != 0),
            Prop::ReadableLength => PropValue::Number(r?.length),
            Prop::ReadableHighWaterMark => PropValue::Number(r?.hwm),
            Prop::ReadableFlowing => {
                let f = r?.flags;
                if f & readable::HAS_FLOWING == 0 {
                    PropValue::Null
                } else {
                    PropValue::Bool(f & readable::FLOWING != 0)
                }
            }
            Prop::ReadableEnded => PropValue::Bool(r?.flags & readable::END_EMITTED != 0),
            Prop::Destroyed => PropValue::Bool(
                (r.map_or(0, |r| r.flags) | w.map_or(0, |w| w.flags)) & DESTROYED != 0,
            ),
        })
    }

    pub fn class(&self, id: StreamId) -> Option<StreamClass> {
        self.list.get(id.0 as usize).map(|s| s.class)
    }

    /// Total bytes (or objects) held in every stream's buffers.
    pub fn buffered_total(&self) -> usize {
        self.list
            .iter()
            .map(|s| s.r.as_ref().map_or(0, |r| r.length) + s.w.as_ref().map_or(0, |w| w.length))
            .sum()
    }
}

// Re-exported for the emitter's listener type.
pub type StreamListener<F> = Listener<Handler<F>>;
