"""The package itself: versions, the ctypes table against the library's exports and the
header, library loading and its errors."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import xfollow
from xfollow import _ffi

REPO = Path(__file__).resolve().parents[3]
PACKAGE_DIR = REPO / "bindings" / "python"
HEADER = REPO / "include" / "xfollow.h"


def _cargo_version() -> str:
    text = (REPO / "Cargo.toml").read_text()
    package = text.split("[package]", 1)[1].split("\n[", 1)[0]
    return re.search(r'^version\s*=\s*"([^"]+)"', package, re.M).group(1)


def test_versions_agree():
    assert xfollow.__version__ == _cargo_version()
    assert xfollow.library_version == xfollow.__version__
    major, minor, patch = (int(x) for x in xfollow.__version__.split("."))
    assert xfollow._library.x_version_number() == major * 10000 + minor * 100 + patch


def test_version_check_refuses_another_library():
    _ffi.check_version("0.1.0", "0.1.0", "/x/libxfollow.so")  # same: no error
    with pytest.raises(xfollow.LibraryVersionError) as ei:
        _ffi.check_version("0.2.0", "0.1.0", "/x/libxfollow.so")
    assert str(ei.value) == (
        "xfollow 0.1.0 needs libxfollow 0.1.0, but /x/libxfollow.so is libxfollow 0.2.0: "
        "reinstall the package (`pip install ./bindings/python`) or point XFOLLOW_LIBRARY "
        "at a matching build"
    )
    assert isinstance(ei.value, ImportError)
    with pytest.raises(xfollow.LibraryVersionError, match=r"is libxfollow \(unknown\)"):
        _ffi.check_version("", "0.1.0", "/x/libxfollow.so")


def _exported(path: str) -> set:
    out = subprocess.run(["nm", "-D", "--defined-only", path], check=True, capture_output=True, text=True).stdout
    return {line.split()[-1] for line in out.splitlines() if line.split()[-1].startswith("x_")}


@pytest.mark.skipif(shutil.which("nm") is None, reason="nm (binutils) is not installed")
def test_table_declares_every_exported_function():
    assert set(_ffi._SIGNATURES) == _exported(xfollow.library_path)


def test_table_covers_the_header():
    declared = set(re.findall(r"\b(x_[a-z0-9_]+)\s*\(", HEADER.read_text()))
    assert declared, "no function found in include/xfollow.h"
    assert declared == set(_ffi._SIGNATURES)


def test_errcheck_on_every_fallible_function():
    lib = xfollow._library
    for name, (restype, argtypes) in _ffi._SIGNATURES.items():
        fn = getattr(lib, name)
        assert fn.argtypes == argtypes, name
        if restype is _ffi._CHECKED:
            assert fn.errcheck == lib._check, name
            assert fn.restype is ctypes.c_int
        else:
            assert fn.restype is restype, name


def test_result_str():
    lib = xfollow._library
    assert lib.x_result_str(0) == b"ok"
    assert lib.x_result_str(5) == b"rate limited (HTTP 429)"
    assert lib.x_result_str(999) == b"unknown result code"


def _import_with(library: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, XFOLLOW_LIBRARY=library, PYTHONPATH=str(PACKAGE_DIR))
    return subprocess.run([sys.executable, "-c", "import xfollow"], env=env, capture_output=True, text=True)


def test_xfollow_library_that_does_not_exist():
    r = _import_with("/nonexistent/libxfollow.so")
    assert r.returncode == 1
    assert "ImportError: xfollow: cannot load libxfollow from /nonexistent/libxfollow.so" in r.stderr


def test_xfollow_library_that_is_not_libxfollow():
    libc = ctypes.util.find_library("c")
    assert libc
    r = _import_with(libc)
    assert r.returncode == 1
    assert f"ImportError: xfollow: {libc} does not export x_version" in r.stderr


def test_missing_bundled_library_says_how_to_fix_it(monkeypatch, tmp_path):
    monkeypatch.delenv("XFOLLOW_LIBRARY", raising=False)
    monkeypatch.setattr(_ffi, "__file__", str(tmp_path / "_ffi.py"))
    with pytest.raises(ImportError) as ei:
        _ffi.library_path()
    assert str(ei.value).startswith(f"xfollow: {tmp_path / _ffi.LIBRARY_FILE} is missing")
    assert "XFOLLOW_LIBRARY" in str(ei.value)


def test_typed_package():
    assert (Path(xfollow.__file__).parent / "py.typed").exists()
    assert set(xfollow.__all__) >= {
        "Client", "XError", "InvalidArgument", "AuthError", "Forbidden", "NotFound", "RateLimited",
        "NetworkError", "Timeout", "ServerError", "ProtocolError", "FollowResult", "UnfollowResult",
        "User", "FollowState", "RateLimit",
    }
