//! Trace writers: human-readable text (one event per line), JSON lines (a
//! format-version header, then one object per event) and Chrome Trace Event
//! format (opens in Perfetto and chrome://tracing).

use std::fmt::Write as _;
use std::io::{self, Write};

use serde_json::{Value, json};

use super::{CbId, Event, Kind, Phase, Stream, Trace};

/// The JSON-lines format version; bump when a field changes meaning.
pub const JSON_FORMAT_VERSION: u32 = 1;

fn ms(time_ns: u64) -> String {
    format!("{}.{:03}", time_ns / 1_000_000, (time_ns / 1_000) % 1_000)
}

fn cb_name(trace: &Trace, cb: CbId) -> String {
    match trace.callback(cb) {
        Some(info) => {
            let label = trace.text(info.label);
            let mut s = format!("{} #{}", info.kind.name(), cb.0);
            if !label.is_empty() {
                let _ = write!(s, " {label}");
            }
            if info.line > 0 {
                let _ = write!(s, " (line {})", info.line);
            }
            s
        }
        None => format!("#{}", cb.0),
    }
}

fn escape_line(text: &str) -> String {
    text.replace('\\', "\\\\").replace('\n', "\\n")
}

/// A one-line description of an event, as the text trace shows it.
pub fn describe(trace: &Trace, event: &Event) -> String {
    match event.kind {
        Kind::ScriptStart => "main script starts".into(),
        Kind::ScriptEnd => "main script ends".into(),
        Kind::IterationStart => format!("loop iteration {} begins", event.iteration()),
        Kind::PhaseEnter(p) => format!("enter {} phase", p.name()),
        Kind::PollWait { micros } => {
            format!("poll waits {}.{:03} ms", micros / 1000, micros % 1000)
        }
        Kind::Queued { cb, due_ms } => {
            let mut s = format!("queue {}", cb_name(trace, cb));
            if let Some(info) = trace.callback(cb)
                && matches!(
                    info.kind,
                    super::CallbackKind::Timeout | super::CallbackKind::Interval
                )
            {
                let _ = write!(s, " due at {due_ms} ms");
            }
            s
        }
        Kind::Cleared { cb } => format!("clear {}", cb_name(trace, cb)),
        Kind::CallbackStart { cb } => format!("run {}", cb_name(trace, cb)),
        Kind::CallbackEnd { cb, threw } => {
            if threw {
                format!("end #{} (threw)", cb.0)
            } else {
                format!("end #{}", cb.0)
            }
        }
        Kind::DrainStart => "drain nextTicks and microtasks".into(),
        Kind::DrainEnd => "queues empty".into(),
        Kind::PromiseSettled { promise, rejected } => format!(
            "promise p{promise} {}",
            if rejected { "rejected" } else { "fulfilled" }
        ),
        // The first item creates the pool; its size is shown when it is not
        // libuv's default of 4 (UV_THREADPOOL_SIZE or --pool-size).
        Kind::PoolQueued {
            task: 0,
            op,
            threads,
        } if threads != 4 => format!(
            "pool: queue task 0 ({}); the pool starts with {threads} thread{}",
            op.name(),
            if threads == 1 { "" } else { "s" }
        ),
        Kind::PoolQueued { task, op, .. } => format!("pool: queue task {task} ({})", op.name()),
        Kind::PoolStart { task, thread } => format!("pool: thread {thread} starts task {task}"),
        Kind::PoolDone { task, thread } => {
            format!("pool: thread {thread} finished task {task}")
        }
        Kind::Console { stream, text } => format!(
            "{}: {}",
            match stream {
                Stream::Stdout => "stdout",
                Stream::Stderr => "stderr",
            },
            escape_line(trace.text(text))
        ),
        Kind::Note { text } => format!("note: {}", escape_line(trace.text(text))),
        Kind::Race {
            kind,
            timeout_first,
        } => format!(
            "RACE: {} (this run: {} first)",
            kind.describe(),
            if timeout_first {
                "timeout"
            } else {
                "immediate"
            }
        ),
        Kind::UnhandledRejection { promise } => format!("unhandled rejection of p{promise}"),
        Kind::UncaughtException => "uncaught exception".into(),
        Kind::BeforeExit => "emit 'beforeExit'".into(),
        Kind::ExitEvent { code } => format!("emit 'exit' ({code})"),
        Kind::Budget { kind, ticks } => match kind {
            super::BudgetKind::Events => {
                format!(
                    "BUDGET: event limit reached ({ticks} ticks/microtasks since the loop last advanced)"
                )
            }
            super::BudgetKind::Operations => "BUDGET: operations limit reached".into(),
            super::BudgetKind::Hang => {
                "BUDGET: every thread waits for a message nobody will send".into()
            }
            super::BudgetKind::Clock => "BUDGET: the virtual clock reached its limit".into(),
            super::BudgetKind::Wall => "BUDGET: the wall-clock budget (--max-wall) ran out".into(),
            super::BudgetKind::Memory => "BUDGET: the memory budget (--max-memory) ran out".into(),
        },
        Kind::Exit { code } => format!("process exits with code {code}"),
        Kind::StreamNew {
            class,
            stream,
            hwm,
            label,
        } => format!(
            "stream s{stream}: new {} '{}' (highWaterMark {hwm})",
            class.name(),
            escape_line(trace.text(label))
        ),
        Kind::StreamLevel {
            side,
            stream,
            length,
        } => format!(
            "stream s{stream}: {} buffer length {length}",
            match side {
                super::StreamSide::Readable => "readable",
                super::StreamSide::Writable => "writable",
            }
        ),
        Kind::StreamSignal { signal, stream } => {
            format!("stream s{stream}: {}", signal.name())
        }
        Kind::EldSample { monitor, delta_ns } => match delta_ns.get() {
            0 => format!("event-loop-delay monitor {monitor}: first sample, starts measuring"),
            d => format!(
                "event-loop-delay monitor {monitor}: records {}.{:06} ms",
                d / 1_000_000,
                d % 1_000_000
            ),
        },
        Kind::Worker {
            worker,
            event,
            value,
        } => {
            let who = if worker == 0 {
                "parentPort".to_string()
            } else {
                format!("worker {worker}")
            };
            match event {
                super::WorkerEvent::Spawned => format!("{who} spawned (booting)"),
                super::WorkerEvent::Online => format!("{who} online"),
                super::WorkerEvent::Posted => format!("post to {who}: {value} bytes cloned"),
                super::WorkerEvent::Transferred => {
                    format!("post to {who}: {value} bytes transferred")
                }
                super::WorkerEvent::Received => {
                    format!("message from {who}: {value} bytes deserialized")
                }
                super::WorkerEvent::Errored => format!("{who} threw (uncaught)"),
                super::WorkerEvent::Exited => format!("{who} exited with code {}", value as i32),
                super::WorkerEvent::Terminate => format!("{who}.terminate()"),
            }
        }
        Kind::BufStore { store, bytes, pool } => {
            if pool {
                format!("buffer: new pool slab ab{store} ({bytes} bytes)")
            } else {
                format!("buffer: new ArrayBuffer ab{store} ({bytes} bytes)")
            }
        }
        Kind::BufView {
            store_lo,
            store_hi,
            offset,
            len,
        } => format!(
            "buffer: view of ab{} at byteOffset {offset}, length {len}",
            Kind::view_store(store_lo, store_hi)
        ),
        Kind::Gc { stores, bytes } => {
            format!("gc: collects {stores} ArrayBuffers ({bytes} bytes accounted)")
        }
        Kind::BufViewDead { view } => format!("gc: buffer view {view} unreachable"),
        Kind::BufFree { store } => format!("gc: frees ab{store}"),
        Kind::BufDetach { store } => format!("buffer: ab{store} detached"),
        Kind::Net {
            event,
            conn,
            status,
            value,
        } => net_line(event, conn, status, value),
    }
}

