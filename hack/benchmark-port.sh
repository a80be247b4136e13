#!/usr/bin/env bash
# Port forwarding, rootlessjkit next to RootlessKit on this machine, all in one run: iperf3 TCP and UDP from the
# host through a published port into the namespace, short HTTP connections per second (HTTP/1.0, one request per
# connection: the per-connection set-up is what costs) and their p50/p99 latency. The connections' server and
# client are hack/ConnBench.java, one selector thread each that answers in microseconds without forking, so that
# the relay, not the server, sets the rate. Next to each figure, the CPU time the implementation's own processes
# (parents, children, slirp4netns; not the servers) spent per Gbit moved, or per 1,000 connections. Ratios against
# RootlessKit's builtin and slirp4netns port drivers.
# A benchmark, not a test: it never fails on ratios. The CPU figures count clock ticks (1/100 s), and on a shared
# machine the same work costs more CPU time as the load rises: one build's rounds of UDP at 1G spanned 0.04-0.09
# CPU s/Gbit in a day's runs. Compare medians of ROUNDS>=3 before calling a change in CPU per Gbit real, and
# check it with `perf stat -e task-clock -p PARENT` over alternating runs at a fixed rate.
#
# Usage: hack/benchmark-port.sh            (as a user with subuids, or as root: then runs as $BENCH_USER)
# Env:   SECONDS_PER_RUN (default 10), WARMUP_SECONDS (iperf3 TCP before the figures, default 3),
#        CONNS_CONCURRENCY (connections in flight, default 16),
#        BENCH_USER (default rjtest),
#        UDP_RATE (the offered rate of the second UDP figure, default 1G: CPU per Gbit without a flood's losses),
#        ROUNDS (default 1: more run every implementation again, in a rotated order, and report medians),
#        ROOTLESSKIT (default rootlesskit, Debian's 1.1.0), NET (network driver of the builtin runs, default
#        slirp4netns), ONLY (space-separated subset of: rj-builtin rk-builtin rk-slirp4netns rj-usernet),
#        RJ_BASELINE (another built checkout of rootlessjkit: its builtin driver runs too, for before/after),
#        PORTS (default 28180: the first of the 16 host ports the runs publish; another run at the same time needs
#        other ports, or its iperf3 clients reach this run's servers)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" = 0 ]; then
	exec runuser -u "${BENCH_USER:-rjtest}" -- env PATH="$PATH" "$0" "$@"
fi
secs=${SECONDS_PER_RUN:-10}
warmup=${WARMUP_SECONDS:-3}
rounds=${ROUNDS:-1}
udp_rate=${UDP_RATE:-1G}
concurrency=${CONNS_CONCURRENCY:-16}
net=${NET:-slirp4netns}
rootlesskit_bin=${ROOTLESSKIT:-rootlesskit}
baseline=${RJ_BASELINE:-}
ports=${PORTS:-28180}
only=${ONLY:-rj-builtin rk-builtin rk-slirp4netns rj-usernet}${baseline:+ rj-baseline}
python=/usr/bin/python3
for tool in iperf3 java javac "$python" "$rootlesskit_bin"; do
	command -v "$tool" >/dev/null || { echo "benchmark-port: $tool is required" >&2; exit 1; }
done
[ -d "$top/parent/target/dist" ] || { echo "benchmark-port: build first (mvn -B -q package -DskipTests)" >&2; exit 1; }

