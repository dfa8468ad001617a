//! A seeded random-program generator for differential testing: it writes
//! small Rhai scenarios that mix every Core scheduling primitive, runs them
//! on the model and on real node, and shrinks any program on which the two
//! disagree.
//!
//! Programs must be deterministic in real node, or the hunt reports false
//! disagreements. [`race_hazard`] reads the model's trace and rejects
//! programs whose output could depend on wall-clock timing (close timer
//! deadlines, file-system completions racing timers or immediates);
//! [`check`] also re-runs node before believing a disagreement.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use crate::script::{ModuleKind, RunOptions, Scenario};
use crate::trace::{CallbackKind, Kind, Phase, Trace};
use crate::verify::{self, Output, Verdict};

// ---------------------------------------------------------------------------
// PRNG

/// SplitMix64: tiny, fast and good enough for program generation.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    /// Index chosen with the given weights.
    pub fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u32 = weights.iter().sum();
        let mut r = self.below(total as usize) as u32;
        for (i, w) in weights.iter().enumerate() {
            if r < *w {
                return i;
            }
            r -= w;
        }
        weights.len() - 1
    }
}

/// The program size the hunt uses for a seed: 5 to 25 statements.
pub fn size_for(seed: u64) -> usize {
    5 + (Rng::new(seed ^ 0x5EED).next_u64() % 21) as usize
}

// ---------------------------------------------------------------------------
// Program tree

