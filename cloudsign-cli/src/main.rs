//! The `cloudsign` command: sign and verify PDFs, make a test PKI, run a demo.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};
use cloudsign_core::http::HttpTimeStamper;
use cloudsign_core::pades::{
    DocMdpPermissions, DocumentTimestamper, LtvUpdater, PdfSigner, SignatureOptions,
    SignatureProfile,
};
use cloudsign_core::revocation::HttpRevocationSource;
use cloudsign_core::revocation::{CrlIssuer, OcspResponder, RevocationReason};
use cloudsign_core::serve::{HttpServer, revocation_handler, timestamp_handler};
use cloudsign_core::signer::LocalSigner;
use cloudsign_core::testkit::{PkiUrls, TestPki, samples};
use cloudsign_core::time::UnixTime;
use cloudsign_core::tsp::TimestampAuthority;
use cloudsign_core::validate::{Indication, ValidationReport, Validator};
use cloudsign_core::x509::{Certificate, TrustStore, parse_pem_chain};

mod access_cmd;
mod blob;
mod report_text;

#[derive(Parser)]
#[command(
    name = "cloudsign",
    version,
    about = "Sign and verify PDF contracts (PAdES)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write a throwaway test PKI (root, intermediate, RSA and ECDSA signers, timestamp
    /// authority, OCSP responder) to DIR.
    Testpki {
        /// Output folder (created if missing).
        dir: PathBuf,
        /// Password of the PKCS#12 files.
        #[arg(long, default_value = "test")]
        password: String,
        /// OCSP responder URL to put in the leaf certificates (authorityInfoAccess).
        #[arg(long)]
        ocsp_url: Option<String>,
        /// CRL URL to put in the leaf certificates (cRLDistributionPoints).
        #[arg(long)]
        crl_url: Option<String>,
        /// Issuer certificate URL to put in the leaf certificates (authorityInfoAccess).
        #[arg(long)]
        ca_issuers_url: Option<String>,
        /// CRL URL to put in the intermediate CA's certificate, where the root's CRL is
        /// published (serve it with `serve ocsp --ca root.pem --ca-key root-key.pem`).
        #[arg(long)]
        intermediate_crl_url: Option<String>,
    },
    /// Sign a PDF (PAdES baseline) by incremental update.
    Sign(Box<SignArgs>),
    /// Add an RFC 3161 document timestamp to a PDF.
    Timestamp {
        /// The PDF to timestamp.
        input: PathBuf,
        /// Where to write the result.
        #[arg(short = 'o', long = "output")]
        output: PathBuf,
        /// Timestamp authority URL; repeat to give fallbacks, tried in order.
        #[arg(long = "tsa", required = true)]
        tsa: Vec<String>,
    },
    /// Long-term validation: add validation data, renew archive timestamps.
    Ltv {
        #[command(subcommand)]
        command: LtvCommand,
    },
    /// Verify every signature of a PDF. Exit 0: all pass; 1: any fails or is indeterminate;
    /// 2: the input cannot be judged.
    Verify {
        /// The PDF to verify.
        input: PathBuf,
        /// Trusted root certificate(s), PEM; may be repeated.
        #[arg(long = "trust", required = true)]
        trust: Vec<PathBuf>,
        /// Trusted roots for timestamp authorities (default: the --trust roots).
        #[arg(long = "tsa-trust")]
        tsa_trust: Vec<PathBuf>,
        /// Print the report as JSON on stdout.
        #[arg(long)]
        json: bool,
        /// Never fetch revocation data: judge with what the document holds.
        #[arg(long)]
        offline: bool,
    },
    /// Serve a timestamp authority, or an OCSP responder with a CRL, over HTTP.
    Serve {
        #[command(subcommand)]
        service: Service,
    },
    /// Make a throwaway PKI, sign a sample contract and verify it.
    Demo,
    /// Issue and check unique-URL tokens.
    Token {
        #[command(subcommand)]
        command: access_cmd::TokenCommand,
    },
    /// Verify an audit log.
    Audit {
        #[command(subcommand)]
        command: access_cmd::AuditCommand,
    },
    /// Encrypted blob storage in a directory: put, get, rotate, keygen.
    Blob {
        #[command(subcommand)]
        command: blob::BlobCommand,
    },
}

