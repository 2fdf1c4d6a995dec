//! A strict reader of the Prometheus text format (0.0.4), enough to check the sandbox's `/metrics`.
//!
//! Every sample must belong to a family announced by `# TYPE` before it, labels must be well formed and
//! values must be numbers; histograms must have cumulative buckets ending in `+Inf` equal to `_count`.

use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Clone)]
pub struct Sample {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

#[derive(Debug, Default)]
pub struct Exposition {
    pub types: HashMap<String, String>,
    pub samples: Vec<Sample>,
}

impl Exposition {
    /// Sum of every sample named `name` whose labels include all of `filter`.
    pub fn sum(&self, name: &str, filter: &[(&str, &str)]) -> f64 {
        self.samples
            .iter()
            .filter(|s| s.name == name)
            .filter(|s| {
                filter
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
            })
            .map(|s| s.value)
            .sum()
    }

    pub fn has(&self, name: &str) -> bool {
        self.samples.iter().any(|s| s.name == name)
    }
}

fn parse_value(v: &str) -> Result<f64, String> {
    match v {
        "+Inf" => Ok(f64::INFINITY),
        "-Inf" => Ok(f64::NEG_INFINITY),
        "NaN" => Ok(f64::NAN),
        _ => v.parse().map_err(|_| format!("bad value {v:?}")),
    }
}

fn parse_labels(s: &str) -> Result<BTreeMap<String, String>, String> {
    let mut labels = BTreeMap::new();
    let mut chars = s.chars().peekable();
    loop {
        let name: String =
            std::iter::from_fn(|| chars.next_if(|c| c.is_alphanumeric() || *c == '_')).collect();
        if name.is_empty() {
            return Err(format!("empty label name in {{{s}}}"));
        }
        if chars.next() != Some('=') || chars.next() != Some('"') {
            return Err(format!("label {name} needs =\"value\" in {{{s}}}"));
        }
        let mut value = String::new();
        loop {
            match chars.next() {
                Some('\\') => match chars.next() {
                    Some('n') => value.push('\n'),
                    Some(c @ ('\\' | '"')) => value.push(c),
                    other => return Err(format!("bad escape {other:?} in {{{s}}}")),
                },
                Some('"') => break,
                Some(c) => value.push(c),
                None => return Err(format!("unterminated label value in {{{s}}}")),
            }
        }
        labels.insert(name, value);
        match chars.next() {
            None => return Ok(labels),
            Some(',') if chars.peek().is_none() => return Ok(labels),
            Some(',') => {}
            Some(c) => return Err(format!("unexpected {c:?} in {{{s}}}")),
        }
    }
}

fn family_of<'a>(name: &'a str, types: &HashMap<String, String>) -> Option<&'a str> {
    if types.contains_key(name) {
        return Some(name);
    }
    ["_bucket", "_sum", "_count"].iter().find_map(|suffix| {
        name.strip_suffix(suffix)
            .filter(|base| types.get(*base).map(String::as_str) == Some("histogram"))
    })
}

pub fn parse(text: &str) -> Result<Exposition, String> {
    let mut exp = Exposition::default();
    for (n, line) in text.lines().enumerate() {
        let at = |e: String| format!("line {}: {e}: {line:?}", n + 1);
        if line.trim().is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest
                .split_once(' ')
                .ok_or_else(|| at("TYPE without a kind".into()))?;
            if !["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind) {
                return Err(at(format!("unknown type {kind}")));
            }
            if exp.types.insert(name.to_owned(), kind.to_owned()).is_some() {
                return Err(at(format!("{name} typed twice")));
            }
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').ok_or_else(|| at("no value".into()))?;
        let value = parse_value(value).map_err(at)?;
        let (name, labels) = match series.split_once('{') {
            Some((name, rest)) => {
                let inner = rest
                    .strip_suffix('}')
                    .ok_or_else(|| at("unclosed labels".into()))?;
                (name, parse_labels(inner).map_err(at)?)
            }
            None => (series, BTreeMap::new()),
        };
        if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            return Err(at(format!("bad metric name {name:?}")));
        }
        if family_of(name, &exp.types).is_none() {
            return Err(at(format!("sample {name} before its # TYPE")));
        }
        exp.samples.push(Sample {
            name: name.to_owned(),
            labels,
            value,
        });
    }
    check_histograms(&exp)?;
    Ok(exp)
}

fn check_histograms(exp: &Exposition) -> Result<(), String> {
    for (family, kind) in &exp.types {
        if kind != "histogram" {
            continue;
        }
        let bucket_name = format!("{family}_bucket");
        let mut series: BTreeMap<BTreeMap<String, String>, Vec<(f64, f64)>> = BTreeMap::new();
        for s in exp.samples.iter().filter(|s| s.name == bucket_name) {
            let mut key = s.labels.clone();
            let le = key
                .remove("le")
                .ok_or_else(|| format!("{bucket_name} without le"))?;
            series.entry(key).or_default().push((parse_value(&le)?, s.value));
        }
        for (key, buckets) in series {
            let ordered = buckets.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1);
            if !ordered {
                return Err(format!("{family} {key:?}: buckets not cumulative: {buckets:?}"));
            }
            let Some(&(last_le, last)) = buckets.last() else {
                continue;
            };
            let count = exp
                .samples
                .iter()
                .find(|s| s.name == format!("{family}_count") && s.labels == key)
                .map(|s| s.value);
            if last_le != f64::INFINITY || Some(last) != count {
                return Err(format!("{family} {key:?}: +Inf bucket {last} vs count {count:?}"));
            }
        }
    }
    Ok(())
}