/// Text form: `seq time iteration phase event`, one event per line.
pub fn write_text(trace: &Trace, out: &mut impl Write) -> io::Result<()> {
    for (seq, e) in trace.events.iter().enumerate() {
        writeln!(
            out,
            "{seq:>6} {:>10}ms i{:<3} {:<7} {}",
            ms(e.time_ns),
            e.iteration(),
            e.phase().name(),
            describe(trace, e)
        )?;
    }
    write_procs(trace, out)
}

/// The processes of a run, one line each, after the events: when each was
/// forked, came online, listened, disconnected and ended, what it served
/// and the CPU it used and waited for (from the process log).
fn write_procs(trace: &Trace, out: &mut impl Write) -> io::Result<()> {
    use super::procs::ProcEvent;
    let log = &trace.procs;
    if log.is_empty() {
        return Ok(());
    }
    let procs = log.points.iter().map(|p| p.proc).max().unwrap_or(0);
    writeln!(out, "processes ({} cores):", log.cores)?;
    for proc in 0..=procs {
        let mine = || log.points.iter().filter(move |p| p.proc == proc);
        let at = |event: ProcEvent| {
            mine()
                .find(|p| p.event == event)
                .map(|p| (ms(p.time_ns), p.value))
        };
        let sum = |event: ProcEvent| {
            mine()
                .filter(|p| p.event == event)
                .map(|p| p.value as u64)
                .sum::<u64>()
        };
        let mut line = if proc == 0 {
            "  primary".to_string()
        } else {
            match at(ProcEvent::Forked) {
                Some((t, 0)) => format!("  process {proc} (child) forked {t}ms"),
                Some((t, id)) => format!("  process {proc} (worker {id}) forked {t}ms"),
                None => format!("  process {proc}"),
            }
        };
        if let Some((t, _)) = at(ProcEvent::Online) {
            line += &format!(", online {t}ms");
        }
        if let Some((t, port)) = at(ProcEvent::Listening) {
            line += &format!(", listening {t}ms (port {port})");
        }
        if let Some((t, _)) = at(ProcEvent::Disconnected) {
            line += &format!(", disconnected {t}ms");
        }
        if let Some((t, code)) = at(ProcEvent::Exited) {
            line += &format!(", exited {t}ms (code {code})");
        }
        if let Some((t, signal)) = at(ProcEvent::Killed) {
            line += &format!(", killed {t}ms (signal {signal})");
        }
        let served = mine().filter(|p| p.event == ProcEvent::Served).count();
        let handoffs = log
            .points
            .iter()
            .filter(|p| p.event == ProcEvent::Handoff && p.proc == proc)
            .count();
        line += &format!(
            "; served {served}, handed {handoffs} connections, cpu {}ms, waited {}ms",
            ms(sum(ProcEvent::Cpu)),
            ms(sum(ProcEvent::Waited))
        );
        writeln!(out, "{line}")?;
    }
    Ok(())
}

