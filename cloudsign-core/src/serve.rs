//! A small blocking HTTP/1.1 server (feature `serve`) for `cloudsign serve` and loopback tests.
//!
//! It answers `POST` and `GET` requests with a handler function, one thread per connection,
//! one request per connection (`Connection: close`), and nothing else: no TLS, no chunked
//! bodies, no keep-alive. Request heads are parsed by `httparse`; sockets and threads are managed here so
//! that a server started in the background stops deterministically: dropping its
//! [`BackgroundServer`] wakes the accept loop and joins every thread it started.
//!
//! Together with [`timestamp_handler`] it is an RFC 3161 HTTP endpoint for any
//! `respond(request DER) -> response DER` function, such as a sans-I/O timestamp authority;
//! [`ocsp_handler`], [`crl_handler`] and [`revocation_handler`] do the same for an OCSP
//! responder and a CRL issuer.
//!
//! ```no_run
//! use cloudsign_core::serve::{HttpServer, Response};
//! # fn main() -> std::io::Result<()> {
//! let server = HttpServer::bind("127.0.0.1:0", |request| {
//!     Response::new(200, "application/octet-stream", request.body.clone())
//! })?;
//! let running = server.spawn()?;
//! println!("echoing at {}", running.url());
//! drop(running); // stops the server and joins its threads
//! # Ok(()) }
//! ```

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// Largest request body accepted by default (64 KiB); larger requests get `413`.
pub const DEFAULT_MAX_BODY: usize = 64 * 1024;
/// Largest request head (request line and headers) accepted; larger heads get `431`.
const MAX_HEAD: usize = 16 * 1024;
/// Most headers in one request.
const MAX_HEADERS: usize = 64;
/// Most connections served at once; further connections are closed unanswered.
const MAX_CONNECTIONS: usize = 64;
/// Read and write timeout of a connection, so that a slow or silent peer cannot hold a thread.
const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// Media type of an RFC 3161 request.
pub const TIMESTAMP_QUERY: &str = "application/timestamp-query";
/// Media type of an RFC 3161 response.
pub const TIMESTAMP_REPLY: &str = "application/timestamp-reply";

/// A request as handed to the handler: a `POST` with its whole body, or a `GET` (whose body
/// is empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The method: `POST` or `GET`.
    pub method: String,
    /// The request target as sent, e.g. `/` or `/tsa?x=1`.
    pub path: String,
    /// The `Content-Type` header, if any, as sent.
    pub content_type: Option<String>,
    /// All headers in the order sent, names as sent.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Request {
    /// The first header called `name` (case-insensitive), if its value is text.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether the media type of `Content-Type` (ignoring parameters and case) is `media_type`.
    #[must_use]
    pub fn has_media_type(&self, media_type: &str) -> bool {
        self.content_type
            .as_deref()
            .is_some_and(|ct| media_type_is(ct, media_type))
    }
}

/// A handler's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// HTTP status code (100–999; anything else is sent as 500).
    pub status: u16,
    /// The `Content-Type` header.
    pub content_type: String,
    /// The body.
    pub body: Vec<u8>,
    /// Further headers (name, value); `Content-Length` and `Connection` are set by the server.
    pub headers: Vec<(String, String)>,
}

impl Response {
    /// A response with `status`, `content_type` and `body`.
    #[must_use]
    pub fn new(status: u16, content_type: &str, body: Vec<u8>) -> Self {
        Self {
            status,
            content_type: content_type.to_owned(),
            body,
            headers: Vec::new(),
        }
    }

    /// `200 OK` with `content_type` and `body`.
    #[must_use]
    pub fn ok(content_type: &str, body: Vec<u8>) -> Self {
        Self::new(200, content_type, body)
    }

    /// A plain-text error response whose body is the status's reason phrase.
    #[must_use]
    pub fn error(status: u16) -> Self {
        let mut body = reason(status).as_bytes().to_vec();
        body.push(b'\n');
        Self::new(status, "text/plain; charset=utf-8", body)
    }

    /// Adds a header (header names and values with CR or LF are dropped when sending).
    #[must_use]
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
}

type Handler = dyn Fn(&Request) -> Response + Send + Sync + 'static;

/// A bound, not yet running HTTP server.
///
/// [`run_forever`](Self::run_forever) serves on the calling thread (the CLI);
/// [`spawn`](Self::spawn) serves on a background thread until the returned
/// [`BackgroundServer`] is dropped (tests).
pub struct HttpServer {
    listener: TcpListener,
    local_addr: SocketAddr,
    handler: Arc<Handler>,
    max_body: usize,
}