/// A promise-producing (or awaitable) expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Src {
    /// A plain value (a non-promise in an array, an `await`, a return).
    Value(i64),
    Resolve(i64),
    Reject(i64),
    /// `Promise.create` whose executor settles synchronously.
    Create(Box<Settle>),
    /// A thenable map.
    Thenable(Thenable),
    /// `Promise.create` settled later by a timer.
    Timer {
        delay: u32,
        value: i64,
        reject: bool,
    },
    /// `Promise.create` settled by an fs.stat callback.
    File {
        missing: bool,
    },
    /// `Promise.resolve(inner)`.
    Wrap(Box<Src>),
    Combo(Combo, Vec<Src>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Settle {
    Resolve(i64),
    Reject(i64),
    Throw(i64),
    /// `resolve.call(promise or thenable)`.
    ResolveWith(Src),
    /// Resolves from a nextTick.
    Tick(i64),
    /// `resolve.call(a); reject.call(b);` (the second call is ignored).
    ResolveReject(i64, i64),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Thenable {
    Resolve(i64),
    Reject(i64),
    /// Resolves, then calls resolve again (ignored).
    Twice(i64, i64),
    /// Resolves, then throws (ignored).
    ResolveThrow(i64, i64),
    /// Resolves from a nextTick.
    Tick(i64),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Combo {
    All,
    Race,
    AllSettled,
    Any,
}

/// What a handler (or an async function) ends with.
#[derive(Debug, Clone, PartialEq)]
pub enum Ret {
    None,
    Value(i64),
    Throw(i64),
    Src(Src),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Handler {
    pub label: String,
    pub body: Vec<Node>,
    pub ret: Ret,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Link {
    Then(Handler),
    Catch(Handler),
    Finally(Handler),
    Both(Handler, Handler),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FsOp {
    Read,
    ReadMissing,
    Stat,
    StatMissing,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Node(Node),
    /// `let vN = await src; console.log(label, vN);`, inside try/catch when
    /// `catch_label` is set.
    Await {
        label: String,
        var: String,
        src: Src,
        catch_label: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct AsyncFn {
    pub var: String,
    pub label: String,
    pub arg: i64,
    pub steps: Vec<Step>,
    pub end: Ret,
    pub links: Vec<Link>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Listener {
    pub once: bool,
    pub handler: Handler,
    /// A listener this one adds to the same emitter while it runs.
    pub adds: Option<Handler>,
    /// It logs its own emitter's `listenerCount` while it runs.
    pub counts: bool,
    /// It is a `let` that removes itself (`em.off("e", hN)`) by name.
    pub self_off: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Emitter {
    pub var: String,
    pub listeners: Vec<Listener>,
    /// Two handlers made by the same closure for different ids, the first
    /// removed again: `off` must compare functions by identity.
    pub lookalike: Option<(String, String)>,
    /// `Node::Emit`s, possibly wrapped in deferring nodes.
    pub emits: Vec<Node>,
}

/// How a callback is deferred (or not) by the newer idioms.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Via {
    Direct,
    Tick,
    Microtask,
    Immediate,
    Timeout0,
    Then,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Log(String),
    Tick(String, Vec<Node>),
    Microtask(String, Vec<Node>),
    Timeout(String, u32, Vec<Node>),
    Immediate(String, Vec<Node>),
    Fs(String, FsOp, Vec<Node>),
    /// A promise chain on a source.
    Chain(Src, Vec<Link>),
    Async(AsyncFn),
    Emitter(Emitter),
    Emit(String, i64),
    /// `console.log(label, em.listenerCount("e"))`.
    Count(String, String),
    /// `let pN = src;` then several chains on the same promise, some
    /// attached from a nextTick or microtask.
    Fork(String, Src, Vec<Node>),
    /// `pN<links>;` (only inside a Fork).
    Branch(String, Vec<Link>),
    /// `em.on("e", handler)` (rendered inside a listener only).
    AddListener(String, Handler),
    /// A deliberately unhandled rejection or uncaught exception (at most
    /// one per program).
    Unhandled(String, u8, i64),
    /// `em.off("e", handler)` (rendered inside a self-removing listener).
    Off(String, String),
    /// A timer that names itself: an interval that clears itself after
    /// `count` runs, or (`refresh`) a timeout that refreshes itself.
    Repeat {
        label: String,
        var: String,
        delay: u32,
        count: u8,
        refresh: bool,
    },
    /// A closure that calls itself through its own `let`, `n` times,
    /// deferred by `via`.
    Recurse {
        label: String,
        var: String,
        via: Via,
        n: u8,
    },
    /// `for i in 0..n { via(|| console.log(label, i)) }`: each closure sees
    /// its own iteration's `i`.
    Loop {
        label: String,
        n: u8,
        via: Via,
    },
    /// ES modules only, at the top level: `let vN = await src;` (in a
    /// try/catch when `catch_label` is set), then a log.
    TopAwait {
        label: String,
        var: String,
        src: Src,
        catch_label: Option<String>,
    },
    /// ES modules only: a top-level `await` that never settles (the rest
    /// never runs; node exits with 13 once the loop is empty).
    Hang(String),
    /// ES modules only: `throw v` at the top level (an uncaught exception
    /// reported after the loader's hops).
    TopThrow(String, i64),
}

/// A generated program: top-level statements.
#[derive(Debug, Clone, PartialEq)]
pub struct Program {
    pub stmts: Vec<Node>,
    /// CommonJS, or an ES module (whose top level may await).
    pub module: ModuleKind,
}

// ---------------------------------------------------------------------------
// Generation

struct Gen {
    rng: Rng,
    next: usize,
    budget: usize,
    unhandled_allowed: bool,
    /// Programs that touch the file system (a third of them) use fewer
    /// immediates: an immediate pending while fs is in flight is a race.
    fs: bool,
    /// Which statement kinds [`Gen::node`] may choose (bit i: the i-th
    /// weight there); all of them unless a drill level narrows it.
    kinds: u16,
    /// How deeply promise sources nest (combinators, wrapped promises).
    src_depth: usize,
}

/// Timer delays. Real node's callbacks take real time (the first
/// `console.log` alone can take 10 ms), so distinct deadlines are kept
/// far apart; see [`race_hazard`].
const DELAYS: [u32; 4] = [0, 20, 45, 80];
/// Delays of self-repeating timers (each run is another deadline).
const REPEAT_DELAYS: [u32; 2] = [30, 100];

/// Timers (and a timer and an immediate) closer than this in model time
/// may run in either order in real node.
const NEAR_MS: f64 = 15.0;
/// A timer due less than this after an fs operation starts may race it.
const FS_MARGIN_MS: f64 = 30.0;

impl Gen {
    fn label(&mut self) -> String {
        self.next += 1;
        format!("A{}", self.next)
    }

    fn var(&mut self, prefix: &str) -> String {
        self.next += 1;
        format!("{prefix}{}", self.next)
    }

    fn val(&mut self) -> i64 {
        1 + self.rng.below(9) as i64
    }

    fn delay(&mut self) -> u32 {
        DELAYS[self.rng.weighted(&[4, 3, 2, 1])]
    }

    fn body(&mut self, depth: usize) -> Vec<Node> {
        if depth == 0 || self.budget == 0 {
            return Vec::new();
        }
        let n = self.rng.weighted(&[4, 4, 2]);
        let mut out = Vec::new();
        for _ in 0..n {
            if self.budget == 0 {
                break;
            }
            out.push(self.node(depth - 1));
        }
        out
    }

    fn handler(&mut self, depth: usize, rets: bool) -> Handler {
        let label = self.label();
        let body = self.body(depth);
        let ret = if rets { self.ret(depth) } else { Ret::None };
        Handler { label, body, ret }
    }

    fn ret(&mut self, depth: usize) -> Ret {
        match self.rng.weighted(&[3, 4, 2, 3]) {
            0 => Ret::None,
            1 => Ret::Value(self.val()),
            2 => Ret::Throw(self.val()),
            _ => Ret::Src(self.src(depth.min(self.src_depth))),
        }
    }

    fn thenable(&mut self) -> Thenable {
        let a = self.val();
        let b = self.val();
        match self.rng.weighted(&[5, 2, 1, 1, 2]) {
            0 => Thenable::Resolve(a),
            1 => Thenable::Reject(a),
            2 => Thenable::Twice(a, b),
            3 => Thenable::ResolveThrow(a, b),
            _ => Thenable::Tick(a),
        }
    }

    fn src(&mut self, depth: usize) -> Src {
        let file = if self.fs { 2 } else { 0 };
        let nested = if depth == 0 { 0 } else { 1 };
        let w = [2, 5, 3, 3, 3, 1, file, 2 * nested, 3 * nested];
        match self.rng.weighted(&w) {
            0 => Src::Value(self.val()),
            1 => Src::Resolve(self.val()),
            2 => Src::Reject(self.val()),
            3 => {
                let v = self.val();
                let settle =
                    match self
                        .rng
                        .weighted(&[4, 2, 1, if depth > 0 { 2 } else { 0 }, 2, 1])
                    {
                        0 => Settle::Resolve(v),
                        1 => Settle::Reject(v),
                        2 => Settle::Throw(v),
                        3 => Settle::ResolveWith(self.src(depth - 1)),
                        4 => Settle::Tick(v),
                        _ => Settle::ResolveReject(v, self.val()),
                    };
                Src::Create(Box::new(settle))
            }
            4 => Src::Thenable(self.thenable()),
            5 => Src::Timer {
                delay: self.delay(),
                value: self.val(),
                reject: self.rng.chance(30),
            },
            6 => Src::File {
                missing: self.rng.chance(50),
            },
            7 => Src::Wrap(Box::new(self.src(depth - 1))),
            _ => {
                let combo =
                    [Combo::All, Combo::Race, Combo::AllSettled, Combo::Any][self.rng.below(4)];
                let n = self.rng.weighted(&[1, 3, 4, 2]);
                let items = (0..n).map(|_| self.src(depth - 1)).collect();
                Src::Combo(combo, items)
            }
        }
    }

    fn links(&mut self, depth: usize) -> Vec<Link> {
        let n = self.rng.weighted(&[2, 4, 3, 1]);
        let mut links = Vec::new();
        for _ in 0..n {
            self.budget = self.budget.saturating_sub(1);
            let link = match self.rng.weighted(&[6, 3, 2, 2]) {
                0 => Link::Then(self.handler(depth, true)),
                1 => Link::Catch(self.handler(depth, true)),
                2 => {
                    let label = self.label();
                    let body = self.body(depth);
                    let ret = match self.rng.weighted(&[6, 1, 1, 1]) {
                        0 => Ret::None,
                        1 => Ret::Throw(self.val()),
                        2 => Ret::Src(Src::Reject(self.val())),
                        _ => Ret::Src(Src::Resolve(self.val())),
                    };
                    Link::Finally(Handler { label, body, ret })
                }
                _ => {
                    let a = self.handler(depth, true);
                    let b = self.handler(depth, true);
                    Link::Both(a, b)
                }
            };
            links.push(link);
        }
        // Always end with a catch so that nothing is unhandled by accident.
        let label = self.label();
        links.push(Link::Catch(Handler {
            label,
            body: Vec::new(),
            ret: Ret::None,
        }));
        links
    }

    fn async_fn(&mut self, depth: usize) -> AsyncFn {
        let var = self.var("af");
        let label = self.label();
        let arg = self.val();
        let mut steps = Vec::new();
        let n = 1 + self.rng.below(3);
        for _ in 0..n {
            self.budget = self.budget.saturating_sub(1);
            if self.rng.chance(70) {
                let label = self.label();
                let var = self.var("v");
                let src = self.src(depth.min(self.src_depth));
                let rejects = matches!(src, Src::Reject(_));
                let catch_label = if rejects || self.rng.chance(40) {
                    Some(self.label())
                } else {
                    None
                };
                steps.push(Step::Await {
                    label,
                    var,
                    src,
                    catch_label,
                });
            } else if depth > 0 && self.budget > 0 {
                steps.push(Step::Node(self.node(depth - 1)));
            }
        }
        let end = self.ret(depth);
        let links = self.links(depth);
        AsyncFn {
            var,
            label,
            arg,
            steps,
            end,
            links,
        }
    }

    fn via(&mut self) -> Via {
        let immediate = if self.fs { 0 } else { 2 };
        [
            Via::Direct,
            Via::Tick,
            Via::Microtask,
            Via::Immediate,
            Via::Timeout0,
            Via::Then,
        ][self.rng.weighted(&[1, 3, 3, immediate, 1, 3])]
    }

    fn emitter(&mut self, depth: usize) -> Emitter {
        let var = self.var("em");
        let mut listeners = Vec::new();
        for _ in 0..1 + self.rng.below(2) {
            self.budget = self.budget.saturating_sub(1);
            let once = self.rng.chance(35);
            let handler = self.handler(depth, false);
            let adds = if self.rng.chance(20) {
                Some(self.handler(0, false))
            } else {
                None
            };
            let counts = self.rng.chance(20);
            let self_off = self.rng.chance(20).then(|| self.var("h"));
            listeners.push(Listener {
                once,
                handler,
                adds,
                counts,
                self_off,
            });
        }
        let lookalike = self.rng.chance(20).then(|| (self.label(), self.var("mk")));
        let mut emits = Vec::new();
        for _ in 0..1 + self.rng.below(3) {
            let emit = if self.rng.chance(15) {
                Node::Count(self.label(), var.clone())
            } else {
                Node::Emit(var.clone(), self.val())
            };
            let node = match self.rng.weighted(&[5, 1, 1, 1, 1]) {
                0 => emit,
                1 => Node::Tick(self.label(), vec![emit]),
                2 => Node::Microtask(self.label(), vec![emit]),
                3 => Node::Immediate(self.label(), vec![emit]),
                _ => {
                    let label = self.label();
                    Node::Timeout(label, self.delay(), vec![emit])
                }
            };
            emits.push(node);
        }
        Emitter {
            var,
            listeners,
            lookalike,
            emits,
        }
    }

    fn node(&mut self, depth: usize) -> Node {
        self.budget = self.budget.saturating_sub(1);
        let unhandled = if self.unhandled_allowed { 2 } else { 0 };
        let deep = if depth > 0 { 1 } else { 0 };
        let (immediate, fs) = if self.fs { (2, 6) } else { (7, 0) };
        let w = [
            6,
            10 * deep + 1,
            7 * deep + 1,
            8 * deep + 1,
            immediate * deep + 1,
            fs * deep + fs / 6,
            14,
            7,
            3,
            unhandled,
            4,
            2,
            3,
            3,
        ];
        let mut w = w;
        if self.kinds != u16::MAX {
            // A drill puzzle: fewer plain logs, more callbacks to order.
            w[0] = 2;
            for weight in &mut w[1..=4] {
                *weight = (*weight).max(3);
            }
        }
        for (i, weight) in w.iter_mut().enumerate() {
            if self.kinds & (1 << i) == 0 {
                *weight = 0;
            }
        }
        match self.rng.weighted(&w) {
            0 => Node::Log(self.label()),
            1 => {
                let l = self.label();
                Node::Tick(l, self.body(depth))
            }
            2 => {
                let l = self.label();
                Node::Microtask(l, self.body(depth))
            }
            3 => {
                let l = self.label();
                let d = self.delay();
                Node::Timeout(l, d, self.body(depth))
            }
            4 => {
                let l = self.label();
                Node::Immediate(l, self.body(depth))
            }
            5 => {
                let l = self.label();
                let op = [FsOp::Read, FsOp::ReadMissing, FsOp::Stat, FsOp::StatMissing]
                    [self.rng.below(4)];
                Node::Fs(l, op, self.body(depth))
            }
            6 => {
                let src = self.src(depth.min(self.src_depth));
                Node::Chain(src, self.links(depth))
            }
            7 => Node::Async(self.async_fn(depth)),
            8 => Node::Emitter(self.emitter(depth)),
            9 => {
                self.unhandled_allowed = false;
                let l = self.label();
                let kind = self.rng.below(5) as u8;
                Node::Unhandled(l, kind, self.val())
            }
            11 => Node::Repeat {
                label: self.label(),
                var: self.var("t"),
                delay: REPEAT_DELAYS[self.rng.below(REPEAT_DELAYS.len())],
                count: 2 + self.rng.below(2) as u8,
                refresh: self.rng.chance(40),
            },
            12 => Node::Recurse {
                label: self.label(),
                var: self.var("r"),
                via: self.via(),
                n: 1 + self.rng.below(3) as u8,
            },
            13 => Node::Loop {
                label: self.label(),
                n: 2 + self.rng.below(2) as u8,
                via: self.via(),
            },
            _ => {
                let var = self.var("p");
                let src = self.src(depth.min(self.src_depth));
                let mut branches = Vec::new();
                for _ in 0..2 + self.rng.below(2) {
                    let branch = Node::Branch(var.clone(), self.links(depth.min(1)));
                    let node = match self.rng.weighted(&[4, 1, 1]) {
                        0 => branch,
                        1 => Node::Tick(self.label(), vec![branch]),
                        _ => Node::Microtask(self.label(), vec![branch]),
                    };
                    branches.push(node);
                }
                Node::Fork(var, src, branches)
            }
        }
    }
}

/// The program tree for a seed; `size` bounds its statement count.
pub fn generate_program(seed: u64, size: usize) -> Program {
    generate_program_as(seed, size, ModuleKind::Cjs)
}

/// The program tree for a seed as CommonJS or as an ES module. An ES
/// module's top level also awaits (a fifth of its statements), rarely
/// hangs on a promise that never settles, or throws; a CommonJS program
/// is the same as [`generate_program`]'s (the random stream is only drawn
/// from for ES-module choices in an ES module).
pub fn generate_program_as(seed: u64, size: usize, module: ModuleKind) -> Program {
    let mut rng = Rng::new(seed);
    let unhandled_allowed = rng.chance(10);
    let fs = rng.chance(33);
    let mut g = Gen {
        rng,
        next: 0,
        budget: size.max(1),
        unhandled_allowed,
        fs,
        kinds: u16::MAX,
        src_depth: 2,
    };
    let esm = module == ModuleKind::Esm;
    let mut hang_allowed = esm && g.rng.chance(10);
    let mut stmts = Vec::new();
    while g.budget > 0 {
        if esm && g.rng.chance(20) {
            g.budget = g.budget.saturating_sub(1);
            let label = g.label();
            let node = if hang_allowed && g.rng.chance(25) {
                hang_allowed = false;
                Node::Hang(label)
            } else if g.unhandled_allowed && g.rng.chance(35) {
                g.unhandled_allowed = false;
                Node::TopThrow(label, g.val())
            } else {
                let var = g.var("v");
                let src = g.src(2);
                let rejects = matches!(src, Src::Reject(_));
                let catch_label = (rejects || g.rng.chance(40)).then(|| g.label());
                Node::TopAwait {
                    label,
                    var,
                    src,
                    catch_label,
                }
            };
            stmts.push(node);
            continue;
        }
        stmts.push(g.node(3));
    }
    Program { stmts, module }
}

/// The statement kinds of [`Gen::node`], by the bit a level sets.
mod kind {
    pub const LOG: u16 = 1 << 0;
    pub const TICK: u16 = 1 << 1;
    pub const MICROTASK: u16 = 1 << 2;
    pub const TIMEOUT: u16 = 1 << 3;
    pub const IMMEDIATE: u16 = 1 << 4;
    pub const FS: u16 = 1 << 5;
    pub const CHAIN: u16 = 1 << 6;
    pub const ASYNC: u16 = 1 << 7;
    pub const EMITTER: u16 = 1 << 8;
    pub const FORK: u16 = 1 << 10;
    pub const REPEAT: u16 = 1 << 11;
    pub const RECURSE: u16 = 1 << 12;
    pub const LOOP: u16 = 1 << 13;
}

/// The shape of a drill puzzle at a level (1 to 5): which primitives mix
/// and how deeply callbacks nest. Level 1 is flat logs, ticks,
/// microtasks, timers and immediates; 2 adds promise chains and loops
/// with one level of nesting; 3 adds async functions, self-scheduling
/// closures and the file system, two levels deep; 4 adds emitters,
/// repeating timers and promises with several branches; 5 is everything
/// but deliberate crashes, three levels deep.
#[derive(Debug, Clone, Copy)]
pub struct LevelShape {
    kinds: u16,
    depth: usize,
    src_depth: usize,
    /// Statement budget: `min + seed-derived 0..spread`.
    min: usize,
    spread: usize,
}

/// The shape of level `level` (clamped to 1..=5).
pub fn level_shape(level: u8) -> LevelShape {
    use kind::*;
    let core = LOG | TICK | MICROTASK | TIMEOUT | IMMEDIATE;
    match level.clamp(1, 5) {
        1 => LevelShape {
            kinds: core,
            depth: 0,
            src_depth: 0,
            min: 4,
            spread: 3,
        },
        2 => LevelShape {
            kinds: core | CHAIN | LOOP,
            depth: 1,
            src_depth: 0,
            min: 4,
            spread: 3,
        },
        3 => LevelShape {
            kinds: core | CHAIN | LOOP | ASYNC | RECURSE | FS,
            depth: 2,
            src_depth: 1,
            min: 4,
            spread: 4,
        },
        4 => LevelShape {
            kinds: core | CHAIN | LOOP | ASYNC | RECURSE | FS | EMITTER | REPEAT | FORK,
            depth: 2,
            src_depth: 2,
            min: 5,
            spread: 4,
        },
        _ => LevelShape {
            kinds: !(1 << 9),
            depth: 3,
            src_depth: 2,
            min: 5,
            spread: 5,
        },
    }
}

/// A CommonJS program for a drill puzzle of `level` (see [`level_shape`]),
/// reproducible from `seed`. Never a deliberate crash: a puzzle's answer is
/// what it prints.
pub fn generate_level(seed: u64, level: u8) -> Program {
    let shape = level_shape(level);
    let mut rng = Rng::new(seed ^ 0xD111_5EED);
    let size = shape.min + rng.below(shape.spread);
    let fs = shape.kinds & kind::FS != 0 && rng.chance(33);
    let mut g = Gen {
        rng,
        next: 0,
        budget: size,
        unhandled_allowed: false,
        fs,
        kinds: shape.kinds,
        src_depth: shape.src_depth,
    };
    let mut stmts = Vec::new();
    while g.budget > 0 {
        stmts.push(g.node(shape.depth));
    }
    Program {
        stmts,
        module: ModuleKind::Cjs,
    }
}

/// A Rhai scenario for a seed; `size` bounds its statement count.
pub fn generate(seed: u64, size: usize) -> String {
    generate_program(seed, size).render()
}

/// As [`generate`], as CommonJS or as an ES module.
pub fn generate_as(seed: u64, size: usize, module: ModuleKind) -> String {
    generate_program_as(seed, size, module).render()
}

// ---------------------------------------------------------------------------
// Rendering

fn pad(out: &mut String, indent: usize) {
    for _ in 0..indent {
        out.push_str("  ");
    }
}

impl Thenable {
    fn render(self) -> String {
        match self {
            Thenable::Resolve(v) => format!("#{{ then: |res, rej| res.call({v}) }}"),
            Thenable::Reject(v) => format!("#{{ then: |res, rej| rej.call({v}) }}"),
            Thenable::Twice(a, b) => {
                format!("#{{ then: |res, rej| {{ res.call({a}); res.call({b}); }} }}")
            }
            Thenable::ResolveThrow(a, b) => {
                format!("#{{ then: |res, rej| {{ res.call({a}); throw {b}; }} }}")
            }
            Thenable::Tick(v) => {
                format!("#{{ then: |res, rej| process.nextTick(|| res.call({v})) }}")
            }
        }
    }
}

impl Src {
    /// The expression (may be a plain value or a thenable).
    pub fn expr(&self) -> String {
        match self {
            Src::Value(v) => v.to_string(),
            Src::Resolve(v) => format!("Promise.resolve({v})"),
            Src::Reject(v) => format!("Promise.reject({v})"),
            Src::Create(settle) => {
                let inner = match &**settle {
                    Settle::Resolve(v) => format!("res.call({v})"),
                    Settle::Reject(v) => format!("rej.call({v})"),
                    Settle::Throw(v) => format!("{{ throw {v}; }}"),
                    Settle::ResolveWith(s) => format!("res.call({})", s.expr()),
                    Settle::Tick(v) => format!("process.nextTick(|| res.call({v}))"),
                    Settle::ResolveReject(a, b) => format!("{{ res.call({a}); rej.call({b}); }}"),
                };
                format!("Promise.create(|res, rej| {inner})")
            }
            Src::Thenable(t) => t.render(),
            Src::Timer {
                delay,
                value,
                reject,
            } => {
                let f = if *reject { "rej" } else { "res" };
                format!("Promise.create(|res, rej| setTimeout(|| {f}.call({value}), {delay}))")
            }
            Src::File { missing } => {
                if *missing {
                    "Promise.create(|res, rej| fs.stat(\"missing.txt\", |err, st| rej.call(err.code)))"
                        .to_string()
                } else {
                    "Promise.create(|res, rej| fs.stat(__filename, |err, st| res.call(err == ())))"
                        .to_string()
                }
            }
            Src::Wrap(inner) => format!("Promise.resolve({})", inner.expr()),
            Src::Combo(combo, items) => {
                let items: Vec<String> = items.iter().map(Src::expr).collect();
                let list = items.join(", ");
                match combo {
                    Combo::All => format!("Promise.all([{list}])"),
                    Combo::Race => format!("Promise.race([{list}])"),
                    Combo::AllSettled => format!("Promise.allSettled([{list}])"),
                    // An AggregateError prints a stack trace; rethrow its
                    // `errors` array instead.
                    Combo::Any => {
                        format!("Promise.any([{list}]).catch(|e| {{ throw e.errors; }})")
                    }
                }
            }
        }
    }

    /// The expression as a promise (for `.then` chains).
    pub fn promise(&self) -> String {
        match self {
            Src::Value(_) | Src::Thenable(_) => format!("Promise.resolve({})", self.expr()),
            _ => self.expr(),
        }
    }
}

fn render_nodes(out: &mut String, nodes: &[Node], indent: usize) {
    for n in nodes {
        n.render(out, indent);
    }
}

/// `|params| { console.log(label[, param]); body; ret }`
fn render_handler(out: &mut String, h: &Handler, param: Option<&str>, indent: usize) {
    match param {
        Some(p) => {
            let _ = writeln!(out, "|{p}| {{");
            pad(out, indent + 1);
            let _ = writeln!(out, "console.log(\"{}\", {p});", h.label);
        }
        None => {
            out.push_str("|| {\n");
            pad(out, indent + 1);
            let _ = writeln!(out, "console.log(\"{}\");", h.label);
        }
    }
    render_nodes(out, &h.body, indent + 1);
    render_ret(out, &h.ret, indent + 1);
    pad(out, indent);
    out.push('}');
}

fn render_ret(out: &mut String, ret: &Ret, indent: usize) {
    pad(out, indent);
    match ret {
        Ret::None => out.push_str("()\n"),
        Ret::Value(v) => {
            let _ = writeln!(out, "{v}");
        }
        Ret::Throw(v) => {
            let _ = writeln!(out, "throw {v};");
        }
        Ret::Src(s) => {
            let _ = writeln!(out, "{}", s.expr());
        }
    }
}

fn render_links(out: &mut String, links: &[Link], indent: usize) {
    for link in links {
        out.push('\n');
        pad(out, indent + 1);
        match link {
            Link::Then(h) => {
                out.push_str(".then(");
                render_handler(out, h, Some("v"), indent + 1);
            }
            Link::Catch(h) => {
                out.push_str(".catch(");
                render_handler(out, h, Some("e"), indent + 1);
            }
            Link::Finally(h) => {
                out.push_str(".finally(");
                render_handler(out, h, None, indent + 1);
            }
            Link::Both(a, b) => {
                out.push_str(".then(");
                render_handler(out, a, Some("v"), indent + 1);
                out.push_str(", ");
                render_handler(out, b, Some("e"), indent + 1);
            }
        }
        out.push(')');
    }
    out.push_str(";\n");
}

/// `head(|| { console.log(label); body }tail);`
fn render_callback(
    out: &mut String,
    head: &str,
    label: &str,
    body: &[Node],
    tail: &str,
    indent: usize,
) {
    pad(out, indent);
    let _ = writeln!(out, "{head}(|| {{");
    pad(out, indent + 1);
    let _ = writeln!(out, "console.log(\"{label}\");");
    render_nodes(out, body, indent + 1);
    pad(out, indent);
    let _ = writeln!(out, "}}{tail});");
}

/// `let var = await src; console.log(label, var);`, in a try/catch that
/// logs `catch_label` when there is one.
fn render_await(
    out: &mut String,
    label: &str,
    var: &str,
    src: &Src,
    catch_label: Option<&str>,
    indent: usize,
) {
    let mut inner = indent;
    if catch_label.is_some() {
        pad(out, indent);
        out.push_str("try {\n");
        inner += 1;
    }
    pad(out, inner);
    let _ = writeln!(out, "let {var} = await {};", src.expr());
    pad(out, inner);
    let _ = writeln!(out, "console.log(\"{label}\", {var});");
    if let Some(c) = catch_label {
        pad(out, indent);
        out.push_str("} catch (e) {\n");
        pad(out, indent + 1);
        let _ = writeln!(out, "console.log(\"{c}\", e);");
        pad(out, indent);
        out.push_str("}\n");
    }
}

impl Node {
    fn render(&self, out: &mut String, indent: usize) {
        match self {
            Node::TopAwait {
                label,
                var,
                src,
                catch_label,
            } => render_await(out, label, var, src, catch_label.as_deref(), indent),
            Node::Hang(l) => {
                pad(out, indent);
                let _ = writeln!(out, "console.log(\"{l}\");");
                pad(out, indent);
                out.push_str("await Promise.create(|res, rej| {});\n");
            }
            Node::TopThrow(l, v) => {
                pad(out, indent);
                let _ = writeln!(out, "console.log(\"{l}\");");
                pad(out, indent);
                let _ = writeln!(out, "throw {v};");
            }
            Node::Log(l) => {
                pad(out, indent);
                let _ = writeln!(out, "console.log(\"{l}\");");
            }
            Node::Tick(l, body) => render_callback(out, "process.nextTick", l, body, "", indent),
            Node::Microtask(l, body) => render_callback(out, "queueMicrotask", l, body, "", indent),
            Node::Immediate(l, body) => render_callback(out, "setImmediate", l, body, "", indent),
            Node::Timeout(l, d, body) => {
                render_callback(out, "setTimeout", l, body, &format!(", {d}"), indent)
            }
            Node::Fs(l, op, body) => {
                pad(out, indent);
                let (call, path, param, log) = match op {
                    FsOp::Read => (
                        "readFile",
                        "__filename",
                        "data",
                        "err == (), data.length > 0",
                    ),
                    FsOp::ReadMissing => ("readFile", "\"missing.txt\"", "data", "err.code"),
                    FsOp::Stat => ("stat", "__filename", "st", "err == (), st.isFile()"),
                    FsOp::StatMissing => ("stat", "\"missing.txt\"", "st", "err.code"),
                };
                let _ = writeln!(out, "fs.{call}({path}, |err, {param}| {{");
                pad(out, indent + 1);
                let _ = writeln!(out, "console.log(\"{l}\", {log});");
                render_nodes(out, body, indent + 1);
                pad(out, indent);
                out.push_str("});\n");
            }
            Node::Chain(src, links) => {
                pad(out, indent);
                out.push_str(&src.promise());
                render_links(out, links, indent);
            }
            Node::Async(af) => {
                pad(out, indent);
                let _ = writeln!(out, "let {} = async_fn(|x| {{", af.var);
                pad(out, indent + 1);
                let _ = writeln!(out, "console.log(\"{}\", x);", af.label);
                for step in &af.steps {
                    match step {
                        Step::Node(n) => n.render(out, indent + 1),
                        Step::Await {
                            label,
                            var,
                            src,
                            catch_label,
                        } => render_await(out, label, var, src, catch_label.as_deref(), indent + 1),
                    }
                }
                render_ret(out, &af.end, indent + 1);
                pad(out, indent);
                out.push_str("});\n");
                pad(out, indent);
                let _ = write!(out, "{}.call({})", af.var, af.arg);
                render_links(out, &af.links, indent);
            }
            Node::Emitter(em) => {
                pad(out, indent);
                let _ = writeln!(out, "let {} = EventEmitter.create();", em.var);
                // Listeners use their own emitter (add listeners, count
                // them, remove themselves by name), as JavaScript allows.
                for l in &em.listeners {
                    let method = if l.once { "once" } else { "on" };
                    let mut handler = l.handler.clone();
                    if l.counts {
                        let label = format!("{}c", handler.label);
                        handler.body.insert(0, Node::Count(label, em.var.clone()));
                    }
                    if let Some(added) = &l.adds {
                        handler
                            .body
                            .push(Node::AddListener(em.var.clone(), added.clone()));
                    }
                    pad(out, indent);
                    match &l.self_off {
                        Some(name) => {
                            handler.body.push(Node::Off(em.var.clone(), name.clone()));
                            let _ = write!(out, "let {name} = ");
                            render_handler(out, &handler, Some("v"), indent);
                            out.push_str(";\n");
                            pad(out, indent);
                            let _ = writeln!(out, "{}.{method}(\"e\", {name});", em.var);
                        }
                        None => {
                            let _ = write!(out, "{}.{method}(\"e\", ", em.var);
                            render_handler(out, &handler, Some("v"), indent);
                            out.push_str(");\n");
                        }
                    }
                }
                if let Some((label, mk)) = &em.lookalike {
                    pad(out, indent);
                    let _ = writeln!(out, "let {mk} = |id| |v| console.log(\"{label}\", id, v);");
                    for id in 1..=2 {
                        pad(out, indent);
                        let _ = writeln!(out, "let {mk}h{id} = {mk}.call({id});");
                        pad(out, indent);
                        let _ = writeln!(out, "{}.on(\"e\", {mk}h{id});", em.var);
                    }
                    pad(out, indent);
                    let _ = writeln!(out, "{}.off(\"e\", {mk}h1);", em.var);
                }
                render_nodes(out, &em.emits, indent);
            }
            Node::Off(em, name) => {
                pad(out, indent);
                let _ = writeln!(out, "{em}.off(\"e\", {name});");
            }
            Node::Repeat {
                label,
                var,
                delay,
                count,
                refresh,
            } => {
                pad(out, indent);
                let _ = writeln!(out, "let {var}n = 0;");
                pad(out, indent);
                let set = if *refresh {
                    "setTimeout"
                } else {
                    "setInterval"
                };
                let _ = writeln!(out, "let {var} = {set}(|| {{");
                pad(out, indent + 1);
                let _ = writeln!(out, "{var}n += 1;");
                pad(out, indent + 1);
                let _ = writeln!(out, "console.log(\"{label}\", {var}n);");
                pad(out, indent + 1);
                if *refresh {
                    let _ = writeln!(out, "if {var}n < {count} {{ {var}.refresh(); }}");
                } else {
                    let _ = writeln!(out, "if {var}n == {count} {{ clearInterval({var}); }}");
                }
                pad(out, indent);
                let _ = writeln!(out, "}}, {delay});");
            }
            Node::Recurse { label, var, via, n } => {
                pad(out, indent);
                let _ = writeln!(out, "let {var} = |n| {{");
                pad(out, indent + 1);
                let _ = writeln!(out, "console.log(\"{label}\", n);");
                pad(out, indent + 1);
                let again = match via {
                    Via::Direct => format!("{var}.call(n - 1);"),
                    Via::Tick => format!("process.nextTick(|| {var}.call(n - 1));"),
                    Via::Microtask => format!("queueMicrotask(|| {var}.call(n - 1));"),
                    Via::Immediate => format!("setImmediate(|| {var}.call(n - 1));"),
                    Via::Timeout0 => format!("setTimeout(|| {var}.call(n - 1), 0);"),
                    Via::Then => format!("Promise.resolve(n - 1).then({var});"),
                };
                let _ = writeln!(out, "if n > 0 {{ {again} }}");
                pad(out, indent);
                out.push_str("};\n");
                pad(out, indent);
                let _ = writeln!(out, "{var}.call({n});");
            }
            Node::Loop { label, n, via } => {
                pad(out, indent);
                let _ = writeln!(out, "for i in 0..{n} {{");
                pad(out, indent + 1);
                let log = format!("console.log(\"{label}\", i)");
                let _ = match via {
                    Via::Direct => writeln!(
                        out,
                        "let f = || {log};\n{}f.call();",
                        "  ".repeat(indent + 1)
                    ),
                    Via::Tick => writeln!(out, "process.nextTick(|| {log});"),
                    Via::Microtask => writeln!(out, "queueMicrotask(|| {log});"),
                    Via::Immediate => writeln!(out, "setImmediate(|| {log});"),
                    Via::Timeout0 => writeln!(out, "setTimeout(|| {log}, 0);"),
                    Via::Then => writeln!(out, "Promise.resolve(i).then(|v| {log});"),
                };
                pad(out, indent);
                out.push_str("}\n");
            }
            Node::Emit(var, v) => {
                pad(out, indent);
                let _ = writeln!(out, "{var}.emit(\"e\", {v});");
            }
            Node::Count(l, var) => {
                pad(out, indent);
                let _ = writeln!(out, "console.log(\"{l}\", {var}.listenerCount(\"e\"));");
            }
            Node::Fork(var, src, branches) => {
                pad(out, indent);
                let _ = writeln!(out, "let {var} = {};", src.promise());
                render_nodes(out, branches, indent);
            }
            Node::AddListener(var, h) => {
                pad(out, indent);
                let _ = write!(out, "{var}.on(\"e\", ");
                render_handler(out, h, Some("v"), indent);
                out.push_str(");\n");
            }
            Node::Branch(var, links) => {
                pad(out, indent);
                out.push_str(var);
                render_links(out, links, indent);
            }
            Node::Unhandled(l, kind, v) => {
                pad(out, indent);
                match kind {
                    0 => {
                        let _ = writeln!(out, "Promise.reject({v});");
                    }
                    1 => {
                        let _ = writeln!(
                            out,
                            "Promise.resolve(1).then(|v| {{ console.log(\"{l}\", v); throw {v}; }});"
                        );
                    }
                    2 => {
                        let _ = writeln!(
                            out,
                            "async_fn(|| {{ console.log(\"{l}\"); throw {v}; }}).call();"
                        );
                    }
                    3 => {
                        let _ = writeln!(
                            out,
                            "process.nextTick(|| {{ console.log(\"{l}\"); throw {v}; }});"
                        );
                    }
                    _ => {
                        let _ = writeln!(
                            out,
                            "setTimeout(|| {{ console.log(\"{l}\"); throw {v}; }}, 0);"
                        );
                    }
                }
            }
        }
    }
}

impl Program {
    /// The Rhai text.
    pub fn render(&self) -> String {
        let mut out = String::new();
        render_nodes(&mut out, &self.stmts, 0);
        out
    }
}

// ---------------------------------------------------------------------------
// Race filter

#[derive(Default, Clone, Copy)]
struct CbRec {
    queued: Option<(usize, u64, Phase, u32, u32)>,
    started: Option<(usize, u64, u32)>,
}

/// Why real node could order this program's output differently from run to
/// run (judged from the model's trace), or `None` when it is deterministic.
///
/// Rules, each learnt from a false disagreement:
/// - two timers due within [`NEAR_MS`] of each other must come from the
///   same loop phase with the same delay (then they share a timer list and
///   run in insertion order), and then no immediate may be pending between
///   them near their deadline (a millisecond boundary crossed between
///   their creations can split them across loop iterations);
/// - no two fs operations may be in flight at once (pool completion order);
/// - while one is in flight no immediate may be pending, and no timer that
///   is due less than [`FS_MARGIN_MS`] after the operation began;
/// - a timer must not be due within [`NEAR_MS`] of an immediate that runs
///   while it waits, once a timers phase has passed since the timer was
///   created, except the races the model itself enumerates
///   ([`crate::trace::RaceKind`]).
pub fn race_hazard(trace: &Trace) -> Option<String> {
    let mut recs: HashMap<u32, CbRec> = HashMap::new();
    // A timer callback that runs again (an interval, a refreshed timeout)
    // is one more deadline each time: (its id, the run before, this run),
    // each run as (sequence, time, iteration).
    type Run = (usize, u64, u32);
    let mut reruns: Vec<(u32, Run, Run)> = Vec::new();
    for (seq, e) in trace.events.iter().enumerate() {
        match e.kind {
            Kind::Queued { cb, due_ms } => {
                let r = recs.entry(cb.0).or_default();
                if r.queued.is_none() {
                    r.queued = Some((seq, e.time_ns, e.phase(), e.iteration(), due_ms));
                }
            }
            Kind::CallbackStart { cb } => {
                let r = recs.entry(cb.0).or_default();
                let this = (seq, e.time_ns, e.iteration());
                match r.started {
                    None => r.started = Some(this),
                    Some(first) => {
                        let previous = reruns
                            .iter()
                            .rev()
                            .find(|(id, ..)| *id == cb.0)
                            .map_or(first, |(.., last)| *last);
                        reruns.push((cb.0, previous, this));
                    }
                }
            }
            _ => {}
        }
    }
    let end = trace.events.len();
    let kind_of = |cb: u32| trace.callbacks.get(cb as usize).map(|c| c.kind);
    let mut ids: Vec<u32> = recs.keys().copied().collect();
    ids.sort_unstable();
    let of_kind = |k: CallbackKind| -> Vec<(u32, CbRec)> {
        ids.iter()
            .filter(|id| kind_of(**id) == Some(k) && recs[id].queued.is_some())
            .map(|id| (*id, recs[id]))
            .collect()
    };
    // Intervals are timers too (each run one more deadline, below).
    let mut timers = of_kind(CallbackKind::Timeout);
    timers.extend(of_kind(CallbackKind::Interval));
    for (cb, (pseq, ptime, piter), this) in &reruns {
        if matches!(
            kind_of(*cb),
            Some(CallbackKind::Timeout | CallbackKind::Interval)
        ) {
            let due = (this.1 as f64 / 1e6).round() as u32;
            timers.push((
                *cb,
                CbRec {
                    queued: Some((*pseq, *ptime, Phase::Timers, *piter, due)),
                    started: Some(*this),
                },
            ));
        }
    }
    let immediates = of_kind(CallbackKind::Immediate);
    let ios = of_kind(CallbackKind::Io);
    let span = |r: &CbRec| (r.queued.unwrap().0, r.started.map_or(end, |s| s.0));
    let ms = |ns: u64| ns as f64 / 1e6;

    // Timers due close together.
    for (i, (a, ra)) in timers.iter().enumerate() {
        let (_, _, pa, ia, da) = ra.queued.unwrap();
        for (b, rb) in &timers[i + 1..] {
            let (_, _, pb, ib, db) = rb.queued.unwrap();
            let gap = da.abs_diff(db);
            if (gap as f64) >= NEAR_MS {
                continue;
            }
            if !(pa == pb && ia == ib && gap <= 1) {
                return Some(format!("timers #{a} and #{b} are due {da} ms and {db} ms"));
            }
            // One timer list, but created at different real times: a
            // millisecond boundary between them can split them across
            // loop iterations, letting a pending immediate run between.
            let (qa, sa) = span(ra);
            let (qb, sb) = span(rb);
            let (created, last) = (qa.max(qb), sa.max(sb));
            let due = da.max(db) as f64;
            for (c, rc) in &immediates {
                let (qc, sc) = span(rc);
                let tc = rc.started.map_or(f64::INFINITY, |s| ms(s.1));
                if qc < last && sc > created && tc >= due - NEAR_MS {
                    return Some(format!(
                        "immediate #{c} may run between timers #{a} and #{b} (one list, due {due} ms)"
                    ));
                }
            }
        }
    }
    // File-system operations in flight.
    for (i, (a, ra)) in ios.iter().enumerate() {
        let (qa, sa) = span(ra);
        let t0 = ms(ra.queued.unwrap().1);
        for (b, rb) in &ios[i + 1..] {
            let (qb, sb) = span(rb);
            if qb < sa && sb > qa {
                return Some(format!(
                    "fs operations #{a} and #{b} are in flight together"
                ));
            }
        }
        for (b, rb) in &immediates {
            let (qb, sb) = span(rb);
            if qb < sa && sb > qa {
                return Some(format!(
                    "immediate #{b} is pending while fs #{a} is in flight"
                ));
            }
        }
        for (b, rb) in &timers {
            let (qb, sb) = span(rb);
            let due = rb.queued.unwrap().4 as f64;
            if qb < sa && sb > qa && due < t0 + FS_MARGIN_MS {
                return Some(format!(
                    "timer #{b} is due {due} ms, near fs #{a} started at {t0} ms"
                ));
            }
        }
    }
    // Timers due soon after immediates that run while they wait.
    for (a, ra) in &timers {
        let (qa, sa) = span(ra);
        let (_, tq, phase, iter, due) = ra.queued.unwrap();
        for (b, rb) in &immediates {
            let Some((sb, tb, ib)) = rb.started else {
                continue;
            };
            if sb <= qa || sb >= sa || ib <= iter {
                continue;
            }
            if (due as f64) - ms(tb) >= NEAR_MS {
                continue;
            }
            let modelled = !trace.races.is_empty()
                && (due as f64) - ms(tq) <= 1.5
                && ((phase == Phase::Main && ib == 1) || (phase == Phase::Check && ib == iter + 1));
            if !modelled {
                return Some(format!(
                    "timer #{a} (due {due} ms) waits while immediate #{b} runs at {:.3} ms",
                    ms(tb)
                ));
            }
        }
    }
    None
}

// ---------------------------------------------------------------------------
// Checking and shrinking

/// A disagreement with node, shrunk.
#[derive(Debug, Clone)]
pub struct Finding {
    pub seed: u64,
    pub size: usize,
    pub module: ModuleKind,
    pub original: String,
    pub minimized: String,
    pub js: String,
    pub divergence: String,
    pub model: Output,
    pub node: Output,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "=== seed {} (size {}, {}) disagrees with node",
            self.seed,
            self.size,
            self.module.title()
        )?;
        writeln!(f, "--- minimised scenario:\n{}", self.minimized.trim_end())?;
        writeln!(f, "--- {}", self.divergence)?;
        writeln!(
            f,
            "--- node (exit {}):\n{}",
            self.node.code,
            show_output(&self.node)
        )?;
        writeln!(
            f,
            "--- model (exit {}):\n{}",
            self.model.code,
            show_output(&self.model)
        )
    }
}

fn show_output(o: &Output) -> String {
    let mut s = o.stdout.trim_end().to_string();
    let err = verify::normalize_stderr(&o.stderr);
    if !err.trim().is_empty() {
        s.push_str("\n[stderr]\n");
        s.push_str(err.trim_end());
    }
    s
}

/// What one seed came to.
#[derive(Debug, Clone)]
pub enum Outcome {
    Agree,
    /// Rejected by the race filter (the reason).
    Discarded(String),
    /// Node disagreed once but agreed when re-run: a timing race.
    Flaky,
    Disagree(Box<Finding>),
    /// The generator produced something that does not compile or render.
    Broken(String),
}

/// Prepended to the JavaScript given to node: creates the stdio streams.
pub const NODE_WARMUP: &str = "process.stdout; process.stderr;\n";

/// How many times node runs before a disagreement is believed.
const NODE_RUNS: usize = 3;
/// The most candidate programs tried while shrinking.
const SHRINK_BUDGET: usize = 300;

enum Probe {
    Agree,
    Hazard(String),
    Disagree(verify::Divergence),
    Broken(String),
}

struct Checker {
    dir: tempfile::TempDir,
    module: ModuleKind,
}

impl Checker {
    fn new(module: ModuleKind) -> std::io::Result<Checker> {
        Ok(Checker {
            dir: tempfile::tempdir()?,
            module,
        })
    }

    /// `prog.rhai`, or `prog.mjs.rhai` for an ES module (the name decides,
    /// for the model as for node).
    fn path(&self) -> PathBuf {
        self.dir.path().join(match self.module {
            ModuleKind::Cjs => "prog.rhai",
            ModuleKind::Esm => "prog.mjs.rhai",
        })
    }

    fn compile(&self, text: &str) -> Result<(Scenario, String), String> {
        let path = self.path();
        std::fs::write(&path, text).map_err(|e| e.to_string())?;
        let scenario = Scenario::compile(path, text.to_string()).map_err(|e| e.report)?;
        let js = scenario.to_js().map_err(|e| e.report)?;
        Ok((scenario, js))
    }

    /// Compiles, filters races, runs node once and compares.
    fn probe(&self, text: &str) -> Probe {
        let (scenario, js) = match self.compile(text) {
            Ok(x) => x,
            Err(e) => return Probe::Broken(e),
        };
        let model = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            verify::run_model(&scenario, &RunOptions::default())
        }));
        let (_, result) = match model {
            Ok(x) => x,
            Err(_) => return Probe::Broken("the model panicked".into()),
        };
        if let Some(reason) = race_hazard(&result.trace) {
            return Probe::Hazard(reason);
        }
        match self.node_verdict(&scenario, &js) {
            Ok(None) => Probe::Agree,
            Ok(Some(d)) => Probe::Disagree(d),
            Err(e) => Probe::Broken(e),
        }
    }

    fn node_verdict(
        &self,
        scenario: &Scenario,
        js: &str,
    ) -> Result<Option<verify::Divergence>, String> {
        // The first console.log creates node's stdout stream, which takes
        // 5-15 ms: long enough to let a 20 ms timer beat an immediate. Do
        // that before the program starts (it prints nothing).
        let js = format!("{NODE_WARMUP}{js}");
        let node = verify::run_node_as(&js, &scenario.sandbox(), "prog", self.module)
            .map_err(|e| format!("cannot run node: {e}"))?;
        let verdict = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            verify::verify_against(scenario, &node)
        }))
        .map_err(|_| "the model panicked".to_string())?;
        Ok(match verdict {
            Verdict::Agree { .. } => None,
            Verdict::Disagree(d) => Some(d),
        })
    }

    /// Node disagrees on every one of `NODE_RUNS` runs.
    fn confirmed(&self, text: &str) -> bool {
        let Ok((scenario, js)) = self.compile(text) else {
            return false;
        };
        (1..NODE_RUNS).all(|_| matches!(self.node_verdict(&scenario, &js), Ok(Some(_))))
    }
}

/// Generates the program for `seed`, filters races, compares the model
/// with node, and shrinks a disagreement.
pub fn check(seed: u64, size: usize) -> Outcome {
    check_as(seed, size, ModuleKind::Cjs)
}

/// As [`check`], generating and comparing the program as CommonJS or as
/// an ES module.
pub fn check_as(seed: u64, size: usize, module: ModuleKind) -> Outcome {
    let checker = match Checker::new(module) {
        Ok(c) => c,
        Err(e) => return Outcome::Broken(format!("cannot make a temporary directory: {e}")),
    };
    let program = generate_program_as(seed, size, module);
    let text = program.render();
    match checker.probe(&text) {
        Probe::Agree => Outcome::Agree,
        Probe::Hazard(r) => Outcome::Discarded(r),
        Probe::Broken(e) => Outcome::Broken(format!("seed {seed}: {e}\n{text}")),
        Probe::Disagree(first) => {
            if !checker.confirmed(&text) {
                return Outcome::Flaky;
            }
            // Keep the same kind of difference (stdout, stderr or exit
            // code) so that shrinking does not wander off to another bug.
            let stream = first.stream;
            let small = shrink(
                program,
                |p| matches!(checker.probe(&p.render()), Probe::Disagree(d) if d.stream == stream),
            );
            let minimized = small.render();
            // Report the final program's outputs.
            let (js, d) = match checker.compile(&minimized) {
                Ok((scenario, js)) => match checker.node_verdict(&scenario, &js) {
                    Ok(Some(d)) => (js, d),
                    _ => return Outcome::Flaky,
                },
                Err(e) => return Outcome::Broken(e),
            };
            Outcome::Disagree(Box::new(Finding {
                seed,
                size,
                module,
                original: text,
                minimized,
                js,
                divergence: d.to_string(),
                model: d.model_output.clone(),
                node: d.node_output.clone(),
            }))
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Edit {
    Delete,
    Unwrap,
    Simplify,
}

/// Greedy shrinking: delete statements, unwrap callbacks into their
/// bodies, simplify sources and returns, while `fails` holds.
pub fn shrink(mut program: Program, mut fails: impl FnMut(&Program) -> bool) -> Program {
    let mut tries = 0;
    loop {
        let mut changed = false;
        for edit in [Edit::Delete, Edit::Unwrap, Edit::Simplify] {
            let mut site = 0;
            loop {
                if tries >= SHRINK_BUDGET {
                    return program;
                }
                let mut candidate = program.clone();
                let mut k = site;
                if !edit_nodes(&mut candidate.stmts, &mut k, edit) {
                    break;
                }
                if candidate == program {
                    site += 1;
                    continue;
                }
                tries += 1;
                if fails(&candidate) {
                    program = candidate;
                    changed = true;
                } else {
                    site += 1;
                }
            }
        }
        if !changed {
            return program;
        }
    }
}

fn take_site(k: &mut usize) -> bool {
    if *k == 0 {
        true
    } else {
        *k -= 1;
        false
    }
}

fn edit_nodes(list: &mut Vec<Node>, k: &mut usize, e: Edit) -> bool {
    let mut i = 0;
    while i < list.len() {
        if e == Edit::Delete && take_site(k) {
            list.remove(i);
            return true;
        }
        if e == Edit::Unwrap
            && let Some(body) = list[i].unwrappable()
            && take_site(k)
        {
            list.splice(i..=i, body);
            return true;
        }
        if edit_node(&mut list[i], k, e) {
            return true;
        }
        i += 1;
    }
    false
}

fn edit_vec<T>(
    v: &mut Vec<T>,
    k: &mut usize,
    e: Edit,
    mut f: impl FnMut(&mut T, &mut usize) -> bool,
) -> bool {
    let mut i = 0;
    while i < v.len() {
        if e == Edit::Delete && take_site(k) {
            v.remove(i);
            return true;
        }
        if f(&mut v[i], k) {
            return true;
        }
        i += 1;
    }
    false
}

fn edit_src(s: &mut Src, k: &mut usize, e: Edit) -> bool {
    if e == Edit::Simplify {
        let simpler = match s {
            Src::Resolve(_) | Src::Reject(_) | Src::Value(_) => None,
            Src::Wrap(inner) => Some((**inner).clone()),
            Src::Create(settle) => match &**settle {
                Settle::ResolveWith(inner) => Some(inner.clone()),
                Settle::Reject(v) | Settle::Throw(v) => Some(Src::Reject(*v)),
                Settle::Resolve(v) | Settle::Tick(v) | Settle::ResolveReject(v, _) => {
                    Some(Src::Resolve(*v))
                }
            },
            Src::Thenable(Thenable::Reject(v))
            | Src::Timer {
                value: v,
                reject: true,
                ..
            } => Some(Src::Reject(*v)),
            Src::Thenable(
                Thenable::Resolve(v)
                | Thenable::Twice(v, _)
                | Thenable::ResolveThrow(v, _)
                | Thenable::Tick(v),
            )
            | Src::Timer { value: v, .. } => Some(Src::Resolve(*v)),
            Src::File { missing } => Some(if *missing {
                Src::Reject(1)
            } else {
                Src::Resolve(1)
            }),
            Src::Combo(_, items) if items.len() == 1 => Some(items[0].clone()),
            Src::Combo(..) => None,
        };
        if let Some(simpler) = simpler
            && take_site(k)
        {
            *s = simpler;
            return true;
        }
    }
    match s {
        Src::Wrap(inner) => edit_src(inner, k, e),
        Src::Create(settle) => match &mut **settle {
            Settle::ResolveWith(inner) => edit_src(inner, k, e),
            _ => false,
        },
        Src::Combo(_, items) => edit_vec(items, k, e, |s, k| edit_src(s, k, e)),
        _ => false,
    }
}

fn edit_ret(r: &mut Ret, k: &mut usize, e: Edit) -> bool {
    if e == Edit::Simplify && *r != Ret::None && take_site(k) {
        *r = Ret::None;
        return true;
    }
    match r {
        Ret::Src(s) => edit_src(s, k, e),
        _ => false,
    }
}

fn edit_handler(h: &mut Handler, k: &mut usize, e: Edit) -> bool {
    edit_nodes(&mut h.body, k, e) || edit_ret(&mut h.ret, k, e)
}

fn edit_links(links: &mut Vec<Link>, k: &mut usize, e: Edit) -> bool {
    edit_vec(links, k, e, |link, k| match link {
        Link::Then(h) | Link::Catch(h) | Link::Finally(h) => edit_handler(h, k, e),
        Link::Both(a, b) => edit_handler(a, k, e) || edit_handler(b, k, e),
    })
}

fn edit_node(n: &mut Node, k: &mut usize, e: Edit) -> bool {
    match n {
        Node::Log(_)
        | Node::Emit(..)
        | Node::Unhandled(..)
        | Node::Count(..)
        | Node::AddListener(..)
        | Node::Off(..)
        | Node::Repeat { .. }
        | Node::Recurse { .. }
        | Node::Loop { .. } => false,
        Node::Hang(_) | Node::TopThrow(..) => false,
        Node::TopAwait {
            src, catch_label, ..
        } => {
            if e == Edit::Simplify
                && catch_label.is_some()
                && !matches!(src, Src::Reject(_))
                && take_site(k)
            {
                *catch_label = None;
                return true;
            }
            edit_src(src, k, e)
        }
        Node::Fork(_, src, branches) => edit_src(src, k, e) || edit_nodes(branches, k, e),
        Node::Branch(_, links) => edit_links(links, k, e),
        Node::Tick(_, b)
        | Node::Microtask(_, b)
        | Node::Immediate(_, b)
        | Node::Timeout(_, _, b)
        | Node::Fs(_, _, b) => edit_nodes(b, k, e),
        Node::Chain(src, links) => edit_src(src, k, e) || edit_links(links, k, e),
        Node::Async(af) => {
            edit_vec(&mut af.steps, k, e, |step, k| match step {
                Step::Node(n) => edit_node(n, k, e),
                Step::Await {
                    src, catch_label, ..
                } => {
                    if e == Edit::Simplify
                        && catch_label.is_some()
                        && !matches!(src, Src::Reject(_))
                        && take_site(k)
                    {
                        *catch_label = None;
                        return true;
                    }
                    edit_src(src, k, e)
                }
            }) || edit_ret(&mut af.end, k, e)
                || edit_links(&mut af.links, k, e)
        }
        Node::Emitter(em) => {
            if e == Edit::Simplify && em.lookalike.is_some() && take_site(k) {
                em.lookalike = None;
                return true;
            }
            edit_vec(&mut em.listeners, k, e, |l, k| {
                if e == Edit::Simplify && l.adds.is_some() && take_site(k) {
                    l.adds = None;
                    return true;
                }
                if e == Edit::Simplify && (l.counts || l.self_off.is_some()) && take_site(k) {
                    l.counts = false;
                    l.self_off = None;
                    return true;
                }
                edit_handler(&mut l.handler, k, e)
            }) || edit_nodes(&mut em.emits, k, e)
        }
    }
}

impl Node {
    /// The statements a node can be replaced by: a callback's body, or the
    /// bodies of a chain's handlers, an async function's plain steps, an
    /// emitter's listeners.
    fn unwrappable(&self) -> Option<Vec<Node>> {
        let handlers = |links: &[Link]| -> Vec<Node> {
            let mut out = Vec::new();
            for link in links {
                match link {
                    Link::Then(h) | Link::Catch(h) | Link::Finally(h) => {
                        out.extend(h.body.iter().cloned())
                    }
                    Link::Both(a, b) => {
                        out.extend(a.body.iter().cloned());
                        out.extend(b.body.iter().cloned());
                    }
                }
            }
            out
        };
        match self {
            Node::Tick(_, b)
            | Node::Microtask(_, b)
            | Node::Immediate(_, b)
            | Node::Timeout(_, _, b)
            | Node::Fs(_, _, b) => Some(b.clone()),
            Node::Chain(_, links) => Some(handlers(links)),
            Node::Async(af) => {
                let mut out: Vec<Node> = af
                    .steps
                    .iter()
                    .filter_map(|s| match s {
                        Step::Node(n) => Some(n.clone()),
                        Step::Await { .. } => None,
                    })
                    .collect();
                out.extend(handlers(&af.links));
                Some(out)
            }
            Node::Emitter(em) => Some(
                em.listeners
                    .iter()
                    .flat_map(|l| l.handler.body.iter().cloned())
                    .collect(),
            ),
            _ => None,
        }
    }
}

/// Checks a scenario text directly (for replaying a minimised program).
pub fn check_text(text: &str) -> Result<Option<String>, String> {
    check_text_as(text, ModuleKind::Cjs)
}

/// As [`check_text`], as CommonJS or as an ES module.
pub fn check_text_as(text: &str, module: ModuleKind) -> Result<Option<String>, String> {
    let checker = Checker::new(module).map_err(|e| e.to_string())?;
    match checker.probe(text) {
        Probe::Agree => Ok(None),
        Probe::Hazard(r) => Err(format!("race hazard: {r}")),
        Probe::Broken(e) => Err(e),
        Probe::Disagree(d) => Ok(Some(format!(
            "{d}\n--- node:\n{}\n--- model:\n{}",
            show_output(&d.node_output),
            show_output(&d.model_output)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_program() {
        for seed in 0..50 {
            assert_eq!(
                generate(seed, size_for(seed)),
                generate(seed, size_for(seed))
            );
        }
        assert_ne!(generate(1, 15), generate(2, 15));
    }

    #[test]
    fn programs_compile_and_render() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("prog.rhai");
        for seed in 0..400 {
            let text = generate(seed, size_for(seed));
            let scenario = Scenario::compile(path.clone(), text.clone())
                .unwrap_or_else(|e| panic!("seed {seed} does not compile:\n{}\n{text}", e.report));
            scenario
                .to_js()
                .unwrap_or_else(|e| panic!("seed {seed} does not render:\n{}\n{text}", e.report));
        }
    }

    #[test]
    fn es_module_programs_await_at_the_top_level_and_compile_as_modules() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("prog.mjs.rhai");
        let mut awaits = 0;
        for seed in 0..300 {
            // CommonJS programs do not depend on the mode switch.
            assert_eq!(
                generate(seed, size_for(seed)),
                generate_as(seed, size_for(seed), ModuleKind::Cjs)
            );
            let program = generate_program_as(seed, size_for(seed), ModuleKind::Esm);
            awaits += program
                .stmts
                .iter()
                .filter(|n| matches!(n, Node::TopAwait { .. } | Node::Hang(_)))
                .count();
            let text = program.render();
            let scenario = Scenario::compile(path.clone(), text.clone())
                .unwrap_or_else(|e| panic!("seed {seed} does not compile:\n{}\n{text}", e.report));
            let js = scenario
                .to_js()
                .unwrap_or_else(|e| panic!("seed {seed} does not render:\n{}\n{text}", e.report));
            assert!(!js.contains("require("), "seed {seed}: {js}");
        }
        assert!(
            awaits > 100,
            "only {awaits} top-level awaits in 300 programs"
        );
    }

    #[test]
    fn the_model_runs_es_module_programs() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("prog.mjs.rhai");
        let mut hung = 0;
        for seed in 0..150 {
            let text = generate_as(seed, size_for(seed), ModuleKind::Esm);
            std::fs::write(&path, &text).unwrap();
            let scenario = Scenario::compile(path.clone(), text).unwrap();
            let (out, result) = verify::run_model(&scenario, &RunOptions::default());
            assert_eq!(result.module, ModuleKind::Esm);
            assert!(
                matches!(out.code, 0 | 1 | 13),
                "seed {seed}: exit {}\n{}",
                out.code,
                out.stderr
            );
            if out.code == 13 {
                hung += 1;
            }
        }
        assert!(hung > 0, "no program hung on a top-level await");
    }

    #[test]
    fn programs_are_small() {
        for seed in 0..200 {
            let size = size_for(seed);
            assert!((5..=25).contains(&size));
            let lines = generate(seed, size).lines().count();
            assert!(lines < 400, "seed {seed}: {lines} lines");
        }
    }

    #[test]
    fn shrinking_deletes_irrelevant_statements() {
        let program = generate_program(7, 20);
        // "Fails" while any top-level Log survives: shrinks to few nodes.
        let has_log = |p: &Program| p.stmts.iter().any(|n| matches!(n, Node::Log(_)));
        if has_log(&program) {
            let small = shrink(program, has_log);
            assert_eq!(small.stmts.len(), 1);
        }
    }

    #[test]
    fn model_runs_generated_programs() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("prog.rhai");
        let mut hazards = 0;
        for seed in 0..100 {
            let text = generate(seed, size_for(seed));
            std::fs::write(&path, &text).unwrap();
            let scenario = Scenario::compile(path.clone(), text).unwrap();
            let (out, result) = verify::run_model(&scenario, &RunOptions::default());
            assert!(
                out.code == 0 || out.code == 1,
                "seed {seed}: exit {}\n{}",
                out.code,
                out.stderr
            );
            if race_hazard(&result.trace).is_some() {
                hazards += 1;
            }
        }
        assert!(hazards < 80, "{hazards} of 100 programs are racy");
    }
}
