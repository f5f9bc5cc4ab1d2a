#!/usr/bin/env bash
# Builds the Lumen JAR that carries its JNI library and installs it, offline:
#   1. `cargo build --release -p lumen-jni`;
#   2. strips the library's debug info into target/native/dev/lumen/native/<platform>/
#      (the release profile keeps debug=1: 19 MB unstripped, about 2 MB stripped);
#   3. `mvn -o install` (unless other goals are given as arguments) against a project-local
#      copy of Debian's Maven repository, target/m2 (LUMEN_MAVEN_REPO overrides it): the JAR,
#      its -sources and -javadoc JARs, the unit tests (forked JVM under -Xcheck:jni) and the
#      JAR tests (*IT: the JAR alone in an empty folder, javac, the example, a JVM that exits).
# /usr/share/maven-repo is only ever read. Exits non-zero when anything fails.
#
# Needs: cargo, binutils (strip), and `apt-get install openjdk-17-jdk-headless maven junit5
# libmaven-resources-plugin-java libmaven-compiler-plugin-java libsurefire-java
# libmaven-jar-plugin-java libmaven-source-plugin-java libmaven-javadoc-plugin-java
# libmaven-install-plugin-java` (scripts/test-deps.sh installs them).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
debian_repo=/usr/share/maven-repo
packages="openjdk-17-jdk-headless maven junit5 binutils libmaven-resources-plugin-java libmaven-compiler-plugin-java
libsurefire-java libmaven-jar-plugin-java libmaven-source-plugin-java libmaven-javadoc-plugin-java
libmaven-install-plugin-java"

for tool in cargo java javac mvn strip; do
    if ! command -v "$tool" >/dev/null; then
        echo "build-jar.sh: '$tool' is missing; apt-get install" $packages "(and Rust)" >&2
        exit 2
    fi
done
for plugin in maven-install-plugin/3.1.0 maven-jar-plugin/3.3.0 maven-source-plugin/3.2.1 \
    maven-javadoc-plugin/3.4.1 maven-surefire-plugin/2.22.3 maven-compiler-plugin/3.10.1 \
    maven-resources-plugin/3.3.0; do
    if [ ! -d "$debian_repo/org/apache/maven/plugins/$plugin" ]; then
        echo "build-jar.sh: $debian_repo lacks org.apache.maven.plugins:${plugin/\//:}; apt-get install" \
            $packages >&2
        exit 2
    fi
done
if [ ! -d "$debian_repo/org/junit/jupiter/junit-jupiter/5.9.2" ]; then
    echo "build-jar.sh: $debian_repo lacks junit-jupiter 5.9.2; apt-get install junit5" >&2
    exit 2
fi

repo="$("$here/local-repo.sh")"

case "$(uname -s)" in
    Linux) os=linux ;;
    Darwin) os=macos ;;
    *) os="$(uname -s | tr '[:upper:]' '[:lower:]')" ;;
esac
case "$(uname -m)" in
    x86_64 | amd64) arch=x86_64 ;;
    aarch64 | arm64) arch=aarch64 ;;
    *) arch="$(uname -m)" ;;
esac
platform="$os-$arch"

echo "== cargo build --release -p lumen-jni"
cargo build --release -p lumen-jni --manifest-path "$root/Cargo.toml"
library_dir="${CARGO_TARGET_DIR:-$root/target}/release"
library="$library_dir/liblumen_jni.so"
if [ ! -f "$library" ]; then
    echo "build-jar.sh: $library was not built" >&2
    exit 1
fi

stage="$here/target/native"
rm -rf "$stage"
mkdir -p "$stage/dev/lumen/native/$platform"
strip --strip-unneeded -o "$stage/dev/lumen/native/$platform/liblumen_jni.so" "$library"
echo "== staged for $platform: $(stat -c %s "$library") bytes -> $(stat -c %s "$stage/dev/lumen/native/$platform/liblumen_jni.so") bytes stripped"

goals=("$@")
if [ ${#goals[@]} -eq 0 ]; then
    goals=(install)
fi
echo "== mvn -o ${goals[*]} (repository $repo; unit tests under -Xcheck:jni)"
mvn -o -B -Dmaven.repo.local="$repo" -f "$here/pom.xml" -Dlumen.library.path="$library_dir" \
    -Dlumen.native.dir="$stage" "${goals[@]}"
