//! An in-memory [`TokenStore`] for tests and single-process use.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use super::{TokenError, TokenHash, TokenRecord, TokenStore};
use crate::time::UnixTime;

/// Token records in a `HashMap` behind a mutex; redemption is atomic under the lock.
#[derive(Debug, Default)]
pub struct MemoryTokenStore {
    records: Mutex<HashMap<TokenHash, TokenRecord>>,
}

impl MemoryTokenStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// The number of records held.
    pub fn len(&self) -> usize {
        self.lock().map_or(0, |m| m.len())
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> Result<MutexGuard<'_, HashMap<TokenHash, TokenRecord>>, TokenError> {
        // A poisoned lock means a panic mid-update elsewhere; refuse rather than guess.
        self.records
            .lock()
            .map_err(|_| TokenError::Storage("token store lock poisoned".into()))
    }
}

impl TokenStore for MemoryTokenStore {
    fn insert(&self, record: &TokenRecord) -> Result<(), TokenError> {
        let mut map = self.lock()?;
        if map.contains_key(record.hash()) {
            return Err(TokenError::Storage("duplicate token hash".into()));
        }
        map.insert(*record.hash(), record.clone());
        Ok(())
    }

    fn find(&self, hash: &TokenHash) -> Result<Option<TokenRecord>, TokenError> {
        Ok(self.lock()?.get(hash).cloned())
    }

    fn redeem(&self, hash: &TokenHash, now: UnixTime) -> Result<TokenRecord, TokenError> {
        let mut map = self.lock()?;
        let record = map.get_mut(hash).ok_or(TokenError::Unknown)?;
        record.check(now)?;
        *record = record.clone().redeemed();
        Ok(record.clone())
    }

    fn revoke(&self, hash: &TokenHash) -> Result<bool, TokenError> {
        Ok(self
            .lock()?
            .get_mut(hash)
            .map(TokenRecord::revoke)
            .is_some())
    }
}
