//! Servers, clients and the load generator beyond what the differential
//! corpus checks against node: the real clock (real sockets on loopback)
//! agreeing with the virtual one where node is deterministic, properties
//! of every run (each request answered once or counted as failed, never
//! more in flight than connections × pipelining), determinism, the trace
//! events, and the errors a script can provoke.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use workbench::runtime::clock::ClockMode;
use workbench::script::{RunOptions, RunResult, Scenario, run};
use workbench::trace::{Kind, NetEvent, write::write_text};

fn scenario_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/scenarios")
        .join(name)
}

fn run_text(text: &str, clock: ClockMode) -> RunResult {
    let path = scenario_path("net_inline.rhai");
    let scenario = Scenario::compile(path.clone(), text.to_string()).expect("compiles");
    let mut options = RunOptions::default();
    options.runtime.clock = clock;
    options.runtime.sandbox = path.parent().expect("dir").to_path_buf();
    // Bounded: a real-clock run that hangs fails in seconds.
    options.runtime.max_wall = std::time::Duration::from_secs(20);
    run(&scenario, &options)
}

fn run_file(name: &str, clock: ClockMode) -> RunResult {
    let text = std::fs::read_to_string(scenario_path(name)).expect("readable");
    run_text(&text, clock)
}

/// Scenarios whose output node makes deterministic on any machine (one
/// connection at a time, or orders fixed by the loop): the real sockets
/// must print what the model prints.
#[test]
fn real_sockets_agree_with_the_model_where_node_is_deterministic() {
    for name in [
        "http_one_request_event_order.rhai",
        "http_agent_max_sockets_one_queues.rhai",
        "http_sigterm_handler_closes_server.rhai",
        "http_listen_port_in_use.rhai",
        "http_write_after_end_headers_sent.rhai",
        "http_connection_refused.rhai",
        "autocannon_amount_counts.rhai",
        "autocannon_pipelining_and_refused.rhai",
    ] {
        let virt = run_file(name, ClockMode::Virtual);
        let real = run_file(name, ClockMode::Real);
        assert_eq!(virt.outcome.exit_code, 0, "{name}: {}", virt.stderr());
        assert_eq!(real.stdout(), virt.stdout(), "{name}\n{}", real.stderr());
        assert_eq!(real.outcome.exit_code, virt.outcome.exit_code, "{name}");
    }
}

#[test]
fn real_clock_binds_a_real_port_and_measures_latency() {
    let r = run_text(
        r#"
let server = http.createServer(|req, res| res.end("ok"));
server.listen(0, || {
    let port = server.address().port;
    console.log(port > 0 && port < 65536);
    autocannon(#{ url: `http://127.0.0.1:${port}`, connections: 2, amount: 200 }, |err, r| {
        console.log(`${r.requests.total} ${r.errors} ${r.latency.max >= r.latency.p50}`);
        server.close();
    });
});
"#,
        ClockMode::Real,
    );
    assert_eq!(r.stdout(), "true\n200 0 true\n", "{}", r.stderr());
    // Under the virtual clock the port is a modelled ephemeral one.
    let v = run_text(
        "let s = http.createServer(|q, r| r.end()); s.listen(0, || { console.log(s.address().port); s.close(); });",
        ClockMode::Virtual,
    );
    assert_eq!(v.stdout(), "40000\n");
}

/// Per request: sent, arrived, handled, responded, received, from the
/// trace. Every request sent is received once or failed.
fn lifecycle(r: &RunResult) -> HashMap<u32, Vec<NetEvent>> {
    let mut seen: HashMap<u32, Vec<NetEvent>> = HashMap::new();
    for e in r.trace.events.iter() {
        if let Kind::Net { event, value, .. } = e.kind
            && matches!(
                event,
                NetEvent::Send
                    | NetEvent::Arrive
                    | NetEvent::Handle
                    | NetEvent::Respond
                    | NetEvent::Receive
                    | NetEvent::Failed
            )
        {
            seen.entry(value).or_default().push(event);
        }
    }
    seen
}

const LOAD: &str = r#"
let n = 0;
let server = http.createServer(|req, res| {
    n += 1;
    if n % 7 == 0 { busy(2); }
    if n % 5 == 0 { res.statusCode = 503; }
    res.end("x");
});
server.listen(0, || {
    autocannon(#{ url: `http://localhost:${server.address().port}`, connections: CONNS, pipelining: PIPE, amount: AMOUNT }, |err, r| {
        console.log(`${r.requests.total} ${r.requests.sent} ${r["2xx"] + r.non2xx} ${r.errors}`);
        server.close();
    });
});
"#;