#[derive(Subcommand)]
enum LtvCommand {
    /// Add validation data (certificates, OCSP responses, CRLs) for every signature and
    /// timestamp of a signed PDF to its DSS, then a document timestamp (B-LT becomes B-LTA).
    Add(LtvArgs),
    /// Renew an archive: validation data for the newest document timestamp, then a fresh one.
    Extend(LtvArgs),
}

#[derive(clap::Args)]
struct LtvArgs {
    /// The signed PDF.
    input: PathBuf,
    /// Where to write the result.
    #[arg(short = 'o', long = "output")]
    output: PathBuf,
    /// Timestamp authority URL; repeat to give fallbacks, tried in order.
    #[arg(long = "tsa", required = true)]
    tsa: Vec<String>,
    /// Also write /VRI entries.
    #[arg(long)]
    vri: bool,
    /// Trusted roots, PEM: completing chains with them gathers the top intermediate CA's
    /// status too. May be repeated.
    #[arg(long = "trust")]
    trust: Vec<PathBuf>,
}

#[derive(Subcommand)]
enum Service {
    /// An RFC 3161 timestamp authority (POST application/timestamp-query).
    Tsa {
        /// The authority's private key, PKCS#8 PEM.
        #[arg(long)]
        key: PathBuf,
        /// The authority's certificate (extendedKeyUsage critical id-kp-timeStamping), PEM.
        #[arg(long)]
        cert: PathBuf,
        /// Issuer certificates to include in tokens, PEM.
        #[arg(long)]
        chain: Option<PathBuf>,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:3180")]
        listen: String,
        /// The authority's policy OID.
        #[arg(long, default_value = DEFAULT_TSA_POLICY)]
        policy: String,
    },
    /// An OCSP responder for one CA (POST application/ocsp-request, or GET /ocsp/BASE64)
    /// and its CRL (GET /crl).
    Ocsp(Box<OcspArgs>),
}

#[derive(clap::Args)]
struct OcspArgs {
    /// The CA whose certificates are answered for, PEM.
    #[arg(long)]
    ca: PathBuf,
    /// The CA's private key, PKCS#8 PEM (signs the CRL).
    #[arg(long)]
    ca_key: PathBuf,
    /// The delegated responder's certificate (id-kp-OCSPSigning, issued by the CA), PEM;
    /// without it the CA key signs OCSP responses too.
    #[arg(long, requires = "responder_key")]
    responder: Option<PathBuf>,
    /// The delegated responder's private key, PKCS#8 PEM.
    #[arg(long, requires = "responder")]
    responder_key: Option<PathBuf>,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:2560")]
    listen: String,
    /// A revoked certificate: serial number in hex, optionally with the revocation time
    /// (RFC 3339 UTC like 2026-01-02T03:04:05Z, or seconds since the epoch; default now)
    /// and the reason (an RFC 5280 CRLReason name like keyCompromise). May be repeated.
    #[arg(long = "revoked", value_name = "SERIAL[:TIME[:REASON]]")]
    revoked: Vec<String>,
}

/// Policy OID of the embedded authority unless told otherwise (a private-use arc).
const DEFAULT_TSA_POLICY: &str = "1.3.6.1.4.1.99999.1.1";

