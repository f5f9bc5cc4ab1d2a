#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian machine, and nothing when it is
# already there: the Debian packages (apt-get, as root), the Python packages (pip) and the
# Rust components. tests/run-all.sh runs it first, so the README's test command works on a
# clean machine by itself; .ci/run runs it through run-all.sh.
#
# Debian packages: C/C++ toolchains and valgrind (C ABI, C++ wrapper), binutils (split
# debug info), cmake and pkg-config (packaging test), a JDK with Maven, the Maven plugins
# and JUnit 5 (Java binding, built offline from a project-local copy of Debian's Maven
# repository), Chromium (the HTML report's screenshot), clang with its sanitizer runtimes
# (the C ABI tests under AddressSanitizer, tests/c/run-asan.sh).
set -euo pipefail

packages=(gcc g++ valgrind binutils cmake pkg-config openjdk-17-jdk-headless maven junit5
  libmaven-resources-plugin-java libmaven-compiler-plugin-java libsurefire-java
  libmaven-install-plugin-java libmaven-jar-plugin-java libmaven-source-plugin-java
  libmaven-javadoc-plugin-java chromium python3-venv clang libclang-rt-dev)
need=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || need+=("$package")
done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "test-deps.sh: missing Debian packages (run as root to install them): ${need[*]}" >&2
    exit 1
  fi
  echo "installing: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi

# Python packages: numpy, pytest and mypy (Python binding tests; the wheel test builds in
# pip's isolated environment, which fetches setuptools from PyPI, and installs into a
# fresh venv, for which Debian's python3 needs python3-venv).
python3 -c 'import numpy, pytest, mypy' 2>/dev/null || python3 -m pip install -q numpy pytest mypy
# The Spark integration's tests: Spark itself (pyspark ships its jars and spark-submit) and
# what mapInPandas needs.
python3 -c 'import pyspark, pandas, pyarrow' 2>/dev/null || python3 -m pip install -q pyspark==4.3.0 pandas==3.1.1 pyarrow==26.0.1

rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt
