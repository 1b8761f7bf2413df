"""Task 4: polynomial_features(x, degree), compared with sklearn's PolynomialFeatures."""

import pytest
import torch
from sklearn.preprocessing import PolynomialFeatures

from dlgrade.grading import expect

pytestmark = pytest.mark.task("test_poly")


def sk_poly(x, degree):
    out = PolynomialFeatures(degree, include_bias=False).fit_transform(x.double().numpy()[:, None])
    return torch.from_numpy(out)


@pytest.mark.points(1)
@pytest.mark.visible
def test_matches_sklearn(sub, gen):
    """Degrees 1 to 5 equal PolynomialFeatures(degree, include_bias=False) (float64)."""
    x = torch.randn(7, generator=gen, dtype=torch.float64) * 1.5
    for degree in range(1, 6):
        got = sub.polynomial_features(x, degree)
        expect.shape(got, (7, degree), f"polynomial_features(x, {degree}) must be (N, {degree})")
        expect.close(
            got, sk_poly(x, degree), f"polynomial_features is wrong for degree {degree}",
            diagnoses={
                "the columns start at x⁰ = 1: column j must be x^(j+1)": torch.cat(
                    [torch.ones(7, 1, dtype=torch.float64), sk_poly(x, degree)[:, :-1]], 1
                ),
                "the columns are in reverse order: column j must be x^(j+1)": sk_poly(
                    x, degree
                ).flip(1),
            },
        )  # fmt: skip


@pytest.mark.points(1)
def test_float32_high_degree(sub, gen):
    """float32 inputs keep their dtype; degree 9 matches sklearn."""
    x = torch.rand(6, generator=gen) * 2 - 1
    got = expect.tensor(sub.polynomial_features(x, 9), "polynomial_features must return a tensor")
    expect.true(got.dtype == torch.float32, f"float32 inputs gave {got.dtype} features")
    expect.close(got, sk_poly(x, 9), "polynomial_features is wrong for degree 9", rtol=1e-5)
