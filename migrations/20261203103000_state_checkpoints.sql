-- Checkpoints of each run's folded state, so a write reads only the events after the checkpoint
-- instead of the whole log.
--
-- A cache, never a record: the event log is the record. A row is used only when it was made by
-- the same fold (`fold`: this build of Flightdeck and the run's runbook) and the event at its
-- `seq` still carries its `hash`; otherwise the state is folded again from the whole log and the
-- row replaced. Deleting rows loses nothing. (Not to be confused with `runs.head_seq` /
-- `runs.head_hash`, the head checkpoint that verification compares with the end of the log.)

CREATE TABLE state_checkpoints (
    run_id  TEXT PRIMARY KEY NOT NULL REFERENCES runs(id),
    fold    TEXT NOT NULL,                          -- which fold made it; another one ignores it
    seq     INTEGER NOT NULL,                       -- the last event folded in
    hash    TEXT NOT NULL,                          -- that event's hash
    state   TEXT NOT NULL                           -- JSON; last, so reading the key skips it
);
