"""Task 6 (evaluation): expected calibration error and AUROC of OOD detection."""

import pytest
import torch

from dlgrade.grading import expect

pytestmark = pytest.mark.task("test_evaluation")


# ---------------------------------------------------------------- expected calibration error


def _ece_parts(conf, correct, n_bins, right_closed=True):
    """(share, accuracy, confidence) of the non-empty bins (b/M, (b+1)/M], in float64."""
    parts = []
    for b in range(n_bins):
        lo, hi = b / n_bins, (b + 1) / n_bins
        if right_closed:
            mask = (conf > lo) & (conf <= hi)
        else:
            mask = (conf >= lo) & ((conf < hi) if b < n_bins - 1 else (conf <= hi))
        if mask.any():
            parts.append(
                (mask.double().mean(), correct[mask].double().mean(), conf[mask].double().mean())
            )
    return parts


def _ece_variants(probs, labels, n_bins):
    """The ECE, and what typical misreadings of the definition return instead."""
    probs = probs.double()
    conf, pred = probs.max(1)
    correct = pred == labels
    parts = _ece_parts(conf, correct, n_bins)
    ece = sum(w * (a - c).abs() for w, a, c in parts)
    true_class = probs[torch.arange(len(labels)), labels]
    wrong = {
        "the bins are weighted equally; weight each bin by its share of the samples |B|/N": (
            sum((a - c).abs() for _, a, c in parts) / len(parts)
        ),
        "the gaps are not taken in absolute value: use |acc(B) - conf(B)|, not "
        "acc(B) - conf(B)": sum(w * (a - c) for w, a, c in parts),
        "the gaps are not taken in absolute value: use |acc(B) - conf(B)|, not "
        "conf(B) - acc(B)": sum(w * (c - a) for w, a, c in parts),
        "this is the largest gap (maximum calibration error), not the weighted sum": max(
            (a - c).abs() for _, a, c in parts
        ),
        "the confidence is the largest probability max_k p_ik, not the probability of the "
        "true class": sum(w * (a - c).abs() for w, a, c in _ece_parts(true_class, correct, n_bins)),
        "the bins are [b/M, (b+1)/M); they are (b/M, (b+1)/M], closed on the right": sum(
            w * (a - c).abs() for w, a, c in _ece_parts(conf, correct, n_bins, right_closed=False)
        ),
    }
    if n_bins != 10:
        wrong["n_bins is ignored: use n_bins equal-width bins"] = sum(
            w * (a - c).abs() for w, a, c in _ece_parts(conf, correct, 10)
        )
    return ece, {k: float(v) for k, v in wrong.items()}


def _number(value, what):
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return float(value.reshape(()))
    expect.true(
        isinstance(value, (int, float)) and not isinstance(value, bool),
        f"{what} should return a single number (a Python float)",
    )
    return float(value)


def _check_ece(sub, probs, labels, n_bins, message):
    out = _number(
        sub.expected_calibration_error(probs, labels, n_bins=n_bins), "expected_calibration_error"
    )
    expected, wrong = _ece_variants(probs, labels, n_bins)
    expect.close(out, float(expected), message, rtol=1e-5, atol=1e-6, diagnoses=wrong)


def _random_probs(seed, n, c, scale=2.0):
    g = torch.Generator().manual_seed(seed)
    probs = torch.softmax(scale * torch.randn(n, c, generator=g, dtype=torch.float64), 1)
    labels = torch.multinomial(probs, 1, generator=g).reshape(-1)
    # mix in some deliberately wrong labels so that accuracy and confidence differ
    flip = torch.rand(n, generator=g) < 0.2
    labels[flip] = torch.randint(0, c, (int(flip.sum()),), generator=g)
    return probs, labels


