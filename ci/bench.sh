#!/usr/bin/env bash
# Runs every benchmark (JUnit tests tagged "benchmark") in one Maven run, then collects the "[figure] {...}" lines
# they print into target/bench/report.md (one table, with the machine) and target/bench/figures.json
# ([{"id","value","unit","goal","better"}], for scripts that compare figures with their goals).
#   ci/bench.sh            run the benchmarks, then write the report
#   ci/bench.sh --collect  only write the report from the surefire output already there
# Extra Maven arguments go after the options, e.g. ci/bench.sh -o (offline).
set -euo pipefail
cd "$(dirname "$0")/.."
collect_only=false
if [[ "${1:-}" == "--collect" ]]; then
  collect_only=true
  shift
fi
if ! $collect_only; then
  # only this run's figures: surefire files of earlier runs would be collected too
  rm -rf harness/*/target/surefire-reports extensions/target/surefire-reports reports/target/surefire-reports \
    sample-tests/target/surefire-reports
  # surefire's default includes leave out *Benchmark classes, so -Dtest names them; -Dgroups keeps the tagged ones.
  # One benchmark at a time (no parallel classes): each measures a quiet JVM, and its output lands in its own file.
  # A failed benchmark still leaves the figures it printed.
  ./mvnw -B "$@" -pl harness/lab,extensions -am test \
    -Dtest='*Benchmark,*Test,*Tests' -Dgroups=benchmark -Dspotdrill.excludedGroups= \
    -Dsurefire.failIfNoSpecifiedTests=false \
    -Dspotdrill.surefire.argLine="-Xmx8g -Djunit.jupiter.execution.parallel.enabled=false" || echo "ci/bench.sh: some benchmarks failed; reporting what they measured" >&2
fi
mkdir -p target/bench
python3 - <<'PY'
import glob, json, os, platform, subprocess, datetime
figs = []
for f in sorted(glob.glob('*/target/surefire-reports/*-output.txt') + glob.glob('*/*/target/surefire-reports/*-output.txt')):
    for line in open(f, errors='replace'):
        if line.startswith('[figure] '):
            try:
                figs.append(json.loads(line[len('[figure] '):]))
            except ValueError:
                pass
order = ['L1.', 'P1.', 'P2.', 'P3.', 'P4.']
figs.sort(key=lambda x: (next((i for i, p in enumerate(order) if x['id'].startswith(p)), 9), x['id']))
def met(x):
    g = x.get('goal')
    if g is None:
        return ''
    ok = x['value'] <= g if x.get('better', 'lower') == 'lower' else x['value'] >= g
    return 'yes' if ok else 'no'
try:
    jvm = subprocess.run(['java', '-version'], capture_output=True, text=True).stderr.splitlines()[0]
except Exception:
    jvm = 'unknown'
cores = os.cpu_count()
mem = ''
try:
    mem = '%d GB' % round(os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30)
except Exception:
    pass
date = datetime.datetime.utcnow().strftime('%Y-%m-%d %H:%M UTC')
load = ' '.join('%.1f' % l for l in os.getloadavg())
lines = ['# spotdrill benchmarks', '',
         'Machine: %d cores, %s RAM, %s, %s (load average at the end: %s), %s' % (cores, mem, jvm, platform.system(), load, date), '',
         '| id | what | value | unit | goal | met? |', '|---|---|---|---|---|---|']
for x in figs:
    goal = '' if x.get('goal') is None else ('%s %s' % ('≤' if x.get('better', 'lower') == 'lower' else '≥', x['goal']))
    v = x['value']
    vs = ('%d' % v) if float(v).is_integer() else ('%.1f' % v if abs(v) >= 10 else '%.2f' % v)
    lines.append('| %s | %s | %s | %s | %s | %s |' % (x['id'], x.get('what', ''), vs, x.get('unit', ''), goal, met(x)))
if not figs:
    lines.append('| (none) | no [figure] lines were found in */target/surefire-reports/*-output.txt | | | | |')
open('target/bench/report.md', 'w').write('\n'.join(lines) + '\n')
json.dump([{k: x.get(k) for k in ('id', 'value', 'unit', 'goal', 'better')} for x in figs],
          open('target/bench/figures.json', 'w'), indent=1)
print('\n'.join(lines))
PY
