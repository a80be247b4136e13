#!/usr/bin/env bash
# Start-up time of rootlessjkit next to RootlessKit: median wall time of `X true`, `X --pidns true` and
# `X --copy-up=/etc true`, printed as a table with ratios. A benchmark, not a test: nothing here gates CI.
#   hack/benchmark-startup.sh            # as a user with /etc/subuid entries, or as root (runs as $ROOTLESSJKIT_TEST_USER)
# Environment: RUNS (default 20), ROOTLESSJKIT (launcher, default ./rootlessjkit), ROOTLESSKIT (default rootlesskit).
# Uses hyperfine when installed, else a loop timed with date +%s%N.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

if [ "$(id -u)" = 0 ]; then
	user=${ROOTLESSJKIT_TEST_USER:-rjtest}
	exec runuser -u "$user" -- env RUNS="${RUNS:-}" ROOTLESSJKIT="${ROOTLESSJKIT:-}" ROOTLESSKIT="${ROOTLESSKIT:-}" \
		"$repo/hack/benchmark-startup.sh" "$@"
fi

runs=${RUNS:-20}
[ -n "$runs" ] || runs=20
ours=${ROOTLESSJKIT:-$repo/rootlessjkit}
[ -n "$ours" ] || ours=$repo/rootlessjkit
theirs=${ROOTLESSKIT:-rootlesskit}
[ -n "$theirs" ] || theirs=rootlesskit

for tool in "$ours" "$theirs"; do
	if ! command -v "$tool" >/dev/null; then
		echo "benchmark-startup: $tool not found (build with mvn -B package -DskipTests; RootlessKit: apt-get install rootlesskit)" >&2
		exit 1
	fi
done
# Check each variant works once, so a broken launcher is reported instead of timed.
cases=("true" "--pidns true" "--copy-up=/etc true")
for args in "${cases[@]}"; do
	for tool in "$ours" "$theirs"; do
		# shellcheck disable=SC2086 # the case's words are meant to split
		if ! "$tool" $args >/dev/null 2>&1; then
			echo "benchmark-startup: \`$tool $args\` fails; run it by hand to see why" >&2
			exit 1
		fi
	done
done

cd /tmp

# Prints the median wall time of a command line in milliseconds (one decimal).
median_ms() {
	local line=$1
	if command -v hyperfine >/dev/null; then
		local csv
		csv=$(mktemp)
		# Its outlier warnings would break the table; the commands were checked above.
		hyperfine --style none --warmup 2 --runs "$runs" --export-csv "$csv" "$line" >/dev/null 2>&1
		# columns: command,mean,stddev,median,user,system,min,max (seconds)
		awk -F, 'NR == 2 { printf "%.1f\n", $4 * 1000 }' "$csv"
		rm -f "$csv"
		return
	fi
	local i start end samples=()
	for i in 1 2; do bash -c "$line" >/dev/null 2>&1; done
	for ((i = 0; i < runs; i++)); do
		start=$(date +%s%N)
		bash -c "$line" >/dev/null 2>&1
		end=$(date +%s%N)
		samples+=($((end - start)))
	done
	printf '%s\n' "${samples[@]}" | sort -n | awk '{ v[NR] = $1 } END {
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.1f\n", m / 1e6 }'
}

echo "median wall time over $runs runs ($(command -v hyperfine >/dev/null && echo hyperfine || echo 'bash loop')), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg)"
printf '%-22s %14s %14s %8s\n' "command" "rootlesskit ms" "rootlessjkit ms" "ratio"
for args in "${cases[@]}"; do
	theirs_ms=$(median_ms "$(printf '%q' "$theirs") $args")
	ours_ms=$(median_ms "$(printf '%q' "$ours") $args")
	ratio=$(awk -v a="$ours_ms" -v b="$theirs_ms" 'BEGIN { printf "%.2fx", a / b }')
	printf '%-22s %14s %14s %8s\n' "X $args" "$theirs_ms" "$ours_ms" "$ratio"
done
