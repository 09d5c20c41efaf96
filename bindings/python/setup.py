"""Builds the `xfollow` distributions: compiles the `xfollow` cdylib with cargo and ships it
inside the package as `xfollow/libxfollow.so` (a platform wheel, independent of the Python
ABI, loaded with ctypes).

From a checkout the crate is the repository's (../../Cargo.toml). The sdist carries its own
copy under `rust/`: the crate's manifest without the workspace (so the `emulator` member is
not needed), a Cargo.lock with only the crate's dependencies, build.rs, cbindgen.toml and
src/. Cargo.toml's version is the package version; xfollow/_version.py must repeat it.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.sdist import sdist
from setuptools_rust import Binding, RustExtension, Strip, build_rust

try:
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:  # setuptools < 70.1
    from wheel.bdist_wheel import bdist_wheel  # type: ignore[no-redef]

HERE = Path(__file__).resolve().parent
SDIST_CRATE = "rust"
# What cargo needs to build the library, relative to the crate's directory.
CRATE_FILES = ("Cargo.toml", "Cargo.lock", "build.rs", "cbindgen.toml")
CRATE_DIRS = ("src",)
# Tables of the workspace's Cargo.toml that a lone library build does not need.
DROPPED_TABLES = re.compile(r"^\[+(workspace(\..+)?|bench|dev-dependencies|target\..+\.dev-dependencies)\]+\s*$")

if (HERE / SDIST_CRATE / "Cargo.toml").is_file():
    CRATE = HERE / SDIST_CRATE
    FROM_SDIST = True
else:
    CRATE = HERE.parent.parent
    FROM_SDIST = False
MANIFEST = CRATE / "Cargo.toml"

if sys.platform == "darwin":
    LIBRARY_FILE = "libxfollow.dylib"
elif sys.platform == "win32":
    LIBRARY_FILE = "xfollow.dll"
else:
    LIBRARY_FILE = "libxfollow.so"


def _cargo_version() -> str:
    """The `version` of the `[package]` table of the crate's Cargo.toml."""
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


def standalone_manifest(text: str) -> str:
    """`text` (the workspace's Cargo.toml) without the tables in DROPPED_TABLES, each with
    the comment lines just above its header, and with an empty `[workspace]`."""
    chunks = [[]]  # type: list
    for line in text.splitlines(keepends=True):
        if line.startswith("["):
            current = chunks[-1]
            start = len(current)
            while start > 0 and current[start - 1].lstrip().startswith("#"):
                start -= 1
            chunks.append(current[start:])
            del current[start:]
        chunks[-1].append(line)
    kept = [c for c in chunks if not (c and DROPPED_TABLES.match(_header(c)))]
    text = re.sub(r"\n{3,}", "\n\n", "".join("".join(c) for c in kept)).rstrip("\n")
    # Its own workspace root, wherever the sdist is unpacked.
    return text + "\n\n[workspace]\n"


def _header(chunk: list) -> str:
    return next((line for line in chunk if line.startswith("[")), "")


def stage_crate(dest: Path) -> None:
    """Copies the crate's build inputs into `dest` and narrows Cargo.lock to them."""
    dest.mkdir(parents=True)
    for name in CRATE_FILES:
        shutil.copy2(CRATE / name, dest / name)
    for name in CRATE_DIRS:
        shutil.copytree(CRATE / name, dest / name)
    manifest = dest / "Cargo.toml"
    manifest.write_text(standalone_manifest(manifest.read_text(encoding="utf-8")), encoding="utf-8")
    # Resolving against the workspace's lock keeps every pinned version and drops the
    # packages only the other members or the dev-dependencies use (cargo's own network
    # settings apply: CARGO_NET_OFFLINE=true uses only crates already fetched).
    subprocess.run(
        [os.environ.get("CARGO", "cargo"), "tree", "--quiet", "--manifest-path", str(manifest),
         "--prefix", "none"],
        check=True, stdout=subprocess.DEVNULL,
    )


class Sdist(sdist):
    """Adds the crate (see the module's docstring) to the release tree."""

    def make_release_tree(self, base_dir, files):  # type: ignore[no-untyped-def]
        super().make_release_tree(base_dir, files)
        dest = Path(base_dir) / SDIST_CRATE
        if dest.exists():
            shutil.rmtree(dest)
        stage_crate(dest)


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
            # The sdist's Cargo.lock is exactly the crate's: build with those versions only.
            cargo_manifest_args=["--locked"] if FROM_SDIST else None,
        )
    ],
    cmdclass={"build_rust": BuildRust, "bdist_wheel": BdistWheel, "sdist": Sdist},
)
