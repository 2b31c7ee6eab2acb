# shellcheck shell=bash
# Helpers for escape.bats, the attack tests of issue 3 ("Escape hardening").
# Loaded after helpers.bash.

# Every capability name up to the running kernel's last one, as a JSON array.
all_caps_json() {
	local names=(CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID
		SETPCAP LINUX_IMMUTABLE NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW
		IPC_LOCK IPC_OWNER SYS_MODULE SYS_RAWIO SYS_CHROOT SYS_PTRACE SYS_PACCT
		SYS_ADMIN SYS_BOOT SYS_NICE SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE
		AUDIT_WRITE AUDIT_CONTROL SETFCAP MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM
		BLOCK_SUSPEND AUDIT_READ PERFMON BPF CHECKPOINT_RESTORE)
	local last i out=()
	last=$(cat /proc/sys/kernel/cap_last_cap)
	for ((i = 0; i <= last && i < ${#names[@]}; i++)); do
		out+=("CAP_${names[i]}")
	done
	printf '%s\n' "${out[@]}" | jq -R . | jq -s -c .
}

# The container's process gets every capability in all sets but ambient.
give_all_caps() {
	cfg '.process.capabilities = {bounding: $c, effective: $c, permitted: $c}' \
		--argjson c "$(all_caps_json)"
}

# A user namespace that maps container ids to the same host ids: the
# container's root is host uid 0 again, so the kernel's uid checks do not
# separate it from nook's processes; only what nook does about it does.
identity_userns() {
	add_namespace user
	cfg '.linux.uidMappings = [{containerID: 0, hostID: 0, size: 65536}]
	   | .linux.gidMappings = [{containerID: 0, hostID: 0, size: 65536}]'
}

# bind_dev_from DIR: the container's /dev is a bind mount of DIR (a directory
# the image or another container controls), so nook makes no nodes in it.
bind_dev_from() {
	local dir=$1
	mkdir -p "$dir/pts" "$dir/shm" "$dir/mqueue"
	# The real null device and ptmx link a /dev needs for the rest to work.
	[ -e "$dir/null" ] || [ -L "$dir/null" ] || mknod -m 666 "$dir/null" c 1 3
	[ -L "$dir/ptmx" ] || ln -s pts/ptmx "$dir/ptmx"
	cfg '.mounts = [.mounts[] | if .destination == "/dev"
		then {destination: "/dev", type: "bind", source: $s, options: ["rbind", "nosuid"]}
		else . end]' --arg s "$dir"
}

# The container's init pid in the host's pid namespace.
init_pid() {
	state_field "$1" pid
}

# in_netns ID COMMAND...: run a host command in the container's network
# namespace (its /proc/sys/net shows that namespace's values).
in_netns() {
	local id=$1
	shift
	nsenter -t "$(init_pid "$id")" -n "$@"
}