impl fmt::Debug for HttpServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpServer")
            .field("local_addr", &self.local_addr)
            .field("max_body", &self.max_body)
            .finish_non_exhaustive()
    }
}

impl HttpServer {
    /// Binds `addr` (e.g. `127.0.0.1:0` for a free loopback port) and remembers `handler`,
    /// which is called for every well-formed `POST` request.
    ///
    /// # Errors
    /// The address does not parse or cannot be bound.
    pub fn bind(
        addr: &str,
        handler: impl Fn(&Request) -> Response + Send + Sync + 'static,
    ) -> io::Result<Self> {
        let listener = TcpListener::bind(addr)?;
        let local_addr = listener.local_addr()?;
        Ok(Self {
            listener,
            local_addr,
            handler: Arc::new(handler),
            max_body: DEFAULT_MAX_BODY,
        })
    }

    /// Sets the largest request body accepted (default [`DEFAULT_MAX_BODY`]); larger
    /// requests are answered `413` without reading their body.
    #[must_use]
    pub fn max_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    /// The bound address (with the real port when bound to port 0).
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The server's URL, e.g. `http://127.0.0.1:8080/`.
    #[must_use]
    pub fn url(&self) -> String {
        url_of(self.local_addr)
    }

    /// Serves on the calling thread until accepting fails.
    ///
    /// # Errors
    /// Accepting a connection failed in a way that is not a transient per-connection error.
    pub fn run_forever(self) -> io::Result<()> {
        let stop = AtomicBool::new(false);
        self.accept_loop(&stop)
    }

    /// Serves on a background thread; the returned handle stops the server and joins all of
    /// its threads when dropped (or on [`BackgroundServer::stop`]).
    ///
    /// # Errors
    /// The thread could not be started.
    pub fn spawn(self) -> io::Result<BackgroundServer> {
        let local_addr = self.local_addr;
        let stop = Arc::new(AtomicBool::new(false));
        let thread_stop = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name(format!("cloudsign-serve-{}", local_addr.port()))
            .spawn(move || self.accept_loop(&thread_stop))?;
        Ok(BackgroundServer {
            local_addr,
            stop,
            thread: Some(thread),
        })
    }

    fn accept_loop(&self, stop: &AtomicBool) -> io::Result<()> {
        let mut workers: Vec<JoinHandle<()>> = Vec::new();
        let result = loop {
            let accepted = self.listener.accept();
            if stop.load(Ordering::SeqCst) {
                break Ok(());
            }
            workers.retain(|w| !w.is_finished());
            let stream = match accepted {
                Ok((stream, _)) => stream,
                Err(e) if is_transient_accept_error(&e) => continue,
                Err(e) => break Err(e),
            };
            if workers.len() >= MAX_CONNECTIONS {
                // Over capacity: close without reading, the client sees a reset.
                drop(stream);
                continue;
            }
            let handler = Arc::clone(&self.handler);
            let max_body = self.max_body;
            match std::thread::Builder::new()
                .name("cloudsign-serve-conn".into())
                .spawn(move || serve_connection(stream, handler.as_ref(), max_body))
            {
                Ok(worker) => workers.push(worker),
                Err(e) => break Err(e),
            }
        };
        for worker in workers {
            // A worker that panicked (a handler's panic) has already closed its connection.
            let _ = worker.join();
        }
        result
    }
}

/// A server running on a background thread (see [`HttpServer::spawn`]). Dropping it stops the
/// server: the accept loop is woken, and every connection thread is joined (a connection in
/// progress finishes first: its handler returns, or its socket times out).
#[derive(Debug)]
pub struct BackgroundServer {
    local_addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<io::Result<()>>>,
}

impl BackgroundServer {
    /// The bound address.
    #[must_use]
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The server's URL, e.g. `http://127.0.0.1:8080/`.
    #[must_use]
    pub fn url(&self) -> String {
        url_of(self.local_addr)
    }

