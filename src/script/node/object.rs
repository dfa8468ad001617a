//! `Object.keys`, `Object.values`, `Object.entries`, `Object.assign`,
//! `Object.fromEntries` and `Object.hasOwn`, in JavaScript's key order
//! (integer keys ascending, then insertion order). An array's or a
//! string's keys are its indexes.
//!
//! A script's objects are values: `Object.assign(target, ..)` returns the
//! merged object and cannot change `target` itself (JavaScript changes
//! it): write `target = Object.assign(target, ..)`. The renderer rejects
//! an `Object.assign` whose result is left unused.

use rhai::{Array, Dynamic, Engine, Map, NativeCallContext};

use super::args::{Res, type_error};
use crate::script::value::lang::ordered_keys;
use crate::script::value::{JsNull, to_js_string};

/// `Object`.
#[derive(Clone)]
pub struct ObjectNs;

/// A value's own enumerable (key, value) pairs, in JavaScript's order.
fn entries(c: &NativeCallContext, v: &Dynamic) -> Res<Vec<(String, Dynamic)>> {
    if v.is_unit() || v.is::<JsNull>() {
        return Err(type_error(
            "Cannot convert undefined or null to object",
            c.call_position(),
        ));
    }
    if let Some(m) = v.read_lock::<Map>() {
        return Ok(ordered_keys(&m)
            .into_iter()
            .map(|k| {
                let value = m.get(k.as_str()).cloned().unwrap_or(Dynamic::UNIT);
                (k, value)
            })
            .collect());
    }
    // `cluster.workers`: the workers by id.
    if let Some(w) = v.read_lock::<crate::script::value::procs::JsWorkers>() {
        return Ok(w
            .0
            .iter()
            .map(|&(id, idx)| {
                let worker = crate::script::value::procs::JsClusterWorker(idx);
                (id.to_string(), Dynamic::from(worker))
            })
            .collect());
    }
    if let Some(a) = v.read_lock::<Array>() {
        return Ok(a
            .iter()
            .enumerate()
            .map(|(i, x)| (i.to_string(), x.clone()))
            .collect());
    }
    // An error's own enumerable properties (`code`, `errno`...; its
    // `message` and `stack` are not enumerable).
    if let Some(e) = v.read_lock::<crate::script::value::JsError>() {
        return Ok(e.props.clone());
    }
    if v.is_string() {
        return Ok(to_js_string(v)
            .encode_utf16()
            .enumerate()
            .map(|(i, u)| (i.to_string(), Dynamic::from(String::from_utf16_lossy(&[u]))))
            .collect());
    }
    Ok(Vec::new())
}

fn assign(c: &NativeCallContext, target: Dynamic, sources: &[Dynamic]) -> Res<Dynamic> {
    let Some(mut out) = target.read_lock::<Map>().map(|m| m.clone()) else {
        if target.is_unit() || target.is::<JsNull>() {
            return Err(type_error(
                "Cannot convert undefined or null to object",
                c.call_position(),
            ));
        }
        return Ok(target);
    };
    for s in sources {
        if s.is_unit() || s.is::<JsNull>() {
            continue;
        }
        for (k, v) in entries(c, s)? {
            out.insert(k.into(), v);
        }
    }
    Ok(Dynamic::from_map(out))
}

pub fn register(engine: &mut Engine) {
    engine.register_type_with_name::<ObjectNs>("ObjectConstructor");
    engine.register_fn(
        "keys",
        |c: NativeCallContext, _o: &mut ObjectNs, v: Dynamic| -> Res<Array> {
            Ok(entries(&c, &v)?
                .into_iter()
                .map(|(k, _)| Dynamic::from(k))
                .collect())
        },
    );
    engine.register_fn(
        "values",
        |c: NativeCallContext, _o: &mut ObjectNs, v: Dynamic| -> Res<Array> {
            Ok(entries(&c, &v)?.into_iter().map(|(_, v)| v).collect())
        },
    );
    engine.register_fn(
        "entries",
        |c: NativeCallContext, _o: &mut ObjectNs, v: Dynamic| -> Res<Array> {
            Ok(entries(&c, &v)?
                .into_iter()
                .map(|(k, v)| Dynamic::from_array(vec![Dynamic::from(k), v]))
                .collect())
        },
    );
    engine.register_fn(
        "fromEntries",
        |c: NativeCallContext, _o: &mut ObjectNs, v: Dynamic| -> Res<Map> {
            let Some(list) = v.read_lock::<Array>().map(|a| a.clone()) else {
                return Err(type_error(
                    format!("{} is not iterable", to_js_string(&v)),
                    c.call_position(),
                ));
            };
            let mut out = Map::new();
            for pair in list {
                let Some(pair) = pair.read_lock::<Array>().map(|a| a.clone()) else {
                    return Err(type_error(
                        format!(
                            "Iterator value {} is not an entry object",
                            to_js_string(&pair)
                        ),
                        c.call_position(),
                    ));
                };
                let key = pair.first().map_or("undefined".into(), to_js_string);
                out.insert(key.into(), pair.get(1).cloned().unwrap_or(Dynamic::UNIT));
            }
            Ok(out)
        },
    );
    engine.register_fn(
        "hasOwn",
        |c: NativeCallContext, _o: &mut ObjectNs, v: Dynamic, k: Dynamic| -> Res<bool> {
            let key = to_js_string(&k);
            Ok(entries(&c, &v)?.iter().any(|(name, _)| *name == key))
        },
    );
    engine.register_fn(
        "assign",
        |c: NativeCallContext, _o: &mut ObjectNs, t: Dynamic| assign(&c, t, &[]),
    );
    engine.register_fn(
        "assign",
        |c: NativeCallContext, _o: &mut ObjectNs, t: Dynamic, a: Dynamic| assign(&c, t, &[a]),
    );
    engine.register_fn(
        "assign",
        |c: NativeCallContext, _o: &mut ObjectNs, t: Dynamic, a: Dynamic, b: Dynamic| {
            assign(&c, t, &[a, b])
        },
    );
    engine.register_fn(
        "assign",
        |c: NativeCallContext,
         _o: &mut ObjectNs,
         t: Dynamic,
         a: Dynamic,
         b: Dynamic,
         d: Dynamic| { assign(&c, t, &[a, b, d]) },
    );
}
