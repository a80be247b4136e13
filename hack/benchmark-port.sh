#!/usr/bin/env bash
# Port forwarding through the builtin port driver, rootlessjkit next to RootlessKit on this machine:
# iperf3 TCP and UDP from the host through a published port into the namespace, and connections per second
# for short HTTP requests (HTTP/1.0, one request per connection: the per-connection fd passing is what costs).
# Prints each figure and the ratio rootlessjkit / RootlessKit. A benchmark, not a test: it never fails on ratios.
#
# Usage: hack/benchmark-port.sh            (as a user with subuids, or as root: then runs as $BENCH_USER)
# Env:   SECONDS_PER_RUN (default 10), CONNS_THREADS (default 8), BENCH_USER (default rjtest),
#        ROOTLESSKIT (default rootlesskit, Debian's 1.1.0), RK_NET (default slirp4netns), RJ_NET (default none)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" = 0 ]; then
	exec runuser -u "${BENCH_USER:-rjtest}" -- env PATH="$PATH" "$0" "$@"
fi
secs=${SECONDS_PER_RUN:-10}
threads=${CONNS_THREADS:-8}
rootlesskit_bin=${ROOTLESSKIT:-rootlesskit}
python=/usr/bin/python3
for tool in iperf3 busybox "$python" "$rootlesskit_bin"; do
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
mkdir -p "$work/www"
head -c 100 /dev/zero | tr '\0' x >"$work/www/index.html"

# run NAME COMMAND...: starts the implementation with httpd on :80 and iperf3 on :5201 inside, ports published
# as 127.0.0.1:$http and 127.0.0.1:$iperf (tcp and udp), then measures. Results go to $work/NAME.
run() {
	local name=$1 http=$2 iperf=$3
	shift 3
	local state="$work/state-$name"
	# --pidns: everything started inside dies with the run (busybox httpd daemonizes).
	"$@" --state-dir="$state" --pidns --port-driver=builtin \
		-p "127.0.0.1:$http:80/tcp" -p "127.0.0.1:$iperf:5201/tcp" -p "127.0.0.1:$iperf:5201/udp" \
		sh -c "busybox httpd -p 80 -h $work/www && exec iperf3 -s" >"$work/$name.log" 2>&1 &
	pid=$!
	for _ in $(seq 100); do
		[ -S "$state/api.sock" ] && break
		sleep 0.1
	done
	sleep 1
	local tcp udp conns
	tcp=$(iperf3 -c 127.0.0.1 -p "$iperf" -t "$secs" -J | "$python" -c \
		'import json,sys; print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9))')
	udp=$(iperf3 -c 127.0.0.1 -p "$iperf" -u -b 100G -t "$secs" -J | "$python" -c \
		'import json,sys; s=json.load(sys.stdin)["end"]["sum"]; print("%.2f" % (s["bits_per_second"] * (100 - s["lost_percent"]) / 100 / 1e9))')
	conns=$("$python" "$top/hack/conns.py" "$http" "$secs" "$threads")
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	pid=""
	echo "$tcp $udp $conns" >"$work/$name"
	echo "$name: TCP $tcp Gbit/s, UDP $udp Gbit/s received, $(echo "$conns" | cut -d' ' -f1) conn/s" \
		"($(echo "$conns" | cut -d' ' -f2) failed)"
}

run rootlesskit 28180 28181 "$rootlesskit_bin" --net="${RK_NET:-slirp4netns}"
run rootlessjkit 28190 28191 "$top/rootlessjkit" --net="${RJ_NET:-none}"

read -r rk_tcp rk_udp rk_conns _ <"$work/rootlesskit"
read -r rj_tcp rj_udp rj_conns _ <"$work/rootlessjkit"
ratio() { "$python" -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); print('%.2fx' % (a / b) if b else 'n/a')" "$1" "$2"; }
echo
printf '%-22s %12s %12s %8s\n' "" rootlessjkit RootlessKit ratio
printf '%-22s %12s %12s %8s\n' "TCP Gbit/s" "$rj_tcp" "$rk_tcp" "$(ratio "$rj_tcp" "$rk_tcp")"
printf '%-22s %12s %12s %8s\n' "UDP Gbit/s (received)" "$rj_udp" "$rk_udp" "$(ratio "$rj_udp" "$rk_udp")"
printf '%-22s %12s %12s %8s\n' "HTTP conn/s" "$rj_conns" "$rk_conns" "$(ratio "$rj_conns" "$rk_conns")"
