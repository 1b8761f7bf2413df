"""Shared fixtures of the competition tests: the hidden split, a real local sandbox
backend, and encoders (a random one, one trained on the public dev split)."""

from __future__ import annotations

import pytest

from dlgrade.compete import arch, baselines, data, weights
from dlgrade.compete.evaluate import HiddenSplit, load_hidden
from dlgrade.sandbox.backends.local import LocalSandbox


@pytest.fixture(scope="session")
def hidden() -> HiddenSplit:
    """The hidden split of graders/represent/competition.json (trusted side)."""
    return load_hidden()


@pytest.fixture(scope="session")
def local_backend():
    """A real local (bubblewrap) backend, its warm template shared by the session."""
    backend = LocalSandbox()
    yield backend
    backend.close()


@pytest.fixture(scope="session")
def random_small() -> weights.Checked:
    blob = weights.save_encoder(baselines.random_encoder("small", seed=1))
    return weights.check_submission(blob, {"size": "small", "hyperparams": {}})


@pytest.fixture(scope="session")
def trained_small() -> weights.Checked:
    """A small encoder trained with labels of the public dev split only."""
    x, y = data.dev_split(1000)
    encoder = baselines.supervised_encoder(x, y, "small", seed=3)
    meta = {"size": "small", "hyperparams": {"lr": 3e-3, "epochs": 30, "method": "supervised"}}
    checked = weights.check_submission(weights.save_encoder(encoder), meta)
    assert checked.n_params == arch.parameter_count("small")
    return checked


# -- rules, store, ladder/board clock, bonus gradebook (tests/compete/test_{rules,store,
# ladder,board,bonus}.py) -------------------------------------------------------------

T0 = "2026-12-01T10:00:00+00:00"


@pytest.fixture
def rules():
    """Rules with the defaults and no deadline (tests set what they need)."""
    from dlgrade.compete.rules import CompetitionRules

    return CompetitionRules()


def postgres_bin() -> str | None:
    """The folder of PostgreSQL's server binaries (initdb, pg_ctl), None without them."""
    import glob
    import os
    import shutil

    found = shutil.which("initdb")
    if found:
        return os.path.dirname(os.path.realpath(found))
    folders = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return os.path.dirname(folders[-1]) if folders else None


@pytest.fixture(scope="session")
def pg_cluster():
    """A throwaway PostgreSQL cluster (initdb, pg_ctl) listening only on a unix socket in a
    temporary folder, run as `postgres`/`nobody` when the tests run as root: its URL."""
    import os
    import pwd
    import shutil
    import subprocess
    import tempfile

    bindir = postgres_bin()
    if bindir is None:
        pytest.skip("no PostgreSQL server binaries (initdb/pg_ctl; Debian package postgresql)")
    folder = tempfile.mkdtemp(prefix="dlgrade-pg-")
    data, sock = os.path.join(folder, "data"), os.path.join(folder, "sock")
    os.mkdir(sock)
    prefix: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root
        names = [p.pw_name for p in pwd.getpwall()]
        user = "postgres" if "postgres" in names else "nobody"
        entry = pwd.getpwnam(user)
        for path in (folder, sock):
            os.chown(path, entry.pw_uid, entry.pw_gid)
        prefix = ["runuser", "-u", user, "--"]

    def run(*args: str) -> None:
        subprocess.run([*prefix, *args], check=True, capture_output=True, timeout=120)

    run(f"{bindir}/initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
        "--no-sync")  # fmt: skip
    options = f"-k {sock} -c listen_addresses='' -F -c fsync=off -c synchronous_commit=off"
    run(f"{bindir}/pg_ctl", "-D", data, "-o", options, "-l", os.path.join(folder, "log"),
        "-w", "start")  # fmt: skip
    try:
        yield f"postgresql+psycopg://postgres@/postgres?host={sock}"
    finally:
        run(f"{bindir}/pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)


def fresh_database(url: str) -> str:
    """`url`'s database emptied (a new public schema): one test's database."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, rules, tmp_path):
    """An upgraded CompetitionStore on an empty database of each kind."""
    from dlgrade.compete.store import CompetitionStore

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'competition.sqlite'}"
    else:
        url = fresh_database(request.getfixturevalue("pg_cluster"))
    s = CompetitionStore(url, rules)
    s.upgrade()
    yield s
    s.close()


@pytest.fixture
def clock():
    """A fixed start (2026-12-01 10:00 UTC) and `clock(hours)` after it."""
    from datetime import datetime, timedelta

    start = datetime.fromisoformat(T0)
    return lambda hours=0.0: start + timedelta(hours=hours)


@pytest.fixture
def scores():
    """`scores(public, private=None, ...)`: an evaluate.Scores with defaults."""
    from dlgrade.compete.evaluate import Scores

    def make(public: float, private: float | None = None, knn: float = 0.5, n: int = 1000):
        private = public if private is None else private
        return Scores(public, private, knn, knn, n, 0.25)

    return make


@pytest.fixture(scope="session")
def represent_gradebook(tmp_path_factory):
    """An nbgrader gradebook (made once: that takes seconds) knowing the assignment
    `represent` (one notebook, two autograded cells) and the students alice and bob."""
    from nbgrader.api import Gradebook

    path = tmp_path_factory.mktemp("gradebook") / "gradebook.db"
    with Gradebook(f"sqlite:///{path}", "bonus-course") as gb:
        gb.add_assignment("represent")
        gb.add_notebook("represent", "represent")
        for name, points in (("test_augment", 8), ("test_knn", 7)):
            gb.add_grade_cell(name, "represent", "represent", max_score=points, cell_type="code")
        for student in ("alice", "bob"):
            gb.add_student(student, first_name=student.title(), last_name="Doe")
    return path


@pytest.fixture
def gradebook_course(tmp_path, represent_gradebook):
    """A course root with a copy of `represent_gradebook`: its CoursePaths."""
    import shutil

    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config

    from dlgrade.paths import CoursePaths

    shutil.copy(represent_gradebook, tmp_path / "gradebook.db")
    config = Config()
    config.CourseDirectory.root = str(tmp_path)
    config.CourseDirectory.course_id = "bonus-course"
    config.CourseDirectory.db_url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    return CoursePaths(CourseDirectory(config=config), config=config)
