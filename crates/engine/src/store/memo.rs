//! `Memo`: a few values derived from the store's contents, kept in memory while a `Store` is open.
//!
//! Owns only the keeping: a short most-recently-used list of type-erased values by key, so a
//! long-lived process (the app) does not redo costly derivations on every call. It never decides
//! whether a value is still right: each user keys and checks its own entries (a state checkpoint
//! is checked against the log's hashes, a parsed runbook against its source text). A fresh
//! `Store` (each CLI command) starts empty.

use std::any::Any;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// How many values are kept; the least recently used goes first. The app works on one run at a
/// time (its state and its runbook), so a handful covers switching between a few.
const CAPACITY: usize = 8;

type Entry = (String, Arc<dyn Any + Send + Sync>);

#[derive(Default)]
pub(crate) struct Memo {
    entries: Mutex<VecDeque<Entry>>,
}

impl Memo {
    /// The value kept under `key`, if there is one of type `T`.
    pub(crate) fn get<T: Any + Send + Sync>(&self, key: &str) -> Option<Arc<T>> {
        // A poisoned lock only means a panic elsewhere mid-update: the memo then acts empty.
        let mut entries = self.entries.lock().ok()?;
        let at = entries.iter().position(|(k, _)| k == key)?;
        let entry = entries.remove(at)?;
        let value = Arc::clone(&entry.1).downcast::<T>().ok();
        entries.push_front(entry);
        value
    }

    /// The value kept under `key`, if there is one of type `T`, no longer kept: a caller that is
    /// about to replace it can then often have it without a copy (`Arc::try_unwrap`).
    pub(crate) fn take<T: Any + Send + Sync>(&self, key: &str) -> Option<Arc<T>> {
        let mut entries = self.entries.lock().ok()?;
        let at = entries.iter().position(|(k, _)| k == key)?;
        let (_, value) = entries.remove(at)?;
        value.downcast::<T>().ok()
    }

    /// Keep `value` under `key`, replacing what was there.
    pub(crate) fn put<T: Any + Send + Sync>(&self, key: String, value: Arc<T>) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        entries.retain(|(k, _)| *k != key);
        entries.push_front((key, value));
        entries.truncate(CAPACITY);
    }
}

impl super::Store {
    /// What this `Store` keeps in memory under `key`, for other modules' derived values (the run
    /// module's parsed runbooks); the caller checks it still fits.
    pub(crate) fn remembered<T: Any + Send + Sync>(&self, key: &str) -> Option<Arc<T>> {
        self.memo.get(key)
    }

    /// Keep `value` in memory under `key` while this `Store` is open.
    pub(crate) fn remember<T: Any + Send + Sync>(&self, key: String, value: Arc<T>) {
        self.memo.put(key, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_with_its_memo_still_moves_between_threads() {
        // The app shares one `Store` behind a mutex across blocking tasks.
        fn send<T: Send>() {}
        send::<super::super::Store>();
    }

    #[test]
    fn values_come_back_by_key_and_type_and_the_least_recent_goes_first() {
        let memo = Memo::default();
        memo.put("a".into(), Arc::new(1u32));
        assert_eq!(memo.get::<u32>("a").as_deref(), Some(&1));
        assert!(
            memo.get::<String>("a").is_none(),
            "a value of another type is not handed out"
        );
        for i in 0..CAPACITY as u32 {
            memo.put(format!("k{i}"), Arc::new(i));
        }
        assert!(
            memo.get::<u32>("a").is_none(),
            "`a` was the least recently used of {} entries",
            CAPACITY + 1
        );
        assert_eq!(memo.get::<u32>("k0").as_deref(), Some(&0));
        memo.put("k0".into(), Arc::new(7u32));
        assert_eq!(memo.get::<u32>("k0").as_deref(), Some(&7), "put replaces");
        let taken = memo.take::<u32>("k1").expect("k1 is kept");
        assert_eq!(
            Arc::try_unwrap(taken),
            Ok(1),
            "a taken value is the memo's no longer"
        );
        assert!(memo.get::<u32>("k1").is_none());
    }
}