    /// Stops the server, joins its threads, and returns how its accept loop ended.
    ///
    /// # Errors
    /// The accept loop had failed before it was stopped.
    pub fn stop(mut self) -> io::Result<()> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> io::Result<()> {
        let Some(thread) = self.thread.take() else {
            return Ok(());
        };
        self.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept() with a connection of our own. If the connection fails,
        // the accept loop has already ended (it only ends on an error), so joining is safe.
        if let Ok(stream) = TcpStream::connect_timeout(&wake_addr(self.local_addr), IO_TIMEOUT) {
            let _ = stream.shutdown(Shutdown::Both);
        }
        thread
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("server thread panicked")))
    }
}

impl Drop for BackgroundServer {
    fn drop(&mut self) {
        let _ = self.shutdown();
    }
}

/// A handler for RFC 3161 over HTTP: requests must be `Content-Type:
/// application/timestamp-query` (otherwise `415`), and `respond`'s bytes are sent as `200`
/// with `Content-Type: application/timestamp-reply`. `respond` is given the raw request body
/// and is expected to answer every request, even a malformed one, with a DER `TimeStampResp`
/// (a rejection status is a valid response).
///
/// ```no_run
/// use cloudsign_core::serve::{HttpServer, timestamp_handler};
/// # fn main() -> std::io::Result<()> {
/// # fn authority_respond(_: &[u8]) -> Vec<u8> { Vec::new() }
/// let server = HttpServer::bind("127.0.0.1:3161", timestamp_handler(authority_respond))?;
/// server.run_forever()
/// # }
/// ```
pub fn timestamp_handler(
    respond: impl Fn(&[u8]) -> Vec<u8> + Send + Sync + 'static,
) -> impl Fn(&Request) -> Response + Send + Sync + 'static {
    move |request: &Request| {
        if request.method != "POST" {
            Response::error(405).with_header("Allow", "POST")
        } else if request.has_media_type(TIMESTAMP_QUERY) {
            Response::ok(TIMESTAMP_REPLY, respond(&request.body))
        } else {
            Response::error(415)
        }
    }
}

/// A handler for OCSP over HTTP (RFC 6960 Appendix A.1): a `POST` of
/// `application/ocsp-request` (otherwise `415`), or a `GET` whose last path segment is the
/// URL-encoded base64 of the request DER (otherwise `400`). `respond`'s bytes are sent as
/// `200` with `Content-Type: application/ocsp-response`; like
/// [`OcspResponder::respond`](crate::revocation::OcspResponder::respond) it is expected to
/// answer every request, a malformed one with a `malformedRequest` status.
///
/// ```no_run
/// use cloudsign_core::revocation::OcspResponder;
/// use cloudsign_core::serve::{HttpServer, ocsp_handler};
/// # fn main() -> cloudsign_core::error::Result<()> {
/// # let pki = cloudsign_core::testkit::TestPki::generate()?;
/// let responder = OcspResponder::new(pki.intermediate.certificate.clone(), pki.ocsp.signer()?)?;
/// let server = HttpServer::bind("127.0.0.1:2560", ocsp_handler(move |r| responder.respond(r)))?;
/// server.run_forever()?;
/// # Ok(()) }
/// ```
pub fn ocsp_handler(
    respond: impl Fn(&[u8]) -> Vec<u8> + Send + Sync + 'static,
) -> impl Fn(&Request) -> Response + Send + Sync + 'static {
    move |request: &Request| answer_ocsp(request, &respond)
}

fn answer_ocsp(request: &Request, respond: &dyn Fn(&[u8]) -> Vec<u8>) -> Response {
    use crate::revocation::{OCSP_REQUEST_MEDIA_TYPE, OCSP_RESPONSE_MEDIA_TYPE};
    match request.method.as_str() {
        "POST" if request.has_media_type(OCSP_REQUEST_MEDIA_TYPE) => {
            Response::ok(OCSP_RESPONSE_MEDIA_TYPE, respond(&request.body))
        }
        "POST" => Response::error(415),
        _ => match ocsp_get_request(&request.path) {
            Some(der) => Response::ok(OCSP_RESPONSE_MEDIA_TYPE, respond(&der)),
            None => Response::error(400),
        },
    }
}

/// The request DER of an OCSP `GET`: the last path segment, URL-decoded, then base64.
fn ocsp_get_request(path: &str) -> Option<Vec<u8>> {
    let path = path.split(['?', '#']).next()?;
    let segment = path.rsplit('/').next().filter(|s| !s.is_empty())?;
    let text = percent_decode(segment)?;
    data_encoding::BASE64.decode(text.as_bytes()).ok()
}

