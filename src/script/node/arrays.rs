//! JavaScript's arrays: the `length` property, `push` and `unshift` (the
//! new length), `forEach`, `map`, `filter`, `reduce`, `some`, `every`,
//! `find`, `findIndex`, `includes`, `indexOf`, `join`, `slice`, `splice`,
//! `concat`, `reverse`, `at`, `fill`, `flat`, `sort` (by strings without a
//! comparator, as JavaScript), and the `Array` namespace (`Array.isArray`,
//! `Array.from`, `Array.of`).
//!
//! Callbacks get JavaScript's arguments (item, index, array); a closure
//! declares as many as it uses. These replace Rhai's built-ins of the same
//! names (registered on the engine's global namespace, which Rhai searches
//! before its packages). Arrays stay values: a method that changes its
//! array in place (`sort`, `reverse`, `fill`, `splice`) changes the
//! variable, and returns a copy where JavaScript returns the array.

use std::cmp::Ordering;
use std::rc::Rc;

use rhai::{Array, Dynamic, Engine, FnPtr, INT, NativeCallContext};

use super::args::{Res, check_size, not_a_function, range_error, type_error};
use crate::script::host::{Ctx, call_from_script, ctx};
use crate::script::value::lang::{
    relative_index, same_value_zero, strict_equals, to_integer, to_number, truthy,
};
use crate::script::value::{JsFunc, JsNull, to_js_string};

/// `Array`.
#[derive(Clone)]
pub struct ArrayNs;

/// A script callback with the number of arguments it declares (an array
/// is copied for a callback only when it takes the third argument).
struct Callback {
    f: JsFunc,
    wants: usize,
    ctx: Rc<Ctx>,
}

impl Callback {
    fn new(f: FnPtr) -> Res<Callback> {
        let ctx = ctx()?;
        let f = JsFunc::from_dynamic(&Dynamic::from(f))
            .ok_or_else(|| type_error("not a function", rhai::Position::NONE))?;
        let wants = match &f {
            JsFunc::Closure(p) | JsFunc::Async(p) => ctx.arity(p).unwrap_or(4),
            JsFunc::Resolver(_) => 1,
        };
        Ok(Callback { f, wants, ctx })
    }

    fn call(&self, args: Vec<Dynamic>) -> Res<Dynamic> {
        call_from_script(&self.ctx, &self.f, args)
    }

    /// `f(item, index, array)`, after the leading arguments of `reduce`.
    fn call_item(
        &self,
        lead: Option<Dynamic>,
        item: &Dynamic,
        i: usize,
        arr: &Array,
    ) -> Res<Dynamic> {
        let mut args: Vec<Dynamic> = lead.into_iter().collect();
        let skip = args.len();
        args.push(item.clone());
        if self.wants > skip + 1 {
            args.push(Dynamic::from_int(i as INT));
        }
        if self.wants > skip + 2 {
            args.push(Dynamic::from_array(arr.clone()));
        }
        self.call(args)
    }
}

fn len_value(n: usize) -> INT {
    n as INT
}

/// Registers `name(f)` with a function (`run`) and with anything else
/// (JavaScript's "x is not a function").
fn with_callback<T: rhai::Variant + Clone>(
    engine: &mut Engine,
    name: &'static str,
    run: fn(&mut Array, &Callback) -> Res<T>,
) {
    engine.register_fn(name, move |a: &mut Array, f: FnPtr| -> Res<T> {
        run(a, &Callback::new(f)?)
    });
    engine.register_fn(
        name,
        move |c: NativeCallContext, _a: &mut Array, f: Dynamic| -> Res<T> {
            Err(not_a_function(&f, c.call_position()))
        },
    );
    // Rhai's own take a function's name as a string.
    engine.register_fn(
        name,
        move |c: NativeCallContext, _a: &mut Array, f: rhai::ImmutableString| -> Res<T> {
            Err(not_a_function(&Dynamic::from(f), c.call_position()))
        },
    );
}