#[derive(clap::Args)]
struct SignArgs {
    /// The PDF to sign.
    input: PathBuf,
    /// Where to write the signed PDF.
    #[arg(short = 'o', long = "output")]
    output: PathBuf,
    /// Key and certificates as PKCS#12.
    #[arg(long, conflicts_with_all = ["key", "cert"])]
    p12: Option<PathBuf>,
    /// Password of the PKCS#12 file.
    #[arg(long, default_value = "")]
    password: String,
    /// Private key, PKCS#8 PEM.
    #[arg(long, requires = "cert")]
    key: Option<PathBuf>,
    /// Signer certificate, PEM.
    #[arg(long, requires = "key")]
    cert: Option<PathBuf>,
    /// Issuer certificates to embed, PEM.
    #[arg(long)]
    chain: Option<PathBuf>,
    /// PAdES level.
    #[arg(long, default_value = "b-b", value_parser = ["b-b", "b-t", "b-lt", "b-lta"])]
    level: String,
    /// At b-lt and b-lta, also write a /VRI entry for the signature in the DSS.
    #[arg(long)]
    vri: bool,
    /// At b-lt and b-lta, trusted roots, PEM: completing chains with them gathers the top
    /// intermediate CA's status too. May be repeated.
    #[arg(long = "trust")]
    trust: Vec<PathBuf>,
    /// Timestamp authority URL (needed from b-t up); repeat to give fallbacks.
    #[arg(long = "tsa")]
    tsa: Vec<String>,
    /// Field to sign (an existing empty signature field, or a new one).
    #[arg(long)]
    field: Option<String>,
    /// Reason for signing.
    #[arg(long)]
    reason: Option<String>,
    /// Location of signing.
    #[arg(long)]
    location: Option<String>,
    /// Make a certification signature with DocMDP permissions 1, 2 or 3.
    #[arg(long, value_parser = clap::value_parser!(i64).range(1..=3))]
    certify: Option<i64>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Testpki {
            dir,
            password,
            ocsp_url,
            crl_url,
            ca_issuers_url,
            intermediate_crl_url,
        } => testpki(
            &dir,
            &password,
            &PkiUrls {
                ocsp: ocsp_url,
                crl: crl_url,
                ca_issuers: ca_issuers_url,
                intermediate_crl: intermediate_crl_url,
            },
        ),
        Command::Sign(args) => sign(&args),
        Command::Timestamp { input, output, tsa } => timestamp(&input, &output, &tsa),
        Command::Verify {
            input,
            trust,
            tsa_trust,
            json,
            offline,
        } => {
            return verify(&input, &trust, &tsa_trust, json, offline);
        }
        Command::Ltv { command } => ltv(&command),
        Command::Serve {
            service:
                Service::Tsa {
                    key,
                    cert,
                    chain,
                    listen,
                    policy,
                },
        } => serve_tsa(&key, &cert, chain.as_deref(), &listen, &policy),
        Command::Serve {
            service: Service::Ocsp(args),
        } => serve_ocsp(&args),
        Command::Demo => demo(),
        Command::Token { command } => return access_cmd::token(command),
        Command::Audit { command } => return access_cmd::audit(command),
        Command::Blob { command } => blob::run(command),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("cloudsign: {message}");
            ExitCode::from(2)
        }
    }
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn testpki(dir: &Path, password: &str, urls: &PkiUrls) -> Result<(), String> {
    let pki = TestPki::generate_with(urls).map_err(|e| e.to_string())?;
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let files = pki
        .write_to_dir(dir, password)
        .map_err(|e| format!("cannot write the PKI: {e}"))?;
    for f in files {
        println!("{}", f.display());
    }
    Ok(())
}

fn load_signer(args: &SignArgs) -> Result<LocalSigner, String> {
    match (&args.p12, &args.key, &args.cert) {
        (Some(p12), None, None) => LocalSigner::from_pkcs12(&read(p12)?, &args.password)
            .map_err(|e| format!("{}: {e}", p12.display())),
        (None, Some(key), Some(cert)) => {
            let mut chain = vec![
                Certificate::from_pem(&read(cert)?)
                    .map_err(|e| format!("{}: {e}", cert.display()))?,
            ];
            if let Some(extra) = &args.chain {
                chain.extend(
                    parse_pem_chain(&read(extra)?)
                        .map_err(|e| format!("{}: {e}", extra.display()))?,
                );
            }
            LocalSigner::from_pkcs8_pem(&read(key)?, chain)
                .map_err(|e| format!("{}: {e}", key.display()))
        }
        _ => Err("give either --p12 FILE or --key KEY.pem --cert CERT.pem".to_owned()),
    }
}

