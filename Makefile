# xfollow: the README's commands. `make demo` runs the main job, `make test` every suite.
CARGO   ?= cargo
VENV    := .venv
PY      := $(VENV)/bin/python
# `make build PROFILE=release` builds (and `make install` then installs) the release library.
PROFILE ?= debug
TARGET  := target/$(PROFILE)
CARGO_PROFILE := $(if $(filter release,$(PROFILE)),--release)
EMULATOR := $(TARGET)/xfollow-emulator

.PHONY: all build emulator venv tools system-deps demo test test-rust test-emulator-py test-python header lib \
        test-ruby test-cpp cpp-example install uninstall test-install ruby-gem python-dist \
        test-c test-header c-example bench fuzz fuzz-cmin miri

# Debian packages the suites need (Ruby for the gem's tests, Redis for the shared quota
# ledger, valgrind for the C tests, cmake for the installed CMake package), installed only when running as root and missing.
SYSTEM_PACKAGES := ruby ruby-ffi ruby-minitest rake redis-server valgrind pkg-config cmake

all: build

# The library as a C user gets it: build/lib/libxfollow.so.0 (soname) with the
# libxfollow.so link, libxfollow.a, and the example at build/bin/follow.
BUILD    := build
LIBDIR   := $(BUILD)/lib
CC       ?= cc
CXX      ?= c++
CWARN    := -Wall -Wextra -Werror
CFLAGS_X := -std=c99 $(CWARN) -pedantic -g -Iinclude
LDFLAGS_X := -L$(LIBDIR) -lxfollow -Wl,-rpath,'$$ORIGIN/../lib'
C_TESTS  := bindings/c/tests
C_EXAMPLES := follow login_pkce login_pin
VALGRIND := valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
            --show-leak-kinds=definite,indirect

build: lib emulator c-example

