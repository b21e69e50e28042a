#!/usr/bin/env bash
# Measures `gotwistd dns --hosts-file` beside dnsmasq (--addn-hosts),
# CoreDNS (hosts plugin) and `twistd3 dns --hosts-file`, in one run, on
# loopback: dnsperf sends A queries for the 1000 names of one hosts file
# (dnsperf -c 1 -q 100 -l SECONDS, as in the issue), one server after the
# other. Reported per server: queries per second, p99 latency (dnsperf
# 2.10 prints no percentiles: from a second run with -v, which reports
# every query's latency), peak RSS (VmHWM), the server's CPU time per
# query (from /proc/PID/stat; on a shared machine the rate depends on the
# other load, this much less), and gotwistd's ratios to each peer.
#
# Needs: go, dnsperf, dnsmasq, python3-twisted (twistd3), dig. CoreDNS is
# built with `go install github.com/coredns/coredns@$COREDNS_VERSION` into
# $COREDNS_GOPATH (default: a directory under ${TMPDIR:-/tmp}, kept between
# runs; never inside the repository), or taken from $COREDNS if set.
# A peer that is missing is reported as such.
#
# Usage: [ROUNDS=N] [GOTWISTD=binary] bench/dns/run.sh [seconds]   (default 15)
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-15}
coredns_version=${COREDNS_VERSION:-v1.15.0}
coredns_gopath=${COREDNS_GOPATH:-${TMPDIR:-/tmp}/gotwistd-bench-coredns}
tmp=$(mktemp -d)
chmod 755 "$tmp" # dnsmasq reads the hosts file after switching to its own user
pid=""
stop() { if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; pid=""; fi; }
trap 'stop; rm -rf "$tmp"' EXIT

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# The hosts file and the queries: 1000 names, each asked in turn.
python3 - "$tmp" <<'EOF'
import sys
d = sys.argv[1]
with open(d + "/hosts", "w") as h, open(d + "/queries", "w") as q:
    for i in range(1000):
        h.write("10.%d.%d.%d host%04d.bench.test\n" % (i // 65536, (i // 256) % 256, i % 256, i))
        q.write("host%04d.bench.test A\n" % i)
EOF

if [ -n "${GOTWISTD:-}" ]; then
  cp "$GOTWISTD" "$tmp/gotwistd" # a binary built before, e.g. to compare versions
else
  CGO_ENABLED=0 go build -o "$tmp/gotwistd" ./bench/dns/cmd
fi

coredns=${COREDNS:-}
if [ -z "$coredns" ]; then
  coredns="$coredns_gopath/bin/coredns"
  if [ ! -x "$coredns" ]; then
    echo "building CoreDNS $coredns_version into $coredns_gopath (once)..." >&2
    (cd "$tmp" && GOPATH="$coredns_gopath" GOBIN="$coredns_gopath/bin" GOFLAGS=-buildvcs=false \
      go install "github.com/coredns/coredns@$coredns_version") >&2 || coredns=""
  fi
fi

# wait_dns PORT: until the server answers a query (start-up, not measured).
wait_dns() {
  for _ in $(seq 100); do
    if dig @127.0.0.1 -p "$1" +time=1 +tries=1 +short host0001.bench.test A 2>/dev/null | grep -q 10.0.0.1; then return 0; fi
    sleep 0.1
  done
  echo "server on port $1 did not answer" >&2
  return 1
}

# cputicks: user + system CPU time the server ($pid) has used, in ticks.
cputicks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }

# measure NAME: runs dnsperf twice against $pid on $p: once for the rate,
# once with -v for every query's latency (printing each line slows dnsperf
# down, so the rate of that run is not used), and prints
# "NAME QPS P99MS RSSMB CPU-US-PER-QUERY".
measure() {
  local name=$1
  wait_dns "$p"
  local cpu0 cpu1
  cpu0=$(cputicks)
  dnsperf -s 127.0.0.1 -p "$p" -d "$tmp/queries" -c 1 -q 100 -l "$secs" > "$tmp/$name.perf" 2>&1
  cpu1=$(cputicks)
  dnsperf -v -s 127.0.0.1 -p "$p" -d "$tmp/queries" -c 1 -q 100 -l "$secs" > "$tmp/$name.lat" 2>&1
  local qps p99 rss done us
  qps=$(awk '/Queries per second:/ {printf "%d", $4}' "$tmp/$name.perf")
  done=$(awk '/Queries completed:/ {print $3}' "$tmp/$name.perf")
  us=$(python3 -c "print('%.1f' % (($cpu1 - $cpu0) * 1e6 / $(getconf CLK_TCK) / max($done, 1)))")
  p99=$(awk '$1 == ">" {print $NF}' "$tmp/$name.lat" | sort -g |
    awk '{v[NR] = $1} END {i = int(NR * 0.99); if (i < 1) i = 1; printf "%.2f", v[i] * 1000}')
  rss=$(awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$pid/status")
  stop
  echo "$name $qps $p99 $rss $us" >> "$tmp/results"
}

: > "$tmp/results"

start_gotwistd() {
  "$tmp/gotwistd" -n --pidfile '' --logfile "$tmp/gotwistd.log" dns --hosts-file "$tmp/hosts" -i 127.0.0.1 -p "$p" &
  pid=$!
}
start_dnsmasq() {
  command -v dnsmasq >/dev/null || return 1
  dnsmasq -k -C /dev/null --no-hosts --addn-hosts="$tmp/hosts" --no-resolv --listen-address=127.0.0.1 \
    --bind-interfaces --port="$p" --pid-file="$tmp/dnsmasq.pid" 2> "$tmp/dnsmasq.log" &
  pid=$!
}
start_coredns() {
  [ -n "$coredns" ] && [ -x "$coredns" ] || return 1
  printf '.:%s {\n  bind 127.0.0.1\n  hosts %s\n}\n' "$p" "$tmp/hosts" > "$tmp/Corefile"
  "$coredns" -conf "$tmp/Corefile" > "$tmp/coredns.log" 2>&1 &
  pid=$!
}
start_twistd3() {
  command -v twistd3 >/dev/null || return 1
  (cd "$tmp" && exec twistd3 -n --pidfile '' --logfile "$tmp/twistd.log" dns --hosts-file "$tmp/hosts" -i 127.0.0.1 -p "$p") &
  pid=$!
}

# ROUNDS > 1 runs every server that many times, in a rotating order, and
# reports medians: on a shared machine the load changes during a run.
rounds=${ROUNDS:-1}
servers=(gotwistd dnsmasq coredns twistd3)
for r in $(seq "$rounds"); do
  for i in "${!servers[@]}"; do
    name=${servers[$(( (i + r - 1) % ${#servers[@]} ))]}
    p=$(port)
    if "start_$name"; then
      measure "$name"
    else
      echo "$name - - - -" >> "$tmp/results"
    fi
  done
done

echo "each run (server QPS p99-ms RSS-MB CPU-us/query), in order:"
sed 's/^/  /' "$tmp/results"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "dnsperf -c 1 -q 100 -l $secs, A queries for 1000 hosts-file names, $(nproc) CPUs, $rounds round(s) (medians)"
python3 - "$tmp/results" <<'EOF'
import statistics, sys
runs = {}
for l in open(sys.argv[1]):
    name, *vals = l.split()
    runs.setdefault(name, []).append(vals)
rows = []
for name in ("gotwistd", "dnsmasq", "coredns", "twistd3"):
    vals = [v for v in runs.get(name, []) if v[0] != "-"]
    if not vals:
        rows.append([name, "-", "-", "-", "-"])
        continue
    med = lambda k: statistics.median(float(v[k]) for v in vals)
    rows.append([name, "%d" % med(0), "%.2f" % med(1), "%.1f" % med(2), "%.1f" % med(3)])
print("%-9s %10s %9s %8s %12s" % ("server", "QPS", "p99 ms", "RSS MB", "CPU us/query"))
for r in rows:
    print("%-9s %10s %9s %8s %12s" % tuple(r))
g = rows[0]
print()
print("gotwistd's figures divided by each peer's (QPS: higher is better; p99, RSS, CPU: lower is better)")
for r in rows[1:]:
    if r[1] == "-" or float(r[1]) == 0:
        continue
    print("gotwistd / %-8s QPS %5.2fx   p99 %5.2fx   RSS %5.2fx   CPU/query %5.2fx" % (
        r[0], float(g[1]) / float(r[1]), float(g[2]) / float(r[2]), float(g[3]) / float(r[3]),
        float(g[4]) / max(float(r[4]), 0.01)))
EOF
