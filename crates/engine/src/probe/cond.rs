//! The typed condition language of annotations: assertions (`status == 200`,
//! `count(status == 429) >= 1`, `passes / total > 0.95`) and the sources captures read from.
//!
//! Owns the parser (source text → [`Cond`] / [`Expr`]), name checking against what a probe kind
//! knows, and evaluation over the [`Facts`] a probe gathered. Which facts exist per kind is the
//! kinds' business (`probe::kinds`); which line an error is on is `annotation`'s.

use std::collections::BTreeMap;
use std::fmt;

use regex::Regex;

/// A value a condition compares: what a probe observed, a literal, or a capture.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Not observed (no such header, a JSON path that leads nowhere, a failed regex).
    Missing,
    Bool(bool),
    Num(f64),
    Str(String),
}

impl Value {
    /// A JSON value as a condition sees it: objects and arrays become their compact JSON text.
    pub fn from_json(v: &serde_json::Value) -> Value {
        match v {
            serde_json::Value::Null => Value::Missing,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => n.as_f64().map_or(Value::Missing, Value::Num),
            serde_json::Value::String(s) => Value::Str(s.clone()),
            other => Value::Str(other.to_string()),
        }
    }

    /// The number this value stands for: numbers, and strings that read as one (`" 42 "`, `97.5%`).
    pub fn as_num(&self) -> Option<f64> {
        match self {
            Value::Num(n) => Some(*n),
            Value::Str(s) => {
                let t = s.trim();
                let t = t.strip_suffix('%').unwrap_or(t).trim_end();
                t.parse().ok()
            }
            Value::Bool(_) | Value::Missing => None,
        }
    }

    /// Text for a capture or an assertion's actual value.
    pub fn render(&self) -> String {
        match self {
            Value::Missing => "missing".to_owned(),
            Value::Bool(b) => b.to_string(),
            Value::Num(n) => format_num(*n),
            Value::Str(s) => s.clone(),
        }
    }

    fn is_present(&self) -> bool {
        !matches!(self, Value::Missing)
    }
}

