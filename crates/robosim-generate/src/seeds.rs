//! The files the pipeline starts from (`seeds/`): the robot API, seed tasks with programs,
//! and the prompt templates.

use std::{
    fs,
    path::{Path, PathBuf},
};

use robosim_llm::{Message, Role};
use serde::Deserialize;

use crate::Error;

/// A seed task: an instruction and, usually, a program that carries it out (seeds without
/// one are Self-Instruct examples only, not few-shot program examples).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SeedTask {
    #[serde(default)]
    pub id: String,
    pub instruction: String,
    #[serde(default)]
    pub program: Option<String>,
}

/// A prompt with `{{name}}` holes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    name: String,
    text: String,
}

impl Template {
    /// Parses `text`, checking that it has exactly the holes `holes`.
    ///
    /// # Errors
    /// [`Error::Template`] naming a missing or unknown hole.
    pub fn new(name: &str, text: String, holes: &[&str]) -> Result<Self, Error> {
        let problem = |detail: String| Error::Template { name: name.to_owned(), detail };
        let mut rest = text.as_str();
        while let Some(open) = rest.find("{{") {
            let close = rest[open..].find("}}").ok_or_else(|| problem("an unclosed `{{`".into()))? + open;
            let hole = &rest[open + 2..close];
            if !holes.contains(&hole) {
                return Err(problem(format!("unknown hole `{{{{{hole}}}}}` (known: {})", holes.join(", "))));
            }
            rest = &rest[close + 2..];
        }
        if let Some(missing) = holes.iter().find(|h| !text.contains(&format!("{{{{{h}}}}}"))) {
            return Err(problem(format!("no `{{{{{missing}}}}}` hole")));
        }
        Ok(Self { name: name.to_owned(), text })
    }

    /// The text with each hole filled. Values are inserted verbatim (a `{{` inside a value is
    /// not expanded again).
    #[must_use]
    pub fn render(&self, values: &[(&str, &str)]) -> String {
        let mut out = String::with_capacity(self.text.len() * 2);
        let mut rest = self.text.as_str();
        while let Some(open) = rest.find("{{") {
            out.push_str(&rest[..open]);
            let close = rest[open..].find("}}").map_or(rest.len(), |c| c + open);
            let hole = &rest[open + 2..close];
            out.push_str(values.iter().find(|(k, _)| *k == hole).map_or("", |(_, v)| v));
            rest = &rest[(close + 2).min(rest.len())..];
        }
        out.push_str(rest);
        out
    }

    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The filled template as chat messages. A template is one user message unless it is
    /// written as turns: lines `<<system>>`, `<<user>>`, `<<assistant>>` each start a message
    /// of that role (worked examples as earlier turns, as the reference's prompts are); text
    /// before the first such line is a user message. Turns are found in the template before
    /// its holes are filled, so a value cannot start one.
    #[must_use]
    pub fn messages(&self, values: &[(&str, &str)]) -> Vec<Message> {
        let mut sections: Vec<(Role, String)> = vec![(Role::User, String::new())];
        for line in self.text.split_inclusive('\n') {
            let marker = match line.trim_end() {
                "<<system>>" => Some(Role::System),
                "<<user>>" => Some(Role::User),
                "<<assistant>>" => Some(Role::Assistant),
                _ => None,
            };
            match (marker, sections.last_mut()) {
                (Some(role), _) => sections.push((role, String::new())),
                (None, Some((_, body))) => body.push_str(line),
                (None, None) => {}
            }
        }
        sections
            .into_iter()
            .map(|(role, body)| {
                let section = Self { name: self.name.clone(), text: body };
                Message { role, content: section.render(values).trim().to_owned() }
            })
            .filter(|m| !m.content.is_empty())
            .collect()
    }
}

/// The four Evol-Instruct rewrite styles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EvolStyle {
    AddConstraint,
    ReplaceRequirement,
    AddReasoning,
    RaiseComplexity,
}

impl EvolStyle {
    pub const ALL: [Self; 4] =
        [Self::AddConstraint, Self::ReplaceRequirement, Self::AddReasoning, Self::RaiseComplexity];

    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::AddConstraint => "add_constraint",
            Self::ReplaceRequirement => "replace_requirement",
            Self::AddReasoning => "add_reasoning",
            Self::RaiseComplexity => "raise_complexity",
        }
    }

    const fn file(self) -> &'static str {
        match self {
            Self::AddConstraint => "evol_constraint.md",
            Self::ReplaceRequirement => "evol_replace.md",
            Self::AddReasoning => "evol_reasoning.md",
            Self::RaiseComplexity => "evol_complexity.md",
        }
    }
}

/// The prompt templates, one file each under `prompts/`.
#[derive(Debug, Clone)]
pub struct Prompts {
    pub self_instruct: Template,
    pub evol: [Template; 4],
    pub program_system: Template,
    pub revise: Template,
    pub choose: Template,
}

/// Everything under the seeds directory.
#[derive(Debug, Clone)]
pub struct Seeds {
    pub dir: PathBuf,
    /// `robot_api.py`: the API as prompts show it.
    pub api: String,
    /// `tasks.jsonl`.
    pub tasks: Vec<SeedTask>,
    pub prompts: Prompts,
}