#[test]
fn every_request_is_answered_once_and_in_flight_is_bounded() {
    for (conns, pipe, amount) in [(1, 1, 50), (4, 1, 200), (8, 3, 300), (3, 10, 90)] {
        let text = LOAD
            .replace("CONNS", &conns.to_string())
            .replace("PIPE", &pipe.to_string())
            .replace("AMOUNT", &amount.to_string());
        let r = run_text(&text, ClockMode::Virtual);
        assert_eq!(r.outcome.exit_code, 0, "{}", r.stderr());
        let parts: Vec<u64> = r
            .stdout()
            .split_whitespace()
            .map(|p| p.parse().expect("numbers"))
            .collect();
        let (total, sent, classes, errors) = (parts[0], parts[1], parts[2], parts[3]);
        assert_eq!(sent, amount, "autocannon writes exactly `amount` requests");
        assert_eq!(total, classes, "every completed response has a class");
        assert_eq!(errors, 0);
        // With pipelining, the requests in flight when a connection hits
        // its cap are dropped (autocannon destroys the socket).
        if pipe == 1 {
            assert_eq!(total, amount);
        } else {
            assert!(total <= amount && total >= amount - conns * (pipe - 1));
        }
        // Each request's life in order, once.
        for (req, events) in lifecycle(&r) {
            let received = events.iter().filter(|e| **e == NetEvent::Receive).count();
            assert!(
                received <= 1,
                "r{req} received {received} times: {events:?}"
            );
            if received == 1 {
                assert_eq!(
                    events,
                    [
                        NetEvent::Send,
                        NetEvent::Arrive,
                        NetEvent::Handle,
                        NetEvent::Respond,
                        NetEvent::Receive
                    ],
                    "r{req}"
                );
            }
        }
        // In flight at the client: sent and not yet received.
        let mut in_flight: i64 = 0;
        let mut peak = 0;
        for e in r.trace.events.iter() {
            if let Kind::Net { event, .. } = e.kind {
                match event {
                    NetEvent::Send => in_flight += 1,
                    NetEvent::Receive => in_flight -= 1,
                    _ => {}
                }
            }
            peak = peak.max(in_flight);
        }
        assert!(
            peak <= (conns * pipe) as i64,
            "{peak} in flight with {conns} connections x {pipe}"
        );
        assert!(peak >= conns.min(amount) as i64);
    }
}

#[test]
fn the_virtual_network_is_deterministic() {
    let text = LOAD
        .replace("CONNS", "6")
        .replace("PIPE", "2")
        .replace("AMOUNT", "120");
    let a = run_text(&text, ClockMode::Virtual);
    let b = run_text(&text, ClockMode::Virtual);
    let text = |r: &RunResult| {
        let mut out = Vec::new();
        write_text(&r.trace, &mut out).expect("writes");
        out
    };
    assert!(a.trace.events.len() > 1000);
    assert_eq!(text(&a), text(&b));
}

/// One request in ten blocks the loop for 20 ms. With one connection
/// only those requests wait: p50 stays at the network's cost, p99 is the
/// block. With ten connections every round of ten queued requests holds
/// one blocker, so the median request waits for it too (node v20 on this
/// machine: p50 22 ms, p90 25 ms with the same program).
fn blocked_latency(connections: u32) -> Vec<f64> {
    let r = run_text(
        &r#"
let n = 0;
let server = http.createServer(|req, res| {
    n += 1;
    if n % 10 == 0 { busy(20); }
    res.end("ok");
});
server.listen(0, || {
    autocannon(#{ url: `http://localhost:${server.address().port}`, connections: CONNS, amount: 500 }, |err, r| {
        console.log(`${r.latency.p50} ${r.latency.p99} ${r.latency.max}`);
        server.close();
    });
});
"#
        .replace("CONNS", &connections.to_string()),
        ClockMode::Virtual,
    );
    r.stdout()
        .split_whitespace()
        .map(|p| p.parse().expect("numbers"))
        .collect()
}

#[test]
fn a_blocking_handler_delays_every_queued_request() {
    let one = blocked_latency(1);
    assert!(one[0] < 5.0, "p50 {one:?}");
    assert!(one[1] >= 20.0, "p99 {one:?}");
    let ten = blocked_latency(10);
    assert!(ten[0] >= 20.0, "p50 with ten connections {ten:?}");
    assert!(ten[2] >= ten[1]);
}

