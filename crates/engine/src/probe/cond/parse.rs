//! Parsing the condition language: [`parse_cond`] for `expect:` values, [`parse_source`] for
//! what a capture reads, [`parse_duration`] for durations; names are checked against what the
//! kind offers ([`Names`]). The grammar is here; reading tokens (numbers, strings, regexes) is
//! `lex`, on the same [`Parser`].

use std::fmt;

use super::path::parse_path;
use super::{Arith, CmpOp, Cond, Expr, Source};

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

pub(super) fn unit_ms(unit: &str) -> Option<f64> {
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

pub(super) struct Parser<'n> {
    pub(super) s: Vec<char>,
    pub(super) pos: usize,
    pub(super) names: Names<'n>,
    /// Inside `count`/`all`/`any`: names are a response's.
    pub(super) in_items: bool,
}

impl Parser<'_> {
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
        self.word(at, word)
    }

    /// What a word at `at` starts: `count(...)`, `header(...)`, `json(...)`, a literal, a subject
    /// of the kind, or a capture.
    fn word(&mut self, at: usize, word: String) -> Result<Expr, SyntaxError> {
        match word.as_str() {
            "count" => {
                let inner = self.items_cond(at, "count")?;
                Ok(Expr::Count(Box::new(inner)))
            }
            "header" => self.header(at),
            "json" => self.json(at),
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

    /// `header(Name)`, after the word.
    fn header(&mut self, at: usize) -> Result<Expr, SyntaxError> {
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

    /// `json(.path)`, after the word.
    fn json(&mut self, at: usize) -> Result<Expr, SyntaxError> {
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
}
