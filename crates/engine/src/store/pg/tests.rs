//! Unit tests of the Postgres store that need no server live in the modules; the store against a
//! real Postgres is tested in `crates/engine/tests/it/pg_store` (under `.ci/services.sh`).
