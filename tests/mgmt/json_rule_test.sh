#!/bin/sh
# Every JSON text sbcd and sbcctl write goes through mgmt/json_text (invalid UTF-8 from peers
# becomes U+FFFD instead of an exception). Fails, naming the lines, when another dump() appears
# in controlplane/ or mgmt/.
set -eu
root=$1
hits=$(grep -rnE '\.dump\(' "$root/controlplane" "$root/mgmt" --include='*.cpp' --include='*.hpp' |
  grep -v '^'"$root"'/mgmt/json_text\.cpp:' || true)
if [ -n "$hits" ]; then
  echo "JSON dumped outside mgmt/json_text (use sbc::mgmt::json_text):"
  echo "$hits"
  exit 1
fi
echo "ok: every JSON text goes through mgmt/json_text"
