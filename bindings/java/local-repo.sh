#!/usr/bin/env bash
# Prints the Maven repository the Java scripts use, creating it first when needed:
# LUMEN_MAVEN_REPO when set, else bindings/java/target/m2, a real copy of Debian's
# /usr/share/maven-repo (whose files are relative links into /usr/share/java) that is
# refreshed when Debian's changes. Maven installs into the copy; the system folder is only
# ever read.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
debian_repo=/usr/share/maven-repo
if [ -n "${LUMEN_MAVEN_REPO:-}" ]; then
    echo "$LUMEN_MAVEN_REPO"
    exit 0
fi
repo="$here/target/m2"
stamp="$repo/.copied-from-debian"
if [ ! -f "$stamp" ] || [ -n "$(find "$debian_repo" -newer "$stamp" -print -quit)" ]; then
    echo "== copying $debian_repo into $repo (project-local Maven repository)" >&2
    mkdir -p "$repo"
    cp -rL "$debian_repo/." "$repo/"
    touch "$stamp"
fi
echo "$repo"