work=$(mktemp -d)
pid=""
cleanup() {
	if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT
# Compiled once: both ends then start in a fraction of a second. Small JVMs, C1 only: their own CPU competes with
# the relay's for the machine's cores.
javac -d "$work/connbench" "$top/hack/ConnBench.java"
connbench="java -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss256k -cp $work/connbench ConnBench"

# cpu_ticks PID: user+system clock ticks so far of PID and its descendants, the servers (iperf3, ConnBench, sh)
# left out: what the implementation itself spends.
cpu_ticks() {
	"$python" - "$1" <<'PY'
import os, sys
root = int(sys.argv[1]); kids = {}; stat = {}
for p in os.listdir("/proc"):
    if not p.isdigit():
        continue
    try:
        s = open("/proc/%s/stat" % p).read()
    except OSError:
        continue
    comm = s[s.index("(") + 1:s.rindex(")")]
    f = s[s.rindex(")") + 2:].split()
    kids.setdefault(int(f[1]), []).append(int(p))
    try:
        # Its own argument, not the launchers' "sh -c '... ConnBench serve 80 ...'".
        if b"ConnBench" in open("/proc/%s/cmdline" % p, "rb").read().split(b"\0"):
            comm = "ConnBench"
    except OSError:
        pass
    stat[int(p)] = (comm, int(f[11]) + int(f[12]))
total, todo = 0, [root]
while todo:
    p = todo.pop()
    todo.extend(kids.get(p, []))
    comm, ticks = stat.get(p, ("", 0))
    if comm not in ("iperf3", "ConnBench", "sh"):
        total += ticks
print(total)
PY
}
hz=$(getconf CLK_TCK)
# per_unit TICKS_BEFORE TICKS_AFTER AMOUNT: CPU seconds per unit of AMOUNT
per_unit() { "$python" -c "import sys; t=(int(sys.argv[2])-int(sys.argv[1]))/$hz; a=float(sys.argv[3]); print('%.3f' % (t/a) if a else 'n/a')" "$@"; }

# iperf_gbits IPERF3_ARGS...: "GBITS DATAGRAMS": Gbit/s received from 127.0.0.1 (UDP: what arrived, losses taken
# off) and, for UDP, the datagrams the client sent (0 for TCP); or "0.00 0" with iperf3's error on stderr when the
# test failed (a server that refused it, say): the row shows it, the run goes on.
iperf_gbits() {
	{ iperf3 -c 127.0.0.1 "$@" -J || true; } | "$python" -c '
import json, sys
d = json.load(sys.stdin)
end = d.get("end", {})
if "error" in d or "sum" not in end and "sum_received" not in end:
    print("benchmark-port: iperf3: %s" % d.get("error", "no result"), file=sys.stderr)
    print("0.00 0")
elif "lost_percent" in end.get("sum", {}):
    s = end["sum"]
    print("%.2f %d" % (s["bits_per_second"] * (100 - s["lost_percent"]) / 100 / 1e9, s["packets"]))
else:
    print("%.2f 0" % (end["sum_received"]["bits_per_second"] / 1e9))'
}

# rcvbuf_errors PID: "HOST INSIDE", the UDP datagrams dropped so far because a socket's receive buffer was full
# (Udp RcvbufErrors): in the host's network namespace, where the published ports' listeners are, and in the
# namespace of PID's iperf3 server. They tell where a flood's losses happen: a forwarder that reads too slowly
# loses them at its listener, one that forwards faster than the server reads loses them inside.
rcvbuf_errors() {
	"$python" - "$1" <<'PY'
import os, sys
def rcvbuf_errors(snmp):
    rows = [l.split() for l in open(snmp) if l.startswith("Udp:")]
    return rows[1][rows[0].index("RcvbufErrors")]
kids = {}
for p in os.listdir("/proc"):
    if p.isdigit():
        try:
            s = open("/proc/%s/stat" % p).read()
        except OSError:
            continue
        kids.setdefault(int(s[s.rindex(")") + 2:].split()[1]), []).append(p)
inside, todo = "n/a", [sys.argv[1]]
while todo:
    p = todo.pop()
    todo.extend(kids.get(int(p), []))
    try:
        if open("/proc/%s/comm" % p).read().strip() == "iperf3":
            inside = rcvbuf_errors("/proc/%s/net/snmp" % p)
    except OSError:
        pass
print(rcvbuf_errors("/proc/net/snmp"), inside)
PY
}
# lost_percent BEFORE_HOST BEFORE_INSIDE AFTER_HOST AFTER_INSIDE SENT: "HOST% INSIDE%" of the SENT datagrams
lost_percent() {
	"$python" -c "import sys
a = sys.argv[1:]
try:
    h0, i0, h1, i1, sent = (float(v) for v in a)
    print('%.0f %.0f' % (100 * (h1 - h0) / sent, 100 * (i1 - i0) / sent) if sent else 'n/a n/a')
except ValueError:
    print('n/a n/a')" "$@"
}

# run NAME HTTP_PORT IPERF_PORT COMMAND...: starts the implementation with ConnBench on :80 and iperf3 on :5201
# inside, published as 127.0.0.1:$http and 127.0.0.1:$iperf (tcp and udp), warms up, then measures.
run() {
	local name=$1 http=$2 iperf=$3
	shift 3
	case " $only " in *" $name "*) ;; *) return 0 ;; esac
	local state="$work/state-$name"
	# --pidns: everything started inside dies with the run (ConnBench runs in the background).
	"$@" --state-dir="$state" --pidns \
		-p "127.0.0.1:$http:80/tcp" -p "127.0.0.1:$iperf:5201/tcp" -p "127.0.0.1:$iperf:5201/udp" \
		sh -c "$connbench serve 80 & exec iperf3 -s" >"$work/$name.log" 2>&1 &
	pid=$!
	for _ in $(seq 100); do
		[ -S "$state/api.sock" ] && break
		sleep 0.1
	done
	sleep 1
	# Steady state is what a long-running relay gives: rootlessjkit's parent JIT-compiles its relay loops only after
	# ten times the usual calls (CompileThresholdScaling=10, see the launcher), and usernet's TCP path moved 7.86
	# Gbit/s after a 1 s warm-up against 9.96 after 4 s (6 runs each, same build). Every implementation gets the same.
	iperf3 -c 127.0.0.1 -p "$iperf" -t "$warmup" >/dev/null 2>&1 || true
	# Waits for the server inside, and warms up both ends and the relay's connection path. An implementation that
	# never answers gets zeros in its row; the others still run.
	$connbench load "$http" 1 "$concurrency" >/dev/null || true
	local t0 t1 tcp udp conns
	t0=$(cpu_ticks "$pid")
	read -r tcp _ < <(iperf_gbits -p "$iperf" -t "$secs")
	t1=$(cpu_ticks "$pid")
	local tcp_cpu udp_cpu conns_cpu
	tcp_cpu=$(per_unit "$t0" "$t1" "$("$python" -c "print($tcp * $secs)")")
	t0=$t1
	local errors_before sent lost_host lost_inside
	errors_before=$(rcvbuf_errors "$pid")
	read -r udp sent < <(iperf_gbits -p "$iperf" -u -b 100G -t "$secs")
	t1=$(cpu_ticks "$pid")
	# shellcheck disable=SC2086 # two fields each
	read -r lost_host lost_inside < <(lost_percent $errors_before $(rcvbuf_errors "$pid") "$sent")
	udp_cpu=$(per_unit "$t0" "$t1" "$("$python" -c "print($udp * $secs)")")
	# At a rate every implementation keeps up with, CPU per Gbit compares the forwarding's cost without the
	# flood's losses (datagrams read and forwarded, then dropped at a full receiver, cost without counting).
	t0=$(cpu_ticks "$pid")
	read -r udp_fixed _ < <(iperf_gbits -p "$iperf" -u -b "$udp_rate" -t "$secs")
	t1=$(cpu_ticks "$pid")
	udp_fixed_cpu=$(per_unit "$t0" "$t1" "$("$python" -c "print($udp_fixed * $secs)")")
	t0=$t1
	conns=$($connbench load "$http" "$secs" "$concurrency" 1) || conns="0 0 n/a n/a 0"
	t1=$(cpu_ticks "$pid")
	read -r rate failed p50 p99 served <<<"$conns"
	conns_cpu=$(per_unit "$t0" "$t1" "$("$python" -c "print($served / 1000)")")
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	pid=""
	echo "$tcp $tcp_cpu $udp $udp_cpu $rate $conns_cpu $p99 $failed $udp_fixed $udp_fixed_cpu $p50 $lost_host $lost_inside" >>"$work/$name.rounds"
	echo "$name: TCP $tcp Gbit/s ($tcp_cpu CPU s/Gbit), UDP $udp Gbit/s received ($udp_cpu CPU s/Gbit;" \
		"lost: $lost_host% at the host's receive buffers, $lost_inside% inside)," \
		"UDP at $udp_rate: $udp_fixed Gbit/s received ($udp_fixed_cpu CPU s/Gbit)," \
		"$rate conn/s ($conns_cpu CPU s/1k conns, $failed failed), p50 $p50 ms, p99 $p99 ms"
}

