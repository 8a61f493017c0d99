"""A checkout of RoboEval, loaded as its own code loads it.

Two layouts are known: ut-amrl/robo-instruct (`roboeval/benchmark/...`, what the Robo-Instruct
paper evaluated with; no ablation tasks) and ut-amrl/codebotler (`benchmark/...`, with the
open-world-knowledge ablations under `benchmark/tasks/open_world_knowledge/`). The benchmark's
own `rtl.py`, `simulator.py` and `misc/benchmark_utils.py` are loaded from the checkout under
both import paths the task files use, so a task file runs unmodified; numpy and pandas, which
those modules import but the parts used here do not need, are stubbed when missing.
"""

import importlib.util
import subprocess
import sys
import types
from pathlib import Path

from symbolic import SYMBOLIC_GLOBALS, SymbolicTrace, compile_symbolic


# Ablations whose own states contradict the traces of RoboEval's published results: these run on
# the main task's states instead (a deliberate deviation, in seeds/roboeval/README.md).
MAIN_TASK_STATES = {
    "LunchTimeAblation": "the file's states have aiden's office where the published traces visit jill's",
}


class Checkout:
    def __init__(self, root: Path):
        self.root = Path(root).resolve()
        if (self.root / "roboeval/benchmark/rtl.py").is_file():
            self.layout, self.bench, self.misc = "robo-instruct", self.root / "roboeval/benchmark", self.root / "roboeval/misc"
        elif (self.root / "benchmark/rtl.py").is_file():
            self.layout, self.bench, self.misc = "codebotler", self.root / "benchmark", self.root / "misc"
        else:
            raise SystemExit(f"{root}: neither a robo-instruct nor a codebotler checkout (no rtl.py)")
        self.tasks_dir = self.bench / "tasks"
        self.modules = self._load_support()

    @property
    def repository(self) -> str:
        return "ut-amrl/robo-instruct" if self.layout == "robo-instruct" else "ut-amrl/codebotler"

    def commit(self) -> str:
        try:
            out = subprocess.run(["git", "-C", str(self.root), "rev-parse", "HEAD"], capture_output=True, text=True)
            return out.stdout.strip() or "unknown"
        except OSError:
            return "unknown"

    def task_files(self):
        """Main tasks and ablations: {name: path}."""
        files = {p.stem: p for p in sorted(self.tasks_dir.glob("*.py")) if p.stem != "__init__"}
        owk = self.tasks_dir / "open_world_knowledge"
        files.update({p.stem: p for p in sorted(owk.glob("*.py")) if p.stem != "__init__"})
        return files

    def source_name(self, path: Path) -> str:
        return str(path.relative_to(self.root))

    def _load_support(self):
        for heavy in ("numpy", "pandas"):
            if heavy not in sys.modules and importlib.util.find_spec(heavy) is None:
                sys.modules[heavy] = types.ModuleType(heavy)
        for package in ("roboeval", "roboeval.benchmark", "roboeval.misc", "benchmark", "misc"):
            module = types.ModuleType(package)
            module.__path__ = []
            sys.modules[package] = module
        self.names = {}
        loaded = {}
        for short, path in (("rtl", self.bench / "rtl.py"), ("simulator", self.bench / "simulator.py"),
                            ("benchmark_utils", self.misc / "benchmark_utils.py")):
            package = "misc" if short == "benchmark_utils" else "benchmark"
            spec = importlib.util.spec_from_file_location(f"roboeval.{package}.{short}", path)
            module = importlib.util.module_from_spec(spec)
            self.names[module] = (f"roboeval.{package}.{short}", f"{package}.{short}")
            self._register(module)
            spec.loader.exec_module(module)
            loaded[short] = module
        public = {n for n in dir(loaded["rtl"].Trace) if not n.startswith("_")}
        if public - SymbolicTrace.MODELLED:
            raise SystemExit(f"rtl.py's Trace has methods this tool does not model: {sorted(public - SymbolicTrace.MODELLED)}")
        return loaded

    def _register(self, module):
        for name in self.names[module]:
            sys.modules[name] = module

    def load_task(self, path: Path, symbolic: bool):
        """The task file's module namespace: `name`, `prompts`, `tests`. Symbolic: boolean
        operators rewritten and `Trace` symbolic, so each test returns its tree."""
        for module in self.names:
            self._register(module)  # this checkout's support modules, not another's
        source = path.read_text()
        namespace = {"__name__": f"roboeval_task_{path.stem}", "__file__": str(path)}
        if symbolic:
            namespace.update(SYMBOLIC_GLOBALS)
            exec(compile_symbolic(source, str(path)), namespace)
            namespace["Trace"] = SymbolicTrace
        else:
            exec(compile(source, str(path), "exec"), namespace)
        return namespace