fn event_json(trace: &Trace, seq: usize, e: &Event) -> Value {
    let mut v = json!({
        "seq": seq,
        "t_ns": e.time_ns,
        "iter": e.iteration(),
        "phase": e.phase().name(),
    });
    let obj = v
        .as_object_mut()
        .expect("json! of an object literal is an object");
    let mut put = |k: &str, val: Value| {
        obj.insert(k.to_string(), val);
    };
    let cb_fields = |cb: CbId| -> Vec<(&'static str, Value)> {
        match trace.callback(cb) {
            Some(info) => vec![
                ("cb", json!(cb.0)),
                ("cb_kind", json!(info.kind.name())),
                ("label", json!(trace.text(info.label))),
                ("line", json!(info.line)),
            ],
            None => vec![("cb", json!(cb.0))],
        }
    };
    let (name, extra): (&str, Vec<(&str, Value)>) = match e.kind {
        Kind::ScriptStart => ("script_start", vec![]),
        Kind::ScriptEnd => ("script_end", vec![]),
        Kind::IterationStart => ("iteration_start", vec![]),
        Kind::PhaseEnter(p) => ("phase_enter", vec![("enter", json!(p.name()))]),
        Kind::PollWait { micros } => ("poll_wait", vec![("micros", json!(micros))]),
        Kind::Queued { cb, due_ms } => {
            let mut f = cb_fields(cb);
            f.push(("due_ms", json!(due_ms)));
            ("queued", f)
        }
        Kind::Cleared { cb } => ("cleared", cb_fields(cb)),
        Kind::CallbackStart { cb } => ("callback_start", cb_fields(cb)),
        Kind::CallbackEnd { cb, threw } => (
            "callback_end",
            vec![("cb", json!(cb.0)), ("threw", json!(threw))],
        ),
        Kind::DrainStart => ("drain_start", vec![]),
        Kind::DrainEnd => ("drain_end", vec![]),
        Kind::PromiseSettled { promise, rejected } => (
            "promise_settled",
            vec![("promise", json!(promise)), ("rejected", json!(rejected))],
        ),
        Kind::PoolQueued { task, op, threads } => (
            "pool_queued",
            vec![
                ("task", json!(task)),
                ("op", json!(op.name())),
                ("threads", json!(threads)),
            ],
        ),
        Kind::PoolStart { task, thread } => (
            "pool_start",
            vec![("task", json!(task)), ("thread", json!(thread))],
        ),
        Kind::PoolDone { task, thread } => (
            "pool_done",
            vec![("task", json!(task)), ("thread", json!(thread))],
        ),
        Kind::Console { stream, text } => (
            "console",
            vec![
                (
                    "stream",
                    json!(match stream {
                        Stream::Stdout => "stdout",
                        Stream::Stderr => "stderr",
                    }),
                ),
                ("text", json!(trace.text(text))),
            ],
        ),
        Kind::Note { text } => ("note", vec![("text", json!(trace.text(text)))]),
        Kind::Race {
            kind,
            timeout_first,
        } => (
            "race",
            vec![
                ("race", json!(format!("{kind:?}"))),
                ("timeout_first", json!(timeout_first)),
            ],
        ),
        Kind::UnhandledRejection { promise } => {
            ("unhandled_rejection", vec![("promise", json!(promise))])
        }
        Kind::UncaughtException => ("uncaught_exception", vec![]),
        Kind::BeforeExit => ("before_exit", vec![]),
        Kind::ExitEvent { code } => ("exit_event", vec![("code", json!(code))]),
        Kind::Budget { kind, ticks } => (
            "budget",
            vec![
                ("budget", json!(format!("{kind:?}"))),
                ("ticks", json!(ticks)),
            ],
        ),
        Kind::Exit { code } => ("exit", vec![("code", json!(code))]),
        Kind::StreamNew {
            class,
            stream,
            hwm,
            label,
        } => (
            "stream_new",
            vec![
                ("class", json!(class.name())),
                ("stream", json!(stream)),
                ("hwm", json!(hwm)),
                ("label", json!(trace.text(label))),
            ],
        ),
        Kind::StreamLevel {
            side,
            stream,
            length,
        } => (
            "stream_level",
            vec![
                ("side", json!(format!("{side:?}"))),
                ("stream", json!(stream)),
                ("length", json!(length)),
            ],
        ),
        Kind::StreamSignal { signal, stream } => (
            "stream_signal",
            vec![("signal", json!(signal.name())), ("stream", json!(stream))],
        ),
        Kind::EldSample { monitor, delta_ns } => (
            "eld_sample",
            vec![
                ("monitor", json!(monitor)),
                ("delta_ns", json!(delta_ns.get())),
            ],
        ),
        Kind::Worker {
            worker,
            event,
            value,
        } => (
            "worker",
            vec![
                ("worker", json!(worker)),
                ("what", json!(event.name())),
                ("value", json!(value)),
            ],
        ),
        Kind::BufStore { store, bytes, pool } => (
            "buf_store",
            vec![
                ("store", json!(store)),
                ("bytes", json!(bytes)),
                ("pool", json!(pool)),
            ],
        ),
        Kind::BufView {
            store_lo,
            store_hi,
            offset,
            len,
        } => (
            "buf_view",
            vec![
                ("store", json!(Kind::view_store(store_lo, store_hi))),
                ("offset", json!(offset)),
                ("len", json!(len)),
            ],
        ),
        Kind::Gc { stores, bytes } => (
            "gc",
            vec![("stores", json!(stores)), ("bytes", json!(bytes))],
        ),
        Kind::BufViewDead { view } => ("buf_view_dead", vec![("view", json!(view))]),
        Kind::BufFree { store } => ("buf_free", vec![("store", json!(store))]),
        Kind::BufDetach { store } => ("buf_detach", vec![("store", json!(store))]),
        Kind::Net {
            event,
            conn,
            status,
            value,
        } => (
            "net",
            vec![
                ("what", json!(event.name())),
                ("conn", json!(conn)),
                ("status", json!(status)),
                ("value", json!(value)),
            ],
        ),
    };
    put("event", json!(name));
    for (k, val) in extra {
        put(k, val);
    }
    v
}

