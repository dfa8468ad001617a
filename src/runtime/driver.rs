//! The driver: Node's process timeline and libuv's `uv_run`, calling into
//! the host for every script callback. No borrow of the runtime is held
//! while script code runs, so script functions can schedule freely.

use super::eld::UvTimerRef;
use super::pool::Completion;
use super::promise::{Handler, ThenTarget};
use super::{
    Abrupt, HostTypes, Invoke, IoTarget, Job, ModuleKind, Origin, ProcessEvent, Promise, Shared,
    Site, Stop, Tick,
};
use crate::trace::{BudgetKind, CallbackKind, CbId, Kind, Phase, RaceKind, SplitU64, Stream};

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOutcome {
    pub exit_code: i32,
    /// A script error or budget that stopped the run (already on stderr).
    pub fatal: Option<super::Fatal>,
    /// The signal whose default action ended the process.
    pub signal: Option<i32>,
}

pub(super) type Step = Result<(), Stop>;

/// Exit code for an exceeded budget.
pub const EXIT_BUDGET: i32 = 3;

/// How evaluating the main script ended (when it did not throw).
pub enum Evaluated<H: HostTypes> {
    /// It ran to its end.
    Done,
    /// An ES module with top-level `await` (an "async module"): the promise
    /// of its body, which settles when the body finishes or throws.
    Async(Promise<H>),
}

/// The main script, kept until the ESM loader has read it.
type Entry<'a, H, I> =
    Box<dyn FnOnce(&mut I) -> Result<Evaluated<H>, Abrupt<<H as HostTypes>::Value>> + 'a>;

/// Runs a whole process: the main script (`main`), then the event loop,
/// `beforeExit` and `exit`, recording everything in the trace.
pub fn run<H: HostTypes, I: Invoke<H>>(
    rt: &Shared<H>,
    host: &mut I,
    main: impl FnOnce(&mut I) -> Result<(), Abrupt<H::Value>>,
) -> RunOutcome {
    run_entry(rt, host, |host| main(host).map(|()| Evaluated::Done))
}

/// As [`run`], for a main script that may suspend at top-level `await`
/// (an ES module). Under [`ModuleKind::Cjs`] the main script runs at
/// startup; under [`ModuleKind::Esm`] it runs when the ESM loader has read
/// it, as a promise job in the poll phase.
pub fn run_entry<H: HostTypes, I: Invoke<H>>(
    rt: &Shared<H>,
    host: &mut I,
    main: impl FnOnce(&mut I) -> Result<Evaluated<H>, Abrupt<H::Value>>,
) -> RunOutcome {
    let result = run_process(rt, host, main);
    let outcome = match result {
        Ok(code) => RunOutcome {
            exit_code: code,
            fatal: None,
            signal: None,
        },
        Err(Stop::Exit(code)) => {
            let code = finish_explicit_exit(rt, host, code);
            RunOutcome {
                exit_code: code,
                fatal: None,
                signal: None,
            }
        }
        // A signal's default action: no 'exit' event, nothing more runs.
        Err(Stop::Killed(signo)) => RunOutcome {
            exit_code: 128 + signo,
            fatal: None,
            signal: Some(signo),
        },
        Err(Stop::Fatal(fatal)) => {
            rt.borrow_mut()
                .console_always(Stream::Stderr, &fatal.message);
            RunOutcome {
                exit_code: fatal.exit_code,
                fatal: Some(fatal),
                signal: None,
            }
        }
    };
    let mut r = rt.borrow_mut();
    // The exit record is always written, even past the event budget.
    let event = crate::trace::Event::new(
        r.clock.now_ns(),
        r.iteration,
        r.phase,
        Kind::Exit {
            code: outcome.exit_code,
        },
    );
    r.trace.push(event);
    outcome
}

fn set_phase<H: HostTypes>(rt: &Shared<H>, phase: Phase) {
    let mut r = rt.borrow_mut();
    r.phase = phase;
    r.emit(Kind::PhaseEnter(phase));
}

pub(super) fn budget_check<H: HostTypes>(rt: &Shared<H>) -> Step {
    let r = rt.borrow();
    if r.over_budget() {
        let ticks = r.ticks_since_progress;
        drop(r);
        return Err(budget_stop(rt, ticks));
    }
    Ok(())
}

pub fn budget_stop<H: HostTypes>(rt: &Shared<H>, ticks: u32) -> Stop {
    let mut r = rt.borrow_mut();
    if r.wall_hit {
        record_budget(&mut r, BudgetKind::Wall, 0);
        let why = match r.clock.mode {
            super::clock::ClockMode::Real => {
                "a long busy() or computation, or a wait for something that never comes"
            }
            super::clock::ClockMode::Virtual => {
                "the model is still computing (it interprets every step: node may be faster)"
            }
        };
        let place = r.budget_place().map_or(String::new(), |p| {
            format!(" It was met while this line ran:\n{p}")
        });
        let message = format!(
            "workbench: wall-clock budget exceeded after {} s (--max-wall), in the {} phase of \
             loop iteration {}: {why}.{place}",
            r.options.max_wall.as_secs_f64(),
            r.phase.name(),
            r.iteration
        );
        return budget_fatal(message);
    }
    if r.memory_hit {
        record_budget(&mut r, BudgetKind::Memory, 0);
        // Met between callbacks: the line that was running when it was met.
        let place = r.budget_place().map_or(String::new(), |p| {
            format!(" It was met while this line ran:\n{p}")
        });
        let message = format!(
            "{} in the {} phase of loop iteration {}.{place}",
            super::memory::budget_message(),
            r.phase.name(),
            r.iteration
        );
        return budget_fatal(message);
    }
    if r.horizon_hit {
        record_budget(&mut r, BudgetKind::Clock, 0);
        let message = format!(
            "workbench: the virtual clock reached its limit (2^62 ns, about 146 years of model time) \
             in the {} phase of loop iteration {}.{}\nA timer or an interval keeps the loop alive \
             for ever (node would never exit), or busy() was given an enormous duration. \
             Clear the interval or unref the timer when its work is done.",
            r.phase.name(),
            r.iteration,
            keeping_alive(&r)
        );
        return budget_fatal(message);
    }
    let max = r.options.max_events;
    record_budget(&mut r, BudgetKind::Events, ticks);
    let mut message = format!(
        "workbench: event budget exceeded: the trace reached {max} events (--max-events) in the {} phase of loop iteration {}.",
        r.phase.name(),
        r.iteration
    );
    if ticks > 1000 {
        message.push_str(&format!(
            "\nStarvation: {ticks} nextTick/microtask callbacks ran without the event loop advancing. \
             A recursive process.nextTick or promise chain keeps the queues from ever emptying, \
             so timers, I/O and immediates never get a turn."
        ));
    }
    budget_fatal(message)
}

