"""pytest setup: where the project, its fixtures and the reference corpus are."""

import os
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
# The `robosim` binary the justfile built (in $CARGO_TARGET_DIR when that is set, as `just` has it).
BINARY = pathlib.Path(os.environ.get("CARGO_TARGET_DIR") or ROOT / "target") / "release" / "robosim"


@pytest.fixture(scope="session")
def root() -> pathlib.Path:
    return ROOT


@pytest.fixture(scope="session")
def verifier():
    import robosim

    return robosim.Verifier()


def shared(name: str) -> pathlib.Path:
    """`../shared/<name>` beside the project; the test is skipped when it is not there."""
    path = ROOT.parent / "shared" / name
    if not path.is_file():
        pytest.skip(f"{path} is not there (the reference material is not beside the project)")
    return path
