#!/usr/bin/env bash
# Opens the demo's HTML report in headless Chromium, takes a screenshot of its top
# (report.png: the credit waterfalls as shap draws them, with ± SE whiskers and wrapped
# labels, the beeswarm with its colour bar), one of its counterfactual section
# (report-counterfactuals.png: the table with credit scores and the approval cutoff) and one
# of its TimeSHAP sections (report-timeshap.png), and checks that every image of the report
# loaded (none broken, as many as the demo wrote plots), that the four TimeSHAP sections
# (event, feature, cell level, global study) are there, and that the plots carry their new
# marks (E[f(X)] and f(x) on waterfalls, the beeswarm's colour bar, the table's cutoff).
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
    local page="$1"
    shift
    "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$profile" --run-all-compositor-stages-before-draw \
        --virtual-time-budget=10000 "$@" "file://$out/$page" 2> "$out/chromium.log"
}
browse demo/report.html --dump-dom > "$out/dom.html"
browse demo/report.html --screenshot="$out/report.png" --window-size=1280,5200 > /dev/null
# Later sections lie below the first screen: a page that frames the report shifted up to
# the first section whose heading names $2 (headless Chromium cannot scroll).
section_view() {
    cat > "$out/$1-view.html" <<HTML
<!doctype html><html><body style="margin:0;overflow:hidden">
<iframe id="report" src="demo/report.html" style="border:0;width:1280px;height:40000px;display:block"></iframe>
<script>
document.getElementById('report').addEventListener('load', function () {
  var headings = Array.prototype.slice.call(this.contentDocument.querySelectorAll('section > h2'));
  var first = headings.filter(function (h) { return h.textContent.indexOf('$2') >= 0; })[0];
  if (first) { this.style.marginTop = (-first.parentNode.getBoundingClientRect().top) + 'px'; }
});
</script></body></html>
HTML
    browse "$1-view.html" --allow-file-access-from-files --screenshot="$out/report-$1.png" \
        --window-size=1280,"$3" > /dev/null
}
section_view timeshap TimeSHAP 4400
section_view counterfactuals PermuteAttack 1400

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
sections="$(grep -o '<h2>[0-9]*\. TimeSHAP[^<]*' "$out/dom.html" | wc -l)"
if [ "$sections" != 4 ]; then
    echo "report-screenshot: $sections TimeSHAP sections in the page, expected 4 (event, feature, cell, global)" >&2
    exit 1
fi
plot_dir="$out/demo/plots"
mark() {
    grep -l -F "$2" $plot_dir/$1 > /dev/null 2>&1 ||
        { echo "report-screenshot: no plot $1 carries '$2'" >&2; exit 1; }
}
mark "*-row0.svg" "E[f(X)] = "
mark "*-row0.svg" "f(x) = "
mark "*-beeswarm.svg" "feature value"
mark "*-instance0.svg" "approval cutoff"
mark "*-instance0.svg" "credit score (600 at 20:1, PDO 15)"
for shot in report.png report-timeshap.png report-counterfactuals.png; do
    [ "$(head -c 8 "$out/$shot" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] ||
        { echo "report-screenshot: no PNG screenshot at $out/$shot" >&2; exit 1; }
done
echo "report-screenshot: $total images loaded, 0 broken; screenshots $out/report.png, $out/report-counterfactuals.png and $out/report-timeshap.png"
