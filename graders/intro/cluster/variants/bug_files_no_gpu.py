"""Bug: train.sbatch requests no GPU."""

KIND = "bug"
FILES = {
    "train.sbatch": "#!/bin/bash\n#SBATCH --job-name=cnn-digits\n#SBATCH --time=0:20:00\n"
    "#SBATCH --output=logs/%x-%j.out\n\npython train_cnn.py\n#SBATCH --gres=gpu:1\n"
}
EXPECT_FAIL = {"test_files.py::test_train_requests_gpu": "requests no GPU"}
