"""Correct: correct_properties' read-only schedule plus square roots of its own ("you may
add attributes of your own"), which q_sample and predict_x0_from_eps use."""

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "_correct_properties", Path(__file__).with_name("correct_properties.py")
)
_base = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_base)

KIND = "correct"
CELLS = {
    "diffusion_schedule_impl": _base.CELLS["diffusion_schedule_impl"]
    + """
    @property
    def sqrt_alphas_cumprod(self):
        return self.alphas_cumprod.sqrt()

    @property
    def sqrt_one_minus_alphas_cumprod(self):
        return (1 - self.alphas_cumprod).sqrt()
""",
}
REPLACE = [
    (
        "q_sample_impl",
        "    ab = sched.alphas_cumprod\n"
        "    return extract(ab.sqrt(), t, x0) * x0 + extract((1 - ab).sqrt(), t, x0) * noise",
        "    return extract(sched.sqrt_alphas_cumprod, t, x0) * x0"
        " + extract(sched.sqrt_one_minus_alphas_cumprod, t, x0) * noise",
    ),
    (
        "posterior_impl",
        "    ab = sched.alphas_cumprod\n"
        "    return (xt - extract((1 - ab).sqrt(), t, xt) * eps) / extract(ab.sqrt(), t, xt)",
        "    return (xt - extract(sched.sqrt_one_minus_alphas_cumprod, t, xt) * eps)"
        " / extract(sched.sqrt_alphas_cumprod, t, xt)",
    ),
]