fn sign(args: &SignArgs) -> Result<(), String> {
    let signer = load_signer(args)?;
    let mut options = SignatureOptions::new();
    if let Some(f) = &args.field {
        options = options.field_name(f);
    }
    if let Some(r) = &args.reason {
        options = options.reason(r);
    }
    if let Some(l) = &args.location {
        options = options.location(l);
    }
    if let Some(p) = args.certify.and_then(DocMdpPermissions::from_level) {
        options = options.certify(p);
    }
    if args.level != "b-b" && args.tsa.is_empty() {
        return Err(format!("--level {} needs --tsa URL", args.level));
    }
    let stamper = match args.level.as_str() {
        "b-b" => None,
        _ => Some(http_timestamper(&args.tsa)?),
    };
    let source = HttpRevocationSource::new();
    let profile = match (&stamper, args.level.as_str()) {
        (Some(timestamper), "b-lt") => SignatureProfile::BaselineLt {
            timestamper,
            revocation: &source,
        },
        (Some(timestamper), "b-lta") => SignatureProfile::BaselineLta {
            timestamper,
            revocation: &source,
        },
        (Some(timestamper), _) => SignatureProfile::BaselineT { timestamper },
        (None, _) => SignatureProfile::BaselineB,
    };
    options = options.vri(args.vri);
    PdfSigner::new(&signer)
        .profile(profile)
        .options(options)
        .trust_anchors(&trust_store(&args.trust)?)
        .sign_file(&args.input, &args.output)
        .map_err(|e| format!("cannot sign {}: {e}", args.input.display()))
}

fn ltv(command: &LtvCommand) -> Result<(), String> {
    let (args, extend) = match command {
        LtvCommand::Add(args) => (args, false),
        LtvCommand::Extend(args) => (args, true),
    };
    let stamper = http_timestamper(&args.tsa)?;
    let source = HttpRevocationSource::new();
    let trust = trust_store(&args.trust)?;
    let updater = LtvUpdater::new(&source)
        .timestamper(&stamper)
        .vri(args.vri)
        .trust_anchors(&trust);
    let input = read(&args.input)?;
    for warning in updater.warnings(&input).map_err(|e| e.to_string())? {
        eprintln!("cloudsign: warning: {warning}");
    }
    let result = if extend {
        updater.extend_file(&args.input, &args.output)
    } else {
        updater.add_file(&args.input, &args.output)
    };
    result.map_err(|e| format!("cannot update {}: {e}", args.input.display()))
}

fn http_timestamper(urls: &[String]) -> Result<HttpTimeStamper, String> {
    let (first, rest) = urls.split_first().ok_or("no timestamp authority given")?;
    let mut stamper = HttpTimeStamper::new(first).map_err(|e| format!("{first}: {e}"))?;
    for url in rest {
        stamper = stamper.fallback(url).map_err(|e| format!("{url}: {e}"))?;
    }
    Ok(stamper)
}

fn timestamp(input: &Path, output: &Path, tsa: &[String]) -> Result<(), String> {
    let stamper = http_timestamper(tsa)?;
    DocumentTimestamper::new(&stamper)
        .timestamp_file(input, output)
        .map_err(|e| format!("cannot timestamp {}: {e}", input.display()))
}

fn load_authority(
    key: &Path,
    cert: &Path,
    chain: Option<&Path>,
    policy: &str,
) -> Result<TimestampAuthority, String> {
    let mut certificates =
        vec![Certificate::from_pem(&read(cert)?).map_err(|e| format!("{}: {e}", cert.display()))?];
    if let Some(chain) = chain {
        certificates.extend(
            parse_pem_chain(&read(chain)?).map_err(|e| format!("{}: {e}", chain.display()))?,
        );
    }
    let signer = LocalSigner::from_pkcs8_pem(&read(key)?, certificates)
        .map_err(|e| format!("{}: {e}", key.display()))?;
    TimestampAuthority::new(signer, policy).map_err(|e| format!("cannot start the authority: {e}"))
}

