#!/usr/bin/env bash
# Checks the HTML report end to end, as a user gets it:
#   1. runs the README's first command (./mvnw -B -pl sample-tests -am verify -Preport) and checks that it made
#      sample-tests/target/allure-report/index.html and the single-file sample-tests/target/allure-report-single/;
#   2. runs it again with -Dspotdrill.report.history=<the first report>, and checks that the new report's history
#      has 2 entries (the nightly trend);
#   3. serves the report on 127.0.0.1, opens it in headless Chromium (installed with apt-get when missing) and saves
#      screenshots of the overview page, of one drill's test page and of its timeline picture (and of the 5-target,
#      10-expectation picture that TimelineSvgTest writes, when present) into target/screenshots/.
#
# Usage: ci/check-report.sh [--update-docs] [--no-build]
#   --update-docs  also copy overview.png and timeline.png into docs/images/ (the README's pictures)
#   --no-build     skip steps 1 and 2: take screenshots of the report already built
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

update_docs=false
build=true
for arg in "$@"; do
  case "$arg" in
    --update-docs) update_docs=true ;;
    --no-build) build=false ;;
    -h | --help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "check-report: unknown option '$arg'; use --update-docs and/or --no-build" >&2; exit 2 ;;
  esac
done

report=sample-tests/target/allure-report
single=sample-tests/target/allure-report-single
shots=target/screenshots
work=$(mktemp -d)
server=
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

say() { printf '\n[check-report] %s\n' "$*"; }
fail() { printf '[check-report] FAILED: %s\n' "$*" >&2; exit 1; }

seconds_since() { echo $(( $(date +%s) - $1 )); }

if $build; then
  say "1/3 the README's first command: ./mvnw -B -pl sample-tests -am verify -Preport"
  t=$(date +%s)
  ./mvnw -B -pl sample-tests -am verify -Preport > "$work/run1.log" 2>&1 || { tail -50 "$work/run1.log"; fail "the report build failed"; }
  say "first run took $(seconds_since "$t") s"
  [ -f "$report/index.html" ] || fail "$report/index.html is missing after the README command"
  [ -f "$single/index.html" ] || fail "$single/index.html (single-file report) is missing"
  # the single file inlines its data: no separate data/ folder is needed to open it
  [ "$(stat -c %s "$single/index.html")" -gt 100000 ] || fail "$single/index.html is too small to hold the report"
  grep -q 'Tests run: [1-9]' "$work/run1.log" || fail "the sample suite ran no tests"

  say "2/3 a second run carries the first report's history forward"
  cp -r "$report" "$work/previous-report"
  t=$(date +%s)
  ./mvnw -B -pl sample-tests -am verify -Preport -Dspotdrill.report.history="$work/previous-report" \
    > "$work/run2.log" 2>&1 || { tail -50 "$work/run2.log"; fail "the second report build failed"; }
  say "second run took $(seconds_since "$t") s"
  python3 - "$report" <<'EOF' || fail "the second report shows no history"
import json, os, sys
report = sys.argv[1]
results = os.path.join(report, "..", "allure-results", "history")
assert os.path.isdir(results), "allure-results/history/ was not carried over (is spotdrill.report.history passed?)"
trend = json.load(open(os.path.join(report, "history", "history-trend.json")))
assert len(trend) == 2, f"history-trend.json has {len(trend)} entries, expected 2"
history = json.load(open(os.path.join(report, "history", "history.json")))
runs = max(len(v.get("items", [])) for v in history.values())
assert runs >= 1, "history.json keeps no earlier run of any test"
print(f"[check-report] history: {len(trend)} trend entries, up to {runs} earlier runs per test")
EOF
fi
[ -f "$report/index.html" ] || fail "$report/index.html is missing; run without --no-build"

say "3/3 screenshots in headless Chromium"
chrome=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chrome" ]; then
  apt-get update && apt-get install -y chromium
  chrome=$(command -v chromium)
fi
mkdir -p "$shots"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server "$port" --bind 127.0.0.1 --directory "$report" > "$work/http.log" 2>&1 &
server=$!
curl -sf --retry 30 --retry-connrefused --retry-delay 1 -o /dev/null "http://127.0.0.1:$port/index.html" \
  || fail "the loopback HTTP server did not answer on port $port"

