#!/usr/bin/env bash
# Benchmark of `gotwistd conch` beside OpenSSH's sshd and twistd's conch,
# all on loopback, all logging in the same throwaway account: new
# connection + login + `exec true` per second at several concurrencies, with
# a password (SHA-512 crypt for gotwistd and sshd; twistd's file checker
# only does plain text) and with an ed25519 key (gotwistd and sshd: the
# twistd peer offers passwords only), and sftp upload/download of one large
# file. The servers are measured in turn within each round and the best of
# REPEAT rounds is kept, since the machine may be busy with other work.
# Prints a table and the ratios gotwistd/sshd and gotwistd/twistd.
#
# Needs root (the account is created with useradd and removed at the end),
# openssh-server, python3-twisted (twistd3), and the twistd peer conch.tac
# (default ../shared/peers/conch.tac beside the checkout; CONCH_TAC=...).
# Knobs: DUR (seconds per exec run, 10), CLIENTS ("1 8 10"), SIZE_MB (256),
# REPEAT (rounds, 2).
# Never part of `go test`.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DUR=${DUR:-10}
CLIENTS=${CLIENTS:-"1 8 10"}
SIZE_MB=${SIZE_MB:-256}
REPEAT=${REPEAT:-2}
CONCH_TAC=${CONCH_TAC:-$ROOT/../shared/peers/conch.tac}
USERNAME=gtconch-bench
PW=bench-Pw-4711

die() { echo "bench/conch: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "run as root: the servers switch to a throwaway account"
for t in sshd:/usr/sbin/sshd twistd3:twistd3 useradd:useradd chpasswd:chpasswd python3:python3; do
  command -v "${t#*:}" >/dev/null || die "${t%%:*} is missing (Debian: openssh-server, python3-twisted, passwd)"
done
[ -f "$CONCH_TAC" ] || die "twistd peer $CONCH_TAC not found (set CONCH_TAC)"

W=$(mktemp -d /tmp/conch-bench.XXXXXX)
chmod 711 "$W" # the account reaches its home inside
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  userdel -r "$USERNAME" >/dev/null 2>&1 || true
  [ -n "${KEEP:-}" ] || rm -rf "$W"
}
trap cleanup EXIT

echo "building..." >&2
(cd "$ROOT" && go build -o "$W/gotwistd" ./bench/conch/cmd && go build -o "$W/load" ./bench/conch/load)

userdel -r "$USERNAME" >/dev/null 2>&1 || true
useradd -m -d "$W/home" -s /bin/sh "$USERNAME"
echo "$USERNAME:$PW" | chpasswd -c SHA512
HASH=$(getent shadow "$USERNAME" | cut -d: -f2)
echo "$USERNAME:$HASH" >"$W/gotwistd.auth" # the same SHA-512 crypt sshd checks
echo "$USERNAME:$PW" >"$W/twistd.auth"     # twistd's file checker has no hashes
mkdir -p "$W/keys" /run/sshd
ssh-keygen -q -t ed25519 -N '' -f "$W/keys/ssh_host_ed25519_key"
ssh-keygen -q -t ed25519 -N '' -f "$W/client_key"
cp "$W/client_key.pub" "$W/authorized_keys"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  die "nothing listens on port $1 (see $2)"
}

P_GO=$(free_port); P_SSHD=$(free_port); P_TW=$(free_port)

"$W/gotwistd" -n --pidfile= -l "$W/gotwistd.log" conch -p "tcp:$P_GO:interface=127.0.0.1" \
  -d "$W/keys" --auth "file:$W/gotwistd.auth" --auth sshkey --authorized-keys "$W/authorized_keys" --max-startups 64 &
PIDS+=($!)

cat >"$W/sshd_config" <<EOF
Port $P_SSHD
ListenAddress 127.0.0.1
HostKey $W/keys/ssh_host_ed25519_key
PidFile $W/sshd.pid
UsePAM no
PasswordAuthentication yes
KbdInteractiveAuthentication no
PubkeyAuthentication yes
AuthorizedKeysFile $W/authorized_keys
StrictModes no
MaxStartups 64
UseDNS no
PrintMotd no
PrintLastLog no
Subsystem sftp /usr/lib/openssh/sftp-server
EOF
/usr/sbin/sshd -D -f "$W/sshd_config" -E "$W/sshd.log" &
PIDS+=($!)