fn index_of(a: &Array, x: &Dynamic, from: Option<&Dynamic>) -> INT {
    let len = a.len();
    let start = match from {
        None => 0,
        Some(v) => {
            let n = to_integer(v);
            if n >= len as f64 {
                return -1;
            }
            relative_index(Some(v), len, 0)
        }
    };
    a.iter()
        .enumerate()
        .skip(start)
        .find(|(_, v)| strict_equals(v, x))
        .map_or(-1, |(i, _)| i as INT)
}

fn last_index_of(a: &Array, x: &Dynamic, from: Option<&Dynamic>) -> INT {
    let len = a.len() as f64;
    let start = match from {
        None => len - 1.0,
        Some(v) => {
            let n = to_integer(v);
            if n < 0.0 { len + n } else { n.min(len - 1.0) }
        }
    };
    if start < 0.0 {
        return -1;
    }
    (0..=start as usize)
        .rev()
        .find(|&i| strict_equals(&a[i], x))
        .map_or(-1, |i| i as INT)
}

fn includes(a: &Array, x: &Dynamic, from: Option<&Dynamic>) -> bool {
    let len = a.len();
    let start = match from {
        Some(v) if to_integer(v) >= len as f64 => return false,
        v => relative_index(v, len, 0),
    };
    a.iter().skip(start).any(|v| same_value_zero(v, x))
}

/// `join`: `undefined` and `null` are empty strings.
fn join(a: &Array, sep: Option<&Dynamic>) -> String {
    let sep = match sep {
        Some(s) if !s.is_unit() => to_js_string(s),
        _ => ",".to_string(),
    };
    crate::script::value::print::join_items(a, &sep)
}

fn slice(a: &Array, start: Option<&Dynamic>, end: Option<&Dynamic>) -> Array {
    let len = a.len();
    let s = relative_index(start, len, 0);
    let e = relative_index(end, len, len);
    if s >= e {
        return Array::new();
    }
    a[s..e].to_vec()
}

fn concat(a: &Array, rest: &[Dynamic]) -> Array {
    let mut out = a.clone();
    for v in rest {
        match v.read_lock::<Array>() {
            Some(items) => out.extend(items.iter().cloned()),
            None => out.push(v.clone()),
        }
    }
    out
}

fn at(a: &Array, i: &Dynamic) -> Dynamic {
    let n = to_integer(i);
    let k = if n < 0.0 { a.len() as f64 + n } else { n };
    if k < 0.0 || k >= a.len() as f64 {
        return Dynamic::UNIT;
    }
    a[k as usize].clone()
}

fn fill(a: &mut Array, v: Dynamic, start: Option<&Dynamic>, end: Option<&Dynamic>) -> Array {
    let len = a.len();
    let s = relative_index(start, len, 0);
    let e = relative_index(end, len, len);
    for item in a.iter_mut().take(e).skip(s) {
        *item = v.clone();
    }
    a.clone()
}

fn flat_into(out: &mut Array, a: &Array, depth: f64) {
    for v in a {
        if depth >= 1.0
            && let Some(inner) = v.read_lock::<Array>()
        {
            flat_into(out, &inner, depth - 1.0);
            continue;
        }
        out.push(v.clone());
    }
}

fn flat(a: &Array, depth: Option<&Dynamic>) -> Array {
    let depth = match depth {
        Some(d) if !d.is_unit() => to_integer(d),
        _ => 1.0,
    };
    let mut out = Array::new();
    flat_into(&mut out, a, depth);
    out
}

/// `splice(start, deleteCount, ...items)`: changes the array, returns the
/// removed items.
fn splice(a: &mut Array, args: &[Dynamic]) -> Array {
    let len = a.len();
    let start = relative_index(args.first(), len, 0);
    let count = match args.len() {
        0 => 0,
        1 => len - start,
        _ => (to_integer(&args[1]).max(0.0) as usize).min(len - start),
    };
    let items = args.iter().skip(2).cloned();
    a.splice(start..start + count, items).collect()
}