shoot() { # shoot <png> <width> <height> <url>
  "$chrome" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --user-data-dir="$(mktemp -d -p "$work")" --hide-scrollbars \
    --window-size="$2,$3" --virtual-time-budget=15000 --screenshot="$1" "$4" > "$work/chrome.log" 2>&1 \
    || { cat "$work/chrome.log"; fail "Chromium could not take $1"; }
  [ -s "$1" ] || fail "Chromium wrote no $1"
  echo "[check-report] $1 ($(stat -c %s "$1") bytes)"
}

svg_size() { # the width and height attributes of an SVG picture
  python3 - "$1" <<'EOF'
import re, sys
head = open(sys.argv[1], encoding="utf-8").read(2000)
w = re.search(r'<svg[^>]*\swidth="([\d.]+)"', head).group(1)
h = re.search(r'<svg[^>]*\sheight="([\d.]+)"', head).group(1)
print(int(float(w)) + 1, int(float(h)) + 1)
EOF
}

shoot "$shots/overview.png" 1400 900 "http://127.0.0.1:$port/index.html"

# the timeline picture of the drill with the most expectations: the SVG attachment itself, at its own size
timeline=$(python3 - "$report" <<'EOF'
import glob, json, os, sys
best = None
for f in glob.glob(os.path.join(sys.argv[1], "data", "test-cases", "*.json")):
    case = json.load(open(f))
    stack = [case.get("testStage", {})]
    while stack:
        s = stack.pop()
        stack.extend(s.get("steps", []))
        for a in s.get("attachments", []):
            if a.get("name") == "Timeline" and a.get("type") == "image/svg+xml":
                size = os.path.getsize(os.path.join(sys.argv[1], "data", "attachments", a["source"]))
                if best is None or size > best[0]:
                    best = (size, a["source"], case["uid"])
print(f"{best[1]} {best[2]}" if best else "")
EOF
)
read -r timeline testcase <<< "$timeline"
[ -n "$timeline" ] || fail "no Timeline attachment in the report: is spotdrill-allure on the samples' test class path?"
read -r w h < <(svg_size "$report/data/attachments/$timeline")
shoot "$shots/timeline.png" "$w" "$h" "http://127.0.0.1:$port/data/attachments/$timeline"
# and that drill's test page: its steps from "Resolve targets" to "Clean up", and its attachments
shoot "$shots/test.png" 1400 1000 "http://127.0.0.1:$port/index.html#testresult/$testcase"

# the single-file report must open straight from disk (file://), with no server: that is what a PR attachment is
"$chrome" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
  --disable-component-update --disable-sync --user-data-dir="$(mktemp -d -p "$work")" --virtual-time-budget=15000 \
  --dump-dom "file://$root/$single/index.html" > "$work/single.html" 2> "$work/chrome.log" || true
grep -q 'test cases' "$work/single.html" \
  || fail "the single-file report did not render from file://$root/$single/index.html"
echo "[check-report] the single-file report renders from disk"

# the worst case the picture must stay legible for: 5 targets x 10 expectations (written by TimelineSvgTest)
big=harness/core/target/timeline-5-targets-10-expectations.svg
if [ -f "$big" ]; then
  cp "$big" "$report/data/attachments/timeline-5x10.svg"
  read -r w h < <(svg_size "$big")
  shoot "$shots/timeline-5x10.png" "$w" "$h" "http://127.0.0.1:$port/data/attachments/timeline-5x10.svg"
  rm -f "$report/data/attachments/timeline-5x10.svg"
fi

if $update_docs; then
  mkdir -p docs/images
  cp "$shots/overview.png" docs/images/overview.png
  cp "$shots/timeline.png" docs/images/timeline.png
  for f in docs/images/overview.png docs/images/timeline.png; do
    [ "$(stat -c %s "$f")" -lt 307200 ] || fail "$f is $(stat -c %s "$f") bytes; keep the README's pictures under 300 KB"
  done
  say "updated docs/images/overview.png and docs/images/timeline.png"
fi
say "OK: report $root/$report/index.html, single file $root/$single/index.html, screenshots in $root/$shots/"
