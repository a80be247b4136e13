#!/usr/bin/env bash
# Prepares a Debian machine to run rootlessjkit's tests: the packages the tests call, an unprivileged test user
# with sub-ids, a second user without any (for the "missing /etc/subuid entry" test), /dev/net/tun open to
# unprivileged users, and LXC's bridge lxcbr0 with its dnsmasq (lxc-net) that the test user may add veths to
# (--net=lxc-user-nic). Idempotent: every step checks first, so it is cheap to run again. It first prints what it
# is about to install and change (or that nothing needs changing), then does it. Needs root:
#   hack/ci-setup.sh              (as root)
#   hack/ci-setup.sh --dry-run    (only say what it would do)
# Users can be renamed with ROOTLESSJKIT_TEST_USER and ROOTLESSJKIT_TEST_NOSUB_USER (the tests read the same).
set -euo pipefail

dry_run=false
[ "${1:-}" = --dry-run ] && dry_run=true
if [ "$(id -u)" != 0 ] && ! $dry_run; then
	echo "hack/ci-setup.sh: must run as root (as root: hack/ci-setup.sh; with sudo: sudo hack/ci-setup.sh)" >&2
	exit 1
fi

test_user=${ROOTLESSJKIT_TEST_USER:-rjtest}
nosub_user=${ROOTLESSJKIT_TEST_NOSUB_USER:-rjnosub}

log() { echo "ci-setup: $*"; }

# command the tests run -> Debian package that provides it
declare -A package_of=(
	[newuidmap]=uidmap [newgidmap]=uidmap [getsubids]=uidmap
	[ip]=iproute2 [unshare]=util-linux [runuser]=util-linux [findmnt]=util-linux [script]=bsdutils
	[ps]=procps [pgrep]=procps [killall]=psmisc [hostname]=hostname
	[iperf3]=iperf3 [slirp4netns]=slirp4netns [pasta]=passt [rootlesskit]=rootlesskit [rootlessctl]=rootlesskit
	[socat]=socat [curl]=curl [tcpdump]=tcpdump [nc]=netcat-openbsd [busybox]=busybox-static
	[systemd-socket-activate]=systemd
	[dockerd]=docker.io [docker]=docker.io [containerd]=containerd [runc]=runc [iptables]=iptables
	[rootlesskit-docker-proxy]=rootlesskit
	[java]=openjdk-17-jdk-headless [javac]=openjdk-17-jdk-headless [mvn]=maven
)

# packages needed as such, not for a command: DockerIT copies /bin/busybox into an image, so it must be the static one;
# lxc provides the setuid lxc-user-nic (in /usr/libexec/lxc, not in $PATH) and lxc-net, the bridge with its dnsmasq
required_packages=(busybox-static lxc)

