#!/usr/bin/env bash
# Makes the release archive rootlessjkit-VERSION-linux-ARCH.tar.gz from this checkout's build (make dist), in
# OUTPUT_DIR (default: target/ of the checkout):
#   hack/dist.sh [OUTPUT_DIR]
# Unpacked, it is itself an installed layout (bin/ beside lib/rootlessjkit/) and installs like the checkout:
#   tar xzf rootlessjkit-*.tar.gz && rootlessjkit-*/install.sh --prefix=DIR
# It holds no start-up archives: those depend on the install location and the JDK, so install.sh trains them
# on the target machine.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
jars=$top/parent/target/dist
parent_jar=$(ls "$jars"/rootlessjkit-parent-*.jar 2>/dev/null | head -n 1 || true)
[ -n "$parent_jar" ] || { echo "dist: no build in $jars: run 'make' first" >&2; exit 1; }
version=${parent_jar##*/rootlessjkit-parent-}
version=${version%.jar}
name=rootlessjkit-$version
out=${1:-$top/target}
archive=$out/$name-linux-$(uname -m).tar.gz
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
umask 022

root=$stage/$name
mkdir -p "$root/bin" "$root/lib/rootlessjkit" "$root/hack"
(cd "$jars" && find . -type f ! -path './archives/*' ! -name '*.jsa' -print0) | while IFS= read -r -d '' file; do
	install -D -m 0644 -- "$jars/$file" "$root/lib/rootlessjkit/${file#./}"
done
for program in rootlessjkit rootlessjctl rootlesskit-docker-proxy; do
	install -m 0755 "$top/$program" "$root/bin/$program"
done
ln -s rootlessjkit "$root/bin/rootlesskit"
ln -s rootlessjctl "$root/bin/rootlessctl"
install -m 0755 "$top/hack/install.sh" "$root/install.sh"
install -m 0755 "$top/hack/build-cds.sh" "$root/hack/build-cds.sh"
cp -R "$top/README.md" "$top/docs" "$root/"

mkdir -p "$out"
tar -C "$stage" --owner=0 --group=0 --numeric-owner --sort=name -czf "$archive" "$name"
echo "dist: wrote $archive ($(du -h "$archive" | cut -f1))"
