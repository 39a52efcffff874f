"""``./uvw``, the README's way in: uv from PATH, or installed for the checkout with
``pip --target`` where the system's pip refuses everything else (PEP 668)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.paths import ROOT

#: A python3 whose pip behaves as configured by the test, and logs what it was asked.
FAKE_PYTHON = """#!{python}
import os, sys
from pathlib import Path
log = Path(os.environ["FAKE_LOG"])
with log.open("a") as out:
    out.write(" ".join(sys.argv[1:]) + "\\n")
mode = os.environ["FAKE_PIP"]
if sys.argv[1:3] != ["-m", "pip"] or mode == "missing":
    sys.exit("No module named pip")
if sys.argv[3] == "--version":
    sys.exit(0)
if mode == "refuses":
    sys.exit("error: externally-managed-environment")
target = Path(sys.argv[sys.argv.index("--target") + 1])
(target / "bin").mkdir(parents=True)
uv = target / "bin" / "uv"
uv.write_text('#!/bin/sh\\necho "installed uv: $*"\\n')
uv.chmod(0o755)
"""


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A copy of the wrapper in a checkout of its own, so .uvw/ lands there."""
    root = tmp_path / "checkout"
    root.mkdir()
    shutil.copy2(ROOT / "uvw", root / "uvw")
    return root


def _bin(tmp_path: Path, *, uv: bool = False, pip: str = "installs") -> dict[str, str]:
    """An environment whose PATH holds only the tools named, and rm."""
    directory = tmp_path / "bin"
    directory.mkdir()
    rm = shutil.which("rm")
    assert rm is not None
    (directory / "rm").symlink_to(rm)
    python = directory / "python3"
    python.write_text(FAKE_PYTHON.format(python=sys.executable))
    python.chmod(0o755)
    if uv:
        fake = directory / "uv"
        fake.write_text('#!/bin/sh\necho "uv from PATH: $*"\n')
        fake.chmod(0o755)
    return {
        "PATH": str(directory),
        "HOME": str(tmp_path),
        "FAKE_PIP": pip,
        "FAKE_LOG": str(tmp_path / "pip.log"),
    }


def _run(
    checkout: Path, env: dict[str, str], *args: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["./uvw", *args],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _pip_calls(env: dict[str, str]) -> list[str]:
    log = Path(env["FAKE_LOG"])
    return log.read_text().splitlines() if log.exists() else []


def test_uv_on_path_is_used_as_is(checkout: Path, tmp_path: Path) -> None:
    env = _bin(tmp_path, uv=True)
    result = _run(checkout, env, "run", "pytest", "-q")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "uv from PATH: run pytest -q\n"
    assert _pip_calls(env) == []
    assert not (checkout / ".uvw").exists()


def test_without_uv_it_installs_uv_into_the_checkout_once(
    checkout: Path, tmp_path: Path
) -> None:
    env = _bin(tmp_path)
    first = _run(checkout, env, "run", "pallets-bot", "playground")
    assert first.returncode == 0, first.stderr
    assert first.stdout == "installed uv: run pallets-bot playground\n"
    assert "installing it into .uvw/" in first.stderr
    (install,) = [call for call in _pip_calls(env) if " install " in call]
    # Into a folder (allowed by PEP 668), never --user or --break-system-packages.
    assert f"--target {checkout / '.uvw'}" in install
    assert "--user" not in install and "--break-system-packages" not in install

    again = _run(checkout, env, "run", "pytest")
    assert again.stdout == "installed uv: run pytest\n"
    assert again.stderr == ""
    assert len([call for call in _pip_calls(env) if " install " in call]) == 1


def test_without_uv_or_pip_it_says_what_to_install(
    checkout: Path, tmp_path: Path
) -> None:
    result = _run(checkout, _bin(tmp_path, pip="missing"), "run", "pytest")
    assert result.returncode == 127
    assert "has no pip" in result.stderr
    assert "sudo apt install python3-pip" in result.stderr
    assert "https://docs.astral.sh/uv/getting-started/installation/" in result.stderr


def test_a_failed_install_leaves_nothing_half_done(
    checkout: Path, tmp_path: Path
) -> None:
    result = _run(checkout, _bin(tmp_path, pip="refuses"), "run", "pytest")
    assert result.returncode == 1
    assert "could not install uv with pip" in result.stderr
    assert not (checkout / ".uvw").exists()


def test_the_wrapper_is_executable_in_a_fresh_clone() -> None:
    assert os.access(ROOT / "uvw", os.X_OK)
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: the committed file mode cannot be read")
    mode = subprocess.run(
        ["git", "ls-files", "--stage", "uvw"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()[0]
    assert mode == "100755"
