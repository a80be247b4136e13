#!/usr/bin/env bash
# Installs rootlessjkit under a prefix, from a build of this checkout (mvn package) or from an unpacked release
# archive (make dist), and removes it again:
#   hack/install.sh [--prefix=DIR] [--no-drop-in]     (a release archive: ./install.sh ...)
#   hack/install.sh --uninstall [--prefix=DIR]
# Default prefix: ~/.local, or /usr/local as root. What it puts there:
#   PREFIX/lib/rootlessjkit/   the jars, jffi's native library, and the start-up (class-data sharing) archives,
#                              trained at install time for this location and the JDK the launcher picks
#   PREFIX/bin/                rootlessjkit, rootlessjctl, rootlesskit-docker-proxy, and unless --no-drop-in the
#                              RootlessKit names rootlesskit -> rootlessjkit and rootlessctl -> rootlessjctl
# The launchers find the jars at ../lib/rootlessjkit beside their real location, so the installation does not
# depend on this checkout: `mvn clean` or moving the checkout leaves it working. It records what it installed in
# PREFIX/lib/rootlessjkit/install-manifest; --uninstall removes exactly that, and never a file it did not install
# (e.g. Debian's rootlesskit in /usr/bin).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ -d "$here/lib/rootlessjkit" ]; then
	# An unpacked release archive: install.sh, bin/, lib/rootlessjkit/, hack/build-cds.sh.
	top=$here
	jars=$top/lib/rootlessjkit
	launchers=$top/bin
else
	top=$(cd "$here/.." && pwd)
	jars=$top/parent/target/dist
	launchers=$top
fi
build_cds=$top/hack/build-cds.sh

# Our programs, then the RootlessKit names as links to them.
programs=(rootlessjkit rootlessjctl rootlesskit-docker-proxy)
declare -A drop_in=([rootlesskit]=rootlessjkit [rootlessctl]=rootlessjctl)

say() { echo "install: $*"; }
die() {
	echo "install: error: $*" >&2
	exit 1
}

prefix=""
uninstall=false
with_drop_in=true
for arg in "$@"; do
	case $arg in
	--prefix=*) prefix=${arg#--prefix=} ;;
	--uninstall) uninstall=true ;;
	--no-drop-in) with_drop_in=false ;;
	-h | --help)
		sed -n '2,/^set -e/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
		exit 0
		;;
	*) die "unknown argument '$arg' (see --help)" ;;
	esac
done
if [ -z "$prefix" ]; then
	if [ "$(id -u)" = 0 ]; then prefix=/usr/local; else prefix=$HOME/.local; fi
fi
case $prefix in
/*) ;;
*) prefix=$PWD/$prefix ;;
esac
prefix=${prefix%/}
lib=$prefix/lib/rootlessjkit
manifest=$lib/install-manifest

# The manifest: "file REL", "link REL" and "dir REL" lines, paths relative to the prefix, in install order.
manifest_has() { [ -f "$manifest" ] && grep -qxF "$1" "$manifest"; }

do_uninstall() {
	[ -f "$manifest" ] || die "no rootlessjkit installation under $prefix ($manifest is missing)"
	local kind rel dirs=()
	while read -r kind rel; do
		case $kind in
		file | link) rm -f -- "${prefix:?}/$rel" ;;
		dir) dirs=("$rel" "${dirs[@]}") ;;
		esac
	done <"$manifest"
	# Everything in lib/rootlessjkit is ours, including archives the launcher may have rebuilt since.
	rm -rf -- "${lib:?}"
	# Directories the install created, deepest first, if nothing else has moved in since.
	for rel in "${dirs[@]}"; do
		if [ "$rel" = . ]; then rmdir -- "$prefix" 2>/dev/null || true; else rmdir -- "$prefix/$rel" 2>/dev/null || true; fi
	done
	say "removed rootlessjkit from $prefix"
}

if $uninstall; then
	do_uninstall
	exit 0
fi

[ -d "$jars" ] && ls "$jars"/rootlessjkit-parent-*.jar >/dev/null 2>&1 ||
	die "no build in $jars: run 'make' (or 'mvn -B -q package -DskipTests') in $top first"
for program in "${programs[@]}"; do
	[ -x "$launchers/$program" ] || die "launcher $launchers/$program is missing"
done

# Never overwrite a file some other package or the user put there.
targets=("${programs[@]}")
$with_drop_in && targets+=("${!drop_in[@]}")
for name in "${targets[@]}"; do
	if [ -e "$prefix/bin/$name" ] || [ -L "$prefix/bin/$name" ]; then
		manifest_has "file bin/$name" || manifest_has "link bin/$name" ||
			die "$prefix/bin/$name exists and was not installed by rootlessjkit; remove it, choose another" \
				"--prefix, or pass --no-drop-in to leave the RootlessKit names alone"
	fi
done

umask 022
# A reinstall starts from a clean lib directory (no archives of a previous JDK or jar set).
previous_dirs=()
if [ -f "$manifest" ]; then
	mapfile -t previous_dirs < <(sed -n 's/^dir //p' "$manifest")
	sed -n 's/^\(file\|link\) //p' "$manifest" | while read -r rel; do rm -f -- "${prefix:?}/$rel"; done
	rm -rf -- "${lib:?}"
fi
new_manifest=$(mktemp)
trap 'rm -f "$new_manifest"' EXIT
for rel in "${previous_dirs[@]}"; do echo "dir $rel" >>"$new_manifest"; done
for rel in . bin lib lib/rootlessjkit; do
	if [ ! -d "$prefix/$rel" ]; then
		mkdir -p -- "$prefix/$rel"
		grep -qxF "dir $rel" "$new_manifest" || echo "dir $rel" >>"$new_manifest"
	fi
done

say "installing into $prefix"
# Jars and jffi's native library; the archives of the build are for the build's paths, so they are not copied.
(cd "$jars" && find . -type f ! -path './archives/*' ! -name '*.jsa' -print0) | while IFS= read -r -d '' file; do
	install -D -m 0644 -- "$jars/$file" "$lib/${file#./}"
done
for program in "${programs[@]}"; do
	rm -f -- "$prefix/bin/$program"
	install -m 0755 -- "$launchers/$program" "$prefix/bin/$program"
	echo "file bin/$program" >>"$new_manifest"
done
if $with_drop_in; then
	for name in "${!drop_in[@]}"; do
		ln -sfn -- "${drop_in[$name]}" "$prefix/bin/$name"
		echo "link bin/$name" >>"$new_manifest"
	done
fi
cp -- "$new_manifest" "$manifest"
chmod 0644 "$manifest"

# Start-up archives for this location and this JDK; without user namespaces the training run fails, loudly, and
# rootlessjkit runs without them.
"$build_cds" "$prefix/bin/rootlessjkit" || say "warning: no start-up archives; rootlessjkit will start slower"
chmod -R a+rX "$lib"

say "installed: $prefix/bin/rootlessjkit ($("$prefix/bin/rootlessjkit" --version 2>&1 | head -n 1))"
case ":$PATH:" in
*":$prefix/bin:"*) ;;
*) say "note: $prefix/bin is not in \$PATH" ;;
esac
