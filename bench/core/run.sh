#!/usr/bin/env bash
# Measures gotwistd's core beside its peers, in one run, on loopback:
#   - start-up to first accepted connection (median of 20) and idle RSS of
#     `gotwistd -n echo` beside `twistd3 -n -y echo.tac`;
#   - echo round trips per second (64-byte messages) at 1 and 100
#     connections beside a minimal Go io.Copy echo server.
# Needs: go, python3-twisted (for twistd3). Usage: bench/core/run.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-5}
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT

CGO_ENABLED=0 go build -o "$tmp/gotwistd" ./cmd/gotwistd
go build -o "$tmp/load" ./bench/core/load
go build -o "$tmp/copyecho" ./bench/core/copyecho
peer_tac=${PEER_TAC:-../shared/peers/echo.tac}

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

echo "== start-up to first accepted connection, and idle RSS (median of 20)"
p=$(port)
g=$("$tmp/load" startup -addr 127.0.0.1:$p -n 20 -- "$tmp/gotwistd" -n --pidfile '' --logfile "$tmp/g.log" echo -p tcp:$p:interface=127.0.0.1)
echo "gotwistd: $g"
if command -v twistd3 >/dev/null && [ -f "$peer_tac" ]; then
  p=$(port)
  tw=$(cd "$tmp" && PORT=$p "$tmp/load" startup -addr 127.0.0.1:$p -n 20 -- twistd3 -n --pidfile '' --logfile "$tmp/t.log" -y "$(realpath "$OLDPWD/$peer_tac")")
  echo "twistd3:  $tw"
  gs=${g#*startup_median_ms=}; gs=${gs%% *}; ts=${tw#*startup_median_ms=}; ts=${ts%% *}
  echo "ratio: gotwistd starts $(python3 -c "print(round($ts/$gs,1))")x faster"
else
  echo "twistd3 not installed (apt-get install python3-twisted): no peer figures"
fi

echo "== echo round trips per second, 64-byte messages, ${secs}s each"
pg=$(port); pc=$(port)
"$tmp/gotwistd" -n --pidfile '' --logfile "$tmp/g2.log" echo -p tcp:$pg:interface=127.0.0.1 & pids+=($!)
"$tmp/copyecho" -addr 127.0.0.1:$pc & pids+=($!)
sleep 0.5
printf '%-6s %12s %12s %7s\n' conns gotwistd io.Copy ratio
for c in 1 100; do
  a=$("$tmp/load" echo -addr 127.0.0.1:$pg -conns $c -duration ${secs}s); a=${a#*=}
  b=$("$tmp/load" echo -addr 127.0.0.1:$pc -conns $c -duration ${secs}s); b=${b#*=}
  printf '%-6s %12s %12s %7s\n' $c $a $b "$(python3 -c "print(round($a/$b,2))")"
done