fn serve_tsa(
    key: &Path,
    cert: &Path,
    chain: Option<&Path>,
    listen: &str,
    policy: &str,
) -> Result<(), String> {
    let authority = load_authority(key, cert, chain, policy)?;
    let server = HttpServer::bind(
        listen,
        timestamp_handler(move |request| authority.respond(request)),
    )
    .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    println!("timestamp authority listening on {}", server.url());
    server
        .run_forever()
        .map_err(|e| format!("the server stopped: {e}"))
}

/// `SERIAL[:TIME[:REASON]]`: hex serial, then RFC 3339 UTC or seconds since the epoch,
/// then a CRLReason name (the time's own colons make the reason the part after the last one).
fn parse_revoked(text: &str) -> Result<(String, UnixTime, Option<RevocationReason>), String> {
    let (serial, rest) = match text.split_once(':') {
        Some((serial, rest)) => (serial, Some(rest)),
        None => (text, None),
    };
    let (time, reason) = match rest.and_then(|r| r.rsplit_once(':')) {
        Some((time, name)) if name.starts_with(|c: char| c.is_ascii_alphabetic()) => {
            let reason = name.parse().map_err(|e| format!("--revoked {text}: {e}"))?;
            (Some(time), Some(reason))
        }
        _ => (rest, None),
    };
    let at = match time {
        None => UnixTime::now(),
        Some(t) => parse_time(t).ok_or_else(|| format!("--revoked {text}: bad time {t:?}"))?,
    };
    Ok((serial.to_owned(), at, reason))
}

/// Seconds since the epoch, or `YYYY-MM-DDTHH:MM:SSZ`.
fn parse_time(t: &str) -> Option<UnixTime> {
    if let Ok(secs) = t.parse::<u64>() {
        return Some(UnixTime::from_secs(secs));
    }
    let b = t.as_bytes();
    let shape_ok = b.len() == 20
        && b.get(4) == Some(&b'-')
        && b.get(7) == Some(&b'-')
        && matches!(b.get(10), Some(b'T' | b't'))
        && b.get(13) == Some(&b':')
        && b.get(16) == Some(&b':')
        && matches!(b.get(19), Some(b'Z' | b'z'));
    if !shape_ok {
        return None;
    }
    let num = |range: std::ops::Range<usize>| t.get(range)?.parse::<u8>().ok();
    UnixTime::from_civil(
        t.get(0..4)?.parse().ok()?,
        num(5..7)?,
        num(8..10)?,
        num(11..13)?,
        num(14..16)?,
        num(17..19)?,
    )
}

fn load_key(key: &Path, cert: &Path) -> Result<LocalSigner, String> {
    let certificate =
        Certificate::from_pem(&read(cert)?).map_err(|e| format!("{}: {e}", cert.display()))?;
    LocalSigner::from_pkcs8_pem(&read(key)?, vec![certificate])
        .map_err(|e| format!("{}: {e}", key.display()))
}

fn serve_ocsp(args: &OcspArgs) -> Result<(), String> {
    let ca_signer = load_key(&args.ca_key, &args.ca)?;
    let ca = ca_signer.certificate().clone();
    let responder_signer = match (&args.responder, &args.responder_key) {
        (Some(cert), Some(key)) => load_key(key, cert)?,
        _ => load_key(&args.ca_key, &args.ca)?,
    };
    let mut responder = OcspResponder::new(ca.clone(), responder_signer)
        .map_err(|e| format!("cannot start the OCSP responder: {e}"))?;
    let mut issuer =
        CrlIssuer::new(ca_signer).map_err(|e| format!("cannot issue CRLs for the CA: {e}"))?;
    for text in &args.revoked {
        let (serial, at, reason) = parse_revoked(text)?;
        responder = responder
            .revoke(&serial, at, reason)
            .map_err(|e| format!("--revoked {text}: {e}"))?;
        issuer = issuer
            .revoke(&serial, at, reason)
            .map_err(|e| format!("--revoked {text}: {e}"))?;
    }
    let server = HttpServer::bind(
        &args.listen,
        revocation_handler(move |r| responder.respond(r), move || issuer.issue().ok()),
    )
    .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    println!(
        "OCSP responder for {} listening on {} (CRL at {}crl)",
        ca.subject(),
        server.url(),
        server.url()
    );
    server
        .run_forever()
        .map_err(|e| format!("the server stopped: {e}"))
}

