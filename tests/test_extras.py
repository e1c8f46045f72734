"""A command that needs an optional extra that is not installed names the extra and exits 3."""

from __future__ import annotations

import io
import json
import sys

from pipeline.cli import main


def test_s3_target_without_boto3_names_the_s3_extra(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "boto3", None)  # as if not installed: import raises ImportError
    out, err = io.StringIO(), io.StringIO()
    code = main(["submit", "--archive", str(tmp_path / "archive"), "--target", "s3://records/inbox/", "--json"],
                out=out, err=err)
    assert code == 3, out.getvalue() + err.getvalue()
    message = json.loads(out.getvalue())["error"]
    assert "s3 extra" in message and "make install EXTRAS=s3" in message


def test_s3_target_with_boto3_gets_past_the_extra_check(tmp_path):
    # Positive control: with boto3 installed (make test installs it) the same call fails later, not with 3.
    out, err = io.StringIO(), io.StringIO()
    code = main(["submit", "--archive", str(tmp_path / "archive"), "--target", "s3://records/inbox/", "--json"],
                out=out, err=err)
    assert code != 3 and "extra" not in out.getvalue()


def test_dask_executor_without_dask_names_the_dask_extra(tmp_path, corpus_copy, fonts_dir, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    out, err = io.StringIO(), io.StringIO()
    code = main(["build", "--statements", str(corpus_copy), "--archive", str(tmp_path / "archive"),
                 "--build-dir", str(tmp_path / "build"), "--executor", "dask://127.0.0.1:9", "--json", "--quiet"],
                out=out, err=err)
    assert code == 3, out.getvalue() + err.getvalue()
    message = json.loads(out.getvalue())["error"]
    assert "dask extra" in message and "make install EXTRAS=dask" in message
    assert not (tmp_path / "archive").exists() or not list((tmp_path / "archive").glob("statements-*"))
