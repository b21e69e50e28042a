#!/usr/bin/env bash
# Reactor benchmarks, all on loopback, each load bounded in time:
#   1. echo round trips/s (64-byte messages) at 1, 100 and 1000 connections
#      and bulk echo MB/s, for the netpoll and gnet reactors beside a
#      minimal Go io.Copy echo built in the same run and twistd's echo
#      (shared/peers/echo.tac);
#   2. RSS with 10,000 idle echo connections on each reactor (the io.Copy
#      echo is left out: it splices through a pipe per connection, three
#      descriptors each, past a 20,000 descriptor limit);
#   3. cache get/set operations/s at 50 connections beside memcached.
# Needs: go, python3-twisted (twistd3), memcached. Prints tables with
# ratios; BENCH_TIME (default 3s) sets each measurement's length and
# BENCH_ROUNDS (default 3) the number of echo rounds.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
shared=${SHARED:-$root/../shared}
T=${BENCH_TIME:-3s}
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

echo "building..." >&2
go build -o "$tmp/echod" ./bench/reactor/echod
go build -o "$tmp/load" ./bench/reactor/load
go build -o "$tmp/gotwistd" ./bench/reactor/cmd

freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.05
  done
  echo "nothing listens on port $1" >&2; return 1
}
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

# start IMPL PORT: start an echo server (netpoll, gnet, iocopy, twistd) or
# a cache (cache-netpoll, cache-gnet, memcached); sets $pid.
start() {
  case $1 in
    netpoll|gnet|iocopy) "$tmp/echod" -impl "$1" -addr "127.0.0.1:$2" >/dev/null & ;;
    twistd) PORT=$2 twistd3 -n --pidfile= -l "$tmp/twistd.log" -y "$shared/peers/echo.tac" & ;;
    cache-*) "$tmp/gotwistd" -n --pidfile '' -l "$tmp/cache.log" --reactor "${1#cache-}" \
               cache -p "tcp:$2:interface=127.0.0.1" --http '' & ;;
    mc-*) "$tmp/gotwistd" -n --pidfile '' -l "$tmp/cache.log" --reactor "${1#mc-}" \
               cache -p tcp:0:interface=127.0.0.1 --memcached "tcp:$2:interface=127.0.0.1" --http '' & ;;
    memcached) memcached -l 127.0.0.1 -p "$2" -U 0 -t 2 -c 4096 -u nobody & ;;
  esac
  pid=$!
  pids+=("$pid")
  wait_port "$2"
}
stop() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }

# median of the numbers given
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

declare -A R S
impls=(netpoll gnet iocopy twistd)
command -v twistd3 >/dev/null || { echo "twistd3 missing (apt-get install python3-twisted): skipping it" >&2; impls=(netpoll gnet iocopy); }
# Rounds interleave the servers, so that load from elsewhere on the
# machine spreads over all of them; each figure is the median of its
# rounds.
rounds=${BENCH_ROUNDS:-3}
for round in $(seq "$rounds"); do
  for impl in "${impls[@]}"; do
    port=$(freeport); start "$impl" "$port"
    for n in 1 100 1000; do
      echo "round $round: echo $impl, $n connections..." >&2
      S[$impl,$n]+=" $("$tmp/load" rtt -addr "127.0.0.1:$port" -conns "$n" -time "$T")"
    done
    echo "round $round: echo $impl, bulk..." >&2
    S[$impl,bulk]+=" $("$tmp/load" bulk -addr "127.0.0.1:$port" -time "$T")"
    stop
  done
done
for k in "${!S[@]}"; do
  # shellcheck disable=SC2086
  R[$k]=$(median ${S[$k]})
done