/// JSON lines: a header object, then one object per event.
pub fn write_json_lines(trace: &Trace, out: &mut impl Write) -> io::Result<()> {
    writeln!(
        out,
        "{}",
        json!({"format": "workbench-trace", "version": JSON_FORMAT_VERSION, "events": trace.events.len()})
    )?;
    for (seq, e) in trace.events.iter().enumerate() {
        writeln!(out, "{}", event_json(trace, seq, e))?;
    }
    Ok(())
}

const TID_PHASES: u32 = 1;
const TID_JS: u32 = 2;
const TID_POOL_BASE: u32 = 100;

/// Chrome Trace Event format: phases and callbacks as slices on two tracks,
/// pool tasks on one track per thread, console output and notes as instants.
pub fn write_chrome(trace: &Trace, out: &mut impl Write) -> io::Result<()> {
    let us = |t: u64| t as f64 / 1000.0;
    let mut events: Vec<Value> = vec![
        json!({"ph": "M", "pid": 1, "name": "process_name", "args": {"name": "workbench"}}),
        json!({"ph": "M", "pid": 1, "tid": TID_PHASES, "name": "thread_name", "args": {"name": "event loop phases"}}),
        json!({"ph": "M", "pid": 1, "tid": TID_JS, "name": "thread_name", "args": {"name": "JavaScript"}}),
    ];
    let mut open_phase: Option<&'static str> = None;
    let mut pool_threads = std::collections::BTreeSet::new();
    let mut open_callbacks: Vec<CbId> = Vec::new();
    for e in &trace.events {
        let ts = us(e.time_ns);
        match e.kind {
            Kind::PhaseEnter(p) => {
                if let Some(name) = open_phase.take() {
                    events.push(
                        json!({"ph": "E", "pid": 1, "tid": TID_PHASES, "ts": ts, "name": name}),
                    );
                }
                let name = p.name();
                events.push(json!({"ph": "B", "pid": 1, "tid": TID_PHASES, "ts": ts, "name": name, "args": {"iteration": e.iteration()}}));
                open_phase = Some(name);
            }
            Kind::ScriptStart => {
                events.push(json!({"ph": "B", "pid": 1, "tid": TID_PHASES, "ts": ts, "name": Phase::Main.name()}));
                open_phase = Some(Phase::Main.name());
            }
            Kind::CallbackStart { cb } => {
                open_callbacks.push(cb);
                events.push(json!({"ph": "B", "pid": 1, "tid": TID_JS, "ts": ts, "name": cb_name(trace, cb)}));
            }
            Kind::CallbackEnd { cb, threw } => {
                open_callbacks.pop();
                events.push(json!({"ph": "E", "pid": 1, "tid": TID_JS, "ts": ts, "name": cb_name(trace, cb), "args": {"threw": threw}}));
            }
            Kind::PoolStart { task, thread } => {
                pool_threads.insert(thread);
                events.push(json!({"ph": "B", "pid": 1, "tid": TID_POOL_BASE + thread as u32, "ts": ts, "name": format!("task {task}")}));
            }
            Kind::PoolDone { task, thread } => {
                events.push(json!({"ph": "E", "pid": 1, "tid": TID_POOL_BASE + thread as u32, "ts": ts, "name": format!("task {task}")}));
            }
            Kind::Console { .. }
            | Kind::Note { .. }
            | Kind::Race { .. }
            | Kind::Budget { .. }
            | Kind::UnhandledRejection { .. }
            | Kind::UncaughtException => {
                events.push(json!({"ph": "i", "s": "g", "pid": 1, "tid": TID_JS, "ts": ts, "name": describe(trace, e)}));
            }
            Kind::Exit { .. } => {
                while let Some(cb) = open_callbacks.pop() {
                    events.push(json!({"ph": "E", "pid": 1, "tid": TID_JS, "ts": ts, "name": cb_name(trace, cb)}));
                }
                if let Some(name) = open_phase.take() {
                    events.push(
                        json!({"ph": "E", "pid": 1, "tid": TID_PHASES, "ts": ts, "name": name}),
                    );
                }
                events.push(json!({"ph": "i", "s": "g", "pid": 1, "tid": TID_PHASES, "ts": ts, "name": describe(trace, e)}));
            }
            _ => {}
        }
    }
    for thread in pool_threads {
        events.push(json!({"ph": "M", "pid": 1, "tid": TID_POOL_BASE + thread as u32, "name": "thread_name", "args": {"name": format!("pool thread {thread}")}}));
    }
    serde_json::to_writer(
        &mut *out,
        &json!({"traceEvents": events, "displayTimeUnit": "ms", "otherData": {"format": "workbench-trace", "version": JSON_FORMAT_VERSION}}),
    )?;
    writeln!(out)
}

