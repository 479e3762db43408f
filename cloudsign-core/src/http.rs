//! Blocking HTTP transport (feature `http`): RFC 3161 timestamps and revocation data.
//!
//! [`HttpTimeStamper`] moves DER bytes to one or more timestamp authorities over HTTP(S) and
//! back; it never parses them. The protocol checks (status, nonce, imprint, the TSA
//! certificate, the ESS binding) are done by the core on whatever comes back.
//! [`HttpRevocationSource`] fetches OCSP responses, CRLs and issuer certificates from the
//! URLs a certificate names; [`revocation`](crate::revocation) judges them.
//!
//! TLS is rustls with the Mozilla root bundle (`webpki-roots`); there is no OpenSSL.
//!
//! ```no_run
//! use std::time::Duration;
//! use cloudsign_core::http::HttpTimeStamper;
//! use cloudsign_core::tsp::{TimeStamper, TransportError};
//! # fn main() -> Result<(), TransportError> {
//! let tsa = HttpTimeStamper::new("https://tsa.example.com/tsr")?
//!     .fallback("http://backup-tsa.example.net/")?
//!     .timeout(Duration::from_secs(5))
//!     .basic_auth("account", "secret");
//! # let request_der: Vec<u8> = Vec::new();
//! let response_der = tsa.exchange(&request_der)?;
//! # Ok(()) }
//! ```

use std::fmt;
use std::io::Read;
use std::sync::OnceLock;
use std::time::Duration;

use reqwest::blocking::Client;
use reqwest::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use reqwest::{StatusCode, Url};
use zeroize::Zeroizing;

use crate::revocation::{
    Crl, OCSP_REQUEST_MEDIA_TYPE, OCSP_RESPONSE_MEDIA_TYPE, OcspRequest, OcspResponse,
    RevocationError, RevocationSource,
};
use crate::tsp::{TimeStamper, TransportError};
use crate::x509::Certificate;

/// Media type of an RFC 3161 request (RFC 3161 §3.4).
const TIMESTAMP_QUERY: &str = "application/timestamp-query";
/// Media type of an RFC 3161 response.
const TIMESTAMP_REPLY: &str = "application/timestamp-reply";

/// Default timeout for connecting and for the whole exchange.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default largest response accepted (1 MiB).
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// A [`TimeStamper`] that POSTs to RFC 3161 HTTP endpoints.
///
/// The request is sent with `Content-Type: application/timestamp-query`; the answer must be
/// HTTP 200 with `Content-Type: application/timestamp-reply` (parameters allowed) and at most
/// [`max_response_bytes`](Self::max_response_bytes) long.
///
/// URLs are tried in order: the primary from [`new`](Self::new), then each
/// [`fallback`](Self::fallback). The next URL is tried when one is unreachable, times out,
/// answers HTTP 5xx or answers with the wrong content type; any other failure (a 4xx such as
/// 401, an oversized answer) is returned at once. When all URLs fail, the last error is
/// returned.
///
/// Redirects are not followed (a redirected POST would lose its body); a 3xx is an
/// [`TransportError::HttpStatus`]. Proxies from the usual environment variables are honoured.
///
/// `Debug` shows URLs, the user name and header names, never the password or header values.
///
/// ```no_run
/// use cloudsign_core::http::HttpTimeStamper;
/// # fn main() -> Result<(), cloudsign_core::tsp::TransportError> {
/// let tsa = HttpTimeStamper::new("http://timestamp.example.org/")?
///     .header("X-Api-Key", "k-123")?
///     .max_response_bytes(64 * 1024);
/// println!("{tsa:?}");
/// # Ok(()) }
/// ```
pub struct HttpTimeStamper {
    urls: Vec<Url>,
    timeout: Duration,
    basic_auth: Option<(String, Zeroizing<String>)>,
    headers: Vec<(HeaderName, HeaderValue)>,
    max_response_bytes: usize,
    /// Built on first use so that the builder steps stay cheap; a change of configuration
    /// resets it.
    client: OnceLock<Result<Client, String>>,
}

impl fmt::Debug for HttpTimeStamper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let urls: Vec<&str> = self.urls.iter().map(Url::as_str).collect();
        let headers: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("HttpTimeStamper")
            .field("urls", &urls)
            .field("timeout", &self.timeout)
            .field(
                "basic_auth",
                &self
                    .basic_auth
                    .as_ref()
                    .map(|(user, _)| format!("{user}:<redacted>")),
            )
            .field("headers", &headers)
            .field("max_response_bytes", &self.max_response_bytes)
            .finish_non_exhaustive()
    }
}

