//! [`Manifest`]: what produced a verdicts file; [`Shard`]: which part of a batch it holds.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What produced a verdicts file. Resuming requires an equal manifest; merging shards
/// requires manifests equal but for the shard's index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub tool: String,
    pub version: String,
    pub guest_sha256: String,
    /// Exploration settings, limits and seed.
    pub settings: Value,
    pub max_program_bytes: usize,
    /// For one shard of a batch: which, and of what input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<ShardOf>,
}

/// The shard a verdicts file holds and the input it was cut from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardOf {
    pub index: u64,
    pub count: u64,
    /// SHA-256 of the whole input file (hex), and its number of lines: shards of another
    /// input are never merged.
    pub input_sha256: String,
    pub input_lines: u64,
}

/// Every `count`-th input line starting at line `index + 1` (`index` is 0-based, as job
/// array task ids are): written `K/N` on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    /// Does 0-based input line `i` belong to this shard?
    #[must_use]
    pub const fn holds(self, i: u64) -> bool {
        i % self.count == self.index
    }

    /// How many of `lines` input lines belong to this shard.
    #[must_use]
    pub const fn lines_of(self, lines: u64) -> u64 {
        if lines <= self.index { 0 } else { (lines - self.index).div_ceil(self.count) }
    }
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (index, count) = s.split_once('/').ok_or_else(|| format!("'{s}' is not K/N (e.g. 0/8)"))?;
        let number = |n: &str| n.trim().parse::<u64>().map_err(|e| format!("'{n}' in '{s}': {e}"));
        let (index, count) = (number(index)?, number(count)?);
        if count == 0 || index >= count {
            return Err(format!("shard {index}/{count}: K must be below N, and N at least 1 (K counts from 0)"));
        }
        Ok(Self { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_split_the_lines_between_them() {
        for lines in 0..20 {
            for count in 1..6 {
                let shards: Vec<Shard> = (0..count).map(|index| Shard { index, count }).collect();
                let total: u64 = shards.iter().map(|s| s.lines_of(lines)).sum();
                assert_eq!(total, lines);
                for s in &shards {
                    assert_eq!(s.lines_of(lines), (0..lines).filter(|&i| s.holds(i)).count() as u64);
                }
            }
        }
    }

    #[test]
    fn shards_parse_as_k_of_n() {
        assert_eq!("3/8".parse::<Shard>(), Ok(Shard { index: 3, count: 8 }));
        assert_eq!(Shard { index: 3, count: 8 }.to_string(), "3/8");
        for bad in ["8/8", "1/0", "3", "a/2", "-1/2"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }
}
