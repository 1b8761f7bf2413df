"""Task 1: parse_sbatch_directives(text) -> {long name: value}, compared with the reference."""

import pytest
from conftest import call

from dlgrade.grading import expect

pytestmark = pytest.mark.task("test_parse")
FN = "parse_sbatch_directives"


def check(sub, ref, text, message):
    got = call(sub.parse_sbatch_directives, text, what=FN)
    expect.true(isinstance(got, dict), f"{FN} must return a dict")
    expect.true(got == ref.parse_sbatch_directives(text), f"{FN}: {message}")


@pytest.mark.points(1)
@pytest.mark.visible
def test_long_options(sub, ref):
    """--name=value, --name value, flags, several options on one line, values with '='."""
    check(
        sub,
        ref,
        "#!/bin/bash\n#SBATCH --job-name=a --time 1:00:00\n#SBATCH --mem=2G\n",
        "--name=value and --name value options are read wrongly",
    )
    check(
        sub,
        ref,
        "#SBATCH --export=ALL,X=1 --requeue\n#SBATCH --exclusive --mem 1G\n",
        "split --name=value at the first '='; a flag without value maps to ''",
    )
    check(
        sub,
        ref,
        "#SBATCH --requeue --time=5\n#SBATCH --open-mode append\n",
        "a flag followed by another option has the value ''",
    )
    check(
        sub,
        ref,
        "#SBATCH\t--gres=gpu:2\n#SBATCH  --array=0-11%4   --cpus-per-task=2\n",
        "any whitespace separates #SBATCH from its options",
    )


@pytest.mark.points(1)
def test_where_directives_stop(sub, ref):
    """The shebang, blank lines and comments are skipped; the first command ends the directives."""
    check(
        sub,
        ref,
        "#!/bin/bash\n\n   \n# a comment\n#SBATCH --time=5\n\n#SBATCH --mem=1G\necho\n#SBATCH --gres=gpu:1\n",
        "directives after the first command must be ignored (blank lines and comments are not commands)",
    )
    check(
        sub,
        ref,
        "#SBATCH --time=5\n  # indented comment\nmodule load x\n#SBATCH --mem=1G\n",
        "directives after the first command must be ignored",
    )
    check(
        sub,
        ref,
        "#!/bin/bash\n#SBATCH --time=5\n#!/bin/sh\n#SBATCH --mem=1G\n",
        "only the first line can be a shebang; later '#...' lines are comments",
    )
    check(
        sub,
        ref,
        "echo start\n#SBATCH --time=5\n",
        "a script starting with a command has no directives",
    )
    check(sub, ref, "#SBATCH --time=5", "the last line needs no newline")


@pytest.mark.points(1)
def test_disabled_directives_and_comments(sub, ref):
    """'# SBATCH', '##SBATCH', indented '#SBATCH', '#SBATCHx' are comments; '#' ends a directive line."""
    check(
        sub,
        ref,
        "#SBATCH --time=5\n# SBATCH --mem=1G\n##SBATCH --gres=gpu:1\n  #SBATCH -c 4\n#SBATCH--x=1\n",
        "only a line starting with '#SBATCH' and whitespace is a directive",
    )
    check(
        sub,
        ref,
        "#SBATCH --time=5 # --mem=1G\n#SBATCH --mem=2G #comment --gres=gpu:1\n",
        "a token starting with '#' ends the directive line",
    )
    check(
        sub,
        ref,
        "#SBATCH --time 5 #\n#SBATCH --requeue # x\n",
        "a '#' after an option is a comment, not its value",
    )
    check(
        sub,
        ref,
        "#SBATCH --time=5\n#SBATCH --time=10\n#SBATCH -t 20 --mem=1G --mem=3G\n",
        "an option given twice keeps its last value",
    )
    check(
        sub,
        ref,
        "#SBATCH --time=5 stray words --mem=1G\n",
        "tokens that are not options are ignored",
    )


@pytest.mark.points(1)
def test_short_options(sub, ref):
    """-c 4, -c4 and the other short options map to their long names."""
    check(
        sub,
        ref,
        "#SBATCH -J train -p gpu -t 30 -c 4\n#SBATCH -o log-%j.out -e err-%j.out\n",
        "short options (-J, -p, -t, -c, -o, -e) are not mapped to their long names",
    )
    check(
        sub,
        ref,
        "#SBATCH -c4 -t10 -a0-3%2\n#SBATCH -G1 -N 1 -n2\n",
        "a short option may carry its value in the same token (-c4)",
    )
    check(sub, ref, "#SBATCH -x node1 --mem=1G -J\n", "unknown short options are ignored")
    check(
        sub,
        ref,
        "#SBATCH -J -t 5\n#SBATCH -o -c 2\n",
        "a short option takes the next token as its value, whatever it is",
    )
