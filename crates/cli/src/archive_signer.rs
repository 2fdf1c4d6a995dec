//! Who signs an archive, said before signing: `archive export` names the kept signing identity
//! (and warns that `--signer-name` / `--signer-org` do not change it, with how to make a new one),
//! or the identity it is about to make, and refuses to make one without a name. `archive
//! new-identity` makes a new one in place of the kept one. Signing itself is `flightdeck_archive`'s.

use flightdeck_archive::identity::{self, IdentityStore};
use flightdeck_archive::{Identity, KeyringIdentityStore, SignerChoice, Subject};
use flightdeck_engine::run;
use flightdeck_engine::secrets::Keyring;
use flightdeck_engine::store::{sha256_hex, Store};
use time::OffsetDateTime;

use crate::render::out;
use crate::Ctx;

/// The signer `archive export` will use, said on stderr before signing: the kept identity (the
/// signer options then change nothing, and a warning says so), or a new one for `--signer-name`
/// or the run's Release Manager. Without either there is no name to make one with: refused,
/// saying how to give one. The choice handed on to the export names the signer explicitly.
pub fn who_signs(
    ctx: &Ctx,
    store: &Store,
    run_ref: &str,
    ids: &KeyringIdentityStore,
    choice: &SignerChoice,
) -> anyhow::Result<SignerChoice> {
    if let Some(pair) = ids.load()? {
        let kept = Identity::from_pem(&pair)?;
        let fingerprint = sha256_hex(kept.certificate_der());
        if choice.name.is_some() || choice.organisation.is_some() {
            warn(&format!(
                "warning: --signer-name / --signer-org are used only when a signing identity is made, and this \
                 machine has one: the archive is signed as {} (certificate sha256 {fingerprint}); to sign under \
                 another name make a new identity (`flightdeck archive new-identity --signer-name NAME \
                 [--signer-org ORG]`, and have reviewers trust its certificate) or import your organisation's \
                 (`flightdeck archive import-identity --key KEY.pem --cert CERT.pem`)",
                kept.subject()
            ));
        }
        say(
            ctx,
            &format!("signing as {} (certificate sha256 {fingerprint})", kept.subject()),
        );
        return Ok(choice.clone());
    }
    let loaded = run::load(store, run_ref)?;
    let given = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| is_a_name(v))
            .map(str::to_string)
    };
    let manager = loaded.state.meta("release-manager").and_then(|m| given(&m.value));
    let Some(name) = given(&choice.name).or(manager) else {
        let short = store.short_id(&loaded.record.id);
        return Err(run::Error::Invalid(format!(
            "no name for this machine's signing identity: it has none yet, and run {short} has no Release \
             Manager to name it after; give one with `--signer-name NAME` (and `--signer-org ORG`), or set the \
             run's (`flightdeck run meta {short} release-manager NAME`)"
        ))
        .into());
    };
    let organisation = given(&choice.organisation);
    let org = organisation
        .as_deref()
        .map(|o| format!(", O={o}"))
        .unwrap_or_default();
    say(
        ctx,
        &format!(
            "no signing identity on this machine yet: making one for CN={name}{org} (kept in the OS keyring)"
        ),
    );
    Ok(SignerChoice {
        name: Some(name),
        organisation,
    })
}

/// A name a certificate can be made for: not empty, not a blank's underscores, not `unknown`.
fn is_a_name(v: &str) -> bool {
    !v.is_empty() && !v.chars().all(|c| c == '_') && !v.eq_ignore_ascii_case("unknown")
}

/// `archive new-identity`: a new self-signed key and certificate in place of the kept ones.
pub fn new_identity(ctx: &Ctx, name: &str, organisation: Option<&str>) -> anyhow::Result<()> {
    let name = name.trim();
    if !is_a_name(name) {
        return Err(run::Error::Invalid(format!("--signer-name `{name}` is not a name")).into());
    }
    let ids = KeyringIdentityStore::new(Keyring::open()?);
    let replaced = match ids.load()? {
        Some(pair) => Some(sha256_hex(Identity::from_pem(&pair)?.certificate_der())),
        None => None,
    };
    let subject = Subject {
        name: name.to_string(),
        organisation: organisation
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .map(str::to_string),
    };
    let (made, pair) = Identity::self_signed(&subject, OffsetDateTime::now_utc())?;
    identity::import(&ids as &dyn IdentityStore, pair)?;
    let fingerprint = sha256_hex(made.certificate_der());
    if ctx.json {
        return crate::render::json(&serde_json::json!({
            "signer": made.subject(), "signer_cert_sha256": fingerprint, "replaced_cert_sha256": replaced,
        }));
    }
    let mut text = String::new();
    out!(text, "archives are now signed as {}", made.subject());
    out!(text, "signer certificate sha256: {fingerprint}");
    if let Some(old) = replaced {
        out!(
            text,
            "it replaces the identity with certificate sha256 {old}; archives signed with that one keep it"
        );
    }
    out!(text, "{}", flightdeck_archive::trust::how_to_trust(&fingerprint));
    crate::render::print(&text)
}

/// A line on stderr (escaped), so stdout stays the result alone.
fn warn(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{}", crate::render::esc(line));
}

/// Who signs, on stderr for people; nothing with `--json`.
fn say(ctx: &Ctx, line: &str) {
    if !ctx.json {
        warn(line);
    }
}
