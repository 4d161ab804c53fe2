#!/usr/bin/env bash
# Build-speed benchmark (and `check`): all three tiers over the bench-docs corpus (the 1,107 markdown pages of
# nodejs.org, see ../shared/corpus/bench-docs/SOURCE.md) with the release binary.
#
# Measures, with hyperfine, a build into an output folder that does not exist yet and a rebuild
# with nothing changed; then the peak memory (maximum resident set size) of each with
# /usr/bin/time -v. Figures go in BENCHMARKS.md.
#
# Usage: benches/bench-docs.sh [RUNS]   (from anywhere; needs hyperfine and GNU time)
#        PORTICO=/path/to/portico benches/bench-docs.sh [RUNS]
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
corpus="$repo/../shared/corpus/bench-docs/nodejs.org/apps/site/pages"
runs="${1:-10}"

for tool in hyperfine /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install hyperfine time)" >&2; exit 1; }
done
[ -d "$corpus" ] || { echo "the bench-docs corpus is absent: $corpus" >&2; exit 1; }

# PORTICO=/path/to/portico compares another build (say, of an older commit) on the same corpus.
if [ -z "${PORTICO:-}" ]; then
  cargo build --release --quiet --manifest-path "$repo/Cargo.toml"
fi
portico="${PORTICO:-$repo/target/release/portico}"

# The site: the corpus program file (three tiers) and the corpus as content/.
site="$(mktemp -d "${TMPDIR:-/tmp}/portico-bench.XXXXXX")"
trap 'rm -rf "$site"' EXIT
cp "$repo/tests/fixtures/corpus/partners.yaml" "$site/partners.yaml"
ln -s "$corpus" "$site/content"
build="$portico build -q -q --allow-broken-links --root $site"

echo "machine: $(nproc) cores, $(uname -sr), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "portico: ${PORTICO:-$(git -C "$repo" rev-parse --short HEAD)$(git -C "$repo" diff --quiet || echo '+changes')}"
echo "corpus:  $(find -L "$site/content" -name '*.md' | wc -l) markdown files"

# A fresh output folder per run. The previous one is moved aside, not deleted, until the end,
# and written back first: deleting 100 MB, or flushing the last run's 100 MB, while a run
# creates its 3,500 folders makes it wait on the disk (ext4 mounted with `discard` frees blocks
# lazily), which measures the disk, not portico.
mkdir "$site/old"
hyperfine --warmup 1 --runs "$runs" \
  --prepare "if [ -d $site/fresh ]; then mv $site/fresh $site/old/\$(date +%s%N); fi; sync" \
  --command-name 'fresh output folder' "$build --output $site/fresh"
rm -rf "$site/old"

# The same output folder each run, already up to date: nothing should be written.
$build --output "$site/same"
hyperfine --warmup 1 --runs "$runs" \
  --command-name 'no-change rebuild' "$build --output $site/same"

# `check` of every tier (it renders in memory and writes nothing). The corpus has broken links,
# so check exits 1; -i keeps hyperfine from treating that as a failed run.
hyperfine -i --warmup 1 --runs "$runs" \
  --command-name 'check, all tiers' "$portico check -q -q --root $site"

peak() {
  /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F': ' '/Maximum resident set size/ { printf "%.1f MB (%d KiB)\n", $2 * 1024 / 1e6, $2 }'
}
echo "peak RSS, fresh output folder: $(peak $build --output "$site/rss-fresh")"
echo "peak RSS, no-change rebuild:   $(peak $build --output "$site/same")"
