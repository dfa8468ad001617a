//! How scenario source text is parsed: the few syntax extensions the Scenario
//! API needs on top of plain Rhai, shared by the evaluating engine and the
//! JavaScript renderer so both see the same AST.

use std::cell::Cell;

use rhai::{Engine, Token};

/// The custom-syntax keyword for `await EXPR`.
pub const AWAIT_KEYWORD: &str = "await";

/// Applies the parser settings every scenario engine shares.
///
/// - `catch` after a `.` is turned into an identifier, so `p.catch(g)` parses
///   while `try { } catch (e) { }` keeps its meaning.
/// - `default` and `module` (reserved by Rhai, unused) and `_` are
///   ordinary identifiers.
/// - expression-depth limits are raised: promise chains nest closures deeply,
///   and the operations budget (not the parser) bounds the work.
/// - the optimizer is off: the AST must keep the author's shape for the
///   JavaScript rendering, and constant folding would hide source positions.
pub fn configure_parser(engine: &mut Engine) {
    engine.set_max_expr_depths(512, 512);
    engine.set_optimization_level(rhai::OptimizationLevel::None);
    let previous_was_dot = Cell::new(false);
    #[allow(deprecated)] // `on_parse_token` is volatile, not deprecated.
    engine.on_parse_token(move |token, _pos, _state| {
        let mapped = match &token {
            Token::Catch if previous_was_dot.get() => Token::Identifier(Box::new("catch".into())),
            // Rhai reserves `default` and `module` for the future; lessons
            // use them as field names (`param("n", #{ default: 2, .. })`,
            // `lesson(#{ module: "esm", .. })`).
            Token::Reserved(word) if matches!(word.as_str(), "default" | "module") => {
                Token::Identifier(word.clone())
            }
            // `_` is an ordinary name in JavaScript, typically an unused
            // parameter (`|_, reject| ..`); Rhai reserves it for `switch`
            // defaults, which scenarios cannot use (no JavaScript rendering).
            Token::Underscore => Token::Identifier(Box::new("_".into())),
            _ => token,
        };
        previous_was_dot.set(matches!(mapped, Token::Period | Token::Elvis));
        mapped
    });
}

/// An engine that parses scenarios exactly as the runtime does, with an
/// `await` that can only be compiled, never evaluated. Used by the renderer
/// and by checks that only need the AST.
pub fn parse_only_engine() -> Engine {
    let mut engine = Engine::new_raw();
    configure_parser(&mut engine);
    register_await(&mut engine, |_ctx, _value, _pos| {
        Err("`await` cannot run in a parse-only engine".into())
    });
    engine
}

/// Registers `await EXPR` with the given evaluation hook.
pub fn register_await(
    engine: &mut Engine,
    hook: impl Fn(
        &mut rhai::EvalContext,
        rhai::Dynamic,
        rhai::Position,
    ) -> Result<rhai::Dynamic, Box<rhai::EvalAltResult>>
    + 'static,
) {
    engine
        .register_custom_syntax([AWAIT_KEYWORD, "$expr$"], false, move |ctx, inputs| {
            let pos = inputs[0].position();
            let value = ctx.eval_expression_tree(&inputs[0])?;
            hook(ctx, value, pos)
        })
        .expect("`await $expr$` is valid custom syntax");
}
