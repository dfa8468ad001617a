//! The runtime on its own: a tiny host of Rust closures (no Rhai) drives
//! the model, proving it needs nothing from the scripting layer.

use std::cell::RefCell;
use std::rc::Rc;

use workbench::runtime::driver::{self, RunOutcome};
use workbench::runtime::pool::IoResult;
use workbench::runtime::{
    Abrupt, CoId, HostTypes, Invoke, Options, Origin, Promise, Resolvable, Resolver, Runtime,
    Shared, Site, Stop,
};

struct T;

#[derive(Clone)]
#[expect(
    dead_code,
    reason = "payloads the model carries but these tests do not read"
)]
enum V {
    Undef,
    Num(f64),
    Str(String),
    P(Promise<T>),
    R(Resolver<T>),
}

type Body = dyn Fn(&Shared<T>, Vec<V>) -> Result<V, V>;

#[derive(Clone)]
struct F(Rc<Body>);

impl HostTypes for T {
    type Value = V;
    type Func = F;
    fn undefined() -> V {
        V::Undef
    }
    fn classify(v: &V) -> Resolvable<T> {
        match v {
            V::P(p) => Resolvable::Promise(p.clone()),
            _ => Resolvable::Plain,
        }
    }
    fn promise_value(p: Promise<T>) -> V {
        V::P(p)
    }
    fn resolver_value(r: Resolver<T>) -> V {
        V::R(r)
    }
    fn type_error(m: &str) -> V {
        V::Str(format!("TypeError: {m}"))
    }
    fn aggregate_error(_: Vec<V>) -> V {
        V::Str("AggregateError".into())
    }
    fn array(_: Vec<V>) -> V {
        V::Str("[array]".into())
    }
    fn settled_record(_: bool, v: V) -> V {
        v
    }
    fn number(n: f64) -> V {
        V::Num(n)
    }
    fn string(s: &str) -> V {
        V::Str(s.into())
    }
    fn io_args(_: &workbench::runtime::Shared<Self>, _: IoResult) -> Vec<V> {
        vec![V::Undef]
    }
}

struct Host {
    rt: Shared<T>,
}

impl Invoke<T> for Host {
    fn call(&mut self, f: &F, args: Vec<V>) -> Result<V, Abrupt<V>> {
        (f.0)(&self.rt, args).map_err(Abrupt::Throw)
    }
    fn resume(&mut self, _: CoId, _: Result<V, V>) -> Result<(), Stop> {
        Ok(())
    }
    fn uncaught_report(&mut self, _: &V, _: Origin) -> String {
        "uncaught".into()
    }
}

type Log = Rc<RefCell<Vec<String>>>;

/// A function that logs `text`, then runs `then`.
fn say(log: &Log, text: &str, then: impl Fn(&Shared<T>) + 'static) -> F {
    let log = log.clone();
    let text = text.to_string();
    F(Rc::new(move |rt, _| {
        log.borrow_mut().push(text.clone());
        then(rt);
        Ok(V::Undef)
    }))
}

fn site() -> Site {
    Site::default()
}

fn run(main: impl FnOnce(&Shared<T>, &Log)) -> (Vec<String>, RunOutcome) {
    let rt = Runtime::<T>::shared(Options::default());
    let log: Log = Rc::default();
    let mut host = Host { rt: rt.clone() };
    let outcome = driver::run(&rt, &mut host, |_| {
        main(&rt, &log);
        Ok(())
    });
    let lines = log.borrow().clone();
    (lines, outcome)
}

#[test]
fn ticks_run_before_microtasks_and_drain_completely() {
    let (log, outcome) = run(|rt, log| {
        let l = log.clone();
        let p = rt.borrow_mut().promise_resolve(V::Undef);
        rt.borrow_mut()
            .then(&p, Some(say(log, "P1", |_| {})), None, &site());
        rt.borrow_mut().next_tick(
            say(log, "T1", move |rt| {
                rt.borrow_mut().next_tick(say(&l, "T2", |_| {}), &site());
            }),
            &site(),
        );
    });
    assert_eq!(log, ["T1", "T2", "P1"]);
    assert_eq!(outcome.exit_code, 0);
}

