//! Reading tokens for the condition parser: whitespace, words and keywords, numbers with units,
//! strings, `/regexes/`, and raw `(...)` arguments. The grammar over them is `parse`.

use regex::Regex;

use super::parse::{unit_ms, Names, Parser, SyntaxError};

impl<'n> Parser<'n> {
    pub(super) fn new(src: &str, names: Names<'n>) -> Self {
        Parser {
            s: src.chars().collect(),
            pos: 0,
            names,
            in_items: false,
        }
    }

    pub(super) fn err(&self, msg: &str) -> SyntaxError {
        self.err_at(self.pos, msg)
    }

    pub(super) fn err_at(&self, at: usize, msg: &str) -> SyntaxError {
        SyntaxError {
            column: at,
            message: msg.to_owned(),
        }
    }

    pub(super) fn ws(&mut self) {
        while self.s.get(self.pos).is_some_and(|c| c.is_whitespace()) {
            self.pos += 1;
        }
    }

    pub(super) fn peek(&self) -> Option<char> {
        self.s.get(self.pos).copied()
    }

    pub(super) fn rest_starts(&self, t: &str) -> bool {
        (self.pos..)
            .zip(t.chars())
            .all(|(i, c)| self.s.get(i) == Some(&c))
    }

    /// Eats `t` (after whitespace) if it is next.
    pub(super) fn eat(&mut self, t: &str) -> bool {
        self.ws();
        if self.rest_starts(t) {
            self.pos += t.chars().count();
            true
        } else {
            false
        }
    }

    pub(super) fn expect(&mut self, t: &str) -> Result<(), SyntaxError> {
        if self.eat(t) {
            Ok(())
        } else {
            Err(self.err(&format!("expected `{t}`")))
        }
    }

    /// Eats the word `w` if it is next as a whole word.
    pub(super) fn keyword(&mut self, w: &str) -> bool {
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

    pub(super) fn end(&mut self) -> Result<(), SyntaxError> {
        self.ws();
        match self.peek() {
            None => Ok(()),
            Some(c) => Err(self.err(&format!("unexpected `{c}`"))),
        }
    }

    pub(super) fn ident(&mut self) -> Option<String> {
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

    /// The text up to the matching `)`, which is eaten (quotes may hold parentheses).
    pub(super) fn raw_arg(&mut self) -> Result<String, SyntaxError> {
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
    pub(super) fn number(&mut self) -> Result<Option<f64>, SyntaxError> {
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

    pub(super) fn string(&mut self) -> Result<String, SyntaxError> {
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
    pub(super) fn regex(&mut self) -> Result<Regex, SyntaxError> {
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
