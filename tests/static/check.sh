#!/usr/bin/env bash
# Static analysis of the project's C (common/, workers/, tools/, deploy/), as CTest runs it
# (label `static`): fails on any finding.
#   check.sh cppcheck SRC_DIR BUILD_DIR
#   check.sh clang-tidy SRC_DIR BUILD_DIR     (.clang-tidy at SRC_DIR; the build's
#                                              compile_commands.json)
set -euo pipefail
tool=$1 src=$2 build=$3
dirs=("$src/common" "$src/workers" "$src/tools" "$src/deploy")
case "$tool" in
cppcheck)
  # jansson.cfg: jansson's iteration macros (cppcheck ships no configuration for jansson).
  cppcheck --error-exitcode=1 --enable=warning,style,performance,portability --inline-suppr \
    --library=posix --library=gnu --library=libcurl --library=openssl \
    --library="$src/tests/static/jansson.cfg" --suppress=missingIncludeSystem \
    --std=c11 $(printf -- "-I %s " "$src"/common/*/) -I "$build" -j "$(nproc)" -q \
    --template='{file}:{line}: {severity}: {message} [{id}]' "${dirs[@]}"
  echo "cppcheck: no findings"
  ;;
clang-tidy)
  # The translation units of those folders the build compiles (not the generated ones).
  files=$(python3 -c '
import json, sys
src, build = sys.argv[1], sys.argv[2]
dirs = tuple(src.rstrip("/") + "/" + d + "/" for d in ("common", "workers", "tools", "deploy"))
units = {e["file"] for e in json.load(open(build + "/compile_commands.json"))}
print("\n".join(sorted(f for f in units if f.startswith(dirs) and f.endswith(".c"))))' "$src" "$build")
  [ -n "$files" ] || { echo "clang-tidy: no translation units found"; exit 1; }
  echo "$files" | xargs -P "$(nproc)" -n 8 clang-tidy -p "$build" --quiet 2>/dev/null
  echo "clang-tidy: no findings in $(echo "$files" | wc -l) translation units"
  ;;
*)
  echo "usage: check.sh cppcheck|clang-tidy SRC_DIR BUILD_DIR" >&2
  exit 2
  ;;
esac