impl HttpTimeStamper {
    /// A timestamper for the authority at `url` (`http` or `https`).
    ///
    /// # Errors
    /// [`TransportError::Other`] when `url` is not an absolute `http`/`https` URL with a host.
    pub fn new(url: &str) -> Result<Self, TransportError> {
        Ok(Self {
            urls: vec![parse_url(url)?],
            timeout: DEFAULT_TIMEOUT,
            basic_auth: None,
            headers: Vec::new(),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            client: OnceLock::new(),
        })
    }

    /// Adds an authority to try, in order, when the ones before it fail in transport.
    ///
    /// # Errors
    /// [`TransportError::Other`] when `url` is not an absolute `http`/`https` URL with a host.
    pub fn fallback(mut self, url: &str) -> Result<Self, TransportError> {
        self.urls.push(parse_url(url)?);
        Ok(self)
    }

    /// Sets the connect timeout and the timeout of each whole exchange (default 10 s).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self.client = OnceLock::new();
        self
    }

    /// Sends HTTP basic authentication with every request.
    #[must_use]
    pub fn basic_auth(mut self, user: &str, password: &str) -> Self {
        self.basic_auth = Some((user.to_owned(), Zeroizing::new(password.to_owned())));
        self
    }

    /// Sends a further header with every request (e.g. an API key). Its value is marked
    /// sensitive and never shown by `Debug`.
    ///
    /// # Errors
    /// [`TransportError::Other`] when the name or value is not a valid HTTP header.
    pub fn header(mut self, name: &str, value: &str) -> Result<Self, TransportError> {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| TransportError::Other(format!("invalid HTTP header name {name:?}")))?;
        let mut value = HeaderValue::from_str(value)
            .map_err(|_| TransportError::Other(format!("invalid value for HTTP header {name}")))?;
        value.set_sensitive(true);
        self.headers.push((name, value));
        Ok(self)
    }

    /// Sets the largest response accepted (default 1 MiB); a longer one is
    /// [`TransportError::ResponseTooLarge`].
    #[must_use]
    pub fn max_response_bytes(mut self, bytes: usize) -> Self {
        self.max_response_bytes = bytes;
        self
    }

    /// The authorities' URLs, primary first.
    #[must_use]
    pub fn urls(&self) -> Vec<&str> {
        self.urls.iter().map(Url::as_str).collect()
    }

    fn client(&self) -> Result<&Client, TransportError> {
        self.client
            .get_or_init(|| {
                Client::builder()
                    .connect_timeout(self.timeout)
                    .timeout(self.timeout)
                    .redirect(reqwest::redirect::Policy::none())
                    .user_agent(concat!("cloudsign/", env!("CARGO_PKG_VERSION")))
                    .build()
                    .map_err(|e| error_text(&e))
            })
            .as_ref()
            .map_err(|e| TransportError::Other(format!("cannot build the HTTP client: {e}")))
    }

    /// One POST to one URL.
    fn exchange_once(
        &self,
        client: &Client,
        url: &Url,
        request: &[u8],
    ) -> Result<Vec<u8>, TransportError> {
        let mut builder = client
            .post(url.clone())
            .header(CONTENT_TYPE, HeaderValue::from_static(TIMESTAMP_QUERY))
            .body(request.to_vec());
        for (name, value) in &self.headers {
            builder = builder.header(name.clone(), value.clone());
        }
        if let Some((user, password)) = &self.basic_auth {
            builder = builder.basic_auth(user, Some(password.as_str()));
        }
        let response = builder.send().map_err(|e| map_reqwest_error(&e))?;

        let status = response.status();
        if status != StatusCode::OK {
            return Err(TransportError::HttpStatus(status.as_u16()));
        }
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .unwrap_or_default();
        if !is_timestamp_reply(&content_type) {
            return Err(TransportError::WrongContentType(content_type));
        }
        read_limited(response, self.max_response_bytes)
    }
}

/// The body of `response`, refused when longer than `limit` bytes.
fn read_limited(
    response: reqwest::blocking::Response,
    limit: usize,
) -> Result<Vec<u8>, TransportError> {
    if response
        .content_length()
        .is_some_and(|len| usize::try_from(len).map_or(true, |len| len > limit))
    {
        return Err(TransportError::ResponseTooLarge { limit });
    }
    // Read at most one byte more than allowed, to tell "exactly the limit" from "more".
    let mut body = Vec::new();
    let read_limit = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    response
        .take(read_limit)
        .read_to_end(&mut body)
        .map_err(|e| map_io_error(&e))?;
    if body.len() > limit {
        return Err(TransportError::ResponseTooLarge { limit });
    }
    Ok(body)
}

