#!/bin/bash
# make test: every suite (unit, behaviour, the same under ASan+UBSan, the
# cgroup suite on this host, the v2 and v1 VM suites), each run even when an earlier one failed, then one
# line with the total over all of them. Exit status 1 if any suite failed.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${BUILD:-build}/test-results
rm -rf "$out"
mkdir -p "$out"

failed_stages=()
stage() {
	local name=$1
	shift
	echo "== $name: $*"
	"$@" 2>&1 | tee "$out/$name.log"
	[ "${PIPESTATUS[0]}" -eq 0 ] || failed_stages+=("$name")
}

stage unit make --no-print-directory unit
stage bats make --no-print-directory bats
stage oom make --no-print-directory oom-test
stage asan make --no-print-directory check-asan
stage cgroup make --no-print-directory cgroup-test
stage vm make --no-print-directory vm-test
stage vm-v1 make --no-print-directory vm-test-v1
stage integration make --no-print-directory integration
stage packaging make --no-print-directory package-test

# Unit binaries print "<name>: N passed, N failed"; bats prints TAP.
awk '
	/^[A-Za-z0-9_]+: [0-9]+ passed, [0-9]+ failed$/ { p += $2; f += $4; next }
	/^ok [0-9]+ .*# skip/ { s++; next }
	/^ok [0-9]+/ { p++; next }
	/^not ok [0-9]+/ { f++; next }
	END { printf "total: %d passed, %d failed, %d skipped\n", p, f, s }
' "$out"/*.log

if [ ${#failed_stages[@]} -gt 0 ]; then
	echo "failed suites: ${failed_stages[*]}"
	exit 1
fi