/// Integers without a fraction, others with at most 6 decimals (`0.30000000000000004` → `0.3`).
pub fn format_num(n: f64) -> String {
    if n.is_finite() && n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else if n.is_finite() {
        let s = format!("{n:.6}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        n.to_string()
    }
}

/// One step of a JSON path: `.key`, `."key with spaces"`, `[0]`.
#[derive(Debug, Clone, PartialEq)]
pub enum PathSeg {
    Key(String),
    Index(usize),
}

/// A value-producing expression.
#[derive(Debug, Clone)]
pub enum Expr {
    Num(f64),
    Bool(bool),
    Str(String),
    /// Something the probe observed: `exit`, `status`, `latency`, `rows`, `value`, `stdout`, ...
    Subject(String),
    /// A capture of this step, by the name written before `<-`.
    Capture(String),
    Header(String),
    Json(Vec<PathSeg>),
    /// How many of a burst's responses satisfy the condition.
    Count(Box<Cond>),
    Neg(Box<Expr>),
    Arith(Box<Expr>, Arith, Box<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arith {
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// A condition: true or false over the facts.
#[derive(Debug, Clone)]
pub enum Cond {
    Cmp(Expr, CmpOp, Expr),
    /// `status in 200..299` (both ends included).
    In(Expr, f64, f64),
    Exists(Expr),
    Contains(Expr, String),
    Matches(Expr, Regex),
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
    Not(Box<Cond>),
    /// Every response of a burst satisfies the condition (and there was at least one).
    All(Box<Cond>),
    /// Some response of a burst satisfies the condition.
    Any(Box<Cond>),
}

/// Where a capture's value comes from.
#[derive(Debug, Clone)]
pub enum Source {
    /// `regex /pattern/`: group 1 (or the whole match) of the first match in a stream.
    Regex {
        stream: String,
        re: Regex,
    },
    Expr(Expr),
    /// `verdict`: the step's own outcome, as a choice field's option.
    Verdict,
}

/// What a probe observed, as conditions see it.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// Named observations (`exit`, `status`, `latency`, `stdout`, `rows`, ...).
    pub scalars: BTreeMap<&'static str, Value>,
    /// Response headers, names lowercased, in arrival order.
    pub headers: Vec<(String, String)>,
    /// The JSON document `json(...)` looks into (a response body, SQL rows, a Prometheus result).
    pub json: Option<serde_json::Value>,
    /// The responses of a burst, each with its own facts; `count`, `all` and `any` range over them.
    pub items: Vec<Facts>,
    /// Captures made so far, by name.
    pub captures: BTreeMap<String, Value>,
}

/// A condition's verdict and the value it looked at.
#[derive(Debug, Clone, PartialEq)]
pub struct Judged {
    pub pass: bool,
    pub actual: String,
}

impl Facts {
    pub fn scalar(&self, name: &str) -> Value {
        self.scalars.get(name).cloned().unwrap_or(Value::Missing)
    }

    pub fn header(&self, name: &str) -> Value {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map_or(Value::Missing, |(_, v)| Value::Str(v.clone()))
    }

    pub fn json_at(&self, path: &[PathSeg]) -> Value {
        let Some(mut v) = self.json.as_ref() else {
            return Value::Missing;
        };
        for seg in path {
            let next = match seg {
                PathSeg::Key(k) => v.get(k.as_str()),
                PathSeg::Index(i) => v.get(*i),
            };
            match next {
                Some(n) => v = n,
                None => return Value::Missing,
            }
        }
        Value::from_json(v)
    }

    pub fn eval(&self, e: &Expr) -> Value {
        match e {
            Expr::Num(n) => Value::Num(*n),
            Expr::Bool(b) => Value::Bool(*b),
            Expr::Str(s) => Value::Str(s.clone()),
            Expr::Subject(s) => self.scalar(s),
            Expr::Capture(c) => self.captures.get(c).cloned().unwrap_or(Value::Missing),
            Expr::Header(h) => self.header(h),
            Expr::Json(p) => self.json_at(p),
            Expr::Count(c) => Value::Num(self.items.iter().filter(|i| i.judge(c).pass).count() as f64),
            Expr::Neg(x) => match self.eval(x).as_num() {
                Some(n) => Value::Num(-n),
                None => Value::Missing,
            },
            Expr::Arith(a, op, b) => {
                let (Some(a), Some(b)) = (self.eval(a).as_num(), self.eval(b).as_num()) else {
                    return Value::Missing;
                };
                let r = match op {
                    Arith::Add => a + b,
                    Arith::Sub => a - b,
                    Arith::Mul => a * b,
                    Arith::Div if b == 0.0 => return Value::Missing,
                    Arith::Div => a / b,
                };
                Value::Num(r)
            }
        }
    }

    /// Judges a condition; `actual` is the value on its left (both sides' for `and` / `or`).
    pub fn judge(&self, c: &Cond) -> Judged {
        match c {
            Cond::Cmp(a, op, b) => {
                let (va, vb) = (self.eval(a), self.eval(b));
                Judged {
                    pass: compare(&va, *op, &vb),
                    actual: va.render(),
                }
            }
            Cond::In(a, lo, hi) => {
                let v = self.eval(a);
                Judged {
                    pass: v.as_num().is_some_and(|n| n >= *lo && n <= *hi),
                    actual: v.render(),
                }
            }
            Cond::Exists(a) => {
                let v = self.eval(a);
                Judged {
                    pass: v.is_present(),
                    actual: v.render(),
                }
            }
            Cond::Contains(a, needle) => {
                let v = self.eval(a);
                let pass = match &v {
                    Value::Str(s) => s.contains(needle.as_str()),
                    Value::Missing => false,
                    other => other.render().contains(needle.as_str()),
                };
                Judged {
                    pass,
                    actual: excerpt(&v.render()),
                }
            }
            Cond::Matches(a, re) => {
                let v = self.eval(a);
                Judged {
                    pass: v.is_present() && re.is_match(&v.render()),
                    actual: excerpt(&v.render()),
                }
            }
            Cond::And(a, b) => {
                let (ja, jb) = (self.judge(a), self.judge(b));
                Judged {
                    pass: ja.pass && jb.pass,
                    actual: format!("{}; {}", ja.actual, jb.actual),
                }
            }
            Cond::Or(a, b) => {
                let (ja, jb) = (self.judge(a), self.judge(b));
                Judged {
                    pass: ja.pass || jb.pass,
                    actual: format!("{}; {}", ja.actual, jb.actual),
                }
            }
            Cond::Not(a) => {
                let j = self.judge(a);
                Judged {
                    pass: !j.pass,
                    actual: j.actual,
                }
            }
            Cond::All(a) | Cond::Any(a) => {
                let n = self.items.iter().filter(|i| i.judge(a).pass).count();
                let total = self.items.len();
                let pass = match c {
                    Cond::All(_) => total > 0 && n == total,
                    _ => n > 0,
                };
                Judged {
                    pass,
                    actual: format!("{n} of {total}"),
                }
            }
        }
    }
}

/// Long actual values (a whole body) are cut for display; the full text is in the excerpt.
fn excerpt(s: &str) -> String {
    const MAX: usize = 200;
    if s.len() <= MAX {
        return s.to_owned();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

fn compare(a: &Value, op: CmpOp, b: &Value) -> bool {
    if !a.is_present() || !b.is_present() {
        return false;
    }
    let ord = match (a, b) {
        (Value::Str(x), Value::Str(y)) if a.as_num().is_none() || b.as_num().is_none() => Some(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        // `true` against a number is 1; against text it is the word `true`.
        (Value::Bool(x), Value::Num(y)) => f64::from(u8::from(*x)).partial_cmp(y),
        (Value::Num(x), Value::Bool(y)) => x.partial_cmp(&f64::from(u8::from(*y))),
        (Value::Bool(_), Value::Str(_)) | (Value::Str(_), Value::Bool(_)) => {
            let norm = |v: &Value| v.render().trim().to_ascii_lowercase();
            Some(norm(a).cmp(&norm(b)))
        }
        _ => match (a.as_num(), b.as_num()) {
            (Some(x), Some(y)) => x.partial_cmp(&y),
            // A number against text that is no number: only "not equal" holds.
            _ => return op == CmpOp::Ne,
        },
    };
    let Some(ord) = ord else { return false };
    use std::cmp::Ordering::*;
    match op {
        CmpOp::Eq => ord == Equal,
        CmpOp::Ne => ord != Equal,
        CmpOp::Lt => ord == Less,
        CmpOp::Le => ord != Greater,
        CmpOp::Gt => ord == Greater,
        CmpOp::Ge => ord != Less,
    }
}

/// What a kind lets conditions name; `parse_*` reject anything else with a message that lists it.
#[derive(Debug, Clone, Copy)]
pub struct Names<'a> {
    pub kind: &'a str,
    /// Subjects at the top level.
    pub subjects: &'a [&'a str],
    /// Subjects inside `count(...)`, `all(...)`, `any(...)`; empty when the kind has no items.
    pub item_subjects: &'a [&'a str],
    pub headers: bool,
    pub json: bool,
    /// Streams `regex /.../` captures may read.
    pub streams: &'a [&'a str],
    /// Capture names defined so far.
    pub captures: &'a [String],
}

/// A syntax or name error, with the column (0-based, in chars) where it was noticed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub column: usize,
    pub message: String,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (column {})", self.message, self.column + 1)
    }
}

