//! Properties of the streams model over seeded random scenarios (chunk
//! sizes, highWaterMarks, consumer speed, topology):
//! - when backpressure is honoured (a producer that waits for 'drain',
//!   `pipe()`, `pipeline()`), no writable buffer ever holds more than its
//!   highWaterMark plus one chunk. A readable buffer in flowing mode can
//!   hold one chunk more: `read()` calls `_read` while `length - n <
//!   highWaterMark`, before taking its n bytes off (node v20 measured: hwm
//!   30, chunks up to 24 bytes, piped to a slow sink, peaks at 66), so its
//!   bound is highWaterMark plus two chunks. A Transform's readable side
//!   is not bounded on its own: once `end()` reached its writable side,
//!   Transform's `_write` calls back at once ("Backwards compat." in
//!   transform.js), so the rest of its writable buffer moves over (node
//!   v20 measured 117 bytes with hwm 54 in the case seed 50 generates);
//! - every byte written is read exactly once, in order.
//!
//! Scenarios are Rhai text run on the model; buffer levels come from the
//! trace (`Kind::StreamLevel`), so the property is checked at every change.

use std::collections::HashMap;

use workbench::script::{RunOptions, Scenario, run};
use workbench::trace::{Kind, StreamClass, StreamSide};

mod common;
use common::Rng;

/// How the consumer completes a write.
fn consumer(rng: &mut Rng) -> &'static str {
    match rng.below(4) {
        0 => "cb.call()",
        1 => "setImmediate(cb)",
        2 => "process.nextTick(cb)",
        _ => "setTimeout(cb, 1)",
    }
}

/// A scenario: (text, the largest chunk, hwm).
fn scenario(seed: u64) -> (String, usize, usize) {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let hwm = 1 + rng.below(64) as usize;
    let n = 1 + rng.below(40) as usize;
    let sizes: Vec<usize> = (0..n).map(|_| 1 + rng.below(24) as usize).collect();
    let max_chunk = sizes.iter().copied().max().unwrap_or(1);
    let sizes_text = sizes
        .iter()
        .map(|s| s.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let done = consumer(&mut rng);
    let mode = rng.below(3);
    let head = format!(
        r#"
let sizes = [{sizes_text}];
let digits = "abcdefghijklmnopqrstuvwxyz";
let pos = 0;
let sent = "";
let got = "";
let next_chunk = || {{
    let s = "";
    let len = sizes[0];
    sizes.remove(0);
    for k in 0..len {{ s += digits.sub_string((pos + k) % 26, 1); }}
    pos += len;
    sent += s;
    s
}};
let sink = stream.Writable.create(#{{ highWaterMark: {hwm}, write: |c, e, cb| {{ got += c.toString(); {done}; }} }});
let sink2 = sink;
sink.on("finish", || console.log(if got == sent {{ "ok" }} else {{ `bad: ${{got}} != ${{sent}}` }}));
"#
    );
    let body = match mode {
        // A producer that honours write() returning false.
        0 => r#"
let produce = || {
    loop {
        if sizes.len() == 0 { sink2.end(); return; }
        if !sink2.write(next_chunk.call()) { break; }
    }
};
sink.on("drain", || produce.call());
produce.call();
"#
        .to_string(),
        // pipe() from a Readable.
        1 => format!(
            r#"
let src = stream.Readable.create(#{{ highWaterMark: {hwm}, read: |size| {{
    if sizes.len() == 0 {{ this.push(()); }} else {{ this.push(next_chunk.call()); }}
}} }});
src.pipe(sink);
"#
        ),
        // pipeline() through a Transform.
        _ => format!(
            r#"
let src = stream.Readable.create(#{{ highWaterMark: {hwm}, read: |size| {{
    if sizes.len() == 0 {{ this.push(()); }} else {{ this.push(next_chunk.call()); }}
}} }});
let t = stream.Transform.create(#{{ highWaterMark: {hwm}, transform: |c, e, cb| cb.call((), c) }});
stream.pipeline(src, t, sink, |err| {{}});
"#
        ),
    };
    (head + body.as_str(), max_chunk, hwm)
}

#[test]
fn buffers_stay_bounded_and_bytes_arrive_once_in_order() {
    let dir = std::env::temp_dir();
    for seed in 0..120u64 {
        let (text, max_chunk, hwm) = scenario(seed);
        let path = dir.join(format!("stream_prop_{seed}.rhai"));
        let scenario = match Scenario::compile(path, text.clone()) {
            Ok(s) => s,
            Err(e) => panic!("seed {seed}: does not compile: {}\n{text}", e.report),
        };
        let result = run(&scenario, &RunOptions::default());
        assert_eq!(
            result.stdout(),
            "ok\n",
            "seed {seed}: every byte once, in order\n{text}\nstderr: {}",
            result.stderr()
        );
        let mut peaks: HashMap<(u16, StreamSide), u32> = HashMap::new();
        let mut transforms = Vec::new();
        for e in &result.trace.events {
            if let Kind::StreamNew { class, stream, .. } = e.kind
                && class == StreamClass::Transform
            {
                transforms.push(stream);
            }
            if let Kind::StreamLevel {
                side,
                stream,
                length,
            } = e.kind
            {
                let p = peaks.entry((stream, side)).or_default();
                *p = (*p).max(length);
            }
        }
        for ((stream, side), peak) in peaks {
            if side == StreamSide::Readable && transforms.contains(&stream) {
                continue;
            }
            let bound = match side {
                StreamSide::Writable => hwm + max_chunk,
                StreamSide::Readable => hwm + 2 * max_chunk,
            };
            assert!(
                peak as usize <= bound,
                "seed {seed}: stream {stream} {side:?} buffer reached {peak} > {bound} (hwm {hwm}, chunk {max_chunk})\n{text}"
            );
        }
    }
}
