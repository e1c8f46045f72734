"""A build whose rendering runs on a Dask cluster gives the local build's bytes.

A real dask.distributed LocalCluster on 127.0.0.1 (two worker processes, one
thread each); the CLI reaches it as ``--executor dask://HOST:PORT``, exactly
as it would reach a scheduler on another machine.
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest

try:
    import distributed
except ImportError:
    distributed = None

pytestmark = [pytest.mark.ci_required, pytest.mark.skipif(
    distributed is None, reason="Dask is an optional extra: make install EXTRAS=dask (make test installs it)")]

from pipeline.cli import main  # noqa: E402
from pipeline.render import RenderConfig, render_statements  # noqa: E402
from pipeline.render.executors import DaskCluster  # noqa: E402
from pipeline.validate import validate_statements  # noqa: E402


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address=":0", worker_dashboard_address=":0",
    ) as local:
        yield local


def tree(archive: Path) -> dict[str, str]:
    """Every file of every package (the archive's own log and lock name build folders)."""
    return {p.relative_to(archive).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for package in sorted(archive.glob("statements-*")) for p in sorted(package.rglob("*")) if p.is_file()}


def build(tmp: Path, statements: Path, *extra: str) -> dict:
    out, err = io.StringIO(), io.StringIO()
    code = main(["build", "--statements", str(statements), "--archive", str(tmp / "archive"),
                 "--build-dir", str(tmp / "build"), "--date", "2026-11-28", "--json", "--quiet", *extra],
                out=out, err=err)
    assert code == 0, err.getvalue()
    return json.loads(out.getvalue())


def test_dask_build_gives_the_local_packages_byte_for_byte(tmp_path, corpus_copy, cluster, monkeypatch):
    # Packages carry their events' times: one clock for both builds, so only rendering can differ.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795856400")
    address = cluster.scheduler_address  # tcp://127.0.0.1:PORT
    local = build(tmp_path / "local", corpus_copy, "--workers", "1")
    remote = build(tmp_path / "dask", corpus_copy, "--executor", "dask://" + address.removeprefix("tcp://"))
    assert local["package"]["created"] and remote["package"]["created"]
    local_tree, dask_tree = tree(tmp_path / "local" / "archive"), tree(tmp_path / "dask" / "archive")
    assert len(local_tree) > 20
    assert local_tree == dask_tree


def test_batches_spread_over_workers_and_a_repeated_batch_gives_the_same_bytes(tmp_path, project_dir, fonts_dir, cluster,
                                                                              example_renditions):
    statements, _ = validate_statements(project_dir / "statements", project_dir / "schemas" / "statement.schema.json")
    config = RenderConfig(project_dir / "templates", fonts_dir, tmp_path / "work")
    executor = DaskCluster(cluster.scheduler_address, batch_size=2)
    first, report = render_statements(statements, tmp_path / "a", config, executor=executor)
    again, _ = render_statements(statements, tmp_path / "b", config, executor=executor)
    assert report.ok and len(first) == len(statements)
    assert [r.pdf_sha256 for r in first] == [r.pdf_sha256 for r in again]
    # The local render: the run's shared one-process render of the examples (tests/conftest.py).
    local = [hashlib.sha256((example_renditions / f"{s.identifier}.pdf").read_bytes()).hexdigest() for s in statements]
    assert [r.pdf_sha256 for r in first] == local


@pytest.mark.long  # fault injection: kills a worker mid-batch
def test_a_batch_on_a_worker_that_dies_is_rendered_again(tmp_path, project_dir, fonts_dir):
    """SIGKILL a worker process while it holds a batch; the build still completes, same bytes."""
    import os
    import signal
    import threading
    import time

    statements, _ = validate_statements(project_dir / "statements", project_dir / "schemas" / "statement.schema.json")
    config = RenderConfig(project_dir / "templates", fonts_dir, tmp_path / "work")
    killed: dict = {}
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address=":0", worker_dashboard_address=":0",
    ) as local, distributed.Client(local) as watcher:
        pids = watcher.run(os.getpid)

        def kill_a_busy_worker() -> None:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and not killed:
                busy = {w: keys for w, keys in watcher.processing().items() if keys}
                if busy:
                    worker, keys = sorted(busy.items())[0]
                    os.kill(pids[worker], signal.SIGKILL)
                    killed.update(worker=worker, keys=list(keys))
                time.sleep(0.005)

        thread = threading.Thread(target=kill_a_busy_worker, daemon=True)
        thread.start()
        rendered, report = render_statements(
            statements, tmp_path / "dask", config, executor=DaskCluster(local.scheduler_address, batch_size=1))
        thread.join(timeout=5)
    assert killed and killed["keys"], "no worker was killed while holding a batch: nothing was lost"
    assert report.ok and len(rendered) == len(statements)
    local_rendered, _ = render_statements(statements, tmp_path / "local", config, workers=1)
    assert [r.pdf_sha256 for r in rendered] == [r.pdf_sha256 for r in local_rendered]
