//! `console.log`, `console.info` (stdout), `console.error`,
//! `console.warn` (stderr): arguments formatted as Node's `util.format`
//! does (`value::inspect`).

use rhai::{Dynamic, Engine, NativeCallContext};

use super::args::{Res, budget, ctx_of, guard};
use crate::script::value::inspect;
use crate::script::value::to_inspect;
use crate::trace::Stream;

/// The `console` object.
#[derive(Clone)]
pub struct Console;

fn console_write(ctx: &NativeCallContext, stream: Stream, args: Vec<Dynamic>) -> Res<()> {
    guard(ctx, "console")?;
    let c = ctx_of(ctx)?;
    let items: Vec<_> = args.iter().map(to_inspect).collect();
    let text = inspect::format_args(&items);
    c.rt.borrow_mut().console(stream, &text);
    budget(&c, ctx.call_position())
}

/// Registers a method taking 0 to 8 arguments (JS functions are variadic,
/// Rhai functions have fixed arity). `$body` must not capture anything.
macro_rules! register_variadic {
    ($engine:expr, $ty:ty, $name:expr, $body:expr) => {{
        let f = $body;
        register_variadic!(@one $engine, $ty, $name, f;);
        register_variadic!(@one $engine, $ty, $name, f; a);
        register_variadic!(@one $engine, $ty, $name, f; a, b);
        register_variadic!(@one $engine, $ty, $name, f; a, b, d);
        register_variadic!(@one $engine, $ty, $name, f; a, b, d, e);
        register_variadic!(@one $engine, $ty, $name, f; a, b, d, e, g);
        register_variadic!(@one $engine, $ty, $name, f; a, b, d, e, g, h);
        register_variadic!(@one $engine, $ty, $name, f; a, b, d, e, g, h, i);
        register_variadic!(@one $engine, $ty, $name, f; a, b, d, e, g, h, i, j);
    }};
    (@one $engine:expr, $ty:ty, $name:expr, $f:ident; $($arg:ident),*) => {
        $engine.register_fn(
            $name,
            move |c: NativeCallContext, _t: &mut $ty $(, $arg: Dynamic)*| $f(&c, vec![$($arg),*]),
        );
    };
}

pub fn register(engine: &mut Engine) {
    engine.register_type_with_name::<Console>("Console");
    register_variadic!(engine, Console, "log", |c: &NativeCallContext, args| {
        console_write(c, Stream::Stdout, args)
    });
    register_variadic!(engine, Console, "info", |c: &NativeCallContext, args| {
        console_write(c, Stream::Stdout, args)
    });
    register_variadic!(engine, Console, "error", |c: &NativeCallContext, args| {
        console_write(c, Stream::Stderr, args)
    });
    register_variadic!(engine, Console, "warn", |c: &NativeCallContext, args| {
        console_write(c, Stream::Stderr, args)
    });
}
