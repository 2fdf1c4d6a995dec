-- Keyed checkpoints: each run's head, MACed (HMAC-SHA256) with a key this store keeps in the OS
-- keyring, so that a log rewritten whole (events edited, the hash chain and `runs.head_*`
-- recomputed) no longer verifies without that key.
--
-- The key itself is never here: it lives in the OS keyring (service `flightdeck`, account
-- `store-key:<store_id>`), 32 random bytes made on this store's first keyed write. A row is
-- rewritten in the same transaction as each append made with the key; `flightdeck run verify`
-- checks it. A run without a row (written before this migration, or where no keyring could be
-- used) is "unkeyed" and still verifies by its chain. Not to be confused with `state_checkpoints`
-- (a cache of folded state) or `runs.head_seq` / `runs.head_hash` (the unkeyed head checkpoint).

-- Which key is this store's: the keyring account is named after `store_id`. One row.
CREATE TABLE store_identity (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    store_id    TEXT NOT NULL,                      -- 32 lowercase hex characters, random
    created_at  TEXT NOT NULL                       -- RFC 3339 UTC
);

INSERT INTO store_identity (id, store_id, created_at)
VALUES (1, lower(hex(randomblob(16))), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));

CREATE TABLE keyed_checkpoints (
    run_id      TEXT PRIMARY KEY NOT NULL REFERENCES runs(id),
    key_id      TEXT NOT NULL,                      -- which key sealed it: a fingerprint, never the key
    since_seq   INTEGER NOT NULL,                   -- the first event of the run appended under this key
    since_time  TEXT NOT NULL,                      -- that event's time
    seq         INTEGER NOT NULL,                   -- the run's last event when sealed (= its event count)
    hash        TEXT NOT NULL,                      -- that event's hash (it commits to every event before it)
    mac         TEXT NOT NULL                       -- HMAC-SHA256 over the store id and the fields above, hex
) WITHOUT ROWID;
