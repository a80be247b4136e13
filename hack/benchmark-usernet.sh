#!/usr/bin/env bash
# Throughput of the usernet stack next to slirp4netns and pasta on the same machine in the same run: iperf3
# guest→host and host→guest (iperf3 -R over the same connection) between a network namespace made here and an
# iperf3 server on the host's 127.0.0.1, reached through each backend's gateway 10.0.2.2; over IPv6 the same to an
# iperf3 server on ::1 through fd00::2 (usernet --ipv6, slirp4netns --enable-ipv6, pasta with an IPv6 address).
# Prints Gbit/s and usernet's ratio to the faster of the other two. A benchmark, not a test: nothing gates CI.
#   sudo hack/benchmark-usernet.sh          # compiles net-drivers first (offline Maven)
# Environment: MTUS (default "1500 65520"), FAMILIES (default "4 6"), SECONDS_PER_RUN (default 8), BACKENDS (default
# "usernet usernet-plain slirp4netns pasta"; usernet-plain is the stack without IFF_VNET_HDR offloads),
# USERNET_JAVA_OPTIONS (JVM options for the stack, e.g. the launcher's "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC").
# Needs root: it creates namespaces (rjbench-*) and TAP devices, and removes them on exit; pasta, which will not run
# as root, runs as $ROOTLESSJKIT_TEST_USER (default rjtest) in that user's own namespaces.
# This runs the stack from a small main (TapBench) rather than through --net=usernet, so it measures the stack
# alone, with the JVM's default JIT and GC.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mtus=${MTUS:-"1500 65520"}
families=${FAMILIES:-"4 6"}
secs=${SECONDS_PER_RUN:-8}
backends=${BACKENDS:-"usernet usernet-plain slirp4netns pasta"}
port=5299
user=${ROOTLESSJKIT_TEST_USER:-rjtest}
work=$(mktemp -d)
server_pid=""
server6_pid=""
backend_pid=""
holder_pid=""
netns=""
# How to run a command in the current backend's namespace.
ns_exec=()

if [ "$(id -u)" != 0 ]; then
	echo "benchmark-usernet: run as root (it creates network namespaces and TAP devices)" >&2
	exit 1
fi
for tool in iperf3 jq slirp4netns pasta java mvn; do
	command -v "$tool" >/dev/null || { echo "benchmark-usernet: $tool not found" >&2; exit 1; }
done

stop_backend() {
	if [ -n "$backend_pid" ]; then
		exec 9>&-
		kill "$backend_pid" 2>/dev/null || true
		wait "$backend_pid" 2>/dev/null || true
		backend_pid=""
	fi
	if [ -n "$holder_pid" ]; then
		kill "$holder_pid" 2>/dev/null || true
		holder_pid=""
	fi
	if [ -n "$netns" ]; then
		ip netns del "$netns" 2>/dev/null || true
		netns=""
	fi
}
cleanup() {
	stop_backend
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
	[ -n "$server6_pid" ] && kill "$server6_pid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

# Reactor modules resolve to their target/classes only when compiled in the same Maven run.
(cd "$repo" && mvn -B -q -o -pl net-drivers -am test-compile dependency:build-classpath \
	-Dmdep.outputFile="$work/cp" -Dmdep.includeScope=test >/dev/null) || {
	echo "benchmark-usernet: building net-drivers failed: mvn -B -pl net-drivers -am test-compile" >&2
	exit 1
}
cp="$repo/net-drivers/target/classes:$repo/net-drivers/target/test-classes:$(cat "$work/cp")"

wait_for() { # seconds, command...
	local n=$(($1 * 20)); shift
	until "$@" >/dev/null 2>&1; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || return 1
		sleep 0.05
	done
}

# The gateway (the host's loopback) of IP family $1 in every backend.
gateway() {
	[ "$1" = 6 ] && echo fd00::2 || echo 10.0.2.2
}

# Brings up backend $1 for a new namespace $netns with MTU $2 for IP family $3 (4, or 6: IPv4 and IPv6).
start_backend() {
	local kind=$1 mtu=$2 family=$3
	if [ "$kind" = pasta ]; then
		start_pasta "$mtu" "$family"
		return
	fi
	netns=rjbench-$$
	ns_exec=(ip netns exec "$netns")
	ip netns add "$netns"
	ip -n "$netns" link set lo up
	case $kind in
	usernet | usernet-plain)
		local mode=vnet
		[ "$kind" = usernet-plain ] && mode=plain
		mkfifo "$work/in"
		# The TAP device is made in our namespace (the JVM's sockets must stay here), then moved; its fd follows.
		# shellcheck disable=SC2086 # the options are meant to split
		java ${USERNET_JAVA_OPTIONS:-} -cp "$cp" dev.rootlessjkit.net.usernet.TapBench rjb$$ "$mtu" $mode \
			"$([ "$family" = 6 ] && echo ipv6 || echo ipv4)" <"$work/in" >"$work/out" 2>&1 &
		backend_pid=$!
		exec 9>"$work/in"
		rm "$work/in"
		wait_for 30 grep -q ready "$work/out" || { cat "$work/out" >&2; return 1; }
		ip link set rjb$$ netns "$netns"
		ip -n "$netns" link set rjb$$ name tap0
		ip -n "$netns" link set tap0 mtu "$mtu" up
		ip -n "$netns" addr add 10.0.2.100/24 dev tap0
		ip -n "$netns" route add default via 10.0.2.2
		if [ "$family" = 6 ]; then
			# As the child configures it (the stack's router advertisement adds a SLAAC address as well).
			ip -n "$netns" -6 addr add fd00::100/64 dev tap0 nodad
			ip -n "$netns" -6 route add default via fd00::2 dev tap0
		fi
		;;
	slirp4netns)
		local v6=()
		[ "$family" = 6 ] && v6=(--enable-ipv6)
		slirp4netns --configure "${v6[@]}" --mtu="$mtu" --netns-type=path "/run/netns/$netns" tap0 >"$work/out" 2>&1 &
		backend_pid=$!
		wait_for 10 sh -c "ip -n $netns addr show tap0 | grep -q 10.0.2.100"
		if [ "$family" = 6 ]; then
			# slirp4netns leaves IPv6 to SLAAC from its router advertisement.
			wait_for 10 sh -c "ip -n $netns -6 route show default | grep -q fe80::2"
			wait_for 10 sh -c "ip -n $netns -6 addr show tap0 | grep fd00:: | grep -vq tentative"
		fi
		;;
	esac
}

