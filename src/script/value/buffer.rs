//! Buffers made as Node makes them, for the bindings and the host: the
//! allocation failure V8 reports, `Buffer.from` and `Buffer.concat` on the
//! runtime's allocator ([`crate::runtime::buffer`], which holds the pooling
//! rules), zlib's results, and `buf.toString(encoding)`.

use rhai::{Dynamic, EvalAltResult, Position};

use super::objects::{JsBuffer, JsError, Rh};
use crate::runtime::Runtime;
use crate::runtime::buffer::{Alloc, AllocError};

/// `RangeError: Array buffer allocation failed`, what V8 throws when a
/// backing store cannot be had (here: beyond the model's memory caps).
pub fn allocation_failed() -> JsError {
    JsError::new("RangeError", "Array buffer allocation failed")
}

pub fn alloc_error(_e: AllocError, pos: Position) -> Box<EvalAltResult> {
    Box::new(EvalAltResult::ErrorRuntime(
        Dynamic::from(allocation_failed()),
        pos,
    ))
}

/// `Buffer.from(buffer)` for bytes from Rust: `allocate(len)`, pooled when
/// small, exactly as Node copies a Buffer.
pub fn buffer_from_bytes(rt: &mut Runtime<Rh>, bytes: &[u8]) -> Result<JsBuffer, AllocError> {
    rt.buffer_with(bytes, Alloc::Pooled)
}

/// `Buffer.from(string)` (UTF-8), as `fromStringFast` reserves pool room.
pub fn buffer_from_str(rt: &mut Runtime<Rh>, s: &str) -> Result<JsBuffer, AllocError> {
    rt.buffer_from_str(s)
}

/// `Buffer.concat(parts)`: one `allocUnsafe(total)` (pooled when small).
pub fn buffer_concat(rt: &mut Runtime<Rh>, parts: &[JsBuffer]) -> Result<JsBuffer, AllocError> {
    rt.buffer_concat(parts)
}

/// zlib.gzip / gunzip results as Node's `zlibBufferOnEnd` makes them: a
/// gzip stream yields its header and the rest as separate chunks, so the
/// result is `Buffer.concat` (pooled when small); a gunzip result of at most
/// one 16 KiB chunk is a view on that chunk's own store (`_outBuffer`).
pub fn zlib_result(
    rt: &crate::runtime::Shared<Rh>,
    gzip: bool,
    bytes: &[u8],
) -> Result<JsBuffer, AllocError> {
    rt.borrow_mut().quietly(|r| zlib_buffer(r, gzip, bytes))
}

fn zlib_buffer(r: &mut Runtime<Rh>, gzip: bool, bytes: &[u8]) -> Result<JsBuffer, AllocError> {
    const CHUNK: usize = 16 * 1024;
    if gzip {
        return r.buffer_with(bytes, Alloc::Pooled);
    }
    if bytes.is_empty() {
        return r.buffer_with(bytes, Alloc::Own);
    }
    if bytes.len() <= CHUNK {
        let chunk = r.buffer_alloc(CHUNK, Alloc::Own)?;
        chunk.write_at(0, bytes);
        let store = chunk.store().clone();
        return Ok(r.new_view(&store, 0, bytes.len()));
    }
    r.buffer_with(bytes, Alloc::Pooled)
}

/// `buf.toString(encoding)`: 'hex', 'base64', 'latin1'/'binary'; anything
/// else decodes UTF-8.
pub fn buffer_to_string(bytes: &[u8], encoding: &str) -> String {
    match encoding.to_ascii_lowercase().as_str() {
        "hex" => bytes.iter().map(|b| format!("{b:02x}")).collect(),
        "base64" => {
            const T: &[u8; 64] =
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
            let mut out = String::new();
            for chunk in bytes.chunks(3) {
                let n = chunk
                    .iter()
                    .enumerate()
                    .fold(0u32, |acc, (i, &b)| acc | (b as u32) << (16 - 8 * i));
                for i in 0..4 {
                    if i <= chunk.len() {
                        out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
                    } else {
                        out.push('=');
                    }
                }
            }
            out
        }
        "latin1" | "binary" => bytes.iter().map(|&b| b as char).collect(),
        _ => String::from_utf8_lossy(bytes).into_owned(),
    }
}