fn budget_fatal(message: String) -> Stop {
    Stop::Fatal(super::Fatal {
        message,
        exit_code: EXIT_BUDGET,
    })
}

/// The trace's last event: which budget ended the run. Pushed past the
/// event limit: the trace says why it ends.
fn record_budget<H: HostTypes>(r: &mut super::Runtime<H>, kind: BudgetKind, ticks: u32) {
    let event = crate::trace::Event::new(
        r.clock.now_ns(),
        r.iteration,
        r.phase,
        Kind::Budget { kind, ticks },
    );
    r.trace.push(event);
}

/// Where the timers that keep the loop alive were set (the script's
/// file and line), for the clock's budget message.
fn keeping_alive<H: HostTypes>(r: &super::Runtime<H>) -> String {
    let timers = r.timers.keeping_alive();
    let Some(&(cb, interval)) = timers.first() else {
        return String::new();
    };
    let Some(info) = r.trace.callbacks.get(cb.0 as usize) else {
        return String::new();
    };
    let what = if interval { "an interval" } else { "a timer" };
    let more = match timers.len() - 1 {
        0 => String::new(),
        n => format!(" ({n} more timer{} pending)", if n == 1 { "" } else { "s" }),
    };
    if info.line == 0 {
        return format!(" Still pending: {what}{more}.");
    }
    format!(
        " Still pending: {what} set at {}:{}{more}.",
        r.options.entry, info.line
    )
}

/// Calls a script function as one traced callback.
pub(super) fn call_traced<H: HostTypes, I: Invoke<H>>(
    rt: &Shared<H>,
    host: &mut I,
    func: &H::Func,
    args: Vec<H::Value>,
    cb: CbId,
) -> Result<Result<H::Value, H::Value>, Stop> {
    rt.borrow_mut().emit(Kind::CallbackStart { cb });
    let result = host.call(func, args);
    let threw = matches!(result, Err(Abrupt::Throw(_)));
    rt.borrow_mut().emit(Kind::CallbackEnd { cb, threw });
    match result {
        Ok(v) => Ok(Ok(v)),
        Err(Abrupt::Throw(e)) => Ok(Err(e)),
        Err(Abrupt::Stop(s)) => Err(s),
    }
}

/// `emitter.emit(event, ...args)` inside the current callback scope: the
/// listeners in order (a `once` listener removed as it runs); a throw ends
/// the emit, as in Node, and becomes an uncaught exception. `pick` finds
/// the emitter of `target` (workers, sockets, servers...). Returns whether
/// there was a listener.
pub(super) fn emit_to<H: HostTypes, I: Invoke<H>, T: Copy>(
    rt: &Shared<H>,
    host: &mut I,
    target: T,
    pick: for<'a> fn(&'a mut super::Runtime<H>, T) -> Option<&'a mut Listeners<H>>,
    event: &str,
    args: Vec<H::Value>,
) -> Result<bool, Stop> {
    let listeners = {
        let mut r = rt.borrow_mut();
        pick(&mut r, target)
            .map(|e| e.snapshot_for_emit(event))
            .unwrap_or_default()
    };
    if listeners.is_empty() {
        return Ok(false);
    }
    for listener in listeners {
        let go = {
            let mut r = rt.borrow_mut();
            pick(&mut r, target).is_some_and(|e| e.should_call(event, &listener))
        };
        if !go {
            continue;
        }
        let (func, cb) = listener.func.clone();
        if let Err(e) = call_traced(rt, host, &func, args.clone(), cb)? {
            uncaught(rt, host, e, Origin::UncaughtException)?;
            break;
        }
    }
    Ok(true)
}

/// Script listeners with their trace callback ids.
pub(super) type Listeners<H> = super::events::Emitter<(<H as HostTypes>::Func, CbId)>;

/// Runs a macrotask callback; an uncaught throw goes to the uncaught
/// exception machinery. Returns whether it threw (and was handled).
fn macrotask<H: HostTypes, I: Invoke<H>>(
    rt: &Shared<H>,
    host: &mut I,
    func: &H::Func,
    args: Vec<H::Value>,
    cb: CbId,
) -> Result<bool, Stop> {
    rt.borrow_mut().ticks_since_progress = 0;
    match call_traced(rt, host, func, args, cb)? {
        Ok(_) => {
            budget_check(rt)?;
            Ok(false)
        }
        Err(e) => {
            uncaught(rt, host, e, Origin::UncaughtException)?;
            Ok(true)
        }
    }
}

