//! [`Work`]: host work done for a program, metered in units and bounded by an allowance.
//!
//! Some of what a world does grows with what the program passes it: RoboEval's simulator turns
//! every name a program places into a regular expression and searches with it on later calls.
//! That work is charged, before it is done, by an estimate that depends only on the pattern
//! and the text ([`PatternCost`](crate::PatternCost)), never by the clock: the same program
//! costs the same on any machine, alone or after anything. The sandbox gives a world its
//! allowance from the run's remaining fuel before each robot call and charges what was used
//! afterwards; a call that would go past it is refused, and the run ends as out of fuel.
//!
//! A unit is about one step of a matcher over one byte (a few nanoseconds at most here).

/// A meter of host work: units used, and how many may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Work {
    used: u64,
    allowed: u64,
    exceeded: bool,
}

/// The allowance was spent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the host work allowed for this run is spent")]
pub struct OverAllowance;

impl Work {
    /// A meter allowing `allowed` units.
    #[must_use]
    pub const fn new(allowed: u64) -> Self {
        Self { used: 0, allowed, exceeded: false }
    }

    /// Counts `units` about to be spent; refuses (and marks the meter exceeded) when they
    /// do not fit what is left, so the work is never done.
    ///
    /// # Errors
    /// [`OverAllowance`] when `units` are more than what is left.
    pub fn charge(&mut self, units: u64) -> Result<(), OverAllowance> {
        if self.exceeded || units > self.allowed - self.used {
            self.exhaust();
            return Err(OverAllowance);
        }
        self.used += units;
        Ok(())
    }

    /// Spends the whole allowance (work that cannot be done within any).
    pub fn exhaust(&mut self) {
        self.used = self.allowed;
        self.exceeded = true;
    }

    /// Units used so far.
    #[must_use]
    pub const fn used(&self) -> u64 {
        self.used
    }

    /// Whether some work was refused.
    #[must_use]
    pub const fn exceeded(&self) -> bool {
        self.exceeded
    }

    /// A fresh allowance of `allowed` units, returning what was used and refused under the
    /// last one.
    pub fn renew(&mut self, allowed: u64) -> Self {
        std::mem::replace(self, Self::new(allowed))
    }
}

#[cfg(test)]
mod tests {
    use super::Work;

    #[test]
    fn work_past_the_allowance_is_refused_and_spends_it() {
        let mut work = Work::new(10);
        assert!(work.charge(4).is_ok());
        assert!(work.charge(7).is_err());
        assert!(work.exceeded());
        assert_eq!(work.used(), 10);
        assert!(work.charge(0).is_err(), "nothing more once exceeded");
        let last = work.renew(5);
        assert_eq!((last.used(), last.exceeded()), (10, true));
        assert_eq!((work.used(), work.exceeded()), (0, false));
    }
}