/// Parses a whole condition (`expect:` value).
pub fn parse_cond(src: &str, names: Names<'_>) -> Result<Cond, SyntaxError> {
    let mut p = Parser::new(src, names);
    let c = p.cond()?;
    p.end()?;
    Ok(c)
}

/// Parses a capture source (what follows `<-`).
pub fn parse_source(src: &str, names: Names<'_>) -> Result<Source, SyntaxError> {
    let mut p = Parser::new(src, names);
    p.ws();
    if p.keyword("verdict") {
        p.end()?;
        return Ok(Source::Verdict);
    }
    if p.keyword("regex") {
        let default = names.streams.first().copied().unwrap_or("stdout");
        let stream = if p.eat("(") {
            let at = p.pos;
            let s = p.ident().ok_or_else(|| p.err_at(at, "expected a stream name"))?;
            if !names.streams.contains(&s.as_str()) {
                return Err(p.err_at(
                    at,
                    &format!(
                        "{} steps have no stream `{s}` for regex (they have: {})",
                        names.kind,
                        names.streams.join(", ")
                    ),
                ));
            }
            p.expect(")")?;
            s
        } else {
            if names.streams.is_empty() {
                return Err(p.err(&format!("{} steps have no output for regex", names.kind)));
            }
            default.to_owned()
        };
        p.ws();
        let re = p.regex()?;
        p.end()?;
        return Ok(Source::Regex { stream, re });
    }
    let e = p.expr()?;
    p.end()?;
    Ok(Source::Expr(e))
}

