//! What a probe kind is: the [`ProbeKind`] trait each kind's module implements, the `kinds!`
//! macro that turns the table of kinds in `probe/mod.rs` into [`Kind`](super::Kind), and what a
//! kind is handed to run ([`Ctx`]) and hands back ([`Observation`], [`Failure`]).
//!
//! A kind declares everything about itself in its own file: its name, the annotation keys it
//! reads besides the common ones, what its conditions may name, its implicit assertions, its
//! default deadline, how it reads its keys (and its runbook, when bound), what it shows as "what
//! ran", the secrets it uses and how it runs. What goes over every kind stays elsewhere: the
//! annotation syntax and its common keys (`annotation`), judging and provenance (`judge`),
//! deadlines and cancelling (`execute`).

use std::future::Future;
use std::time::Duration;

use tokio::sync::mpsc;

use super::annotation::{AnnotationError, Keys};
use super::cond::{Facts, Names};
use super::env::{Piece, ProbeEnv, Template};
use super::{output, FailureClass, ProbeEvent, Spec, NETWORK_DEADLINE};
use crate::runbook::{Runbook, Step};

/// One probe kind. Implemented by the kind's spec type (its own parameters, as read from the
/// annotation), and listed once in the `kinds!` table of `probe/mod.rs`.
pub(crate) trait ProbeKind: Sized {
    /// The name annotations use (`flightdeck: NAME`, `flightdeck=NAME`) and results carry.
    const NAME: &'static str;
    /// The annotation keys the kind reads besides the common ones (`expect`, `capture`,
    /// `deadline`, `connect-timeout`, `changes-target`). Reading an undeclared key is a bug that
    /// debug builds stop at.
    const KEYS: &'static [&'static str];
    /// What its conditions and captures may name (subjects, headers, JSON, streams).
    const CONDITIONS: Names<'static>;
    /// Assertions added to every step of the kind unless a written one looks at the same subject.
    const IMPLICIT: &'static [Implicit] = &[];
    /// A failed assertion on this subject is an HTTP status failure (`http-status`), not an
    /// assertion failure.
    const STATUS_SUBJECT: Option<&'static str> = None;
    /// The kind always changes the target (a toggle): production runs ask before it, whatever
    /// the annotation's `changes-target` says.
    const CHANGES_TARGET: bool = false;

    /// Reads the kind's own keys (and, for some kinds, the fence's code).
    fn from_keys(keys: &mut Keys, step: &Step) -> Result<Self, AnnotationError>;

    /// Reads what the kind needs from the rest of its runbook (the `slo` kind: the runbook's
    /// SLOs), when the spec is bound to it. Most kinds need nothing.
    fn bind(&mut self, _runbook: &Runbook, _step: &str) -> Result<(), AnnotationError> {
        Ok(())
    }

    /// The deadline when the step gives no `deadline:`.
    fn default_deadline(&self) -> Duration {
        NETWORK_DEADLINE
    }

    /// What the step does, with `${VAR}` filled and secrets left as references: shown to the
    /// user and hashed into provenance.
    fn describe(&self, env: &ProbeEnv) -> String;

    /// Every template the spec renders when it runs.
    fn templates(&self) -> impl Iterator<Item = &Template>;

    /// The names of the `${secret:NAME}` it uses (repeats allowed).
    fn secret_names(&self) -> Vec<String> {
        secrets_in(self.templates())
    }

    /// Runs it once. The caller holds the deadline and the cancel: dropping the future must stop
    /// the work (kill the process group, close the connection).
    fn run(&self, ctx: &Ctx<'_>) -> impl Future<Output = Observation> + Send;
}

/// An assertion a kind adds on its own (`exit == 0`), unless a written one mentions `unless`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Implicit {
    pub unless: &'static str,
    pub expr: &'static str,
}

/// The `${secret:NAME}` names in templates.
pub(crate) fn secrets_in<'a>(ts: impl IntoIterator<Item = &'a Template>) -> Vec<String> {
    ts.into_iter()
        .flat_map(|t| t.pieces.iter())
        .filter_map(|p| match p {
            Piece::Secret(s) => Some(s.clone()),
            _ => None,
        })
        .collect()
}

