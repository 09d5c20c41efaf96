"""Builds the `xfollow` wheel: compiles the workspace's `xfollow` cdylib with cargo and ships
it inside the package as `xfollow/libxfollow.so` (a platform wheel, independent of the Python
ABI, loaded with ctypes)."""

import re
import sys
from pathlib import Path

from setuptools import setup
from setuptools_rust import Binding, RustExtension, Strip, build_rust

try:
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:  # setuptools < 70.1
    from wheel.bdist_wheel import bdist_wheel  # type: ignore[no-redef]

HERE = Path(__file__).resolve().parent
MANIFEST = HERE.parent.parent / "Cargo.toml"

if sys.platform == "darwin":
    LIBRARY_FILE = "libxfollow.dylib"
elif sys.platform == "win32":
    LIBRARY_FILE = "xfollow.dll"
else:
    LIBRARY_FILE = "libxfollow.so"


def _cargo_version() -> str:
    """The `version` of the `[package]` table of the workspace's Cargo.toml."""
    text = MANIFEST.read_text(encoding="utf-8")
    package = re.search(r"^\[package\]\s*$(.*?)(?=^\[|\Z)", text, re.S | re.M)
    found = package and re.search(r'^version\s*=\s*"([^"]+)"', package.group(1), re.M)
    if not found:
        sys.exit(f"xfollow: no [package] version in {MANIFEST}")
    return found.group(1)


def _package_version() -> str:
    text = (HERE / "xfollow" / "_version.py").read_text(encoding="utf-8")
    found = re.search(r'^__version__\s*=\s*"([^"]+)"', text, re.M)
    if not found:
        sys.exit("xfollow: no __version__ in xfollow/_version.py")
    return found.group(1)


if _cargo_version() != _package_version():
    sys.exit(
        f"xfollow: xfollow/_version.py says {_package_version()} but {MANIFEST} says "
        f"{_cargo_version()}; they must be the same release"
    )


class BuildRust(build_rust):
    """Copies the cdylib as `xfollow/libxfollow.so` (no Python ABI suffix: ctypes loads it)."""

    def get_dylib_ext_path(self, ext: RustExtension, target_fname: str) -> str:
        default = Path(super().get_dylib_ext_path(ext, target_fname))
        return str(default.parent / LIBRARY_FILE)


class BdistWheel(bdist_wheel):
    """The library does not use the Python C API: one wheel serves every Python 3."""

    def get_tag(self):  # type: ignore[no-untyped-def]
        _, _, plat = super().get_tag()
        return "py3", "none", plat


setup(
    rust_extensions=[
        RustExtension(
            "xfollow.libxfollow",
            path=str(MANIFEST),
            binding=Binding.NoBinding,
            py_limited_api=False,
            strip=Strip.Debug,
        )
    ],
    cmdclass={"build_rust": BuildRust, "bdist_wheel": BdistWheel},
)
