#!/usr/bin/env bash
# TCP throughput from the namespace to the host through each user-mode network driver, rootlessjkit next to the
# reference with the same external program, in one run, with ratios (RootlessKit's benchmark-iperf3-net.sh).
# iperf3 runs as server on the host's 127.0.0.1 and as client inside, against the gateway (10.0.2.2), at MTU 1500
# and 65520. The reference is Debian's RootlessKit (1.1.0) for slirp4netns; RootlessKit 1.1.0 has no pasta driver,
# so pasta's reference is pasta alone (`pasta --config-net ... -- iperf3 ...`) with the same addresses.
# Then usernet (our own stack in the parent JVM, no external program) through rootlessjkit, against the faster of
# the two references at the same MTU (the issue's target: 1.2x).
# Last, host to namespace through a published port (iperf3 -s inside, the client on the host's 127.0.0.1): usernet
# with --port-driver=usernet and with builtin, against RootlessKit's slirp4netns with --port-driver=slirp4netns.
# A benchmark, not a test: nothing here gates CI. Only loopback traffic.
#   hack/benchmark-net.sh        # as a user with /etc/subuid entries, or as root (runs as $ROOTLESSJKIT_TEST_USER)
# Environment: SECONDS_PER_RUN (iperf3 -t, default 10), ROOTLESSJKIT (default ./rootlessjkit),
# ROOTLESSKIT (default rootlesskit), PORT (iperf3 server port, default 25201; PORT+1 is the published port).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

if [ "$(id -u)" = 0 ]; then
	user=${ROOTLESSJKIT_TEST_USER:-rjtest}
	exec runuser -u "$user" -- env SECONDS_PER_RUN="${SECONDS_PER_RUN:-}" ROOTLESSJKIT="${ROOTLESSJKIT:-}" \
		ROOTLESSKIT="${ROOTLESSKIT:-}" PORT="${PORT:-}" "$repo/hack/benchmark-net.sh" "$@"
fi

duration=${SECONDS_PER_RUN:-10}
[ -n "$duration" ] || duration=10
port=${PORT:-25201}
[ -n "$port" ] || port=25201
ours=${ROOTLESSJKIT:-$repo/rootlessjkit}
[ -n "$ours" ] || ours=$repo/rootlessjkit
theirs=${ROOTLESSKIT:-rootlesskit}
[ -n "$theirs" ] || theirs=rootlesskit
for tool in "$ours" "$theirs" iperf3 slirp4netns pasta jq; do
	if ! command -v "$tool" >/dev/null; then
		echo "benchmark-net: $tool not found" >&2
		exit 1
	fi
done

work=$(mktemp -d)
server_pid=""
cleanup() {
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
iperf3 -s -B 127.0.0.1 -p "$port" >"$work/server.log" 2>&1 &
server_pid=$!
sleep 0.5

# The client's received bitrate in Gbit/s, from iperf3's JSON on stdout of the command given.
client="iperf3 -J -t $duration -p $port -c 10.0.2.2"
gbps() {
	local out
	if ! out=$("$@" 2>"$work/err.log"); then
		echo "benchmark-net: \`$*\` failed: $(tail -3 "$work/err.log")" >&2
		echo "n/a"
		return
	fi
	echo "$out" | jq -r '.end.sum_received.bits_per_second / 1e9 * 100 | round / 100'
}

# pasta alone: it makes the namespace, configures it with RootlessKit's addresses and runs the client in it.
pasta_alone() {
	pasta --config-net --ns-ifname=tap0 --mtu="$1" --address=10.0.2.100 --netmask=24 --gateway=10.0.2.2 \
		--ipv4-only --tcp-ports=none --udp-ports=none -- $client
}

# Host to namespace: "$@" is the launcher with its flags; it publishes 127.0.0.1:$inport to iperf3 -s inside. The
# client retries until the server inside answers (the port is published before the command starts).
inport=$((port + 1))
inbound() {
	"$@" -p "127.0.0.1:$inport:5201/tcp" iperf3 -s -p 5201 >"$work/inside.log" 2>&1 &
	local pid=$! bps="" _
	for _ in $(seq 100); do
		# A connection the driver accepted while nothing listened inside yet ends in an error JSON: try again.
		bps=$(iperf3 -J -t "$duration" -p "$inport" -c 127.0.0.1 2>/dev/null \
			| jq -r '.end.sum_received.bits_per_second // empty' 2>/dev/null || true)
		[ -n "$bps" ] && break
		sleep 0.1
	done
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	if [ -z "$bps" ]; then
		echo "benchmark-net: \`$* -p ...\` served nothing: $(tail -3 "$work/inside.log")" >&2
		echo "n/a"
		return
	fi
	awk -v b="$bps" 'BEGIN { printf "%.2f", b / 1e9 }'
}

ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (a+0 > 0 && b+0 > 0) printf "%.2f", a / b; else print "n/a" }'
}

declare -A reference
printf '%-12s %6s %16s %16s %7s\n' driver mtu "rootlessjkit" "reference" ratio
for driver in slirp4netns pasta; do
	for mtu in 1500 65520; do
		mine=$(gbps "$ours" --net="$driver" --mtu="$mtu" $client)
		if [ "$driver" = slirp4netns ]; then
			ref=$(gbps "$theirs" --net="$driver" --mtu="$mtu" $client)
			ref_name="rootlesskit"
		else
			ref=$(gbps pasta_alone "$mtu")
			ref_name="pasta alone"
		fi
		reference[$driver/$mtu]=$ref
		printf '%-12s %6s %11s Gb/s %11s Gb/s %7s  (%s)\n' "$driver" "$mtu" "$mine" "$ref" "$(ratio "$mine" "$ref")" "$ref_name"
	done
done
for mtu in 1500 65520; do
	mine=$(gbps "$ours" --net=usernet --mtu="$mtu" $client)
	best=$(awk -v a="${reference[slirp4netns/$mtu]}" -v b="${reference[pasta/$mtu]}" \
		'BEGIN { print (a+0 >= b+0) ? a : b }')
	printf '%-12s %6s %11s Gb/s %11s Gb/s %7s  (faster of rootlesskit slirp4netns, pasta alone; %s vs slirp4netns, %s vs pasta)\n' \
		usernet "$mtu" "$mine" "$best" "$(ratio "$mine" "$best")" "$(ratio "$mine" "${reference[slirp4netns/$mtu]}")" \
		"$(ratio "$mine" "${reference[pasta/$mtu]}")"
done
for mtu in 1500 65520; do
	ref=$(inbound "$theirs" --net=slirp4netns --mtu="$mtu" --port-driver=slirp4netns)
	for pd in usernet builtin; do
		mine=$(inbound "$ours" --net=usernet --mtu="$mtu" --port-driver="$pd")
		printf '%-12s %6s %11s Gb/s %11s Gb/s %7s  (host to namespace, -p via %s; reference rootlesskit slirp4netns -p)\n' \
			"usernet-in" "$mtu" "$mine" "$ref" "$(ratio "$mine" "$ref")" "$pd"
	done
done
