#!/usr/bin/env bash
# Builds the Spark integration offline: the Lumen JAR (bindings/java/build-jar.sh, only when it is
# missing or older than the binding's sources), then javac against pyspark's jars and `jar`:
#   target/lumen-spark.jar         the integration (dev.lumen.spark, dev.lumen.spark.ml)
#   target/lumen-spark-demo.jar    the German Credit model and portfolio demo (dev.lumen.spark.demo)
#   target/lumen-spark-tests.jar   the cluster checks (dev.lumen.spark.checks)
#   target/lumen-spark-javadoc/    the javadoc (javac's -Xdoclint fails on a public item without one)
# Prints the paths to use, as shell assignments, on its last lines. Needs: pyspark (pip), a JDK 17.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
spark_home="$(python3 -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))' 2>/dev/null)" || {
    echo "build.sh: pyspark is not installed; pip install pyspark==4.3.0" >&2
    exit 2
}
version="$(sed -n 's|^  <version>\(.*\)</version>$|\1|p' "$root/bindings/java/pom.xml" | head -1)"
lumen_jar="${LUMEN_JAR:-$root/bindings/java/target/m2/dev/lumen/lumen/$version/lumen-$version.jar}"
if [ -z "${LUMEN_JAR:-}" ]; then
    if [ ! -f "$lumen_jar" ] || [ -n "$(find "$root/bindings/java/src/main" "$root/src" -newer "$lumen_jar" -print -quit)" ]; then
        echo "== building the Lumen JAR (bindings/java/build-jar.sh install -DskipTests)" >&2
        bash "$root/bindings/java/build-jar.sh" install -DskipTests >&2
    fi
fi
[ -f "$lumen_jar" ] || { echo "build.sh: no Lumen JAR at $lumen_jar" >&2; exit 1; }

out="$here/target"
rm -rf "$out/classes" "$out/demo-classes" "$out/test-classes" "$out/lumen-spark-javadoc"
mkdir -p "$out/classes" "$out/demo-classes" "$out/test-classes"
cp="$spark_home/jars/*:$lumen_jar"
lint=(-Xlint:all,-serial,-processing,-path -Werror --release 17)
echo "== javac (against $spark_home/jars)" >&2
javac "${lint[@]}" -Xdoclint:all/protected -d "$out/classes" -cp "$cp" $(find "$here/src/main/java" -name '*.java')
javac "${lint[@]}" -d "$out/demo-classes" -cp "$cp:$out/classes" $(find "$here/demo/java" -name '*.java')
javac "${lint[@]}" -d "$out/test-classes" -cp "$cp:$out/classes:$out/demo-classes" \
    $(find "$here/tests/java" -name '*.java')
jar --create --file "$out/lumen-spark.jar" -C "$out/classes" .
jar --create --file "$out/lumen-spark-demo.jar" -C "$out/demo-classes" .
jar --create --file "$out/lumen-spark-tests.jar" -C "$out/test-classes" .
echo "== javadoc" >&2
javadoc -quiet -Xdoclint:all,-missing -Werror -d "$out/lumen-spark-javadoc" -cp "$cp" -sourcepath "$here/src/main/java" \
    -subpackages dev.lumen.spark >/dev/null
echo "spark_home=$spark_home"
echo "lumen_jar=$lumen_jar"
echo "jars=$lumen_jar,$out/lumen-spark.jar"
