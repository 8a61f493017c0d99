//! [`Verification`]: verdicts reached in this process or by worker processes.

use std::{borrow::Cow, time::Duration};

use robosim_parallel::{ProcessPool, WorkerError};
use robosim_verify::{Verdict, Verifier, Verify, VerifyConfig};

use crate::{Error, Job, Place, SandboxSetup, WorkerSetup, worker::VerifyRequest};

/// A [`Verify`] backend: a [`Verifier`] in this process, or worker processes verifying under
/// the same settings.
#[derive(Debug)]
pub struct Verification {
    config: VerifyConfig,
    how: How,
}

#[derive(Debug)]
enum How {
    Here(Verifier),
    Workers { pool: ProcessPool, fallback: Option<Verifier> },
}

impl Verification {
    /// Verification under `config`, where `place` says.
    ///
    /// # Errors
    /// When this process's sandbox cannot be set up (workers are started on first use).
    pub fn new(config: VerifyConfig, sandbox: &SandboxSetup, place: &Place) -> Result<Self, Error> {
        match place {
            Place::InProcess => Ok(Self::here(Verifier::with_sandbox(
                sandbox.sandbox(config.limits, robosim_parallel::cores())?,
                config,
            ))),
            Place::Workers { command, jobs } => {
                let setup = WorkerSetup { sandbox: sandbox.clone(), job: Job::Verify { settings: config } };
                Ok(Self { config, how: How::Workers { pool: command.pool(&setup, *jobs), fallback: None } })
            }
        }
    }

    /// Verification by `verifier`, in this process.
    #[must_use]
    pub fn here(verifier: Verifier) -> Self {
        Self { config: *verifier.config(), how: How::Here(verifier) }
    }

    /// When no worker process can be started at all, verify in this process with `verifier`
    /// (under the same settings) instead.
    #[must_use]
    pub fn or_in_process(self, verifier: Verifier) -> Self {
        debug_assert_eq!(verifier.config(), &self.config);
        match self.how {
            How::Workers { pool, .. } => Self { how: How::Workers { pool, fallback: Some(verifier) }, ..self },
            How::Here(_) => self,
        }
    }
}

impl Verify for Verification {
    fn verify(&self, source: &str) -> Verdict {
        match &self.how {
            How::Here(verifier) => verifier.verify(source),
            How::Workers { pool, fallback } => {
                match (pool.call::<Verdict>(&VerifyRequest { program: Cow::Borrowed(source) }), fallback) {
                    (Ok(verdict), _) => verdict,
                    (Err(WorkerError::Spawn { .. }), Some(verifier)) => verifier.verify(source),
                    (Err(e), _) => {
                        Verdict::not_run(format!("the verification worker failed: {e}"), 0, 0, Duration::ZERO)
                    }
                }
            }
        }
    }

    fn config(&self) -> &VerifyConfig {
        &self.config
    }
}
