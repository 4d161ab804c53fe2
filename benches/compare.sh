#!/usr/bin/env bash
# Side by side, on one machine in one run: portico building three tiers, Hugo building one site
# and Zola building one site, from the same markdown, each with minimal equivalent templates
# (page title, a navigation list, the body). Reports each tool's median wall time, CPU time
# (user + system) and peak memory over RUNS runs, and the HTML pages each wrote, so the runs are
# seen to do the same work. Figures go in BENCHMARKS.md.
#
# Corpora: the bench-docs corpus (1,107 pages of nodejs.org, ../shared/corpus/bench-docs) and a
# 9,963-page corpus made from it by copying it under nine folder prefixes (c1/ … c9/).
#
# Usage: benches/compare.sh [RUNS]            (default 5 runs; needs hyperfine, GNU time, python3)
#        ZOLA=/path/to/zola benches/compare.sh
#        CORPORA="1k" benches/compare.sh       (1k, 10k or both: "1k 10k", the default)
#
# Hugo is Debian's package (apt-get install hugo). Zola is not packaged there: build it from its
# public source into a folder outside this repository (see BENCHMARKS.md) and pass its binary as
# ZOLA; without it, Zola is skipped with a notice.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
runs="${1:-5}"
corpora="${CORPORA:-1k 10k}"
source_pages="$repo/../shared/corpus/bench-docs/nodejs.org/apps/site/pages"

for tool in hyperfine /usr/bin/time python3; do
  command -v "$tool" >/dev/null || { echo "needs $tool" >&2; exit 1; }
done
[ -d "$source_pages" ] || { echo "the bench-docs corpus is absent: $source_pages" >&2; exit 1; }
hugo="$(command -v hugo || true)"
[ -n "$hugo" ] || echo "note: hugo not found (apt-get install hugo): Hugo is skipped" >&2
zola="${ZOLA:-}"
if [ -n "$zola" ] && [ ! -x "$zola" ]; then echo "ZOLA=$zola is not an executable" >&2; exit 1; fi
[ -n "$zola" ] || echo "note: ZOLA is not set: Zola is skipped (see BENCHMARKS.md to build it)" >&2

cargo build --release --quiet --manifest-path "$repo/Cargo.toml" --bin portico --example markdown-floor
portico="$repo/target/release/portico"
floor="$repo/target/release/examples/markdown-floor"

work="$(mktemp -d "${TMPDIR:-/tmp}/portico-compare.XXXXXX")"
trap 'rm -rf "$work"' EXIT

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "portico: $(git -C "$repo" rev-parse --short HEAD)$(git -C "$repo" diff --quiet || echo '+changes')"
[ -n "$hugo" ] && echo "hugo:    $("$hugo" version | cut -d' ' -f2)"
[ -n "$zola" ] && echo "zola:    $("$zola" --version)"
echo "runs:    $runs per tool, fresh output folder each run"

# --- The sites -------------------------------------------------------------------------------

# corpus <name> <copies>: the markdown, plain files (Hugo does not follow symlinks in content).
make_corpus() {
  local dir="$work/corpus-$1"
  mkdir -p "$dir"
  if [ "$2" = 1 ]; then
    cp -r "$source_pages/." "$dir/"
  else
    for i in $(seq 1 "$2"); do mkdir -p "$dir/c$i" && cp -r "$source_pages/." "$dir/c$i/"; done
  fi
  echo "$dir"
}

# Minimal templates: the page title, a navigation list of top-level sections, the body.
# portico and Zola both use tera: tera_templates <folder> <navigation items> <link field> <home>.
tera_templates() {
  local dir="$1" nav="$2" link="$3" home="$4"
  printf '%s\n' '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{% block title %}{% endblock title %}</title>{% block meta %}{% endblock meta %}</head>' \
    "<body><nav><ul>$nav</ul></nav>" \
    '<main>{% block content %}{% endblock content %}</main></body></html>' > "$dir/base.html"
  printf '%s\n' '{% extends "base.html" %}{% block title %}{{ page.title }}{% endblock title %}{% block content %}<h1>{{ page.title }}</h1>{{ page.content | safe }}{% endblock content %}' > "$dir/page.html"
  for t in section "$home"; do
    printf '%s\n' "{% extends \"base.html\" %}{% block title %}{{ section.title }}{% endblock title %}{% block content %}<h1>{{ section.title }}</h1>{{ section.content | safe }}<ul>{% for p in section.pages %}<li><a href=\"{{ p.$link }}\">{{ p.title }}</a></li>{% endfor %}</ul>{% endblock content %}" > "$dir/$t.html"
  done
}

portico_site() {
  local site="$work/portico-$1"
  mkdir -p "$site/themes/minimal/templates"
  ln -s "$2" "$site/content"
  cat > "$site/partners.yaml" <<'YAML'
program:
  name: Compare
  base_url: https://compare.example/
  contact: partners@compare.example
  theme: minimal
  search: false
tiers:
  - { id: strategic, name: Strategic }
  - { id: active, name: Active }
  - { id: referral-network, name: Referral Network }
YAML
  local nav='{% for item in nav %}<li><a href="{{ item.url }}">{{ item.title }}</a></li>{% endfor %}'
  tera_templates "$site/themes/minimal/templates" "$nav" url home
  echo "$site"
}

