//! The failure table: a row per failure, at most [`TABLE_ROWS`] of them per input, chosen so
//! that every class is represented (the counts and plots are always over all records).

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

/// The most rows an input's table keeps: a 100,000-record run's page stays a few MiB.
pub const TABLE_ROWS: usize = 5_000;
/// Rows every class keeps at least (when it has them), however rare.
const CLASS_FLOOR: usize = 25;
/// The bytes of details an input's table keeps in full; the rows past it keep their program
/// and error but not their robot calls and path (a page stays under about 5 + 16 MiB per input).
pub const DETAIL_BUDGET: usize = 16 << 20;

/// One failure.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// Which input (section) it comes from.
    #[serde(rename = "i")]
    pub input: usize,
    /// Its place in the input (records in order), for sorting.
    #[serde(skip)]
    pub order: usize,
    pub id: String,
    pub class: String,
    pub task: String,
    pub line: Option<u32>,
    /// The error in one line.
    pub text: String,
    /// Everything the detail view shows, parsed only when the row is opened.
    #[serde(skip)]
    pub detail: Value,
    /// The line of a completions file holding this row's program, when the record lacks it.
    #[serde(skip)]
    pub source_line: Option<usize>,
}

/// Keeps the first [`TABLE_ROWS`] rows of every class; [`Sampler::finish`] then takes each
/// class's share of the table.
#[derive(Debug, Default)]
pub struct Sampler {
    classes: BTreeMap<String, (u64, Vec<Row>)>,
}

impl Sampler {
    pub fn push(&mut self, row: Row) {
        let entry = self.classes.entry(row.class.clone()).or_default();
        entry.0 += 1;
        if entry.1.len() < TABLE_ROWS {
            entry.1.push(row);
        }
    }

    /// Every failure seen.
    pub fn total(&self) -> u64 {
        self.classes.values().map(|c| c.0).sum()
    }

    /// The table's rows in input order: all of them when they fit, else each class's share
    /// of [`TABLE_ROWS`] (at least [`CLASS_FLOOR`]), its earliest rows.
    pub fn finish(self) -> Vec<Row> {
        let total = self.total();
        let mut rows: Vec<Row> = if total as usize <= TABLE_ROWS {
            self.classes.into_values().flat_map(|c| c.1).collect()
        } else {
            let floors: usize = self.classes.values().map(|c| c.1.len().min(CLASS_FLOOR)).sum();
            let rest = TABLE_ROWS.saturating_sub(floors) as f64;
            self.classes
                .into_values()
                .flat_map(|(count, rows)| {
                    let floor = rows.len().min(CLASS_FLOOR);
                    let share = floor + (rest * count as f64 / total as f64) as usize;
                    rows.into_iter().take(share)
                })
                .collect()
        };
        rows.sort_by_key(|r| r.order);
        rows
    }
}

/// Writes each robot call of the rows' details as `[function, args, returned]` or
/// `[function, args, null, raised]` (a third of the bytes of the records' objects), and past
/// [`DETAIL_BUDGET`] leaves out the calls and the path (`"slim": true`).
pub fn compact(rows: &mut [Row]) {
    let mut spent = 0;
    for row in rows {
        let Some(detail) = row.detail.as_object_mut() else { continue };
        if let Some(trace) = detail.get_mut("trace") {
            compact_calls(trace);
        }
        if let Some(Value::Array(worlds)) = detail.get_mut("worlds") {
            for world in worlds {
                if let Some(calls) = world.get_mut("calls") {
                    compact_calls(calls);
                }
            }
        }
        if spent > DETAIL_BUDGET {
            detail.remove("trace");
            detail.remove("decisions");
            if let Some(Value::Array(worlds)) = detail.get_mut("worlds") {
                worlds.iter_mut().filter_map(Value::as_object_mut).for_each(|w| drop(w.remove("calls")));
            }
            detail.insert("slim".into(), Value::Bool(true));
        }
        spent += row.detail.to_string().len();
    }
}

fn compact_calls(calls: &mut Value) {
    let Value::Array(items) = calls else { return };
    for call in items {
        let Value::Object(map) = call else { continue };
        let function = map.remove("function").unwrap_or(Value::Null);
        let args = map.remove("args").unwrap_or(Value::Null);
        *call = match (map.remove("returned"), map.remove("raised")) {
            (_, Some(raised)) => Value::Array(vec![function, args, Value::Null, raised]),
            (returned, None) => Value::Array(vec![function, args, returned.unwrap_or(Value::Null)]),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(order: usize, class: &str) -> Row {
        Row {
            input: 0,
            order,
            id: order.to_string(),
            class: class.into(),
            task: String::new(),
            line: None,
            text: String::new(),
            detail: Value::Null,
            source_line: None,
        }
    }

    #[test]
    fn a_big_run_keeps_every_class_and_the_table_bound() {
        let mut sampler = Sampler::default();
        for i in 0..20_000 {
            sampler.push(row(i, if i % 1000 == 7 { "Rare" } else { "Common" }));
        }
        assert_eq!(sampler.total(), 20_000);
        let rows = sampler.finish();
        assert!(rows.len() <= TABLE_ROWS && rows.len() > TABLE_ROWS - 10, "{}", rows.len());
        assert_eq!(
            rows.iter().filter(|r| r.class == "Rare").count(),
            20,
            "a rare class keeps all it has up to the floor"
        );
        assert!(rows.windows(2).all(|w| w[0].order < w[1].order), "in input order");
    }

    #[test]
    fn calls_are_written_as_arrays() {
        let mut rows = vec![row(0, "A")];
        rows[0].detail = serde_json::json!({"trace": [
            {"function": "go_to", "args": ["kitchen"], "returned": null},
            {"function": "pick", "args": ["apple"], "raised": "RobotPickError: no"},
        ]});
        compact(&mut rows);
        assert_eq!(
            rows[0].detail["trace"],
            serde_json::json!([["go_to", ["kitchen"], null], ["pick", ["apple"], null, "RobotPickError: no"]])
        );
    }

    #[test]
    fn a_small_run_keeps_every_row() {
        let mut sampler = Sampler::default();
        for i in 0..30 {
            sampler.push(row(i, ["A", "B", "C"][i % 3]));
        }
        assert_eq!(sampler.finish().len(), 30);
    }
}