/// A stable merge sort whose comparison may fail (a script comparator can
/// throw) or be inconsistent (it may say anything; the result is then
/// some order of the items, as in JavaScript).
fn merge_sort<T: Clone>(
    items: Vec<T>,
    greater: &mut dyn FnMut(&T, &T) -> Res<bool>,
) -> Res<Vec<T>> {
    if items.len() <= 1 {
        return Ok(items);
    }
    let mut items = items;
    let right = items.split_off(items.len() / 2);
    let left = merge_sort(items, greater)?;
    let right = merge_sort(right, greater)?;
    let mut out = Vec::with_capacity(left.len() + right.len());
    let (mut l, mut r) = (left.into_iter().peekable(), right.into_iter().peekable());
    while let (Some(x), Some(y)) = (l.peek(), r.peek()) {
        if greater(x, y)? {
            out.extend(r.next());
        } else {
            out.extend(l.next());
        }
    }
    out.extend(l);
    out.extend(r);
    Ok(out)
}

/// `sort()`: by the items' strings in UTF-16 order; `sort(f)`: by the sign
/// of `f(a, b)`. `undefined` goes last either way, never compared.
fn sort(a: &mut Array, cmp: Option<&Callback>) -> Res<Array> {
    let (items, undefined): (Vec<Dynamic>, Vec<Dynamic>) =
        std::mem::take(a).into_iter().partition(|v| !v.is_unit());
    let sorted = match cmp {
        None => {
            let keyed: Vec<(Vec<u16>, Dynamic)> = items
                .into_iter()
                .map(|v| (to_js_string(&v).encode_utf16().collect(), v))
                .collect();
            merge_sort(keyed, &mut |x, y| Ok(x.0.cmp(&y.0) == Ordering::Greater))?
                .into_iter()
                .map(|(_, v)| v)
                .collect()
        }
        Some(f) => merge_sort(items, &mut |x, y| {
            let r = f.call(vec![x.clone(), y.clone()])?;
            Ok(to_number(&r) > 0.0)
        })?,
    };
    *a = sorted;
    a.extend(undefined);
    Ok(a.clone())
}

fn find_index(a: &mut Array, f: &Callback, last: bool) -> Res<Option<usize>> {
    let snapshot = a.clone();
    let order: Box<dyn Iterator<Item = usize>> = if last {
        Box::new((0..snapshot.len()).rev())
    } else {
        Box::new(0..snapshot.len())
    };
    for i in order {
        if truthy(&f.call_item(None, &snapshot[i], i, &snapshot)?) {
            return Ok(Some(i));
        }
    }
    Ok(None)
}

fn reduce(a: &mut Array, f: &Callback, init: Option<Dynamic>, right: bool) -> Res<Dynamic> {
    let snapshot = a.clone();
    let mut order: Vec<usize> = (0..snapshot.len()).collect();
    if right {
        order.reverse();
    }
    let mut order = order.into_iter();
    let mut acc = match init {
        Some(v) => v,
        None => match order.next() {
            Some(i) => snapshot[i].clone(),
            None => {
                return Err(type_error(
                    "Reduce of empty array with no initial value",
                    rhai::Position::NONE,
                ));
            }
        },
    };
    for i in order {
        acc = f.call_item(Some(acc), &snapshot[i], i, &snapshot)?;
    }
    Ok(acc)
}

