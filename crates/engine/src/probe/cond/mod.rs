//! The typed condition language of annotations: assertions (`status == 200`,
//! `count(status == 429) >= 1`, `passes / total > 0.95`) and the sources captures read from.
//!
//! Owns the parser (source text → [`Cond`] / [`Expr`]), name checking against what a probe kind
//! knows, and evaluation over the [`Facts`] a probe gathered. Which facts exist per kind is the
//! business of each kind's module (its `CONDITIONS`); which line an error is on is `annotation`'s.
//!
//! One file per concern: `value` (what is compared), `path` (JSON paths), `parse` and `lex`
//! (source text to [`Cond`] / [`Source`]), `eval` (judging over [`Facts`]). The syntax tree is
//! here.

use regex::Regex;

mod eval;
mod lex;
mod parse;
mod path;
mod value;

pub use eval::{Facts, Judged};
pub use parse::{parse_cond, parse_duration, parse_source, Names, SyntaxError};
pub use path::{parse_path, PathSeg};
pub use value::{format_num, readable_actual, verdict_option, Value};

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

/// Does a condition look at this subject anywhere (inside `count(...)` too)?
pub fn mentions(c: &Cond, subject: &str) -> bool {
    fn e(x: &Expr, s: &str) -> bool {
        match x {
            Expr::Subject(n) => n == s,
            Expr::Count(c) => mentions(c, s),
            Expr::Neg(a) => e(a, s),
            Expr::Arith(a, _, b) => e(a, s) || e(b, s),
            _ => false,
        }
    }
    match c {
        Cond::Cmp(a, _, b) => e(a, subject) || e(b, subject),
        Cond::In(a, _, _) | Cond::Exists(a) | Cond::Contains(a, _) | Cond::Matches(a, _) => e(a, subject),
        Cond::And(a, b) | Cond::Or(a, b) => mentions(a, subject) || mentions(b, subject),
        Cond::Not(a) | Cond::All(a) | Cond::Any(a) => mentions(a, subject),
    }
}

#[cfg(test)]
mod tests;
