"""Task 7 (training): the student's loss and sampler learn a ring of Gaussians.

The grader's own small ε-MLP is trained inside the sandbox with the submission's
`ddpm_loss` and sampled with its `p_sample_loop`. Two things come back as plain data: those
samples, and the trained network's weights. The weights are loaded into the grader's own
copy of the network here, in the trusted process, and sampled with the reference sampler:
that measures the loss on its own, and nothing in the sandbox can report a trained network
it did not produce. The student's samples then measure the sampler on the same network.
Thresholds have a wide margin over seeds and correct implementations (a correct pipeline
puts about half the samples near a mode or more; an untrained network about a tenth).
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
def trained(sub, cf):
    """The network trained with the student's loss (a handle) and the schedule used."""
    values = cf.schedule_values(cf.cosine_betas(CONFIG["num_timesteps"]))
    sched = sub.helpers.schedule(values)
    return sub.helpers.train_on_ring(sub.ddpm_loss, sched, CONFIG), sched


@pytest.fixture(scope="module")
def network_samples(sub, trained, ref, cf, trusted_helpers):
    """Samples of the trained network drawn here, by the reference sampler, from its
    weights fetched as plain tensors."""
    net = trusted_helpers.RingMLP(CONFIG["num_timesteps"], hidden=CONFIG["hidden"])
    expect.weights(sub.builtins.state_dict(trained[0]), net, "the trained network")
    net.eval().requires_grad_(False)
    sched = ref.DiffusionSchedule(cf.cosine_betas(CONFIG["num_timesteps"]))
    g = torch.Generator().manual_seed(CONFIG["seed"] + 1)
    with torch.no_grad():
        out = ref.p_sample_loop(net, (CONFIG["samples"], 2), sched, generator=g)
    return out.double()


@pytest.fixture(scope="module")
def ring_samples(sub, trained):
    """Samples of the same network drawn by the student's p_sample_loop."""
    out = sub.helpers.sample_ring(sub.p_sample_loop, *trained, CONFIG)
    out = expect.tensor(out, "p_sample_loop must return a tensor")
    expect.shape(out, (CONFIG["samples"], 2), "p_sample_loop must return the requested shape")
    return out.double()


def _nearest(samples: torch.Tensor):
    dist, idx = torch.cdist(samples, _centres()).min(dim=1)
    finite = torch.isfinite(samples).all(dim=1)
    return (dist < NEAR) & finite, idx


def _share(samples: torch.Tensor) -> float:
    return _nearest(samples)[0].double().mean().item()


def _covered(samples: torch.Tensor) -> int:
    near, idx = _nearest(samples)
    counts = torch.bincount(idx[near], minlength=RING["modes"])
    return int((counts >= MIN_MODE_SHARE * CONFIG["samples"]).sum())


@pytest.mark.points(2)
def test_samples_near_modes(network_samples, ring_samples):
    """After a short training run, do at least 30 % of the samples land near a mode,
    both from the reference sampler and from p_sample_loop?"""
    share = _share(network_samples)
    expect.true(
        share >= MIN_NEAR_SHARE,
        f"the network trained with your ddpm_loss has not learned the ring: sampled by the "
        f"grader's own sampler, only {share:.0%} of its samples lie near one of the ring's "
        "modes (a correct loss gives about 50 % or more); check the loss against the "
        "earlier tasks (noise target, q_sample, timesteps)",
    )
    own = _share(ring_samples)
    expect.true(
        own >= MIN_NEAR_SHARE,
        f"your p_sample_loop puts only {own:.0%} of its samples near one of the ring's modes, "
        f"while the grader's own sampler on the same trained network puts {share:.0%} there; "
        "check the sampler against the earlier tasks",
    )


def test_all_modes_covered(network_samples, ring_samples):
    """Does every one of the 8 modes receive at least 2 % of the samples?"""
    for samples, whose in ((network_samples, "the grader's sampler"), (ring_samples, "yours")):
        covered = _covered(samples)
        expect.true(
            covered == RING["modes"],
            f"only {covered} of the {RING['modes']} modes of the ring receive a fair share of "
            f"the samples ({whose}, on the network trained with your ddpm_loss): mode "
            "collapse or a broken sampler",
        )