#[test]
fn equal_expiry_is_won_by_the_list_created_first() {
    // A 30 ms list created at t=0 and a 20 ms list created at t=10 both
    // expire at 30 ms: the older list (smaller id) runs first.
    let (log, _) = run(|rt, log| {
        rt.borrow_mut()
            .set_timeout(say(log, "30ms list", |_| {}), 30.0, false, &site());
        rt.borrow_mut().busy(10.0);
        rt.borrow_mut()
            .set_timeout(say(log, "20ms list", |_| {}), 20.0, false, &site());
    });
    assert_eq!(log, ["30ms list", "20ms list"]);
}

#[test]
fn an_unrefed_timer_does_not_keep_the_loop_alive() {
    let (log, _) = run(|rt, log| {
        let id = rt
            .borrow_mut()
            .set_timeout(say(log, "never", |_| {}), 5.0, false, &site());
        rt.borrow_mut().timers.set_ref(id, false);
    });
    assert!(log.is_empty());
}

#[test]
fn an_interval_repeats_until_cleared_from_its_own_callback() {
    let count = Rc::new(RefCell::new(0));
    let (log, _) = run(|rt, log| {
        let id = Rc::new(RefCell::new(None));
        let (c, i, l) = (count.clone(), id.clone(), log.clone());
        let tick = F(Rc::new(move |rt, _| {
            *c.borrow_mut() += 1;
            let now = rt.borrow().clock.now_ns() / 1_000_000;
            l.borrow_mut().push(format!("tick at {now}"));
            if *c.borrow() == 3
                && let Some(t) = *i.borrow()
            {
                rt.borrow_mut().clear_timer(t);
            }
            Ok(V::Undef)
        }));
        *id.borrow_mut() = Some(rt.borrow_mut().set_timeout(tick, 10.0, true, &site()));
    });
    assert_eq!(log, ["tick at 10", "tick at 20", "tick at 30"]);
}

#[test]
fn resolving_with_a_native_promise_costs_two_extra_hops() {
    let (log, _) = run(|rt, log| {
        let inner = rt.borrow_mut().promise_resolve(V::Num(1.0));
        let outer = rt.borrow_mut().new_promise();
        rt.borrow_mut().resolve_promise(&outer, V::P(inner));
        rt.borrow_mut()
            .then(&outer, Some(say(log, "outer", |_| {})), None, &site());
        // A reference chain counting hops.
        let start = rt.borrow_mut().promise_resolve(V::Undef);
        let mut p = start;
        for hop in 1..=4 {
            p = rt.borrow_mut().then(
                &p,
                Some(say(log, &format!("hop {hop}"), |_| {})),
                None,
                &site(),
            );
        }
    });
    assert_eq!(log, ["hop 1", "hop 2", "outer", "hop 3", "hop 4"]);
}

#[test]
fn an_immediate_queued_during_check_runs_next_iteration() {
    let (log, _) = run(|rt, log| {
        let l = log.clone();
        rt.borrow_mut().set_immediate(
            say(log, "i1", move |rt| {
                rt.borrow_mut()
                    .set_immediate(say(&l, "i3 (next iteration)", |_| {}), &site());
            }),
            &site(),
        );
        rt.borrow_mut()
            .set_immediate(say(log, "i2", |_| {}), &site());
    });
    assert_eq!(log, ["i1", "i2", "i3 (next iteration)"]);
}

#[test]
fn an_unhandled_rejection_exits_with_code_1() {
    let (_, outcome) = run(|rt, _| {
        rt.borrow_mut().promise_reject(V::Str("boom".into()));
    });
    assert_eq!(outcome.exit_code, 1);
}

#[test]
fn a_tick_storm_hits_the_event_budget_and_names_starvation() {
    let rt = Runtime::<T>::shared(Options {
        max_events: 5_000,
        ..Options::default()
    });
    fn storm() -> F {
        F(Rc::new(|rt, _| {
            rt.borrow_mut().next_tick(storm(), &Site::default());
            Ok(V::Undef)
        }))
    }
    let mut host = Host { rt: rt.clone() };
    let outcome = driver::run(&rt, &mut host, |_| {
        rt.borrow_mut().next_tick(storm(), &Site::default());
        Ok(())
    });
    assert_eq!(outcome.exit_code, driver::EXIT_BUDGET);
    let message = outcome.fatal.map(|f| f.message).unwrap_or_default();
    assert!(message.contains("Starvation"), "{message}");
    let trace = &rt.borrow().trace;
    // The budget record, the report and the exit record go past the limit.
    assert!(trace.events.len() <= 5_003, "{}", trace.events.len());
    let stderr = trace.output(workbench::trace::Stream::Stderr);
    assert!(stderr.contains("Starvation"), "{stderr}");
}