/// `%XX` escapes decoded; `None` for a broken escape or a result that is not UTF-8.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// A handler that answers `GET` with a CRL from `issue` (`200`, `Content-Type:
/// application/pkix-crl`), `503` when `issue` has none, and `405` to anything else.
///
/// ```no_run
/// use cloudsign_core::revocation::CrlIssuer;
/// use cloudsign_core::serve::{HttpServer, crl_handler};
/// # fn main() -> cloudsign_core::error::Result<()> {
/// # let pki = cloudsign_core::testkit::TestPki::generate()?;
/// let issuer = CrlIssuer::new(pki.intermediate.signer()?)?;
/// let server = HttpServer::bind("127.0.0.1:8081", crl_handler(move || issuer.issue().ok()))?;
/// server.run_forever()?;
/// # Ok(()) }
/// ```
pub fn crl_handler(
    issue: impl Fn() -> Option<Vec<u8>> + Send + Sync + 'static,
) -> impl Fn(&Request) -> Response + Send + Sync + 'static {
    move |request: &Request| answer_crl(request, &issue)
}

fn answer_crl(request: &Request, issue: &dyn Fn() -> Option<Vec<u8>>) -> Response {
    if request.method != "GET" {
        return Response::error(405).with_header("Allow", "GET");
    }
    match issue() {
        Some(crl) => Response::ok(crate::revocation::CRL_MEDIA_TYPE, crl),
        None => Response::error(503),
    }
}

/// OCSP and a CRL on one server: `GET` of a path whose last segment ends in `crl` (such as
/// `/crl` or `/ca.crl`) is answered as by [`crl_handler`], everything else as by
/// [`ocsp_handler`]. This is what `cloudsign serve ocsp` runs.
///
/// ```
/// use cloudsign_core::serve::{Request, revocation_handler};
/// let handler = revocation_handler(|_| b"ocsp".to_vec(), || Some(b"crl".to_vec()));
/// let get = |path: &str| Request {
///     method: "GET".into(),
///     path: path.into(),
///     content_type: None,
///     headers: Vec::new(),
///     body: Vec::new(),
/// };
/// assert_eq!(handler(&get("/crl")).body, b"crl");
/// assert_eq!(handler(&get("/ocsp/MAA%3D")).body, b"ocsp");
/// ```
pub fn revocation_handler(
    respond: impl Fn(&[u8]) -> Vec<u8> + Send + Sync + 'static,
    issue: impl Fn() -> Option<Vec<u8>> + Send + Sync + 'static,
) -> impl Fn(&Request) -> Response + Send + Sync + 'static {
    move |request: &Request| {
        let last = request
            .path
            .split(['?', '#'])
            .next()
            .and_then(|p| p.rsplit('/').next())
            .unwrap_or_default();
        if request.method == "GET" && last.to_ascii_lowercase().ends_with("crl") {
            answer_crl(request, &issue)
        } else {
            answer_ocsp(request, &respond)
        }
    }
}

/// Whether `content_type` (e.g. `Application/Timestamp-Reply; x=1`) names `media_type`.
pub(crate) fn media_type_is(content_type: &str, media_type: &str) -> bool {
    content_type
        .split(';')
        .next()
        .is_some_and(|m| m.trim().eq_ignore_ascii_case(media_type))
}

fn url_of(addr: SocketAddr) -> String {
    match addr {
        SocketAddr::V4(a) => format!("http://{}:{}/", a.ip(), a.port()),
        SocketAddr::V6(a) => format!("http://[{}]:{}/", a.ip(), a.port()),
    }
}

/// Where to connect to wake our own accept(): the bound address, or loopback for a wildcard.
fn wake_addr(addr: SocketAddr) -> SocketAddr {
    let mut wake = addr;
    if addr.ip().is_unspecified() {
        match addr {
            SocketAddr::V4(_) => wake.set_ip(Ipv4Addr::LOCALHOST.into()),
            SocketAddr::V6(_) => wake.set_ip(Ipv6Addr::LOCALHOST.into()),
        }
    }
    wake
}

fn is_transient_accept_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
            | io::ErrorKind::WouldBlock
            | io::ErrorKind::TimedOut
    )
}

