"""TEST_TIMES=FOLDER: each test process writes when each test ran and the CPU it used there.

For finding what sets the end of a parallel run (bench/test_times.py sums it
per module and per worker). One JSON line per test: the worker, the test's
id, its start and end (wall clock, setup and teardown included, so a module
fixture counts in the test that made or closed it) and the CPU seconds of the
process and of the children it waited for. Off unless TEST_TIMES is set.
Loaded by tests/conftest.py.
"""

from __future__ import annotations

import json
import os
import resource
import time
from pathlib import Path

import pytest


def cpu_seconds() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    folder = os.environ.get("TEST_TIMES")
    if not folder:
        yield
        return
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    start, cpu = time.time(), cpu_seconds()
    yield
    line = {"worker": worker, "test": item.nodeid, "start": start, "end": time.time(), "cpu": cpu_seconds() - cpu}
    Path(folder).mkdir(parents=True, exist_ok=True)
    with open(Path(folder) / f"{worker}.jsonl", "a", encoding="utf-8") as out:
        out.write(json.dumps(line) + "\n")