# The library alone; the emulator is its own target (the suites and the demo need it).
lib:
	$(CARGO) build $(CARGO_PROFILE) -p xfollow
	mkdir -p $(LIBDIR) $(BUILD)/bin
	@# Replace by rename, never in place: a running program maps the old file.
	@for f in libxfollow.so:libxfollow.so.0 libxfollow.a:libxfollow.a; do \
	  src=$(TARGET)/$${f%%:*}; dst=$(LIBDIR)/$${f##*:}; \
	  cmp -s $$src $$dst || { cp $$src $$dst.tmp.$$$$ && mv -f $$dst.tmp.$$$$ $$dst; }; \
	done
	ln -sf libxfollow.so.0 $(LIBDIR)/libxfollow.so

c-example: lib
	for ex in $(C_EXAMPLES); do $(CC) $(CFLAGS_X) bindings/c/examples/$$ex.c $(LDFLAGS_X) -o $(BUILD)/bin/$$ex || exit 1; done

# scripts/with-emulator.sh and the suites run the debug emulator, whatever PROFILE is.
emulator:
	$(CARGO) build -p xfollow-emulator

# Client CPU per follow (release build) against the emulator; figures go to BENCHMARKS.md.
BENCH_N ?= 5000
bench:
	$(CARGO) build --release -p xfollow -p xfollow-emulator
	XFOLLOW_BENCH_N=$(BENCH_N) $(CARGO) bench -p xfollow --bench follow_cpu
	mkdir -p $(BUILD)/bench/lib
	cp target/release/libxfollow.so $(BUILD)/bench/lib/libxfollow.so.0.tmp
	mv -f $(BUILD)/bench/lib/libxfollow.so.0.tmp $(BUILD)/bench/lib/libxfollow.so.0
	ln -sf libxfollow.so.0 $(BUILD)/bench/lib/libxfollow.so
	$(CC) -O2 -std=c99 $(CWARN) -Iinclude benches/follow_cpu.c -L$(BUILD)/bench/lib -lxfollow \
	  -Wl,-rpath,'$$ORIGIN/lib' -o $(BUILD)/bench/follow_cpu_c
	python3 -c 'import json; w = json.load(open("emulator/demo-world.json")); \
	  w["limits"] = {k: 10**9 for k in w["limits"]}; json.dump(w, open("$(BUILD)/bench/world.json", "w"))'
	XFOLLOW_EMULATOR=target/release/xfollow-emulator scripts/with-emulator.sh \
	  --config $(BUILD)/bench/world.json $(BUILD)/bench/follow_cpu_c $(BENCH_N)

# Fuzzing (nightly + cargo-fuzz): each target of fuzz/Cargo.toml for FUZZ_SECONDS (default
# 60), printing its executions and coverage; FUZZ_TARGETS="framing gzip" picks some. New
# inputs land in fuzz/corpus/<target>; `make fuzz-cmin` minimizes them before a commit. The
# committed seeds, corpora, artifacts and regressions are replayed on stable by `make test`
# (tests/fuzz_corpora.rs, emulator/tests/fuzz_corpora.rs).
FUZZ_SECONDS ?= 60
fuzz:
	FUZZ_SECONDS=$(FUZZ_SECONDS) fuzz/run.sh

fuzz-cmin:
	fuzz/run.sh cmin

# The C ABI's unit tests under miri (nightly): pointer, string and handle helpers,
# out-parameters, frees with NULL, the panic boundary. Not part of `make test`.
miri:
	$(CARGO) +nightly miri test -p xfollow --lib ffi::

# Regenerate include/xfollow.h from src/ffi (commit the result; a test fails when stale).
header:
	XFOLLOW_UPDATE_HEADER=1 $(CARGO) build -p xfollow

demo: tools build
	scripts/demo.sh

# A local virtualenv with the Python packages the suites need.
venv: $(VENV)/.installed
$(VENV)/.installed: requirements-dev.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

# Rust (Cargo.toml's rust-version), a C and C++ compiler, Python 3.9+ with venv: checked
# first, with what to install for each one missing.
tools:
	@scripts/check-tools.sh $(if $(filter demo,$(MAKECMDGOALS)),demo,test)

system-deps:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing: $$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "missing Debian packages: $$missing (run as root or install them)"; exit 1; \
	  fi; \
	fi

test: tools system-deps test-rust test-header test-c test-emulator-py test-python test-ruby test-cpp test-install

# The Python package against the debug library and the emulator; tests/test_package_dist.py
# also builds the sdist and the manylinux wheel (dev profile, this target directory) and
# installs each into a fresh virtualenv.
test-python: build venv
	XFOLLOW_LIBRARY=$(CURDIR)/$(TARGET)/libxfollow.so PYTHONPATH=bindings/python \
	  $(PY) -m pytest -q bindings/python/tests

# The Python distributions for a package index (bindings/python/README.md): in
# build/python-dist, the sdist (it carries the crate's sources; installing it runs cargo) and
# the release wheel built from it, repaired by auditwheel to a manylinux tag; twine checks both.
PYDIST := $(BUILD)/python-dist
python-dist: venv
	rm -rf $(PYDIST)
	CARGO_TARGET_DIR=$${CARGO_TARGET_DIR:-$(CURDIR)/target} $(PY) -m build --outdir $(PYDIST)/raw bindings/python
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH $(VENV)/bin/auditwheel repair --wheel-dir $(PYDIST) $(PYDIST)/raw/*.whl
	mv $(PYDIST)/raw/*.tar.gz $(PYDIST)/ && rm -rf $(PYDIST)/raw
	$(VENV)/bin/twine check --strict $(PYDIST)/*

test-rust: emulator
	$(CARGO) test --workspace

# The header compiles warning-free as C99 and C++11, and only x_* symbols are exported.
test-header: lib
	mkdir -p $(BUILD)/test
	$(CC) $(CFLAGS_X) $(C_TESTS)/header_c.c $(LDFLAGS_X) -o $(BUILD)/test/header_c
	$(CXX) -std=c++11 $(CWARN) -pedantic -Iinclude $(C_TESTS)/header_cpp.cpp $(LDFLAGS_X) -o $(BUILD)/test/header_cpp
	$(BUILD)/test/header_c && $(BUILD)/test/header_cpp
	@bad=$$(nm -D --defined-only $(LIBDIR)/libxfollow.so.0 | awk '{print $$3}' | grep -v '^x_' || true); \
	if [ -n "$$bad" ]; then echo "symbols exported without the x_ prefix:"; echo "$$bad"; exit 1; fi
	@n=$$(nm -D --defined-only $(LIBDIR)/libxfollow.so.0 | grep -c ' x_'); echo "exported x_* symbols: $$n"
	@readelf -d $(LIBDIR)/libxfollow.so.0 | grep -q 'SONAME.*\[libxfollow.so.0\]' && echo "soname: libxfollow.so.0"
	@echo "header: C99 and C++11 OK"

# C tests: each C_UNIT_TESTS program and each C example is built twice (AddressSanitizer,
# plain) and run twice (the ASan build, the plain build under valgrind), each run against
# its own emulator; then the example against oauthlib's verifier and the login examples
# driven end to end with the test as the browser.
C_UNIT_TESTS := test_abi test_limits test_tokens test_lookups
ASAN_C       := -fsanitize=address -fno-omit-frame-pointer
TEST_BIN     := $(BUILD)/test
C_TEST_BINS  := $(foreach t,$(C_UNIT_TESTS),$(TEST_BIN)/$(t) $(TEST_BIN)/$(t)_asan) \
                $(C_EXAMPLES:%=$(TEST_BIN)/%_asan)

$(TEST_BIN)/%_asan: $(C_TESTS)/%.c include/xfollow.h $(LIBDIR)/libxfollow.so.0
	@mkdir -p $(TEST_BIN)
	$(CC) $(CFLAGS_X) $(ASAN_C) $< $(LDFLAGS_X) -lpthread -o $@
$(TEST_BIN)/%_asan: bindings/c/examples/%.c include/xfollow.h $(LIBDIR)/libxfollow.so.0
	@mkdir -p $(TEST_BIN)
	$(CC) $(CFLAGS_X) $(ASAN_C) $< $(LDFLAGS_X) -o $@
$(TEST_BIN)/%: $(C_TESTS)/%.c include/xfollow.h $(LIBDIR)/libxfollow.so.0
	@mkdir -p $(TEST_BIN)
	$(CC) $(CFLAGS_X) $< $(LDFLAGS_X) -lpthread -o $@

test-c: export RUST_BACKTRACE=0
test-c: lib emulator c-example venv
	$(MAKE) --no-print-directory $(C_TEST_BINS)
	@for t in $(C_UNIT_TESTS); do \
	  echo "== $$t (AddressSanitizer)"; ASAN_OPTIONS=detect_leaks=1 scripts/with-emulator.sh $(TEST_BIN)/$${t}_asan || exit 1; \
	  echo "== $$t (valgrind)"; scripts/with-emulator.sh $(VALGRIND) $(TEST_BIN)/$$t || exit 1; \
	done
	ASAN_OPTIONS=detect_leaks=1 scripts/with-emulator.sh $(C_TESTS)/example_test.sh $(TEST_BIN)/follow_asan
	scripts/with-emulator.sh $(C_TESTS)/example_test.sh $(VALGRIND) $(BUILD)/bin/follow
	$(PY) $(C_TESTS)/oauthlib_server_check.py $(BUILD)/bin/follow
	ASAN_OPTIONS=detect_leaks=1 $(PY) $(C_TESTS)/login_check.py $(TEST_BIN)/login_pkce_asan $(TEST_BIN)/login_pin_asan
	$(PY) $(C_TESTS)/login_check.py --wrap "$(VALGRIND)" $(BUILD)/bin/login_pkce $(BUILD)/bin/login_pin

# The Ruby gem's minitest suite (`rake test`: Debian's ruby, ruby-ffi, ruby-minitest, rake; no
# bundler) against the debug library and its own emulators; tests build both gems and install
# them into empty GEM_HOMEs, and run the examples through the C examples' checks.
test-ruby: export RUST_BACKTRACE=0
test-ruby: lib emulator
	cd bindings/ruby && XFOLLOW_LIBRARY=$(CURDIR)/$(TARGET)/libxfollow.so \
	  XFOLLOW_EMULATOR=$(CURDIR)/$(EMULATOR) rake test

# The C++ wrapper (header-only bindings/cpp/xfollow.hpp): its test program, plain and under
# AddressSanitizer + UBSan, and its examples through the C examples' checks, each against
# its own emulator; all also compile as C++20. login_check.py needs only the standard
# library, so python3 runs it without the virtualenv.
CXXFLAGS_X := -std=c++17 $(CWARN) -pedantic -g -Iinclude -Ibindings/cpp
CXX_ASAN   := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

cpp-example: lib
	mkdir -p $(BUILD)/bin
	for ex in $(C_EXAMPLES); do \
	  $(CXX) $(CXXFLAGS_X) bindings/cpp/examples/$$ex.cpp $(LDFLAGS_X) -o $(BUILD)/bin/$$ex-cpp || exit 1; \
	done

test-cpp: export RUST_BACKTRACE=0
test-cpp: export XFOLLOW_EMULATOR=$(CURDIR)/$(EMULATOR)
test-cpp: lib emulator cpp-example
	mkdir -p $(BUILD)/test
	$(CXX) $(CXXFLAGS_X) bindings/cpp/tests/test_xfollow.cpp $(LDFLAGS_X) -lpthread -o $(BUILD)/test/test_xfollow_cpp
	$(CXX) $(CXXFLAGS_X) $(CXX_ASAN) bindings/cpp/tests/test_xfollow.cpp $(LDFLAGS_X) -lpthread \
	  -o $(BUILD)/test/test_xfollow_cpp_asan
	for ex in $(C_EXAMPLES); do \
	  $(CXX) $(CXXFLAGS_X) $(CXX_ASAN) bindings/cpp/examples/$$ex.cpp $(LDFLAGS_X) -o $(BUILD)/test/$${ex}_cpp_asan || exit 1; \
	done
	$(CXX) $(subst -std=c++17,-std=c++20,$(CXXFLAGS_X)) -fsyntax-only bindings/cpp/tests/test_xfollow.cpp \
	  $(C_EXAMPLES:%=bindings/cpp/examples/%.cpp)
	scripts/with-emulator.sh $(BUILD)/test/test_xfollow_cpp
	ASAN_OPTIONS=detect_leaks=1 scripts/with-emulator.sh $(BUILD)/test/test_xfollow_cpp_asan
	ASAN_OPTIONS=detect_leaks=1 scripts/with-emulator.sh $(C_TESTS)/example_test.sh $(BUILD)/test/follow_cpp_asan
	scripts/with-emulator.sh $(C_TESTS)/example_test.sh $(BUILD)/bin/follow-cpp
	ASAN_OPTIONS=detect_leaks=1 python3 $(C_TESTS)/login_check.py $(BUILD)/test/login_pkce_cpp_asan \
	  $(BUILD)/test/login_pin_cpp_asan
	python3 $(C_TESTS)/login_check.py $(BUILD)/bin/login_pkce-cpp $(BUILD)/bin/login_pin-cpp

# make install [PREFIX=/usr/local] [DESTDIR=] [LDCONFIG=:] installs what `make build` built
# (build/lib; `make build PROFILE=release` for the release library): lib/libxfollow.so.VERSION
# with the soname link libxfollow.so.0 and the link libxfollow.so, lib/libxfollow.a,
# include/xfollow.h, include/xfollow.hpp, lib/pkgconfig/xfollow.pc and the CMake package
# lib/cmake/xfollow/xfollowConfig.cmake + xfollowConfigVersion.cmake. `make uninstall`
# removes exactly those files.
PREFIX             ?= /usr/local
DESTDIR            ?=
INSTALL_LIBDIR     ?= $(PREFIX)/lib
INSTALL_INCLUDEDIR ?= $(PREFIX)/include
INSTALL_PROFILE    ?= release
LDCONFIG           ?= ldconfig
XF_VERSION := $(shell sed -n 's/^version = "\([^"]*\)".*/\1/p' Cargo.toml | head -n 1)
XF_SONAME  := libxfollow.so.0
# In the pkg-config file, directories under the prefix are written as ${prefix}/...
pc_dir = $(patsubst $(PREFIX)/%,$${prefix}/%,$(1))
I_LIB   = $(DESTDIR)$(INSTALL_LIBDIR)
I_INC   = $(DESTDIR)$(INSTALL_INCLUDEDIR)
I_CMAKE = $(I_LIB)/cmake/xfollow
INSTALLED_FILES = $(I_LIB)/libxfollow.so.$(XF_VERSION) $(I_LIB)/$(XF_SONAME) $(I_LIB)/libxfollow.so \
  $(I_LIB)/libxfollow.a $(I_INC)/xfollow.h $(I_INC)/xfollow.hpp $(I_LIB)/pkgconfig/xfollow.pc \
  $(I_CMAKE)/xfollowConfig.cmake $(I_CMAKE)/xfollowConfigVersion.cmake

install:
	@for f in $(LIBDIR)/$(XF_SONAME) $(LIBDIR)/libxfollow.a; do \
	  [ -f $$f ] || { echo "$$f is missing: run 'make build' (or 'make build PROFILE=release') first"; exit 1; }; \
	done
	@readelf -d $(LIBDIR)/$(XF_SONAME) | grep -q 'SONAME.*\[$(XF_SONAME)\]' || \
	  { echo "$(LIBDIR)/$(XF_SONAME) does not have the soname $(XF_SONAME)"; exit 1; }
	install -d $(I_LIB)/pkgconfig $(I_INC) $(I_CMAKE)
	install -m 755 $(LIBDIR)/$(XF_SONAME) $(I_LIB)/libxfollow.so.$(XF_VERSION)
	ln -sfn libxfollow.so.$(XF_VERSION) $(I_LIB)/$(XF_SONAME)
	ln -sfn $(XF_SONAME) $(I_LIB)/libxfollow.so
	install -m 644 $(LIBDIR)/libxfollow.a $(I_LIB)/libxfollow.a
	install -m 644 include/xfollow.h bindings/cpp/xfollow.hpp $(I_INC)/
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(call pc_dir,$(INSTALL_LIBDIR))|g' \
	    -e 's|@INCLUDEDIR@|$(call pc_dir,$(INSTALL_INCLUDEDIR))|g' -e 's|@VERSION@|$(XF_VERSION)|g' \
	    bindings/c/xfollow.pc.in > $(I_LIB)/pkgconfig/xfollow.pc
	install -m 644 bindings/c/cmake/xfollowConfig.cmake $(I_CMAKE)/
	v=$(XF_VERSION); sed -e "s|@VERSION@|$$v|g" -e "s|@VERSION_MAJOR@|$${v%%.*}|g" \
	    -e "s|@VERSION_MINOR@|$$(echo $$v | cut -d. -f2)|g" \
	    bindings/c/cmake/xfollowConfigVersion.cmake.in > $(I_CMAKE)/xfollowConfigVersion.cmake
	chmod 644 $(I_LIB)/pkgconfig/xfollow.pc $(I_CMAKE)/xfollowConfigVersion.cmake
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && command -v $(LDCONFIG) >/dev/null; then $(LDCONFIG); fi

uninstall:
	rm -f $(INSTALLED_FILES)
	-rmdir $(I_CMAKE) 2>/dev/null
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && command -v $(LDCONFIG) >/dev/null; then $(LDCONFIG); fi

# The two gems (bindings/ruby/Rakefile), for `gem install`: build/ruby-gem/xfollow-VERSION.gem
# (finds a system libxfollow) and xfollow-VERSION-PLATFORM.gem (carries the INSTALL_PROFILE
# library, release by default).
ruby-gem:
	rm -rf $(BUILD)/ruby-gem
	cd bindings/ruby && rake gem gem:platform PROFILE=$(INSTALL_PROFILE) CARGO=$(CARGO) PKG_DIR=$(CURDIR)/$(BUILD)/ruby-gem

# Installs into temporary prefixes (debug build) and builds the C example with
# `pkg-config --cflags --libs xfollow` (shared and static) and the C++ example from there,
# then runs them against an emulator.
test-install: lib emulator
	MAKE="$(MAKE)" scripts/with-emulator.sh bindings/cpp/tests/install_test.sh

test-emulator-py: build venv
	$(PY) -m pytest -q emulator/tests/python
