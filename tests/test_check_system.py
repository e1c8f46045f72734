"""tools/check_system.py decides right: install as root, with sudo, or print the command and exit 3.

Nothing is uninstalled to prove it (other people use this machine): the
decisions are tested with fake probes, and the script end to end with
STATEMENT_ARCHIVE_PRETEND_MISSING and fake `apt-get`/`sudo` programs first on
PATH that only record how they were called.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[1]
SCRIPT = PROJECT / "tools" / "check_system.py"

spec = importlib.util.spec_from_file_location("check_system", SCRIPT)
check_system = importlib.util.module_from_spec(spec)
sys.modules["check_system"] = check_system  # dataclasses look their module up
spec.loader.exec_module(check_system)


def test_one_table_names_every_package_once_and_the_readme_lists_them():
    packages = [r.package for r in check_system.REQUIREMENTS]
    assert len(packages) == len(set(packages))
    assert {r.needed_for for r in check_system.REQUIREMENTS} == {"build", "tests"}
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    assert [p for p in packages if p not in readme] == []
    assert all(r.probe.partition(":")[0] in ("program", "library", "file", "python") for r in check_system.REQUIREMENTS)


def test_build_needs_only_the_build_packages_and_tests_need_all():
    build = check_system.wanted(for_tests=False)
    assert "default-jre-headless" not in [r.package for r in build]
    assert "poppler-utils" in [r.package for r in build]
    assert check_system.wanted(for_tests=True) == check_system.REQUIREMENTS


def test_missing_is_what_the_probe_does_not_find_or_what_is_pretended_missing():
    requirements = check_system.REQUIREMENTS
    everything = check_system.missing_packages(requirements, probe=lambda r: True)
    assert everything == []
    nothing = check_system.missing_packages(requirements, probe=lambda r: False)
    assert nothing == list(requirements)
    pretended = check_system.missing_packages(requirements, probe=lambda r: True,
                                              pretend_missing="poppler-utils, libpango-1.0-0")
    assert [r.package for r in pretended] == ["libpango-1.0-0", "poppler-utils"]


def test_root_installs_directly_a_user_with_sudo_through_sudo_otherwise_nobody():
    assert check_system.install_command(["poppler-utils"], euid=0, sudo_works=False) == [
        "apt-get", "install", "-y", "--no-install-recommends", "poppler-utils"]
    via_sudo = check_system.install_command(["poppler-utils"], euid=1000, sudo_works=True)
    assert via_sudo[:2] == ["sudo", "-n"] and via_sudo[-5:] == [
        "apt-get", "install", "-y", "--no-install-recommends", "poppler-utils"]
    assert check_system.install_command(["poppler-utils"], euid=1000, sudo_works=False) is None


def test_package_lists_are_updated_when_absent_or_stale_and_not_otherwise(tmp_path):
    assert check_system.lists_need_update(str(tmp_path))  # a fresh Debian image: no lists
    lists = tmp_path / "mirror_debian_dists_bookworm_main_binary-amd64_Packages.lz4"
    lists.write_bytes(b"")
    assert not check_system.lists_need_update(str(tmp_path))
    assert check_system.lists_need_update(str(tmp_path), now=time.time() + 8 * 24 * 3600)


class FakeApt:
    """Records apt-get runs; fails the first install if told to (lists without the package)."""

    def __init__(self, install_fails_first: bool = False):
        self.calls: list[list[str]] = []
        self.install_fails_first = install_fails_first

    def __call__(self, command, **kwargs):
        assert kwargs["stdin"] is subprocess.DEVNULL and kwargs["env"]["DEBIAN_FRONTEND"] == "noninteractive"
        self.calls.append(command)
        installs = [c for c in self.calls if "install" in c]
        failed = self.install_fails_first and "install" in command and len(installs) == 1
        return subprocess.CompletedProcess(command, 100 if failed else 0)


def test_install_updates_first_when_lists_are_missing():
    apt = FakeApt()
    command = check_system.install_command(["poppler-utils"], euid=0, sudo_works=False)
    assert check_system.install(["poppler-utils"], command, runner=apt, update_first=True) == 0
    assert [c[:2] for c in apt.calls] == [["apt-get", "update"], ["apt-get", "install"]]


def test_install_with_fresh_lists_updates_only_if_the_install_fails():
    apt = FakeApt()
    command = check_system.install_command(["poppler-utils"], euid=0, sudo_works=False)
    assert check_system.install(["poppler-utils"], command, runner=apt, update_first=False) == 0
    assert [c[:2] for c in apt.calls] == [["apt-get", "install"]]
    apt = FakeApt(install_fails_first=True)
    assert check_system.install(["poppler-utils"], command, runner=apt, update_first=False) == 0
    assert [c[:2] for c in apt.calls] == [["apt-get", "install"], ["apt-get", "update"], ["apt-get", "install"]]


def test_sudo_prefix_is_kept_for_the_update_too():
    apt = FakeApt()
    command = check_system.install_command(["poppler-utils"], euid=1000, sudo_works=True)
    check_system.install(["poppler-utils"], command, runner=apt, update_first=True)
    assert all(c[:2] == ["sudo", "-n"] for c in apt.calls)
    assert apt.calls[0][-2:] == ["apt-get", "update"]


def fake_programs(folder: Path, log: Path, sudo_ok: bool) -> None:
    """`apt-get` and `sudo` that only append their arguments to *log*."""
    folder.mkdir()
    (folder / "apt-get").write_text(f'#!/bin/sh\necho "apt-get $*" >> {log}\nexit 0\n')
    (folder / "sudo").write_text(
        f'#!/bin/sh\nif [ "$1 $2" = "-n true" ]; then exit {0 if sudo_ok else 1}; fi\n'
        f'echo "sudo $*" >> {log}\nshift\nexec "$@"\n')
    for name in ("apt-get", "sudo"):
        os.chmod(folder / name, 0o755)


def run_script(tmp_path: Path, *args: str, pretend: str = "poppler-utils", sudo_ok: bool = True,
               as_user: bool = False) -> tuple[subprocess.CompletedProcess, str]:
    log = tmp_path / "calls.log"
    fake_programs(tmp_path / "bin", log, sudo_ok)
    env = {**os.environ, "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}",
           "STATEMENT_ARCHIVE_PRETEND_MISSING": pretend}
    command = [sys.executable, str(SCRIPT), *args]
    if as_user:  # run the real decision code as if not root
        command = [sys.executable, "-c",
                   "import os, runpy, sys; os.geteuid = lambda: 1000; "
                   f"sys.argv = [{str(SCRIPT)!r}, *{list(args)!r}]; runpy.run_path({str(SCRIPT)!r}, run_name='__main__')"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60)
    return done, log.read_text() if log.exists() else ""


def test_nothing_missing_installs_nothing(tmp_path):
    done, calls = run_script(tmp_path, pretend="")
    assert done.returncode == 0, done.stderr
    assert calls == ""


@pytest.mark.skipif(os.geteuid() != 0, reason="the root path is the one CI takes; run as root to see it")
def test_as_root_a_missing_package_is_installed_with_apt_get(tmp_path):
    done, calls = run_script(tmp_path, pretend="poppler-utils")
    assert done.returncode == 0, done.stderr
    assert "apt-get install -y --no-install-recommends poppler-utils" in calls
    assert "sudo" not in calls
    assert "poppler-utils" in done.stderr and "pdftotext" in done.stderr  # says what and why


def test_as_a_user_with_sudo_it_installs_through_sudo(tmp_path):
    done, calls = run_script(tmp_path, "--for-tests", pretend="default-jre-headless", sudo_ok=True, as_user=True)
    assert done.returncode == 0, done.stderr
    assert "sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends default-jre-headless" in calls


def test_as_a_user_without_sudo_it_prints_the_command_and_exits_3(tmp_path):
    done, calls = run_script(tmp_path, pretend="poppler-utils,libharfbuzz-subset0", sudo_ok=False, as_user=True)
    assert done.returncode == 3
    assert calls == ""  # nothing was attempted
    assert ("sudo apt-get update && sudo apt-get install -y --no-install-recommends "
            "libharfbuzz-subset0 poppler-utils") in done.stderr


def test_check_only_never_installs(tmp_path):
    done, calls = run_script(tmp_path, "--check-only", pretend="poppler-utils")
    assert done.returncode == 3 and calls == ""
    assert "apt-get install" in done.stderr