def require_ece(sub, seed) -> None:
    """The worked example and the perfect case pay for a working ECE only: on random
    predictions it must be the definition or what a typical misreading gives (a single
    bin gives the worked example's value and 0 for perfect predictions too; the gaps
    without absolute value are left out, as their sum is that single bin's gap)."""
    probs, labels = _random_probs(seed + 1, 200, 3)
    expected, wrong = _ece_variants(probs, labels, 10)
    binned = [v for k, v in wrong.items() if "absolute value" not in k]
    ece = sub.expected_calibration_error(probs, labels, n_bins=10)
    expect.true(
        any(expect.is_close(ece, c, rtol=1e-5, atol=1e-6) for c in (float(expected), *binned)),
        "this point is for a working expected_calibration_error: on random predictions it "
        "does not compute the binned calibration gap (nor a typical mistake in it)",
    )


@pytest.mark.points(1)
@pytest.mark.visible
def test_ece_worked_example(sub, seed):
    """Is the ECE of a small hand-computed example right (4 bins)?"""
    probs = torch.tensor(
        [
            [0.9, 0.1],
            [0.6, 0.4],
            [0.35, 0.65],
            [0.2, 0.8],
            [0.95, 0.05],
            [0.45, 0.55],
            [0.85, 0.15],
        ],
        dtype=torch.float64,
    )
    labels = torch.tensor([0, 1, 1, 0, 0, 0, 0])
    # (0.5, 0.75]: 0.6 wrong, 0.65 right, 0.55 wrong          -> 3/7 * |1/3 - 0.6|
    # (0.75, 1]:   0.9 right, 0.8 wrong, 0.95 right, 0.85 right -> 4/7 * |3/4 - 0.875|
    expected = 3 / 7 * abs(1 / 3 - 0.6) + 4 / 7 * abs(3 / 4 - 0.875)
    out = _number(
        sub.expected_calibration_error(probs, labels, n_bins=4), "expected_calibration_error"
    )
    _, wrong = _ece_variants(probs, labels, 4)
    expect.close(
        out,
        expected,
        "expected_calibration_error is wrong on a 7-sample example",
        rtol=1e-5,
        atol=1e-6,
        diagnoses=wrong,
    )
    require_ece(sub, seed)


@pytest.mark.points(2)
def test_ece_matches_definition(sub, seed):
    """Does the ECE equal the definition on random predictions, for 10, 5 and 15 bins?"""
    probs, labels = _random_probs(seed, 300, 4)
    for n_bins in (10, 5, 15):
        _check_ece(
            sub, probs, labels, n_bins, f"expected_calibration_error is wrong for {n_bins} bins"
        )


@pytest.mark.points(1)
def test_ece_bin_edges(sub):
    """Are confidences exactly on a bin edge counted in the bin they close, (b/M, (b+1)/M]?"""
    probs = torch.tensor(
        [
            [0.5, 0.25, 0.25],
            [0.25, 0.75, 0.0],
            [0.75, 0.125, 0.125],
            [1.0, 0.0, 0.0],
            [0.5, 0.375, 0.125],
            [0.125, 0.25, 0.625],
            [0.0, 0.0, 1.0],
            [0.375, 0.5, 0.125],
        ],
        dtype=torch.float32,
    )
    labels = torch.tensor([0, 1, 2, 0, 1, 2, 1, 1])
    _check_ece(
        sub,
        probs,
        labels,
        4,
        "expected_calibration_error is wrong when confidences fall on bin edges",
    )


@pytest.mark.points(1)
def test_ece_perfect_and_float(sub, seed):
    """Is the ECE 0 for one-hot correct predictions, and a Python float?"""
    probs, labels = _random_probs(seed, 50, 3)
    onehot = torch.nn.functional.one_hot(labels, 3).double()
    out = sub.expected_calibration_error(onehot, labels, n_bins=10)
    expect.true(
        isinstance(out, float),
        f"expected_calibration_error should return a Python float (use .item() or float()), "
        f"got {type(out).__name__}",
    )
    expect.close(out, 0.0, "the ECE of confident, correct predictions should be 0", atol=1e-6)
    require_ece(sub, seed)


# ---------------------------------------------------------------- AUROC