impl TimeStamper for HttpTimeStamper {
    fn exchange(&self, request: &[u8]) -> Result<Vec<u8>, TransportError> {
        let client = self.client()?;
        let mut last = TransportError::Other("no timestamp authority configured".into());
        for url in &self.urls {
            match self.exchange_once(client, url, request) {
                Ok(body) => return Ok(body),
                Err(e) if try_next(&e) => last = e,
                Err(e) => return Err(e),
            }
        }
        Err(last)
    }
}

/// Whether a failure of one authority should send the request to the next one.
fn try_next(e: &TransportError) -> bool {
    match e {
        TransportError::Unreachable(_)
        | TransportError::Timeout
        | TransportError::WrongContentType(_) => true,
        TransportError::HttpStatus(status) => (500..600).contains(status),
        _ => false,
    }
}

fn parse_url(url: &str) -> Result<Url, TransportError> {
    let parsed = Url::parse(url)
        .map_err(|e| TransportError::Other(format!("invalid timestamp authority URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") || !parsed.has_host() {
        return Err(TransportError::Other(format!(
            "timestamp authority URL must be http or https with a host, not {:?}",
            parsed.scheme()
        )));
    }
    Ok(parsed)
}

fn is_timestamp_reply(content_type: &str) -> bool {
    is_media_type(content_type, TIMESTAMP_REPLY)
}

fn is_media_type(content_type: &str, media_type: &str) -> bool {
    content_type
        .split(';')
        .next()
        .is_some_and(|m| m.trim().eq_ignore_ascii_case(media_type))
}

/// The error and its sources, joined, so that "error sending request" says why.
fn error_text(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

fn map_reqwest_error(e: &reqwest::Error) -> TransportError {
    if e.is_timeout() {
        TransportError::Timeout
    } else if e.is_connect() {
        TransportError::Unreachable(error_text(e))
    } else {
        TransportError::Other(error_text(e))
    }
}

fn map_io_error(e: &std::io::Error) -> TransportError {
    if e.kind() == std::io::ErrorKind::TimedOut {
        return TransportError::Timeout;
    }
    // The blocking body reader wraps the client's own error.
    if let Some(inner) = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<reqwest::Error>())
    {
        return map_reqwest_error(inner);
    }
    TransportError::Other(format!("reading the response: {}", error_text(e)))
}

/// A [`RevocationSource`] that fetches over HTTP(S) from the URLs in the certificate: OCSP by
/// POST (`application/ocsp-request`, RFC 6960 Appendix A), CRLs and caIssuers certificates by
/// GET (DER or PEM; caIssuers may also be a certs-only CMS bundle, RFC 5280 §4.2.2.1).
///
/// URLs are tried in the order the certificate lists them; the first OCSP response is
/// returned, and every CRL that could be fetched. Only `http` and `https` URLs are used
/// (LDAP distribution points are skipped). With [`nonce`](Self::nonce) each OCSP request
/// carries a fresh nonce and a response that does not echo it is refused here; off by default,
/// as many responders answer from a cache and send none. Preferring OCSP and falling back to
/// CRLs is the job of [`gather`](crate::revocation::gather).
///
/// ```no_run
/// use std::time::Duration;
/// use cloudsign_core::http::HttpRevocationSource;
/// use cloudsign_core::revocation::gather;
/// # fn main() -> cloudsign_core::error::Result<()> {
/// # let pki = cloudsign_core::testkit::TestPki::generate()?;
/// let source = HttpRevocationSource::new()
///     .timeout(Duration::from_secs(5))
///     .max_response_bytes(4 * 1024 * 1024);
/// let evidence = gather(&source, &pki.signer_ec.certificate, &pki.intermediate.certificate)?;
/// # Ok(()) }
/// ```
#[derive(Debug, Default)]
pub struct HttpRevocationSource {
    timeout: Option<Duration>,
    max_response_bytes: Option<usize>,
    nonce: bool,
    client: OnceLock<Result<Client, String>>,
}

impl HttpRevocationSource {
    /// A source with the default timeout (10 s) and response limit (1 MiB), no OCSP nonce.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the connect timeout and the timeout of each whole exchange.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self.client = OnceLock::new();
        self
    }

    /// Sets the largest response accepted (CRLs of big CAs run to megabytes).
    #[must_use]
    pub fn max_response_bytes(mut self, bytes: usize) -> Self {
        self.max_response_bytes = Some(bytes);
        self
    }

    /// Sends a fresh nonce with each OCSP request and requires the response to echo it.
    #[must_use]
    pub fn nonce(mut self, on: bool) -> Self {
        self.nonce = on;
        self
    }

    fn client(&self) -> Result<&Client, TransportError> {
        let timeout = self.timeout.unwrap_or(DEFAULT_TIMEOUT);
        self.client
            .get_or_init(|| {
                Client::builder()
                    .connect_timeout(timeout)
                    .timeout(timeout)
                    .redirect(reqwest::redirect::Policy::limited(3))
                    .user_agent(concat!("cloudsign/", env!("CARGO_PKG_VERSION")))
                    .build()
                    .map_err(|e| error_text(&e))
            })
            .as_ref()
            .map_err(|e| TransportError::Other(format!("cannot build the HTTP client: {e}")))
    }

    /// One exchange: POST `body` when given, else GET; the answer must be 200, and of
    /// `media_type` when one is required.
    fn fetch(
        &self,
        url: &str,
        body: Option<Vec<u8>>,
        media_type: Option<&str>,
    ) -> Result<Vec<u8>, RevocationError> {
        let failed = |reason: String| RevocationError::Fetch {
            url: url.to_owned(),
            reason,
        };
        let parsed = parse_url(url).map_err(|e| failed(e.to_string()))?;
        let client = self.client().map_err(|e| failed(e.to_string()))?;
        let request = match body {
            Some(body) => client
                .post(parsed)
                .header(
                    CONTENT_TYPE,
                    HeaderValue::from_static(OCSP_REQUEST_MEDIA_TYPE),
                )
                .body(body),
            None => client.get(parsed),
        };
        let response = request
            .send()
            .map_err(|e| failed(map_reqwest_error(&e).to_string()))?;
        if response.status() != StatusCode::OK {
            return Err(failed(format!("HTTP {}", response.status().as_u16())));
        }
        if let Some(wanted) = media_type {
            let content_type = response
                .headers()
                .get(CONTENT_TYPE)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                .unwrap_or_default();
            if !is_media_type(&content_type, wanted) {
                return Err(failed(format!(
                    "content type {content_type:?}, not {wanted}"
                )));
            }
        }
        let limit = self
            .max_response_bytes
            .unwrap_or(DEFAULT_MAX_RESPONSE_BYTES);
        read_limited(response, limit).map_err(|e| failed(e.to_string()))
    }

    fn ocsp_once(
        &self,
        url: &str,
        cert: &Certificate,
        issuer: &Certificate,
    ) -> Result<Vec<u8>, RevocationError> {
        let mut request = OcspRequest::new(cert, issuer);
        if self.nonce {
            request = request.random_nonce();
        }
        let der = request
            .to_der()
            .map_err(|e| RevocationError::Encoding(e.to_string()))?;
        let response = self.fetch(url, Some(der), Some(OCSP_RESPONSE_MEDIA_TYPE))?;
        if let Some(sent) = request.nonce_value() {
            let parsed = OcspResponse::parse(&response).map_err(|e| RevocationError::Fetch {
                url: url.to_owned(),
                reason: e.to_string(),
            })?;
            if parsed.nonce().as_deref() != Some(sent) {
                return Err(RevocationError::NonceMismatch);
            }
        }
        Ok(response)
    }
}

/// The URLs a client may fetch: http and https only.
fn fetchable(urls: &[String]) -> impl Iterator<Item = &str> {
    urls.iter().map(String::as_str).filter(|u| {
        let lower = u.to_ascii_lowercase();
        lower.starts_with("http://") || lower.starts_with("https://")
    })
}

/// Tries each URL with `get`; all results when `all`, else the first; the last error when
/// nothing came back from a non-empty list.
fn from_each<T>(
    urls: &[String],
    all: bool,
    mut get: impl FnMut(&str) -> Result<T, RevocationError>,
) -> Result<Vec<T>, RevocationError> {
    let mut got = Vec::new();
    let mut last = None;
    for url in fetchable(urls) {
        match get(url) {
            Ok(v) => {
                got.push(v);
                if !all {
                    break;
                }
            }
            Err(e) => last = Some(e),
        }
    }
    match last {
        Some(e) if got.is_empty() => Err(e),
        _ => Ok(got),
    }
}

impl RevocationSource for HttpRevocationSource {
    fn ocsp(
        &self,
        cert: &Certificate,
        issuer: &Certificate,
    ) -> crate::error::Result<Option<Vec<u8>>> {
        Ok(from_each(cert.ocsp_urls(), false, |url| {
            self.ocsp_once(url, cert, issuer)
        })?
        .into_iter()
        .next())
    }

    fn crls(&self, cert: &Certificate) -> crate::error::Result<Vec<Vec<u8>>> {
        Ok(from_each(cert.crl_urls(), true, |url| {
            let body = self.fetch(url, None, None)?;
            // Some servers publish PEM; the DSS wants DER.
            if body.starts_with(b"-----BEGIN") {
                return Crl::from_pem(&body)
                    .map(|crl| crl.der().to_vec())
                    .map_err(|e| RevocationError::Fetch {
                        url: url.to_owned(),
                        reason: e.to_string(),
                    });
            }
            Ok(body)
        })?)
    }

    fn ca_issuers(&self, cert: &Certificate) -> crate::error::Result<Vec<Vec<u8>>> {
        let bundles = from_each(cert.ca_issuers_urls(), true, |url| {
            let body = self.fetch(url, None, None)?;
            certificates_in(&body).map_err(|reason| RevocationError::Fetch {
                url: url.to_owned(),
                reason,
            })
        })?;
        Ok(bundles.into_iter().flatten().collect())
    }
}

/// The certificates in a caIssuers answer: one DER certificate, PEM, or a certs-only CMS
/// SignedData (`.p7c`).
fn certificates_in(body: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    use der::Decode;
    if Certificate::from_der(body).is_ok() {
        return Ok(vec![body.to_vec()]);
    }
    if body.starts_with(b"-----BEGIN") {
        let certs = crate::x509::parse_pem_chain(body).map_err(|e| e.to_string())?;
        return Ok(certs.iter().map(|c| c.der().to_vec()).collect());
    }
    let info = cms::content_info::ContentInfo::from_der(body)
        .map_err(|e| format!("neither a certificate nor a certs-only bundle: {e}"))?;
    let signed = info
        .content
        .decode_as::<cms::signed_data::SignedData>()
        .map_err(|e| format!("certs-only bundle: {e}"))?;
    let mut out = Vec::new();
    for choice in signed.certificates.iter().flat_map(|set| set.0.iter()) {
        if let cms::cert::CertificateChoices::Certificate(c) = choice {
            out.push(der::Encode::to_der(c).map_err(|e| e.to_string())?);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_must_be_http_or_https() {
        assert!(HttpTimeStamper::new("http://127.0.0.1:1/").is_ok());
        assert!(HttpTimeStamper::new("https://tsa.example.com/x?y=1").is_ok());
        for bad in ["ftp://x/", "file:///etc/passwd", "not a url", "", "http://"] {
            assert!(
                matches!(HttpTimeStamper::new(bad), Err(TransportError::Other(_))),
                "{bad}"
            );
        }
        let ts = HttpTimeStamper::new("http://a.example/")
            .unwrap()
            .fallback("https://b.example/")
            .unwrap();
        assert_eq!(ts.urls(), ["http://a.example/", "https://b.example/"]);
        assert!(ts.fallback("gopher://c.example/").is_err());
    }

    #[test]
    fn headers_are_validated() {
        let ts = HttpTimeStamper::new("http://a.example/").unwrap();
        assert!(ts.header("bad name", "v").is_err());
        let ts = HttpTimeStamper::new("http://a.example/").unwrap();
        assert!(ts.header("X-Ok", "line\nbreak").is_err());
    }

    #[test]
    fn debug_hides_secrets() {
        let ts = HttpTimeStamper::new("http://a.example/")
            .unwrap()
            .basic_auth("alice", "hunter2-password")
            .header("X-Api-Key", "key-value-secret")
            .unwrap();
        let shown = format!("{ts:?}");
        assert!(shown.contains("alice"), "{shown}");
        assert!(shown.contains("x-api-key"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(!shown.contains("key-value-secret"), "{shown}");
    }

    #[test]
    fn failover_policy() {
        assert!(try_next(&TransportError::Timeout));
        assert!(try_next(&TransportError::Unreachable(String::new())));
        assert!(try_next(&TransportError::HttpStatus(503)));
        assert!(try_next(&TransportError::WrongContentType(String::new())));
        assert!(!try_next(&TransportError::HttpStatus(401)));
        assert!(!try_next(&TransportError::HttpStatus(302)));
        assert!(!try_next(&TransportError::ResponseTooLarge { limit: 1 }));
        assert!(!try_next(&TransportError::Other(String::new())));
    }

    #[test]
    fn reply_media_type() {
        assert!(is_timestamp_reply("application/timestamp-reply"));
        assert!(is_timestamp_reply(
            "Application/TimeStamp-Reply ; charset=x"
        ));
        assert!(!is_timestamp_reply("application/timestamp-replyx"));
        assert!(!is_timestamp_reply(""));
    }
}
