#!/usr/bin/env bash
# Rebuild every lab sample (public/samples/*) from real software in network namespaces.
# Needs root and the Debian packages listed in lab/README.md. CI does not run this.
# usage: sudo bash lab/build-all.sh [NN-name ...]   (default: all scenarios)
set -uo pipefail
LAB_DIR="$(cd "$(dirname "$0")" && pwd)"
if [ "$(id -u)" != 0 ]; then echo "run as root: sudo bash lab/build-all.sh" >&2; exit 1; fi
cd "$LAB_DIR/scenarios"
if [ $# -gt 0 ]; then list=("$@"); else list=(*.sh); list=("${list[@]%.sh}"); fi
failed=()
for s in "${list[@]}"; do
  echo "=== $s"
  if ! timeout 240 bash "./$s.sh" >"/tmp/sl-build-$s.log" 2>&1; then
    echo "FAILED: $s (log: /tmp/sl-build-$s.log)"; failed+=("$s")
  else
    tail -1 "/tmp/sl-build-$s.log"
  fi
done
python3 "$LAB_DIR/mkindex.py" "$LAB_DIR/../public/samples"
if [ ${#failed[@]} -gt 0 ]; then echo "failed: ${failed[*]}"; exit 1; fi
echo "all samples rebuilt"