# Hugo reads a folder's `index.md` as a leaf bundle and publishes nothing beneath it (13
# folders of this corpus, `en/blog/` among them), and skips a page whose `layout:` has no
# template: its copy of the corpus names those files `_index.md`, and every layout the corpus
# names gets the single-page template.
hugo_site() {
  local site="$work/hugo-$1"
  mkdir -p "$site/layouts/_default"
  cp -r "$2" "$site/content"
  find "$site/content" -name index.md -execdir mv index.md _index.md \;
  cat > "$site/hugo.toml" <<TOML
baseURL = "https://compare.example/"
title = "Compare"
disableKinds = ["taxonomy", "term", "RSS", "sitemap", "robotsTXT", "404"]
[markup.goldmark.renderer]
unsafe = true
TOML
  cat > "$site/layouts/_default/baseof.html" <<'HTML'
<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{ .Title }}</title></head>
<body><nav><ul>{{ range .Site.Sections }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul></nav>
<main>{{ block "main" . }}{{ end }}</main></body></html>
HTML
  printf '%s\n' '{{ define "main" }}<h1>{{ .Title }}</h1>{{ .Content }}{{ end }}' > "$site/layouts/_default/single.html"
  grep -rhoE '^layout: *[A-Za-z0-9_-]+' "$site/content" | sed 's/^layout: *//' | sort -u | while read -r layout; do
    cp "$site/layouts/_default/single.html" "$site/layouts/_default/$layout.html"
  done
  printf '%s\n' '{{ define "main" }}<h1>{{ .Title }}</h1>{{ .Content }}<ul>{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul>{{ end }}' > "$site/layouts/_default/list.html"
  echo "$site"
}

zola_site() {
  local site="$work/zola-$1"
  mkdir -p "$site/templates"
  ln -s "$2" "$site/content"
  cat > "$site/config.toml" <<'TOML'
base_url = "https://compare.example/"
title = "Compare"
compile_sass = false
build_search_index = false
generate_feeds = false
[markdown]
render_emoji = false
# The corpus links to anchors its pages do not have; portico and Hugo publish anyway.
[link_checker]
internal_level = "warn"
TOML
  local nav='{% set root = get_section(path="_index.md") %}{% for s in root.subsections %}{% set sub = get_section(path=s, metadata_only=true) %}<li><a href="{{ sub.permalink }}">{{ sub.title }}</a></li>{% endfor %}'
  tera_templates "$site/templates" "$nav" permalink index
  echo "$site"
}

# --- Measuring -------------------------------------------------------------------------------

# measure <label> <output folder> <command…>: hyperfine for wall and CPU time, GNU time for peak
# memory, then the HTML pages the last run wrote. Each run writes a folder that does not exist;
# the one before is moved aside, not deleted (see "Fresh folders, nothing deleted" in
# BENCHMARKS.md), and all are deleted when the script ends.
measure() {
  local label="$1" out="$2"; shift 2
  local cmd="$*"
  local aside="mkdir -p $work/aside && if [ -e $out ]; then mv $out $work/aside/\$(date +%s%N); fi"
  hyperfine --style none --warmup 1 --runs "$runs" --prepare "$aside" \
    --export-json "$work/$label.json" --command-name "$label" "$cmd" >/dev/null
  : > "$work/$label.rss"
  for _ in $(seq 1 "$runs"); do
    bash -c "$aside"
    /usr/bin/time -f '%M' -o "$work/$label.one" "$@" >/dev/null 2>&1
    cat "$work/$label.one" >> "$work/$label.rss"
  done
  local pages="—"
  if [ -d "$out" ]; then pages=$(find "$out" -name '*.html' | wc -l); fi
  python3 - "$work/$label.json" "$work/$label.rss" "$label" "$pages" <<'PY'
import json, statistics, sys
result = json.load(open(sys.argv[1]))["results"][0]
rss = [int(line) for line in open(sys.argv[2]) if line.strip()]
wall = statistics.median(result["times"])
cpu = statistics.median(u + s for u, s in zip(result["user"], result["system"])) if "user" in result and isinstance(result["user"], list) else result["user"] + result["system"]
print(f"| {sys.argv[3]} | {wall * 1000:.0f} ms | {cpu * 1000:.0f} ms | {statistics.median(rss) / 1024:.1f} MB | {sys.argv[4]} |")
PY
}

for corpus in $corpora; do
  case "$corpus" in
    1k) copies=1 ;;
    10k) copies=9 ;;
    *) echo "unknown corpus $corpus (1k or 10k)" >&2; exit 1 ;;
  esac
  content="$(make_corpus "$corpus" "$copies")"
  echo
  echo "## corpus $corpus: $(find "$content" -name '*.md' | wc -l) markdown files, $(du -sh "$content" | cut -f1)"
  echo
  echo "| tool | median wall | median CPU | median peak RSS | HTML files written |"
  echo "|---|---|---|---|---|"
  site="$(portico_site "$corpus" "$content")"
  measure "portico-3-tiers-$corpus" "$site/out" "$portico" build -q -q --allow-broken-links --root "$site" --output "$site/out"
  measure "portico-1-tier-$corpus" "$site/out" "$portico" build -q -q --allow-broken-links --root "$site" --output "$site/out" --tier active
  if [ -n "$hugo" ]; then
    site="$(hugo_site "$corpus" "$content")"
    measure "hugo-$corpus" "$site/out" "$hugo" --quiet --buildDrafts --buildFuture --buildExpired -s "$site" -d "$site/out"
  fi
  if [ -n "$zola" ]; then
    site="$(zola_site "$corpus" "$content")"
    measure "zola-$corpus" "$site/out" "$zola" --root "$site" build --output-dir "$site/out" --force
  fi
  measure "floor-$corpus" "$work/no-output" "$floor" "$content"
done