/// `Array.from(v)`: an array's copy, a string's characters (code points),
/// `#{ length: n }`'s n items; `Array.from(v, f)` maps them with `f(x, i)`.
fn array_from(c: &NativeCallContext, v: &Dynamic, f: Option<&Callback>) -> Res<Array> {
    let items: Array = if let Some(a) = v.read_lock::<Array>() {
        a.clone()
    } else if v.is_string() {
        to_js_string(v)
            .chars()
            .map(|ch| Dynamic::from(ch.to_string()))
            .collect()
    } else if let Some(m) = v.read_lock::<rhai::Map>() {
        let n = m.get("length").map_or(0.0, to_integer).max(0.0);
        check_size(c, n, true)?;
        (0..n as usize)
            .map(|i| {
                m.get(i.to_string().as_str())
                    .cloned()
                    .unwrap_or(Dynamic::UNIT)
            })
            .collect()
    } else if v.is_unit() || v.is::<JsNull>() {
        return Err(type_error(
            format!(
                "{} is not iterable (cannot read property Symbol(Symbol.iterator))",
                to_js_string(v)
            ),
            c.call_position(),
        ));
    } else {
        Array::new()
    };
    match f {
        None => Ok(items),
        Some(f) => {
            let mut out = Array::with_capacity(items.len());
            for (i, x) in items.iter().enumerate() {
                let mut args = vec![x.clone()];
                if f.wants > 1 {
                    args.push(Dynamic::from_int(i as INT));
                }
                out.push(f.call(args)?);
            }
            Ok(out)
        }
    }
}

