//! Verification settings as a user gives them: [`VerifyOverrides`] holds only what was set,
//! and [`VerifyOverrides::resolve`] lays it over [`VerifyConfig::default`], the one place the
//! defaults are written. The command line (`robosim settings verify` prints the result), the
//! Python `Verifier` keywords and Rust callers all resolve through it.

use robosim_sandbox::{LimitOverrides, SettingError, setting, size_setting};
use serde::{Deserialize, Serialize};

use crate::{Strategy, VerifyConfig};

/// Random runs per program when the search is [`Search::Random`] and no number was given
/// (the reference checker's count).
pub const DEFAULT_RANDOM_RUNS: usize = 100;

/// How the tree of choices is searched (see [`Strategy`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Search {
    Coverage,
    Exhaustive,
    Random,
}

impl Search {
    /// The name a user writes (`coverage`, `exhaustive`, `random`).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Coverage => "coverage",
            Self::Exhaustive => "exhaustive",
            Self::Random => "random",
        }
    }
}

impl std::str::FromStr for Search {
    type Err = SettingError;

    fn from_str(s: &str) -> Result<Self, SettingError> {
        match s {
            "coverage" => Ok(Self::Coverage),
            "exhaustive" => Ok(Self::Exhaustive),
            "random" => Ok(Self::Random),
            other => Err(SettingError {
                name: "search",
                detail: format!("must be 'coverage', 'exhaustive' or 'random', not {other:?}"),
            }),
        }
    }
}

/// Verification settings the user set; `None` keeps the default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct VerifyOverrides {
    pub search: Option<Search>,
    /// Paths per program, at most (coverage and exhaustive search).
    pub max_paths: Option<u64>,
    /// Choice points explored systematically per path; deeper ones are random.
    pub max_depth: Option<u64>,
    /// Coverage search: paths in a row that show nothing new before it stops (0: never).
    pub patience: Option<u64>,
    /// Random search: runs per program.
    pub random_runs: Option<u64>,
    /// Seed for random choices and the guest's entropy.
    pub seed: Option<u64>,
    /// Fuel for all paths of one program together.
    pub fuel_budget: Option<u64>,
    /// Lower-case double-quoted strings first, as the reference checker does.
    pub reference_normalization: Option<bool>,
    /// Limits of each path.
    #[serde(flatten)]
    pub limits: LimitOverrides,
}

impl VerifyOverrides {
    /// The settings: [`VerifyConfig::default`] with what was set replaced, each checked.
    ///
    /// # Errors
    /// The first setting out of its range.
    pub fn resolve(&self) -> Result<VerifyConfig, SettingError> {
        let base = VerifyConfig::default();
        let Strategy::Coverage { max_paths, max_depth, patience } = Strategy::default() else {
            unreachable!("the default search is the coverage search")
        };
        let max_paths = size_setting("max_paths", self.max_paths, 1, max_paths)?;
        let max_depth = size_setting("max_depth", self.max_depth, 0, max_depth)?;
        let strategy = match self.search.unwrap_or(Search::Coverage) {
            Search::Coverage => Strategy::Coverage {
                max_paths,
                max_depth,
                patience: size_setting("patience", self.patience, 0, patience)?,
            },
            Search::Exhaustive => Strategy::Exhaustive { max_paths, max_depth },
            Search::Random => {
                Strategy::Random { runs: size_setting("random_runs", self.random_runs, 1, DEFAULT_RANDOM_RUNS)? }
            }
        };
        Ok(VerifyConfig {
            strategy,
            seed: self.seed.unwrap_or(base.seed),
            limits: self.limits.over(base.limits)?,
            fuel_budget: setting("fuel_budget", self.fuel_budget, 1, base.fuel_budget)?,
            reference_normalization: self.reference_normalization.unwrap_or(base.reference_normalization),
            ..base
        })
    }
}

#[cfg(test)]
mod tests {
    use robosim_sandbox::LimitOverrides;

    use super::{Search, VerifyOverrides};
    use crate::{Strategy, VerifyConfig};

    #[test]
    fn nothing_set_is_the_default_and_each_setting_lands_where_it_belongs() {
        assert_eq!(VerifyOverrides::default().resolve(), Ok(VerifyConfig::default()));
        let set = VerifyOverrides {
            search: Some(Search::Exhaustive),
            max_paths: Some(7),
            seed: Some(3),
            limits: LimitOverrides { fuel: Some(9), ..LimitOverrides::default() },
            ..VerifyOverrides::default()
        };
        let config = set.resolve().unwrap();
        assert_eq!(config.strategy, Strategy::Exhaustive { max_paths: 7, max_depth: 40 });
        assert_eq!((config.seed, config.limits.fuel), (3, 9));
        assert_eq!(config.fuel_budget, VerifyConfig::default().fuel_budget);
        let random = VerifyOverrides { search: Some(Search::Random), ..VerifyOverrides::default() };
        assert_eq!(random.resolve().unwrap().strategy, Strategy::Random { runs: 100 });
        let bad = VerifyOverrides { max_paths: Some(0), ..VerifyOverrides::default() };
        assert_eq!(bad.resolve().unwrap_err().to_string(), "max_paths must be at least 1, not 0");
        assert_eq!("dfs".parse::<Search>().unwrap_err().name, "search");
    }

    #[test]
    fn overrides_read_from_json_as_flat_keys() {
        let set: VerifyOverrides =
            serde_json::from_str(r#"{"search": "random", "random_runs": 5, "fuel": 10}"#).unwrap();
        assert_eq!(set.resolve().unwrap().strategy, Strategy::Random { runs: 5 });
        assert_eq!(set.limits.fuel, Some(10));
    }
}