/// Runs `main` as an ES module (`node x.mjs`) on the bare runtime.
fn run_esm(
    main: impl FnOnce(&Shared<T>, &Log) -> Result<driver::Evaluated<T>, V>,
) -> (Vec<String>, RunOutcome, Shared<T>) {
    // The loader reads the module file (its steps and costs are real).
    let dir = tempfile::tempdir().expect("temp dir");
    let entry = dir.path().join("main.mjs");
    std::fs::write(&entry, "// the module").expect("write");
    let rt = Runtime::<T>::shared(Options {
        module: workbench::runtime::ModuleKind::Esm,
        entry: entry.display().to_string(),
        sandbox: dir.path().to_path_buf(),
        ..Options::default()
    });
    let log: Log = Rc::default();
    let mut host = Host { rt: rt.clone() };
    let outcome = driver::run_entry(&rt, &mut host, |_| main(&rt, &log).map_err(Abrupt::Throw));
    let lines = log.borrow().clone();
    (lines, outcome, rt)
}

#[test]
fn an_es_module_runs_its_microtasks_before_its_ticks_in_the_poll_phase() {
    let (log, outcome, rt) = run_esm(|rt, log| {
        log.borrow_mut().push("body".into());
        let p = rt.borrow_mut().promise_resolve(V::Undef);
        rt.borrow_mut()
            .then(&p, Some(say(log, "P1", |_| {})), None, &site());
        rt.borrow_mut().next_tick(say(log, "T1", |_| {}), &site());
        rt.borrow_mut()
            .set_timeout(say(log, "timeout", |_| {}), 0.0, false, &site());
        rt.borrow_mut()
            .set_immediate(say(log, "immediate", |_| {}), &site());
        Ok(driver::Evaluated::Done)
    });
    // No race: the module ran in the poll phase, so check comes first.
    assert_eq!(log, ["body", "P1", "T1", "immediate", "timeout"]);
    assert_eq!(outcome.exit_code, 0);
    let r = rt.borrow();
    let body = r
        .trace
        .events
        .iter()
        .find(|e| {
            matches!(e.kind, workbench::trace::Kind::CallbackStart { cb }
                if r.trace.callback(cb).is_some_and(|c| c.kind == workbench::trace::CallbackKind::Main))
        })
        .expect("the module job is a traced callback");
    assert_eq!(body.phase(), workbench::trace::Phase::Poll);
    // The loader read the module through the pool first: open, fstat, read, close.
    assert!(body.iteration() >= 4, "iteration {}", body.iteration());
    assert!(r.trace.races.is_empty());
}

#[test]
fn an_es_module_that_throws_is_reported_three_hops_later() {
    let (log, outcome, _) = run_esm(|rt, log| {
        // A chain of reactions, one hop each.
        let mut p = rt.borrow_mut().promise_resolve(V::Undef);
        for hop in 1..=6 {
            p = rt.borrow_mut().then(
                &p,
                Some(say(log, &format!("hop {hop}"), |_| {})),
                None,
                &site(),
            );
        }
        rt.borrow_mut().next_tick(say(log, "tick", |_| {}), &site());
        Err(V::Str("boom".into()))
    });
    assert_eq!(log, ["hop 1", "hop 2", "hop 3"]);
    assert_eq!(outcome.exit_code, 1);
}

#[test]
fn an_unsettled_top_level_await_exits_with_13_unless_an_exit_code_is_set() {
    let (_, outcome, _) = run_esm(|rt, _| {
        let never = rt.borrow_mut().new_promise();
        Ok(driver::Evaluated::Async(never))
    });
    assert_eq!(outcome.exit_code, 13);
    let (_, outcome, _) = run_esm(|rt, _| {
        rt.borrow_mut().exit_code = Some(5);
        let never = rt.borrow_mut().new_promise();
        Ok(driver::Evaluated::Async(never))
    });
    assert_eq!(outcome.exit_code, 5);
    // Settled by a timer: a normal exit.
    let (_, outcome, _) = run_esm(|rt, _| {
        let body = rt.borrow_mut().new_promise();
        let settle = body.clone();
        let resolve = F(Rc::new(move |rt, _| {
            rt.borrow_mut().resolve_promise(&settle, V::Undef);
            Ok(V::Undef)
        }));
        rt.borrow_mut().set_timeout(resolve, 10.0, false, &site());
        Ok(driver::Evaluated::Async(body))
    });
    assert_eq!(outcome.exit_code, 0);
}
