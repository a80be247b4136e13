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
train() {
	JAVA_TOOL_OPTIONS="$(record child)" ROOTLESSJKIT_JAVA_OPTIONS="$(record parent)" \
		"$launcher" "$@" --pidns --copy-up=/etc true >"$log" 2>&1 &&
		[ -s "$dir/parent.$kind" ] && [ -s "$dir/child.$kind" ]
}
# The network runs, each with a published port (the -p path runs in the parent before the spawn and when the port
# driver starts; untrained, it read ~190 classes from the jars and verified them, ~50 ms of a launch):
# - slirp4netns, the builtin port driver, as dockerd-rootless.sh starts it, where slirp4netns is installed: the
#   parent of the networks that run a program of their own (parent-network, which the launcher picks when the words
#   name slirp4netns, pasta or lxc-user-nic), and the child that configures an interface and serves the builtin
#   port driver's child half (child-network, which the parent picks for such runs);
# - usernet with its own port driver: usernet's parent (parent-usernet, which the launcher picks when the words name
#   usernet; its port driver's start took 70 ms from the jars), and child-network where slirp4netns is missing,
#   with the builtin port driver then, so that its child half is trained: usernet needs no program but ours.
train_slirp4netns() {
	local port
	port=$(unused_port) || return 1
	JAVA_TOOL_OPTIONS="$(record child-network)" ROOTLESSJKIT_JAVA_OPTIONS="$(record parent-network)" \
		"$launcher" "$@" --pidns --net=slirp4netns --disable-host-loopback --port-driver=builtin --copy-up=/etc \
		-p "127.0.0.1:$port:80/tcp" true >"$log" 2>&1 &&
		[ -s "$dir/parent-network.$kind" ] && [ -s "$dir/child-network.$kind" ]
}
# train_usernet PORT_DRIVER [child-network] [FLAG...]
train_usernet() {
	local port driver=$1 child=$2
	shift 2
	port=$(unused_port) || return 1
	JAVA_TOOL_OPTIONS="${child:+$(record "$child")}" ROOTLESSJKIT_JAVA_OPTIONS="$(record parent-usernet)" \
		"$launcher" "$@" --pidns --net=usernet --port-driver="$driver" --copy-up=/etc -p "127.0.0.1:$port:80/tcp" \
		true >"$log" 2>&1 &&
		[ -s "$dir/parent-usernet.$kind" ] && { [ -z "$child" ] || [ -s "$dir/$child.$kind" ]; }
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
# Without them the network paths start as before, from the jars; the plain archives still serve.
network_failed() {
	rm -f "$@"
	echo "build-cds: WARNING: a network training run failed; runs that would use $* start with the plain" \
		"archives:" >&2
	cat "$log" >&2
}
if ! command -v slirp4netns >/dev/null; then
	echo "build-cds: no slirp4netns here: runs with --net=slirp4netns, pasta or lxc-user-nic start with the plain" \
		"parent archive" >&2
	train_usernet builtin child-network $mapping_flag ||
		network_failed "$dir/parent-usernet.$kind" "$dir/child-network.$kind"
else
	train_slirp4netns $mapping_flag || train_slirp4netns $mapping_flag ||
		network_failed "$dir/parent-network.$kind" "$dir/child-network.$kind"
	train_usernet usernet "" $mapping_flag || train_usernet usernet "" $mapping_flag ||
		network_failed "$dir/parent-usernet.$kind"
fi
printf '%s\n' "$jdk" >"$dir/jdk"
chmod -R a+rX "$dir"
echo "build-cds: wrote $(cd "$dir" && ls ./*."$kind" | tr '\n' ' ')in $dir for $jdk, trained with $mapping"