/// `500ms`, `5s`, `2m`, `1h`, or a bare number of seconds.
pub fn parse_duration(src: &str) -> Option<std::time::Duration> {
    let s = src.trim();
    let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let (num, unit) = if split == 0 {
        return None;
    } else {
        s.split_at(split)
    };
    let n: f64 = num.parse().ok()?;
    let ms = n * unit_ms(unit.trim())?;
    (ms.is_finite() && ms >= 0.0).then(|| std::time::Duration::from_secs_f64(ms / 1000.0))
}

fn unit_ms(unit: &str) -> Option<f64> {
    Some(match unit {
        "ms" => 1.0,
        "s" | "sec" => 1000.0,
        "m" | "min" => 60_000.0,
        "h" => 3_600_000.0,
        _ => return None,
    })
}

const KEYWORDS: &[&str] = &[
    "and", "or", "not", "in", "exists", "contains", "matches", "count", "all", "any", "header", "json",
];

struct Parser<'n> {
    s: Vec<char>,
    pos: usize,
    names: Names<'n>,
    /// Inside `count`/`all`/`any`: names are a response's.
    in_items: bool,
}

impl<'n> Parser<'n> {
    fn new(src: &str, names: Names<'n>) -> Self {
        Parser {
            s: src.chars().collect(),
            pos: 0,
            names,
            in_items: false,
        }
    }

    fn err(&self, msg: &str) -> SyntaxError {
        self.err_at(self.pos, msg)
    }

    fn err_at(&self, at: usize, msg: &str) -> SyntaxError {
        SyntaxError {
            column: at,
            message: msg.to_owned(),
        }
    }