/// Serves one request on `stream` and closes it. Errors only end the connection.
fn serve_connection(mut stream: TcpStream, handler: &Handler, max_body: usize) {
    if stream.set_read_timeout(Some(IO_TIMEOUT)).is_err()
        || stream.set_write_timeout(Some(IO_TIMEOUT)).is_err()
    {
        return;
    }
    let response = match read_request(&mut stream, max_body) {
        Ok(request) => handler(&request),
        Err(ReadError::Status(status)) => Response::error(status),
        Err(ReadError::Closed) => return,
    };
    let _ = write_response(&mut stream, &response);
    let _ = stream.flush();
    let _ = stream.shutdown(Shutdown::Write);
    // Drain what the client may still send so that closing does not reset the connection
    // before it has read the response (bounded by the read timeout and a byte budget).
    let mut sink = [0u8; 4096];
    let mut budget = max_body.saturating_add(MAX_HEAD);
    while budget > 0 {
        match stream.read(&mut sink) {
            Ok(0) | Err(_) => break,
            Ok(n) => budget = budget.saturating_sub(n),
        }
    }
}

#[derive(Debug)]
enum ReadError {
    /// Answer with this status.
    Status(u16),
    /// The connection failed or closed; answer nothing.
    Closed,
}

impl From<io::Error> for ReadError {
    fn from(_: io::Error) -> Self {
        Self::Closed
    }
}

/// Reads one request: the head (parsed by httparse), then exactly `Content-Length` body bytes.
fn read_request(stream: &mut TcpStream, max_body: usize) -> Result<Request, ReadError> {
    let mut buf: Vec<u8> = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err(ReadError::Closed);
        }
        buf.extend_from_slice(chunk.get(..n).unwrap_or_default());
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut parsed = httparse::Request::new(&mut headers);
        match parsed.parse(&buf) {
            Ok(httparse::Status::Complete(head_len)) if head_len > MAX_HEAD => {
                return Err(ReadError::Status(431));
            }
            Ok(httparse::Status::Complete(head_len)) => {
                let head = Head::from_parsed(&parsed)?;
                let rest = buf.get(head_len..).unwrap_or_default().to_vec();
                return finish_request(stream, head, rest, max_body);
            }
            Ok(httparse::Status::Partial) if buf.len() > MAX_HEAD => {
                return Err(ReadError::Status(431));
            }
            Ok(httparse::Status::Partial) => {}
            Err(httparse::Error::TooManyHeaders) => return Err(ReadError::Status(431)),
            Err(_) => return Err(ReadError::Status(400)),
        }
    }
}

struct Head {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
}

impl Head {
    fn from_parsed(parsed: &httparse::Request<'_, '_>) -> Result<Self, ReadError> {
        let (Some(method), Some(path)) = (parsed.method, parsed.path) else {
            return Err(ReadError::Status(400));
        };
        let mut headers = Vec::with_capacity(parsed.headers.len());
        for h in parsed.headers.iter() {
            let Ok(value) = std::str::from_utf8(h.value) else {
                return Err(ReadError::Status(400));
            };
            headers.push((h.name.to_owned(), value.trim().to_owned()));
        }
        Ok(Self {
            method: method.to_owned(),
            path: path.to_owned(),
            headers,
        })
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn finish_request(
    stream: &mut TcpStream,
    head: Head,
    mut body: Vec<u8>,
    max_body: usize,
) -> Result<Request, ReadError> {
    if head.method == "GET" {
        // A GET carries no body; one that announces a body is not served.
        let announces_body = head.header("transfer-encoding").is_some()
            || head
                .header("content-length")
                .is_some_and(|v| v.trim() != "0");
        if announces_body || !body.is_empty() {
            return Err(ReadError::Status(400));
        }
        let content_type = head.header("content-type").map(str::to_owned);
        return Ok(Request {
            method: head.method,
            path: head.path,
            content_type,
            headers: head.headers,
            body,
        });
    }
    if head.method != "POST" {
        return Err(ReadError::Status(405));
    }
    if head.header("transfer-encoding").is_some() {
        // Only Content-Length bodies are supported.
        return Err(ReadError::Status(411));
    }
    let mut lengths = head
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("content-length"));
    let length = match (lengths.next(), lengths.next()) {
        (None, _) => return Err(ReadError::Status(411)),
        (Some((_, v)), None) => v.parse::<usize>().map_err(|_| ReadError::Status(400))?,
        (Some(_), Some(_)) => return Err(ReadError::Status(400)),
    };
    if length > max_body {
        return Err(ReadError::Status(413));
    }
    if body.len() > length {
        // Bytes after the body: a pipelined request, which we do not serve.
        return Err(ReadError::Status(400));
    }
    if body.len() < length
        && head
            .header("expect")
            .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"))
    {
        stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
    }
    let missing = length.saturating_sub(body.len());
    let already = body.len();
    body.resize(length, 0);
    if let Some(tail) = body.get_mut(already..) {
        debug_assert_eq!(tail.len(), missing);
        stream.read_exact(tail)?;
    }
    let content_type = head.header("content-type").map(str::to_owned);
    Ok(Request {
        method: head.method,
        path: head.path,
        content_type,
        headers: head.headers,
        body,
    })
}

fn write_response(stream: &mut TcpStream, response: &Response) -> io::Result<()> {
    let status = if (100..=999).contains(&response.status) {
        response.status
    } else {
        500
    };
    let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    let clean = |s: &str| !s.contains(['\r', '\n']);
    if clean(&response.content_type) {
        head.push_str(&format!("Content-Type: {}\r\n", response.content_type));
    }
    for (name, value) in &response.headers {
        let reserved = name.eq_ignore_ascii_case("content-length")
            || name.eq_ignore_ascii_case("connection")
            || name.eq_ignore_ascii_case("content-type");
        if !reserved && clean(name) && clean(value) && !name.contains(':') {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
    }
    if status == 405
        && !response
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("allow"))
    {
        head.push_str("Allow: GET, POST\r\n");
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        response.body.len()
    ));
    stream.write_all(head.as_bytes())?;
    stream.write_all(&response.body)
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        411 => "Length Required",
        413 => "Content Too Large",
        415 => "Unsupported Media Type",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sends raw bytes and returns the whole raw answer.
    fn raw(server: &BackgroundServer, request: &[u8]) -> String {
        let mut s = TcpStream::connect(server.local_addr()).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s.write_all(request).unwrap();
        s.shutdown(Shutdown::Write).unwrap();
        let mut out = Vec::new();
        s.read_to_end(&mut out).unwrap();
        String::from_utf8_lossy(&out).into_owned()
    }

