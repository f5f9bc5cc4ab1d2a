#!/usr/bin/env bash
# Builds the release lumen-jni library with cargo, then compiles and tests the Java binding
# offline with Maven against Debian's repository. Exits non-zero when anything fails.
#
# Needs: cargo, and `apt-get install openjdk-17-jdk-headless maven junit5
# libmaven-resources-plugin-java libmaven-compiler-plugin-java libsurefire-java`.
# LUMEN_MAVEN_REPO overrides the local repository (default /usr/share/maven-repo).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
repo="${LUMEN_MAVEN_REPO:-/usr/share/maven-repo}"

for tool in cargo java javac mvn; do
    if ! command -v "$tool" >/dev/null; then
        echo "run-tests.sh: '$tool' is missing; install openjdk-17-jdk-headless maven junit5" \
            "libmaven-resources-plugin-java libmaven-compiler-plugin-java libsurefire-java (and Rust)" >&2
        exit 2
    fi
done
if [ ! -d "$repo/org/junit/jupiter/junit-jupiter/5.9.2" ]; then
    echo "run-tests.sh: $repo lacks junit-jupiter 5.9.2; apt-get install junit5 libsurefire-java" \
        "libmaven-compiler-plugin-java libmaven-resources-plugin-java" >&2
    exit 2
fi

echo "== cargo build --release -p lumen-jni"
cargo build --release -p lumen-jni --manifest-path "$root/Cargo.toml"
library_dir="${CARGO_TARGET_DIR:-$root/target}/release"
if [ ! -f "$library_dir/liblumen_jni.so" ]; then
    echo "run-tests.sh: $library_dir/liblumen_jni.so was not built" >&2
    exit 1
fi

echo "== mvn test (offline, $repo; the forked JVM runs with -Xcheck:jni)"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
mvn -o -B -Dmaven.repo.local="$repo" -f "$here/pom.xml" -Dlumen.library.path="$library_dir" test 2>&1 | tee "$log"

# -Xcheck:jni reports JNI misuse on the forked JVM's native output, which surefire relays as
# warnings (lumen-jni itself never writes there): any such report fails the run.
pattern="WARNING in native method|JNI local refs|exceeds capacity|FATAL ERROR in native method|Corrupted STDOUT by directly writing to native stream"
if grep -qE "$pattern" "$log"; then
    echo "run-tests.sh: -Xcheck:jni reported JNI misuse:" >&2
    grep -E "$pattern" "$log" | head -20 >&2
    exit 1
fi
echo "== -Xcheck:jni: no JNI misuse reported"
