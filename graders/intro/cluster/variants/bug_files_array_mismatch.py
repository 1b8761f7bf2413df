"""Bug: sweep.sbatch's --array does not match the grid (10 tasks for 12 points)."""

KIND = "bug"
FILES = {
    "sweep.sbatch": "#!/bin/bash\n#SBATCH --job-name=sweep\n#SBATCH --time=0:10:00\n"
    "#SBATCH --array=0-9%4\n#SBATCH --output=logs/%x-%A_%a.out\n\npython sweep_task.py\n"
}
EXPECT_FAIL = {"test_files.py::test_sweep_array": "one per point of SWEEP_GRID"}
