#!/usr/bin/env bash
# The tools `make demo` and `make test` need, checked before anything is built, with what to
# do about each one missing. Usage: check-tools.sh demo|test
# (Debian packages that `make system-deps` installs when run as root are checked there.)
set -u
cd "$(dirname "$0")/.."
what="${1:-test}"
problems=()

# version_at_least HAVE WANT: dotted versions compared field by field.
version_at_least() {
    [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1)" = "$2" ]
}

need_rust=$(sed -n 's/^rust-version = "\([^"]*\)".*/\1/p' Cargo.toml | head -n 1)
if ! command -v cargo >/dev/null || ! command -v rustc >/dev/null; then
    problems+=("Rust $need_rust or newer (cargo and rustc): install it with rustup")
else
    have_rust=$(rustc --version | awk '{print $2}')
    version_at_least "${have_rust%%-*}" "$need_rust" ||
        problems+=("Rust $need_rust or newer: rustc is $have_rust (rustup update stable)")
fi
for tool in "${CC:-cc}" "${CXX:-c++}" make; do
    command -v "$tool" >/dev/null || problems+=("$tool (Debian: apt-get install build-essential)")
done
if ! command -v python3 >/dev/null; then
    problems+=("Python 3.9 or newer with pip and venv (Debian: apt-get install python3 python3-venv python3-pip)")
else
    have_py=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    version_at_least "$have_py" 3.9 || problems+=("Python 3.9 or newer: python3 is $have_py")
    python3 -c 'import venv, ensurepip' 2>/dev/null ||
        problems+=("Python's venv with pip (Debian: apt-get install python3-venv)")
fi
if [ "$what" = test ] && [ "$(id -u)" != 0 ] && ! command -v dpkg >/dev/null; then
    for tool in ruby rake redis-server valgrind pkg-config cmake; do
        command -v "$tool" >/dev/null || problems+=("$tool (not a Debian system: install it with your package manager)")
    done
    ruby -e 'require "ffi"; require "minitest"' 2>/dev/null ||
        problems+=("Ruby gems ffi and minitest (gem install ffi minitest)")
fi

if [ ${#problems[@]} -gt 0 ]; then
    echo "make $what cannot run; missing:" >&2
    printf '  - %s\n' "${problems[@]}" >&2
    exit 1
fi
echo "tools: rustc $(rustc --version | awk '{print $2}'), $("${CC:-cc}" --version | head -n 1), python3 $(python3 -c 'import platform; print(platform.python_version())')"
