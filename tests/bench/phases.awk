# Per-step times of `nook run` and of the unshare floor, from `perf trace`
# output of many runs of both (tests/bench/run.sh, "where the time goes").
# Each step runs from one syscall of nook (P) or of its container init (C)
# to the next marker; the table prints the median over the runs, in ms.
# Markers: P's first brk (start), its first two successful mkdirs (state
# dir, first cgroup), clone3; C's first mount, pivot_root, the end of
# umount2 (the old root detached), its last sendmsg before execve ("created"),
# seccomp(SET_MODE_FILTER) of the program, execve, exit_group; P's wait4
# that reaps C, the end of its last rmdir (the state dir), its exit_group.
# The floor: unshare's first brk, unshare(2), the child's execve and
# exit_group, the parent's wait4 and exit_group.

function median(name,    n, i, j, t, a) {
	n = cnt[name]
	for (i = 1; i <= n; i++) a[i] = val[name, i]
	for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function add(name, v) { if (!(name in seen)) { seen[name] = 1; order[++norder] = name } val[name, ++cnt[name]] = v }

# "   12.345 ( 0.012 ms): comm/pid syscall(args) = ret"
$1 != "?" && match($0, /^ *[0-9.]+ \( *[0-9.]* *(ms)?\): [^ ]+\/[0-9]+ /) {
	t = $1 + 0
	d = $0; sub(/^ *[0-9.]+ \( */, "", d); d = (d ~ /^[0-9.]+ ms/) ? d + 0 : 0
	who = $0; sub(/^ *[0-9.]+ \([^)]*\): /, "", who); sub(/ .*/, "", who)
	comm = who; sub(/\/.*/, "", comm); pid = who; sub(/.*\//, "", pid)
	rest = $0; sub(/^ *[0-9.]+ \([^)]*\): [^ ]+ +/, "", rest); sub(/^\.\.\. \[continued\]: /, "", rest)
	sc = rest; sub(/\(.*/, "", sc)
	ret = rest; if (!sub(/.*\) += /, "", ret)) ret = ""
	n = ++nev[pid]; T[pid, n] = t; D[pid, n] = d; S[pid, n] = sc; R[pid, n] = ret; A[pid, n] = rest
	if (!(pid in COMM)) { COMM[pid] = comm; pids[++npids] = pid }
	if ((sc == "clone3" || sc == "clone") && ret ~ /^[0-9]+/) { c = ret + 0; PARENT[c] = pid; CHILD[pid] = c }
}

function ev(p, name, k,    i, m) { m = 0; for (i = 1; i <= nev[p]; i++) if (S[p, i] == name && ++m == k) return i; return 0 }
function last_before(p, name, lim,    i, r) { r = 0; for (i = 1; i <= nev[p] && T[p, i] < lim; i++) if (S[p, i] == name) r = i; return r }

END {
	for (k = 1; k <= npids; k++) {
		p = pids[k]
		if (p in PARENT || !(p in CHILD)) continue
		c = CHILD[p]
		b = ev(p, "brk", 1); if (!b) continue
		t0 = T[p, b]
		if (COMM[p] ~ /^nook/) {
			sd = cg = 0
			for (i = 1; i <= nev[p]; i++) if (S[p, i] == "mkdir" && R[p, i] == "0") { if (!sd) sd = i; else if (!cg) cg = i }
			cl = ev(p, "clone3", 1); mn = ev(c, "mount", 1); pv = ev(c, "pivot_root", 1); um = ev(c, "umount2", 1)
			ex = ev(c, "execve", 1); eg = ev(c, "exit_group", 1); pe = ev(p, "exit_group", 1)
			sec = 0; for (i = 1; i <= nev[c]; i++) if (S[c, i] == "seccomp" && A[c, i] ~ /op: FILTER, uargs/) sec = i
			if (!(sd && cg && cl && mn && pv && um && ex && eg && pe && sec)) continue
			cr = last_before(c, "sendmsg", T[c, ex])
			w = 0; for (i = 1; i <= nev[p]; i++) if (S[p, i] == "wait4" && R[p, i] ~ ("^" c "( |$)")) w = i
			rm = 0; for (i = 1; i <= nev[p]; i++) if (S[p, i] == "rmdir") rm = i
			if (!(cr && w && rm)) continue
			runs++
			add("n1 nook starts: exec, libraries, config.json read, parsed and checked", T[p, sd] - t0)
			add("n2 state dir made, config.json stored, resources.json written", T[p, cg] - T[p, sd])
			add("n3 cgroups made in every hierarchy and limits written, exec.fifo, seccomp program from the cache", T[p, cl] - T[p, cg])
			add("n4 clone3 with the new namespaces; the init joins its cgroups, setsid, hostname, lo up", T[c, mn] - T[p, cl])
			add("n5 root, /proc, /dev, /sys and the cgroup binds mounted", T[c, pv] - T[c, mn])
			add("n6 pivot_root, the old root detached (the kernel waits for an RCU grace period)", T[c, um] + D[c, um] - T[c, pv])
			add("n7 readonly and masked paths, cwd, rlimits; the init reports created", T[c, cr] - T[c, um] - D[c, um])
			add("n8 nook writes state.json and commits; start through exec.fifo; capabilities", T[c, sec] - T[c, cr])
			add("n9 the seccomp program loaded (the kernel checks, converts and JITs it)", T[c, ex] - T[c, sec])
			add("na execve of the process, it runs and exits", T[c, eg] - T[c, ex])
			add("nb exit teardown (memory, namespaces); nook reaps it", T[p, w] + D[p, w] - T[c, eg])
			add("nc nook kills what is left, removes the cgroups and the state dir", T[p, rm] + D[p, rm] - T[p, w] - D[p, w])
			add("nd nook exits", T[p, pe] - T[p, rm] - D[p, rm])
			add("nz total (first brk to exit_group)", T[p, pe] - t0)
		} else if (COMM[p] == "unshare") {
			u = ev(p, "unshare", 1); ex = ev(c, "execve", 1); eg = ev(c, "exit_group", 1); pe = ev(p, "exit_group", 1)
			w = 0; for (i = 1; i <= nev[p]; i++) if (S[p, i] == "wait4" && R[p, i] ~ ("^" c "( |$)")) w = i
			if (!(u && ex && eg && pe && w)) continue
			fruns++
			add("f1 unshare starts: exec, libraries", T[p, u] - t0)
			add("f2 unshare(2): the new namespaces", D[p, u])
			add("f3 fork, the child execs the process", T[c, ex] - T[p, u] - D[p, u])
			add("f4 execve of the process, it runs and exits", T[c, eg] - T[c, ex])
			add("f5 exit teardown (memory, namespaces); unshare reaps it", T[p, w] + D[p, w] - T[c, eg])
			add("f6 unshare exits", T[p, pe] - T[p, w] - D[p, w])
			add("fz total (first brk to exit_group)", T[p, pe] - t0)
		}
	}
	printf "nook run (default config, seccomp cached): median of %d runs, ms\n", runs
	for (k = 1; k <= norder; k++) if (order[k] ~ /^n/) printf "  %7.3f  %s\n", median(order[k]), substr(order[k], 4)
	printf "floor (unshare, same namespaces): median of %d runs, ms\n", fruns
	for (k = 1; k <= norder; k++) if (order[k] ~ /^f/) printf "  %7.3f  %s\n", median(order[k]), substr(order[k], 4)
}
