//! The key and its MAC on their own; keyed checkpoints through a store are tested in the
//! engine's integration tests (`tests/it/keyed.rs`) and through the CLI (`tests/tests/it/keyed.rs`).

use super::key::Sealed;
use super::*;

fn sealed<'a>(run_id: &'a str, hash: &'a str) -> Sealed<'a> {
    Sealed {
        store_id: "0123456789abcdef0123456789abcdef",
        run_id,
        key_id: "fedcba9876543210",
        since_seq: 1,
        since_time: "2025-06-01T12:00:00.123Z",
        seq: 6,
        hash,
    }
}

#[test]
fn a_mac_holds_for_what_it_sealed_and_for_nothing_else() {
    let key = StoreKey::generate().expect("random bytes");
    let head = sealed("run-a", "aa");
    let mac = key.seal(&head);
    assert!(key.holds(&head, &mac), "the key's own MAC of the same head holds");
    assert!(
        !key.holds(&sealed("run-b", "aa"), &mac),
        "another run's head is not covered"
    );
    assert!(
        !key.holds(&sealed("run-a", "ab"), &mac),
        "another head hash is not covered"
    );
    let later = Sealed {
        seq: 7,
        ..head.clone()
    };
    assert!(!key.holds(&later, &mac), "another event count is not covered");
    let other = StoreKey::generate().expect("random bytes");
    assert!(!other.holds(&head, &mac), "another key's MAC does not hold");
    assert!(!key.holds(&head, "not hex"), "a MAC that is not hex never holds");
}

#[test]
fn fields_cannot_slide_into_each_other() {
    // Without a length before each part, "run-a" + "aa" and "run-aa" + "a" would MAC alike.
    let key = StoreKey::generate().expect("random bytes");
    let mac = key.seal(&sealed("run-a", "aa"));
    assert!(!key.holds(&sealed("run-aa", "a"), &mac));
}

#[test]
fn a_key_round_trips_through_hex_and_never_shows_itself() {
    let key = StoreKey::generate().expect("random bytes");
    let hex = key.to_hex();
    assert_eq!(hex.expose().len(), 64);
    assert_eq!(StoreKey::from_hex(hex.expose()), Some(key.clone()));
    assert_eq!(StoreKey::from_hex("abc"), None, "not 32 bytes");
    assert_eq!(format!("{key:?}"), "StoreKey(***)");
    assert_eq!(format!("{hex}"), "***");
    let id = key.id();
    assert_eq!(id.len(), 16);
    assert_eq!(id, key.id(), "a key's id is stable");
    assert!(!hex.expose().contains(id), "the id is not a piece of the key");
    assert_ne!(id, StoreKey::generate().expect("random bytes").id());
}

#[test]
fn memory_keys_keep_a_key_per_store_until_forgotten() {
    let keys = MemoryKeys::new();
    let key = StoreKey::generate().expect("random bytes");
    assert_eq!(keys.get("s1").expect("get"), None);
    keys.put("s1", &key).expect("put");
    assert_eq!(keys.get("s1").expect("get"), Some(key));
    assert_eq!(keys.get("s2").expect("get"), None);
    keys.forget();
    assert_eq!(keys.get("s1").expect("get"), None);
}
