//! What the model is asked: robosim's own prompt (the robot API as `seeds/robot_api.py` shows
//! it, a few worked examples of robosim's own, then the instruction) or a prefix the user
//! brings, such as RoboEval's `code_generation/prompt_prefix.py`.

use robosim_llm::{ChatRequest, Message, TextRequest};

/// The API and examples robosim shows a model before the instruction: ends in
/// `# Instruction: `, as RoboEval's prefix does, so either can be followed by the same suffix.
#[must_use]
pub fn default_prefix() -> String {
    format!(
        "{}\n\n{}\n# Instruction: ",
        include_str!("../../../seeds/robot_api.py").trim_end(),
        include_str!("../../../seeds/prompts/eval_examples.py").trim_end()
    )
}

/// What follows the instruction: the head of the function, so that a base model writes its
/// body (RoboEval's post-processing puts the head back on).
pub const DEFAULT_SUFFIX: &str = "\ndef task_program():\n";

/// RoboEval's stop strings for a base model (robo-instruct's `roboeval_vllm.py`): the model
/// stops at the next comment, function, class, fence or import.
pub const ROBOEVAL_STOP: [&str; 5] = ["\n#", "\ndef", "\nclass", "```", "import"];

/// How the model is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Api {
    /// `/completions`: the model continues `prefix + instruction + suffix` (base models; the
    /// paper's and RoboEval's way).
    Completions,
    /// `/chat/completions`: `prefix + instruction + suffix` as one user message (instruction-
    /// tuned models; the answer's code is taken out of its fence).
    Chat,
}

/// The prompt around an instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromptTemplate {
    pub prefix: String,
    pub suffix: String,
}

impl Default for PromptTemplate {
    fn default() -> Self {
        Self { prefix: default_prefix(), suffix: DEFAULT_SUFFIX.to_owned() }
    }
}

impl PromptTemplate {
    /// The text the model sees for `instruction`.
    #[must_use]
    pub fn render(&self, instruction: &str) -> String {
        format!("{}{instruction}{}", self.prefix, self.suffix)
    }
}

/// The sampling settings of every request.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Sampling {
    /// Completions per prompt (`n`).
    pub samples: u32,
    pub temperature: f64,
    pub top_p: f64,
    pub max_tokens: u32,
    pub stop: Vec<String>,
}

impl Sampling {
    /// Greedy decoding (temperature 0), one completion per prompt (the paper's greedy
    /// pass@1); otherwise as [`Sampling::roboeval`].
    #[must_use]
    pub fn greedy() -> Self {
        Self { samples: 1, temperature: 0.0, ..Self::roboeval() }
    }

    /// RoboEval's sampling: 20 completions per prompt at temperature 0.2, top-p 0.95, at most
    /// 512 tokens, its stop strings (robo-instruct's `roboeval_vllm.py` defaults).
    #[must_use]
    pub fn roboeval() -> Self {
        Self {
            samples: 20,
            temperature: 0.2,
            top_p: 0.95,
            max_tokens: 512,
            stop: ROBOEVAL_STOP.iter().map(|s| (*s).to_owned()).collect(),
        }
    }
}

/// One request.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Request {
    Text(TextRequest),
    Chat(ChatRequest),
}

/// The request for sample `sample` of `instruction`.
pub(crate) fn request(
    api: Api,
    template: &PromptTemplate,
    sampling: &Sampling,
    instruction: &str,
    sample: u32,
) -> Request {
    let text = template.render(instruction);
    match api {
        Api::Completions => Request::Text(TextRequest {
            prompt: text,
            temperature: Some(sampling.temperature),
            top_p: Some(sampling.top_p),
            max_tokens: Some(sampling.max_tokens),
            stop: sampling.stop.clone(),
            sample,
        }),
        Api::Chat => Request::Chat(ChatRequest {
            messages: vec![Message::user(text)],
            temperature: Some(sampling.temperature),
            top_p: Some(sampling.top_p),
            max_tokens: Some(sampling.max_tokens),
            stop: sampling.stop.clone(),
            sample,
        }),
    }
}
