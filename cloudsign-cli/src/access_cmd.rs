//! `cloudsign token …` and `cloudsign audit …`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;
use cloudsign_core::audit;
use cloudsign_core::time::UnixTime;
use cloudsign_core::token::{
    self, SqliteTokenStore, TokenClaims, TokenError, TokenIssuer, TokenStore,
};

/// Token subcommands.
#[derive(Subcommand)]
pub(crate) enum TokenCommand {
    /// Issue a unique-URL token; prints the token (only its hash is stored).
    Issue {
        /// SQLite token database (created if missing).
        #[arg(long)]
        db: PathBuf,
        /// The resource the token opens.
        #[arg(long)]
        resource: String,
        /// Lifetime: a number with s, m, h or d (default 7d).
        #[arg(long, default_value = "7d")]
        ttl: String,
        /// How many times it may be redeemed.
        #[arg(long, default_value_t = 1)]
        max_uses: u32,
        /// Who it is for.
        #[arg(long, default_value = "")]
        recipient: String,
    },
    /// Check a token without using it: exit 0 valid, 1 refused (with the reason), 2 error.
    Verify {
        /// The token.
        token: String,
        /// SQLite token database.
        #[arg(long)]
        db: PathBuf,
    },
}

/// Audit subcommands.
#[derive(Subcommand)]
pub(crate) enum AuditCommand {
    /// Verify a hash-chained audit log and its timestamped checkpoints.
    Verify {
        /// The JSON Lines log.
        log: PathBuf,
        /// PEM trust anchors for the checkpoint timestamps (repeatable).
        #[arg(long)]
        tsa_trust: Vec<PathBuf>,
    },
}

fn parse_ttl(s: &str) -> Result<u64, String> {
    let (num, unit) = s.split_at(s.len().saturating_sub(1));
    let n: u64 = num
        .parse()
        .map_err(|_| format!("bad --ttl {s:?}: use e.g. 30m, 12h, 7d"))?;
    let mult = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("bad --ttl {s:?}: use e.g. 30m, 12h, 7d")),
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("--ttl {s:?} too long"))
}

fn open(db: &Path) -> Result<SqliteTokenStore, String> {
    SqliteTokenStore::open(db).map_err(|e| format!("{}: {e}", db.display()))
}

pub(crate) fn token(cmd: TokenCommand) -> ExitCode {
    match cmd {
        TokenCommand::Issue {
            db,
            resource,
            ttl,
            max_uses,
            recipient,
        } => {
            let result = (|| {
                let expires = UnixTime::now().plus_secs(parse_ttl(&ttl)?);
                let store = open(&db)?;
                let issued = TokenIssuer::new().issue(
                    TokenClaims::new(resource, expires)
                        .with_recipient(recipient)
                        .with_max_uses(max_uses),
                );
                store.insert(issued.record()).map_err(|e| e.to_string())?;
                println!("{}", issued.secret().expose());
                Ok::<(), String>(())
            })();
            finish(result)
        }
        TokenCommand::Verify { token: t, db } => {
            let store = match open(&db) {
                Ok(s) => s,
                Err(e) => return finish(Err(e)),
            };
            match token::verify(&store, &t, UnixTime::now()) {
                Ok(record) => {
                    let c = record.claims();
                    println!(
                        "valid: resource {} scope {} uses {}/{} expires {}",
                        c.resource,
                        c.scope,
                        record.uses(),
                        c.max_uses(),
                        c.expires.to_rfc3339()
                    );
                    ExitCode::SUCCESS
                }
                Err(TokenError::Storage(e)) => finish(Err(e)),
                Err(e) => {
                    println!("refused: {e}");
                    ExitCode::from(1)
                }
            }
        }
    }
}

pub(crate) fn audit(cmd: AuditCommand) -> ExitCode {
    match cmd {
        AuditCommand::Verify { log, tsa_trust } => {
            let trust = match crate::trust_store(&tsa_trust) {
                Ok(t) => t,
                Err(e) => return finish(Err(e)),
            };
            match audit::verify_log(&log, &trust) {
                Ok(report) => {
                    println!(
                        "valid: {} records, {} checkpoints, head {}",
                        report.records, report.checkpoints, report.head_hash
                    );
                    println!("note: {}", report.truncation_note());
                    ExitCode::SUCCESS
                }
                Err(audit::AuditError::Io(e)) => finish(Err(e)),
                Err(e) => {
                    println!("refused: {e}");
                    ExitCode::from(1)
                }
            }
        }
    }
}

fn finish(result: Result<(), String>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("cloudsign: {message}");
            ExitCode::from(2)
        }
    }
}
