//! The HTTP timestamp transport against the loopback server, with handlers that misbehave.
#![cfg(all(feature = "http", feature = "serve"))]
// Test helpers fail loudly: a panic is how a test reports a broken precondition.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cloudsign_core::http::HttpTimeStamper;
use cloudsign_core::serve::{BackgroundServer, HttpServer, Request, Response, timestamp_handler};
use cloudsign_core::tsp::{TimeStamper, TransportError};

const SHORT: Duration = Duration::from_millis(300);

fn serve(handler: impl Fn(&Request) -> Response + Send + Sync + 'static) -> BackgroundServer {
    HttpServer::bind("127.0.0.1:0", handler)
        .unwrap()
        .spawn()
        .unwrap()
}

/// A well-behaved authority: answers `reply:` followed by the request.
fn good() -> BackgroundServer {
    serve(timestamp_handler(|req| {
        let mut out = b"reply:".to_vec();
        out.extend_from_slice(req);
        out
    }))
}

/// A URL on which nothing listens: bind a free port, then close it.
fn closed_port_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}/")
}

fn stamper(url: &str) -> HttpTimeStamper {
    HttpTimeStamper::new(url).unwrap().timeout(SHORT)
}

#[test]
fn a_good_authority_gets_the_body_and_answers() {
    let server = good();
    let request: Vec<u8> = (0..=255u8).cycle().take(3000).collect();
    let answer = stamper(&server.url()).exchange(&request).unwrap();
    assert_eq!(answer.get(..6), Some(&b"reply:"[..]));
    assert_eq!(answer.get(6..), Some(&request[..]));
}

#[test]
fn http_500_is_an_http_status() {
    let server = serve(|_| Response::error(500));
    assert_eq!(
        stamper(&server.url()).exchange(b"q"),
        Err(TransportError::HttpStatus(500))
    );
}

#[test]
fn the_request_is_sent_as_a_timestamp_query() {
    // timestamp_handler answers 415 unless the request's content type is right.
    let server = serve(|r| {
        assert_eq!(r.method, "POST");
        if r.content_type.as_deref() == Some("application/timestamp-query") {
            Response::ok("application/timestamp-reply", b"ok".to_vec())
        } else {
            Response::error(415)
        }
    });
    assert_eq!(stamper(&server.url()).exchange(b"q").unwrap(), b"ok");
}

#[test]
fn a_wrong_content_type_is_refused() {
    let server = serve(|_| Response::ok("text/html", b"<html>".to_vec()));
    assert_eq!(
        stamper(&server.url()).exchange(b"q"),
        Err(TransportError::WrongContentType("text/html".into()))
    );
}

#[test]
fn content_type_parameters_are_allowed() {
    let server = serve(|_| Response::ok("Application/Timestamp-Reply; x=y", b"ok".to_vec()));
    assert_eq!(stamper(&server.url()).exchange(b"q").unwrap(), b"ok");
}

#[test]
fn a_slow_authority_times_out() {
    let server = serve(|_| {
        std::thread::sleep(Duration::from_millis(900));
        Response::ok("application/timestamp-reply", b"late".to_vec())
    });
    let start = Instant::now();
    assert_eq!(
        stamper(&server.url()).exchange(b"q"),
        Err(TransportError::Timeout)
    );
    assert!(start.elapsed() < Duration::from_millis(850));
}

#[test]
fn a_closed_port_is_unreachable() {
    let err = stamper(&closed_port_url()).exchange(b"q").unwrap_err();
    assert!(matches!(err, TransportError::Unreachable(_)), "{err:?}");
}

#[test]
fn failover_to_the_next_authority() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen_in_handler = Arc::clone(&seen);
    let second = serve(move |r| {
        seen_in_handler.lock().unwrap().push(r.body.clone());
        Response::ok("application/timestamp-reply", b"second".to_vec())
    });
    let failing = serve(|_| Response::error(503));
    let tsa = stamper(&closed_port_url())
        .fallback(&failing.url())
        .unwrap()
        .fallback(&second.url())
        .unwrap();
    let request = b"\x30\x03\x02\x01\x01 the request".to_vec();
    assert_eq!(tsa.exchange(&request).unwrap(), b"second");
    assert_eq!(*seen.lock().unwrap(), vec![request]);
}

#[test]
fn failover_returns_the_last_error() {
    let failing = serve(|_| Response::error(502));
    let tsa = stamper(&closed_port_url())
        .fallback(&failing.url())
        .unwrap();
    assert_eq!(tsa.exchange(b"q"), Err(TransportError::HttpStatus(502)));
}

#[test]
fn a_client_error_does_not_fail_over() {
    let hits = Arc::new(Mutex::new(0u32));
    let hits_in_handler = Arc::clone(&hits);
    let second = serve(move |_| {
        *hits_in_handler.lock().unwrap() += 1;
        Response::ok("application/timestamp-reply", b"x".to_vec())
    });
    let refusing = serve(|_| Response::error(401));
    let tsa = stamper(&refusing.url()).fallback(&second.url()).unwrap();
    assert_eq!(tsa.exchange(b"q"), Err(TransportError::HttpStatus(401)));
    assert_eq!(*hits.lock().unwrap(), 0);
}

#[test]
fn basic_auth_and_headers_arrive() {
    let server = serve(|r| {
        // "alice:s3cret" in base64.
        let auth_ok = r.header("authorization") == Some("Basic YWxpY2U6czNjcmV0");
        let key_ok = r.header("x-api-key") == Some("k-123");
        let ua_ok = r
            .header("user-agent")
            .is_some_and(|u| u.starts_with("cloudsign/"));
        if auth_ok && key_ok && ua_ok {
            Response::ok("application/timestamp-reply", b"welcome".to_vec())
        } else {
            Response::error(401)
        }
    });
    let tsa = stamper(&server.url())
        .basic_auth("alice", "s3cret")
        .header("X-Api-Key", "k-123")
        .unwrap();
    assert_eq!(tsa.exchange(b"q").unwrap(), b"welcome");
    assert_eq!(
        stamper(&server.url()).exchange(b"q"),
        Err(TransportError::HttpStatus(401))
    );
}

#[test]
fn an_oversized_response_is_refused() {
    let server = serve(|_| Response::ok("application/timestamp-reply", vec![0x30; 4097]));
    assert_eq!(
        stamper(&server.url())
            .max_response_bytes(4096)
            .exchange(b"q"),
        Err(TransportError::ResponseTooLarge { limit: 4096 })
    );
    // Exactly the limit is fine.
    assert_eq!(
        stamper(&server.url())
            .max_response_bytes(4097)
            .exchange(b"q")
            .unwrap()
            .len(),
        4097
    );
}

#[test]
fn garbage_with_the_right_content_type_is_passed_on() {
    // The transport moves bytes; rejecting them is the protocol layer's job.
    let server = serve(|_| Response::ok("application/timestamp-reply", b"\xffnot DER".to_vec()));
    assert_eq!(
        stamper(&server.url()).exchange(b"q").unwrap(),
        b"\xffnot DER"
    );
}

#[test]
fn an_oversized_request_gets_413() {
    let server = good();
    assert_eq!(
        stamper(&server.url()).exchange(&vec![0u8; 64 * 1024 + 1]),
        Err(TransportError::HttpStatus(413))
    );
}

#[test]
fn servers_stop_when_dropped() {
    let server = good();
    let url = server.url();
    assert!(stamper(&url).exchange(b"q").is_ok());
    server.stop().unwrap();
    assert!(matches!(
        stamper(&url).exchange(b"q"),
        Err(TransportError::Unreachable(_))
    ));
}
