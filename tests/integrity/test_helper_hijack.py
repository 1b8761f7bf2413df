"""Integrity of the learning tests: student code can replace the graders' sandbox helpers.

Everything in the sandbox process is the student's, including the grader-authored helpers
loaded there. A submission can find the sandbox worker and swap a helper for a forgery
that skips the student's (blank) code and returns what a working solution would return:
samples on the data, a good-looking history, ready-made answers. The learning tests must
judge only what the trusted process can check itself (trained weights, evaluated here),
so these forgeries on the blank release score nothing.
"""

from __future__ import annotations

import shutil

import nbformat
import pytest

from dlgrade.authoring.variants import build_for
from tests.conftest import copy_of_assignment

pytestmark = pytest.mark.slow

HIJACK = """
import gc, math, torch
_W = next(o for o in gc.get_objects()
          if type(o).__name__ == "Worker" and hasattr(o, "load_helpers"))

def _forge(H):
{forge}

_orig_load = _W.load_helpers
def _load(src, _orig=_orig_load):
    _orig(src)
    _forge(_W.helpers.__dict__)
_W.load_helpers = _load
_forge(_W.helpers.__dict__)
"""

FORGERIES = {
    "attention": (
        "test_tinygpt.py::test_learns_reversal",
        """
    class Fake(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.zeros(1))
    H["train_reversal"] = lambda seed, *a, **k: (Fake(), [2.0 - i / 40 for i in range(80)])
    H["decode_reversal"] = lambda model, x: x.flip(1)
""",
    ),
    "diffusion": (
        "test_learning.py::test_samples_near_modes",
        """
    def train_on_ring(loss_fn, sched, cfg):
        return H["RingMLP"](int(cfg["num_timesteps"]), hidden=int(cfg["hidden"]))
    def sample_ring(sample_fn, model, sched, cfg):
        g = torch.Generator().manual_seed(0)
        n = int(cfg["samples"])
        angle = 2 * math.pi * torch.randint(0, 8, (n,), generator=g) / 8
        ring = 2 * torch.stack([torch.cos(angle), torch.sin(angle)], -1)
        return ring + 0.05 * torch.randn(n, 2, generator=g)
    H["train_on_ring"], H["sample_ring"] = train_on_ring, sample_ring
""",
    ),
    "energy": (
        "test_train_jem.py::test_samples_near_data",
        """
    def train_blobs(train_fn, init_state, x, y, seed, n_samples, kwargs):
        hidden, d_in = init_state["0.weight"].shape
        model = H["blobs_classifier"](d_in, hidden, init_state["4.weight"].shape[0])
        model.load_state_dict(init_state)
        stats = {"ce": 1.386, "e_data": -1.0, "e_sample": 1.0}
        samples = x[torch.arange(n_samples) % len(x)].clone()
        return {"model": model, "samples": samples, "history": [stats] * kwargs["n_steps"]}
    H["train_blobs"] = train_blobs
""",
    ),
}

# What shows that the forgery was in place and was caught by a trusted measurement.
CAUGHT_BY = {
    "attention": "parameters described in the notebook",
    "diffusion": "has not learned the ring",
    "energy": "does not lead SGLD chains to the data",
}


@pytest.fixture(scope="module", params=sorted(FORGERIES))
def hijacked(request):
    """The blank release plus a cell that swaps the learning helper, graded in a sandbox."""
    assignment = request.param
    course = copy_of_assignment(f"hijack-{assignment}", assignment)
    forge = FORGERIES[assignment][1]
    nb = build_for(course.paths, assignment, "blank")
    nb.cells.append(nbformat.v4.new_code_cell(HIJACK.format(forge=forge.strip("\n"))))
    course.submit("hijacker", nb)
    yield assignment, course.grade(workers=1)["hijacker"]
    shutil.rmtree(course.root, ignore_errors=True)


def test_a_forged_learning_helper_earns_nothing(hijacked):
    """Does a blank submission that replaces the learning helper still score zero?"""
    assignment, result = hijacked
    assert result["status"] == "graded", result["status_detail"]
    assert result["score"] == 0.0, [
        (t["id"], t["output"]) for t in result["tests"] if t["score"] > 0
    ]


def test_the_forgery_is_caught_by_a_trusted_measurement(hijacked):
    """Is the learning test failed by the check made in the trusted process, i.e. was the
    forgery in place and believed by every check that runs in the sandbox?"""
    assignment, result = hijacked
    test_id = FORGERIES[assignment][0]
    verdict = next(t for t in result["tests"] if t["id"].endswith(test_id))
    assert CAUGHT_BY[assignment] in verdict["output"], verdict["output"]
