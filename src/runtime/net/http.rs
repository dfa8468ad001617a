//! HTTP/1.1 messages as bytes: what Node's `_http_outgoing.js` writes for a
//! request and a response (the header lines and their order), the status
//! texts of `http.STATUS_CODES`, and the `Date` header. Used by both
//! clocks: the virtual network counts these bytes; the real one sends them.

/// `http.STATUS_CODES` for the codes scenarios use (others: "unknown").
pub fn status_text(code: u16) -> &'static str {
    match code {
        100 => "Continue",
        101 => "Switching Protocols",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        206 => "Partial Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        413 => "Payload Too Large",
        418 => "I'm a Teapot",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "unknown",
    }
}

/// An IMF-fixdate (`Thu, 01 Jan 1970 00:00:00 GMT`), as Node's `utcDate()`.
pub fn imf_date(epoch_ms: u64) -> String {
    let secs = epoch_ms / 1000;
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (h, m, s) = (rem / 3600, (rem % 3600) / 60, rem % 60);
    // 1970-01-01 was a Thursday.
    let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][(days % 7) as usize];
    let (y, mo, d) = civil_from_days(days as i64);
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ][(mo - 1) as usize];
    format!("{weekday}, {d:02} {month} {y} {h:02}:{m:02}:{s:02} GMT")
}

/// Howard Hinnant's days-to-civil (proleptic Gregorian).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// A header list in the order it was set (names as given; lookups are
/// case-insensitive, as `setHeader`/`getHeader`).
#[derive(Debug, Clone, Default)]
pub struct Headers(pub Vec<(String, String)>);

impl Headers {
    pub fn set(&mut self, name: &str, value: &str) {
        match self
            .0
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            Some(slot) => slot.1 = value.to_string(),
            None => self.0.push((name.to_string(), value.to_string())),
        }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    pub fn remove(&mut self, name: &str) {
        self.0.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    }

    /// `message.headers` on the receiving side: lower-case names, in order.
    pub fn lowered(&self) -> Vec<(String, String)> {
        self.0
            .iter()
            .map(|(n, v)| (n.to_ascii_lowercase(), v.clone()))
            .collect()
    }
}

/// The head of a response as `ServerResponse._storeHeader` writes it:
/// the user's headers, then `Date`, `Connection`, `Keep-Alive` and either
/// `Content-Length` (the whole body known at `end()`) or
/// `Transfer-Encoding: chunked`.
pub struct ResponseHead<'a> {
    pub status: u16,
    pub user: &'a Headers,
    pub date_ms: u64,
    pub keep_alive: bool,
    /// `server.keepAliveTimeout` in seconds (0: no `Keep-Alive` line).
    pub keep_alive_secs: u64,
    /// `Some(len)` when the body is complete at the first write.
    pub content_length: Option<usize>,
}

impl ResponseHead<'_> {
    /// The header fields as the client's `res.headers` lists them.
    pub fn fields(&self) -> Headers {
        let mut h = self.user.clone();
        if !h.has("date") {
            h.0.push(("Date".into(), imf_date(self.date_ms)));
        }
        if !h.has("connection") {
            let c = if self.keep_alive {
                "keep-alive"
            } else {
                "close"
            };
            h.0.push(("Connection".into(), c.into()));
        }
        if self.keep_alive && self.keep_alive_secs > 0 && !h.has("keep-alive") {
            h.0.push((
                "Keep-Alive".into(),
                format!("timeout={}", self.keep_alive_secs),
            ));
        }
        match self.content_length {
            Some(n) if !h.has("content-length") && !h.has("transfer-encoding") => {
                h.0.push(("Content-Length".into(), n.to_string()));
            }
            None if !h.has("content-length") && !h.has("transfer-encoding") => {
                h.0.push(("Transfer-Encoding".into(), "chunked".into()));
            }
            _ => {}
        }
        h
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = format!("HTTP/1.1 {} {}\r\n", self.status, status_text(self.status));
        for (n, v) in &self.fields().0 {
            out.push_str(n);
            out.push_str(": ");
            out.push_str(v);
            out.push_str("\r\n");
        }
        out.push_str("\r\n");
        out.into_bytes()
    }
}

