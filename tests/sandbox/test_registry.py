"""Sandbox backends and executors come from entry points; unknown names are refused early."""

from __future__ import annotations

import pytest
from traitlets import TraitError
from traitlets.config import Config

from dlgrade.cluster import (
    EXECUTOR_GROUP,
    InlineExecutor,
    LocalExecutor,
    executor_names,
    get_executor_class,
)
from dlgrade.cluster.service import ServiceExecutor
from dlgrade.cluster.slurm import SlurmExecutor
from dlgrade.grading.autograder import Autograder
from dlgrade.sandbox.backends import (
    BACKEND_GROUP,
    BACKENDS,
    SandboxBackend,
    backend_names,
    get_backend_class,
    register_backend,
)
from dlgrade.sandbox.backends.docker import DockerSandbox
from dlgrade.sandbox.backends.local import LocalSandbox


def test_the_built_in_backends_and_executors_are_entry_points():
    """Are local and docker (and the executors) registered by the installed package?"""
    from importlib.metadata import entry_points

    assert {ep.name for ep in entry_points(group=BACKEND_GROUP)} >= {"local", "docker"}
    assert {ep.name for ep in entry_points(group=EXECUTOR_GROUP)} >= {
        "local",
        "inline",
        "slurm",
        "service",
    }
    assert get_backend_class("local") is LocalSandbox
    assert get_backend_class("docker") is DockerSandbox
    assert get_executor_class("local") is LocalExecutor
    assert get_executor_class("inline") is InlineExecutor
    assert get_executor_class("slurm") is SlurmExecutor
    assert get_executor_class("service") is ServiceExecutor


def test_lookups_of_unknown_names_say_what_is_known():
    with pytest.raises(KeyError, match="'kubernetes'; known: .*docker, local"):
        get_backend_class("kubernetes")
    with pytest.raises(KeyError, match="known: inline, local, service, slurm"):
        get_executor_class("kubernetes")


@pytest.mark.parametrize(
    ("trait", "known"),
    [("sandbox_backend", "docker, local"), ("executor", "inline, local, service, slurm")],
)
def test_the_autograder_refuses_an_unknown_name_from_config(trait, known):
    """Does a typo in nbgrader_config.py fail when the settings are read, naming the
    registered choices, instead of in every grading process later?"""
    cfg = Config()
    cfg.Autograder[trait] = "dockr"
    with pytest.raises(TraitError, match=f"c.Autograder.{trait} = 'dockr' .*known: {known}"):
        Autograder(config=cfg)
    grader = Autograder()
    with pytest.raises(TraitError, match=known):
        setattr(grader, trait, "dockr")
    cfg.Autograder[trait] = "local"
    assert getattr(Autograder(config=cfg), trait) == "local"


def test_a_backend_registered_in_process_is_known_there():
    @register_backend("test-registry-only")
    class Only(SandboxBackend):
        pass

    try:
        assert "test-registry-only" in backend_names()
        assert get_backend_class("test-registry-only") is Only
        assert Autograder(sandbox_backend="test-registry-only").make_backend().__class__ is Only
    finally:
        BACKENDS.pop("test-registry-only")
    assert "test-registry-only" not in backend_names()
    assert executor_names() == ["inline", "local", "service", "slurm"]
