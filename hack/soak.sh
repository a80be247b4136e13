#!/usr/bin/env bash
# Soak: rootlessjkit under repetition, faults and abuse, on loopback and in namespaces it makes. Prints one table
# row per check and exits non-zero when any check fails. Bounded in time; not in CI by default (SoakShortIT runs
# the short variant).
#   hack/soak.sh            # the full run: 1,000 start/stop cycles per port driver, 10,000 connections, ...
#   hack/soak.sh --short    # every check, small counts (a few minutes on a quiet machine); CI runs this
# Phases (PHASES, default all): cycles kill conns flood api ulimit
# Counts and durations (defaults full / --short):
#   CYCLES=1000/2            start/stop cycles per port driver, each serving a published port (a progress line on
#                            stderr every 100)
#   DRIVERS="builtin usernet" the port drivers of the cycles, kill and conns phases (two soaks with one driver each
#                            and other PORT_BASEs can run side by side)
#   KILL_TRAFFIC_SECONDS=5/2 traffic through the published port around the parent's SIGKILL
#   CONNS=10000/300          forwarded connections per port driver; CONNS_THREADS=8
#   SETTLE_SECONDS=30/15     how long fds, threads and RSS may take to come back to their idle values
#   FD_TOLERANCE=16, THREAD_TOLERANCE=4, RSS_TOLERANCE_MB=64: "back to idle" means within these of the idle value
#                            (the JVM keeps heap it grew to; a per-connection leak of CONNS fds or threads shows)
#   FLOOD_SECONDS=30/5       guest UDP, DNS and SYN flood toward host loopback under --net=usernet
#   IPERF_SECONDS=5/2        each guest-to-host iperf3 measurement (before and during the flood)
#   FLOOD_RSS_LIMIT_MB=512   the parent's RSS bound during the flood
#   IDLE_CONNS=1000/300      idle API connections held open; SLOWLORIS_SECONDS=10/3; BODY_MB=10
#   LOW_NOFILE=256           RLIMIT_NOFILE (soft and hard) of the low-ulimit run; HOLD_CONNS=600/400 held connections
#   PORT_BASE=28400          host ports used: PORT_BASE .. PORT_BASE+9 on 127.0.0.1
#   START_TIMEOUT=60         seconds a launch may take to serve its published port (the machine may be loaded)
# Runs as a user with subuids, or as root: then re-runs itself as $ROOTLESSJKIT_TEST_USER (default rjtest).
# Kills only the PIDs it started; removes everything it made on exit.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
knobs=(PHASES DRIVERS CYCLES KILL_TRAFFIC_SECONDS CONNS CONNS_THREADS SETTLE_SECONDS FD_TOLERANCE THREAD_TOLERANCE
	RSS_TOLERANCE_MB FLOOD_SECONDS IPERF_SECONDS FLOOD_RSS_LIMIT_MB IDLE_CONNS SLOWLORIS_SECONDS BODY_MB LOW_NOFILE
	HOLD_CONNS PORT_BASE START_TIMEOUT ROOTLESSJKIT)

if [ "$(id -u)" = 0 ]; then
	pass=()
	for knob in "${knobs[@]}"; do
		[ -z "${!knob+x}" ] || pass+=("$knob=${!knob}")
	done
	exec runuser -u "${ROOTLESSJKIT_TEST_USER:-rjtest}" -- env PATH="$PATH" "${pass[@]}" "$0" "$@"
fi

short=false
case "${1:-}" in
--short) short=true ;;
"") ;;
*)
	echo "usage: hack/soak.sh [--short]   (counts and durations from the environment, see the header)" >&2
	exit 2
	;;
