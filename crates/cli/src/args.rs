//! Argument values clap checks itself, so a bad one is a usage error (exit 2) with clap's own
//! message: `--var NAME=VALUE`.

/// `--var NAME=VALUE`: a name (letters, digits, `_`, `-`, `.`) and `=`; the value may be empty.
pub fn var(s: &str) -> Result<String, String> {
    let Some((name, _)) = s.split_once('=') else {
        return Err(format!("`{s}` is not NAME=VALUE"));
    };
    let name = name.trim();
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        return Err(format!(
            "`{name}` is not a variable name (NAME=VALUE; letters, digits, `_`, `-` and `.`)"
        ));
    }
    Ok(s.to_string())
}
