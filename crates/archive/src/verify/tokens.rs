//! What parsing a file will cost, bounded before it is parsed: the PDF tokens outside stream
//! data, counted by a small lexer, must stay within `Limits::max_tokens`.
//!
//! lopdf turns every token of the objects it loads into an `Object` of about 120 bytes (and
//! arrays grow by doubling), so 16 MiB of `1 0 R 1 0 R …` would take some 700 MB to load; the
//! file's size alone does not bound that. Each token becomes at most one object, so counting
//! them bounds it. The lexer knows comments, literal strings (nested, escaped), hex strings,
//! names and delimiters, and skips a stream's data from the `stream` keyword after a
//! dictionary to the next `endstream`. It over-counts rather than under-counts: what it cannot
//! tell apart counts as tokens. Reading the objects is lopdf's (`structure`).

use super::limits::LimitError;

/// The file holds at most `limit` tokens outside its streams' data.
pub(super) fn within(bytes: &[u8], limit: usize) -> Result<(), LimitError> {
    let mut count = 0usize;
    let mut i = 0;
    // The last token was `>>`: a `stream` keyword now starts a stream's data.
    let mut after_dict = false;
    while i < bytes.len() {
        // Runs of white space (a file padded with zeros) skipped in one pass.
        i += bytes[i..]
            .iter()
            .position(|&c| !is_white(c))
            .unwrap_or(bytes.len() - i);
        let Some(&c) = bytes.get(i) else { break };
        if c == b'%' {
            i = line_end(bytes, i);
            continue;
        }
        count += 1;
        if count > limit {
            return Err(LimitError::Tokens { limit });
        }
        let dict_before = std::mem::replace(&mut after_dict, false);
        i = match c {
            b'(' => literal_end(bytes, i),
            b'<' | b'>' if bytes.get(i + 1) == Some(&c) => {
                after_dict = c == b'>';
                i + 2
            }
            b'<' => bytes[i..]
                .iter()
                .position(|&b| b == b'>')
                .map_or(bytes.len(), |p| i + p + 1),
            b'[' | b']' | b'{' | b'}' | b')' | b'>' => i + 1,
            b'/' => regular_end(bytes, i + 1),
            _ => {
                let end = regular_end(bytes, i);
                if dict_before && &bytes[i..end] == b"stream" {
                    after(bytes, end, b"endstream")
                } else {
                    end
                }
            }
        };
    }
    Ok(())
}

fn is_white(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' | b'\0')
}

fn is_delimiter(c: u8) -> bool {
    matches!(
        c,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

/// Where the run of regular characters from `i` ends.
fn regular_end(bytes: &[u8], i: usize) -> usize {
    bytes[i..]
        .iter()
        .position(|&c| is_white(c) || is_delimiter(c))
        .map_or(bytes.len(), |p| i + p)
}

fn line_end(bytes: &[u8], i: usize) -> usize {
    bytes[i..]
        .iter()
        .position(|&c| c == b'\n' || c == b'\r')
        .map_or(bytes.len(), |p| i + p)
}

/// Just past the literal string that opens at `i`: parentheses nest, `\` escapes one byte.
fn literal_end(bytes: &[u8], mut i: usize) -> usize {
    let mut depth = 0usize;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 1,
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    bytes.len()
}

/// Just past the next `needle` from `i` (the end of `bytes` when there is none).
fn after(bytes: &[u8], i: usize, needle: &[u8]) -> usize {
    let mut at = i;
    while let Some(p) = bytes[at..].iter().position(|&c| c == needle[0]) {
        let start = at + p;
        if bytes[start..].starts_with(needle) {
            return start + needle.len();
        }
        at = start + 1;
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(bytes: &[u8]) -> usize {
        (0..)
            .find(|&limit| within(bytes, limit).is_ok())
            .expect("some limit holds")
    }

    #[test]
    fn tokens_are_counted_and_stream_data_strings_and_comments_are_not_split() {
        let pdf = b"%PDF-1.7\n%\xe2\xe3\n1 0 obj\n<< /Length 12 /F (a (nested) \\) str) >>\nstream\n[1 2 3] ( x\nendstream\nendobj\n";
        // 1 0 obj << /Length 12 /F (…) >> stream endstream-skipped endobj
        assert_eq!(
            count(pdf),
            11,
            "the stream's data and the comments count for nothing"
        );
        assert_eq!(count(b"[1 0 R 1 0 R]"), 8);
        assert_eq!(count(b"<00ff> <</A<</B 1>>>>"), 8);
    }

    #[test]
    fn a_stream_keyword_not_after_a_dictionary_skips_nothing() {
        // `[` `(stream)` `]`, then `stream` after an array: the data after it is counted.
        assert_eq!(count(b"[(stream)] stream 1 2 3 endstream"), 8);
    }

    #[test]
    fn dense_references_fail_on_the_limit_at_once() {
        let dense = b"1 0 R ".repeat(1000);
        let e = within(&dense, 100).expect_err("3,000 tokens");
        assert!(e.to_string().contains("(max_tokens)"), "{e}");
    }
}