#[test]
fn a_server_nobody_closes_is_reported_not_hung() {
    let r = run_text(
        "let s = http.createServer(|q, r| r.end()); s.listen(0);",
        ClockMode::Virtual,
    );
    assert_eq!(r.outcome.exit_code, 3);
    assert!(
        r.stderr()
            .contains("would wait for ever: server 0 is still listening on port 40000"),
        "{}",
        r.stderr()
    );
}

#[test]
fn requests_never_leave_this_machine() {
    let r = run_text(
        r#"try { http.get("http://example.com/", |res| {}); } catch (e) { console.log(e.message); }"#,
        ClockMode::Virtual,
    );
    assert!(
        r.stdout()
            .contains("never reaches the network: example.com"),
        "{}",
        r.stdout()
    );
    let r = run_text(
        r#"let s = http.createServer(|q, r| r.end()); try { s.listen(8080, "10.0.0.1"); } catch (e) { console.log(e.message); }"#,
        ClockMode::Virtual,
    );
    assert!(
        r.stdout().contains("not a loopback address"),
        "{}",
        r.stdout()
    );
}

#[test]
fn a_signal_without_a_listener_ends_the_process_with_its_status() {
    let r = run_text(
        r#"process.on("exit", |c| console.log("exit")); process.kill(process.pid, "SIGTERM"); console.log("after");"#,
        ClockMode::Virtual,
    );
    assert_eq!(r.outcome.exit_code, 143);
    assert_eq!(r.stdout(), "");
}

/// Under the real clock a server answers clients from outside the
/// scenario too (here a plain TCP client in the test, writing HTTP/1.1 by
/// hand): the request's head reaches the handler, the response goes back.
#[test]
fn real_clock_serves_a_client_from_outside() {
    use std::io::{Read, Write};
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        probe.local_addr().expect("address").port()
    };
    let text = format!(
        r#"
let server = http.createServer(|req, res| {{
    console.log(`${{req.method}} ${{req.url}} ${{req.headers["x-test"]}}`);
    res.end(`hello ${{req.url}}`);
    server.close();
}});
server.listen({port}, "127.0.0.1");
"#
    );
    let client = std::thread::spawn(move || {
        for _ in 0..200 {
            if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
                s.write_all(b"GET /outside HTTP/1.1\r\nHost: x\r\nX-Test: yes\r\n\r\n")
                    .expect("writes");
                let mut reply = String::new();
                let _ = s.read_to_string(&mut reply);
                return reply;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        String::new()
    });
    let r = run_text(&text, ClockMode::Real);
    let reply = client.join().expect("client thread");
    assert_eq!(r.stdout(), "GET /outside yes\n", "{}", r.stderr());
    assert!(reply.starts_with("HTTP/1.1 200 OK\r\n"), "{reply}");
    assert!(reply.ends_with("hello /outside"), "{reply}");
}

#[test]
fn an_unrecorded_run_ends_the_same_and_keeps_no_trace() {
    let text = LOAD
        .replace("CONNS", "4")
        .replace("PIPE", "1")
        .replace("AMOUNT", "100");
    let recorded = run_text(&text, ClockMode::Virtual);
    let path = scenario_path("net_inline.rhai");
    let scenario = Scenario::compile(path.clone(), text.clone()).expect("compiles");
    let mut options = RunOptions::default();
    options.runtime.sandbox = path.parent().expect("dir").to_path_buf();
    options.runtime.record = false;
    options.runtime.live_console = false;
    let bare = run(&scenario, &options);
    assert_eq!(bare.outcome, recorded.outcome);
    // Only the exit record is kept.
    assert!(bare.trace.events.len() <= 1, "{}", bare.trace.events.len());
    assert!(recorded.trace.events.len() > 1000);
}

/// A load generator's failed requests are in the trace as the script's
/// are (the server panel counts them): one `Failed` per refused request.
#[test]
fn a_load_generators_failures_are_recorded() {
    let r = run_text(
        r#"autocannon(#{ url: "http://localhost:1", connections: 2, amount: 20 }, |err, r| console.log(r.errors));"#,
        ClockMode::Virtual,
    );
    let failed = r
        .trace
        .events
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                Kind::Net {
                    event: NetEvent::Failed,
                    ..
                }
            )
        })
        .count();
    assert_eq!(r.stdout(), "20\n", "{}", r.stderr());
    assert_eq!(failed, 20);
}