/// Node's handling of an uncaught exception: 'uncaughtException' listeners,
/// or the 'exit' event, the report on stderr and exit code 1.
pub(super) fn uncaught<H: HostTypes, I: Invoke<H>>(
    rt: &Shared<H>,
    host: &mut I,
    error: H::Value,
    origin: Origin,
) -> Step {
    let listeners = {
        let mut r = rt.borrow_mut();
        r.emit(Kind::UncaughtException);
        r.process_events
            .snapshot_for_emit(ProcessEvent::UncaughtException.name())
    };
    if listeners.is_empty() {
        // lib/internal/process/execution.js: 'exit' is emitted first, with
        // exitCode 1, then C++ prints the report and exits.
        {
            let mut r = rt.borrow_mut();
            r.exit_code = Some(1);
        }
        let code = emit_exit(rt, host, 1, false).unwrap_or_else(|stop| match stop {
            Stop::Exit(c) => c,
            Stop::Killed(n) => 128 + n,
            Stop::Fatal(f) => f.exit_code,
        });
        let is_worker = rt.borrow().threads.is_worker();
        if is_worker {
            // A worker does not print its uncaught error: its parent gets
            // it as an 'error' event (serialized), then 'exit' with 1.
            rt.borrow_mut().threads.error = Some(H::clone_value(&error));
        } else {
            let report = host.uncaught_report(&error, origin);
            rt.borrow_mut().console(Stream::Stderr, &report);
        }
        return Err(Stop::Exit(if code == 0 { 1 } else { code }));
    }
    for listener in listeners {
        let (func, cb) = listener.func.clone();
        let go = rt
            .borrow_mut()
            .process_events
            .should_call(ProcessEvent::UncaughtException.name(), &listener);
        if !go {
            continue;
        }
        let args = vec![error.clone(), H::string(origin.name())];
        if let Err(e) = call_traced(rt, host, &func, args, cb)? {
            // A throwing handler is fatal (Node exits with 7).
            let report = host.uncaught_report(&e, Origin::UncaughtException);
            rt.borrow_mut().console(Stream::Stderr, &report);
            return Err(Stop::Exit(7));
        }
    }
    // "If we handled an error, then make sure any ticks get processed by
    // ensuring that the next Immediate cycle isn't empty."
    let mut r = rt.borrow_mut();
    r.set_noop_immediate();
    // Measured on v20.20.2 (see tests/scenarios/uncaught_tick_leftovers*):
    // ticks left queued by a handled throw are drained in the next poll
    // phase, after that poll's I/O callbacks and before the check phase,
    // as if by a foreground platform task delivered through the loop's
    // async handle (such tasks run in their own callback scope).
    r.post_exception_drain = true;
    Ok(())
}

/// After `process.exit(code)` unwound the stack: emit 'exit' (once).
fn finish_explicit_exit<H: HostTypes, I: Invoke<H>>(
    rt: &Shared<H>,
    host: &mut I,
    code: i32,
) -> i32 {
    if rt.borrow().exiting {
        return code;
    }
    {
        let mut r = rt.borrow_mut();
        r.exit_code = Some(code);
        // `process.exit` first removes the ESM loader's 'exit' listener.
        r.entry_pending = false;
    }
    match emit_exit(rt, host, code, false) {
        Ok(c) => c,
        Err(Stop::Exit(c)) => c,
        Err(Stop::Killed(n)) => 128 + n,
        Err(Stop::Fatal(f)) => {
            rt.borrow_mut().console(Stream::Stderr, &f.message);
            f.exit_code
        }
    }
}

/// Emits 'exit' to its listeners; `checkpoint` runs microtasks afterwards
/// (natural exit only). Returns the final exit code.
fn emit_exit<H: HostTypes, I: Invoke<H>>(
    rt: &Shared<H>,
    host: &mut I,
    code: i32,
    checkpoint: bool,
) -> Result<i32, Stop> {
    let listeners = {
        let mut r = rt.borrow_mut();
        if r.exiting {
            return Ok(code);
        }
        r.exiting = true;
        r.phase = Phase::Exit;
        r.emit(Kind::ExitEvent { code });
        // ES modules: Node's own first 'exit' listener, registered before
        // the module ran (lib/internal/modules/run_main.js
        // `handleProcessExit`): the listeners still get `code`, but
        // `process.exitCode` is 13 unless something set it.
        if r.entry_pending && r.exit_code.is_none() {
            r.exit_code = Some(super::EXIT_UNFINISHED_TLA);
        }
        r.process_events
            .snapshot_for_emit(ProcessEvent::Exit.name())
    };
    for listener in listeners {
        let go = rt
            .borrow_mut()
            .process_events
            .should_call(ProcessEvent::Exit.name(), &listener);
        if !go {
            continue;
        }
        let (func, cb) = listener.func.clone();
        if let Err(e) = call_traced(rt, host, &func, vec![H::number(code as f64)], cb)? {
            let report = host.uncaught_report(&e, Origin::UncaughtException);
            rt.borrow_mut().console(Stream::Stderr, &report);
            return Err(Stop::Exit(7));
        }
    }
    if checkpoint {
        run_microtasks(rt, host)?;
    }
    Ok(rt.borrow().exit_code.unwrap_or(code))
}

fn run_process<'a, H: HostTypes, I: Invoke<H>>(
    rt: &Shared<H>,
    host: &mut I,
    main: impl FnOnce(&mut I) -> Result<Evaluated<H>, Abrupt<H::Value>> + 'a,
) -> Result<i32, Stop> {
    let module = {
        let mut r = rt.borrow_mut();
        r.phase = Phase::Main;
        r.libuv_now();
        r.emit(Kind::ScriptStart);
        r.options.module
    };
    let mut entry: Option<Entry<'a, H, I>> = None;
    match module {
        ModuleKind::Cjs => match main(host) {
            Ok(_) => {}
            Err(Abrupt::Throw(e)) => uncaught(rt, host, e, Origin::UncaughtException)?,
            Err(Abrupt::Stop(s)) => return Err(s),
        },
        // Node's main script is the loader's bootstrap: it starts reading
        // the module, and the loop evaluates it once read.
        ModuleKind::Esm => {
            rt.borrow_mut().load_entry();
            entry = Some(Box::new(main));
        }
    }
    rt.borrow_mut().emit(Kind::ScriptEnd);
    budget_check(rt)?;
    close_scope(rt, host)?;
    loop {
        uv_run(rt, host, &mut entry)?;
        if rt.borrow().loop_alive() {
            continue;
        }
        emit_before_exit(rt, host)?;
        if !rt.borrow().loop_alive() {
            break;
        }
    }
    let code = rt.borrow().exit_code.unwrap_or(0);
    emit_exit(rt, host, code, true)
}

