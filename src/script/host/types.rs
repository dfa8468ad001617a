//! Rhai values and functions as the model's [`HostTypes`]: what the
//! runtime asks of a script value (is it a promise, a thenable; make an
//! error, an array, a settled record; clone it for another thread; the
//! arguments of an I/O callback; stream chunks).

use rhai::Dynamic;

use crate::runtime::buffer::Alloc;
use crate::runtime::pool::{IoResult, Output};
use crate::runtime::{HostTypes, Promise, Resolvable, Resolver, Shared};
use crate::script::value::inspect;
use crate::script::value::print::no_side_effects_to_string;
use crate::script::value::{
    JsBuffer, JsError, JsFunc, JsPromise, JsStats, Rh, SettledRecord, to_inspect, to_js_string,
};

impl HostTypes for Rh {
    type Value = Dynamic;
    type Func = JsFunc;

    fn undefined() -> Dynamic {
        Dynamic::UNIT
    }

    fn classify(value: &Dynamic) -> Resolvable<Rh> {
        if let Some(p) = value.read_lock::<JsPromise>() {
            return Resolvable::Promise(p.0.clone());
        }
        if value.is_map()
            && let Some(map) = value.read_lock::<rhai::Map>()
            && let Some(then) = map.get("then")
            && let Some(f) = JsFunc::from_dynamic(then)
        {
            return Resolvable::Thenable(f);
        }
        Resolvable::Plain
    }

    fn promise_value(promise: Promise<Rh>) -> Dynamic {
        Dynamic::from(JsPromise(promise))
    }

    fn resolver_value(resolver: Resolver<Rh>) -> Dynamic {
        crate::script::value::resolver_value(resolver)
    }

    fn type_error(message: &str) -> Dynamic {
        Dynamic::from(JsError::new("TypeError", message))
    }

    fn aggregate_error(errors: Vec<Dynamic>) -> Dynamic {
        let mut e = JsError::new("AggregateError", "All promises were rejected");
        e.props.push(("errors".into(), Dynamic::from_array(errors)));
        Dynamic::from(e)
    }

    fn array(items: Vec<Dynamic>) -> Dynamic {
        Dynamic::from_array(items)
    }

    fn settled_record(fulfilled: bool, value: Dynamic) -> Dynamic {
        Dynamic::from(SettledRecord { fulfilled, value })
    }

    fn number(n: f64) -> Dynamic {
        if n.fract() == 0.0 && n.abs() < 9.0e15 {
            Dynamic::from(n as i64)
        } else {
            Dynamic::from(n)
        }
    }

    fn string(s: &str) -> Dynamic {
        Dynamic::from(s.to_string())
    }

    fn clone_value(value: &Dynamic) -> crate::runtime::worker::Cloned {
        // An uncloneable error value (a function...) still reaches the
        // parent, as Node's serializer falls back to its string form.
        crate::script::value::clone::to_cloned(value, &[])
            .unwrap_or_else(|_| crate::runtime::worker::Cloned::Str(to_js_string(value)))
    }

    fn from_cloned(value: crate::runtime::worker::Cloned) -> Dynamic {
        crate::script::value::clone::from_cloned(value)
    }

    fn worker_error(value: crate::runtime::worker::Cloned) -> Dynamic {
        let v = crate::script::value::clone::from_cloned(value);
        if let Some(mut e) = v.read_lock::<JsError>().map(|e| e.clone()) {
            e.emitted_on = Some("Worker");
            return Dynamic::from(e);
        }
        // `emit('error', v)` of a non-Error without a listener throws
        // ERR_UNHANDLED_ERROR (lib/events.js).
        let mut e = JsError::new(
            "Error",
            &format!("Unhandled error. ({})", inspect::inspect(&to_inspect(&v))),
        );
        e.props.push((
            "code".into(),
            Dynamic::from("ERR_UNHANDLED_ERROR".to_string()),
        ));
        e.props.push(("context".into(), v));
        e.emitted_on = Some("Worker");
        Dynamic::from(e)
    }

    fn unhandled_rejection_error(reason: &Dynamic) -> Option<Dynamic> {
        if reason.is::<JsError>() {
            return None;
        }
        let mut e = JsError::new(
            "UnhandledPromiseRejection",
            &format!(
                "This error originated either by throwing inside of an async function without a catch block, or by rejecting a promise which was not handled with .catch(). The promise rejected with the reason \"{}\".",
                no_side_effects_to_string(reason)
            ),
        );
        e.props.push((
            "code".into(),
            Dynamic::from("ERR_UNHANDLED_REJECTION".to_string()),
        ));
        Some(Dynamic::from(e))
    }

    fn chunk_kind(v: &Dynamic) -> crate::runtime::stream::ChunkKind {
        crate::script::value::stream::chunk_kind(v)
    }

    fn byte_len(v: &Dynamic) -> usize {
        crate::script::value::stream::byte_len(v)
    }

    fn to_buffer(rt: &mut crate::runtime::Runtime<Rh>, v: &Dynamic) -> Dynamic {
        crate::script::value::stream::to_buffer(rt, v)
    }