echo
echo "Echo round trips per second, 64-byte messages, median of $rounds rounds (load generator on the same 2 cores)"
printf "%-7s %9s %9s %9s %9s   %14s %14s %12s\n" conns netpoll gnet io.Copy twistd netpoll/io.Copy netpoll/twistd gnet/netpoll
for n in 1 100 1000; do
  printf "%-7s %9s %9s %9s %9s   %14s %14s %12s\n" "$n" "${R[netpoll,$n]}" "${R[gnet,$n]}" "${R[iocopy,$n]}" "${R[twistd,$n]:--}" \
    "$(ratio "${R[netpoll,$n]}" "${R[iocopy,$n]}")" "$(ratio "${R[netpoll,$n]}" "${R[twistd,$n]:-0}")" "$(ratio "${R[gnet,$n]}" "${R[netpoll,$n]}")"
done
printf "%-7s %9s %9s %9s %9s   %14s %14s %12s   (MB/s, one connection)\n" bulk "${R[netpoll,bulk]}" "${R[gnet,bulk]}" "${R[iocopy,bulk]}" "${R[twistd,bulk]:--}" \
  "$(ratio "${R[netpoll,bulk]}" "${R[iocopy,bulk]}")" "$(ratio "${R[netpoll,bulk]}" "${R[twistd,bulk]:-0}")" "$(ratio "${R[gnet,bulk]}" "${R[netpoll,bulk]}")"

echo
echo "RSS with 10,000 idle echo connections"
printf "%-8s %12s %16s %12s %14s\n" server "idle (MB)" "10k conns (MB)" "delta (MB)" "KB/connection"
for impl in netpoll gnet; do
  port=$(freeport); start "$impl" "$port"
  before=$(rss_kb "$pid")
  fifo="$tmp/hold-$impl"; mkfifo "$fifo"
  "$tmp/load" idle -addr "127.0.0.1:$port" -conns 10000 <"$fifo" >"$tmp/idle-$impl" &
  lpid=$!
  exec 4>"$fifo"
  for _ in $(seq 600); do grep -q open "$tmp/idle-$impl" 2>/dev/null && break; kill -0 "$lpid" 2>/dev/null || break; sleep 0.1; done
  if ! grep -q open "$tmp/idle-$impl"; then
    echo "$impl: could not hold 10,000 connections: $(cat "$tmp/idle-$impl")" >&2
  fi
  after=$(rss_kb "$pid")
  exec 4>&-
  wait "$lpid" || true
  stop
  awk -v i="$impl" -v b="$before" -v a="$after" 'BEGIN { printf "%-8s %12.1f %16.1f %12.1f %14.2f\n", i, b/1024, a/1024, (a-b)/1024, (a-b)/10000 }'
done

echo
echo "cache: get+set operations per second, 50 connections, 32-byte values, median of $rounds rounds"
declare -A C
caches=(cache-netpoll cache-gnet mc-netpoll mc-gnet memcached)
command -v memcached >/dev/null || { echo "memcached missing (apt-get install memcached): skipping it" >&2; caches=(cache-netpoll cache-gnet mc-netpoll mc-gnet); }
declare -A CS
for round in $(seq "$rounds"); do
  for impl in "${caches[@]}"; do
    port=$(freeport); start "$impl" "$port"
    proto=memcached; case $impl in cache-*) proto=line ;; esac
    echo "round $round: cache $impl..." >&2
    CS[$impl]+=" $("$tmp/load" cache -addr "127.0.0.1:$port" -conns 50 -proto "$proto" -time "$T")"
    stop
  done
done
for k in "${!CS[@]}"; do
  # shellcheck disable=SC2086
  C[$k]=$(median ${CS[$k]})
done
echo "(cache-*: gotwistd's line protocol; mc-*: gotwistd's memcached protocol; memcached: memcached -t 2)"
printf "%-14s %10s %16s\n" server "ops/s" "vs memcached"
for impl in "${caches[@]}"; do
  printf "%-14s %10s %16s\n" "$impl" "${C[$impl]}" "$(ratio "${C[$impl]}" "${C[memcached]:-0}")"
done