fn emit_before_exit<H: HostTypes, I: Invoke<H>>(rt: &Shared<H>, host: &mut I) -> Step {
    let (listeners, code) = {
        let mut r = rt.borrow_mut();
        if r.exiting {
            return Ok(());
        }
        r.phase = Phase::Exit;
        r.emit(Kind::BeforeExit);
        (
            r.process_events
                .snapshot_for_emit(ProcessEvent::BeforeExit.name()),
            r.exit_code.unwrap_or(0),
        )
    };
    if listeners.is_empty() {
        return Ok(());
    }
    for listener in listeners {
        let go = rt
            .borrow_mut()
            .process_events
            .should_call(ProcessEvent::BeforeExit.name(), &listener);
        if !go {
            continue;
        }
        let (func, cb) = listener.func.clone();
        macrotask(rt, host, &func, vec![H::number(code as f64)], cb)?;
    }
    close_scope(rt, host)
}

/// `InternalCallbackScope::Close`: after a native-to-JS callback.
pub(super) fn close_scope<H: HostTypes, I: Invoke<H>>(rt: &Shared<H>, host: &mut I) -> Step {
    if !rt.borrow().has_ticks() {
        run_microtasks(rt, host)?;
    }
    let (ticks, warn) = {
        let r = rt.borrow();
        (r.has_ticks(), r.has_rejection_to_warn())
    };
    if !ticks && !warn {
        return Ok(());
    }
    process_ticks_and_rejections(rt, host)
}

/// `runNextTicks()`: between timers and between immediates.
fn run_next_ticks<H: HostTypes, I: Invoke<H>>(rt: &Shared<H>, host: &mut I) -> Step {
    let quiet = |rt: &Shared<H>| {
        let r = rt.borrow();
        !r.has_ticks() && !r.has_rejection_to_warn()
    };
    if quiet(rt) {
        run_microtasks(rt, host)?;
    }
    if quiet(rt) {
        return Ok(());
    }
    process_ticks_and_rejections(rt, host)
}

/// `processTicksAndRejections()`.
fn process_ticks_and_rejections<H: HostTypes, I: Invoke<H>>(rt: &Shared<H>, host: &mut I) -> Step {
    rt.borrow_mut().emit(Kind::DrainStart);
    loop {
        loop {
            let tick = rt.borrow_mut().pop_tick();
            let Some((tick, cb)) = tick else { break };
            rt.borrow_mut().ticks_since_progress += 1;
            budget_check(rt)?;
            let func = match tick {
                Tick::Script(func) => func,
                Tick::Stream(op) => {
                    rt.borrow_mut().emit(Kind::CallbackStart { cb });
                    let result = super::stream::Cx::new(rt, host).run_tick(op);
                    let threw = matches!(result, Err(Abrupt::Throw(_)));
                    rt.borrow_mut().emit(Kind::CallbackEnd { cb, threw });
                    match result {
                        Ok(()) => continue,
                        Err(Abrupt::Throw(e)) => {
                            uncaught(rt, host, e, Origin::UncaughtException)?;
                            return Ok(());
                        }
                        Err(Abrupt::Stop(s)) => return Err(s),
                    }
                }
                Tick::Net(op) => {
                    rt.borrow_mut().emit(Kind::CallbackStart { cb });
                    let result = super::net::deliver::run_tick(rt, host, op);
                    rt.borrow_mut().emit(Kind::CallbackEnd { cb, threw: false });
                    result?;
                    continue;
                }
                Tick::Proc(op) => {
                    rt.borrow_mut().emit(Kind::CallbackStart { cb });
                    let result = super::procs::deliver::run_tick(rt, host, op);
                    rt.borrow_mut().emit(Kind::CallbackEnd { cb, threw: false });
                    result?;
                    continue;
                }
                Tick::Warning(text) => {
                    let mut r = rt.borrow_mut();
                    r.emit(Kind::CallbackStart { cb });
                    r.print_warning(&text);
                    r.emit(Kind::CallbackEnd { cb, threw: false });
                    continue;
                }
            };
            if let Err(e) = call_traced(rt, host, &func, Vec::new(), cb)? {
                // The drain stops here; what is left waits for the next
                // callback boundary (as in Node).
                uncaught(rt, host, e, Origin::UncaughtException)?;
                return Ok(());
            }
        }
        run_microtasks(rt, host)?;
        if rt.borrow().has_ticks() {
            continue;
        }
        if !process_promise_rejections(rt, host)? {
            break;
        }
    }
    let mut r = rt.borrow_mut();
    r.has_rejection_to_warn = false;
    r.emit(Kind::DrainEnd);
    Ok(())
}

/// `processPromiseRejections()`: returns whether anything was processed.
fn process_promise_rejections<H: HostTypes, I: Invoke<H>>(
    rt: &Shared<H>,
    host: &mut I,
) -> Result<bool, Stop> {
    let warned = rt.borrow_mut().warn_async_handled();
    let pending = rt.borrow_mut().take_unhandled();
    if pending.is_empty() {
        return Ok(warned);
    }
    for promise in pending {
        let reason = match promise.view() {
            super::PromiseState::Rejected(r) => r,
            _ => continue,
        };
        let listeners = {
            let mut r = rt.borrow_mut();
            r.emit(Kind::UnhandledRejection {
                promise: promise.id(),
            });
            r.process_events
                .snapshot_for_emit(ProcessEvent::UnhandledRejection.name())
        };
        if listeners.is_empty() {
            let error = H::unhandled_rejection_error(&reason).unwrap_or(reason);
            uncaught(rt, host, error, Origin::UnhandledRejection)?;
            continue;
        }
        for listener in listeners {
            let go = rt
                .borrow_mut()
                .process_events
                .should_call(ProcessEvent::UnhandledRejection.name(), &listener);
            if !go {
                continue;
            }
            let (func, cb) = listener.func.clone();
            let args = vec![reason.clone(), H::promise_value(promise.clone())];
            if let Err(e) = call_traced(rt, host, &func, args, cb)? {
                uncaught(rt, host, e, Origin::UncaughtException)?;
            }
        }
    }
    Ok(true)
}