# run_named NAME: one run of NAME
run_named() {
	case $1 in
	rk-builtin) run rk-builtin $((ports + 0)) $((ports + 1)) "$rootlesskit_bin" --net="$net" --port-driver=builtin ;;
	rj-builtin) run rj-builtin $((ports + 10)) $((ports + 11)) "$top/rootlessjkit" --net="$net" --port-driver=builtin ;;
	rk-slirp4netns) run rk-slirp4netns $((ports + 2)) $((ports + 3)) "$rootlesskit_bin" --net=slirp4netns --port-driver=slirp4netns ;;
	rj-usernet) run rj-usernet $((ports + 12)) $((ports + 13)) "$top/rootlessjkit" --net=usernet --port-driver=usernet ;;
	rj-baseline) [ -z "$baseline" ] || run rj-baseline $((ports + 14)) $((ports + 15)) "$baseline/rootlessjkit" --net="$net" --port-driver=builtin ;;
	esac
}
echo "load average before: $(cut -d' ' -f1 /proc/loadavg); $secs s per figure, $rounds round(s)"
order="rk-builtin rj-builtin rk-slirp4netns rj-usernet rj-baseline"
for round in $(seq "$rounds"); do
	# Each round starts one implementation later, so that none always runs first (or last) while the
	# machine's load drifts.
	for name in $order; do run_named "$name"; done
	order="${order#* } ${order%% *}"
	[ "$rounds" = 1 ] || echo "load average after round $round: $(cut -d' ' -f1 /proc/loadavg)"
