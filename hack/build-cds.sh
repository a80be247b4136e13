#!/usr/bin/env bash
# Builds the class-data sharing archives the launcher and the parent use to start their JVMs faster
# (DESIGN.md: start-up is a product feature). A training run of the real launcher records which classes
# each JVM loads: the parent JVM through -XX:ArchiveClassesAtExit on its command line, the child JVM through
# JAVA_TOOL_OPTIONS, which the parent passes on (its own command-line flag wins over that variable).
# Without user namespaces on the build machine there is nothing to train with: the archives are then left
# out, loudly, and rootlessjkit runs without them.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
dist="$top/parent/target/dist"
rm -f "$dist/parent.jsa" "$dist/child.jsa"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# --pidns keeps the child JVM until it exits normally (without it the child execs CMD and never dumps).
if JAVA_TOOL_OPTIONS="-XX:ArchiveClassesAtExit=$dist/child.jsa" \
	ROOTLESSJKIT_JAVA_OPTIONS="-XX:ArchiveClassesAtExit=$dist/parent.jsa" \
	"$top/rootlessjkit" --single-id-mapping --pidns --net=none --copy-up=/etc true >"$log" 2>&1; then
	chmod 644 "$dist"/*.jsa
	echo "build-cds: wrote $(cd "$dist" && ls ./*.jsa | tr '\n' ' ')"
else
	echo "build-cds: WARNING: training run failed, rootlessjkit will start without CDS archives:" >&2
	cat "$log" >&2
	rm -f "$dist/parent.jsa" "$dist/child.jsa"
fi