pub fn register(engine: &mut Engine) {
    engine.register_type_with_name::<ArrayNs>("ArrayConstructor");
    engine.register_get("length", |a: &mut Array| len_value(a.len()));
    // `undefined.length`, `null.length`: JavaScript's TypeError, catchable
    // (an uncaught read of any other property says the same: host/errors.rs).
    engine.register_get("length", |c: NativeCallContext, _u: &mut ()| -> Res<INT> {
        Err(type_error(
            "Cannot read properties of undefined (reading 'length')",
            c.call_position(),
        ))
    });
    engine.register_get(
        "length",
        |c: NativeCallContext, _n: &mut JsNull| -> Res<INT> {
            Err(type_error(
                "Cannot read properties of null (reading 'length')",
                c.call_position(),
            ))
        },
    );
    engine.register_set(
        "length",
        |c: NativeCallContext, a: &mut Array, n: Dynamic| -> Res<()> {
            let n = to_number(&n);
            if !(n >= 0.0 && n.fract() == 0.0 && n < 4_294_967_296.0) {
                return Err(range_error("Invalid array length", c.call_position()));
            }
            check_size(&c, n, true)?;
            a.resize(n as usize, Dynamic::UNIT);
            Ok(())
        },
    );

    // push and unshift give the new length.
    engine.register_fn("push", |a: &mut Array, x: Dynamic| {
        a.push(x);
        len_value(a.len())
    });
    engine.register_fn("push", |a: &mut Array, x: Dynamic, y: Dynamic| {
        a.extend([x, y]);
        len_value(a.len())
    });
    engine.register_fn(
        "push",
        |a: &mut Array, x: Dynamic, y: Dynamic, z: Dynamic| {
            a.extend([x, y, z]);
            len_value(a.len())
        },
    );
    engine.register_fn(
        "push",
        |a: &mut Array, x: Dynamic, y: Dynamic, z: Dynamic, w: Dynamic| {
            a.extend([x, y, z, w]);
            len_value(a.len())
        },
    );
    engine.register_fn("unshift", |a: &mut Array, x: Dynamic| {
        a.insert(0, x);
        len_value(a.len())
    });
    engine.register_fn("unshift", |a: &mut Array, x: Dynamic, y: Dynamic| {
        a.splice(0..0, [x, y]);
        len_value(a.len())
    });
    engine.register_fn(
        "unshift",
        |a: &mut Array, x: Dynamic, y: Dynamic, z: Dynamic| {
            a.splice(0..0, [x, y, z]);
            len_value(a.len())
        },
    );

    // The callbacks: (item, index, array).
    with_callback(engine, "forEach", |a, f| {
        let snapshot = a.clone();
        for (i, x) in snapshot.iter().enumerate() {
            let _ = f.call_item(None, x, i, &snapshot)?;
        }
        Ok(())
    });
    with_callback(engine, "map", |a, f| {
        let snapshot = a.clone();
        let mut out = Array::with_capacity(snapshot.len());
        for (i, x) in snapshot.iter().enumerate() {
            out.push(f.call_item(None, x, i, &snapshot)?);
        }
        Ok(out)
    });
    with_callback(engine, "flatMap", |a, f| {
        let snapshot = a.clone();
        let mut out = Array::with_capacity(snapshot.len());
        for (i, x) in snapshot.iter().enumerate() {
            out.push(f.call_item(None, x, i, &snapshot)?);
        }
        Ok(flat(&out, None))
    });
    with_callback(engine, "filter", |a, f| {
        let snapshot = a.clone();
        let mut out = Array::new();
        for (i, x) in snapshot.iter().enumerate() {
            if truthy(&f.call_item(None, x, i, &snapshot)?) {
                out.push(x.clone());
            }
        }
        Ok(out)
    });
    with_callback(
        engine,
        "some",
        |a, f| Ok(find_index(a, f, false)?.is_some()),
    );
    with_callback(engine, "every", |a, f| {
        let snapshot = a.clone();
        for (i, x) in snapshot.iter().enumerate() {
            if !truthy(&f.call_item(None, x, i, &snapshot)?) {
                return Ok(false);
            }
        }
        Ok(true)
    });
    with_callback(engine, "find", |a, f| {
        Ok(find_index(a, f, false)?.map_or(Dynamic::UNIT, |i| a[i].clone()))
    });
    with_callback(engine, "findLast", |a, f| {
        Ok(find_index(a, f, true)?.map_or(Dynamic::UNIT, |i| a[i].clone()))
    });
    with_callback(engine, "findIndex", |a, f| {
        Ok(find_index(a, f, false)?.map_or(-1, |i| i as INT))
    });
    with_callback(engine, "findLastIndex", |a, f| {
        Ok(find_index(a, f, true)?.map_or(-1, |i| i as INT))
    });
    with_callback(engine, "reduce", |a, f| reduce(a, f, None, false));
    with_callback(engine, "reduceRight", |a, f| reduce(a, f, None, true));
    engine.register_fn(
        "reduce",
        |a: &mut Array, f: FnPtr, init: Dynamic| -> Res<Dynamic> {
            reduce(a, &Callback::new(f)?, Some(init), false)
        },
    );
    engine.register_fn(
        "reduceRight",
        |a: &mut Array, f: FnPtr, init: Dynamic| -> Res<Dynamic> {
            reduce(a, &Callback::new(f)?, Some(init), true)
        },
    );

    // sort: by strings, or by a comparator's sign.
    engine.register_fn("sort", |a: &mut Array| sort(a, None));
    engine.register_fn("sort", |a: &mut Array, f: FnPtr| -> Res<Array> {
        sort(a, Some(&Callback::new(f)?))
    });
    engine.register_fn(
        "sort",
        |c: NativeCallContext, _a: &mut Array, _f: rhai::ImmutableString| -> Res<Array> {
            Err(type_error(
                "The comparison function must be either a function or undefined",
                c.call_position(),
            ))
        },
    );
    engine.register_fn(
        "sort",
        |c: NativeCallContext, a: &mut Array, f: Dynamic| -> Res<Array> {
            if f.is_unit() {
                return sort(a, None);
            }
            Err(type_error(
                "The comparison function must be either a function or undefined",
                c.call_position(),
            ))
        },
    );

    // Searching.
    engine.register_fn("includes", |a: &mut Array, x: Dynamic| {
        includes(a, &x, None)
    });
    engine.register_fn("includes", |a: &mut Array, x: Dynamic, from: Dynamic| {
        includes(a, &x, Some(&from))
    });
    engine.register_fn("indexOf", |a: &mut Array, x: Dynamic| index_of(a, &x, None));
    engine.register_fn("indexOf", |a: &mut Array, x: Dynamic, from: Dynamic| {
        index_of(a, &x, Some(&from))
    });
    engine.register_fn("lastIndexOf", |a: &mut Array, x: Dynamic| {
        last_index_of(a, &x, None)
    });
    engine.register_fn("lastIndexOf", |a: &mut Array, x: Dynamic, from: Dynamic| {
        last_index_of(a, &x, Some(&from))
    });
    engine.register_fn("at", |a: &mut Array, i: Dynamic| at(a, &i));

    // Copies and joins.
    engine.register_fn("join", |a: &mut Array| join(a, None));
    engine.register_fn("join", |a: &mut Array, sep: Dynamic| join(a, Some(&sep)));
    engine.register_fn("toString", |a: &mut Array| join(a, None));
    engine.register_fn("slice", |a: &mut Array| a.clone());
    engine.register_fn("slice", |a: &mut Array, s: Dynamic| {
        slice(a, Some(&s), None)
    });
    engine.register_fn("slice", |a: &mut Array, s: Dynamic, e: Dynamic| {
        slice(a, Some(&s), Some(&e))
    });
    engine.register_fn("concat", |a: &mut Array| a.clone());
    engine.register_fn("concat", |a: &mut Array, x: Dynamic| concat(a, &[x]));
    engine.register_fn("concat", |a: &mut Array, x: Dynamic, y: Dynamic| {
        concat(a, &[x, y])
    });
    engine.register_fn(
        "concat",
        |a: &mut Array, x: Dynamic, y: Dynamic, z: Dynamic| concat(a, &[x, y, z]),
    );
    engine.register_fn("flat", |a: &mut Array| flat(a, None));
    engine.register_fn("flat", |a: &mut Array, d: Dynamic| flat(a, Some(&d)));

    // In place, returning a copy of the result.
    engine.register_fn("reverse", |a: &mut Array| {
        a.reverse();
        a.clone()
    });
    engine.register_fn("fill", |a: &mut Array, v: Dynamic| fill(a, v, None, None));
    engine.register_fn("fill", |a: &mut Array, v: Dynamic, s: Dynamic| {
        fill(a, v, Some(&s), None)
    });
    engine.register_fn(
        "fill",
        |a: &mut Array, v: Dynamic, s: Dynamic, e: Dynamic| fill(a, v, Some(&s), Some(&e)),
    );
    engine.register_fn("splice", |a: &mut Array, s: Dynamic| splice(a, &[s]));
    engine.register_fn("splice", |a: &mut Array, s: Dynamic, n: Dynamic| {
        splice(a, &[s, n])
    });
    engine.register_fn(
        "splice",
        |a: &mut Array, s: Dynamic, n: Dynamic, x: Dynamic| splice(a, &[s, n, x]),
    );
    // Rhai's own `splice(start, len, array)` has these exact types.
    engine.register_fn("splice", |a: &mut Array, s: INT, n: INT, x: Array| {
        splice(
            a,
            &[
                Dynamic::from_int(s),
                Dynamic::from_int(n),
                Dynamic::from_array(x),
            ],
        )
    });
    engine.register_fn(
        "splice",
        |a: &mut Array, s: Dynamic, n: Dynamic, x: Dynamic, y: Dynamic| splice(a, &[s, n, x, y]),
    );

    // Array.isArray, Array.from, Array.of.
    engine.register_fn("isArray", |_n: &mut ArrayNs, v: Dynamic| v.is_array());
    engine.register_fn(
        "from",
        |c: NativeCallContext, _n: &mut ArrayNs, v: Dynamic| array_from(&c, &v, None),
    );
    engine.register_fn(
        "from",
        |c: NativeCallContext, _n: &mut ArrayNs, v: Dynamic, f: FnPtr| {
            array_from(&c, &v, Some(&Callback::new(f)?))
        },
    );
    engine.register_fn("of", |_n: &mut ArrayNs| Array::new());
    engine.register_fn("of", |_n: &mut ArrayNs, x: Dynamic| vec![x]);
    engine.register_fn("of", |_n: &mut ArrayNs, x: Dynamic, y: Dynamic| vec![x, y]);
    engine.register_fn(
        "of",
        |_n: &mut ArrayNs, x: Dynamic, y: Dynamic, z: Dynamic| vec![x, y, z],
    );
}
