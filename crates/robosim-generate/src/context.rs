//! What every stage works with: the settings, the seeds, the model and the verifier.

use std::path::PathBuf;

use robosim_llm::{ChatRequest, Client, Completion, Message};
use robosim_verify::Verify;

use crate::{Error, PipelineConfig, Seeds, Similarity, StageSampling};

/// The pipeline's parts, shared by the stages (each stage is a method, in its own module).
#[derive(Debug)]
pub(crate) struct Context {
    pub(crate) config: PipelineConfig,
    /// The seeds, those too close to a benchmark prompt left out.
    pub(crate) seeds: Seeds,
    pub(crate) client: Client,
    pub(crate) verifier: Box<dyn Verify + Send>,
    pub(crate) similarity: Similarity,
    /// The benchmark's prompts (decontamination).
    pub(crate) benchmark: Vec<String>,
    /// Ids of the seeds left out as too close to a benchmark prompt.
    pub(crate) contaminated_seeds: Vec<String>,
}

impl Context {
    /// Asks the model. A failed request (after the client's retries) is the inner error, for
    /// the stage to record; a cache that cannot be written stops the pipeline (outer error).
    pub(crate) fn ask(&self, request: &ChatRequest) -> Result<Result<Completion, robosim_llm::Error>, Error> {
        match self.client.chat(request) {
            Err(robosim_llm::Error::Cache { path, source }) => Err(Error::Io { path, source }),
            answer => Ok(answer),
        }
    }

    /// A request sampled as `stage` says.
    pub(crate) fn request(stage: &StageSampling, messages: Vec<Message>, sample: u32) -> ChatRequest {
        ChatRequest {
            messages,
            temperature: Some(stage.temperature),
            top_p: Some(stage.top_p),
            max_tokens: Some(stage.max_tokens),
            stop: stage.stop.clone(),
            sample,
        }
    }

    pub(crate) fn path(&self, file: &str) -> PathBuf {
        self.config.out_dir.join(file)
    }

    /// A seeded generator for one decision (`what`, `n`), the same on every run.
    pub(crate) fn rng(&self, what: &str, n: u64) -> fastrand::Rng {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ self.config.seed;
        for b in what.bytes().chain(n.to_le_bytes()) {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        fastrand::Rng::with_seed(h)
    }
}