/// V8's microtask checkpoint: runs jobs until the queue is empty.
fn run_microtasks<H: HostTypes, I: Invoke<H>>(rt: &Shared<H>, host: &mut I) -> Step {
    loop {
        let job = rt.borrow_mut().pop_microtask();
        let Some(job) = job else { return Ok(()) };
        rt.borrow_mut().ticks_since_progress += 1;
        budget_check(rt)?;
        run_job(rt, host, job)?;
    }
}

fn run_job<H: HostTypes, I: Invoke<H>>(rt: &Shared<H>, host: &mut I, job: Job<H>) -> Step {
    match job {
        Job::Callback { func, cb } => {
            if let Err(e) = call_traced(rt, host, &func, Vec::new(), cb)? {
                uncaught(rt, host, e, Origin::UncaughtException)?;
            }
            Ok(())
        }
        Job::Thenable {
            promise,
            thenable: _,
            then,
            cb,
        } => {
            let (resolve, reject) = rt.borrow().resolving_functions(&promise);
            match then {
                ThenTarget::Native(source) => {
                    let mut r = rt.borrow_mut();
                    r.emit(Kind::CallbackStart { cb });
                    r.perform_then(
                        &source,
                        Handler::Resolve(resolve),
                        Handler::Resolve(reject),
                        None,
                        cb,
                    );
                    r.emit(Kind::CallbackEnd { cb, threw: false });
                }
                ThenTarget::User(then) => {
                    let args = vec![
                        H::resolver_value(resolve),
                        H::resolver_value(reject.clone()),
                    ];
                    if let Err(e) = call_traced(rt, host, &then, args, cb)? {
                        rt.borrow_mut().call_resolver(&reject, e);
                    }
                }
            }
            Ok(())
        }
        Job::Reaction {
            reaction,
            arg,
            rejected,
        } => {
            let cb = reaction.cb;
            let result: Result<H::Value, H::Value> = match reaction.handler {
                Handler::User(func) => call_traced(rt, host, &func, vec![arg], cb)?,
                Handler::Await(co) => {
                    rt.borrow_mut().emit(Kind::CallbackStart { cb });
                    let input = if rejected { Err(arg) } else { Ok(arg) };
                    host.resume(co, input)?;
                    rt.borrow_mut().emit(Kind::CallbackEnd { cb, threw: false });
                    return Ok(());
                }
                Handler::EntryDone => {
                    // `asyncRunEntryPointWithESMLoader`: catch →
                    // triggerUncaughtException(err, fromPromise = true);
                    // finally → process.off('exit', handleProcessExit).
                    {
                        let mut r = rt.borrow_mut();
                        r.emit(Kind::CallbackStart { cb });
                        r.emit(Kind::CallbackEnd { cb, threw: false });
                    }
                    if rejected {
                        uncaught(rt, host, arg, Origin::UnhandledRejection)?;
                    }
                    rt.borrow_mut().entry_pending = false;
                    return Ok(());
                }
                Handler::Finally {
                    on_finally,
                    rejected: is_catch,
                } => match call_traced(rt, host, &on_finally, Vec::new(), cb)? {
                    Err(e) => Err(e),
                    Ok(result) => {
                        let mut r = rt.borrow_mut();
                        let promise = r.promise_resolve(result);
                        let derived = r.new_promise();
                        r.perform_then(
                            &promise,
                            Handler::Thunk {
                                value: arg,
                                throw: is_catch,
                            },
                            Handler::Thrower,
                            Some(derived.clone()),
                            cb,
                        );
                        Ok(H::promise_value(derived))
                    }
                },
                other => {
                    let mut r = rt.borrow_mut();
                    r.emit(Kind::CallbackStart { cb });
                    let result = match other {
                        Handler::Identity => Ok(arg),
                        Handler::Thrower => Err(arg),
                        Handler::Resolve(resolver) => {
                            r.call_resolver(&resolver, arg);
                            Ok(H::undefined())
                        }
                        Handler::Element {
                            agg,
                            index,
                            already,
                            rejected: element_rejected,
                        } => {
                            if !already.replace(true) {
                                r.element_called(&agg, index, element_rejected, arg);
                            }
                            Ok(H::undefined())
                        }
                        Handler::Thunk { value, throw } => {
                            if throw {
                                Err(value)
                            } else {
                                Ok(value)
                            }
                        }
                        Handler::User(_)
                        | Handler::Await(_)
                        | Handler::Finally { .. }
                        | Handler::EntryDone => {
                            unreachable!("handled above")
                        }
                    };
                    r.emit(Kind::CallbackEnd { cb, threw: false });
                    result
                }
            };
            if let Some(capability) = reaction.capability {
                let mut r = rt.borrow_mut();
                match result {
                    Ok(v) => r.resolve_promise(&capability, v),
                    Err(e) => r.reject_promise(&capability, e),
                }
            }
            Ok(())
        }
    }
}

/// `uv_run(loop, UV_RUN_DEFAULT)` as libuv 1.46 shapes it. `entry` is an
/// ES module waiting for the loader to read it.
fn uv_run<H: HostTypes, I: Invoke<H>>(
    rt: &Shared<H>,
    host: &mut I,
    entry: &mut Option<Entry<'_, H, I>>,
) -> Step {
    let alive = rt.borrow().loop_alive();
    if !alive {
        rt.borrow_mut().libuv_now();
        return Ok(());
    }
    // The prologue timers pass, before the first iteration.
    begin_iteration(rt);
    race_check(rt, RaceKind::MainTimeoutVsImmediate);
    rt.borrow_mut().libuv_now();
    run_timers(rt, host)?;
    loop {
        set_phase(rt, Phase::Pending);
        set_phase(rt, Phase::Idle);
        set_phase(rt, Phase::Prepare);
        set_phase(rt, Phase::Poll);
        poll(rt, host, entry)?;
        set_phase(rt, Phase::Check);
        check_immediates(rt, host)?;
        set_phase(rt, Phase::Close);
        super::net::deliver::close_phase(rt, host)?;
        // End of iteration: the timers pass of the next one.
        begin_iteration(rt);
        race_check(rt, RaceKind::CheckTimeoutVsImmediate);
        rt.borrow_mut().libuv_now();
        run_timers(rt, host)?;
        if !rt.borrow().loop_alive() {
            return Ok(());
        }
        // An iteration that ran no script callback (a monitor's timer
        // firing every millisecond while an interval keeps the loop alive)
        // reaches no other budget check.
        budget_check(rt)?;
    }
}