/// Declares the kinds, one `Variant(module::SpecType)` line each. Makes the [`Kind`](super::Kind)
/// enum (serialized as `{"kind": NAME, ...the spec's fields}`), [`KINDS`](super::KINDS) (the
/// names annotations accept), and `Kind`'s methods, each dispatching to the kind's
/// [`ProbeKind`]. Serde tags a variant with its name in kebab-case; the build fails when that is
/// not the kind's `NAME`, so stored and printed specs keep their shape.
macro_rules! kinds {
    ($($variant:ident($spec:ty)),+ $(,)?) => {
        /// What a step runs, with the kind's own parameters.
        #[derive(Debug, Clone, serde::Serialize)]
        #[serde(tag = "kind", rename_all = "kebab-case")]
        pub enum Kind {
            $($variant($spec),)+
        }

        $(const _: () = assert!(
            $crate::probe::kind::is_kebab_case_of(
                <$spec as $crate::probe::kind::ProbeKind>::NAME,
                stringify!($variant),
            ),
            concat!("Kind::", stringify!($variant), " would be serialized under another name than its NAME"),
        );)+

        /// Every kind an annotation may name; `manual` (a step done by hand) last.
        pub const KINDS: &[&str] = &[$(<$spec as $crate::probe::kind::ProbeKind>::NAME,)+ "manual"];

        impl Kind {
            /// Reads the kind called `name` from its keys; `None` when no kind is called that.
            pub(crate) fn from_keys(
                name: &str,
                keys: &mut $crate::probe::annotation::Keys,
                step: &$crate::runbook::Step,
            ) -> Option<Result<Kind, $crate::probe::AnnotationError>> {
                use $crate::probe::kind::ProbeKind;
                $(if name == <$spec>::NAME {
                    return Some(<$spec>::from_keys(keys, step).map(Kind::$variant));
                })+
                None
            }

            pub fn name(&self) -> &'static str {
                use $crate::probe::kind::ProbeKind;
                match self {
                    $(Kind::$variant(_) => <$spec>::NAME,)+
                }
            }

            /// What the step does, with `${VAR}` filled and secrets left as references: shown to
            /// the user and hashed into provenance.
            pub fn describe(&self, env: &$crate::probe::ProbeEnv) -> String {
                use $crate::probe::kind::ProbeKind;
                match self {
                    $(Kind::$variant(s) => s.describe(env),)+
                }
            }

            pub(crate) fn conditions(&self) -> $crate::probe::cond::Names<'static> {
                use $crate::probe::kind::ProbeKind;
                match self {
                    $(Kind::$variant(_) => <$spec>::CONDITIONS,)+
                }
            }

            pub(crate) fn implicit(&self) -> &'static [$crate::probe::kind::Implicit] {
                use $crate::probe::kind::ProbeKind;
                match self {
                    $(Kind::$variant(_) => <$spec>::IMPLICIT,)+
                }
            }

            pub(crate) fn status_subject(&self) -> Option<&'static str> {
                use $crate::probe::kind::ProbeKind;
                match self {
                    $(Kind::$variant(_) => <$spec>::STATUS_SUBJECT,)+
                }
            }

            pub(crate) fn changes_target(&self) -> bool {
                use $crate::probe::kind::ProbeKind;
                match self {
                    $(Kind::$variant(_) => <$spec>::CHANGES_TARGET,)+
                }
            }

            pub(crate) fn default_deadline(&self) -> std::time::Duration {
                use $crate::probe::kind::ProbeKind;
                match self {
                    $(Kind::$variant(s) => s.default_deadline(),)+
                }
            }

            pub(crate) fn bind(&mut self, runbook: &$crate::runbook::Runbook, step: &str) -> Result<(), $crate::probe::AnnotationError> {
                use $crate::probe::kind::ProbeKind;
                match self {
                    $(Kind::$variant(s) => s.bind(runbook, step),)+
                }
            }

            pub(crate) fn secret_names(&self) -> Vec<String> {
                use $crate::probe::kind::ProbeKind;
                match self {
                    $(Kind::$variant(s) => s.secret_names(),)+
                }
            }

            pub(crate) async fn run(&self, ctx: &$crate::probe::kind::Ctx<'_>) -> $crate::probe::kind::Observation {
                use $crate::probe::kind::ProbeKind;
                match self {
                    $(Kind::$variant(s) => s.run(ctx).await,)+
                }
            }

            /// Whether the kind called `name` declares `key` among its own keys.
            pub(crate) fn declares_key(name: &str, key: &str) -> bool {
                use $crate::probe::kind::ProbeKind;
                $(if name == <$spec>::NAME {
                    return <$spec>::KEYS.contains(&key);
                })+
                false
            }
        }
    };
}
pub(crate) use kinds;

