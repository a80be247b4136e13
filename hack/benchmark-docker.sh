#!/usr/bin/env bash
# Rootless Docker through rootlessjkit next to the same through RootlessKit (Debian's 1.1.0), on this machine:
# Debian's unmodified dockerd-rootless.sh with one or the other first in PATH as `rootlesskit`, as a user runs it.
#   - start-up: from starting the script to `docker info` answering (median of STARTS runs each, interleaved),
#     and stop: from SIGTERM to the launcher until it has exited (dockerd shut down, no container running);
#   - requests/s: short HTTP/1.0 requests (one per connection, as busybox httpd serves them) from the host to a
#     container port published with -p 127.0.0.1:P:80: host -> launcher's listener -> rootlesskit-docker-proxy's
#     docker-proxy in the namespace -> container.
# Prints each figure and the ratio rootlessjkit / RootlessKit. A benchmark, not a test: it never fails on ratios.
# No registry is used: the image is imported from the host's static busybox.
#
# Usage: hack/benchmark-docker.sh    (as a user with subuids, or as root: then runs as $BENCH_USER)
# Env:   STARTS (default 3), SECONDS_PER_RUN (default 10), CONNS_THREADS (default 8), BENCH_USER (default rjtest),
#        DOCKERD_ROOTLESS_ROOTLESSKIT_NET / _PORT_DRIVER / _MTU as the script reads them (default slirp4netns,
#        builtin, 65520), RJ_NET (the network driver of the rootlessjkit runs only, e.g. usernet; default the same)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" = 0 ]; then
	exec runuser -u "${BENCH_USER:-rjtest}" -- env PATH="$PATH" STARTS="${STARTS:-}" RJ_NET="${RJ_NET:-}" \
		SECONDS_PER_RUN="${SECONDS_PER_RUN:-}" CONNS_THREADS="${CONNS_THREADS:-}" "$0" "$@"
fi
starts=${STARTS:-3}
secs=${SECONDS_PER_RUN:-10}
threads=${CONNS_THREADS:-8}
script=/usr/share/docker.io/contrib/dockerd-rootless.sh
python=/usr/bin/python3
rootlesskit_dir=/usr/bin
for tool in "$script" /usr/sbin/dockerd /usr/bin/docker /usr/bin/rootlesskit-docker-proxy "$rootlesskit_dir/rootlesskit" \
	/bin/busybox "$python"; do
	[ -x "$tool" ] || { echo "benchmark-docker: $tool is required (sudo hack/ci-setup.sh installs it)" >&2; exit 1; }
done
[ -d "$top/parent/target/dist" ] || { echo "benchmark-docker: build first (mvn -B -q package -DskipTests)" >&2; exit 1; }
export DOCKERD_ROOTLESS_ROOTLESSKIT_NET=${DOCKERD_ROOTLESS_ROOTLESSKIT_NET:-slirp4netns}
export DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER=${DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER:-builtin}
export DOCKERD_ROOTLESS_ROOTLESSKIT_MTU=${DOCKERD_ROOTLESS_ROOTLESSKIT_MTU:-65520}
rk_net=$DOCKERD_ROOTLESS_ROOTLESSKIT_NET
rj_net=${RJ_NET:-$rk_net}
system_path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

now() { date +%s.%N; }

work=$(mktemp -d)
pid=""
userns=""
# Stops the current dockerd: SIGTERM to the launcher, then by PID whatever is left in its user namespace
# (containerd's shims are re-parented to init and outlive a launcher that did not stop cleanly).
# Sets $stopped to the seconds from SIGTERM to the launcher's exit.
stop_dockerd() {
	if [ -n "$pid" ]; then
		local t0
		t0=$(now)
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		stopped=$("$python" -c "import sys; print('%.2f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$t0" "$(now)")
		pid=""
	fi
	if [ -n "$userns" ]; then
		local p
		for p in /proc/[0-9]*; do
			[ "$(readlink "$p/ns/user" 2>/dev/null)" = "$userns" ] && kill -KILL "${p#/proc/}" 2>/dev/null || true
		done
		userns=""
	fi
}
cleanup() {
	stop_dockerd
	# Docker's data root holds files owned by sub-ids: remove it from inside a user namespace.
	"$top/rootlessjkit" rm -rf "$work" 2>/dev/null || rm -rf "$work" 2>/dev/null || true
}
trap cleanup EXIT

mkdir -p "$work/rootfs/bin" "$work/rootfs/www"
cp /bin/busybox "$work/rootfs/bin/"
ln -s busybox "$work/rootfs/bin/httpd"
head -c 100 /dev/zero | tr '\0' x >"$work/rootfs/www/index.html"
tar -C "$work/rootfs" --owner=0 --group=0 --numeric-owner -cf "$work/rootfs.tar" .