fn begin_iteration<H: HostTypes>(rt: &Shared<H>) {
    let mut r = rt.borrow_mut();
    r.iteration += 1;
    r.phase = Phase::Timers;
    r.emit(Kind::IterationStart);
    r.emit(Kind::PhaseEnter(Phase::Timers));
}

/// A 0/1 ms timeout due one millisecond from now, with immediates waiting:
/// real Node runs the timeout first only if a millisecond boundary passes.
/// The run's options decide; the trace records the race either way.
fn race_check<H: HostTypes>(rt: &Shared<H>, kind: RaceKind) {
    let mut r = rt.borrow_mut();
    let now = r.clock.loop_ms();
    let contested = r.immediates_pending() && r.timers.due_next_ms(now);
    if !contested || r.clock.mode != super::clock::ClockMode::Virtual {
        return;
    }
    // Only the first pass can race against the main script's immediates.
    if kind == RaceKind::MainTimeoutVsImmediate && r.iteration != 1 {
        return;
    }
    if r.race_point(kind) {
        let target = (now + 1).saturating_mul(1_000_000);
        r.advance_virtual(target);
    }
}

/// libuv 1.46's `uv__run_timers`: while the heap's minimum (by timeout,
/// then start order) is due at the cached loop time, stop it, re-arm it if
/// it repeats (`uv_timer_again`) and run its callback. The heap holds the
/// timer behind JS timers and any `monitorEventLoopDelay` timers. JS code
/// run by `RunTimers` can move the loop time (`getLibuvNow`), so a monitor
/// due meanwhile runs in the same pass.
fn run_timers<H: HostTypes, I: Invoke<H>>(rt: &Shared<H>, host: &mut I) -> Step {
    run_uv_timers(rt, host)?;
    // Sockets' keep-alive timeouts and load generators' durations (JS
    // timers in Node, run here after the scenario's own).
    super::net::deliver::run_timeouts(rt, host)?;
    super::net::load::run_timers(rt, host)
}

fn run_uv_timers<H: HostTypes, I: Invoke<H>>(rt: &Shared<H>, host: &mut I) -> Step {
    loop {
        let next = {
            let mut r = rt.borrow_mut();
            let r = &mut *r;
            let loop_ms = r.clock.loop_ms();
            r.eld
                .heap_min(&r.timers.uv)
                .filter(|&(due, _)| due <= loop_ms)
        };
        match next {
            None => return Ok(()),
            Some((_, UvTimerRef::Js)) => run_js_timers(rt, host)?,
            Some((_, UvTimerRef::Monitor(id))) => {
                let mut r = rt.borrow_mut();
                let r = &mut *r;
                let (now, loop_ms) = (r.clock.now_ns(), r.clock.loop_ms());
                let delta = r.eld.fire(id, now, loop_ms, &r.timers.uv);
                r.emit(Kind::EldSample {
                    monitor: id.min(u16::MAX as u32) as u16,
                    delta_ns: SplitU64::new(delta),
                });
            }
        }
    }
}

/// The JS timer's callback: Node's `RunTimers` → `processTimers`.
fn run_js_timers<H: HostTypes, I: Invoke<H>>(rt: &Shared<H>, host: &mut I) -> Step {
    rt.borrow_mut().timers.uv.due_ms = None;
    let now = rt.borrow_mut().libuv_now();
    rt.borrow_mut().timers.begin_pass();
    let mut first_list = true;
    'pass: loop {
        let top = rt.borrow().timers.peek();
        let Some((msecs, uid, expiry)) = top else {
            break;
        };
        if expiry > now {
            break;
        }
        if !first_list {
            run_next_ticks(rt, host)?;
        }
        first_list = false;
        let mut first_timer = true;
        loop {
            let head = rt.borrow_mut().timers.peek_due(msecs, uid, now);
            let Some(id) = head else { break };
            if !first_timer {
                run_next_ticks(rt, host)?;
            }
            first_timer = false;
            let step = rt.borrow_mut().timers.take(id);
            let Some((cb, func, repeat)) = step else {
                continue;
            };
            let start = if repeat {
                Some(rt.borrow_mut().libuv_now())
            } else {
                None
            };
            let threw = macrotask(rt, host, &func, Vec::new(), cb)?;
            rt.borrow_mut().timers.after_fire(id, start);
            if threw {
                // RunTimers calls processTimers again with the same `now`:
                // the next timer counts as the first of a fresh pass.
                first_list = true;
                continue 'pass;
            }
        }
    }
    {
        let mut r = rt.borrow_mut();
        match r.timers.end_pass() {
            Some((next, refed)) => {
                let loop_now = r.clock.loop_ms();
                let duration = next.saturating_sub(loop_now).max(1);
                r.timers.uv.start(loop_now + duration);
                r.timers.uv.refed = refed;
            }
            None => {
                r.timers.uv.refed = false;
            }
        }
    }
    close_scope(rt, host)
}

