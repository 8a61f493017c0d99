"""Verification as a batch transform for data tools: Ray Data's ``map_batches`` and Hugging
Face ``datasets``' ``Dataset.map(batched=True)``.

``VerifyBatch`` is a callable class: Ray makes one per actor (so each actor holds one
``Verifier`` and its compiled sandbox), ``datasets`` one per worker process.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional


class VerifyBatch:
    """Adds verdict columns to a batch of rows that have a program column.

    The batch is a mapping of column name to a list (or array) of values, as
    ``map_batches(..., batch_format="numpy")`` / ``"pandas"``-less dicts and ``datasets``
    give it. Added columns: ``accepted`` (bool), ``error_class`` and ``error`` (str, "" when
    accepted), ``line`` (int, -1 when unknown), ``paths`` (int), ``stopped`` (str) and
    ``verdict`` (the whole verdict as JSON text).
    """

    def __init__(self, column: str = "program", jobs: Optional[int] = 1, **settings: Any) -> None:
        from robosim import Verifier

        self.column = column
        self.jobs = jobs
        self.settings = settings
        # Made now, so that a bad setting fails here (ValueError) and not in a worker.
        self._verifier: Optional[Verifier] = Verifier(**settings)

    @property
    def verifier(self) -> Any:
        """The ``Verifier``, made again in each process this object is copied to."""
        if self._verifier is None:
            from robosim import Verifier

            self._verifier = Verifier(**self.settings)
        return self._verifier

    def __getstate__(self) -> Dict[str, Any]:
        # Pickled (to worker processes) as its settings; the sandbox is not copied.
        state = dict(self.__dict__)
        state["_verifier"] = None
        return state

    def __call__(self, batch: Mapping[str, Any]) -> Dict[str, Any]:
        import json

        programs = [str(p) for p in batch[self.column]]
        verdicts = self.verifier.verify_many(programs, jobs=self.jobs)
        out: Dict[str, Any] = {k: v for k, v in batch.items()}
        out["accepted"] = [v.accepted for v in verdicts]
        out["error_class"] = [v.error_class or "" for v in verdicts]
        out["error"] = [v.error or "" for v in verdicts]
        out["line"] = [-1 if v.line is None else v.line for v in verdicts]
        out["paths"] = [v.paths for v in verdicts]
        out["stopped"] = [v.stopped for v in verdicts]
        out["verdict"] = [json.dumps(v.to_dict(), sort_keys=True) for v in verdicts]
        return out


def verdict_columns() -> List[str]:
    """The columns ``VerifyBatch`` adds."""
    return ["accepted", "error_class", "error", "line", "paths", "stopped", "verdict"]
