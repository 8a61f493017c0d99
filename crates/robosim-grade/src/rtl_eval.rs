//! Evaluating a check ([`Expr`]) on a trace in time about linear in the trace, whatever the
//! program made of it, with the same answers and the same errors as RoboEval's `rtl.py`.
//!
//! `rtl.py` re-scans the trace for every query and every window, and its task files loop
//! over visits (`act_at_any`): a program making 8,000 legal visits made one check take
//! minutes. Here each static check is evaluated at most once per element (a memo), and scans
//! skip elements already known not to match (a union-find over each check's known misses,
//! forward and backward), so a scan only evaluates what `rtl.py` would evaluate first there,
//! in the same order: the first error it would raise is the one raised. Each evaluation is
//! charged to a [`Work`] allowance by its patterns' costs; a check that would go past it is
//! an evaluation error, the same on every machine.

use std::collections::HashMap;

use robosim_world::Work;

use crate::rtl::{Element, Expr, Match, Query, Window};

/// The work one state's check may do (units of `robosim_world::Work`): some tenths of a
/// second at most.
pub const CHECK_WORK: u64 = 1 << 28;

/// Work units charged per element a scan steps over (known or not).
const STEP: u64 = 1;

/// What is known of one static check on each element.
struct Table {
    /// 0: not evaluated, 1: does not match, 2: matches.
    known: Vec<u8>,
    /// Forward skip: from `i`, the first position at or after it not known to miss (path
    /// compressed); `n` is past the end.
    next: Vec<u32>,
    /// Backward skip, shifted by one: from position `i`, `prev[i + 1] - 1` is the first at
    /// or before it not known to miss; 0 is before the start.
    prev: Vec<u32>,
}

impl Table {
    fn new(n: usize) -> Self {
        let n32 = u32::try_from(n).unwrap_or(u32::MAX);
        Self { known: vec![0; n], next: (0..=n32).collect(), prev: (0..=n32).collect() }
    }

    fn find_next(&mut self, i: usize) -> usize {
        root(&mut self.next, i)
    }

    /// The first position at or before `i` not known to miss, if any.
    fn find_prev(&mut self, i: usize) -> Option<usize> {
        root(&mut self.prev, i + 1).checked_sub(1)
    }

    fn missed(&mut self, i: usize) {
        self.known[i] = 1;
        self.next[i] = (i + 1) as u32;
        self.prev[i + 1] = i as u32;
    }
}

/// The root of `i` in the forest `parents` (each root its own parent), compressing the path.
fn root(parents: &mut [u32], i: usize) -> usize {
    let mut root = i;
    while parents[root] as usize != root {
        root = parents[root] as usize;
    }
    let mut at = i;
    while parents[at] as usize != root {
        let up = parents[at] as usize;
        parents[at] = root as u32;
        at = up;
    }
    root
}

/// One evaluation of a check on a trace.
pub(crate) struct Eval<'t, 'e> {
    trace: &'t [Element],
    work: &'t mut Work,
    /// Static checks by value (a check file repeats the same ones), each with its table.
    ids: HashMap<&'e Match, usize>,
    tables: Vec<Table>,
}

/// A window of the trace: `start..end`.
type Span = (usize, usize);

impl<'t, 'e> Eval<'t, 'e> {
    pub(crate) fn new(trace: &'t [Element], work: &'t mut Work) -> Self {
        Self { trace, work, ids: HashMap::new(), tables: Vec::new() }
    }

    fn table(&mut self, m: &'e Match) -> usize {
        let n = self.trace.len();
        let tables = &mut self.tables;
        *self.ids.entry(m).or_insert_with(|| {
            tables.push(Table::new(n));
            tables.len() - 1
        })
    }

    fn step(&mut self) -> Result<(), String> {
        self.work.charge(STEP).map_err(|_| over())
    }

    /// Whether `m` matches element `i` (evaluated once).
    fn matches(&mut self, m: &'e Match, id: usize, i: usize) -> Result<bool, String> {
        match self.tables[id].known[i] {
            1 => return Ok(false),
            2 => return Ok(true),
            _ => {}
        }
        let found = m.matches(&self.trace[i], self.work)?;
        if found {
            self.tables[id].known[i] = 2;
        } else {
            self.tables[id].missed(i);
        }
        Ok(found)
    }