    fn concat(rt: &mut crate::runtime::Runtime<Rh>, parts: Vec<Dynamic>) -> Dynamic {
        crate::script::value::stream::concat(rt, parts)
    }

    fn slice(
        rt: &mut crate::runtime::Runtime<Rh>,
        v: &Dynamic,
        start: usize,
        end: usize,
    ) -> Dynamic {
        crate::script::value::stream::slice(rt, v, start, end)
    }

    fn stream_error(e: crate::runtime::stream::StreamErr, culprit: Option<&Dynamic>) -> Dynamic {
        crate::script::value::stream::stream_error(e, culprit)
    }

    fn error_code(v: &Dynamic) -> Option<String> {
        let e = v.read_lock::<JsError>()?;
        let code = e.get("code");
        code.is_string().then(|| code.to_string())
    }

    fn truthy(v: &Dynamic) -> bool {
        crate::script::value::stream::truthy(v)
    }

    fn null() -> Dynamic {
        null()
    }

    fn stream_value(id: crate::runtime::stream::StreamId) -> Dynamic {
        crate::script::value::JsStream::value(id)
    }

    fn net_value(obj: crate::runtime::net::NetObj) -> Dynamic {
        crate::script::value::net::net_value(obj)
    }

    fn net_error(e: &crate::runtime::net::NetError) -> Dynamic {
        Dynamic::from(crate::script::value::net::net_error(e))
    }

    fn net_chunk(rt: &Shared<Rh>, bytes: &[u8]) -> Dynamic {
        // A socket's read buffer, never the Buffer pool.
        match rt
            .borrow_mut()
            .quietly(|r| r.buffer_with(bytes, Alloc::Own))
        {
            Ok(v) => Dynamic::from(v),
            Err(_) => Dynamic::UNIT,
        }
    }

    fn load_result(r: &crate::runtime::net::load::LoadResult) -> Dynamic {
        crate::script::value::net::load_result(r)
    }

    fn proc_value(obj: crate::runtime::procs::ProcObj) -> Dynamic {
        crate::script::value::procs::proc_value(obj)
    }

    fn from_json(text: &str) -> Dynamic {
        crate::script::value::json::parse(text).unwrap_or(Dynamic::UNIT)
    }

    fn stream_callback(cb: crate::runtime::stream::StreamCallback) -> Dynamic {
        crate::script::value::stream::stream_callback_value(cb)
    }

    fn unhandled_error_event(err: &Dynamic, class: &str) -> Dynamic {
        let class: &'static str = match class {
            "Readable" => "Readable",
            "Writable" => "Writable",
            "Server" => "Server",
            "ClientRequest" => "ClientRequest",
            "ServerResponse" => "ServerResponse",
            _ => "Transform",
        };
        crate::script::value::stream::unhandled_error_event(err, class)
    }

    fn same_func(a: &JsFunc, b: &JsFunc) -> bool {
        a.same(b)
    }

    fn io_args(rt: &Shared<Rh>, result: IoResult) -> Vec<Dynamic> {
        let err = |e: &crate::runtime::fs::FsError| Dynamic::from(JsError::from_fs(e));
        // A result the model's memory caps cannot hold fails as Node's
        // callbacks fail: the error first, no data.
        let data = |r: Result<JsBuffer, _>| match r {
            Ok(b) => vec![null(), Dynamic::from(b)],
            Err(_) => vec![Dynamic::from(
                crate::script::value::buffer::allocation_failed(),
            )],
        };
        match result {
            // ReadFileContext: `Buffer.allocUnsafeSlow(size)`, never pooled.
            IoResult::ReadFile(Ok(bytes)) => data(
                rt.borrow_mut()
                    .quietly(|r| r.buffer_with(&bytes, Alloc::Own)),
            ),
            IoResult::ReadText(Ok(text)) => vec![null(), Dynamic::from(text)],
            IoResult::ReadFile(Err(e))
            | IoResult::ReadText(Err(e))
            | IoResult::WriteFile(Err(e))
            | IoResult::Stat(Err(e)) => {
                vec![err(&e)]
            }
            IoResult::WriteFile(Ok(())) => vec![null()],
            IoResult::Stat(Ok(st)) => vec![null(), Dynamic::from(JsStats(st))],
            // randomBytes: `new FastBuffer(size)`; pbkdf2: a view on the
            // job's ArrayBuffer. Neither is pooled.
            IoResult::Job(Ok(Output::Bytes(b))) => {
                data(rt.borrow_mut().quietly(|r| r.buffer_with(&b, Alloc::Own)))
            }
            IoResult::Zlib { gzip, bytes } => {
                data(crate::script::value::buffer::zlib_result(rt, gzip, &bytes))
            }
            IoResult::Job(Ok(Output::Address { address, family })) => vec![
                null(),
                Dynamic::from(address.to_string()),
                Dynamic::from(family as i64),
            ],
            IoResult::Job(Ok(_)) => vec![null()],
            IoResult::Job(Err(e)) => vec![Dynamic::from(JsError::from_task(&e))],
        }
    }
}

fn null() -> Dynamic {
    Dynamic::from(crate::script::value::JsNull)
}