# start NAME BINDIR NET: starts dockerd through the script with BINDIR first in PATH; sets $pid, $userns, $dir and
# $elapsed, the seconds until `docker info` answered. Not for $(...): the caller needs $pid to stop it.
start() {
	local name=$1 bindir=$2 net=$3 t0 tmp
	dir="$work/$name"
	rm -rf "$dir"
	mkdir -p "$dir/home" "$dir/xdg" "$dir/data" "$dir/tmp"
	chmod 700 "$dir/xdg"
	t0=$(now)
	env HOME="$dir/home" XDG_RUNTIME_DIR="$dir/xdg" TMPDIR="$dir/tmp" PATH="$bindir:$system_path" \
		DOCKERD_ROOTLESS_ROOTLESSKIT_NET="$net" \
		"$script" --data-root "$dir/data" >"$dir/log" 2>&1 &
	pid=$!
	for _ in $(seq 1200); do
		if docker_ info >/dev/null 2>&1; then
			elapsed=$("$python" -c "import sys; print('%.2f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$t0" "$(now)")
			tmp=$(ls -d "$dir"/tmp/*/ | head -1)
			userns=$(readlink "/proc/$(cat "$tmp/child_pid")/ns/user")
			return
		fi
		kill -0 "$pid" 2>/dev/null || { echo "benchmark-docker: $name: dockerd exited; log:" >&2; tail -20 "$dir/log" >&2; exit 1; }
		sleep 0.05
	done
	echo "benchmark-docker: $name: docker info did not answer within 60 s" >&2
	exit 1
}
docker_() { HOME="$dir/home" DOCKER_HOST="unix://$dir/xdg/docker.sock" docker "$@"; }

median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

declare -a rj_starts=() rk_starts=() rj_stops=() rk_stops=()
for i in $(seq "$starts"); do
	start rootlessjkit "$top/bin" "$rj_net"; stop_dockerd; rj_starts+=("$elapsed"); rj_stops+=("$stopped")
	start rootlesskit "$rootlesskit_dir" "$rk_net"; stop_dockerd; rk_starts+=("$elapsed"); rk_stops+=("$stopped")
	echo "run $i: start-up rootlessjkit ${rj_starts[-1]} s, RootlessKit ${rk_starts[-1]} s;" \
		"stop rootlessjkit ${rj_stops[-1]} s, RootlessKit ${rk_stops[-1]} s"
done

# requests NAME BINDIR NET PORT: one container serving on 127.0.0.1:PORT, measured from the host; sets $result to
# "requests/s failures"
requests() {
	local name=$1 bindir=$2 net=$3 port=$4
	start "$name" "$bindir" "$net"
	docker_ import "$work/rootfs.tar" bench-busybox:1 >/dev/null
	docker_ run -d -p "127.0.0.1:$port:80" bench-busybox:1 httpd -f -p 80 -h /www >/dev/null
	for _ in $(seq 100); do
		"$python" -c "import socket,sys; socket.create_connection(('127.0.0.1', int(sys.argv[1])), 1).close()" "$port" \
			2>/dev/null && break
		sleep 0.1
	done
	"$python" "$top/hack/conns.py" "$port" 2 "$threads" >/dev/null # warm-up (JIT, first connections)
	result=$("$python" "$top/hack/conns.py" "$port" "$secs" "$threads")
	stop_dockerd
	echo "requests: $name ${result%% *}/s (${result##* } failed)"
}
requests rootlessjkit "$top/bin" "$rj_net" 28280
rj_req=$result
requests rootlesskit "$rootlesskit_dir" "$rk_net" 28281
rk_req=$result

rj_start=$(median "${rj_starts[@]}")
rk_start=$(median "${rk_starts[@]}")
rj_stop=$(median "${rj_stops[@]}")
rk_stop=$(median "${rk_stops[@]}")
ratio() { "$python" -c "import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); print('%.2fx' % (a / b) if b else 'n/a')" "$1" "$2"; }
echo
echo "dockerd-rootless.sh, --net=$rj_net (rootlessjkit) / $rk_net (RootlessKit) --mtu=$DOCKERD_ROOTLESS_ROOTLESSKIT_MTU" \
	"--port-driver=$DOCKERD_ROOTLESS_ROOTLESSKIT_PORT_DRIVER; $starts start-ups each, ${secs} s x $threads threads of requests"
printf '%-32s %12s %12s %8s\n' "" rootlessjkit RootlessKit ratio
printf '%-32s %12s %12s %8s\n' "start to docker info, s (median)" "$rj_start" "$rk_start" "$(ratio "$rj_start" "$rk_start")"
printf '%-32s %12s %12s %8s\n' "SIGTERM to exit, s (median)" "$rj_stop" "$rk_stop" "$(ratio "$rj_stop" "$rk_stop")"
printf '%-32s %12s %12s %8s\n' "HTTP requests/s (1 per conn)" "${rj_req%% *}" "${rk_req%% *}" \
	"$(ratio "${rj_req%% *}" "${rk_req%% *}")"
