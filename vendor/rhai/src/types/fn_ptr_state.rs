//! _(internals)_ Calling a function pointer with evaluation state the caller keeps
//! (a workbench performance patch; see `vendor/README.md`).
//!
//! [`FnPtr::call`] builds a new [`GlobalRuntimeState`], an empty [`Caches`] and an
//! empty [`Scope`] for every call, and the script function clones that state once
//! more on entry. A host that calls a million callbacks pays for all of it each
//! time. [`FnPtr::call_with_state`] does the same call on state the caller owns
//! and reuses.

#![cfg(feature = "internals")]
#![cfg(not(feature = "no_function"))]

use crate::eval::{Caches, GlobalRuntimeState};
use crate::{Dynamic, Engine, FnArgsVec, FnPtr, NativeCallContext, Position, RhaiResult, Scope};
#[cfg(feature = "no_std")]
use std::prelude::v1::*;

impl FnPtr {
    /// _(internals)_ Call the function pointer as [`FnPtr::call`] does (or, with `this_ptr`,
    /// as [`FnPtr::call_as_method`] does), on evaluation state owned by the caller.
    /// Exported under the `internals` feature only.
    ///
    /// `global` must be as [`Engine::new_global_runtime_state`] makes it, with the
    /// [`AST`][crate::AST]'s function library pushed onto `lib` (what [`FnPtr::call`] does
    /// with its own); its `num_operations` counts this call's operations, so reset it
    /// between calls to get [`FnPtr::call`]'s per-call operations budget. `caches` may be
    /// kept across calls with the same [`Engine`] and library. `scope` must be empty; it
    /// is left empty.
    ///
    /// The result is flattened, as [`FnPtr::call`]`::<Dynamic>` returns it.
    ///
    /// # WARNING - Low Level API
    ///
    /// This function is very low level. The arguments are consumed.
    pub fn call_with_state(
        &self,
        engine: &Engine,
        global: &mut GlobalRuntimeState,
        caches: &mut Caches,
        scope: &mut Scope,
        this_ptr: Option<&mut Dynamic>,
        mut arg_values: impl AsMut<[Dynamic]>,
    ) -> RhaiResult {
        let arg_values = arg_values.as_mut();
        let num_args = self.curry().len() + arg_values.len();

        let linked = self
            .typ
            .get_linked_script(global, num_args)
            .map(|(fn_def, env)| (fn_def.clone(), env.cloned()));

        let result = match linked {
            // A linked script function: `FnPtr::call` hands `call_script_fn` a shared
            // reference to a fresh state, which it clones one level up. Running on
            // `global` one level up is the same.
            Some((fn_def, env)) => {
                let mut args_data: FnArgsVec<Dynamic>;
                let values: &mut [Dynamic] = if self.is_curried() {
                    args_data = self
                        .curry()
                        .iter()
                        .cloned()
                        .chain(arg_values.iter_mut().map(std::mem::take))
                        .collect();
                    &mut args_data
                } else {
                    arg_values
                };
                let args = &mut values.iter_mut().collect::<FnArgsVec<_>>();

                global.level += 1;
                let result = engine.call_script_fn(
                    global.into(),
                    caches,
                    scope,
                    this_ptr,
                    env.as_deref(),
                    &fn_def,
                    args,
                    true,
                    Position::NONE,
                );
                global.level -= 1;
                result
            }
            // Anything else: exactly `FnPtr::call`, with a context on `global`.
            None => {
                let ctx = NativeCallContext::from((
                    engine,
                    self.fn_name(),
                    None,
                    &*global,
                    Position::NONE,
                ));
                self._call_raw(&ctx, scope, this_ptr, arg_values)
            }
        };

        result.map(Dynamic::flatten)
    }
}
