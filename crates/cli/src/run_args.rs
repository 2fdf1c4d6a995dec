//! `flightdeck run ...`'s command line: the subcommands and their arguments, as clap parses
//! them. What each one does is `run_cmd`.

use clap::{Args, Subcommand};

use crate::step_cmd;
use crate::who::By;

#[derive(Debug, Subcommand)]
pub enum RunCmd {
    #[command(flatten)]
    Record(RecordCmd),
    #[command(flatten)]
    Steps(StepCmd),
    /// Who is known to a run and with which roles; add a person; how many must say GO.
    People {
        #[command(subcommand)]
        cmd: crate::people_cmd::PeopleCmd,
    },
}

/// The commands that read a run or record one event on it.
#[derive(Debug, Subcommand)]
pub enum RecordCmd {
    /// Start a run of FILE (a path or `bundled:NAME`); prints the new run's id alone.
    New(NewArgs),
    /// All runs in the store, newest first.
    List,
    /// A run's metadata, items, fields, sign-offs, decision, event count and head hash.
    Show { run: String },
    /// Check an item (or uncheck it with --uncheck).
    Check {
        run: String,
        /// The item id (`runbook inspect` lists them).
        item: String,
        #[command(flatten)]
        by: By,
        /// Uncheck it instead.
        #[arg(long)]
        uncheck: bool,
    },
    /// Fill a field; the value must fit its kind (number, percent, duration, choice). `--clear`
    /// empties it again (recorded).
    Set {
        run: String,
        /// The field id, or its label.
        field: String,
        /// The value; negative numbers are taken as values, not flags.
        #[arg(allow_hyphen_values = true, required_unless_present = "clear")]
        value: Option<String>,
        #[command(flatten)]
        by: By,
        /// Empty the field instead (recorded as `field_cleared`; a sign-off over it is marked as
        /// covering changed work).
        #[arg(long, conflicts_with = "value")]
        clear: bool,
    },
    /// Set a header metadata value (key or label, e.g. release-manager).
    Meta {
        run: String,
        /// The header key or label (`release-manager`, `Cutover Date`).
        key: String,
        /// The value.
        #[arg(allow_hyphen_values = true)]
        value: String,
        #[command(flatten)]
        by: By,
    },
    /// Add a note to the run, or to one of its items.
    Note {
        run: String,
        /// The note.
        #[arg(allow_hyphen_values = true)]
        text: String,
        #[command(flatten)]
        by: By,
        /// The item it is about.
        #[arg(long, value_name = "ITEM")]
        item: Option<String>,
    },
    /// Record a sign-off: a sign-off id, or a section/phase holding exactly one. Refused while
    /// its items are unchecked or its fields empty, unless --override gives a reason; refused
    /// (exit 4, rule signer-not-checker) when you checked its items or ran their steps, unless
    /// --solo --reason. `--revoke REASON` withdraws a recorded one (recorded; the slot may be
    /// signed again).
    Signoff {
        run: String,
        /// The sign-off id (`pre-flight-gates`), or a section or phase holding exactly one.
        #[arg(value_name = "SIGNOFF")]
        section: String,
        #[command(flatten)]
        by: By,
        /// Sign off although items are unchecked or fields empty, for this reason (recorded).
        #[arg(long = "override", value_name = "REASON")]
        override_reason: Option<String>,
        #[command(flatten)]
        solo: Solo,
        /// Revoke the recorded sign-off instead, for this reason (recorded as `signoff_revoked`).
        #[arg(long, value_name = "REASON", conflicts_with = "override_reason")]
        revoke: Option<String>,
    },
    /// Record the GO / NO-GO decision. A GO over an unchecked critical criterion needs
    /// --override REASON; a NO-GO never does. Refused (exit 4, rule approver-not-executor) when
    /// you ran a step or checked a criterion it rests on, unless --solo --reason. With `run people
    /// approvers N`, GO takes N distinct people (each runs this); one NO-GO ends the vote. The
    /// decision records the run's head and evidence; a later change to it makes the decision
    /// stale, and it can then be made again. `--revoke REASON` withdraws the recorded decision
    /// (recorded; a decision may then be made again).
    Decide {
        run: String,
        /// `go` or `no-go` (any case: `GO`, as runbooks write it).
        #[arg(value_parser = ["go", "no-go"], ignore_case = true, required_unless_present = "revoke")]
        decision: Option<String>,
        #[command(flatten)]
        by: By,
        /// Why (recorded with the decision).
        #[arg(long, value_name = "TEXT", required_unless_present = "revoke")]
        rationale: Option<String>,
        /// GO although critical criteria are unchecked, for this reason (recorded).
        #[arg(long = "override", value_name = "REASON")]
        override_reason: Option<String>,
        #[command(flatten)]
        solo: Solo,
        /// Revoke the recorded decision instead, for this reason (recorded as `decision_revoked`).
        #[arg(long, value_name = "REASON", conflicts_with_all = ["decision", "rationale", "override_reason"])]
        revoke: Option<String>,
    },
    /// Recompute the hash chain and check the run's keyed checkpoint (its head MACed with this
    /// store's key in the OS keyring); exit 5 naming the first altered, missing or reordered
    /// event, or a checkpoint that does not match. Says whether the run is keyed, and since when.
    Verify {
        run: String,
        /// Also exit 5 unless the keyed checkpoint was checked here and covers the whole log
        /// (not unkeyed, not behind, not made with a key this machine lacks).
        #[arg(long)]
        require_keyed: bool,
    },
    /// The run's event log.
    Events { run: String },
    /// Copy a run of this store, chain intact, to another store (a shared Postgres store:
    /// `postgres://user@host/db`, its password from the OS keyring); both sides verify.
    Push {
        run: String,
        /// Where to: `postgres://…` or a store file.
        #[arg(long, value_name = "STORE")]
        to: String,
    },
    /// Copy a run from another store (a shared Postgres store, for offline review) into this one
    /// (--store, created if missing), chain intact; both sides verify.
    Pull {
        run: String,
        /// Where from: `postgres://…` or a store file.
        #[arg(long, value_name = "STORE")]
        from: String,
    },
    /// What a step printed, as its latest run recorded it (redacted, capped): stdout, stderr, an
    /// HTTP body.
    Output {
        run: String,
        /// The step id (`runbook inspect` lists them).
        step: String,
        /// Only this stream, its text alone (for scripts).
        #[arg(long, value_parser = ["stdout", "stderr", "body"])]
        stream: Option<String>,
    },
}