    /// The first element of `span` that `m` matches.
    fn first(&mut self, m: &'e Match, (start, end): Span) -> Result<Option<usize>, String> {
        let id = self.table(m);
        let mut i = self.tables[id].find_next(start);
        while i < end {
            self.step()?;
            if self.matches(m, id, i)? {
                return Ok(Some(i));
            }
            i = self.tables[id].find_next(i + 1);
        }
        Ok(None)
    }

    /// The last element of `span` that `m` matches.
    fn last(&mut self, m: &'e Match, (start, end): Span) -> Result<Option<usize>, String> {
        let id = self.table(m);
        let mut at = if end == 0 { None } else { self.tables[id].find_prev(end - 1) };
        while let Some(i) = at.filter(|&i| i >= start) {
            self.step()?;
            if self.matches(m, id, i)? {
                return Ok(Some(i));
            }
            at = if i == 0 { None } else { self.tables[id].find_prev(i - 1) };
        }
        Ok(None)
    }

    fn exists(&mut self, m: &'e Match, span: Span) -> Result<bool, String> {
        Ok(self.first(m, span)?.is_some())
    }

    /// `window` applied to `span`: when nothing matches, `span` as it was.
    fn window(&mut self, window: &'e Window, span: Span) -> Result<Span, String> {
        let (start, end) = span;
        Ok(match window {
            Window::AfterFirst(m) => self.first(m, span)?.map_or(span, |i| (i + 1, end)),
            Window::BeforeFirst(m) => self.first(m, span)?.map_or(span, |i| (start, i)),
            Window::AfterLast(m) => self.last(m, span)?.map_or(span, |i| (i + 1, end)),
            Window::BeforeLast(m) => self.last(m, span)?.map_or(span, |i| (start, i)),
        })
    }

    pub(crate) fn expr(&mut self, expr: &'e Expr) -> Result<bool, String> {
        match expr {
            Expr::Const(value) => Ok(*value),
            // Python's `and`/`or` stop at the first deciding value; so does the error.
            Expr::And(all) => {
                for check in all {
                    if !self.expr(check)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            Expr::Or(any) => {
                for check in any {
                    if self.expr(check)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Expr::Not(check) => Ok(!self.expr(check)?),
            Expr::Query { windows, query } => {
                let mut span = (0, self.trace.len());
                for window in windows {
                    span = self.window(window, span)?;
                }
                self.query(query, span)
            }
        }
    }

    fn query(&mut self, query: &'e Query, span: Span) -> Result<bool, String> {
        let (start, end) = span;
        match query {
            Query::Exists(m) => self.exists(m, span),
            Query::Terminal(m) => {
                if end == start {
                    return Err("IndexError: list index out of range (Terminal on an empty trace)".into());
                }
                let id = self.table(m);
                self.matches(m, id, end - 1)
            }
            Query::Precedes(first, then) => {
                let after = self.first(first, span)?.map_or(span, |i| (i + 1, end));
                self.exists(then, after)
            }
            Query::ActAtFirst { arrive, leave, action, .. } => self.act_at_first(arrive, leave, action, span),
            Query::ActAtAny { arrive, leave, action, .. } => {
                // The tasks' loop over visits, step for step (see `Query::ActAtAny`).
                let mut window = span;
                let mut found = self.act_at_first(arrive, leave, action, window)?;
                loop {
                    let after = self.first(arrive, window)?.map_or(window, |i| (i + 1, window.1));
                    if !self.exists(arrive, after)? {
                        return Ok(found);
                    }
                    window = after;
                    found = found || self.act_at_first(arrive, leave, action, window)?;
                }
            }
            Query::Count(m, n) => {
                let id = self.table(m);
                let mut count = 0;
                for i in start..end {
                    self.step()?;
                    count += usize::from(self.matches(m, id, i)?);
                }
                Ok(count == *n)
            }
        }
    }

    /// rtl.py's `ActAtFirst`: went to the location, and the action happened after the first
    /// arrival and before the next `go_to` elsewhere (evaluated in rtl.py's order).
    fn act_at_first(
        &mut self,
        arrive: &'e Match,
        leave: &'e Match,
        action: &'e Match,
        span: Span,
    ) -> Result<bool, String> {
        let went = self.exists(arrive, span)?;
        let after = self.first(arrive, span)?.map_or(span, |i| (i + 1, span.1));
        let there = self.first(leave, after)?.map_or(after, |i| (after.0, i));
        Ok(self.exists(action, there)? && went)
    }
}

/// The error of a check whose work went past its allowance.
pub(crate) fn over() -> String {
    "the check's work went past its allowance (a trace this long or these texts cost more than a check may spend)"
        .into()
}