esac
pick() { if $short; then echo "$2"; else echo "$1"; fi; }
PHASES=${PHASES:-cycles kill conns flood api ulimit}
CYCLES=${CYCLES:-$(pick 1000 2)}
DRIVERS=${DRIVERS:-builtin usernet}
KILL_TRAFFIC_SECONDS=${KILL_TRAFFIC_SECONDS:-$(pick 5 2)}
CONNS=${CONNS:-$(pick 10000 300)}
CONNS_THREADS=${CONNS_THREADS:-8}
SETTLE_SECONDS=${SETTLE_SECONDS:-$(pick 30 15)}
FD_TOLERANCE=${FD_TOLERANCE:-16}
THREAD_TOLERANCE=${THREAD_TOLERANCE:-4}
RSS_TOLERANCE_MB=${RSS_TOLERANCE_MB:-64}
FLOOD_SECONDS=${FLOOD_SECONDS:-$(pick 30 5)}
IPERF_SECONDS=${IPERF_SECONDS:-$(pick 5 2)}
FLOOD_RSS_LIMIT_MB=${FLOOD_RSS_LIMIT_MB:-512}
IDLE_CONNS=${IDLE_CONNS:-$(pick 1000 300)}
SLOWLORIS_SECONDS=${SLOWLORIS_SECONDS:-$(pick 10 3)}
BODY_MB=${BODY_MB:-10}
LOW_NOFILE=${LOW_NOFILE:-256}
HOLD_CONNS=${HOLD_CONNS:-$(pick 600 400)}
PORT_BASE=${PORT_BASE:-28400}
START_TIMEOUT=${START_TIMEOUT:-60}
rj=${ROOTLESSJKIT:-$repo/rootlessjkit}

for tool in curl busybox python3 iperf3 ss "$rj"; do
	command -v "$tool" >/dev/null || { echo "soak: $tool is required (hack/ci-setup.sh installs the tools)" >&2; exit 1; }
