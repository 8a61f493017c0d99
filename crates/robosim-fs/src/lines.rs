//! Reading a JSONL input line by line without ever holding a line longer than a cap: a line
//! of 400 MB is hashed as it streams past and becomes an invalid record, instead of costing
//! the reader its size in memory (or more).

use std::io::{self, BufRead};

use sha2::{Digest, Sha256};

/// Hex SHA-256 prefix (16 bytes) of a raw line: how a line is recognised (`--resume`) even
/// when it was too long to keep.
#[must_use]
pub fn line_hash(raw: &[u8]) -> String {
    hex(&Sha256::digest(raw)[..16])
}

/// Lower-case hex of `bytes`.
#[must_use]
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A line as read: its bytes (without the line break, nor a `\r` before it), or, for a line
/// over the cap, its length and hash only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawLine {
    Kept(Vec<u8>),
    TooLong { bytes: u64, hash: String },
}

impl RawLine {
    /// The line's hash, as [`line_hash`] makes it.
    #[must_use]
    pub fn hash(&self) -> String {
        match self {
            Self::Kept(raw) => line_hash(raw),
            Self::TooLong { hash, .. } => hash.clone(),
        }
    }
}

/// The longest input line read for a program of at most `max_program_bytes`: the program
/// as JSON writers escape it (Python's `json.dumps` writes a two-byte `é` as the six bytes
/// `\u00e9`, three times its length, the most any character grows) with a mebibyte for the
/// other fields. (A program of control characters can be longer escaped; it is no program.)
#[must_use]
pub const fn line_cap(max_program_bytes: usize) -> usize {
    max_program_bytes.saturating_mul(3).saturating_add(1 << 20)
}

/// The lines of `reader`, none over `cap` bytes kept (see [`RawLine`]).
pub fn bounded_lines<R: BufRead>(reader: R, cap: usize) -> BoundedLines<R> {
    BoundedLines { reader, cap }
}

/// See [`bounded_lines`].
#[derive(Debug)]
pub struct BoundedLines<R> {
    reader: R,
    cap: usize,
}

impl<R: BufRead> Iterator for BoundedLines<R> {
    type Item = io::Result<RawLine>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut kept = Vec::new();
        let mut long: Option<(Sha256, u64)> = None;
        let mut read_any = false;
        loop {
            let chunk = match self.reader.fill_buf() {
                Ok(chunk) => chunk,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Some(Err(e)),
            };
            if chunk.is_empty() {
                break;
            }
            read_any = true;
            let end = chunk.iter().position(|&b| b == b'\n');
            let part = &chunk[..end.unwrap_or(chunk.len())];
            match &mut long {
                Some((hasher, bytes)) => {
                    hasher.update(part);
                    *bytes += part.len() as u64;
                }
                None if kept.len() + part.len() > self.cap => {
                    let mut hasher = Sha256::new();
                    hasher.update(&kept);
                    hasher.update(part);
                    long = Some((hasher, (kept.len() + part.len()) as u64));
                    kept = Vec::new();
                }
                None => kept.extend_from_slice(part),
            }
            let consumed = end.map_or(chunk.len(), |e| e + 1);
            self.reader.consume(consumed);
            if end.is_some() {
                break;
            }
        }
        if !read_any {
            return None;
        }
        Some(Ok(match long {
            Some((hasher, bytes)) => RawLine::TooLong { bytes, hash: hex(&hasher.finalize()[..16]) },
            None => {
                if kept.last() == Some(&b'\r') {
                    kept.pop();
                }
                RawLine::Kept(kept)
            }
        }))
    }
}

/// The most JSON values (objects, arrays, keys and scalars) an input line may hold.
///
/// A record needs a few dozen. Parsed, a value takes 32 bytes and an object hundreds more:
/// seven bytes of `{"":0},` become over 600, so a 4 MB line of them would take 2 GB. Lines
/// with more values are refused before they are parsed (as `invalid_input`).
pub const MAX_JSON_VALUES: usize = 10_000;

/// Refuses a line holding more than [`MAX_JSON_VALUES`] JSON values, counted in one pass over
/// its bytes without parsing (an upper bound where the line is not valid JSON).
///
/// # Errors
/// The message of the `invalid_input` record.
pub fn too_many_values(raw: &[u8]) -> Result<(), String> {
    // Every value but the first follows a `,`, `:` or opening bracket outside strings.
    let mut values = 1usize;
    let mut in_string = false;
    let mut escaped = false;
    for &byte in raw {
        if in_string {
            match (escaped, byte) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b',' | b':' | b'[' | b'{' => values += 1,
            _ => {}
        }
        if values > MAX_JSON_VALUES {
            return Err(format!(
                "the line holds over {MAX_JSON_VALUES} JSON values; records may hold at most that many"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{RawLine, bounded_lines};

    #[test]
    fn long_lines_are_hashed_not_kept() {
        let text = format!("short\r\n{}\nlast", "x".repeat(100));
        let lines: Vec<RawLine> =
            bounded_lines(std::io::BufReader::with_capacity(7, text.as_bytes()), 10).collect::<Result<_, _>>().unwrap();
        assert_eq!(lines[0], RawLine::Kept(b"short".to_vec()));
        assert_eq!(lines[1], RawLine::TooLong { bytes: 100, hash: super::line_hash("x".repeat(100).as_bytes()) });
        assert_eq!(lines[2], RawLine::Kept(b"last".to_vec()));
        assert_eq!(lines.len(), 3);
    }
}
