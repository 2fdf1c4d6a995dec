//! Judging conditions: the [`Facts`] a probe gathered, evaluating an [`Expr`] to a [`Value`] and
//! a [`Cond`] to a [`Judged`] verdict with the actual value it looked at.

use std::collections::BTreeMap;

use super::path::{walk, PathSeg};
use super::{Arith, CmpOp, Cond, Expr, Value};

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
        self.json
            .as_ref()
            .and_then(|doc| walk(doc, path))
            .map_or(Value::Missing, Value::from_json)
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
