"""Task 3: sbatch_script(job) -> text; its directives are read here with the reference's
parse_sbatch_directives and compared with those of the reference's script."""

import pytest
from conftest import call

from dlgrade.grading import expect

pytestmark = pytest.mark.task("test_script")

BASE = {
    "job_name": "train",
    "time": "0:30:00",
    "output": "logs/%x-%j.out",
    "command": ["module load cuda", "python train.py --epochs 3"],
}


def check(sub, ref, job, message):
    text = call(sub.sbatch_script, job, what="sbatch_script")
    expect.true(isinstance(text, str), "sbatch_script must return a str")
    expect.true(text.startswith("#!/bin/bash\n"), "the script must start with the line #!/bin/bash")
    expect.true(
        ref.parse_sbatch_directives(text) == ref.parse_sbatch_directives(ref.sbatch_script(job)),
        f"sbatch_script: {message}",
    )
    return text


@pytest.mark.points(1)
@pytest.mark.visible
def test_directives(sub, ref):
    """All keys become the right directives (sbatch reads them: before the first command)."""
    job = BASE | {
        "partition": "grading",
        "cpus_per_task": 4,
        "mem": "8G",
        "gpus": 1,
        "error": "e-%j.err",
    }
    check(sub, ref, job, "the directives are wrong (names with dashes, gpus as --gres=gpu:N)")
    check(sub, ref, BASE | {"gpus": 2, "array": "0-5%2", "mem": "1G"}, "gpus=2 is --gres=gpu:2")


@pytest.mark.points(1)
def test_optional_keys(sub, ref):
    """Absent or None keys and gpus=0 write no directive."""
    check(sub, ref, BASE, "only the keys present may become directives")
    check(
        sub,
        ref,
        BASE | {"gpus": 0, "partition": None, "cpus_per_task": 1},
        "gpus=0 or None must write no directive",
    )


@pytest.mark.points(1)
def test_layout(sub, ref):
    """The exact text: shebang, directives in the stated order, an empty line, the command lines."""
    for job in [
        BASE | {"mem": "2G", "gpus": 1, "partition": "p"},
        BASE | {"command": ["echo one"], "array": "0-3"},
    ]:
        text = check(sub, ref, job, "the directives are wrong")
        lines = text.split("\n")
        expect.true(text.endswith("\n"), "every line, the last one too, ends with a newline")
        body = [line for line in lines[1:] if not line.startswith("#SBATCH")]
        expect.true(
            [line for line in body if line.strip()] == job["command"],
            "after the directives come the command lines, in order, and nothing else",
        )
        expect.true(
            text == ref.sbatch_script(job),
            "the directives are not in the stated order, "
            "or the lines are not as the task states (#SBATCH --name=value, one empty line)",
        )