/// The poll phase: wait for I/O up to the backend timeout, then run the
/// completions of pool work, each as its own callback with a drain.
fn poll<H: HostTypes, I: Invoke<H>>(
    rt: &Shared<H>,
    host: &mut I,
    entry: &mut Option<Entry<'_, H, I>>,
) -> Step {
    let timeout = rt.borrow().backend_timeout();
    {
        let mut r = rt.borrow_mut();
        let start = r.clock.now_ns();
        // libuv measures the timeout from its cached loop time: with the
        // idle-time metrics Node turns on, the first epoll_pwait is a zero
        // timeout, the loop time is updated, and only the rest of the
        // timeout is waited. After a long callback, poll does not wait the
        // whole timeout again.
        let until_ns = (timeout > 0).then(|| {
            (r.clock.loop_ms())
                .saturating_add(timeout as u64)
                .saturating_mul(1_000_000)
        });
        match r.clock.mode {
            super::clock::ClockMode::Virtual => {
                let wake = match (r.pool.next_finish(), r.net.next_arrival()) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                // Messages already taken from the hub are waiting.
                let wake = if r.threads.inbox.is_empty() {
                    wake
                } else {
                    Some(start)
                };
                // Only sockets keep the loop alive and nothing can ever
                // arrive: node would wait for ever (a server nobody calls).
                if timeout < 0
                    && wake.is_none()
                    && r.threads.link.is_none()
                    && !r.net.has_pending()
                    && r.pool.active_requests() == 0
                {
                    let what = r.net.waiting_for_ever();
                    let message = format!(
                        "workbench: the process would wait for ever: {what}, and nothing \
                         else can happen (node would keep running until it is killed; \
                         close the server when the scenario is done)."
                    );
                    return Err(budget_fatal(message));
                }
                let deadline = match timeout {
                    0 => Some(start),
                    t if t > 0 => until_ns.map(|u| u.max(start)),
                    _ => None,
                };
                let want = match (deadline, wake) {
                    (Some(d), Some(w)) => Some(d.min(w.max(start))),
                    (Some(d), None) => Some(d),
                    (None, Some(w)) => Some(w.max(start)),
                    (None, None) => None,
                };
                // With workers, the hub decides when this loop goes on: not
                // before every other loop has caught up, earlier if a
                // message arrives first (see runtime/worker.rs).
                let target = match r.threads.link.clone() {
                    Some(link) => match link.hub.sync(link.me, start, want) {
                        Ok(t) => t.max(start),
                        Err(stop) => return Err(hub_stop(&mut r, stop)),
                    },
                    None => want.unwrap_or(start),
                };
                r.advance_virtual(target);
                if r.horizon_hit {
                    drop(r);
                    return Err(budget_stop(rt, 0));
                }
            }
            super::clock::ClockMode::Real => {
                let sockets = r.net.real.is_some();
                if timeout != 0 && !r.pool.has_completed() && !r.net.has_real_inbound() {
                    let wall = r.wall_deadline();
                    let deadline = Some(until_ns.map_or(wall, |u| r.clock.instant_at(u).min(wall)));
                    match r.threads.link.clone() {
                        // Real sockets: wait for them, watching the pool too.
                        None if sockets => loop {
                            let now = std::time::Instant::now();
                            if deadline.is_some_and(|d| d <= now) {
                                break;
                            }
                            if r.pool.active_requests() == 0 {
                                let cap = now + std::time::Duration::from_millis(50);
                                if let Some(n) = r.net.real.as_ref() {
                                    n.wait(deadline, cap);
                                }
                                if r.net.has_real_inbound() || r.check_wall() {
                                    break;
                                }
                                continue;
                            }
                            let slice = now + std::time::Duration::from_micros(200);
                            let until = deadline.map_or(slice, |d| d.min(slice));
                            let events = r.pool.wait_real(Some(until));
                            let got = !events.is_empty() || r.pool.has_completed();
                            for kind in events {
                                r.emit(kind);
                            }
                            if got || r.net.has_real_inbound() {
                                break;
                            }
                        },
                        None => {
                            for kind in r.pool.wait_real(deadline) {
                                r.emit(kind);
                            }
                        }
                        // Wait in short slices, watching the mailbox too.
                        Some(link) => loop {
                            if link.hub.is_shutdown() {
                                return Err(Stop::Exit(1));
                            }
                            if link.hub.has_mail(link.me) || r.net.has_real_inbound() {
                                break;
                            }
                            let now = std::time::Instant::now();
                            if deadline.is_some_and(|d| d <= now) {
                                break;
                            }
                            if r.pool.active_requests() == 0 {
                                // Nothing on the pool: sleep until a message
                                // or a socket wakes the hub (a wake-up lost
                                // between the check and the wait costs at
                                // most the cap).
                                let cap = std::time::Duration::from_millis(1);
                                let cap = deadline.map_or(cap, |d| cap.min(d - now));
                                link.hub.wait_real(link.me, cap);
                                continue;
                            }
                            let slice = now + std::time::Duration::from_micros(500);
                            let until = deadline.map_or(slice, |d| d.min(slice));
                            let events = r.pool.wait_real(Some(until));
                            let got = !events.is_empty() || r.pool.has_completed();
                            for kind in events {
                                r.emit(kind);
                            }
                            if got {
                                break;
                            }
                        },
                    }
                }
                let now = r.clock.now_ns();
                for kind in r.pool.progress(now) {
                    r.emit(kind);
                }
                if r.check_wall() {
                    drop(r);
                    return Err(budget_stop(rt, 0));
                }
            }
        }
        let waited = r.clock.now_ns().saturating_sub(start);
        if waited > 0 {
            r.emit(Kind::PollWait {
                micros: (waited / 1000).min(u32::MAX as u64) as u32,
            });
        }
        r.libuv_now();
    }
    let completions: Vec<Completion> = rt.borrow_mut().pool.take_completed();
    for completion in completions {
        let due = rt.borrow_mut().complete(completion);
        match due {
            Some((IoTarget::Script(func), cb, result)) => {
                let args = H::io_args(rt, result);
                macrotask(rt, host, &func, args, cb)?;
                close_scope(rt, host)?;
            }
            Some((IoTarget::Entry, cb, _)) => {
                // The loader's last read resolved its promise: the
                // checkpoint after this callback evaluates the module.
                {
                    let mut r = rt.borrow_mut();
                    r.ticks_since_progress = 0;
                    r.emit(Kind::CallbackStart { cb });
                    r.emit(Kind::CallbackEnd { cb, threw: false });
                }
                evaluate_entry(rt, host, entry.take())?;
            }
            None => {}
        }
    }
    // Segments from other processes join the sockets' queues first.
    super::mail::collect(rt);
    super::net::deliver::poll(rt, host)?;
    super::mail::deliver(rt, host)?;
    let drain = std::mem::take(&mut rt.borrow_mut().post_exception_drain);
    if drain {
        rt.borrow_mut().ticks_since_progress = 0;
        close_scope(rt, host)?;
    }
    Ok(())
}