/// A request head as `ClientRequest` writes it: the request line, the
/// user's headers, `Host`, `Connection`, and `Content-Length` for a body.
pub fn request_head(
    method: &str,
    path: &str,
    host: &str,
    user: &Headers,
    keep_alive: bool,
    body_len: usize,
) -> Headers {
    let mut h = user.clone();
    if !h.has("host") {
        h.0.push(("Host".into(), host.into()));
    }
    if !h.has("connection") {
        let c = if keep_alive { "keep-alive" } else { "close" };
        h.0.push(("Connection".into(), c.into()));
    }
    if body_len > 0 && !h.has("content-length") {
        h.0.push(("Content-Length".into(), body_len.to_string()));
    }
    let _ = (method, path);
    h
}

/// The bytes of a request with head `fields` and `body`.
pub fn request_bytes(method: &str, path: &str, fields: &Headers, body: &[u8]) -> Vec<u8> {
    let mut out = format!("{method} {path} HTTP/1.1\r\n");
    for (n, v) in &fields.0 {
        out.push_str(n);
        out.push_str(": ");
        out.push_str(v);
        out.push_str("\r\n");
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// One chunk of a chunked body (`len\r\ndata\r\n`; the last is `0\r\n\r\n`).
pub fn chunk_bytes(data: &[u8]) -> usize {
    format!("{:x}", data.len()).len() + 4 + data.len()
}

/// A URL a scenario may request: `http://HOST:PORT/PATH` with a loopback
/// host. Anything else is refused before it could reach a network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub host: String,
    pub port: u16,
    pub path: String,
}

/// Why a URL cannot be requested.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlError {
    /// `new URL()` rejects it (`ERR_INVALID_URL`).
    Invalid,
    /// Not `http:` (`ERR_INVALID_PROTOCOL`, with the protocol).
    Protocol(String),
    /// Not a loopback host: the scenario never reaches the network.
    NotLoopback(String),
}

pub fn is_loopback(host: &str) -> bool {
    matches!(
        host,
        "localhost" | "127.0.0.1" | "::1" | "[::1]" | "0.0.0.0" | "::"
    ) || host.starts_with("127.")
}

pub fn parse_url(url: &str) -> Result<Target, UrlError> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(UrlError::Invalid);
    };
    if scheme != "http" {
        return Err(UrlError::Protocol(format!("{scheme}:")));
    }
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = if let Some(stripped) = authority.strip_prefix('[') {
        let Some((h, after)) = stripped.split_once(']') else {
            return Err(UrlError::Invalid);
        };
        let port = after.strip_prefix(':').unwrap_or("");
        (format!("[{h}]"), port)
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), p),
            None => (authority.to_string(), ""),
        }
    };
    if host.is_empty() {
        return Err(UrlError::Invalid);
    }
    let port = if port.is_empty() {
        80
    } else {
        port.parse::<u16>().map_err(|_| UrlError::Invalid)?
    };
    if !is_loopback(&host.to_ascii_lowercase()) {
        return Err(UrlError::NotLoopback(host));
    }
    Ok(Target {
        host,
        port,
        path: path.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imf_dates() {
        assert_eq!(imf_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        // 2024-02-29T12:34:56Z
        assert_eq!(imf_date(1_709_210_096_000), "Thu, 29 Feb 2024 12:34:56 GMT");
    }

    #[test]
    fn urls() {
        let t = parse_url("http://localhost:8080/a?b=1").unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.path.as_str()),
            ("localhost", 8080, "/a?b=1")
        );
        assert_eq!(parse_url("http://127.0.0.1:1").unwrap().path, "/");
        assert_eq!(
            parse_url("http://example.com/"),
            Err(UrlError::NotLoopback("example.com".into()))
        );
        assert_eq!(
            parse_url("https://localhost/"),
            Err(UrlError::Protocol("https:".into()))
        );
        assert_eq!(parse_url("localhost:80"), Err(UrlError::Invalid));
    }

    #[test]
    fn response_head_order() {
        let user = Headers(vec![("Content-Type".into(), "text/plain".into())]);
        let head = ResponseHead {
            status: 200,
            user: &user,
            date_ms: 0,
            keep_alive: true,
            keep_alive_secs: 5,
            content_length: Some(2),
        };
        let names: Vec<String> = head.fields().0.into_iter().map(|(n, _)| n).collect();
        assert_eq!(
            names,
            [
                "Content-Type",
                "Date",
                "Connection",
                "Keep-Alive",
                "Content-Length"
            ]
        );
    }
}
