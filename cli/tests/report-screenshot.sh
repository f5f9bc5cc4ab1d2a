#!/usr/bin/env bash
# Opens the demo's HTML report in headless Chromium, takes a full-page screenshot and checks
# that every image of the report loaded (none broken, as many as the demo wrote plots).
#
# Usage: cli/tests/report-screenshot.sh [OUT_DIR]     (default target/report-screenshot)
# Needs: chromium (Debian: apt-get install chromium), cargo. LUMEN_BIN may name a prebuilt
# lumen binary; CHROMIUM another browser binary. Exits non-zero on any failure.
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
out="$(realpath -m "${1:-$root/target/report-screenshot}")"
chromium="${CHROMIUM:-/usr/bin/chromium}"
[ -x "$chromium" ] || { echo "report-screenshot: $chromium not found (apt-get install chromium)" >&2; exit 1; }

if [ -z "${LUMEN_BIN:-}" ]; then
    (cd "$root" && cargo build --release -q -p lumen-cli)
    LUMEN_BIN="$root/target/release/lumen"
fi

rm -rf "$out"
mkdir -p "$out"
"$LUMEN_BIN" demo --output "$out/demo" > "$out/demo.txt"
plots="$(sed -n 's/^Report: .* explanations, \([0-9]*\) plots;.*/\1/p' "$out/demo.txt")"
[ -n "$plots" ] || { echo "report-screenshot: the demo did not report its plots" >&2; exit 1; }

profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
browse() {
    "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$profile" --run-all-compositor-stages-before-draw \
        --virtual-time-budget=10000 "$@" "file://$out/demo/report.html" 2> "$out/chromium.log"
}
browse --dump-dom > "$out/dom.html"
browse --screenshot="$out/report.png" --window-size=1280,5200 > /dev/null

check="$(grep -o '<div id="lumen-image-check"[^>]*>[^<]*' "$out/dom.html" || true)"
total="$(printf '%s' "$check" | sed -n 's/.*data-total="\([0-9]*\)".*/\1/p')"
broken="$(printf '%s' "$check" | sed -n 's/.*data-broken="\([0-9]*\)".*/\1/p')"
if [ -z "$total" ] || [ -z "$broken" ]; then
    echo "report-screenshot: the page's image check did not run: ${check:-no marker}" >&2
    exit 1
fi
if [ "$broken" != 0 ]; then
    echo "report-screenshot: $broken of $total images broken: ${check##*>}" >&2
    exit 1
fi
if [ "$total" != "$plots" ]; then
    echo "report-screenshot: $total images in the page, the demo wrote $plots plots" >&2
    exit 1
fi
[ "$(head -c 8 "$out/report.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] ||
    { echo "report-screenshot: no PNG screenshot at $out/report.png" >&2; exit 1; }
echo "report-screenshot: $total images loaded, 0 broken; screenshot $out/report.png"
