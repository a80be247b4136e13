#!/usr/bin/env bash
# Coverage-guided fuzzing (Jazzer's fuzzing mode) of every usernet parser of guest input, for a bounded time per
# target: Ethernet/ARP/IPv4/ICMP/UDP/TCP frames into the stack (StackFuzzTest) and DNS messages into the forwarder's
# parser (DnsMessageFuzzTest), and packets into lxc-user-nic's DHCP client (DhcpMessageFuzzTest). `mvn test` runs
# the same targets in regression mode on the seed corpus kept in
# net-drivers/src/test/resources/.../*Inputs/; a crash found here is written there as a new regression input
# (commit it with the fix). Not in CI: it runs for minutes.
#   hack/fuzz.sh                     # every target, 2 minutes each (the targets' @FuzzTest maxDuration)
#   hack/fuzz.sh StackFuzzTest       # one target
# Prints each target's executions and findings from Jazzer's log; the log is kept in $TMPDIR.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(StackFuzzTest Ipv6FuzzTest DnsMessageFuzzTest DhcpMessageFuzzTest)
status=0

for target in "${targets[@]}"; do
	log=$(mktemp "${TMPDIR:-/tmp}/fuzz-$target.XXXXXX.log")
	echo "fuzz: $target (log $log)"
	# Surefire hands -D properties to the test JVM: instrument the stack's classes for coverage.
	if ! (cd "$repo" && JAZZER_FUZZ=1 mvn -B -ntp test -pl net-drivers -am -Dtest="$target" \
		-Dsurefire.failIfNoSpecifiedTests=false -Djazzer.instrument='dev.rootlessjkit.net.**' \
		>"$log" 2>&1); then
		status=1
		echo "fuzz: $target FAILED: a finding or a build error, see $log" >&2
	fi
	execs=$(grep -oE '^Done [0-9]+ runs' "$log" | tail -1 | tr -dc '0-9')
	speed=$(grep -oE 'exec/s: [0-9]+' "$log" | tail -1 || true)
	echo "fuzz: $target executions=${execs:-unknown} ${speed} findings=$(grep -c 'Java Exception\|== Java Assertion\|FuzzerSecurityIssue' "$log" || true)"
done
exit "$status"
