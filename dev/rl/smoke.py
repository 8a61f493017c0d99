"""An end-to-end smoke run of RL with robosim's reward (`just rl-smoke`; not in CI: it installs
torch). TRL's GRPOTrainer trains, for a few steps on the CPU, a tiny GPT-2 initialised from a
config, with a byte-level BPE tokenizer trained here on robosim's example programs (nothing is
downloaded but the packages), rewarded by `robosim.rewards.GradeReward` on robosim's example
tasks (`seeds/examples`). It prints each step's reward and the grades of the last completions.
"""

import json
import pathlib
import sys
import tempfile

from datasets import Dataset
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast
from trl import GRPOConfig, GRPOTrainer

from robosim.rewards import GradeReward

ROOT = pathlib.Path(__file__).resolve().parents[2]
TASKS = ROOT / "seeds" / "examples"
STEPS = int(sys.argv[1]) if len(sys.argv) > 1 else 4

rows = [json.loads(line) for line in (ROOT / "data" / "completions.jsonl").read_text().splitlines()]
tasks = [json.loads(p.read_text()) for p in sorted(TASKS.glob("*.json"))]
prompts = [{"prompt": f"# {prompt}\ndef task_program():\n", "task": t["name"]} for t in tasks for prompt in t["prompts"]]

# A tokenizer of our own: byte-level BPE on the example programs and prompts.
bpe = Tokenizer(models.BPE(unk_token=None))
bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
bpe.decoder = decoders.ByteLevel()
texts = [r["completion"] for r in rows] + [p["prompt"] for p in prompts]
bpe.train_from_iterator(texts * 4, trainers.BpeTrainer(vocab_size=600, special_tokens=["<|endoftext|>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
tokenizer = PreTrainedTokenizerFast(tokenizer_object=bpe, eos_token="<|endoftext|>", pad_token="<|endoftext|>")

eos = tokenizer.eos_token_id
model = GPT2LMHeadModel(GPT2Config(vocab_size=len(tokenizer), n_positions=256, n_embd=64, n_layer=2, n_head=2, bos_token_id=eos, eos_token_id=eos))
dataset = Dataset.from_list(prompts * 4)
reward = GradeReward(str(TASKS), mode="fraction", jobs=2)
seen = []


def logged(completions, **kwargs):
    """GradeReward, keeping what it was given and gave, for the report below."""
    values = reward(completions=completions, **kwargs)
    seen.append((completions, kwargs.get("task"), values))
    return values


logged.__name__ = "robosim_fraction"

with tempfile.TemporaryDirectory() as out:
    config = GRPOConfig(
        output_dir=out,
        max_steps=STEPS,
        per_device_train_batch_size=8,
        num_generations=4,
        max_completion_length=48,
        learning_rate=1e-3,
        logging_steps=1,
        report_to="none",
        use_cpu=True,
        bf16=False,
        save_strategy="no",
    )
    trainer = GRPOTrainer(model=model, reward_funcs=[logged], args=config, train_dataset=dataset, processing_class=tokenizer)
    trainer.train()
    steps = [h for h in trainer.state.log_history if "reward" in h]

print(f"rl-smoke: TRL GRPOTrainer ran {len(steps)} steps on the CPU, rewarded by robosim.rewards.GradeReward on {TASKS.name}")
for h in steps:
    print(f"  step {h.get('step')}: reward mean {h['reward']:.3f} (std {h.get('reward_std', float('nan')):.3f})")
completions, task_names, values = seen[-1]
print(f"  the last batch: {len(values)} completions, {sum(v is not None for v in values)} graded, rewards {values}")
assert len(steps) == STEPS and all(v is not None for v in values), "every completion names a known task"
