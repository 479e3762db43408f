//! A [`TokenStore`] in an SQLite database (feature `sqlite`).

use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};

use super::{TokenClaims, TokenError, TokenHash, TokenRecord, TokenStore};
use crate::time::UnixTime;

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS cloudsign_tokens (
    hash      BLOB PRIMARY KEY NOT NULL CHECK (length(hash) = 32),
    resource  TEXT NOT NULL,
    recipient TEXT NOT NULL,
    scope     TEXT NOT NULL,
    expires   INTEGER NOT NULL,
    max_uses  INTEGER NOT NULL,
    uses      INTEGER NOT NULL DEFAULT 0,
    revoked   INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID";

const COLUMNS: &str = "hash, resource, recipient, scope, expires, max_uses, uses, revoked";

/// Token records in one SQLite table, `cloudsign_tokens`, keyed by the SHA-256 of the secret.
///
/// Redemption is a single `UPDATE … WHERE uses < max_uses AND revoked = 0 AND expires > now
/// RETURNING …`, so it is atomic across threads and across processes sharing the file; several
/// stores may open the same file (each waits up to five seconds for a lock).
#[derive(Debug)]
pub struct SqliteTokenStore {
    conn: Mutex<Connection>,
}

impl SqliteTokenStore {
    /// Opens (creating if needed) the database at `path`.
    ///
    /// # Errors
    /// [`TokenError::Storage`] if the file cannot be opened or the schema created.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, TokenError> {
        Self::init(Connection::open(path).map_err(storage)?)
    }

    /// A private in-memory database.
    ///
    /// # Errors
    /// [`TokenError::Storage`] if SQLite cannot start.
    pub fn in_memory() -> Result<Self, TokenError> {
        Self::init(Connection::open_in_memory().map_err(storage)?)
    }

    fn init(conn: Connection) -> Result<Self, TokenError> {
        conn.busy_timeout(Duration::from_secs(5)).map_err(storage)?;
        // Freed pages are overwritten, so a revoked or purged record leaves no trace either.
        conn.pragma_update(None, "secure_delete", true)
            .map_err(storage)?;
        conn.execute_batch(SCHEMA).map_err(storage)?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    fn lock(&self) -> Result<MutexGuard<'_, Connection>, TokenError> {
        self.conn
            .lock()
            .map_err(|_| TokenError::Storage("token store lock poisoned".into()))
    }
}

fn storage(e: rusqlite::Error) -> TokenError {
    TokenError::Storage(e.to_string())
}

fn to_sql_time(t: UnixTime) -> Result<i64, TokenError> {
    i64::try_from(t.as_secs()).map_err(|_| TokenError::Storage("time out of range".into()))
}

fn row_to_record(row: &rusqlite::Row<'_>) -> rusqlite::Result<TokenRecord> {
    let hash: Vec<u8> = row.get(0)?;
    let hash: [u8; 32] = hash.try_into().map_err(|_| {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Blob,
            "token hash is not 32 bytes".into(),
        )
    })?;
    let expires: i64 = row.get(4)?;
    let expires = UnixTime::from_secs(u64::try_from(expires).unwrap_or(0));
    let claims = TokenClaims::new(row.get::<_, String>(1)?, expires)
        .with_recipient(row.get::<_, String>(2)?)
        .with_scope(row.get::<_, String>(3)?)
        .with_max_uses(row.get(5)?);
    Ok(TokenRecord::from_parts(
        TokenHash::from_bytes(hash),
        claims,
        row.get(6)?,
        row.get::<_, i64>(7)? != 0,
    ))
}

impl TokenStore for SqliteTokenStore {
    fn insert(&self, record: &TokenRecord) -> Result<(), TokenError> {
        let c = record.claims();
        self.lock()?
            .execute(
                &format!("INSERT INTO cloudsign_tokens ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"),
                params![
                    record.hash().as_bytes().as_slice(),
                    c.resource,
                    c.recipient,
                    c.scope,
                    to_sql_time(c.expires)?,
                    c.max_uses(),
                    record.uses(),
                    record.revoked(),
                ],
            )
            .map_err(storage)?;
        Ok(())
    }

    fn find(&self, hash: &TokenHash) -> Result<Option<TokenRecord>, TokenError> {
        self.lock()?
            .query_row(
                &format!("SELECT {COLUMNS} FROM cloudsign_tokens WHERE hash = ?1"),
                [hash.as_bytes().as_slice()],
                row_to_record,
            )
            .optional()
            .map_err(storage)
    }

    fn redeem(&self, hash: &TokenHash, now: UnixTime) -> Result<TokenRecord, TokenError> {
        let updated = self
            .lock()?
            .query_row(
                &format!(
                    "UPDATE cloudsign_tokens SET uses = uses + 1 \
                     WHERE hash = ?1 AND uses < max_uses AND revoked = 0 AND expires > ?2 \
                     RETURNING {COLUMNS}"
                ),
                params![hash.as_bytes().as_slice(), to_sql_time(now)?],
                row_to_record,
            )
            .optional()
            .map_err(storage)?;
        if let Some(record) = updated {
            return Ok(record);
        }
        // Nothing was updated: read the record only to name the reason. The outcome (refused)
        // was already decided atomically above.
        let record = self.find(hash)?.ok_or(TokenError::Unknown)?;
        record.check(now)?;
        Err(TokenError::Exhausted)
    }

    fn revoke(&self, hash: &TokenHash) -> Result<bool, TokenError> {
        let n = self
            .lock()?
            .execute(
                "UPDATE cloudsign_tokens SET revoked = 1 WHERE hash = ?1",
                [hash.as_bytes().as_slice()],
            )
            .map_err(storage)?;
        Ok(n > 0)
    }
}
