#!/usr/bin/env bash
# Trains the start-up archives of the parent and child JVMs (DESIGN.md: start-up is a product feature) for the
# jar directory and the JDK that LAUNCHER resolves (default: this checkout's ./rootlessjkit; an installation runs
# it with its own bin/rootlessjkit). JDK 25 and later get an AOT cache (JEP 483/514/515: classes loaded and linked
# ahead of time, plus method profiles); older JDKs a dynamic AppCDS archive. They are written to
# DIST/archives/JAVA_RUNTIME_VERSION/ with a file `jdk` naming the JDK home that made them: the launcher passes
# them only to that JDK.
#   hack/build-cds.sh [LAUNCHER]         # JAVA_HOME, if set, picks the JDK as it does for the launcher
# The training run is a real launch: the parent JVM records through its command line (ROOTLESSJKIT_JAVA_OPTIONS),
# the child JVM through JAVA_TOOL_OPTIONS, which the parent passes on (its own command-line flag wins over it).
# Without user namespaces on the build machine there is nothing to train with: the archives are then left out,
# loudly, and rootlessjkit runs without them.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
launcher=${1:-$top/rootlessjkit}
describe=$(_ROOTLESSJKIT_DESCRIBE=1 "$launcher")
field() { sed -n "s/^$1=//p" <<<"$describe"; }
dir=$(field archive_dir)
kind=$(field archive_kind)
jdk=$(field jdk)
if [ -z "$dir" ]; then
	echo "build-cds: WARNING: $jdk has no release file naming its build: rootlessjkit will start without archives" >&2
	exit 0
fi
rm -rf "$dir"
mkdir -p "$dir"
if [ "$kind" = aot ]; then
	record() { echo "-XX:AOTCacheOutput=$dir/$1.aot"; }
else
	record() { echo "-XX:ArchiveClassesAtExit=$dir/$1.jsa"; }
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# --pidns keeps the child JVM until it exits normally (without it the child execs CMD and never dumps); the
# copy-up walks the child's usual set-up, the parent's API server and handshake its own. The network is the default,
# the host's, as in `rootlessjkit CMD`: a driver class the training did not load is read from its jar and verified
# at every start (HostChildDriver cost the child 3-5 ms that way when this run used --net=none).
# A second run trains the child that configures an interface and serves the builtin port driver's child half
# (child-network, which the parent picks for such runs) and usernet's parent (parent-usernet, which the launcher
# picks when the words name usernet): usernet needs no program but ours.
train() {
	JAVA_TOOL_OPTIONS="$(record child)" ROOTLESSJKIT_JAVA_OPTIONS="$(record parent)" \
		"$launcher" "$@" --pidns --copy-up=/etc true >"$log" 2>&1 &&
		[ -s "$dir/parent.$kind" ] && [ -s "$dir/child.$kind" ]
}
train_network() {
	JAVA_TOOL_OPTIONS="$(record child-network)" ROOTLESSJKIT_JAVA_OPTIONS="$(record parent-usernet)" \
		"$launcher" "$@" --pidns --net=usernet --port-driver=builtin --copy-up=/etc true >"$log" 2>&1 &&
		[ -s "$dir/child-network.$kind" ] && [ -s "$dir/parent-usernet.$kind" ]
}
# A third run, where slirp4netns is installed, trains the parent of the networks that run a program of their own
# (parent-network, which the launcher picks when the words name slirp4netns, pasta or lxc-user-nic) as
# dockerd-rootless.sh starts it: slirp4netns, the builtin port driver and a published port. Without it such a
# parent read ~190 classes from the jars (the port driver's parent half, its relays, the -p path) and verified them,
# ~50 ms of a launch (`--debug` timeline). Only the parent records: the child's archives come from the runs above.
train_parent_network() {
	local port
	port=$(unused_port) || return 1
	ROOTLESSJKIT_JAVA_OPTIONS="$(record parent-network)" "$launcher" "$@" --net=slirp4netns --disable-host-loopback \
		--port-driver=builtin --copy-up=/etc -p "127.0.0.1:$port:80/tcp" true >"$log" 2>&1 &&
		[ -s "$dir/parent-network.$kind" ]
}
# A loopback TCP port nothing answers on, for the training run's -p (it is published for a moment, then closed).
unused_port() {
	local port attempt
	for attempt in 1 2 3 4 5 6 7 8; do
		port=$((20000 + RANDOM % 30000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			echo "$port"
			return 0
		fi
	done
	return 1
}
# A normal launch maps the user's subordinate ids through newuidmap and newgidmap, whose classes (and the posix_spawn
# path that runs them) only that path loads: it is trained when the building user has such ids, and the single-id
# mapping, which needs none, otherwise or when that run fails.
uid=$(id -u)
user=$(id -un 2>/dev/null || true) # a uid without a name (a container's) can still have subordinate ids by number
owner="^(${user:+$user|}$uid):"
has_subids() { grep -qE "$owner" /etc/subuid 2>/dev/null && grep -qE "$owner" /etc/subgid 2>/dev/null; }
mapping_flag=
if has_subids && command -v newuidmap >/dev/null && command -v newgidmap >/dev/null && train; then
	mapping="subordinate ids through newuidmap"
elif rm -f "$dir"/*."$kind" && train --single-id-mapping; then
	mapping="the single-id mapping" mapping_flag=--single-id-mapping
else
	echo "build-cds: WARNING: training run failed, rootlessjkit will start without start-up archives:" >&2
	cat "$log" >&2
	rm -rf "$dir"
	exit 0
fi
# Without it the network paths start as before, from the jars; the plain archives still serve.
if ! train_network $mapping_flag; then
	rm -f "$dir/child-network.$kind" "$dir/parent-usernet.$kind"
	echo "build-cds: WARNING: the network training run failed; runs with a network interface, the builtin port" \
		"driver or usernet start without their archives:" >&2
	cat "$log" >&2
fi
if ! command -v slirp4netns >/dev/null; then
	echo "build-cds: no slirp4netns here: runs with --net=slirp4netns, pasta or lxc-user-nic start with the plain" \
		"parent archive" >&2
elif ! train_parent_network $mapping_flag && ! train_parent_network $mapping_flag; then
	rm -f "$dir/parent-network.$kind"
	echo "build-cds: WARNING: the slirp4netns training run failed; runs with --net=slirp4netns, pasta or" \
		"lxc-user-nic start with the plain parent archive:" >&2
	cat "$log" >&2
fi
printf '%s\n' "$jdk" >"$dir/jdk"
chmod -R a+rX "$dir"
echo "build-cds: wrote $(cd "$dir" && ls ./*."$kind" | tr '\n' ' ')in $dir for $jdk, trained with $mapping"
