//! robosim's benchmark evaluation: a model behind an OpenAI-compatible server evaluated on
//! RoboEval in one call. Every prompt of every task is asked `n` times, with RoboEval's
//! sampling settings and stop strings; each answer is cut to `task_program` as RoboEval cuts
//! it, graded in the sandbox as RoboEval grades it (and on the task's ablations), and counted
//! into pass@k (the unbiased estimator) and RoboEval's error breakdown. Answers are cached by
//! the client, so a run stopped half-way and started again asks only for what it lacks.
//!
//! ```
//! use robosim_eval::{EvalConfig, Sampling, evaluate};
//! use robosim_grade::{InProcess, Task};
//! use robosim_llm::{Client, ClientConfig};
//! use robosim_sandbox::Sandbox;
//! # use robosim_llm::mock::{Reply, ScriptedServer};
//! # let server = ScriptedServer::start(|request, _| Reply::answer(request, "    say('I do not know')\n"))?;
//! # let base_url = server.base_url();
//! # let dir = tempfile::tempdir()?;
//!
//! let mut tasks = Task::load_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../../seeds/roboeval").as_ref())?;
//! tasks.retain(|t| t.name == "CountSavory");
//! // base_url: the model's server, e.g. vLLM's http://127.0.0.1:8000/v1 (scripted here).
//! let mut llm = ClientConfig::new(&base_url, "codellama-7b-robo-instruct");
//! llm.cache_dir = Some(dir.path().join("cache"));
//! let mut config = EvalConfig::new(dir.path());
//! config.sampling = Sampling { samples: 2, ..Sampling::roboeval() };
//! config.ks = vec![1, 2];
//! config.ablations = false;
//! let sandbox = Sandbox::new()?;
//! let summary = evaluate(&config, &tasks, &Client::new(llm), &InProcess::new(&sandbox), &mut |_| {})?;
//! assert_eq!(summary.completions, 10, "5 prompts, 2 samples each");
//! println!("pass@1 {:?}, errors {:?}", summary.pass_at.get("1"), summary.errors);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]

mod error;
mod prompt;
mod run;
mod summary;

pub use error::Error;
pub use prompt::{Api, DEFAULT_SUFFIX, PromptTemplate, ROBOEVAL_STOP, Sampling, default_prefix};
pub use run::{EvalConfig, EvalSummary, Graded, Progress, evaluate};
pub use summary::{PromptCount, TaskResult, pass_at_k};