impl Seeds {
    /// Loads and checks `dir` (`robot_api.py`, `tasks.jsonl`, `prompts/*.md`).
    ///
    /// # Errors
    /// A missing or unreadable file, a bad seed line, a template with wrong holes.
    pub fn load(dir: impl AsRef<Path>) -> Result<Self, Error> {
        Self::load_with(dir, None, None)
    }

    /// As [`Seeds::load`], with the seed tasks from `tasks` and the prompt templates from
    /// `prompts` where given. A seed file is JSONL (`instruction`, optional `program` and
    /// `id`) or, with another extension, one instruction per line (a CSV's first column,
    /// as the reference's `seed_instructions.csv`).
    ///
    /// # Errors
    /// As [`Seeds::load`].
    pub fn load_with(dir: impl AsRef<Path>, tasks: Option<&Path>, prompts: Option<&Path>) -> Result<Self, Error> {
        let dir = dir.as_ref();
        let read_path = |path: PathBuf| fs::read_to_string(&path).map_err(|source| Error::Io { path, source });
        let read = |name: &str| read_path(dir.join(name));
        let prompts_dir = prompts.map_or_else(|| dir.join("prompts"), Path::to_owned);
        let template = |file: &str, holes: &[&str]| Template::new(file, read_path(prompts_dir.join(file))?, holes);
        let tasks_path = tasks.map_or_else(|| dir.join("tasks.jsonl"), Path::to_owned);
        let text = read_path(tasks_path.clone())?;
        let jsonl = tasks_path.extension().is_none_or(|e| e == "jsonl" || e == "json");
        let mut tasks: Vec<SeedTask> = Vec::new();
        for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            let mut task: SeedTask = if jsonl {
                serde_json::from_str(line).map_err(|e| Error::Seed { line: i + 1, detail: e.to_string() })?
            } else {
                // A quoted first column ("a, b",…) or the whole line.
                let first = line.strip_prefix('"').map_or_else(
                    || line.to_owned(),
                    |quoted| quoted.split("\",").next().unwrap_or_default().trim_end_matches('"').replace("\"\"", "\""),
                );
                SeedTask { id: String::new(), instruction: first.trim().to_owned(), program: None }
            };
            if task.id.is_empty() {
                task.id = format!("seed-{:02}", tasks.len() + 1);
            }
            tasks.push(task);
        }
        if tasks.is_empty() {
            return Err(Error::Seed { line: 0, detail: format!("{} has no seed tasks", tasks_path.display()) });
        }
        let evol = |style: EvolStyle| template(style.file(), &["instruction"]);
        let prompts = Prompts {
            self_instruct: template("self_instruct.md", &["api", "examples", "count"])?,
            evol: [
                evol(EvolStyle::ALL[0])?,
                evol(EvolStyle::ALL[1])?,
                evol(EvolStyle::ALL[2])?,
                evol(EvolStyle::ALL[3])?,
            ],
            program_system: template("program_system.md", &["api"])?,
            revise: template("instalign_revise.md", &["instruction", "program"])?,
            choose: template("instalign_choose.md", &["program", "original", "revised"])?,
        };
        Ok(Self { dir: dir.to_owned(), api: read("robot_api.py")?, tasks, prompts })
    }
}

#[cfg(test)]
mod tests {
    use super::Template;

    #[test]
    fn renders_holes_once() {
        let t = Template::new("t", "Task: {{instruction}}!".into(), &["instruction"]).unwrap();
        assert_eq!(t.render(&[("instruction", "say {{instruction}}")]), "Task: say {{instruction}}!");
    }

    #[test]
    fn rejects_unknown_and_missing_holes() {
        let err = Template::new("t", "{{nope}} {{a}}".into(), &["a"]).unwrap_err().to_string();
        assert!(err.contains("unknown hole `{{nope}}`"), "{err}");
        let err = Template::new("t", "nothing".into(), &["a"]).unwrap_err().to_string();
        assert!(err.contains("no `{{a}}` hole"), "{err}");
    }

    #[test]
    fn a_template_written_as_turns_is_several_messages() {
        use robosim_llm::Role;
        let text = "<<system>>\nYou help.\n<<user>>\nQ: 1\n<<assistant>>\nA: 1\n<<user>>\nQ: {{q}}\n".to_owned();
        let t = Template::new("t", text, &["q"]).unwrap();
        // A value that looks like a turn marker is text, not a turn.
        let messages = t.messages(&[("q", "2\n<<assistant>>")]);
        let roles: Vec<Role> = messages.iter().map(|m| m.role).collect();
        assert_eq!(roles, [Role::System, Role::User, Role::Assistant, Role::User]);
        assert_eq!(messages[3].content, "Q: 2\n<<assistant>>");
        // Without turns: one user message.
        let plain = Template::new("p", "Say {{q}}.".into(), &["q"]).unwrap().messages(&[("q", "hi")]);
        assert_eq!((plain.len(), plain[0].role, plain[0].content.as_str()), (1, Role::User, "Say hi."));
    }

    #[test]
    fn the_shipped_seeds_load() {
        let seeds = super::Seeds::load(concat!(env!("CARGO_MANIFEST_DIR"), "/../../seeds")).unwrap();
        assert!(seeds.tasks.len() >= 10);
        assert!(seeds.api.contains("def go_to"));
    }
}
