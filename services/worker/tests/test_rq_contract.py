"""The contract with RQ's worker internals: every RQ method the worker overrides (private
ones included) and every RQ name it reads still exist in the installed RQ, with the
parameters our overrides take. An RQ upgrade that renames or reshapes one fails here, by
name, instead of silently bypassing our override."""

from __future__ import annotations

import inspect

import pytest
from rq import Worker, worker_registration
from rq.scheduler import RQScheduler
from rq.worker import BaseWorker

from conveyor_core.rq_worker import PromptSimpleWorker, ThreadScheduler
from worker.process import ConveyorWorker

OURS = [(ConveyorWorker, BaseWorker), (PromptSimpleWorker, BaseWorker),
        (ThreadScheduler, RQScheduler)]  # fmt: skip


def _methods(cls: type) -> set[str]:
    """The methods ``cls`` itself defines (class methods included), dunders aside."""
    return {name for name in vars(cls)
            if not name.startswith("__") and inspect.isroutine(getattr(cls, name))}  # fmt: skip


OVERRIDES = [(ours, base, name) for ours, base in OURS for name in sorted(_methods(ours))
             if hasattr(base, name)]  # fmt: skip
OWN_METHODS = {"create", "run_pick", "_count", "_goes_on", "_note_stop"}
"""Methods of ours that RQ does not have (no contract to check)."""


def _parameters(function: object) -> list[str]:
    return [p.name for p in inspect.signature(function).parameters.values()  # type: ignore[arg-type]
            if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]  # fmt: skip


def test_the_worker_overrides_what_it_means_to() -> None:
    ours = set().union(*(_methods(cls) for cls, _ in OURS))
    assert ours - {name for _, _, name in OVERRIDES} == OWN_METHODS


@pytest.mark.parametrize(("ours", "base", "name"), OVERRIDES,
                         ids=[f"{o.__name__}.{n}" for o, _, n in OVERRIDES])  # fmt: skip
def test_each_override_takes_rqs_named_parameters(ours: type, base: type, name: str) -> None:
    """Our override accepts every parameter RQ's method names, in RQ's order (it may take
    ``*args``/``**kwargs`` for the rest)."""
    rq_params = _parameters(getattr(base, name))
    our_params = _parameters(getattr(ours, name))
    assert our_params == rq_params[: len(our_params)], (name, rq_params)
    signature = inspect.signature(getattr(ours, name))
    variadic = any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
                   for p in signature.parameters.values())  # fmt: skip
    assert variadic or our_params == rq_params, (name, rq_params)


def test_the_registry_names_the_worker_uses_exist() -> None:
    assert callable(worker_registration.register)
    assert "%s" in worker_registration.WORKERS_BY_QUEUE_KEY
    assert Worker.redis_worker_namespace_prefix.startswith("rq:worker")
    assert Worker.redis_workers_keys == "rq:workers"
