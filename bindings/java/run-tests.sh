#!/usr/bin/env bash
# Tests the Java binding as a user gets it, offline. Exits non-zero when anything fails.
#   1. build-jar.sh: cargo builds lumen-jni, the stripped library is staged into the JAR, and
#      `mvn -o install` (project-local repository bindings/java/target/m2) runs the unit tests
#      (forked JVM under -Xcheck:jni), builds the JAR with its -sources and -javadoc JARs
#      (javadoc fails on any warning), and runs the JAR tests (*IT): the JAR copied alone into
#      an empty folder with a program compiled by javac and run with no -D flag, the
#      examples/java/Quickstart.java example, and a child JVM that leaves its engine unclosed
#      and must exit within 5 s of main returning;
#   2. any JNI misuse that -Xcheck:jni reports fails the run;
#   3. a fresh Maven project that depends on dev.lumen:lumen compiles offline against the
#      installed artifact and runs the example.
#
# Needs: cargo, binutils, and `apt-get install openjdk-17-jdk-headless maven junit5
# libmaven-resources-plugin-java libmaven-compiler-plugin-java libsurefire-java
# libmaven-jar-plugin-java libmaven-source-plugin-java libmaven-javadoc-plugin-java
# libmaven-install-plugin-java` (scripts/test-deps.sh installs them).
# LUMEN_MAVEN_REPO overrides the local repository (default: a copy of /usr/share/maven-repo
# in bindings/java/target/m2; the system folder is never written).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
version="$(sed -n 's|^  <version>\(.*\)</version>$|\1|p' "$here/pom.xml" | head -1)"

log="$(mktemp)"
app="$(mktemp -d)"
trap 'rm -rf "$log" "$app"' EXIT

"$here/build-jar.sh" install 2>&1 | tee "$log"
repo="$("$here/local-repo.sh")"

# -Xcheck:jni reports JNI misuse on the forked JVM's native output, which surefire relays as
# warnings (lumen-jni itself never writes there): any such report fails the run.
pattern="WARNING in native method|JNI local refs|exceeds capacity|FATAL ERROR in native method|Corrupted STDOUT by directly writing to native stream"
if grep -qE "$pattern" "$log"; then
    echo "run-tests.sh: -Xcheck:jni reported JNI misuse:" >&2
    grep -E "$pattern" "$log" | head -20 >&2
    exit 1
fi
echo "== -Xcheck:jni: no JNI misuse reported"

echo "== a fresh Maven project depending on dev.lumen:lumen:$version (offline, $repo)"
for artifact in "lumen-$version.jar" "lumen-$version-sources.jar" "lumen-$version-javadoc.jar" "lumen-$version.pom"; do
    if [ ! -f "$repo/dev/lumen/lumen/$version/$artifact" ]; then
        echo "run-tests.sh: mvn install did not install $artifact into $repo" >&2
        exit 1
    fi
done
mkdir -p "$app/src/main/java"
cp "$root/examples/java/Quickstart.java" "$app/src/main/java/"
cat >"$app/pom.xml" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>example</groupId>
  <artifactId>credit-app</artifactId>
  <version>1</version>
  <properties>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
  </properties>
  <dependencies>
    <dependency>
      <groupId>dev.lumen</groupId>
      <artifactId>lumen</artifactId>
      <version>$version</version>
    </dependency>
  </dependencies>
  <build>
    <plugins>
      <plugin>
        <groupId>org.apache.maven.plugins</groupId>
        <artifactId>maven-resources-plugin</artifactId>
        <version>3.3.0</version>
      </plugin>
      <plugin>
        <groupId>org.apache.maven.plugins</groupId>
        <artifactId>maven-compiler-plugin</artifactId>
        <version>3.10.1</version>
        <configuration><release>17</release></configuration>
      </plugin>
    </plugins>
  </build>
</project>
EOF
mvn -o -q -B -Dmaven.repo.local="$repo" -f "$app/pom.xml" compile
output="$(cd "$app" && java -cp "$repo/dev/lumen/lumen/$version/lumen-$version.jar:target/classes" Quickstart)"
echo "$output"
if ! grep -q "^sum of attributions" <<<"$output"; then
    echo "run-tests.sh: the downstream project's Quickstart printed no attributions" >&2
    echo "downstream Maven project: 0 passed, 1 failed"
    exit 1
fi
echo "downstream Maven project: 1 passed, 0 failed"
