"""Bug: train.sbatch asks for more time than a GPU job may have, and has no %j log."""

KIND = "bug"
FILES = {
    "train.sbatch": "#!/bin/bash\n#SBATCH --job-name=cnn\n#SBATCH -t 4:00:00\n#SBATCH --gres=gpu:1\n"
    "#SBATCH --output=train.log\n\npython train_cnn.py\n"
}
EXPECT_FAIL = {
    "test_files.py::test_train_time_limit": "within 1:00:00",
    "test_files.py::test_train_log_name": "%j",
}