# pasta refuses to run as root, so it gets what RootlessKit gives it: a user's own user and network namespace.
start_pasta() {
	local mtu=$1 family=$2 pid v6=()
	chmod 711 "$work"
	install -d -o "$user" "$work/user"
	# runuser complains on stderr when the holder is killed at the end; nothing to see there.
	runuser -u "$user" -- unshare --user --map-root-user --net sh -c "echo \$\$ >$work/user/pid; exec sleep infinity" \
		2>/dev/null &
	holder_pid=$!
	wait_for 10 test -s "$work/user/pid"
	pid=$(cat "$work/user/pid")
	rm "$work/user/pid"
	ns_exec=(nsenter -t "$pid" -n)
	# Port forwarding off; the gateway address maps to the host's loopback (pasta's default, as RootlessKit uses it).
	[ "$family" = 6 ] && v6=(-a fd00::100 -g fd00::2)
	runuser -u "$user" -- pasta -f -q --config-net --ns-ifname tap0 -m "$mtu" -a 10.0.2.100 -n 24 -g 10.0.2.2 \
		"${v6[@]}" -t none -u none -T none -U none "$pid" >"$work/out" 2>&1 &
	backend_pid=$!
	wait_for 10 sh -c "nsenter -t $pid -n ip route show default | grep -q 10.0.2.2"
	if [ "$family" = 6 ]; then
		wait_for 10 sh -c "nsenter -t $pid -n ip -6 addr show tap0 | grep fd00::100 | grep -vq tentative"
	fi
	nsenter -t "$pid" -n ip link set tap0 mtu "$mtu"
}

cpu_ticks() {
	awk '{print $14 + $15}' "/proc/$1/stat"
}

# "Gbit/s CPU-seconds-per-GB" of one iperf3 run from the namespace, the CPU time being the backend's; $1 is "" or -R,
# $2 the IP family.
measure() {
	local before after json bytes
	before=$(cpu_ticks "$backend_pid")
	if ! json=$("${ns_exec[@]}" iperf3 -c "$(gateway "$2")" -p $port -t "$secs" -O 2 -J $1); then
		echo "benchmark-usernet: iperf3 $1 failed: $(jq -r .error <<<"$json")" >&2
		echo "0 -"
		return
	fi
	after=$(cpu_ticks "$backend_pid")
	bytes=$(jq '.end.sum_received.bytes' <<<"$json")
	echo "$(jq '.end.sum_received.bits_per_second / 1e9' <<<"$json")" \
		"$(awk -v t=$((after - before)) -v b="$bytes" -v hz="$(getconf CLK_TCK)" \
			'BEGIN { printf "%.2f", (t / hz) / (b / 1e9) }')"
}

iperf3 -s -B 127.0.0.1 -p $port >/dev/null 2>&1 &
server_pid=$!
wait_for 10 sh -c "ss -ltn | grep -q 127.0.0.1:$port"
iperf3 -s -B ::1 -p $port >/dev/null 2>&1 &
server6_pid=$!
wait_for 10 sh -c "ss -ltn | grep -q '\[::1\]:$port'"

declare -A result cpu
for family in $families; do
	for mtu in $mtus; do
		for kind in $backends; do
			start_backend "$kind" "$mtu" "$family"
			read -r "result[$kind,$family,$mtu,up]" "cpu[$kind,$family,$mtu,up]" < <(measure "" "$family")
			read -r "result[$kind,$family,$mtu,down]" "cpu[$kind,$family,$mtu,down]" < <(measure -R "$family")
			if [ "$kind" = usernet ]; then
				exec 9>&-
				wait "$backend_pid" || true
				echo "usernet counters at IPv$family MTU $mtu: $(tail -1 "$work/out")"
				backend_pid=""
			fi
			stop_backend
		done
	done
done

printf '\n%-4s %-7s %-10s' IP MTU direction
for kind in $backends; do printf ' %14s' "$kind"; done
printf ' %12s %16s\n' "usernet/best" "usernet CPU s/GB"
for family in $families; do
	for mtu in $mtus; do
		for dir in up down; do
			label=$([ $dir = up ] && echo "guest→host" || echo "host→guest")
			printf '%-4s %-7s %-10s' "v$family" "$mtu" "$label"
			best=0
			for kind in $backends; do
				v=${result[$kind,$family,$mtu,$dir]}
				printf ' %9.2f Gb/s' "$v"
				case $kind in slirp4netns | pasta) best=$(awk -v a="$best" -v b="$v" 'BEGIN { print (b > a ? b : a) }') ;; esac
			done
			ratio=$(awk -v u="${result[usernet,$family,$mtu,$dir]:-0}" -v b="$best" \
				'BEGIN { if (b > 0) printf "%.2fx", u / b; else print "-" }')
			printf ' %12s %16s\n' "$ratio" "${cpu[usernet,$family,$mtu,$dir]:--}"
		done
	done
done