package_installed() {
	[ "$(dpkg-query -W -f '${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

missing_packages() {
	local missing=() cmd pkg
	for cmd in "${!package_of[@]}"; do
		# dockerd and friends live in sbin, which is not in every PATH
		if ! command -v "$cmd" >/dev/null 2>&1 && ! [ -x "/usr/sbin/$cmd" ] && ! [ -x "/sbin/$cmd" ]; then
			missing+=("${package_of[$cmd]}")
		fi
	done
	for pkg in "${required_packages[@]}"; do
		package_installed "$pkg" || missing+=("$pkg")
	done
	[ ${#missing[@]} -eq 0 ] || printf '%s\n' "${missing[@]}" | sort -u
}

# How long to wait for another apt or dpkg (unattended-upgrades, a user's apt-get) to let go of the package lock.
lock_wait=${ROOTLESSJKIT_APT_LOCK_WAIT:-600}
package_locks=(/var/lib/dpkg/lock-frontend /var/lib/dpkg/lock /var/lib/apt/lists/lock /var/cache/apt/archives/lock)

package_lock_holder() {
	if command -v fuser >/dev/null 2>&1; then
		fuser "${package_locks[@]}" 2>/dev/null | tr -s ' ' | sed 's/^ //'
	else
		pgrep -d ' ' -x 'apt|apt-get|aptitude|dpkg|unattended-upgr' || true
	fi
}

# Waits, saying so, until no other process holds the package lock; fails after $lock_wait seconds.
wait_for_package_lock() {
	local waited=0 holder
	while holder=$(package_lock_holder) && [ -n "$holder" ]; do
		if [ "$waited" -ge "$lock_wait" ]; then
			log "error: the package lock is still held by PID $holder after ${lock_wait}s; try again when that" \
				"apt/dpkg has finished (ROOTLESSJKIT_APT_LOCK_WAIT=SECONDS waits longer)" >&2
			return 1
		fi
		[ "$waited" -eq 0 ] && log "waiting up to ${lock_wait}s for another apt/dpkg (PID $holder) to release the package lock"
		sleep 5
		waited=$((waited + 5))
	done
}

install_missing_packages() {
	local missing=("$@")
	[ ${#missing[@]} -gt 0 ] || return 0
	wait_for_package_lock
	log "installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# The lock timeout also covers an apt that starts between our check and our own call.
	local apt=(apt-get -o DPkg::Lock::Timeout="$lock_wait")
	"${apt[@]}" update -qq
	# docker.io and containerd would start system-wide daemons as root; the tests run their own, rootless.
	# policy-rc.d exiting 101 makes invoke-rc.d and deb-systemd-invoke skip every start during the install.
	local policy=/usr/sbin/policy-rc.d own_policy=""
	if [ ! -e "$policy" ]; then
		own_policy=$policy
		printf '#!/bin/sh\nexit 101\n' >"$policy"
		chmod 755 "$policy"
	fi
	"${apt[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || {
		[ -z "$own_policy" ] || rm -f "$own_policy"
		return 1
	}
	[ -z "$own_policy" ] || rm -f "$own_policy"
}

# Sub-id ranges must not overlap anyone else's (newuidmap rejects overlaps): start past the highest range in use.
next_free_subid() {
	awk -F: 'NF == 3 && $2 + $3 > max { max = $2 + $3 } END { print (max > 100000 ? max : 100000) }' \
		/etc/subuid /etc/subgid
}

ensure_user() {
	local user=$1
	if ! id "$user" >/dev/null 2>&1; then
		log "creating user $user"
		useradd --create-home --shell /bin/sh "$user"
	fi
}

has_subids() {
	local user=$1 file=$2 uid
	uid=$(id -u "$user")
	grep -Eq "^($user|$uid):" "$file" 2>/dev/null
}

ensure_subids() {
	local user=$1 file start
	touch /etc/subuid /etc/subgid
	for file in /etc/subuid /etc/subgid; do
		if ! has_subids "$user" "$file"; then
			start=$(next_free_subid)
			log "adding $user:$start:65536 to $file"
			echo "$user:$start:65536" >>"$file"
		fi
	done
}

remove_subids() {
	local user=$1 file uid
	uid=$(id -u "$user")
	for file in /etc/subuid /etc/subgid; do
		if has_subids "$user" "$file"; then
			log "removing $user's ranges from $file"
			sed -i -E "/^($user|$uid):/d" "$file"
		fi
	done
}

enable_user_namespaces() {
	# Debian's switch for unprivileged user namespaces (on by default since bookworm, but images may turn it off).
	local knob=/proc/sys/kernel/unprivileged_userns_clone
	if [ -e "$knob" ] && [ "$(cat "$knob")" != 1 ]; then
		log "enabling unprivileged user namespaces"
		echo 1 >"$knob"
	fi
	if [ "$(cat /proc/sys/user/max_user_namespaces)" -lt 1024 ]; then
		log "raising user.max_user_namespaces"
		echo 15000 >/proc/sys/user/max_user_namespaces
	fi
}

open_tun() {
	if [ ! -c /dev/net/tun ]; then
		log "creating /dev/net/tun"
		mkdir -p /dev/net
		mknod -m 0666 /dev/net/tun c 10 200
	fi
	if [ "$(stat -c %a /dev/net/tun)" != 666 ]; then
		log "making /dev/net/tun mode 0666"
		chmod 0666 /dev/net/tun
	fi
}

# Unprivileged ping sockets, which usernet uses for ICMP echo: the kernel default "1 0" allows no group;
# systemd-based distributions ship "0 2147483647" (sysctl.d/50-default.conf), which is what users have.
allow_ping_sockets() {
	if [ "$(cat /proc/sys/net/ipv4/ping_group_range)" != "$(printf '0\t2147483647')" ]; then
		log "allowing unprivileged ping sockets (net.ipv4.ping_group_range)"
		echo "0 2147483647" >/proc/sys/net/ipv4/ping_group_range
	fi
}

# lxc-net: the bridge lxcbr0 (10.0.3.1/24 on Debian) with a dnsmasq that hands out 10.0.3.2-254 by DHCP, which
# --net=lxc-user-nic attaches the namespace to. Debian ships it off (USE_LXC_BRIDGE="false"); its init script
# starts it without systemd. The test user may add veths to it through lxc-user-nic (/etc/lxc/lxc-usernet).
lxc_net_config=/etc/default/lxc-net
lxc_net_script=/usr/libexec/lxc/lxc-net
lxc_usernet=/etc/lxc/lxc-usernet
lxc_bridge=lxcbr0
lxc_user_nics=10
# LxcUserNicIT makes this bridge itself, with a DHCP server of its own (short leases) or none, for the duration of a
# test; the test user may add veths to it.
lxc_test_bridge=rjlxctest0

lxc_bridge_enabled() {
	grep -qx 'USE_LXC_BRIDGE="true"' "$lxc_net_config" 2>/dev/null
}

lxc_bridge_up() {
	[ -e /run/lxc/network_up ] && ip link show "$lxc_bridge" >/dev/null 2>&1 &&
		kill -0 "$(cat /run/lxc/dnsmasq.pid 2>/dev/null)" 2>/dev/null
}

lxc_user_allowed() {
	local bridge=${1:-$lxc_bridge}
	grep -Eq "^$test_user[[:space:]]+veth[[:space:]]+$bridge[[:space:]]+[0-9]+" "$lxc_usernet" 2>/dev/null
}

setup_lxc_net() {
	if ! lxc_bridge_enabled; then
		log "enabling the LXC bridge in $lxc_net_config (USE_LXC_BRIDGE=\"true\")"
		if grep -q '^USE_LXC_BRIDGE=' "$lxc_net_config" 2>/dev/null; then
			sed -i 's/^USE_LXC_BRIDGE=.*/USE_LXC_BRIDGE="true"/' "$lxc_net_config"
		else
			echo 'USE_LXC_BRIDGE="true"' >>"$lxc_net_config"
		fi
	fi
	if ! lxc_bridge_up; then
		log "starting lxc-net ($lxc_bridge and its dnsmasq)"
		# A half-started lxc-net (bridge without dnsmasq) refuses to start again: stop it first.
		[ ! -e /run/lxc/network_up ] || "$lxc_net_script" stop >/dev/null 2>&1 || true
		"$lxc_net_script" start
	fi
	local bridge
	for bridge in "$lxc_bridge" "$lxc_test_bridge"; do
		if ! lxc_user_allowed "$bridge"; then
			log "allowing $test_user $lxc_user_nics veths on $bridge in $lxc_usernet"
			mkdir -p "$(dirname "$lxc_usernet")"
			echo "$test_user veth $bridge $lxc_user_nics" >>"$lxc_usernet"
		fi
	done
}

# What would change, one line each, before anything is done.
planned_changes() {
	local missing user file
	mapfile -t missing < <(missing_packages)
	[ ${#missing[@]} -eq 0 ] || echo "install Debian packages: ${missing[*]} (apt-get; daemons are not started)"
	for user in "$test_user" "$nosub_user"; do
		id "$user" >/dev/null 2>&1 || echo "create user $user (useradd --create-home)"
	done
	for file in /etc/subuid /etc/subgid; do
		if ! id "$test_user" >/dev/null 2>&1 || ! has_subids "$test_user" "$file"; then
			echo "add a 65536-id range for $test_user to $file"
		fi
		if id "$nosub_user" >/dev/null 2>&1 && has_subids "$nosub_user" "$file"; then
			echo "remove $nosub_user's ranges from $file"
		fi
	done
	local knob=/proc/sys/kernel/unprivileged_userns_clone
	if [ -e "$knob" ] && [ "$(cat "$knob")" != 1 ]; then echo "set kernel.unprivileged_userns_clone=1"; fi
	[ "$(cat /proc/sys/user/max_user_namespaces)" -ge 1024 ] || echo "set user.max_user_namespaces=15000"
	if [ ! -c /dev/net/tun ]; then
		echo "create /dev/net/tun, mode 0666"
	elif [ "$(stat -c %a /dev/net/tun)" != 666 ]; then
		echo "chmod 0666 /dev/net/tun (now $(stat -c %a /dev/net/tun))"
	fi
	[ "$(cat /proc/sys/net/ipv4/ping_group_range)" = "$(printf '0\t2147483647')" ] ||
		echo "set net.ipv4.ping_group_range=\"0 2147483647\" (unprivileged ping sockets)"
	lxc_bridge_enabled || echo "set USE_LXC_BRIDGE=\"true\" in $lxc_net_config"
	lxc_bridge_up || echo "start lxc-net: bridge $lxc_bridge with its dnsmasq ($lxc_net_script start)"
	lxc_user_allowed || echo "allow $test_user $lxc_user_nics veths on $lxc_bridge in $lxc_usernet"
	lxc_user_allowed "$lxc_test_bridge" ||
		echo "allow $test_user $lxc_user_nics veths on $lxc_test_bridge (made by LxcUserNicIT) in $lxc_usernet"
}

mapfile -t changes < <(planned_changes)
if [ ${#changes[@]} -eq 0 ]; then
	log "nothing to install or change on this machine"
else
	log "this machine needs these changes for the tests:"
	printf '  - %s\n' "${changes[@]}"
fi
$dry_run && exit 0

mapfile -t missing < <(missing_packages)
install_missing_packages "${missing[@]}"
ensure_user "$test_user"
ensure_subids "$test_user"
ensure_user "$nosub_user"
remove_subids "$nosub_user"
enable_user_namespaces
open_tun
allow_ping_sockets
setup_lxc_net
log "ready: test user $test_user ($(grep -E "^($test_user|$(id -u "$test_user")):" /etc/subuid | tr '\n' ' ')), user without sub-ids $nosub_user"