fn trust_store(paths: &[PathBuf]) -> Result<TrustStore, String> {
    let mut store = TrustStore::new();
    for path in paths {
        for cert in parse_pem_chain(&read(path)?).map_err(|e| format!("{}: {e}", path.display()))? {
            store.add(cert);
        }
    }
    Ok(store)
}

fn verify(
    input: &Path,
    trust: &[PathBuf],
    tsa_trust: &[PathBuf],
    json: bool,
    offline: bool,
) -> ExitCode {
    let report = trust_store(trust).and_then(|store| {
        let mut validator = Validator::new(store);
        if !offline {
            validator = validator.revocation_source(Arc::new(HttpRevocationSource::new()));
        }
        if !tsa_trust.is_empty() {
            validator = validator.tsa_trust(trust_store(tsa_trust)?);
        }
        validator
            .validate_file(input)
            .map_err(|e| format!("cannot verify {}: {e}", input.display()))
    });
    match report {
        Ok(report) => {
            if json {
                println!("{}", report.to_json());
            } else {
                print!("{}", report_text::render(&report));
            }
            exit_code(&report)
        }
        Err(message) => {
            eprintln!("cloudsign: {message}");
            ExitCode::from(2)
        }
    }
}

fn exit_code(report: &ValidationReport) -> ExitCode {
    if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn demo() -> Result<(), String> {
    let dir = std::env::temp_dir().join(format!("cloudsign-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    println!("1. Generating a throwaway test PKI in {}", dir.display());
    let pki = TestPki::generate().map_err(|e| e.to_string())?;
    pki.write_to_dir(&dir, "test").map_err(|e| e.to_string())?;

    let authority = pki.authority().map_err(|e| e.to_string())?;
    let server = HttpServer::bind(
        "127.0.0.1:0",
        timestamp_handler(move |request| authority.respond(request)),
    )
    .and_then(HttpServer::spawn)
    .map_err(|e| format!("cannot start the embedded timestamp authority: {e}"))?;
    println!(
        "2. Embedded timestamp authority listening on {}",
        server.url()
    );

    let contract = dir.join("contract.pdf");
    std::fs::write(&contract, samples::contract_pdf()).map_err(|e| e.to_string())?;
    println!(
        "3. Signing {} (PAdES B-T) as {}",
        contract.display(),
        pki.signer_rsa.certificate.subject()
    );
    let signer = pki.signer_rsa.signer().map_err(|e| e.to_string())?;
    let timestamper = HttpTimeStamper::new(&server.url()).map_err(|e| e.to_string())?;
    let signed = dir.join("contract-signed.pdf");
    PdfSigner::new(&signer)
        .profile(SignatureProfile::BaselineT {
            timestamper: &timestamper,
        })
        .options(
            SignatureOptions::new()
                .reason("I agree to the terms of this contract")
                .location("cloudsign demo"),
        )
        .sign_file(&contract, &signed)
        .map_err(|e| e.to_string())?;
    println!("4. Verifying {} against the test root\n", signed.display());
    let mut store = TrustStore::new();
    store.add(pki.root.certificate);
    let report = Validator::new(store)
        .validate_file(&signed)
        .map_err(|e| e.to_string())?;
    print!("{}", report_text::render(&report));
    if report.passed()
        && report
            .signatures
            .iter()
            .all(|s| s.indication == Indication::Passed)
    {
        println!(
            "\nThe demo signature is valid. Files are in {}",
            dir.display()
        );
        Ok(())
    } else {
        Err("the demo signature did not validate".to_owned())
    }
}
