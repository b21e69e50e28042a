#!/usr/bin/env bash
# Benchmark `gotwistd web` beside nginx (nginx-light: one worker, sendfile
# on, access log on) and `twistd3 web`, all serving the same directory on
# loopback, with wrk -t2 -c50 on a 1 KiB file, a 100 KiB file and a
# directory listing; then the memory each server holds with 5,000 idle
# keep-alive connections. Prints a table with gotwistd's ratios.
#
# The three servers take turns, ROUNDS times per workload, and each one's
# best round counts, so that a burst of other load on the machine hurts
# none of them more than the others. Both access logs are buffered the
# same way (gotwistd's default --access-log-flush 1s; nginx buffer=64k
# flush=1s); twistd writes its log line by line.
#
#   bench/web/run.sh                 # 10 s per run, 3 rounds
#   DURATION=5s ROUNDS=1 IDLE=2000 bench/web/run.sh
#
# Needs: go, wrk, nginx (nginx-light), twistd3 (python3-twisted), curl.
# Ports 18480-18482 on 127.0.0.1 must be free (PORT_BASE moves them).
set -euo pipefail

DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-2}
CONNS=${CONNS:-50}
IDLE=${IDLE:-5000}
PORT_BASE=${PORT_BASE:-18480}
GO_PORT=$PORT_BASE
NGINX_PORT=$((PORT_BASE + 1))
TWISTD_PORT=$((PORT_BASE + 2))

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
work=$(mktemp -d /tmp/gotwistd-bench-web.XXXXXX)
chmod 755 "$work" # nginx workers run as their own user
pids=()

cleanup() {
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${pids[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	[ -n "${KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT

for tool in go wrk nginx twistd3 curl; do
	command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install -y wrk nginx-light python3-twisted curl)" >&2; exit 1; }
done
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

echo "building..." >&2
(cd "$repo" && go build -o "$work/gotwistd" ./bench/web/cmd && go build -o "$work/idle" ./bench/web/idle)

site=$work/site
mkdir -p "$site/list"
head -c 1024 /dev/urandom >"$site/1k.bin"
head -c 102400 /dev/urandom >"$site/100k.bin"
for i in $(seq 1 40); do
	head -c $((i * 97)) /dev/urandom >"$site/list/file-$i.dat"
done
mkdir -p "$site/list/subdir-a" "$site/list/subdir-b"

cat >"$work/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 20000; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    keepalive_requests 1000000;
    access_log $work/nginx-access.log combined buffer=64k flush=1s;
    client_body_temp_path $work/nginx-body;
    proxy_temp_path $work/nginx-proxy;
    fastcgi_temp_path $work/nginx-fastcgi;
    uwsgi_temp_path $work/nginx-uwsgi;
    scgi_temp_path $work/nginx-scgi;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        root $site;
        autoindex on;
    }
}
EOF

"$work/gotwistd" -n --pidfile '' --logfile "$work/gotwistd.log" web \
	--listen "tcp:$GO_PORT:interface=127.0.0.1" --path "$site" \
	-l "$work/gotwistd-access.log" --access-log-max-size 0 &
pids+=($!)
go_pid=$!
nginx -c "$work/nginx.conf" -e "$work/nginx-error.log" &
pids+=($!)
(cd "$work" && exec twistd3 -n --pidfile '' -l "$work/twistd.log" web \
	--listen "tcp:$TWISTD_PORT:interface=127.0.0.1" --path "$site") &
pids+=($!)

for port in $GO_PORT $NGINX_PORT $TWISTD_PORT; do
	for _ in $(seq 1 100); do
		curl -sf -o /dev/null "http://127.0.0.1:$port/1k.bin" && break
		sleep 0.1
	done
	curl -sf -o /dev/null "http://127.0.0.1:$port/1k.bin" || { echo "server on port $port did not start" >&2; exit 1; }
done
nginx_master=$(cat "$work/nginx.pid")
nginx_pid=$(cat /proc/"$nginx_master"/task/*/children | awk '{print $1}') # the one worker

rps() { # url -> requests/s
	wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" "$1" | awk '/^Requests\/sec:/ {print $2}'
}
best() { printf '%s\n' "$@" | sort -g | tail -1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }'; }

printf '%-12s %12s %12s %12s %10s %10s\n' "workload" "gotwistd" "nginx" "twistd3" "vs nginx" "vs twistd"
for w in "1KiB:/1k.bin" "100KiB:/100k.bin" "listing:/list/"; do
	name=${w%%:*}
	path=${w#*:}
	gs=() ns=() ts=()
	for _ in $(seq 1 "$ROUNDS"); do
		gs+=("$(rps "http://127.0.0.1:$GO_PORT$path")")
		ns+=("$(rps "http://127.0.0.1:$NGINX_PORT$path")")
		ts+=("$(rps "http://127.0.0.1:$TWISTD_PORT$path")")
	done
	echo "$name rounds: gotwistd ${gs[*]}; nginx ${ns[*]}; twistd3 ${ts[*]}" >&2
	g=$(best "${gs[@]}") n=$(best "${ns[@]}") t=$(best "${ts[@]}")
	printf '%-12s %12s %12s %12s %10s %10s\n' "$name" "$g" "$n" "$t" "$(ratio "$g" "$n")" "$(ratio "$g" "$t")"
done

rss() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; } # KiB
idle_mem() { # port pid -> "KiB before, KiB with $IDLE idle connections"
	local before fifo out
	before=$(rss "$2")
	fifo=$work/idle-$1
	mkfifo "$fifo"
	"$work/idle" -addr "127.0.0.1:$1" -n "$IDLE" <"$fifo" >"$work/idle-$1.out" &
	local ip=$!
	exec 9>"$fifo"
	for _ in $(seq 1 600); do
		grep -q ready "$work/idle-$1.out" 2>/dev/null && break
		kill -0 "$ip" 2>/dev/null || break
		sleep 0.1
	done
	out=$(rss "$2")
	exec 9>&-
	wait "$ip" || true
	echo "$before $out"
}
read -r gb ga <<<"$(idle_mem "$GO_PORT" "$go_pid")"
read -r nb na <<<"$(idle_mem "$NGINX_PORT" "$nginx_pid")"
echo
echo "memory (RSS) with $IDLE idle keep-alive connections:"
printf '  gotwistd %6d MiB (was %d MiB), %.1f KiB per connection\n' $((ga / 1024)) $((gb / 1024)) "$(awk -v a="$ga" -v b="$gb" -v n="$IDLE" 'BEGIN{print (a-b)/n}')"
printf '  nginx    %6d MiB (was %d MiB), %.1f KiB per connection\n' $((na / 1024)) $((nb / 1024)) "$(awk -v a="$na" -v b="$nb" -v n="$IDLE" 'BEGIN{print (a-b)/n}')"
