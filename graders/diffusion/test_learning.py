"""Task 7 (training): the student's loss and sampler learn a ring of Gaussians.

The grader's own small ε-MLP is trained inside the sandbox with the submission's
`ddpm_loss` and sampled with its `p_sample_loop`; only the samples come back, and
the checks below judge them. Thresholds have a wide margin over seeds and correct
implementations (a correct pipeline puts about half the samples near a mode or more).
"""

import math

import pytest
import torch

from dlgrade.grading import expect

pytestmark = [pytest.mark.task("test_learning"), pytest.mark.time_limit(60)]
RING = {"modes": 8, "radius": 2.0, "std": 0.1}
CONFIG = {
    **RING,
    "seed": 1234,
    "num_timesteps": 50,
    "hidden": 64,
    "steps": 700,
    "lr": 1e-2,
    "batch": 512,
    "samples": 1000,
}
NEAR = 0.4  # 4 standard deviations of a mode
MIN_NEAR_SHARE = 0.3  # a blob with the ring's spread puts about 0.12 there
MIN_MODE_SHARE = 0.02  # of all samples, for every one of the 8 modes (ideal 0.125)


def _centres() -> torch.Tensor:
    angle = 2 * math.pi * torch.arange(RING["modes"], dtype=torch.float64) / RING["modes"]
    return RING["radius"] * torch.stack([torch.cos(angle), torch.sin(angle)], dim=-1)


@pytest.fixture(scope="module")
def ring_samples(sub, cf):
    sched = sub.helpers.schedule(cf.schedule_values(cf.cosine_betas(CONFIG["num_timesteps"])))
    out = sub.helpers.train_on_ring(sub.ddpm_loss, sub.p_sample_loop, sched, CONFIG)
    out = expect.tensor(out, "p_sample_loop must return a tensor")
    expect.shape(out, (CONFIG["samples"], 2), "p_sample_loop must return the requested shape")
    return out.double()


def _nearest(samples: torch.Tensor):
    dist, idx = torch.cdist(samples, _centres()).min(dim=1)
    finite = torch.isfinite(samples).all(dim=1)
    return (dist < NEAR) & finite, idx


@pytest.mark.points(2)
def test_samples_near_modes(ring_samples):
    """After a short training run, do at least 30 % of the samples land near a mode?"""
    near, _ = _nearest(ring_samples)
    share = near.double().mean().item()
    expect.true(
        share >= MIN_NEAR_SHARE,
        f"after training with your ddpm_loss, only {share:.0%} of p_sample_loop's samples lie "
        f"near one of the ring's modes (a correct pipeline gives about 50 % or more); check "
        "the loss and the sampler against the earlier tasks",
    )


def test_all_modes_covered(ring_samples):
    """Does every one of the 8 modes receive at least 2 % of the samples?"""
    near, idx = _nearest(ring_samples)
    counts = torch.bincount(idx[near], minlength=RING["modes"])
    covered = int((counts >= MIN_MODE_SHARE * CONFIG["samples"]).sum())
    expect.true(
        covered == RING["modes"],
        f"only {covered} of the {RING['modes']} modes of the ring receive a fair share of the "
        "samples (mode collapse or a broken sampler)",
    )