    fn ws(&mut self) {
        while self.s.get(self.pos).is_some_and(|c| c.is_whitespace()) {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<char> {
        self.s.get(self.pos).copied()
    }

    fn rest_starts(&self, t: &str) -> bool {
        (self.pos..)
            .zip(t.chars())
            .all(|(i, c)| self.s.get(i) == Some(&c))
    }

    /// Eats `t` (after whitespace) if it is next.
    fn eat(&mut self, t: &str) -> bool {
        self.ws();
        if self.rest_starts(t) {
            self.pos += t.chars().count();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, t: &str) -> Result<(), SyntaxError> {
        if self.eat(t) {
            Ok(())
        } else {
            Err(self.err(&format!("expected `{t}`")))
        }
    }

    /// Eats the word `w` if it is next as a whole word.
    fn keyword(&mut self, w: &str) -> bool {
        self.ws();
        let save = self.pos;
        if self.rest_starts(w) {
            self.pos += w.chars().count();
            if !self.peek().is_some_and(|c| c.is_alphanumeric() || c == '_') {
                return true;
            }
        }
        self.pos = save;
        false
    }

    fn end(&mut self) -> Result<(), SyntaxError> {
        self.ws();
        match self.peek() {
            None => Ok(()),
            Some(c) => Err(self.err(&format!("unexpected `{c}`"))),
        }
    }

    fn ident(&mut self) -> Option<String> {
        self.ws();
        let start = self.pos;
        if !self.peek().is_some_and(|c| c.is_ascii_alphabetic() || c == '_') {
            return None;
        }
        while self.peek().is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
            self.pos += 1;
        }
        Some(self.s[start..self.pos].iter().collect())
    }

    fn cond(&mut self) -> Result<Cond, SyntaxError> {
        let mut left = self.cond_and()?;
        while self.keyword("or") {
            let right = self.cond_and()?;
            left = Cond::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn cond_and(&mut self) -> Result<Cond, SyntaxError> {
        let mut left = self.cond_not()?;
        while self.keyword("and") {
            let right = self.cond_not()?;
            left = Cond::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn cond_not(&mut self) -> Result<Cond, SyntaxError> {
        if self.keyword("not") {
            return Ok(Cond::Not(Box::new(self.cond_not()?)));
        }
        self.cond_atom()
    }

    fn cond_atom(&mut self) -> Result<Cond, SyntaxError> {
        self.ws();
        let at = self.pos;
        for (w, all) in [("all", true), ("any", false)] {
            if self.keyword(w) {
                let inner = self.items_cond(at, w)?;
                return Ok(if all {
                    Cond::All(Box::new(inner))
                } else {
                    Cond::Any(Box::new(inner))
                });
            }
        }
        // `( cond )`, unless what follows the parenthesis makes it an expression.
        if self.peek() == Some('(') {
            let save = self.pos;
            self.pos += 1;
            if let Ok(c) = self.cond() {
                if self.eat(")") && !self.continues_expr() {
                    return Ok(c);
                }
            }
            self.pos = save;
        }
        let left = self.expr()?;
        self.predicate(left)
    }

    fn continues_expr(&mut self) -> bool {
        self.ws();
        matches!(self.peek(), Some('<' | '>' | '=' | '!' | '+' | '-' | '*' | '/'))
            || ["in", "exists", "contains", "matches"].iter().any(|w| {
                let save = self.pos;
                let hit = self.keyword(w);
                self.pos = save;
                hit
            })
    }

    fn items_cond(&mut self, at: usize, what: &str) -> Result<Cond, SyntaxError> {
        if self.names.item_subjects.is_empty() || self.in_items {
            return Err(self.err_at(
                at,
                &format!(
                    "`{what}(...)` ranges over the responses of an http-burst; {} steps have none{}",
                    self.names.kind,
                    if self.in_items { " here" } else { "" }
                ),
            ));
        }
        self.expect("(")?;
        self.in_items = true;
        let inner = self.cond();
        self.in_items = false;
        let inner = inner?;
        self.expect(")")?;
        Ok(inner)
    }

    fn predicate(&mut self, left: Expr) -> Result<Cond, SyntaxError> {
        self.ws();
        for (t, op) in [
            ("==", CmpOp::Eq),
            ("!=", CmpOp::Ne),
            ("<=", CmpOp::Le),
            (">=", CmpOp::Ge),
            ("<", CmpOp::Lt),
            (">", CmpOp::Gt),
        ] {
            if self.eat(t) {
                let right = self.expr()?;
                return Ok(Cond::Cmp(left, op, right));
            }
        }
        if self.eat("=") {
            return Err(self.err("use `==` to compare"));
        }
        if self.keyword("in") {
            let lo = self.signed_number()?;
            self.expect("..")?;
            let hi = self.signed_number()?;
            if lo > hi {
                return Err(self.err("the range is empty: its start is above its end"));
            }
            return Ok(Cond::In(left, lo, hi));
        }
        if self.keyword("exists") {
            return Ok(Cond::Exists(left));
        }
        if self.keyword("not") {
            if self.keyword("exists") {
                return Ok(Cond::Not(Box::new(Cond::Exists(left))));
            }
            return Err(self.err("expected `exists` after `not`"));
        }
        if self.keyword("contains") {
            self.ws();
            let s = self.string()?;
            return Ok(Cond::Contains(left, s));
        }
        if self.keyword("matches") {
            self.ws();
            let re = self.regex()?;
            return Ok(Cond::Matches(left, re));
        }
        Err(self.err(
            "expected a comparison (== != < <= > >=), `in A..B`, `exists`, `contains \"...\"` or `matches /.../`",
        ))
    }

    fn signed_number(&mut self) -> Result<f64, SyntaxError> {
        self.ws();
        let neg = self.eat("-");
        self.ws();
        match self.number()? {
            Some(n) => Ok(if neg { -n } else { n }),
            None => Err(self.err("expected a number")),
        }
    }

    fn expr(&mut self) -> Result<Expr, SyntaxError> {
        let mut left = self.term()?;
        loop {
            self.ws();
            let op = match self.peek() {
                Some('+') => Arith::Add,
                Some('-') => Arith::Sub,
                _ => return Ok(left),
            };
            self.pos += 1;
            let right = self.term()?;
            left = Expr::Arith(Box::new(left), op, Box::new(right));
        }
    }

    fn term(&mut self) -> Result<Expr, SyntaxError> {
        let mut left = self.unary()?;
        loop {
            self.ws();
            let op = match self.peek() {
                Some('*') => Arith::Mul,
                Some('/') => Arith::Div,
                _ => return Ok(left),
            };
            self.pos += 1;
            let right = self.unary()?;
            left = Expr::Arith(Box::new(left), op, Box::new(right));
        }
    }

    fn unary(&mut self) -> Result<Expr, SyntaxError> {
        if self.eat("-") {
            return Ok(Expr::Neg(Box::new(self.unary()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, SyntaxError> {
        self.ws();
        let at = self.pos;
        match self.peek() {
            None => return Err(self.err("expected a value")),
            Some('(') => {
                self.pos += 1;
                let e = self.expr()?;
                self.expect(")")?;
                return Ok(e);
            }
            Some('"') => return Ok(Expr::Str(self.string()?)),
            Some('`') => {
                self.pos += 1;
                let start = self.pos;
                while self.peek().is_some_and(|c| c != '`') {
                    self.pos += 1;
                }
                if self.peek().is_none() {
                    return Err(self.err_at(at, "unclosed `"));
                }
                let name: String = self.s[start..self.pos].iter().collect();
                self.pos += 1;
                return self.capture_ref(at, name.trim().to_owned());
            }
            Some(c) if c.is_ascii_digit() => {
                return match self.number()? {
                    Some(n) => Ok(Expr::Num(n)),
                    None => Err(self.err_at(at, "expected a number")),
                };
            }
            _ => {}
        }
        let Some(word) = self.ident() else {
            let c = self.peek().unwrap_or(' ');
            return Err(self.err_at(at, &format!("unexpected `{c}`")));
        };
        match word.as_str() {
            "count" => {
                let inner = self.items_cond(at, "count")?;
                Ok(Expr::Count(Box::new(inner)))
            }
            "header" => {
                if !self.names.headers {
                    return Err(self.err_at(at, &format!("{} steps have no headers", self.names.kind)));
                }
                self.expect("(")?;
                let raw = self.raw_arg()?;
                if raw.is_empty() || raw.contains(|c: char| c.is_whitespace() || c == ':') {
                    return Err(self.err_at(at, "header(Name) needs a header name"));
                }
                Ok(Expr::Header(raw))
            }
            "json" => {
                if !self.names.json {
                    return Err(self.err_at(
                        at,
                        &format!("{} steps have no JSON to look into", self.names.kind),
                    ));
                }
                self.expect("(")?;
                let arg_at = self.pos;
                let raw = self.raw_arg()?;
                let path = parse_path(&raw).map_err(|m| self.err_at(arg_at, &m))?;
                Ok(Expr::Json(path))
            }
            "true" => Ok(Expr::Bool(true)),
            "false" => Ok(Expr::Bool(false)),
            w if KEYWORDS.contains(&w) => Err(self.err_at(at, &format!("unexpected `{w}`"))),
            _ => {
                let subjects = if self.in_items {
                    self.names.item_subjects
                } else {
                    self.names.subjects
                };
                // A capture named like a subject (`total`) wins: the author named it on purpose.
                let captured = !self.in_items && self.names.captures.contains(&word);
                if subjects.contains(&word.as_str()) && !captured {
                    Ok(Expr::Subject(word))
                } else {
                    self.capture_ref(at, word)
                }
            }
        }
    }

    fn capture_ref(&self, at: usize, name: String) -> Result<Expr, SyntaxError> {
        if self.names.captures.contains(&name) {
            return Ok(Expr::Capture(name));
        }
        let subjects = if self.in_items {
            self.names.item_subjects
        } else {
            self.names.subjects
        };
        let mut msg = format!(
            "unknown name `{name}`: {}{} know {}",
            self.names.kind,
            if self.in_items { " responses" } else { " steps" },
            subjects.join(", ")
        );
        if !self.names.captures.is_empty() && !self.in_items {
            msg.push_str(&format!(
                "; captures defined before this line: {}",
                self.names.captures.join(", ")
            ));
        }
        Err(self.err_at(at, &msg))
    }

    /// The text up to the matching `)`, which is eaten (quotes may hold parentheses).
    fn raw_arg(&mut self) -> Result<String, SyntaxError> {
        let start = self.pos;
        let mut depth = 0usize;
        let mut quote = false;
        while let Some(c) = self.peek() {
            match c {
                '"' => quote = !quote,
                '\\' if quote => self.pos += 1,
                '(' if !quote => depth += 1,
                ')' if !quote && depth == 0 => {
                    let raw: String = self.s[start..self.pos].iter().collect();
                    self.pos += 1;
                    return Ok(raw.trim().to_owned());
                }
                ')' if !quote => depth -= 1,
                _ => {}
            }
            self.pos += 1;
        }
        Err(self.err_at(start, "unclosed `(`"))
    }

    /// A number with an optional duration unit (`500ms`, `5s`) read as milliseconds.
    fn number(&mut self) -> Result<Option<f64>, SyntaxError> {
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        // A fraction, but not the `..` of a range.
        if self.peek() == Some('.') && self.s.get(self.pos + 1).is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
            while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                self.pos += 1;
            }
        }
        if self.pos == start {
            return Ok(None);
        }
        let text: String = self.s[start..self.pos].iter().collect();
        let mut n: f64 = text
            .parse()
            .map_err(|_| self.err_at(start, &format!("bad number `{text}`")))?;
        let unit_start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
            self.pos += 1;
        }
        if self.pos > unit_start {
            let unit: String = self.s[unit_start..self.pos].iter().collect();
            match unit_ms(&unit) {
                Some(m) => n *= m,
                None => return Err(self.err_at(unit_start, &format!("unknown unit `{unit}` (ms, s, m, h)"))),
            }
        } else if self.peek() == Some('%') {
            self.pos += 1;
            n /= 100.0;
        }
        Ok(Some(n))
    }

    fn string(&mut self) -> Result<String, SyntaxError> {
        let at = self.pos;
        if self.peek() != Some('"') {
            return Err(self.err("expected a \"string\""));
        }
        self.pos += 1;
        let mut out = String::new();
        loop {
            match self.peek() {
                None => return Err(self.err_at(at, "unclosed string")),
                Some('"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some('\\') => {
                    self.pos += 1;
                    match self.peek() {
                        Some('n') => out.push('\n'),
                        Some('t') => out.push('\t'),
                        Some(c) => out.push(c),
                        None => return Err(self.err_at(at, "unclosed string")),
                    }
                    self.pos += 1;
                }
                Some(c) => {
                    out.push(c);
                    self.pos += 1;
                }
            }
        }
    }

    /// `/pattern/` or `/pattern/i`; `\/` is a slash inside the pattern.
    fn regex(&mut self) -> Result<Regex, SyntaxError> {
        let at = self.pos;
        if self.peek() != Some('/') {
            return Err(self.err("expected a /regex/"));
        }
        self.pos += 1;
        let mut pat = String::new();
        loop {
            match self.peek() {
                None => return Err(self.err_at(at, "unclosed /regex/")),
                Some('/') => {
                    self.pos += 1;
                    break;
                }
                Some('\\') if self.s.get(self.pos + 1) == Some(&'/') => {
                    pat.push('/');
                    self.pos += 2;
                }
                Some(c) => {
                    pat.push(c);
                    self.pos += 1;
                }
            }
        }
        let mut flags = String::new();
        while let Some(c @ ('i' | 'm' | 's')) = self.peek() {
            flags.push(c);
            self.pos += 1;
        }
        let full = if flags.is_empty() {
            pat
        } else {
            format!("(?{flags}){pat}")
        };
        regex::RegexBuilder::new(&full)
            .size_limit(1 << 20)
            .build()
            .map_err(|e| self.err_at(at, &format!("bad regex: {e}")))
    }
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

/// Which option of a choice field a verdict picks: the first "good" name (Success, Yes, Healthy,
/// Pass, Working, GO, OK) when passed, the first "bad" one (Failed, Fail, No, Unhealthy, NO-GO,
/// Error) otherwise; the first or last option when no name matches. No options: `passed`/`failed`.
pub fn verdict_option(options: &[String], passed: bool) -> String {
    const GOOD: &[&str] = &[
        "success", "yes", "healthy", "pass", "passed", "working", "go", "ok",
    ];
    const BAD: &[&str] = &["failed", "fail", "no", "unhealthy", "no-go", "error", "down"];
    if options.is_empty() {
        return if passed { "passed" } else { "failed" }.to_owned();
    }
    let names = if passed { GOOD } else { BAD };
    let hit = names
        .iter()
        .find_map(|n| options.iter().find(|o| o.trim().eq_ignore_ascii_case(n)).cloned());
    hit.unwrap_or_else(|| {
        let fallback = if passed { options.first() } else { options.last() };
        fallback.cloned().unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names<'a>(captures: &'a [String]) -> Names<'a> {
        Names {
            kind: "http-burst",
            subjects: &["status", "latency", "body", "exit", "total"],
            item_subjects: &["status", "latency"],
            headers: true,
            json: true,
            streams: &["body"],
            captures,
        }
    }

    fn judge(src: &str, facts: &Facts) -> Judged {
        let caps: Vec<String> = facts.captures.keys().cloned().collect();
        let c = parse_cond(src, names(&caps)).unwrap_or_else(|e| panic!("{src}: {e}"));
        facts.judge(&c)
    }

    fn facts() -> Facts {
        let mut f = Facts::default();
        f.scalars.insert("status", Value::Num(200.0));
        f.scalars.insert("latency", Value::Num(12.0));
        f.scalars.insert("body", Value::Str("all ok here".into()));
        f.headers.push(("retry-after".into(), "10".into()));
        f.json = Some(serde_json::json!({"status": "Healthy", "ok": true, "n": [1, 2, {"k v": 3}]}));
        f.captures.insert("passes".into(), Value::Str("97".into()));
        f.captures.insert("total".into(), Value::Str("100".into()));
        for s in [200.0, 429.0, 429.0] {
            let mut i = Facts::default();
            i.scalars.insert("status", Value::Num(s));
            f.items.push(i);
        }
        f
    }

    #[test]
    fn the_documented_conditions_hold_on_matching_facts() {
        let f = facts();
        for src in [
            "status == 200",
            "status in 200..299",
            "latency < 500ms",
            "latency < 1s and status != 500",
            "count(status == 429) >= 1",
            "count(status == 429) == 2",
            "header(Retry-After) exists",
            "header(X-Nope) not exists",
            "json(.status) == \"Healthy\"",
            "json(.n[2].\"k v\") == 3",
            "body contains \"ok\"",
            "body matches /ALL\\s+OK/i",
            "passes / total > 0.95",
            "(passes / total) * 100 >= 97",
            "passes / total > 95%",
            "any(status == 429) and not all(status == 429)",
            "json(.ok) == true",
            "json(.ok) != false",
            "json(.ok) == 1",
            "(status == 500 or status == 200)",
        ] {
            let j = judge(src, &f);
            assert!(j.pass, "{src} should hold, actual {}", j.actual);
        }
    }

    #[test]
    fn failing_conditions_report_the_actual_value() {
        let f = facts();
        let j = judge("status == 500", &f);
        assert_eq!((j.pass, j.actual.as_str()), (false, "200"));
        let j = judge("json(.missing) == 1", &f);
        assert_eq!((j.pass, j.actual.as_str()), (false, "missing"));
        let j = judge("passes / total > 0.99", &f);
        assert_eq!((j.pass, j.actual.as_str()), (false, "0.97"));
        let j = judge("all(status == 200)", &f);
        assert_eq!((j.pass, j.actual.as_str()), (false, "1 of 3"));
    }

    #[test]
    fn malformed_conditions_are_errors_with_a_column() {
        let caps = vec![];
        for (src, needle) in [
            ("status = 200", "=="),
            ("stauts == 200", "unknown name `stauts`"),
            ("status ==", "expected a value"),
            ("latency < 5 parsecs", "unexpected"),
            ("latency < 5xs", "unknown unit"),
            ("body matches /(/", "bad regex"),
            ("body contains ok", "string"),
            ("status in 300..200", "empty"),
            ("json(status) == 1", "starts with `.`"),
            ("count(count(status == 1) > 1) > 0", "none here"),
        ] {
            let e = parse_cond(src, names(&caps)).expect_err(src);
            assert!(e.message.contains(needle), "{src}: {e}");
        }
    }

    #[test]
    fn durations_and_verdicts() {
        assert_eq!(
            parse_duration("500ms"),
            Some(std::time::Duration::from_millis(500))
        );
        assert_eq!(parse_duration("2m"), Some(std::time::Duration::from_secs(120)));
        assert_eq!(
            parse_duration("1.5s"),
            Some(std::time::Duration::from_millis(1500))
        );
        assert_eq!(parse_duration("s"), None);
        assert_eq!(parse_duration("5 parsecs"), None);
        let opts = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            verdict_option(&opts(&["Healthy", "Degraded", "Unhealthy"]), false),
            "Unhealthy"
        );
        assert_eq!(
            verdict_option(&opts(&["Healthy", "Degraded", "Unhealthy"]), true),
            "Healthy"
        );
        assert_eq!(verdict_option(&opts(&["Pass", "Fail"]), false), "Fail");
        assert_eq!(verdict_option(&opts(&["Yes", "No", "N/A"]), false), "No");
        assert_eq!(verdict_option(&[], true), "passed");
    }
}