    fn echo() -> BackgroundServer {
        HttpServer::bind("127.0.0.1:0", |r: &Request| {
            Response::ok("application/octet-stream", r.body.clone()).with_header("X-Path", &r.path)
        })
        .unwrap()
        .max_body(16)
        .spawn()
        .unwrap()
    }

    #[test]
    fn post_reaches_the_handler() {
        let server = echo();
        let out = raw(
            &server,
            b"POST /tsa HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
        );
        assert!(out.starts_with("HTTP/1.1 200 OK\r\n"), "{out}");
        assert!(out.contains("X-Path: /tsa\r\n"));
        assert!(out.contains("Connection: close\r\n"));
        assert!(out.ends_with("\r\n\r\nhello"));
        server.stop().unwrap();
    }

    #[test]
    fn protocol_errors_get_statuses() {
        let server = echo();
        let cases: [(&[u8], &str); 7] = [
            (b"PUT / HTTP/1.1\r\nHost: x\r\n\r\n", "405"),
            (b"POST / HTTP/1.1\r\nHost: x\r\n\r\n", "411"),
            (
                b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                "411",
            ),
            (b"POST / HTTP/1.1\r\nContent-Length: 17\r\n\r\n", "413"),
            (b"POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n", "400"),
            (b"\x00\x01 nonsense\r\n\r\n", "400"),
            (
                b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
                "400",
            ),
        ];
        for (request, status) in cases {
            let out = raw(&server, request);
            assert!(
                out.starts_with(&format!("HTTP/1.1 {status} ")),
                "{request:?} -> {out}"
            );
        }
        let out = raw(&server, b"DELETE / HTTP/1.1\r\n\r\n");
        assert!(out.contains("Allow: GET, POST\r\n"));
        let out = raw(&server, b"GET / HTTP/1.1\r\nContent-Length: 2\r\n\r\nab");
        assert!(out.starts_with("HTTP/1.1 400 "), "{out}");
    }

    #[test]
    fn get_reaches_the_handler_without_a_body() {
        let server = echo();
        let out = raw(&server, b"GET /crl HTTP/1.1\r\nHost: x\r\n\r\n");
        assert!(out.starts_with("HTTP/1.1 200 OK\r\n"), "{out}");
        assert!(out.contains("X-Path: /crl\r\n"));
        assert!(out.contains("Content-Length: 0\r\n"));
    }

