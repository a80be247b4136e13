#!/usr/bin/env bash
# Runs every test as CI does, on this machine: prepares it with hack/ci-setup.sh (which first lists what it will
# install and change: packages the tests call, the unprivileged test users and their sub-ids, /dev/net/tun,
# sysctls; it waits for another apt to finish), then builds and runs unit and integration tests with
# `mvn -B -ntp verify`.
#   as root:            hack/test.sh     the integration tests start the launcher as the test user (rjtest)
#   as a user with sudo: sudo hack/test.sh, or hack/test.sh (the set-up then runs through sudo, the tests as you;
#                        you need sub-ids, and passwordless sudo for the tests' few host-side steps)
# As root, the test user must be able to read the build; when the checkout sits where it cannot (e.g. under
# /root or a 0700 home), build and test a readable copy instead.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
test_user=${ROOTLESSJKIT_TEST_USER:-rjtest}
# Files Maven writes must stay readable by the test user.
umask 022

if [ "$(id -u)" = 0 ]; then
	"$repo/hack/ci-setup.sh"
elif command -v sudo >/dev/null 2>&1; then
	echo "ci: preparing the machine through sudo (hack/ci-setup.sh needs root)"
	sudo "$repo/hack/ci-setup.sh"
else
	echo "ci: preparing the machine needs root and there is no sudo: run hack/test.sh as root" >&2
	"$repo/hack/ci-setup.sh" --dry-run
	exit 1
fi

# True when the test user can enter every directory of the tree and read every file in it.
readable_by_test_user() {
	runuser -u "$test_user" -- sh -c \
		'cd "$1" 2>/dev/null && [ -z "$(find . \( ! -readable -o -type d ! -executable \) -print -quit 2>&1)" ]' \
		sh "$1"
}

workdir=$repo
if [ "$(id -u)" = 0 ] && ! readable_by_test_user "$repo"; then
	workdir=/var/tmp/rootlessjkit-ci
	echo "ci: $test_user cannot read $repo; building and testing a copy in $workdir"
	rm -rf "$workdir"
	mkdir -p "$workdir"
	tar -C "$repo" --exclude=./.git -cf - . | tar -C "$workdir" -xf -
	chmod -R a+rX "$workdir"
	if ! readable_by_test_user "$workdir"; then
		echo "ci: $test_user cannot read $workdir either; check the permissions of its parent directories" >&2
		exit 1
	fi
fi

cd "$workdir"
# Unit tests, then the integration tests (Failsafe) against the packaged launcher:
mvn -B -ntp verify