/// Evaluates an ES module as Node does: `ModuleJob.run` calls
/// `module.evaluate()` from a promise job, in the microtask checkpoint
/// after the loader's last read. The body runs first in that checkpoint,
/// so the microtasks it queues run before its nextTicks (the checkpoint
/// goes on; the ticks wait for the callback scope to close).
///
/// The evaluation promise is awaited by three loader frames
/// (`ModuleJob.run`, `ModuleLoader.import`,
/// `asyncRunEntryPointWithESMLoader`), one microtask each: a module that
/// throws becomes an uncaught exception (origin `unhandledRejection`) three
/// hops later, and four for a module with top-level `await`, whose body
/// settles the evaluation promise through one more job
/// (`AsyncModuleExecutionRejected`). Measured on v20.20.2.
fn evaluate_entry<H: HostTypes, I: Invoke<H>>(
    rt: &Shared<H>,
    host: &mut I,
    entry: Option<Entry<'_, H, I>>,
) -> Step {
    let Some(main) = entry else {
        return close_scope(rt, host);
    };
    let label = |text: std::borrow::Cow<'static, str>| Site {
        label: text,
        ..Site::default()
    };
    let (evaluation, module_cb) = {
        let mut r = rt.borrow_mut();
        let evaluation = r.new_promise();
        let mut awaited = evaluation.clone();
        for frame in [
            "ModuleJob.run: await module.evaluate()",
            "ModuleLoader.import: await job.run()",
        ] {
            let cb = r.register_callback(CallbackKind::Reaction, &label(frame.into()));
            let next = r.new_promise();
            r.perform_then(
                &awaited,
                Handler::Identity,
                Handler::Thrower,
                Some(next.clone()),
                cb,
            );
            awaited = next;
        }
        let cb = r.register_callback(
            CallbackKind::Reaction,
            &label("runEntryPointWithESMLoader: await import()".into()),
        );
        r.perform_then(&awaited, Handler::EntryDone, Handler::EntryDone, None, cb);
        let name = std::path::Path::new(&r.options.entry)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let module_cb = r.register_callback(
            CallbackKind::Main,
            &label(format!("ES module job: evaluate {name}").into()),
        );
        r.ticks_since_progress = 0;
        r.emit(Kind::CallbackStart { cb: module_cb });
        (evaluation, module_cb)
    };
    let result = main(host);
    let threw = matches!(result, Err(Abrupt::Throw(_)));
    rt.borrow_mut().emit(Kind::CallbackEnd {
        cb: module_cb,
        threw,
    });
    {
        let mut r = rt.borrow_mut();
        match result {
            Ok(Evaluated::Done) => r.resolve_promise(&evaluation, H::undefined()),
            Ok(Evaluated::Async(body)) => {
                let (resolve, reject) = r.resolving_functions(&evaluation);
                let cb = r.register_callback(
                    CallbackKind::Reaction,
                    &label("async module: body settled".into()),
                );
                r.perform_then(
                    &body,
                    Handler::Resolve(resolve),
                    Handler::Resolve(reject),
                    None,
                    cb,
                );
            }
            Err(Abrupt::Throw(e)) => r.reject_promise(&evaluation, e),
            Err(Abrupt::Stop(s)) => return Err(s),
        }
    }
    budget_check(rt)?;
    // The rest of the checkpoint, then the callback scope's close.
    run_microtasks(rt, host)?;
    close_scope(rt, host)
}

/// Why the hub stopped this loop, as the run's end.
fn hub_stop<H: HostTypes>(r: &mut super::Runtime<H>, stop: super::worker::HubStop) -> Stop {
    match stop {
        // The process is exiting: this worker's thread ends quietly.
        super::worker::HubStop::Shutdown => Stop::Exit(1),
        super::worker::HubStop::Deadlock => {
            r.emit(Kind::Budget {
                kind: BudgetKind::Hang,
                ticks: 0,
            });
            Stop::Fatal(super::Fatal {
                message: "workbench: every thread is waiting for a message that nobody will send \
                          (a worker's parentPort is listening, or the main thread waits on a worker \
                          that waits on it): node would hang here. Close the port \
                          (parentPort.close()), unref it, or terminate the worker."
                    .into(),
                exit_code: EXIT_BUDGET,
            })
        }
    }
}

/// The check phase: Node's `CheckImmediate` → `processImmediate`.
fn check_immediates<H: HostTypes, I: Invoke<H>>(rt: &Shared<H>, host: &mut I) -> Step {
    if rt.borrow().immediate_count() == 0 {
        return Ok(());
    }
    let batch = rt.borrow_mut().detach_immediates();
    let mut first = true;
    for id in batch {
        if !first {
            run_next_ticks(rt, host)?;
        }
        first = false;
        let started = rt.borrow_mut().start_immediate(id);
        let Some((func, cb)) = started else {
            continue;
        };
        let Some(func) = func else {
            // Node's internal `setImmediate(noop)`: an empty callback.
            let mut r = rt.borrow_mut();
            r.ticks_since_progress = 0;
            r.emit(Kind::CallbackStart { cb });
            r.emit(Kind::CallbackEnd { cb, threw: false });
            continue;
        };
        if macrotask(rt, host, &func, Vec::new(), cb)? {
            first = true;
        }
    }
    close_scope(rt, host)
}