done
[ -d "$repo/parent/target/dist" ] || { echo "soak: build first (mvn -B -q package -DskipTests)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/soak.XXXXXX")
launcher=""  # the running launcher's PID
helpers=()   # PIDs of host-side helpers (servers, traffic, samplers)
cleanup() {
	local pid
	for pid in ${launcher:+"$launcher"} "${helpers[@]}"; do
		kill -KILL "$pid" 2>/dev/null || true
	done
	for pid in ${launcher:+"$launcher"} "${helpers[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$work/www"
head -c 100 /dev/zero | tr '\0' x >"$work/www/index.html"

# stop_helpers: ends the host-side helpers started so far.
stop_helpers() {
	local pid
	for pid in "${helpers[@]}"; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	helpers=()
}

rows=()
failed=0
# row CHECK VALUE OK: one line of the table; OK is "pass", "fail" or "info".
row() {
	rows+=("$(printf '%-40s %-62s %s' "$1" "$2" "$3")")
	printf 'soak: %-40s %-62s %s\n' "$1" "$2" "$3" >&2
	[ "$3" != fail ] || failed=$((failed + 1))
}
# verdict CONDITION: "pass" when the shell condition (one string, evaluated here) holds, else "fail".
verdict() { if eval "$1"; then echo pass; else echo fail; fi; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# launch NAME PORT_DRIVER CMD [-p SPEC]...: starts the launcher in the background with its own state dir, a pid
# namespace (everything CMD starts dies with it) and --net=usernet; sets $launcher and $state.
launch() {
	local name=$1 driver=$2 cmd=$3
	shift 3
	state="$work/state-$name"
	"$rj" --state-dir="$state" --pidns --net=usernet --port-driver="$driver" "$@" sh -c "$cmd" \
		>"$work/$name.log" 2>&1 &
	launcher=$!
}

# serving PORT: waits until the launcher forwards http://127.0.0.1:PORT/ (or died, or START_TIMEOUT passed).
serving() {
	local deadline=$((SECONDS + START_TIMEOUT))
	while [ $SECONDS -lt $deadline ] && kill -0 "$launcher" 2>/dev/null; do
		curl -fsS --max-time 2 -o /dev/null "http://127.0.0.1:$1/" 2>/dev/null && return 0
		sleep 0.2
	done
	return 1
}

# finish: waits for the launcher (CMD was told to exit) and returns its exit status.
finish() {
	local status=0
	# (stderr: not the shell's "Killed" job notice for a launcher the soak killed on purpose)
	wait "$launcher" 2>/dev/null || status=$?
	launcher=""
	return "$status"
}

# leftovers STATE PORT...: prints what a finished launch left behind: processes naming its state dir or the work
# dir, the state dir itself, listening host ports. Prints nothing when all is gone.
leftovers() {
	local st=$1 port
	shift
	if pgrep -u "$(id -u)" -f -- "$st" >/dev/null || pgrep -u "$(id -u)" -f -- "-h $work/www" >/dev/null; then
		echo "processes($(pgrep -u "$(id -u)" -f -- "$st" | tr '\n' ' '))"
	fi
	[ ! -e "$st" ] || echo "state-dir"
	for port in "$@"; do
		[ -z "$(ss -Htln "sport = :$port")" ] || echo "port-$port"
	done
}

# proc_stats PID: "fds threads rss_kib" of a process ("- - -" when it cannot be read).
proc_stats() {
	local fds threads rss
	fds=$(ls "/proc/$1/fd" 2>/dev/null | wc -l) || fds=-
	threads=$(awk '/^Threads:/ { print $2 }' "/proc/$1/status" 2>/dev/null) || threads=-
	rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null) || rss=-
	[ "$fds" != 0 ] || fds=-
	echo "${fds:--} ${threads:--} ${rss:--}"
}

child_pid() { cat "$state/child_pid" 2>/dev/null || true; }

# --- start/stop cycles ---------------------------------------------------------------------------------------
phase_cycles() {
	local driver port=$((PORT_BASE + 1)) i fails left start mounts_before mounts_after what
	for driver in $DRIVERS; do
		fails=0 left=0 start=$SECONDS what=""
		# Only mounts under the soak's own directory: other work on the machine (an `ip netns add`, a test's
		# namespace) mounts and unmounts elsewhere meanwhile.
		mounts_before=$(grep -c -F -- "$work" /proc/self/mountinfo || true)
		for ((i = 1; i <= CYCLES; i++)); do
			rm -f "$work/stop"
			launch "cycle-$driver" "$driver" \
				"busybox httpd -p 80 -h $work/www && while [ ! -e $work/stop ]; do sleep 0.1; done" \
				-p "127.0.0.1:$port:80/tcp"
			if ! serving "$port"; then
				fails=$((fails + 1))
				what="cycle $i: port never served ($(tail -1 "$work/cycle-$driver.log"))"
			fi
			touch "$work/stop"
			if ! finish; then
				fails=$((fails + 1))
				what="cycle $i: exit status not 0 ($(tail -1 "$work/cycle-$driver.log"))"
			fi
			local left_now
			left_now=$(leftovers "$state" "$port")
			if [ -n "$left_now" ]; then
				left=$((left + 1))
				what="cycle $i left: $left_now"
			fi
			((i % 100)) || echo "soak: $driver cycle $i of $CYCLES: $fails failed, $left left something, $((SECONDS - start)) s" >&2
		done
		mounts_after=$(grep -c -F -- "$work" /proc/self/mountinfo || true)
		[ "$mounts_before" = "$mounts_after" ] || { left=$((left + 1)); what="host mounts $mounts_before -> $mounts_after"; }
		row "start/stop cycles, $driver ports" \
			"$CYCLES cycles in $((SECONDS - start)) s: $fails failed, $left left something${what:+ ($what)}" \
			"$(verdict '[ $fails = 0 ] && [ $left = 0 ]')"
	done
}

# --- SIGKILL of the parent mid-traffic --------------------------------------------------------------------------
phase_kill() {
	local driver port=$((PORT_BASE + 2)) traffic child t0 gone_ms left late
	for driver in $DRIVERS; do
		launch "kill-$driver" "$driver" "busybox httpd -f -p 80 -h $work/www" -p "127.0.0.1:$port:80/tcp"
		if ! serving "$port"; then
			row "SIGKILL parent, $driver" "never served: $(tail -1 "$work/kill-$driver.log")" fail
			kill -KILL "$launcher" 2>/dev/null || true
			finish || true
			continue
		fi
		child=$(child_pid)
		python3 "$repo/hack/conns.py" "$port" "$((KILL_TRAFFIC_SECONDS * 2))" 4 >/dev/null 2>&1 &
		traffic=$!
		helpers+=("$traffic")
		sleep "$KILL_TRAFFIC_SECONDS"
		kill -KILL "$launcher"
		t0=$(now_ms)
		finish || true
		gone_ms="" late=""
		while [ $(($(now_ms) - t0)) -lt 10000 ]; do
			left=$(leftovers "$state" "$port" | grep -v state-dir || true)
			[ -n "$child" ] && [ -e "/proc/$child" ] && left="$left child-$child"
			[ -n "$late" ] || [ $(($(now_ms) - t0)) -lt 2000 ] || late=$left
			if [ -z "$left" ]; then
				gone_ms=$(($(now_ms) - t0))
				break
			fi
			sleep 0.05
		done
		wait "$traffic" 2>/dev/null || true
		# A killed parent cannot remove its state dir (nor can RootlessKit's): the next launch reuses it.
		rm -rf "$state"
		row "SIGKILL parent mid-traffic, $driver" \
			"processes gone, port free after ${gone_ms:->10000} ms${late:+ (at 2 s still there:$late)}" \
			"$(verdict '[ -n "$gone_ms" ] && [ "$gone_ms" -le 2000 ]')"
	done
}

# --- many forwarded connections: back to idle? ------------------------------------------------------------------
phase_conns() {
	local driver port=$((PORT_BASE + 3)) child idle_p idle_c after_p after_c result deadline ok rate errors
	for driver in $DRIVERS; do
		rm -f "$work/stop"
		launch "conns-$driver" "$driver" "busybox httpd -f -p 80 -h $work/www" -p "127.0.0.1:$port:80/tcp"
		if ! serving "$port"; then
			row "$CONNS connections, $driver" "never served: $(tail -1 "$work/conns-$driver.log")" fail
			kill -KILL "$launcher" 2>/dev/null || true
			finish || true
			continue
		fi
		child=$(child_pid)
		# Warm up first: the idle values are those of a launch that has forwarded connections before.
		python3 "$repo/hack/conns.py" "$port" 600 "$CONNS_THREADS" 200 >/dev/null
		sleep 2
		idle_p=$(proc_stats "$launcher")
		idle_c=$(proc_stats "${child:-0}")
		result=$(python3 "$repo/hack/conns.py" "$port" 3600 "$CONNS_THREADS" "$CONNS")
		read -r rate errors <<<"$result"
		deadline=$((SECONDS + SETTLE_SECONDS))
		while true; do
			after_p=$(proc_stats "$launcher")
			after_c=$(proc_stats "${child:-0}")
			ok=true
			within "$idle_p" "$after_p" || ok=false
			within "$idle_c" "$after_c" || ok=false
			$ok || [ $SECONDS -ge $deadline ] && break
			sleep 1
		done
		kill -KILL "$launcher" 2>/dev/null || true
		finish || true
		rm -rf "$state"
		row "$CONNS connections, $driver" "$rate conn/s, $errors failed" "$(verdict '[ "$errors" = 0 ]')"
		row "  parent fds/threads/RSS KiB, $driver" "idle $(echo "$idle_p" | tr ' ' /) -> after $(echo "$after_p" | tr ' ' /)" \
			"$(verdict 'within "$idle_p" "$after_p"')"
		row "  child fds/threads/RSS KiB, $driver" "idle $(echo "$idle_c" | tr ' ' /) -> after $(echo "$after_c" | tr ' ' /)" \
			"$(verdict 'within "$idle_c" "$after_c"')"
	done
}

# within "FDS THREADS RSS" "FDS THREADS RSS": the second is within the tolerances above the first ("-": unreadable).
within() {
	local f0 t0 r0 f1 t1 r1
	read -r f0 t0 r0 <<<"$1"
	read -r f1 t1 r1 <<<"$2"
	[ "$f0" = - ] || [ "$f1" = - ] || [ "$f1" -le $((f0 + FD_TOLERANCE)) ] || return 1
	[ "$t0" = - ] || [ "$t1" = - ] || [ "$t1" -le $((t0 + THREAD_TOLERANCE)) ] || return 1
	[ "$r0" = - ] || [ "$r1" = - ] || [ "$r1" -le $((r0 + RSS_TOLERANCE_MB * 1024)) ] || return 1
}

# --- a guest flooding host loopback -----------------------------------------------------------------------------
write_flood_py() {
	cat >"$work/flood.py" <<'EOF'
# Inside the namespace: floods one kind toward the host for SECONDS; writes the number of packets sent to stdout.
#   udp: single datagrams to random host ports (a new flow each); dns: random queries to the usernet resolver;
#   syn: raw TCP SYNs from random source ports to an open host port, never completed (half-open flows).
import os, random, socket, struct, sys, time
kind, secs, port = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
end, sent = time.monotonic() + secs, 0
def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
if kind == "syn":
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
    src, dst = socket.inet_aton("10.0.2.100"), socket.inet_aton("10.0.2.2")
else:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setblocking(False)
payload = os.urandom(512)
while time.monotonic() < end:
    try:
        if kind == "udp":
            s.sendto(payload, ("10.0.2.2", random.randint(20000, 60000)))
        elif kind == "dns":
            name = b"".join(bytes([8]) + os.urandom(4).hex().encode() for _ in range(2)) + b"\x07example\x00"
            s.sendto(struct.pack("!HHHHHH", random.randint(0, 65535), 0x0100, 1, 0, 0, 0) + name + b"\x00\x01\x00\x01",
                     ("10.0.2.3", 53))
        else:
            tcp = struct.pack("!HHIIBBHHH", random.randint(1024, 65535), port, random.getrandbits(32), 0, 5 << 4,
                              0x02, 64240, 0, 0)
            c = csum(src + dst + struct.pack("!BBH", 0, 6, len(tcp)) + tcp)
            s.sendto(tcp[:16] + struct.pack("!H", c) + tcp[18:], ("10.0.2.2", 0))
        sent += 1
    except (BlockingIOError, OSError):
        time.sleep(0.0005)
print(sent)
EOF
}

phase_flood() {
	local http=$((PORT_BASE + 4)) iperf=$((PORT_BASE + 5)) pub=$((PORT_BASE + 6)) sink=$((PORT_BASE + 9))
	local sampler peak before during after
	local udp dns syn fresh_during fresh_after
	write_flood_py
	busybox httpd -f -p "127.0.0.1:$http" -h "$work/www" &
	helpers+=($!)
	iperf3 -s -B 127.0.0.1 -p "$iperf" >/dev/null 2>&1 &
	helpers+=($!)
	# The SYN flood's target: a host listener that never accepts, so the stack's host connections stay half-open
	# too, and the fresh-connection check's httpd is not the one flooded.
	python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(16); time.sleep(1e9)' "$sink" &
	helpers+=($!)
	printf 'nameserver 127.0.0.1\n' >"$work/resolv.conf"
	local g="$work/guest"
	mkdir -p "$g"
	# The guest measures a flow of its own (iperf3 to the host) before and during its own flood, and makes fresh
	# connections during and after it.
	local cmd="busybox httpd -p 80 -h $work/www
		iperf3 -c 10.0.2.2 -p $iperf -t $IPERF_SECONDS -J >$g/iperf-before.json 2>&1
		touch $g/flood-start
		python3 $work/flood.py udp $FLOOD_SECONDS 0 >$g/udp 2>&1 &
		python3 $work/flood.py dns $FLOOD_SECONDS 0 >$g/dns 2>&1 &
		python3 $work/flood.py syn $FLOOD_SECONDS $sink >$g/syn 2>&1 &
		sleep 1
		iperf3 -c 10.0.2.2 -p $iperf -t $IPERF_SECONDS -J >$g/iperf-during.json 2>&1
		curl -fsS --max-time 5 -o /dev/null http://10.0.2.2:$http/ && touch $g/fresh-during
		wait
		curl -fsS --max-time 5 -o /dev/null http://10.0.2.2:$http/ && touch $g/fresh-after
		touch $g/done
		while [ ! -e $work/stop ]; do sleep 0.1; done"
	rm -f "$work/stop"
	ROOTLESSJKIT_USERNET_RESOLV_CONF="$work/resolv.conf" launch flood builtin "$cmd" -p "127.0.0.1:$pub:80/tcp"
	if ! serving "$pub"; then
		row "guest flood" "never served: $(tail -1 "$work/flood.log")" fail
		kill -KILL "$launcher" 2>/dev/null || true
		finish || true
		return
	fi
	(
		peak=0
		while kill -0 "$launcher" 2>/dev/null; do
			r=$(awk '/^VmRSS:/ { print $2 }' "/proc/$launcher/status" 2>/dev/null || echo 0)
			[ "${r:-0}" -le "$peak" ] || { peak=$r; echo "$peak" >"$work/peak-rss"; }
			sleep 0.5
		done
	) &
	sampler=$!
	helpers+=("$sampler")
	local deadline=$((SECONDS + START_TIMEOUT + 2 * IPERF_SECONDS + FLOOD_SECONDS + 30))
	while [ ! -e "$g/done" ] && [ $SECONDS -lt $deadline ] && kill -0 "$launcher" 2>/dev/null; do
		sleep 0.5
	done
	local pub_ok=fail
	curl -fsS --max-time 5 -o /dev/null "http://127.0.0.1:$pub/" && pub_ok=pass
	touch "$work/stop"
	finish || true
	kill "$sampler" 2>/dev/null || true
	wait "$sampler" 2>/dev/null || true
	rm -rf "$state"
	stop_helpers
	iperf_error() { python3 -c 'import json,sys
try: e = json.load(open(sys.argv[1])).get("error", "")
except Exception as x: e = "no result: %s" % x
print(" (%s)" % e[:40] if e else "")' "$1"; }
	gbits() { python3 -c 'import json,sys
try: print("%.2f" % (json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"] / 1e9))
except Exception: print("0")' "$1"; }
	before=$(gbits "$g/iperf-before.json")
	during=$(gbits "$g/iperf-during.json")
	udp=$(cat "$g/udp" 2>/dev/null || echo ?)
	dns=$(cat "$g/dns" 2>/dev/null || echo ?)
	syn=$(cat "$g/syn" 2>/dev/null || echo ?)
	peak=$(cat "$work/peak-rss" 2>/dev/null || echo 0)
	row "guest flood ${FLOOD_SECONDS}s (usernet)" "sent: $udp UDP flows, $dns DNS queries, $syn SYNs" info
	row "  guest iperf3 to host during flood" "$during Gbit/s (before: $before Gbit/s)$(iperf_error "$g/iperf-during.json")" \
		"$(verdict '[ "$during" != 0 ] && [ "$during" != 0.00 ]')"
	fresh_during=fail fresh_after=fail
	[ ! -e "$g/fresh-during" ] || fresh_during=pass
	[ ! -e "$g/fresh-after" ] || fresh_after=pass
	row "  guest fresh connection to host" "during: $fresh_during, after: $fresh_after" \
		"$(verdict '[ $fresh_during = pass ] && [ $fresh_after = pass ]')"
	row "  published port after flood" "$pub_ok" "$pub_ok"
	row "  parent peak RSS during flood" "$((peak / 1024)) MiB (bound $FLOOD_RSS_LIMIT_MB MiB)" \
		"$(verdict '[ "$peak" -gt 0 ] && [ "$peak" -le $((FLOOD_RSS_LIMIT_MB * 1024)) ]')"
}

# --- API abuse --------------------------------------------------------------------------------------------------
write_api_py() {
	cat >"$work/api.py" <<'EOF'
# Holds N idle connections to the API socket (idle) or N slowloris connections sending one header byte a second
# (slowloris) for SECONDS, while asking GET /v1/info on a fresh connection every second; prints "ANSWERED ASKED".
import socket, sys, time
sock, mode, n, secs = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
import resource
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
held = []
for _ in range(n):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sock)
    if mode == "slowloris":
        s.sendall(b"GET /v1/info HTTP/1.1\r\nHost: x\r\n")
    held.append(s)
answered = asked = 0
end = time.monotonic() + secs
while True:
    for s in held:
        try:
            if mode == "slowloris":
                s.send(b"X")
        except OSError:
            pass
    asked += 1
    try:
        c = socket.socket(socket.AF_UNIX)
        c.settimeout(5)
        c.connect(sock)
        c.sendall(b"GET /v1/info HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        if c.recv(64).startswith(b"HTTP/1.1 200"):
            answered += 1
        c.close()
    except OSError:
        pass
    if time.monotonic() >= end:
        break
    time.sleep(1)
print(answered, asked)
EOF
}

phase_api() {
	local port=$((PORT_BASE + 7)) api res status
	write_api_py
	launch api builtin "busybox httpd -f -p 80 -h $work/www" -p "127.0.0.1:$port:80/tcp"
	if ! serving "$port"; then
		row "API abuse" "never served: $(tail -1 "$work/api.log")" fail
		kill -KILL "$launcher" 2>/dev/null || true
		finish || true
		return
	fi
	api="$state/api.sock"
	res=$(python3 "$work/api.py" "$api" idle "$IDLE_CONNS" 3)
	row "API: $IDLE_CONNS idle connections" "GET /v1/info answered $(echo "$res" | tr ' ' /) while held" \
		"$(verdict '[ "${res%% *}" = "${res##* }" ]')"
	res=$(python3 "$work/api.py" "$api" slowloris 50 "$SLOWLORIS_SECONDS")
	row "API: 50 slowloris ${SLOWLORIS_SECONDS}s" "GET /v1/info answered $(echo "$res" | tr ' ' /) meanwhile" \
		"$(verdict '[ "${res%% *}" = "${res##* }" ]')"
	head -c $((BODY_MB * 1024 * 1024)) /dev/zero | tr '\0' '{' >"$work/body"
	status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 --unix-socket "$api" \
		-H 'Content-Type: application/json' --data-binary "@$work/body" http://x/v1/ports || true)
	row "API: ${BODY_MB} MB body" "status $status" "$(verdict '[ "$status" = 413 ]')"
	local bad=""
	for body in '{' '{"proto":"tcp","parentPort":"x"}' '[]' '{"proto":"tcp","parentPort":1e999,"childPort":80}' \
		'{"proto":"tcp","parentIP":"127.0.0.1","parentPort":'"$port"',"childPort":80}'; do
		status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 --unix-socket "$api" \
			--data-binary "$body" http://x/v1/ports || true)
		[ "$status" = 400 ] || bad="$bad $body->$status"
	done
	for path in /v1/% /v1/ports/%zz /v1/ports/%; do
		status=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 --path-as-is --unix-socket "$api" \
			"http://x$path" || true)
		[ "$status" = 400 ] || bad="$bad $path->$status"
	done
	row "API: malformed JSON and escapes" "${bad:-all answered 400}" "$(verdict '[ -z "$bad" ]')"
	local listed forwarded=fail
	listed=$(curl -s --max-time 10 --unix-socket "$api" http://x/v1/ports || true)
	curl -fsS --max-time 5 -o /dev/null "http://127.0.0.1:$port/" && forwarded=pass
	row "API: afterwards" "ports listed: $(echo "$listed" | grep -c "\"parentPort\":$port" || true), forwarding: $forwarded" \
		"$(verdict '[ $forwarded = pass ] && echo "$listed" | grep -q "\"parentPort\":$port"')"
	kill -KILL "$launcher" 2>/dev/null || true
	finish || true
	rm -rf "$state"
}

# --- fd exhaustion --------------------------------------------------------------------------------------------
phase_ulimit() {
	local port=$((PORT_BASE + 8)) holder held same=fail other=fail api=fail after=fail cpu0 cpu1 alive=fail
	# Both limits: the parent raises its soft limit to the hard one at start.
	state="$work/state-ulimit"
	(
		ulimit -n "$LOW_NOFILE"
		exec "$rj" --state-dir="$state" --pidns --net=usernet --port-driver=builtin -p "127.0.0.1:$port:80/tcp" \
			sh -c "busybox httpd -f -p 80 -h $work/www"
	) >"$work/ulimit.log" 2>&1 &
	launcher=$!
	if ! serving "$port"; then
		row "ulimit -n $LOW_NOFILE" "never served: $(tail -1 "$work/ulimit.log")" fail
		kill -KILL "$launcher" 2>/dev/null || true
		finish || true
		return
	fi
	local limit
	limit=$(awk '/^Max open files/ { print $4 "/" $5 }' "/proc/$launcher/limits" 2>/dev/null || echo "?")
	python3 - "$port" "$HOLD_CONNS" "$work/held" "$work/release" <<'EOF' &
import resource, socket, sys, os, time
port, n, out, release = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
held = []
for _ in range(n):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=2)
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")  # never completed: httpd keeps the connection
        held.append(s)
    except OSError:
        pass
open(out, "w").write(str(len(held)))
while not os.path.exists(release):
    time.sleep(0.1)
EOF
	holder=$!
	helpers+=("$holder")
	for _ in $(seq 600); do [ -s "$work/held" ] && break; sleep 0.1; done
	cpu0=$(awk '{ print $14 + $15 }' "/proc/$launcher/stat" 2>/dev/null || echo 0)
	# The holder's address has used its share of the relay budget: refused at once. Another address, and the
	# API, are served meanwhile: the held connections did not take the parent's every descriptor.
	curl -fsS --max-time 3 -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null && same=pass
	curl -fsS --max-time 3 --interface 127.0.0.2 -o /dev/null "http://127.0.0.1:$port/" && other=pass
	curl -fsS --max-time 3 --unix-socket "$state/api.sock" -o /dev/null http://rootlesskit/v1/info && api=pass
	sleep 3
	cpu1=$(awk '{ print $14 + $15 }' "/proc/$launcher/stat" 2>/dev/null || echo 0)
	held=$(cat "$work/held" 2>/dev/null || echo 0)
	touch "$work/release"
	wait "$holder" 2>/dev/null || true
	for _ in $(seq 20); do
		curl -fsS --max-time 3 -o /dev/null "http://127.0.0.1:$port/" && { after=pass; break; }
		sleep 0.5
	done
	! kill -0 "$launcher" 2>/dev/null || alive=pass
	kill -KILL "$launcher" 2>/dev/null || true
	finish || true
	rm -rf "$state"
	row "ulimit -n $LOW_NOFILE, $HOLD_CONNS held connections" \
		"parent nofile $limit; $held connected; parent CPU $(((cpu1 - cpu0) * 100 / $(getconf CLK_TCK) / 3))% over 3 s" info
	row "  meanwhile" "API: $api, request from 127.0.0.2: $other, from the holder's 127.0.0.1: $same (info)" \
		"$(verdict '[ $api = pass ] && [ $other = pass ]')"
	row "  recovery after release" "parent alive: $alive, fresh request: $after" \
		"$(verdict '[ $alive = pass ] && [ $after = pass ]')"
}

start=$SECONDS
for phase in $PHASES; do
	case $phase in
	cycles | kill | conns | flood | api | ulimit) "phase_$phase" ;;
	*) echo "soak: unknown phase $phase" >&2; exit 2 ;;
	esac
done

echo
echo "soak $($short && echo --short) on $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg) at the end, $((SECONDS - start)) s:" \
	"CYCLES=$CYCLES CONNS=$CONNS FLOOD_SECONDS=$FLOOD_SECONDS IDLE_CONNS=$IDLE_CONNS LOW_NOFILE=$LOW_NOFILE"
printf '%-40s %-62s %s\n' check result verdict
printf '%s\n' "${rows[@]}"
[ "$failed" = 0 ] || { echo "soak: $failed checks failed"; exit 1; }
