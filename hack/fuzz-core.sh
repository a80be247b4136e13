#!/usr/bin/env bash
# Coverage-guided fuzzing (Jazzer's fuzzing mode) of the parsers of client input outside the usernet stack, for a
# bounded time per target: port specs (--port and the parser + validator: PortSpecFuzzTest), the API's JSON port
# spec (SpecDecoderFuzzTest), raw HTTP requests through the API server's whole pipeline on a real socket
# (ApiRequestFuzzTest) and the parent–child frame codec (FrameCodecFuzzTest). `mvn test` runs the same targets in
# regression mode on the seed corpus kept in src/test/resources/.../*Inputs/; a crash found here is written there
# as a new regression input (commit it with the fix). Not in CI: it runs for minutes. hack/fuzz.sh does the same for
# the usernet stack's parsers.
#   hack/fuzz-core.sh                        # every target, 2 minutes each (the targets' @FuzzTest maxDuration)
#   hack/fuzz-core.sh ApiRequestFuzzTest     # one target
# Prints each target's executions and findings from Jazzer's log; the log is kept in $TMPDIR.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# target -> "module instrumented-packages"
declare -A where=(
	[PortSpecFuzzTest]="port-drivers dev.rootlessjkit.port.**"
	[ConnectRequestFuzzTest]="port-drivers dev.rootlessjkit.port.builtin.**"
	[SpecDecoderFuzzTest]="parent dev.rootlessjkit.parent.api.**,dev.rootlessjkit.port.**"
	[ApiRequestFuzzTest]="parent dev.rootlessjkit.parent.api.**,dev.rootlessjkit.port.**,io.netty.handler.codec.http.**"
	[FrameCodecFuzzTest]="messages dev.rootlessjkit.messages.**"
)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(PortSpecFuzzTest ConnectRequestFuzzTest SpecDecoderFuzzTest ApiRequestFuzzTest FrameCodecFuzzTest)
status=0
summary=()

for target in "${targets[@]}"; do
	[ -n "${where[$target]:-}" ] || { echo "fuzz-core: unknown target $target (one of ${!where[*]})" >&2; exit 2; }
	read -r module packages <<<"${where[$target]}"
	log=$(mktemp "${TMPDIR:-/tmp}/fuzz-$target.XXXXXX.log")
	echo "fuzz-core: $target (log $log)"
	# Surefire hands -D properties to the test JVM: instrument the parsers' classes for coverage and bound the run.
	if ! (cd "$repo" && JAZZER_FUZZ=1 mvn -B -ntp test -pl "$module" -am -Dtest="$target" \
		-Dsurefire.failIfNoSpecifiedTests=false -Djazzer.instrument="$packages" >"$log" 2>&1); then
		status=1
		echo "fuzz-core: $target FAILED: a finding or a build error, see $log" >&2
	fi
	execs=$(grep -oE '^Done [0-9]+ runs' "$log" | tail -1 | tr -dc '0-9' || true)
	speed=$(grep -oE 'exec/s: [0-9]+' "$log" | tail -1 || true)
	findings=$(grep -c 'Java Exception\|== Java Assertion\|FuzzerSecurityIssue' "$log" || true)
	summary+=("$(printf '%-22s %12s %14s %9s' "$target" "${execs:-unknown}" "${speed#exec/s: }" "$findings")")
done
echo
echo "fuzzing mode, load $(cut -d' ' -f1 /proc/loadavg)"
printf '%-22s %12s %14s %9s\n' target executions "exec/s (last)" findings
printf '%s\n' "${summary[@]}"
exit "$status"