def _midranks(values: torch.Tensor) -> torch.Tensor:
    """Ranks 1..n of `values`, ties sharing the mean of their ranks."""
    order = torch.argsort(values, stable=True)
    sorted_vals = values[order]
    ranks = torch.empty(len(values), dtype=torch.float64)
    i = 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and sorted_vals[j + 1] == sorted_vals[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def _auroc(s_in: torch.Tensor, s_out: torch.Tensor) -> float:
    """Mann-Whitney U / (n_in n_out) with mid-ranks: equals sklearn's roc_auc_score."""
    n_in, n_out = len(s_in), len(s_out)
    ranks = _midranks(torch.cat([s_in, s_out]).double())
    u = ranks[:n_in].sum().item() - n_in * (n_in + 1) / 2
    return u / (n_in * n_out)


def _auroc_variants(s_in, s_out):
    auc = _auroc(s_in, s_out)
    a, b = s_in.double()[:, None], s_out.double()[None, :]
    return auc, {
        "the AUROC is inverted: the in-distribution inputs are the positives, scored higher": (
            1 - auc
        ),
        "ties count as wins; they count one half": (a >= b).double().mean().item(),
        "ties count as losses; they count one half": (a > b).double().mean().item(),
    }


def _check_auroc(sub, s_in, s_out, message):
    out = _number(sub.ood_auroc(s_in, s_out), "ood_auroc")
    expected, wrong = _auroc_variants(s_in, s_out)
    expect.close(out, expected, message, rtol=1e-6, atol=1e-6, diagnoses=wrong)


@pytest.mark.points(2)
@pytest.mark.visible
def test_auroc_matches_sklearn(sub, seed):
    """Does ood_auroc equal scikit-learn's roc_auc_score (in-distribution = positives)?"""
    g = torch.Generator().manual_seed(seed)
    s_in = torch.randn(157, generator=g, dtype=torch.float64) + 0.8
    s_out = torch.randn(91, generator=g, dtype=torch.float64)
    _check_auroc(sub, s_in, s_out, "ood_auroc is wrong")
    out = sub.ood_auroc(s_in, s_out)
    expect.true(
        isinstance(out, float),
        f"ood_auroc should return a Python float (use .item() or float()), got "
        f"{type(out).__name__}",
    )


@pytest.mark.points(1)
def test_auroc_ties(sub, seed):
    """With many tied scores (float32, unequal sizes), do ties count one half?"""
    g = torch.Generator().manual_seed(seed)
    s_in = torch.randint(0, 6, (83,), generator=g).float()
    s_out = torch.randint(-2, 4, (64,), generator=g).float()
    _check_auroc(sub, s_in, s_out, "ood_auroc is wrong when scores are tied")


@pytest.mark.points(1)
def test_auroc_extremes(sub, seed):
    """Does a perfect separation give 1, a reversed one 0 and identical scores 0.5?"""
    g = torch.Generator().manual_seed(seed)
    low = torch.rand(20, generator=g, dtype=torch.float64)
    high = 2.0 + torch.rand(30, generator=g, dtype=torch.float64)
    _check_auroc(sub, high, low, "ood_auroc should be 1 when every in-distribution score is higher")
    _check_auroc(sub, low, high, "ood_auroc should be 0 when every in-distribution score is lower")
    same = torch.full((7,), 0.25, dtype=torch.float64)
    _check_auroc(sub, same, same[:4], "ood_auroc should be 0.5 when all the scores are equal")
    s_in = torch.randn(60, generator=g, dtype=torch.float64) + 0.5
    s_out = torch.randn(45, generator=g, dtype=torch.float64)
    expected, wrong = _auroc_variants(s_in, s_out)
    auc = sub.ood_auroc(s_in, s_out)
    expect.true(
        any(expect.is_close(auc, c, rtol=1e-6, atol=1e-6) for c in (expected, *wrong.values())),
        "this point is for a working ood_auroc: on random scores it is not the probability "
        "that an in-distribution score beats an out-of-distribution one (nor a typical "
        "mistake in it)",
    )