done
echo "load average after: $(cut -d' ' -f1 /proc/loadavg)"
# Each figure of each implementation: its median over the rounds.
for f in "$work"/*.rounds; do
	"$python" - "$f" >"${f%.rounds}" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
def median(column):
    try:
        return "%.4g" % statistics.median(float(v) for v in column)
    except ValueError:
        return "n/a"
print(" ".join(median(column) for column in zip(*rows)))
PY
done

# field NAME INDEX: the INDEX-th figure of NAME's run, or n/a when it did not run
field() { if [ -f "$work/$1" ]; then cut -d' ' -f"$2" "$work/$1"; else echo n/a; fi; }
ratio() {
	"$python" -c "import sys
try:
    a, b = float(sys.argv[1]), float(sys.argv[2]); print('%.2fx' % (a / b) if b else 'n/a')
except ValueError:
    print('n/a')" "$1" "$2"
}
echo
printf '%-24s %16s %16s %16s %16s   %s\n' "" "rj builtin" "RK builtin" "RK slirp4netns" "rj usernet" \
	"rj-builtin/RK-builtin  rj-usernet/RK-builtin  rj-usernet/RK-slirp4netns"
row() {
	local label=$1 value=$2 cpu=$3
	local a b c d
	a=$(field rj-builtin "$value"); b=$(field rk-builtin "$value")
	c=$(field rk-slirp4netns "$value"); d=$(field rj-usernet "$value")
	cell() { if [ -n "$cpu" ]; then echo "$(field "$1" "$value") ($(field "$1" "$cpu"))"; else field "$1" "$value"; fi; }
	printf '%-24s %16s %16s %16s %16s   %-22s %-22s %s\n' "$label" "$(cell rj-builtin)" "$(cell rk-builtin)" \
		"$(cell rk-slirp4netns)" "$(cell rj-usernet)" "$(ratio "$a" "$b")" "$(ratio "$d" "$b")" "$(ratio "$d" "$c")"
}
row "TCP Gbit/s (CPU s/Gbit)" 1 2
row "UDP Gbit/s (CPU s/Gbit)" 3 4
# Where the flood's datagrams were lost, in % of those sent: at the receive buffers of the host's sockets (the
# published port's listener) / inside the namespace (the iperf3 server's). No ratios: they explain the row above.
losses() { echo "$(field "$1" 12)/$(field "$1" 13)"; }
printf '%-24s %16s %16s %16s %16s\n' "UDP lost % host/inside" "$(losses rj-builtin)" "$(losses rk-builtin)" \
	"$(losses rk-slirp4netns)" "$(losses rj-usernet)"
row "UDP at $udp_rate (CPU)" 9 10
row "conn/s (CPU s/1k conns)" 5 6
# latency_row LABEL INDEX: lower is better, so the ratio columns read "how many times the other's latency".
latency_row() {
	printf '%-24s %16s %16s %16s %16s   %-22s %-22s %s\n' "$1" "$(field rj-builtin "$2")" \
		"$(field rk-builtin "$2")" "$(field rk-slirp4netns "$2")" "$(field rj-usernet "$2")" \
		"$(ratio "$(field rk-builtin "$2")" "$(field rj-builtin "$2")")" \
		"$(ratio "$(field rk-builtin "$2")" "$(field rj-usernet "$2")")" \
		"$(ratio "$(field rk-slirp4netns "$2")" "$(field rj-usernet "$2")")"
}
latency_row "p50 connection ms" 11
latency_row "p99 connection ms" 7
if [ -n "$baseline" ]; then
	echo
	echo "rj builtin against the baseline checkout $baseline (same run):"
	printf '  %-22s %s / %s = %s\n' "TCP Gbit/s" "$(field rj-builtin 1)" "$(field rj-baseline 1)" \
		"$(ratio "$(field rj-builtin 1)" "$(field rj-baseline 1)")"
	printf '  %-22s %s / %s = %s\n' "UDP Gbit/s" "$(field rj-builtin 3)" "$(field rj-baseline 3)" \
		"$(ratio "$(field rj-builtin 3)" "$(field rj-baseline 3)")"
	printf '  %-22s %s / %s = %s\n' "conn/s" "$(field rj-builtin 5)" "$(field rj-baseline 5)" \
		"$(ratio "$(field rj-builtin 5)" "$(field rj-baseline 5)")"
	printf '  %-22s %s / %s = %s (lower is better)\n' "CPU s/Gbit TCP" "$(field rj-builtin 2)" \
		"$(field rj-baseline 2)" "$(ratio "$(field rj-builtin 2)" "$(field rj-baseline 2)")"
	printf '  %-22s %s / %s = %s (lower is better)\n' "CPU s/Gbit UDP at $udp_rate" "$(field rj-builtin 10)" \
		"$(field rj-baseline 10)" "$(ratio "$(field rj-builtin 10)" "$(field rj-baseline 10)")"
	printf '  %-22s %s / %s = %s (lower is better)\n' "CPU s/1k conns" "$(field rj-builtin 6)" \
		"$(field rj-baseline 6)" "$(ratio "$(field rj-builtin 6)" "$(field rj-baseline 6)")"
fi
