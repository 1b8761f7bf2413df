"""Course configuration: nbgrader's settings and the platform's, all traitlets traits."""

import os

c = get_config()  # noqa: F821

c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
c.Exchange.root = os.path.join(c.CourseDirectory.root, "exchange")
# Files in source/<assignment>/ that students get besides the notebook.
c.CourseDirectory.include = ["*.ipynb", "*.txt", "*.csv", "*.npy", "*.png", "*.md"]

# Release: student versions without solutions or hidden tests.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearHiddenTests.begin_test_delimeter = "BEGIN HIDDEN TESTS"
c.ClearHiddenTests.end_test_delimeter = "END HIDDEN TESTS"

# Autograding: hidden pytest graders in sandboxes.
c.Autograder.sandbox_backend = "local"  # or "docker"
c.Autograder.workers = 0  # 0 = one per core
c.Autograder.test_time_limit = 60  # seconds per hidden test
c.Autograder.submission_time_limit = 300  # seconds for all of one submission (cells + tests)
c.Autograder.watchdog_time_limit = 0  # stop a hung grading process after this (0: derived)
c.Autograder.cell_time_limit = 120  # seconds per notebook cell (then skipped and flagged)
c.Autograder.notebook_time_limit = 180  # seconds to execute a submission's cells
c.Autograder.start_time_limit = 60  # seconds a sandbox may take to boot (not a cell's time)
c.SandboxBackend.memory_limit_mb = 3072
c.SandboxBackend.max_processes = 64
# Intake: a submission folder holds only regular files and folders (no links, devices,
# fifos), within these limits; anything else is graded `invalid`, nothing of it copied.
c.Intake.max_total_mb = 50
c.Intake.max_files = 200
# nbgrader's collect would follow links a student leaves in the exchange; this one keeps
# them as links, so intake rejects them.
c.ExchangeFactory.collect = "dlgrade.grading.intake.SafeCollect"

# Every way to grade goes through the sandboxes: nbgrader's in-kernel autograde (its CLI,
# its API, its own formgrader) refuses to start; `python -m dlgrade autograde` and the hub's
# formgrader (dlgrade.hub.formgrader) grade instead.
c.Autograde.exporter_class = "dlgrade.nbgrader_api.InKernelGradingRefused"
# Notebooks nbgrader renders (the formgrader's view of a submission, nbgrader's feedback)
# pass through the platform's sanitizer first, whatever wrote them.
c.HTMLExporter.preprocessors = ["dlgrade.hub.formgrader.SanitizedView"]

# What is one course's own (its id, folders, gradebook) is in courses/<name>/nbgrader_config.py.
# This loads the default course's; `dlgrade --course=NAME` (`make ... COURSE=NAME`) loads
# another course's file after this one (dlgrade.courses).
load_subconfig(os.path.join("courses", "advanced", "nbgrader_config.py"))  # noqa: F821
