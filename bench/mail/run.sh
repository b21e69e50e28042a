#!/usr/bin/env bash
# Messages per second into a Maildir: gotwistd mail beside twistd's mail
# service (shared/peers/mail.tac, run by twistd3) in the same run, with 2 KiB
# messages over 1 and 10 concurrent SMTP connections; every message that
# got a 250 is then looked for, complete, on disk. gotwistd fsyncs each
# message (file and directory) before its 250; twistd does not fsync.
#
#   bench/mail/run.sh                 # 10 s per measurement
#   DUR=30 bench/mail/run.sh          # longer
#   PEERS=/path/to/shared/peers bench/mail/run.sh
#   WORKDIR=/somewhere bench/mail/run.sh   # where the Maildirs go [bench/results]
#
# Needs go and twistd3 (apt-get install python3-twisted). Never run by go test.
set -euo pipefail
cd "$(dirname "$0")/../.."
DUR=${DUR:-10}
PEERS=${PEERS:-$(cd .. && pwd)/shared/peers}
command -v twistd3 >/dev/null || { echo "twistd3 missing: apt-get install python3-twisted" >&2; exit 1; }
[ -f "$PEERS/mail.tac" ] || { echo "no $PEERS/mail.tac; set PEERS" >&2; exit 1; }

mkdir -p "${WORKDIR:-bench/results}"
work=$(mktemp -d "${WORKDIR:-bench/results}/mail.XXXXXX")
work=$(cd "$work" && pwd)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/gotwistd" ./bench/mail/cmd
go build -o "$work/load" ./bench/mail/load
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
gport=$(freeport); tport=$(freeport)

"$work/gotwistd" -n --pidfile '' --logfile "$work/gotwistd.log" mail -H localhost \
  -d "localhost=$work/g" -u joe=pw -s "tcp:$gport:interface=127.0.0.1" --no-pop3 &
pids+=($!)
(cd "$work" && PORT=$tport MAILDIR="$work/t" exec twistd3 -n --pidfile= -l "$work/twistd.log" -y "$PEERS/mail.tac") &
pids+=($!)

measure() { # name port maildir conns run
  "$work/load" -addr "127.0.0.1:$2" -conns "$4" -duration "${DUR}s" -maildir "$3/joe" -run "$5"
}
field() { sed -n "s/.*$1=\([-0-9]*\).*/\1/p"; }

probe() { "$work/load" -disk-probe "$work/probe" | sed 's/durable-write=//'; }
echo "disk before: write + fsync + rename + directory fsync of 2 KiB takes $(probe) (the floor under one connection's latency)"
printf '%-6s | %14s | %14s | %6s | %s\n' conns "gotwistd msg/s" "twistd msg/s" ratio "lost (gotwistd/twistd)"
for conns in 1 10; do
  g=$(measure gotwistd "$gport" "$work/g" "$conns" "g$conns")
  t=$(measure twistd "$tport" "$work/t" "$conns" "t$conns")
  gr=$(echo "$g" | field rate); tr=$(echo "$t" | field rate)
  gl=$(echo "$g" | field lost); tl=$(echo "$t" | field lost)
  ratio=$(python3 -c "print(f'{$gr/$tr:.2f}x' if $tr else 'n/a')")
  printf '%-6s | %14s | %14s | %6s | %s/%s\n' "$conns" "$gr" "$tr" "$ratio" "$gl" "$tl"
done
echo "disk after: $(probe)"