    #[test]
    fn ocsp_and_crl_handlers_route_and_check() {
        let handler = revocation_handler(
            |req| {
                let mut out = b"ocsp:".to_vec();
                out.extend_from_slice(req);
                out
            },
            || Some(b"crl".to_vec()),
        );
        let request = |method: &str, path: &str, content_type: Option<&str>| Request {
            method: method.into(),
            path: path.into(),
            content_type: content_type.map(Into::into),
            headers: Vec::new(),
            body: b"q".to_vec(),
        };
        let posted = handler(&request("POST", "/", Some("application/ocsp-request")));
        assert_eq!(
            (posted.status, posted.body.as_slice()),
            (200, &b"ocsp:q"[..])
        );
        assert_eq!(posted.content_type, "application/ocsp-response");
        assert_eq!(
            handler(&request("POST", "/", Some("text/plain"))).status,
            415
        );
        // GET with URL-encoded base64: "+/8=" is bytes fb ff.
        let got = handler(&request("GET", "/ocsp/%2B%2F8%3D", None));
        assert_eq!(got.body, b"ocsp:\xfb\xff");
        let got = handler(&request("GET", "/ocsp/+/8=", None));
        assert_eq!(
            got.status, 400,
            "a '/' inside unencoded base64 splits the path"
        );
        for bad in ["/", "/ocsp/%zz", "/ocsp/!!!"] {
            assert_eq!(handler(&request("GET", bad, None)).status, 400, "{bad}");
        }
        let crl = handler(&request("GET", "/ca.crl?x=1", None));
        assert_eq!((crl.status, crl.body.as_slice()), (200, &b"crl"[..]));
        assert_eq!(crl.content_type, "application/pkix-crl");
        let only_crl = crl_handler(|| None);
        assert_eq!(only_crl(&request("GET", "/crl", None)).status, 503);
        let refused = only_crl(&request("POST", "/crl", None));
        assert_eq!(refused.status, 405);
        assert_eq!(refused.headers, [("Allow".to_owned(), "GET".to_owned())]);
        let tsa = timestamp_handler(<[u8]>::to_vec);
        assert_eq!(tsa(&request("GET", "/", None)).status, 405);
    }

    #[test]
    fn oversized_head_is_refused() {
        let server = echo();
        let mut request = b"POST / HTTP/1.1\r\nX-Big: ".to_vec();
        request.extend(std::iter::repeat_n(b'a', MAX_HEAD + 10));
        request.extend_from_slice(b"\r\n\r\n");
        let out = raw(&server, &request);
        assert!(out.starts_with("HTTP/1.1 431 "), "{out}");
    }

    #[test]
    fn timestamp_handler_checks_the_media_type() {
        let handler = timestamp_handler(|req| {
            let mut out = b"reply:".to_vec();
            out.extend_from_slice(req);
            out
        });
        let mut request = Request {
            method: "POST".into(),
            path: "/".into(),
            content_type: Some("Application/Timestamp-Query; charset=binary".into()),
            headers: Vec::new(),
            body: b"q".to_vec(),
        };
        let ok = handler(&request);
        assert_eq!(ok.status, 200);
        assert_eq!(ok.content_type, TIMESTAMP_REPLY);
        assert_eq!(ok.body, b"reply:q");
        request.content_type = Some("application/octet-stream".into());
        assert_eq!(handler(&request).status, 415);
        request.content_type = None;
        assert_eq!(handler(&request).status, 415);
    }

    #[test]
    fn dropping_the_server_frees_the_port_and_threads() {
        let server = echo();
        let addr = server.local_addr();
        assert_eq!(server.url(), format!("http://127.0.0.1:{}/", addr.port()));
        drop(server);
        // The listener is closed: nothing accepts on the port any more.
        assert!(TcpStream::connect(addr).is_err());
    }

    #[test]
    fn urls_and_wake_addresses() {
        let v6: SocketAddr = "[::]:80".parse().unwrap();
        assert_eq!(url_of(v6), "http://[::]:80/");
        assert_eq!(wake_addr(v6), "[::1]:80".parse::<SocketAddr>().unwrap());
        let v4: SocketAddr = "0.0.0.0:81".parse().unwrap();
        assert_eq!(wake_addr(v4), "127.0.0.1:81".parse::<SocketAddr>().unwrap());
        assert!(media_type_is(" application/x ;a=b", "APPLICATION/X"));
        assert!(!media_type_is("application/xy", "application/x"));
    }
}