/// The commands that run steps: concurrently, each writing its own events.
#[derive(Debug, Subcommand)]
pub enum StepCmd {
    /// Run one step's probe; its result, output and captured fields become events. Exit 8 if it fails.
    Step {
        run: String,
        step: String,
        #[command(flatten)]
        opts: step_cmd::StepOpts,
    },
    /// Run a section's automatable steps (in parallel, bounded). Exit 8 if any fails.
    Section {
        run: String,
        /// The section id (`1`, `pre-flight`; `runbook inspect` lists them).
        section: String,
        #[command(flatten)]
        opts: step_cmd::StepOpts,
        #[command(flatten)]
        at_once: step_cmd::Concurrency,
        /// Show what would run (resolved URLs and hosts, the secrets read, by name) and run nothing,
        /// record nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Run every automatable step, phase by phase. Exit 8 if any fails.
    All {
        run: String,
        #[command(flatten)]
        opts: step_cmd::StepOpts,
        #[command(flatten)]
        at_once: step_cmd::Concurrency,
        /// Show what would run (resolved URLs and hosts, the secrets read, by name) and run nothing,
        /// record nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

/// A solo override of the four-eyes rules, for a one-person team.
#[derive(Debug, Clone, Args)]
pub struct Solo {
    /// Solo override: you did the work you sign off or decide on (a one-person team). Needs
    /// --reason; recorded, and shown as such in the run and the archive.
    #[arg(long, requires = "reason")]
    pub solo: bool,
    /// Why the solo override.
    #[arg(long, value_name = "TEXT", requires = "solo")]
    pub reason: Option<String>,
}

impl Solo {
    /// The reason, when the override is asked for.
    pub(crate) fn reason(self) -> Option<String> {
        self.reason.filter(|_| self.solo)
    }
}

/// `run new`'s arguments.
#[derive(Debug, Args)]
pub struct NewArgs {
    /// The runbook: a Markdown file, or `bundled:NAME` (`runbook list`).
    pub(crate) file: String,
    /// The release this cutover ships, e.g. v1.0.0.
    #[arg(long)]
    pub(crate) release: String,
    /// The target environment.
    #[arg(long, default_value = "sandbox")]
    pub(crate) env: String,
    #[command(flatten)]
    pub(crate) by: By,
}
