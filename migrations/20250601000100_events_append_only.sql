-- The event log is append-only: SQLite refuses any UPDATE or DELETE of an event.
--
-- This stops mistakes, not attackers (anyone with the file can drop the triggers); the hash
-- chain and `flightdeck run verify` are what catch deliberate edits.

CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only: UPDATE refused');
END;

CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are append-only: DELETE refused');
END;

CREATE INDEX runs_created_at ON runs(created_at);
