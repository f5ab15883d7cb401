//! What a CSV reader must know of a file that the `csv` crate does not tell: Windows line ends
//! (CRLF) become LF before parsing, so that row numbers count lines as an editor does (the
//! crate counts one line short after a CRLF record), and a quote opened and never closed is
//! found (the crate silently reads the rest of the file into that one field).

use std::io::Read;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    FieldStart,
    Unquoted,
    Quoted,
    /// A quote inside a quoted field: the end of the field, or the first of an escaped pair.
    QuoteInQuoted,
}

/// A reader that passes a CSV file through with CRLF turned into LF and tracks RFC 4180
/// quoting, to tell where a quote was left open.
#[derive(Debug)]
pub struct CsvGuard<R> {
    inner: R,
    buf: Vec<u8>,
    /// A CR at the end of the last chunk, not yet known to be part of a CRLF.
    held_cr: bool,
    state: State,
    /// Lines (1-based) seen so far, and the line where the open quoted field began.
    line: u64,
    quote_line: u64,
}

impl<R: Read> CsvGuard<R> {
    pub fn new(inner: R) -> Self {
        CsvGuard { inner, buf: vec![0; 64 * 1024], held_cr: false, state: State::FieldStart, line: 1, quote_line: 0 }
    }

    /// After the whole file was read: the line where a quoted field opened and never closed.
    pub fn unterminated_quote(&self) -> Option<u64> {
        (self.state == State::Quoted).then_some(self.quote_line)
    }

    fn track(&mut self, b: u8) {
        if b == b'\n' {
            self.line += 1;
        }
        self.state = match (self.state, b) {
            (State::FieldStart, b'"') => {
                self.quote_line = self.line;
                State::Quoted
            }
            (State::FieldStart | State::Unquoted | State::QuoteInQuoted, b',' | b'\n' | b'\r') => State::FieldStart,
            (State::FieldStart | State::Unquoted, _) => State::Unquoted,
            (State::Quoted, b'"') => State::QuoteInQuoted,
            (State::Quoted, _) => State::Quoted,
            (State::QuoteInQuoted, b'"') => State::Quoted,
            (State::QuoteInQuoted, _) => State::Unquoted,
        };
    }
}

impl<R: Read> Read for CsvGuard<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        loop {
            let want = out.len().min(self.buf.len());
            let n = self.inner.read(&mut self.buf[..want])?;
            if n == 0 {
                // End of file: a held CR was a lone CR (an old Mac line end).
                if std::mem::take(&mut self.held_cr) {
                    self.track(b'\r');
                    out[0] = b'\r';
                    return Ok(1);
                }
                return Ok(0);
            }
            let mut w = 0;
            let mut pending_cr = std::mem::take(&mut self.held_cr);
            for i in 0..n {
                let b = self.buf[i];
                if pending_cr {
                    pending_cr = false;
                    // CR LF → LF; a lone CR stays.
                    if b != b'\n' {
                        self.track(b'\r');
                        out[w] = b'\r';
                        w += 1;
                    }
                }
                if b == b'\r' {
                    pending_cr = true;
                    continue;
                }
                self.track(b);
                out[w] = b;
                w += 1;
            }
            self.held_cr = pending_cr;
            if w > 0 {
                return Ok(w);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::CsvGuard;
    use std::io::Read;

    /// A reader that hands out one byte at a time, to cross every chunk boundary.
    struct Trickle<'a>(&'a [u8]);
    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            match self.0.split_first() {
                Some((b, rest)) if !out.is_empty() => {
                    out[0] = *b;
                    self.0 = rest;
                    Ok(1)
                }
                _ => Ok(0),
            }
        }
    }

    /// The guarded text and the open quote's line, read whole and byte by byte (both must agree).
    fn pass(text: &str) -> (String, Option<u64>) {
        let mut whole = CsvGuard::new(text.as_bytes());
        let mut a = String::new();
        whole.read_to_string(&mut a).unwrap();
        let mut trickle = CsvGuard::new(Trickle(text.as_bytes()));
        let mut b = String::new();
        trickle.read_to_string(&mut b).unwrap();
        assert_eq!((&a, whole.unterminated_quote()), (&b, trickle.unterminated_quote()));
        (a, whole.unterminated_quote())
    }

    #[test]
    fn crlf_becomes_lf_and_lone_cr_stays() {
        assert_eq!(pass("a,b\r\n1,2\r\n").0, "a,b\n1,2\n");
        assert_eq!(pass("a,b\r1,2\r").0, "a,b\r1,2\r");
        assert_eq!(pass("a,\"x\r\ny\"\r\n").0, "a,\"x\ny\"\n");
    }

    #[test]
    fn finds_the_line_of_a_quote_never_closed() {
        assert_eq!(pass("a,b\n1,\"ok \"\"quoted\"\"\"\n2,3\n").1, None);
        assert_eq!(pass("a,b\n1,\"never closed\n2,3\n4,5\n").1, Some(2));
        assert_eq!(pass("a,b\r\n1,x\"y\r\n2,\"z\r\n").1, Some(3));
        // A quote inside an unquoted field is a character, not an opening.
        assert_eq!(pass("a,b\n1,5\" pipe\n").1, None);
    }
}
