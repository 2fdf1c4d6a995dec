//! JSON paths (`json(.a.b[0]."key with spaces")`): the segments, their parser, and walking a
//! document along them. Which document a probe offers is the kind's business (`Facts::json`).

/// One step of a JSON path: `.key`, `."key with spaces"`, `[0]`.
#[derive(Debug, Clone, PartialEq)]
pub enum PathSeg {
    Key(String),
    Index(usize),
}

/// `.a.b[0]."key with spaces"`; `.` alone is the whole document.
pub fn parse_path(src: &str) -> Result<Vec<PathSeg>, String> {
    let s: Vec<char> = src.trim().chars().collect();
    if s.first() != Some(&'.') && s.first() != Some(&'[') {
        return Err(format!(
            "a JSON path starts with `.`, e.g. json(.status): `{src}`"
        ));
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            '.' => {
                i += 1;
                if i == s.len() && out.is_empty() {
                    break;
                }
                match s.get(i) {
                    Some('"') => {
                        i += 1;
                        let mut key = String::new();
                        while i < s.len() && s[i] != '"' {
                            if s[i] == '\\' && i + 1 < s.len() {
                                i += 1;
                            }
                            key.push(s[i]);
                            i += 1;
                        }
                        if i == s.len() {
                            return Err(format!("unclosed quote in JSON path `{src}`"));
                        }
                        i += 1;
                        out.push(PathSeg::Key(key));
                    }
                    Some('[') => {}
                    _ => {
                        let start = i;
                        while i < s.len() && !matches!(s[i], '.' | '[') {
                            i += 1;
                        }
                        if start == i {
                            return Err(format!("empty key in JSON path `{src}`"));
                        }
                        out.push(PathSeg::Key(s[start..i].iter().collect()));
                    }
                }
            }
            '[' => {
                let start = i + 1;
                let Some(len) = s[start..].iter().position(|c| *c == ']') else {
                    return Err(format!("unclosed `[` in JSON path `{src}`"));
                };
                let idx: String = s[start..start + len].iter().collect();
                let n = idx
                    .trim()
                    .parse()
                    .map_err(|_| format!("`[{idx}]` is not an index in JSON path `{src}`"))?;
                out.push(PathSeg::Index(n));
                i = start + len + 1;
            }
            c => return Err(format!("unexpected `{c}` in JSON path `{src}`")),
        }
    }
    Ok(out)
}

/// The value at `path` in `doc`, if the path leads anywhere.
pub(super) fn walk<'a>(doc: &'a serde_json::Value, path: &[PathSeg]) -> Option<&'a serde_json::Value> {
    let mut v = doc;
    for seg in path {
        v = match seg {
            PathSeg::Key(k) => v.get(k.as_str())?,
            PathSeg::Index(i) => v.get(*i)?,
        };
    }
    Some(v)
}
