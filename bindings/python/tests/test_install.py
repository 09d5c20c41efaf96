"""`pip install ./bindings/python` into a fresh virtualenv builds libxfollow (release),
bundles it in a platform wheel, and the installed package works on its own."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import venv
from pathlib import Path

import pytest

import xfollow

PACKAGE_DIR = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    env_dir = tmp_path_factory.mktemp("fresh-venv")
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("XFOLLOW_LIBRARY", "PYTHONPATH")}
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-cache-dir", str(PACKAGE_DIR)],
        check=True, env=env, timeout=1800,
    )
    return python, env


def test_installed_wheel_bundles_the_library(installed, emulator):
    python, env = installed
    script = textwrap.dedent(f"""
        import os, pathlib, sys
        import xfollow
        pkg = pathlib.Path(xfollow.__file__).parent
        assert pathlib.Path(xfollow.library_path) == pkg / "libxfollow.so", xfollow.library_path
        assert (pkg / "py.typed").exists()
        assert xfollow.library_version == xfollow.__version__ == {xfollow.__version__!r}
        with xfollow.Client.oauth1("demo-consumer-key", "demo-consumer-secret",
                                   "1500000000000000001-aliceDemoAccessToken",
                                   "alice-demo-token-secret", base_url={emulator.base_url!r}) as c:
            r = c.follow("1500000000000000002")
            print(r.following, r.pending_follow, r.state.value, r.rate_limit.endpoint.remaining)
            try:
                c.follow("not-an-id")
            except xfollow.InvalidArgument as e:
                print(type(e).__name__, e.code, e)
    """)
    r = subprocess.run([str(python), "-c", script], env=env, capture_output=True, text=True,
                       cwd=str(python.parent))
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == [
        "True False following 49",
        "InvalidArgument 1 target user id must be a user id of 1 to 19 digits",
    ]
    wheel = subprocess.run([str(python), "-m", "pip", "show", "-f", "xfollow"], env=env,
                           capture_output=True, text=True, check=True).stdout
    assert "xfollow/libxfollow.so" in wheel
