"""Task 7: mf_loss, mf_grads and factorize (X ≈ U V^T by gradient descent).

The factorisation test builds matrices with known singular values and checks that the
error of the learned factors reaches the rank-k optimum of the truncated SVD computed
here with numpy.linalg.svd (Eckart-Young): within 1 % in 400 steps. With these spectra
(a gap after the k-th singular value) the reference gets within 1e-6 relative.
"""

import numpy as np
import pytest
import torch

from dlgrade.grading import expect

pytestmark = pytest.mark.task("test_mf")
F64 = torch.float64


def factors(gen, m=7, n=5, k=2):
    X = torch.randn(m, n, generator=gen, dtype=F64)
    U = torch.randn(m, k, generator=gen, dtype=F64)
    V = torch.randn(n, k, generator=gen, dtype=F64)
    return X, U, V


def loss_of(X, U, V):
    return 0.5 * torch.linalg.matrix_norm(X - U @ V.T) ** 2


def with_spectrum(gen, m, n, spectrum):
    q1, _ = torch.linalg.qr(torch.randn(m, m, generator=gen, dtype=F64))
    q2, _ = torch.linalg.qr(torch.randn(n, n, generator=gen, dtype=F64))
    r = len(spectrum)
    return q1[:, :r] @ torch.diag(torch.tensor(spectrum, dtype=F64)) @ q2[:, :r].T


@pytest.mark.points(1)
@pytest.mark.visible
def test_loss(sub, tools, gen):
    """mf_loss equals 0.5 * ||X - U V^T||_F^2."""
    X, U, V = factors(gen)
    expected = loss_of(X, U, V)
    expect.close(
        tools.scalar(sub.mf_loss(X, U, V)), expected, "mf_loss is wrong",
        diagnoses={
            "the factor 1/2 is missing": 2 * expected,
            "this is the Frobenius norm, not half its square": torch.sqrt(2 * expected),
            "the squared errors are averaged; the loss is half their SUM": expected / X.numel(),
        },
    )  # fmt: skip


@pytest.mark.points(1)
def test_grads(sub, gen):
    """dU and dV equal torch.autograd's gradients of 0.5 * ||X - U V^T||_F^2."""
    X, U, V = factors(gen, m=6, n=4, k=3)
    result = sub.mf_grads(X, U, V)
    expect.true(
        isinstance(result, (tuple, list)) and len(result) == 2,
        "mf_grads must return a tuple (dU, dV)",
    )
    leaves = [U.clone().requires_grad_(True), V.clone().requires_grad_(True)]
    dU, dV = torch.autograd.grad(loss_of(X, *leaves), leaves)
    for name, got, want in (("dU", result[0], dU), ("dV", result[1], dV)):
        expect.close(
            got, want, f"{name} is wrong",
            diagnoses={
                "the sign is wrong: with R = U V^T - X, dU = R V and dV = R^T U": -want,
                "the factor 1/2 was dropped from the loss: the gradient is twice too large": 2 * want,
            },
        )  # fmt: skip


@pytest.mark.points(1)
def test_factorize_follows_the_recipe(sub, ref, gen):
    """After 15 steps from the stated initialisation (U drawn first, then V, both 0.1 * randn
    from the generator), U and V equal the reference's: same start, simultaneous updates."""
    X = with_spectrum(gen, 6, 5, [2.0, 1.5, 1.0, 0.5, 0.2])
    seed = int(torch.randint(0, 2**16, (1,), generator=gen))
    result = sub.factorize(X, 2, 15, 0.2, sub.new_generator(seed))
    expect.true(
        isinstance(result, (tuple, list)) and len(result) == 2,
        "factorize must return a tuple (U, V)",
    )
    U, V = result
    eU, eV = ref.factorize(X, 2, 15, 0.2, torch.Generator().manual_seed(seed))

    def sequential():
        g = torch.Generator().manual_seed(seed)
        u = 0.1 * torch.randn(6, 2, generator=g, dtype=F64)
        v = 0.1 * torch.randn(5, 2, generator=g, dtype=F64)
        for _ in range(15):
            u = u - 0.2 * ref.mf_grads(X, u, v)[0]
            v = v - 0.2 * ref.mf_grads(X, u, v)[1]
        return u, v

    bad_U, bad_V = sequential()
    expect.close(
        U, eU, "factorize does not follow the stated recipe (U after 15 steps)",
        diagnoses={"V is updated with the new U: compute both gradients at the old (U, V)": bad_U},
    )  # fmt: skip
    expect.close(
        V, eV, "factorize does not follow the stated recipe (V after 15 steps)",
        diagnoses={"V is updated with the new U: compute both gradients at the old (U, V)": bad_V},
    )  # fmt: skip


@pytest.mark.points(2)
def test_reaches_svd_optimum(sub, gen):
    """On a tall and a wide matrix the squared error of U V^T reaches the truncated SVD's
    optimum (numpy.linalg.svd) within 1 %, with factors of shape (m, k) and (n, k)."""
    cases = [(8, 5, 2, [3.0, 2.0, 0.6, 0.3, 0.1]), (5, 9, 3, [2.5, 2.0, 1.5, 0.4, 0.2])]
    for m, n, k, spectrum in cases:
        X = with_spectrum(gen, m, n, spectrum)
        seed = int(torch.randint(0, 2**16, (1,), generator=gen))
        result = sub.factorize(X, k, 400, 0.1, sub.new_generator(seed))
        expect.true(
            isinstance(result, (tuple, list)) and len(result) == 2,
            "factorize must return a tuple (U, V)",
        )
        U, V = result
        expect.shape(U, (m, k), f"U for a {m}x{n} matrix and k={k}")
        expect.shape(V, (n, k), f"V for a {m}x{n} matrix and k={k}")
        s = np.linalg.svd(X.numpy(), compute_uv=False)
        optimum = float((s[k:] ** 2).sum())
        U, V = expect.tensor(U).to(F64), expect.tensor(V).to(F64)
        err = float(torch.linalg.matrix_norm(X - U @ V.T) ** 2)
        expect.true(
            np.isfinite(err) and err <= 1.01 * optimum,
            f"for a {m}x{n} matrix and k={k} the squared error of U V^T after 400 steps "
            f"(lr 0.1) is {err / optimum:.3g} times the truncated SVD's optimum; it should "
            "reach it (check the sign of the update and the gradients)",
        )
