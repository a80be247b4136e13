#!/usr/bin/env bash
# Start-up and footprint of rootlessjkit next to RootlessKit, all from one run (a benchmark: nothing here gates CI):
#   1. median wall time of `X true`, `X --pidns true`, `X --copy-up=/etc true`, and of a bare JVM launch (the
#      floor of one JVM) for the JDK the launcher picks and for JDK 17, with ratios to RootlessKit; the commands of
#      one row are run in turn, one run each, in a rotated order, so that a burst of load hits them alike;
#   2. the `--debug` phase timeline of `rootlessjkit true` (and BASELINE's): each phase's median over RUNS/2 runs;
#   3. time from launch until a published port takes a connection and until it answers (builtin driver over
#      slirp4netns, usernet driver over usernet) next to RootlessKit's (builtin over slirp4netns);
#   4. idle RSS of every process of one instance (`--net=slirp4netns --port-driver=builtin -p ... sleep infinity`
#      and `--net=usernet --port-driver=usernet -p ...`) next to RootlessKit's.
#   hack/benchmark-startup.sh            # as a user with /etc/subuid entries, or as root (runs as $ROOTLESSJKIT_TEST_USER)
# Environment: RUNS (default 20), PORT_RUNS (default 5), ROOTLESSJKIT (launcher, default ./rootlessjkit),
# ROOTLESSKIT (default rootlesskit), JAVA_HOME (picks the JDK, as for the launcher), PARTS (which of
# "times timeline ports rss" to run, default all), BASELINE (another rootlessjkit launcher, e.g. a checkout of
# main, measured beside ours in the same run, launch by launch: each of its rows is followed by ours/baseline).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

if [ "$(id -u)" = 0 ]; then
	user=${ROOTLESSJKIT_TEST_USER:-rjtest}
	exec runuser -u "$user" -- env PATH="$PATH" RUNS="${RUNS:-}" PORT_RUNS="${PORT_RUNS:-}" \
		ROOTLESSJKIT="${ROOTLESSJKIT:-}" ROOTLESSKIT="${ROOTLESSKIT:-}" JAVA_HOME="${JAVA_HOME:-}" \
		PARTS="${PARTS:-}" BASELINE="${BASELINE:-}" \
		"$repo/hack/benchmark-startup.sh" "$@"
fi

runs=${RUNS:-20}
port_runs=${PORT_RUNS:-5}
ours=${ROOTLESSJKIT:-$repo/rootlessjkit}
theirs=${ROOTLESSKIT:-rootlesskit}
parts=" ${PARTS:-times timeline ports rss} "
baseline=${BASELINE:-}
for tool in "$ours" "$theirs" ${baseline:+"$baseline"} curl busybox slirp4netns; do
	if ! command -v "$tool" >/dev/null; then
		echo "benchmark-startup: $tool not found (build with mvn -B package -DskipTests; the rest: hack/ci-setup.sh)" >&2
		exit 1
	fi
done
# Check each variant works once, so a broken launcher is reported instead of timed.
cases=("true" "--pidns true" "--copy-up=/etc true")
for args in "${cases[@]}"; do
	for tool in "$ours" "$theirs" ${baseline:+"$baseline"}; do
		# shellcheck disable=SC2086 # the case's words are meant to split
		if ! "$tool" $args >/dev/null 2>&1; then
			echo "benchmark-startup: \`$tool $args\` fails; run it by hand to see why" >&2
			exit 1
		fi
	done
done

