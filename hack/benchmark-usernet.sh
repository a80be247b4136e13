#!/usr/bin/env bash
# Throughput of the usernet stack next to slirp4netns and pasta on the same machine in the same run: iperf3
# guest→host and host→guest (iperf3 -R over the same connection) between a network namespace made here and an
# iperf3 server on the host's 127.0.0.1, reached through each backend's gateway 10.0.2.2. Prints Gbit/s and
# usernet's ratio to the faster of the other two. A benchmark, not a test: nothing here gates CI.
#   sudo hack/benchmark-usernet.sh          # compiles net-drivers first (offline Maven)
# Environment: MTUS (default "1500 65520"), SECONDS_PER_RUN (default 8), BACKENDS (default
# "usernet usernet-plain slirp4netns pasta"; usernet-plain is the stack without IFF_VNET_HDR offloads),
# USERNET_JAVA_OPTIONS (JVM options for the stack, e.g. the launcher's "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC").
# Needs root: it creates namespaces (rjbench-*) and TAP devices, and removes them on exit; pasta, which will not run
# as root, runs as $ROOTLESSJKIT_TEST_USER (default rjtest) in that user's own namespaces.
# This runs the stack from a small main (TapBench) rather than through --net=usernet, so it measures the stack
# alone, with the JVM's default JIT and GC.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mtus=${MTUS:-"1500 65520"}
secs=${SECONDS_PER_RUN:-8}
backends=${BACKENDS:-"usernet usernet-plain slirp4netns pasta"}
port=5299
user=${ROOTLESSJKIT_TEST_USER:-rjtest}
work=$(mktemp -d)
server_pid=""
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

# Brings up backend $1 for a new namespace $netns with MTU $2; the guest's gateway is 10.0.2.2 in every case.
start_backend() {
	local kind=$1 mtu=$2
	if [ "$kind" = pasta ]; then
		start_pasta "$mtu"
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
		java ${USERNET_JAVA_OPTIONS:-} -cp "$cp" dev.rootlessjkit.net.usernet.TapBench rjb$$ "$mtu" $mode <"$work/in" >"$work/out" 2>&1 &
		backend_pid=$!
		exec 9>"$work/in"
		rm "$work/in"
		wait_for 30 grep -q ready "$work/out" || { cat "$work/out" >&2; return 1; }
		ip link set rjb$$ netns "$netns"
		ip -n "$netns" link set rjb$$ name tap0
		ip -n "$netns" link set tap0 mtu "$mtu" up
		ip -n "$netns" addr add 10.0.2.100/24 dev tap0
		ip -n "$netns" route add default via 10.0.2.2
		;;
	slirp4netns)
		slirp4netns --configure --mtu="$mtu" --netns-type=path "/run/netns/$netns" tap0 >"$work/out" 2>&1 &
		backend_pid=$!
		wait_for 10 sh -c "ip -n $netns addr show tap0 | grep -q 10.0.2.100"
		;;
	esac
}

# pasta refuses to run as root, so it gets what RootlessKit gives it: a user's own user and network namespace.
start_pasta() {
	local mtu=$1 pid
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
	runuser -u "$user" -- pasta -f -q --config-net --ns-ifname tap0 -m "$mtu" -a 10.0.2.100 -n 24 -g 10.0.2.2 \
		-t none -u none -T none -U none "$pid" >"$work/out" 2>&1 &
	backend_pid=$!
	wait_for 10 sh -c "nsenter -t $pid -n ip route show default | grep -q 10.0.2.2"
	nsenter -t "$pid" -n ip link set tap0 mtu "$mtu"
}

cpu_ticks() {
	awk '{print $14 + $15}' "/proc/$1/stat"
}

# "Gbit/s CPU-seconds-per-GB" of one iperf3 run from the namespace, the CPU time being the backend's; $1 is "" or -R.
measure() {
	local before after json bytes
	before=$(cpu_ticks "$backend_pid")
	if ! json=$("${ns_exec[@]}" iperf3 -c 10.0.2.2 -p $port -t "$secs" -O 2 -J $1); then
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

declare -A result cpu
for mtu in $mtus; do
	for kind in $backends; do
		start_backend "$kind" "$mtu"
		read -r "result[$kind,$mtu,up]" "cpu[$kind,$mtu,up]" < <(measure "")
		read -r "result[$kind,$mtu,down]" "cpu[$kind,$mtu,down]" < <(measure -R)
		if [ "$kind" = usernet ]; then
			exec 9>&-
			wait "$backend_pid" || true
			echo "usernet counters at MTU $mtu: $(tail -1 "$work/out")"
			backend_pid=""
		fi
		stop_backend
	done
done

printf '\n%-7s %-10s' MTU direction
for kind in $backends; do printf ' %14s' "$kind"; done
printf ' %12s %16s\n' "usernet/best" "usernet CPU s/GB"
for mtu in $mtus; do
	for dir in up down; do
		label=$([ $dir = up ] && echo "guest→host" || echo "host→guest")
		printf '%-7s %-10s' "$mtu" "$label"
		best=0
		for kind in $backends; do
			v=${result[$kind,$mtu,$dir]}
			printf ' %9.2f Gb/s' "$v"
			case $kind in slirp4netns | pasta) best=$(awk -v a="$best" -v b="$v" 'BEGIN { print (b > a ? b : a) }') ;; esac
		done
		ratio=$(awk -v u="${result[usernet,$mtu,$dir]:-0}" -v b="$best" 'BEGIN { if (b > 0) printf "%.2fx", u / b; else print "-" }')
		printf ' %12s %16s\n' "$ratio" "${cpu[usernet,$mtu,$dir]:--}"
	done
done
