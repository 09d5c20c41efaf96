#!/usr/bin/env bash
# Installs what `make build` built into temporary prefixes (`make install`) and uses it as a
# C and C++ user would: the layout and soname, pkg-config, the C example built with
# `pkg-config --cflags --libs xfollow` (shared and static) and the C++ example, the same
# examples built by CMake with find_package(xfollow) from a staged DESTDIR, each run against
# the emulator at $X_API_BASE_URL (scripts/with-emulator.sh starts one); then
# `make uninstall` removes every file it installed.
set -uo pipefail
# (grep -q reads from here-strings: in a pipe it would stop its writer with SIGPIPE)
here="$(cd "$(dirname "$0")/../../.." && pwd)"
cd "$here"
MAKE="${MAKE:-make}"
CC="${CC:-cc}"
CXX="${CXX:-c++}"
passed=0; failed=0
ok() { passed=$((passed+1)); }
bad() { failed=$((failed+1)); echo "FAILED: $*"; }
check() { if eval "$1"; then ok; else bad "$1"; fi; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
version="$(sed -n 's/^version = "\([^"]*\)".*/\1/p' Cargo.toml | head -n 1)"
prefix="$tmp/prefix"

# 1. make install PREFIX=...
if ! $MAKE --no-print-directory -s install PREFIX="$prefix" LDCONFIG=: >"$tmp/install.log" 2>&1; then
    cat "$tmp/install.log"; echo "make install failed"; exit 1
fi
lib="$prefix/lib"
check '[ -f "$lib/libxfollow.so.$version" ] && [ ! -L "$lib/libxfollow.so.$version" ]'
check '[ "$(readlink "$lib/libxfollow.so.0")" = "libxfollow.so.$version" ]'
check '[ "$(readlink "$lib/libxfollow.so")" = "libxfollow.so.0" ]'
check '[ -f "$lib/libxfollow.a" ]'
check 'grep -q "SONAME.*\[libxfollow.so.0\]" <<<"$(readelf -d "$lib/libxfollow.so.$version")"'
check 'cmp -s include/xfollow.h "$prefix/include/xfollow.h"'
check 'cmp -s bindings/cpp/xfollow.hpp "$prefix/include/xfollow.hpp"'
check 'cmp -s build/lib/libxfollow.so.0 "$lib/libxfollow.so.$version"'
check '[ -f "$lib/cmake/xfollow/xfollowConfig.cmake" ] && grep -qx "set(PACKAGE_VERSION \"$version\")" "$lib/cmake/xfollow/xfollowConfigVersion.cmake"'
check '[ "$(stat -c %a "$prefix/include/xfollow.h")" = 644 ] && [ "$(stat -c %a "$lib/libxfollow.so.$version")" = 755 ]'

# 2. pkg-config sees it.
export PKG_CONFIG_PATH="$lib/pkgconfig"
check '[ "$(pkg-config --modversion xfollow)" = "$version" ]'
# (word-split to drop the trailing space pkg-config prints)
check '[ "$(echo $(pkg-config --cflags xfollow))" = "-I$prefix/include" ]'
check '[ "$(echo $(pkg-config --libs xfollow))" = "-L$lib -lxfollow" ]'
check '[ "$(pkg-config --variable=libdir xfollow)" = "$lib" ]'
check 'grep -q -- "-lpthread" <<<"$(pkg-config --static --libs xfollow)"'
check 'pkg-config --validate xfollow'

# 3. The C example, built from the installed prefix only (no -I/-L into the source tree).
run_example() { # name, binary
    local name="$1" bin="$2" out st
    local creds=(env X_CONSUMER_KEY=demo-consumer-key X_CONSUMER_SECRET=demo-consumer-secret
                 X_ACCESS_TOKEN=1500000000000000001-aliceDemoAccessToken X_ACCESS_TOKEN_SECRET=alice-demo-token-secret)
    out="$("${creds[@]}" "$bin" 1500000000000000002 2>&1)"; st=$?
    if [ "$st" = 0 ] && grep -q "^follow: 1500000000000000001 -> 1500000000000000002 (OAuth 1.0a)" <<<"$out" \
        && grep -q "^state: following" <<<"$out"; then ok; else bad "$name follow (status $st)"; echo "$out"; fi
    out="$("${creds[@]}" "$bin" --unfollow 1500000000000000002 2>&1)"; st=$?
    if [ "$st" = 0 ] && grep -q "^state: not following" <<<"$out"; then ok; else bad "$name unfollow (status $st)"; echo "$out"; fi
}
# shellcheck disable=SC2046
if $CC -std=c99 -Wall -Wextra -Werror -pedantic bindings/c/examples/follow.c $(pkg-config --cflags --libs xfollow) \
       -Wl,-rpath,"$lib" -o "$tmp/follow-c" 2>"$tmp/cc.log"; then
    ok
    check 'grep -q "libxfollow.so.0 => $lib/libxfollow.so.0" <<<"$(ldd "$tmp/follow-c")"'
    run_example "C (shared)" "$tmp/follow-c"
else
    bad "building follow.c with pkg-config"; cat "$tmp/cc.log"
fi

# The static library with Libs.private.
static_libs="$(pkg-config --static --libs-only-l xfollow | sed 's/-lxfollow//')"
# shellcheck disable=SC2086
if $CC -std=c99 -Wall -Wextra -Werror $(pkg-config --cflags xfollow) bindings/c/examples/follow.c \
       "$lib/libxfollow.a" $static_libs -o "$tmp/follow-static" 2>"$tmp/cc-static.log"; then
    ok
    check '! grep -q libxfollow <<<"$(ldd "$tmp/follow-static")"'
    run_example "C (static)" "$tmp/follow-static"
else
    bad "building follow.c against libxfollow.a with Libs.private"; cat "$tmp/cc-static.log"
fi

# 4. The C++ example from the installed prefix.
# shellcheck disable=SC2046
if $CXX -std=c++17 -Wall -Wextra -Werror -pedantic bindings/cpp/examples/follow.cpp $(pkg-config --cflags --libs xfollow) \
        -Wl,-rpath,"$lib" -o "$tmp/follow-cpp" 2>"$tmp/cxx.log"; then
    ok
    run_example "C++" "$tmp/follow-cpp"
else
    bad "building follow.cpp with pkg-config"; cat "$tmp/cxx.log"
fi

# 5. DESTDIR stages the files under it; the pkg-config file names the final prefix.
stage="$tmp/stage"
if $MAKE --no-print-directory -s install DESTDIR="$stage" PREFIX=/opt/xfollow LDCONFIG=: >"$tmp/install2.log" 2>&1; then
    ok
    check '[ -f "$stage/opt/xfollow/lib/libxfollow.so.$version" ] && [ -f "$stage/opt/xfollow/include/xfollow.hpp" ]'
    check '[ "$(readlink "$stage/opt/xfollow/lib/libxfollow.so.0")" = "libxfollow.so.$version" ]'
    check 'grep -qx "prefix=/opt/xfollow" "$stage/opt/xfollow/lib/pkgconfig/xfollow.pc"'
    check 'grep -qx "libdir=\${prefix}/lib" "$stage/opt/xfollow/lib/pkgconfig/xfollow.pc"'
    check '[ "$(find "$stage" -mindepth 1 -maxdepth 1)" = "$stage/opt" ]'
else
    bad "make install DESTDIR=..."; cat "$tmp/install2.log"
fi

# 6. CMake: find_package(xfollow CONFIG REQUIRED) from the staged prefix builds the C example
# (shared and static) and the C++ example, which then follow and unfollow.
if command -v cmake >/dev/null; then
    staged="$stage/opt/xfollow"
    if cmake -S bindings/cpp/tests/cmake -B "$tmp/cmake" -DCMAKE_PREFIX_PATH="$staged" \
             -DCMAKE_BUILD_RPATH="$staged/lib" >"$tmp/cmake.log" 2>&1 \
       && cmake --build "$tmp/cmake" >>"$tmp/cmake.log" 2>&1; then
        ok
        check 'grep -q "libxfollow.so.0 => $staged/lib/libxfollow.so.0" <<<"$(ldd "$tmp/cmake/follow_c")"'
        check '! grep -q libxfollow <<<"$(ldd "$tmp/cmake/follow_c_static")"'
        run_example "CMake C (shared)" "$tmp/cmake/follow_c"
        run_example "CMake C (static)" "$tmp/cmake/follow_c_static"
        run_example "CMake C++" "$tmp/cmake/follow_cpp"
    else
        bad "building the examples with find_package(xfollow)"; cat "$tmp/cmake.log"
    fi
    # A version the package does not satisfy is refused.
    mkdir -p "$tmp/cmake-v"
    printf 'cmake_minimum_required(VERSION 3.16)\nproject(v NONE)\nfind_package(xfollow 9.0 CONFIG REQUIRED)\n' \
        > "$tmp/cmake-v/CMakeLists.txt"
    check '! cmake -S "$tmp/cmake-v" -B "$tmp/cmake-v/b" -DCMAKE_PREFIX_PATH="$staged" >"$tmp/cmake-v.log" 2>&1'
    check 'grep -q "xfollowConfig.cmake, version: $version\$" "$tmp/cmake-v.log"'
else
    bad "cmake is not installed (Debian package cmake)"
fi

# 7. make uninstall removes every installed file and nothing else.
touch "$lib/other-file"
if $MAKE --no-print-directory -s uninstall PREFIX="$prefix" LDCONFIG=: >"$tmp/uninstall.log" 2>&1; then
    ok
    check '[ "$(cd "$prefix" && find . -type f -o -type l | sort)" = "./lib/other-file" ]'
else
    bad "make uninstall"; cat "$tmp/uninstall.log"
fi

echo "install: $passed passed, $failed failed"
[ "$failed" = 0 ]