/// One line of the text trace for a [`super::NetEvent`].
fn net_line(event: super::NetEvent, conn: u16, status: u16, value: u32) -> String {
    use super::NetEvent as N;
    match event {
        N::Listen => format!("net: server {conn} listening on port {value}"),
        N::ServerClose => format!("net: server {conn} stops accepting"),
        N::Accept => format!("net: server {value} accepts connection c{conn}"),
        N::Connect => format!("net: client connection c{conn} established"),
        N::Reuse => format!("net: request r{value} reuses idle connection c{conn}"),
        N::Idle => format!("net: connection c{conn} idle (keep-alive)"),
        N::Close if value == 0 => format!("net: connection c{conn} closed"),
        N::Close => format!("net: connection c{conn} destroyed"),
        N::Send => format!("net: request r{value} sent on c{conn}"),
        N::Arrive => format!("net: request r{value} arrives at the server on c{conn}"),
        N::Handle => format!("net: handler runs for request r{value} (c{conn})"),
        N::Respond => format!("net: response to r{value} ends with status {status} (c{conn})"),
        N::Receive => format!("net: client has the response to r{value}: {status} (c{conn})"),
        N::Queued => format!("net: request r{value} waits for a socket of agent {conn}"),
        N::Backlog => format!("net: {value} deliveries waiting in the kernel"),
        N::Failed => format!("net: request r{value} failed (c{conn})"),
        N::Signal => format!("net: signal {value} arrives"),
        N::Dropped => format!("net: connection c{conn} dropped (maxConnections)"),
        N::LoadStart => format!("net: load generator {conn} starts with {value} connections"),
        N::LoadEnd => format!("net: load generator {conn} done: {value} responses"),
    }
}
