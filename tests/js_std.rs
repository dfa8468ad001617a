//! The JavaScript standard library in scripts (script/node/{arrays,
//! strings,numbers,math,json,object}.rs): the errors it throws, with
//! node's names and messages, and what it does that node cannot be asked
//! to agree with (`Math.random`, the size limits). Its everyday behaviour
//! is checked against node by the differential corpus
//! (`tests/scenarios/lang_std_*.rhai`).

use std::path::PathBuf;

use workbench::script::{RunOptions, Scenario, run};

/// Runs a script and returns its stdout, stderr and exit code.
fn run_text(text: &str) -> (String, String, i32) {
    let scenario = Scenario::compile(PathBuf::from("/tmp/js_std_test.rhai"), text.to_string())
        .unwrap_or_else(|e| panic!("does not compile: {}", e.report));
    let result = run(&scenario, &RunOptions::default());
    (result.stdout(), result.stderr(), result.outcome.exit_code)
}

/// What `expr` throws: "Name: message".
fn thrown(expr: &str) -> String {
    let (out, err, code) = run_text(&format!(
        "try {{ {expr}; console.log(\"no error\"); }} catch (e) {{ console.log(e.name + \": \" + e.message); }}"
    ));
    assert_eq!(code, 0, "{expr}: exit code; stderr:\n{err}");
    out.trim_end().to_string()
}

#[test]
fn errors_have_node_s_names_and_messages() {
    for (expr, message) in [
        (
            "let u = (); u.length",
            "TypeError: Cannot read properties of undefined (reading 'length')",
        ),
        (
            "let u = JSON.parse(\"null\"); u.length",
            "TypeError: Cannot read properties of null (reading 'length')",
        ),
        ("[1].map(5)", "TypeError: 5 is not a function"),
        ("[1].map(\"f\")", "TypeError: f is not a function"),
        ("[1].forEach(())", "TypeError: undefined is not a function"),
        ("[1].filter(#{})", "TypeError: #<Object> is not a function"),
        (
            "[2, 1].sort(\"x\")",
            "TypeError: The comparison function must be either a function or undefined",
        ),
        (
            "[].reduce(|a, b| a + b)",
            "TypeError: Reduce of empty array with no initial value",
        ),
        (
            "let a = [1]; a.length = -1",
            "RangeError: Invalid array length",
        ),
        ("\"x\".repeat(-1)", "RangeError: Invalid count value: -1"),
        (
            "\"x\".repeat(Infinity)",
            "RangeError: Invalid count value: Infinity",
        ),
        (
            "(1.5).toFixed(101)",
            "RangeError: toFixed() digits argument must be between 0 and 100",
        ),
        (
            "(10).toString(37)",
            "RangeError: toString() radix argument must be between 2 and 36",
        ),
        (
            "JSON.parse(\"{bad\")",
            "SyntaxError: Expected property name or '}' in JSON at position 1",
        ),
        (
            "JSON.parse(\"\")",
            "SyntaxError: Unexpected end of JSON input",
        ),
        (
            "JSON.parse()",
            "SyntaxError: \"undefined\" is not valid JSON",
        ),
        (
            "Object.keys(())",
            "TypeError: Cannot convert undefined or null to object",
        ),
        (
            "Array.from(())",
            "TypeError: undefined is not iterable (cannot read property Symbol(Symbol.iterator))",
        ),
    ] {
        assert_eq!(thrown(expr), message, "{expr}");
    }
}

#[test]
fn an_uncaught_read_of_nothing_is_node_s_type_error() {
    for (script, message) in [
        (
            "let u = ();\nconsole.log(u.length);\n",
            "TypeError: Cannot read properties of undefined (reading 'length')",
        ),
        (
            "let m = #{};\nconsole.log(m.a.b);\n",
            "TypeError: Cannot read properties of undefined (reading 'b')",
        ),
        (
            "let n = JSON.parse(\"null\");\nconsole.log(n.name);\n",
            "TypeError: Cannot read properties of null (reading 'name')",
        ),
    ] {
        let (_, err, code) = run_text(script);
        assert_eq!(code, 1, "{script}");
        assert!(err.contains(message), "{script}: {err}");
    }
}

#[test]
fn math_random_repeats_its_sequence_under_the_virtual_clock() {
    let script = "let a = []; for i in 0..5 { a.push(Math.random()); }\nconsole.log(a.every(|x| x >= 0 && x < 1), a.join(\",\"));";
    let (first, _, _) = run_text(script);
    let (second, _, _) = run_text(script);
    assert!(first.starts_with("true "), "{first}");
    assert_eq!(first, second);
    // Five different values.
    let values: std::collections::BTreeSet<&str> = first.trim()[5..].split(',').collect();
    assert_eq!(values.len(), 5, "{first}");
}

#[test]
fn huge_strings_and_arrays_stop_at_the_size_limits() {
    for expr in [
        "\"ab\".repeat(1e9)",
        "\"x\".padStart(1e9)",
        "Array.from(#{ length: 1e9 })",
        "let a = []; a.length = 1e9",
    ] {
        let (_, err, code) = run_text(&format!("{expr};"));
        assert_ne!(code, 0, "{expr}");
        assert!(err.contains("exceeds the size limit"), "{expr}: {err}");
    }
}

#[test]
fn a_callback_reads_its_array_through_the_third_argument() {
    // The array a method runs on is locked while it runs (Rhai updates it
    // in place afterwards): the callback's own `arr` argument reads it.
    let (out, _, code) =
        run_text("let list = [1, 2, 3];\nlist.forEach(|x, i, arr| console.log(x, arr.length));\n");
    assert_eq!(code, 0);
    assert_eq!(out, "1 3\n2 3\n3 3\n");
    let (_, err, code) =
        run_text("let list = [1, 2];\nlist.forEach(|x| console.log(list.length));\n");
    assert_eq!(code, 1);
    assert!(
        err.contains("inside a callback of a method still running on it"),
        "{err}"
    );
}

#[test]
fn sort_survives_an_inconsistent_comparator() {
    let (out, err, code) = run_text(
        "let a = [5, 3, 9, 1, 7, 2, 8];\na.sort(|x, y| 1);\nconsole.log(a.length, a.reduce(|s, x| s + x, 0));\n",
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "7 35\n");
}
