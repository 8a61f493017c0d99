//! Stages and the progress they report.

/// A pipeline stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    Instructions,
    Programs,
    Align,
    Export,
}

impl Stage {
    pub const ALL: [Self; 4] = [Self::Instructions, Self::Programs, Self::Align, Self::Export];

    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Instructions => "instructions",
            Self::Programs => "programs",
            Self::Align => "align",
            Self::Export => "export",
        }
    }
}

/// Progress, for bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// A stage (or an instruction round) begins with `total` units of work.
    Started {
        stage: Stage,
        total: u64,
    },
    /// One unit done.
    Advanced {
        stage: Stage,
    },
    Finished {
        stage: Stage,
    },
}

/// Progress callback, called from worker threads.
pub type OnProgress<'a> = &'a (dyn Fn(Progress) + Sync);