PORT=$P_TW KEYDIR=$W/keys AUTHFILE=$W/twistd.auth twistd3 -n --pidfile= -l "$W/twistd.log" -y "$CONCH_TAC" &
PIDS+=($!)

wait_port "$P_GO" "$W/gotwistd.log"
wait_port "$P_SSHD" "$W/sshd.log"
wait_port "$P_TW" "$W/twistd.log"

# load SERVER ARGS...: one measurement; prints the number, 0 on failure;
# the client's complaints go to load.err under the server's name.
load() {
  local srv=$1 out
  shift
  out=$("$W/load" -user "$USERNAME" -password "$PW" -addr "127.0.0.1:$(port_of "$srv")" "$@" 2>"$W/last.err") || out=0
  sed "s/^/$srv: /" "$W/last.err" >>"$W/load.err"
  echo "${out%% *}"
}

declare -A R
port_of() { case $1 in gotwistd) echo "$P_GO" ;; sshd) echo "$P_SSHD" ;; twistd) echo "$P_TW" ;; esac; }
best() { python3 -c "import sys; print(max(float(x) for x in sys.argv[1:]))" "$@"; }
keep() { R[$1]=$(best "${R[$1]:-0}" "$2"); }

for round in $(seq "$REPEAT"); do
  for n in $CLIENTS; do
    for srv in gotwistd sshd twistd; do
      echo "round $round: $srv, exec true, $n clients, password, ${DUR}s..." >&2
      keep "$srv,pw$n" "$(load "$srv" -mode exec -clients "$n" -duration "${DUR}s")"
      [ $srv = twistd ] && continue
      echo "round $round: $srv, exec true, $n clients, key, ${DUR}s..." >&2
      keep "$srv,key$n" "$(load "$srv" -key "$W/client_key" -mode exec -clients "$n" -duration "${DUR}s")"
    done
  done
  for srv in gotwistd sshd twistd; do
    remote="$W/home/up-$srv.bin"
    echo "round $round: $srv, sftp ${SIZE_MB} MiB up and down..." >&2
    keep "$srv,up" "$(load "$srv" -mode sftp-up -size $((SIZE_MB << 20)) -remote "$remote")"
    keep "$srv,down" "$(load "$srv" -mode sftp-down -size $((SIZE_MB << 20)) -remote "$remote")"
    rm -f "$remote"
  done
done

ratio() { python3 -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); print('%.1fx' % (a / b) if a and b else 'n/a')" "$1" "$2"; }

row() { # row LABEL FORMAT-of-key...: one line of the table
  local label=$1; shift
  printf '%-12s' "$label"
  for v in "$@"; do printf '  %13s' "$v"; done
  printf '\n'
}
{
  hdr=()
  for n in $CLIENTS; do hdr+=("pw @$n/s"); done
  for n in $CLIENTS; do hdr+=("key @$n/s"); done
  row server "${hdr[@]}" "sftp up MB/s" "sftp dn MB/s"
  for srv in gotwistd sshd twistd; do
    v=()
    for n in $CLIENTS; do v+=("${R[$srv,pw$n]}"); done
    for n in $CLIENTS; do v+=("${R[$srv,key$n]:-n/a}"); done
    row "$srv" "${v[@]}" "${R[$srv,up]}" "${R[$srv,down]}"
  done
  for peer in sshd twistd; do
    v=()
    for n in $CLIENTS; do v+=("$(ratio "${R[gotwistd,pw$n]}" "${R[$peer,pw$n]}")"); done
    for n in $CLIENTS; do v+=("$(ratio "${R[gotwistd,key$n]}" "${R[$peer,key$n]:-0}")"); done
    row "gotwistd/$peer" "${v[@]}" "$(ratio "${R[gotwistd,up]}" "${R[$peer,up]}")" "$(ratio "${R[gotwistd,down]}" "${R[$peer,down]}")"
  done
}
if [ -s "$W/load.err" ]; then
  echo "client errors (a 0 above means every attempt failed):" >&2
  sort "$W/load.err" | uniq -c | head -20 >&2
fi
