"""Fixtures of the report tests: a synthetic class on disk, with or without a gradebook."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from synthetic_class import COURSE_ID, SyntheticCourse, write_course, write_gradebook


@pytest.fixture(scope="session")
def gradebook_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("gradebook") / "gradebook.db"
    write_gradebook(f"sqlite:///{path}", COURSE_ID)
    return path


@pytest.fixture
def cohort(tmp_path: Path) -> SyntheticCourse:
    return write_course(tmp_path / "course")


@pytest.fixture
def cohort_with_gradebook(tmp_path: Path, gradebook_file: Path) -> SyntheticCourse:
    synthetic = write_course(tmp_path / "course")
    shutil.copy(gradebook_file, synthetic.root / "gradebook.db")
    return synthetic
