#!/usr/bin/env bash
# Messages per second into a Maildir: gotwistd mail beside twistd's mail
# service (shared/peers/mail.tac, run by twistd3) in the same run, with 2 KiB
# messages over 1 and 10 concurrent SMTP connections; every message that
# got a 250 is then looked for, complete, on disk. gotwistd fsyncs each
# message (file and directory) before its 250; twistd does not fsync.
# Each count runs twice: with a client that waits for every reply (as
# net/smtp does), and with one that pipelines MAIL, RCPT and DATA when the
# server offers PIPELINING (gotwistd does; twistd does not, so it is spoken
# to one command at a time in both). CPU is the server's own user+system
# time per message.
#
#   bench/mail/run.sh                 # 10 s per measurement
#   DUR=30 bench/mail/run.sh          # longer
#   CONNS="1 10 40" bench/mail/run.sh # other connection counts [1 10]
#   PEERS=/path/to/shared/peers bench/mail/run.sh
#   WORKDIR=/somewhere bench/mail/run.sh   # where the Maildirs go [bench/results]
#
# On ext4 without a journal, creating files right after many were deleted
# nearby is slow for one to six minutes (the inode allocator steps over
# recently freed inodes), so the Maildirs this script deletes at its end
# tax a second run started at once: leave a few minutes between runs.
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
go test -c -o "$work/mail.test" ./plugins/mail
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
gport=$(freeport); tport=$(freeport)

"$work/gotwistd" -n --pidfile '' --logfile "$work/gotwistd.log" mail -H localhost \
  -d "localhost=$work/g" -u joe=pw -s "tcp:$gport:interface=127.0.0.1" --no-pop3 &
pids+=($!)
(cd "$work" && PORT=$tport MAILDIR="$work/t" exec twistd3 -n --pidfile= -l "$work/twistd.log" -y "$PEERS/mail.tac") &
pids+=($!)

gpid=${pids[0]}; tpid=${pids[1]}
cputicks() { awk '{print $14+$15}' "/proc/$1/stat"; }
measure() { # pid port maildir conns run [load flags]
  local before after out
  before=$(cputicks "$1")
  out=$("$work/load" -addr "127.0.0.1:$2" -conns "$4" -duration "${DUR}s" -maildir "$3/joe" -run "$5" "${@:6}")
  after=$(cputicks "$1")
  echo "$out cpu=$(( (after - before) * 10000 / ($(echo "$out" | sed -n 's/.*accepted=\([0-9]*\).*/\1/p') + 1) ))"
}
field() { sed -n "s/.*$1=\([-0-9]*\).*/\1/p"; }

probe() { "$work/load" -disk-probe "$work/probe" | sed 's/durable-write=//'; }
echo "disk before: write + fsync + rename + directory fsync of 2 KiB takes $(probe) (the floor under one connection's latency)"
# The disk side alone, no SMTP: gotwistd's Maildir delivery with group
# commit, by 1 and by 10 goroutines: the most any SMTP server that fsyncs
# every message this way could reach here at those concurrencies.
ceiling() {
  BENCH_MAILDIR="$work/ceiling" "$work/mail.test" -test.run '^$' -test.bench "MaildirDeliver/group/writers=$1\$" -test.benchtime "${DUR}s" |
    sed -n 's/.* \([0-9.]*\) msgs\/s.*/\1/p' | cut -d. -f1
}
echo "disk ceiling (Maildir deliveries alone, group commit): 1 writer $(ceiling 1) msg/s, 10 writers $(ceiling 10) msg/s"
printf '%-5s | %-9s | %14s | %12s | %6s | %22s | %s\n' conns client "gotwistd msg/s" "twistd msg/s" ratio "CPU µs/msg (g/t)" "lost (g/t)"
for conns in ${CONNS:-1 10}; do
  for client in lockstep pipelined; do
    flags=(); [ "$client" = pipelined ] && flags=(-pipeline)
    g=$(measure "$gpid" "$gport" "$work/g" "$conns" "g$conns$client" "${flags[@]}")
    t=$(measure "$tpid" "$tport" "$work/t" "$conns" "t$conns$client" "${flags[@]}")
    gr=$(echo "$g" | field rate); tr=$(echo "$t" | field rate)
    gl=$(echo "$g" | field lost); tl=$(echo "$t" | field lost)
    gc=$(echo "$g" | field cpu); tc=$(echo "$t" | field cpu)
    ratio=$(python3 -c "print(f'{$gr/$tr:.2f}x' if $tr else 'n/a')")
    printf '%-5s | %-9s | %14s | %12s | %6s | %22s | %s/%s\n' "$conns" "$client" "$gr" "$tr" "$ratio" "$gc/$tc" "$gl" "$tl"
  done
done
echo "disk after: $(probe)"