/// Is `name` the kebab-case form of the identifier `ident` (`git-tag` of `GitTag`), as serde's
/// `rename_all = "kebab-case"` spells it?
pub(crate) const fn is_kebab_case_of(name: &str, ident: &str) -> bool {
    let (name, ident) = (name.as_bytes(), ident.as_bytes());
    let (mut i, mut n) = (0, 0);
    while i < ident.len() {
        let c = ident[i];
        if c.is_ascii_uppercase() && i > 0 {
            if n >= name.len() || name[n] != b'-' {
                return false;
            }
            n += 1;
        }
        if n >= name.len() || name[n] != c.to_ascii_lowercase() {
            return false;
        }
        i += 1;
        n += 1;
    }
    n == name.len()
}

/// A failure that ended a probe before it could be judged.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    pub class: FailureClass,
    pub message: String,
}

impl Failure {
    pub fn new(class: FailureClass, message: impl Into<String>) -> Self {
        Failure {
            class,
            message: message.into(),
        }
    }
}

/// What a kind observed.
#[derive(Debug, Default)]
pub(crate) struct Observation {
    pub facts: Facts,
    pub exit_code: Option<i32>,
    pub http_status: Option<u16>,
    pub failure: Option<Failure>,
}

impl Observation {
    pub fn failed(f: Failure) -> Self {
        Observation {
            failure: Some(f),
            ..Observation::default()
        }
    }
}

/// What a kind is handed to run.
pub(crate) struct Ctx<'a> {
    pub spec: &'a Spec,
    pub env: &'a ProbeEnv,
    pub streams: &'a output::Streams,
    pub events: &'a mpsc::Sender<ProbeEvent>,
}

impl Ctx<'_> {
    pub async fn progress(&self, done: u64, total: Option<u64>, message: String) {
        let _ = self
            .events
            .send(ProbeEvent::Progress {
                done,
                total,
                message,
                backup: None,
            })
            .await;
    }

    /// A backup's or a drill's progress: its line as the message, the bytes as done, and the
    /// typed progress itself (with the bytes expected, when known).
    pub async fn backup_progress(&self, p: crate::backup::Progress) {
        let _ = self
            .events
            .send(ProbeEvent::Progress {
                done: p.bytes,
                total: None,
                message: p.line(),
                backup: Some(p),
            })
            .await;
    }
}

#[cfg(test)]
mod tests {
    use super::is_kebab_case_of;

    #[test]
    fn kebab_case_matches_serde_spelling_of_variant_names() {
        // What serde's `rename_all = "kebab-case"` gives for each shape of variant name.
        for (name, ident) in [
            ("shell", "Shell"),
            ("http-burst", "HttpBurst"),
            ("git-tag", "GitTag"),
        ] {
            assert!(is_kebab_case_of(name, ident), "{name} is {ident} in kebab-case");
        }
        for (name, ident) in [
            ("httpburst", "HttpBurst"),
            ("git-tags", "GitTag"),
            ("gi", "GitTag"),
            ("", "Sql"),
        ] {
            assert!(
                !is_kebab_case_of(name, ident),
                "{name} is not {ident} in kebab-case"
            );
        }
    }
}
