//! A real S3-compatible server for tests: moto's standalone server (`moto_server`, installed
//! by `.ci/install-tools.sh`) on a free 127.0.0.1 port, with an empty test bucket. Include
//! from an integration test with `#[path = "support/s3.rs"] mod s3;` beside `mod oracles;`.
//! Without moto the server is `None` (a loud skip); under `CI=true` that fails.

// Each test crate uses a different subset of these helpers, and `pub` items in a test-local
// module are necessarily unreachable from outside.
#![allow(dead_code, unreachable_pub)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use crate::oracles::require_tool;

/// The bucket every server starts with.
pub const BUCKET: &str = "cloudsign-test";

/// A `moto_server` process. It runs under a `sh` that kills it when its stdin closes, which
/// happens when this handle drops or the test process exits, so no server outlives the tests.
pub struct S3Server {
    shell: Child,
    guard: Option<ChildStdin>,
    port: u16,
}

impl S3Server {
    /// Starts a server with the test bucket, or `None` (skipped) if moto is not installed.
    pub fn start() -> Option<Self> {
        if !require_tool("moto_server") {
            return None;
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        let mut shell = Command::new("sh")
            .args([
                "-c",
                r#"moto_server -H 127.0.0.1 -p "$1" >/dev/null 2>&1 & pid=$!; read _ ; kill "$pid""#,
                "sh",
                &port.to_string(),
            ])
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        let guard = shell.stdin.take();
        let server = Self { shell, guard, port };
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "moto_server did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        let (status, _) = server.http("PUT", &format!("/{BUCKET}"));
        assert_eq!(status, 200, "create bucket");
        Some(server)
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// One plain HTTP/1.1 request, straight to the server rather than through the backend
    /// (moto does not check signatures): the status and the whole response text.
    pub fn http(&self, method: &str, path: &str) -> (u16, String) {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\n\
             Connection: close\r\n\r\n",
            self.port
        )
        .unwrap();
        let mut response = Vec::new();
        s.read_to_end(&mut response).unwrap();
        let text = String::from_utf8_lossy(&response).into_owned();
        let status = text
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        (status, text)
    }

    /// The ETag the server lists for an object, without quotes. (Listing, unlike reading an
    /// object, needs no signature on moto.)
    pub fn etag(&self, key: &str) -> String {
        let (status, listing) = self.http("GET", &format!("/{BUCKET}?prefix={key}"));
        assert_eq!(status, 200, "{listing}");
        let etag = listing
            .split_once("<ETag>")
            .and_then(|(_, rest)| rest.split_once("</ETag>"))
            .map(|(etag, _)| etag)
            .unwrap_or_default();
        etag.replace("&quot;", "")
            .replace("&#34;", "")
            .replace('"', "")
    }

    /// The multipart uploads in progress (the server's XML listing).
    pub fn uploads_in_progress(&self) -> String {
        self.http("GET", &format!("/{BUCKET}?uploads")).1
    }

    pub fn stop(&mut self) {
        drop(self.guard.take());
        self.shell.wait().unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
            assert!(Instant::now() < deadline, "moto_server did not stop");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        drop(self.guard.take());
        let _ = self.shell.wait();
    }
}