work=$(mktemp -d)
instance=""
cleanup() {
	if [ -n "$instance" ]; then kill "$instance" 2>/dev/null || true; wait "$instance" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT
cd "$work"

# An older launcher (one without the describe mode) runs java from PATH.
describe=$(_ROOTLESSJKIT_DESCRIBE=1 "$ours" 2>/dev/null || true)
java=$(sed -n 's/^java=//p' <<<"$describe")
[ -n "$java" ] || java=$(readlink -f "$(command -v java)")
jdk17=""
for candidate in /usr/lib/jvm/*; do
	if [ -x "$candidate/bin/java" ] && grep -q '^JAVA_VERSION="17[."]' "$candidate/release" 2>/dev/null; then
		jdk17=$candidate
		break
	fi
done
# The floor of one JVM: a class that prints a line, with the flags the child JVM starts with.
mkdir -p hello
printf 'public class Hello { public static void main(String[] a) { System.out.println("hello"); } }\n' >hello/Hello.java
"${jdk17:-$(dirname "$(dirname "$java")")}/bin/javac" --release 17 -d hello hello/Hello.java
bare_flags="-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData -Xshare:auto -cp $work/hello Hello"

# The median of the numbers on stdin, one a line.
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# Prints the median wall time in milliseconds (one decimal) of each command line given, in order, over $runs runs
# after two warm-up runs. The commands take turns, one run each in an order rotated every round, so that load from
# elsewhere on the machine hits them alike (hyperfine runs one command's runs in a block). Timed by bash's own
# clock ($EPOCHREALTIME: no process of its own); a command that fails once is reported instead of a time.
median_ms() {
	local n=$# round k i start end failed=() times=()
	local -a cmds=("$@")
	for ((round = -2; round < runs; round++)); do
		for ((k = 0; k < n; k++)); do
			i=$(((k + round + 2) % n))
			start=$EPOCHREALTIME
			eval "${cmds[$i]}" >/dev/null 2>&1 || failed[i]=1
			end=$EPOCHREALTIME
			# microseconds: the clock's decimal point (locale-dependent) removed
			((round < 0)) || times[i]+="$((${end/[.,]/} - ${start/[.,]/})) "
		done
	done
	for ((i = 0; i < n; i++)); do
		if [ -n "${failed[i]:-}" ]; then
			echo "benchmark-startup: a run of \`${cmds[i]}\` failed" >&2
			echo failed
		else
			tr ' ' '\n' <<<"${times[i]}" | grep . | median | awk '{ printf "%.1f\n", $1 / 1000 }'
		fi
	done
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2fx", a / b; else printf "-" }'; }

if [[ $parts == *" times "* ]]; then
	echo "== start-up: median wall time over $runs interleaved runs, $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
	if [ -n "$describe" ]; then
		echo "   rootlessjkit runs $java, start-up archives: $(sed -n 's/^archives=//p' <<<"$describe")"
	else
		echo "   rootlessjkit is an older launcher: it runs java from PATH, $java"
	fi
	printf '%-34s %14s %15s %8s\n' "command" "rootlesskit ms" "rootlessjkit ms" "ratio"
	java_version=$("$java" -XX:-UsePerfData -version 2>&1 | sed -n '1s/.*version "\([^"]*\)".*/\1/p')
	for args in "${cases[@]}"; do
		cmds=("$(printf '%q' "$theirs") $args" "$(printf '%q' "$ours") $args")
		[ -n "$baseline" ] && cmds+=("$(printf '%q' "$baseline") $args")
		# The bare JVMs take turns with `X true`, the row they are compared with.
		if [ "$args" = true ]; then
			cmds+=("$(printf '%q' "$java") $bare_flags")
			[ -n "$jdk17" ] && [ "$jdk17/bin/java" != "$java" ] && cmds+=("$(printf '%q' "$jdk17/bin/java") $bare_flags")
		fi
		mapfile -t ms < <(median_ms "${cmds[@]}")
		theirs_ms=${ms[0]} ours_ms=${ms[1]}
		printf '%-34s %14s %15s %8s\n' "X $args" "$theirs_ms" "$ours_ms" "$(ratio "$ours_ms" "$theirs_ms")"
		next=2
		if [ -n "$baseline" ]; then
			base_ms=${ms[2]}
			next=3
			printf '%-34s %14s %15s %8s (ours/baseline %s)\n' "  baseline X $args" "$theirs_ms" "$base_ms" \
				"$(ratio "$base_ms" "$theirs_ms")" "$(ratio "$ours_ms" "$base_ms")"
		fi
		if [ "$args" = true ]; then
			printf '%-34s %14s %15s %8s\n' "bare JVM ($java_version)" "$theirs_ms" "${ms[$next]}" \
				"$(ratio "${ms[$next]}" "$theirs_ms")"
			if [ -n "${ms[$next + 1]:-}" ]; then
				printf '%-34s %14s %15s %8s\n' "bare JVM (JDK 17)" "$theirs_ms" "${ms[$next + 1]}" \
					"$(ratio "${ms[$next + 1]}" "$theirs_ms")"
			fi
		fi
	done
fi

# The --debug lines of one `LAUNCHER --debug true`, as "JVM<TAB>MS<TAB>PHASE" (PIDs left out, so that the phases
# of several runs match).
debug_phases() {
	"$1" --debug true 2>&1 | sed -n -E 's/^\[[^:]*:(parent|child) *\] debug: \+([0-9]+)ms (.*)$/\1\t\2\t\3/p' |
		sed -E 's/,? (host )?pid [0-9]+//'
}
if [[ $parts == *" timeline "* ]]; then
	echo
	timeline_runs=$(((runs + 1) / 2))
	echo "== --debug timeline of \`rootlessjkit true\`: median ms since each JVM's main began, $timeline_runs interleaved" \
		"runs, load $(cut -d' ' -f1 /proc/loadavg)"
	timelines=("$ours" ${baseline:+"$baseline"})
	for ((round = 0; round < timeline_runs; round++)); do
		for ((k = 0; k < ${#timelines[@]}; k++)); do
			i=$(((k + round) % ${#timelines[@]}))
			debug_phases "${timelines[i]}" >>"$work/timeline.$i"
		done
	done
	# One row per phase, in the order of the first run; the JDK line is the same in every run.
	python3 - "$work/timeline.0" ${baseline:+"$work/timeline.1"} <<-'PY'
		import statistics, sys
		columns = []
		order = []
		for path in sys.argv[1:]:
		    phases = {}
		    for line in open(path):
		        jvm, ms, phase = line.rstrip("\n").split("\t", 2)
		        if phase.startswith("JDK "):
		            continue
		        key = jvm + ": " + phase
		        if key not in order:
		            order.append(key)
		        phases.setdefault(key, []).append(int(ms))
		    columns.append(phases)
		print("   %-60s %8s%s" % ("phase", "ours", " baseline" if len(columns) > 1 else ""))
		for key in order:
		    cells = ["%8s" % (statistics.median(c[key]) if key in c else "-") for c in columns]
		    print("   %-60s %s" % (key[:60], " ".join(cells)))
	PY
fi

# Starts NAME's instance in the background (sets $instance); its state directory is $work/state.
start_instance() {
	rm -rf "$work/state"
	"$@" >"$work/instance.log" 2>&1 &
	instance=$!
}
stop_instance() {
	kill "$instance" 2>/dev/null || true
	wait "$instance" 2>/dev/null || true
	instance=""
}

mkdir -p www
echo hello >www/index.html
# "LISTEN ANSWER": milliseconds from launch until 127.0.0.1:PORT takes a TCP connection (which then waits in the
# listener's backlog if need be), and until http://127.0.0.1:PORT/ answers; `--pidns` so that httpd dies with the run.
port_answers_ms() {
	local port start listening
	port=$(free_port)
	start=$(date +%s%N)
	start_instance "$@" --state-dir="$work/state" --pidns -p "127.0.0.1:$port:80/tcp" busybox httpd -f -p 80 -h "$work/www"
	until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do give_up_after_30s "$start" "$*"; sleep 0.005; done
	listening=$(ms_since "$start")
	until curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$port/"; do give_up_after_30s "$start" "$*"; sleep 0.005; done
	echo "$listening $(ms_since "$start")"
	stop_instance
}
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }
give_up_after_30s() {
	if [ "$(ms_since "$1")" -gt 30000 ]; then
		echo "benchmark-startup: no answer after 30 s from $2:" >&2
		cat "$work/instance.log" >&2
		exit 1
	fi
}
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# "LISTEN ANSWER" medians over $port_runs launches, a line for each launcher given, all with DRIVERS (a list of
# flags); the launchers take turns, one launch each in an order rotated every round.
port_medians() {
	local drivers=$1 round k i n result
	shift
	local -a launchers=("$@") listens=() answers=()
	n=${#launchers[@]}
	for ((round = 0; round < port_runs; round++)); do
		for ((k = 0; k < n; k++)); do
			i=$(((k + round) % n))
			# shellcheck disable=SC2086 # the flags are meant to split
			result=$(port_answers_ms "${launchers[i]}" $drivers)
			listens[i]+="${result% *} "
			answers[i]+="${result#* } "
		done
	done
	for ((i = 0; i < n; i++)); do
		echo "$(tr ' ' '\n' <<<"${listens[i]}" | grep . | median) $(tr ' ' '\n' <<<"${answers[i]}" | grep . | median)"
	done
}

if [[ $parts == *" ports "* ]]; then
	echo
	echo "== time until a published port listens / answers (medians of $port_runs interleaved launches), load $(cut -d' ' -f1 /proc/loadavg)"
	printf '%-52s %9s %9s\n' "configuration" "listen ms" "answer ms"
	theirs_listen="" theirs_port=""
	for drivers in "--net=slirp4netns --port-driver=builtin" "--net=usernet --port-driver=usernet"; do
		launchers=("$ours" ${baseline:+"$baseline"})
		# RootlessKit has no usernet: it takes turns with the first configuration only.
		[ -z "$theirs_listen" ] && launchers+=("$theirs")
		mapfile -t results < <(port_medians "$drivers" "${launchers[@]}")
		if [ -z "$theirs_listen" ]; then
			read -r theirs_listen theirs_port <<<"${results[-1]}"
			printf '%-52s %9s %9s\n' "rootlesskit $drivers" "$theirs_listen" "$theirs_port"
		fi
		read -r listen ms <<<"${results[0]}"
		printf '%-52s %9s %9s (listen %s, answer %s)\n' "rootlessjkit $drivers" "$listen" "$ms" \
			"$(ratio "$listen" "$theirs_listen")" "$(ratio "$ms" "$theirs_port")"
		if [ -n "$baseline" ]; then
			read -r base_listen base_ms <<<"${results[1]}"
			printf '%-52s %9s %9s (listen %s, answer %s; ours/baseline %s)\n' "  baseline $drivers" "$base_listen" \
				"$base_ms" "$(ratio "$base_listen" "$theirs_listen")" "$(ratio "$base_ms" "$theirs_port")" \
				"$(ratio "$ms" "$base_ms")"
		fi
	done
fi

# Prints "PID RSS_KB NAME" for a process and all its descendants.
process_tree_rss() {
	ps -e -o pid=,ppid=,rss=,comm= | awk -v root="$1" '
		{ pid[NR] = $1; ppid[NR] = $2; rss[NR] = $3; name[NR] = $4 }
		END {
			keep[root] = 1
			do { grew = 0; for (i = 1; i <= NR; i++) if (!(pid[i] in keep) && (ppid[i] in keep)) { keep[pid[i]] = 1; grew = 1 } } while (grew)
			for (i = 1; i <= NR; i++) if (pid[i] in keep) print pid[i], rss[i], name[i]
		}'
}
# Idle RSS of every process of one instance, 3 s after its set-up is done (child_pid written), no traffic.
idle_rss() {
	local label=$1 port
	shift
	port=$(free_port)
	start_instance "$@" --state-dir="$work/state" -p "127.0.0.1:$port:80/tcp" sleep infinity
	for _ in $(seq 300); do
		[ -s "$work/state/child_pid" ] && break
		sleep 0.1
	done
	sleep 3
	process_tree_rss "$instance" | awk -v label="$label" '
		{ total += $2; parts = parts sprintf(" %s %.1f", $3, $2 / 1024) }
		END { printf "%-52s %8.1f  =%s\n", label, total / 1024, parts }'
	stop_instance
}

if [[ $parts == *" rss "* ]]; then
	echo
	echo "== idle RSS of one instance, every process (MB), load $(cut -d' ' -f1 /proc/loadavg)"
	printf '%-52s %8s  %s\n' "configuration" "total" "per process"
	idle_rss "rootlesskit --net=slirp4netns --port-driver=builtin" "$theirs" --net=slirp4netns --port-driver=builtin
	for drivers in "--net=slirp4netns --port-driver=builtin" "--net=usernet --port-driver=usernet"; do
		# shellcheck disable=SC2086 # the flags are meant to split
		idle_rss "rootlessjkit $drivers" "$ours" $drivers
		if [ -n "$baseline" ]; then
			# shellcheck disable=SC2086 # the flags are meant to split
			idle_rss "  baseline $drivers" "$baseline" $drivers
		fi
	done
fi
