# Sourced by the rootlessjkit and rootlessjctl launchers (POSIX sh). Picks the JDK and the JVM flags that depend
# on it, without starting a JVM and with one fork at most, because it runs on every launch.
#   in:  $dist (the jar directory)
#   out: $java, $jdk (its home, symlinks resolved), $jdk_major (0 when unknown), $jdk_flags (flags that only some
#        JDKs know), $archive_dir (where hack/build-cds.sh keeps this JDK's start-up archives; empty when the JDK
#        does not say which build it is), $archive_kind (aot or jsa)
# Choice: $JAVA_HOME when set; else the newest JDK 17+ under /usr/lib/jvm; else `java` on PATH.

# Sets release_major and release_id from DIR/release (the JDK's own description of itself). It stops at the second
# of the two keys, which JDKs write among the first lines: sh's read takes a byte per system call, and reading
# every release file to its end was 5,700 calls, ~20 ms of each launch on a machine with three JDKs.
jvm_read_release() {
	release_major= release_id=
	if [ -r "$1/release" ]; then
		while IFS='=' read -r key value; do
			value=${value#\"}
			value=${value%\"}
			case $key in
			JAVA_VERSION) release_major=${value%%[!0-9]*} ;;
			JAVA_RUNTIME_VERSION) release_id=$value ;;
			*) continue ;;
			esac
			[ -n "$release_major" ] && [ -n "$release_id" ] && break
		done <"$1/release"
	fi
	[ -n "$release_major" ] || release_major=0
}

jdk=
if [ -n "${JAVA_HOME:-}" ]; then
	if [ ! -x "$JAVA_HOME/bin/java" ]; then
		echo "rootlessjkit: JAVA_HOME=$JAVA_HOME has no bin/java: point it at a JDK 17 or newer, or unset it" >&2
		exit 1
	fi
	jdk=$JAVA_HOME
	jvm_read_release "$jdk"
else
	jdk_major=0 jdk_id=
	for candidate in /usr/lib/jvm/*; do
		[ -x "$candidate/bin/java" ] || continue
		jvm_read_release "$candidate"
		if [ "$release_major" -ge 17 ] && [ "$release_major" -gt "$jdk_major" ]; then
			jdk=$candidate
			jdk_major=$release_major
			jdk_id=$release_id
		fi
	done
	if [ -n "$jdk" ]; then
		release_major=$jdk_major release_id=$jdk_id
	else
		java=$(command -v java) || {
			echo "rootlessjkit: no JDK found: install JDK 17 or newer, or set JAVA_HOME" >&2
			exit 1
		}
		jdk=$(readlink -f "$java")
		jdk=${jdk%/bin/java}
		jvm_read_release "$jdk"
	fi
fi
jdk=$(cd -P "$jdk" && pwd -P)
java=$jdk/bin/java
jdk_major=$release_major
if [ "$jdk_major" -ne 0 ] && [ "$jdk_major" -lt 17 ]; then
	echo "rootlessjkit: $jdk is JDK $jdk_major; rootlessjkit needs 17 or newer (set JAVA_HOME)" >&2
	exit 1
fi

# jffi and Netty load native code and Netty uses sun.misc.Unsafe: JDKs from 24 on warn about both on every start
# unless allowed; older JDKs reject the second flag.
jdk_flags=
[ "$jdk_major" -ge 22 ] && jdk_flags="--enable-native-access=ALL-UNNAMED"
[ "$jdk_major" -ge 23 ] && jdk_flags="$jdk_flags --sun-misc-unsafe-memory-access=allow"
# An archive the JVM cannot use (a rebuilt jar, say) must not print a warning on the user's terminal.
if [ "$jdk_major" -ge 25 ]; then
	archive_kind=aot
	jdk_flags="$jdk_flags -Xlog:aot=off -Xlog:cds=off"
else
	archive_kind=jsa
	jdk_flags="$jdk_flags -Xshare:auto -Xlog:cds=off -Xlog:cds+dynamic=off"
fi
archive_dir=
[ -n "$release_id" ] && archive_dir=$dist/archives/$release_id
