#!/bin/bash
# kml-bench.sh - make bench: boot the guest five times and compare.
#
# Each boot runs samples/kml_bench twice, the unstamped and the stamped copy
# of the same static binary, then Debian's dd, sqlite3 and stress-ng, the
# unmodified copy and the one stamped with kml-stamp --add-note, each timed
# whole by samples/kml_time (tools/guest/kml-bench-guest, which /init runs
# for kml-qemu --mode bench; the image with those programs is
# build/initramfs-bench.cpio.gz, made by tools/mk-bench-programs.sh):
#
#   wall     KML kernel, wall-clock time under QEMU TCG (noisy)
#   icount   KML kernel with -icount shift=0: ns = guest instructions
#   pti      KML kernel with pti=on, wall clock
#   nokml    the CONFIG_KML=n kernel with -icount shift=0: the baseline for
#            "normal processes on the KML kernel cost what they cost without"
#   skylake  KML kernel with -icount shift=0 on -cpu Skylake-Client-v1, a
#            model the kernel takes for vulnerable: PTI, VERW, retpolines
#            and ITS thunks are on (build/bench/vulnerabilities-skylake.txt)
#
# Then tools/kml-census traces one getppid per way in, on -cpu max and
# Skylake-Client-v1, and classifies its instructions (census.{csv,md}).
#
# Writes build/bench/{raw.csv,summary.csv,summary.json,ratios.svg} and prints
# the tables.  Exit status 1 if a boot failed or an operation reported an
# error; never on timing.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
B=$top/build
out=$B/bench
kml=${KML_KERNEL:-$B/kobj/arch/x86/boot/bzImage}
nokml=$B/kobj-nokml/arch/x86/boot/bzImage
rm -rf "$out"
mkdir -p "$out"
bad=0

boot() {	# boot NAME KERNEL [kml-qemu options...]
	local name=$1 kernel=$2
	shift 2
	echo "== bench: $name boot" >&2
	if ! "$top/tools/kml-qemu" --mode bench --timeout 900 --log "$out/$name-console.log" \
		"$@" "$kernel" "$B/initramfs-bench.cpio.gz" > /dev/null 2>> "$out/qemu.err"; then
		echo "kml-bench: the $name boot failed (see $out/$name-console.log)" >&2
		bad=1
	fi
	tr -d '\r' < "$out/$name-console.log" | grep -E '^bench,' | sed "s/^bench,/$name,/" \
		>> "$out/raw.csv"
	# The path taken by the stamped copy's calls: fast or full.
	tr -d '\r' < "$out/$name-console.log" | grep -E '^path,' | sed "s/^path,/$name,/" \
		>> "$out/paths.csv"
	if grep -E '^bench,.*,error,' "$out/$name-console.log" >&2; then
		bad=1
	fi
}

echo "boot,copy,operation,ns_per_op,iterations" > "$out/raw.csv"
echo "boot,copy,operation,calls,full_path" > "$out/paths.csv"
boot wall "$kml"
boot icount "$kml" --icount
boot pti "$kml" --append pti=on
boot nokml "$nokml" --icount
boot skylake "$kml" --icount --cpu Skylake-Client-v1
tr -d '\r' < "$out/skylake-console.log" |
	sed -n 's|^bench-vuln: /sys/devices/system/cpu/vulnerabilities/||p' \
	> "$out/vulnerabilities-skylake.txt"

# summary.csv: one row per (boot, operation) with both copies and the ratio
# stamped/unstamped; for nokml, the unstamped copy on the KML kernel
# (icount boot) over the same copy on the CONFIG_KML=n kernel.
awk -F, '
	NR == 1 { next }
	$4 == "error" { next }
	{ v[$1 "," $3 "," $2] = $4; if (!($3 in seen)) { seen[$3] = 1; ops[++n] = $3 } }
	END {
		print "boot,operation,unstamped_ns,stamped_ns,ratio"
		split("wall icount pti skylake", boots, " ")
		for (b = 1; b <= 4; b++)
			for (i = 1; i <= n; i++) {
				u = v[boots[b] "," ops[i] ",unstamped"]
				s = v[boots[b] "," ops[i] ",stamped"]
				if (u != "" && s != "" && u > 0)
					printf "%s,%s,%s,%s,%.3f\n", boots[b], ops[i], u, s, s / u
			}
		for (i = 1; i <= n; i++) {
			u = v["nokml," ops[i] ",unstamped"]
			k = v["icount," ops[i] ",unstamped"]
			if (u != "" && k != "" && u > 0)
				printf "nokml-vs-kml,%s,%s,%s,%.3f\n", ops[i], u, k, k / u
		}
	}' "$out/raw.csv" > "$out/summary.csv"

# summary.json: the same rows.
awk -F, 'NR == 1 { next }
	{ printf "%s{\"boot\":\"%s\",\"operation\":\"%s\",\"unstamped_ns\":%s,\"stamped_ns\":%s,\"ratio\":%s}",
		(NR > 2 ? ",\n " : "[\n "), $1, $2, $3, $4, $5 }
	END { print "\n]" }' "$out/summary.csv" > "$out/summary.json"

# ratios.svg: one horizontal bar per (boot, operation); 1.0 marked.
awk -F, 'NR == 1 { next }
	{ row[++n] = $0 }
	END {
		w = 760; h = 30 + 18 * n; x0 = 300; scale = 300
		printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"monospace\" font-size=\"11\">\n", w, h
		printf "<text x=\"4\" y=\"14\">stamped / unstamped (nokml-vs-kml: KML kernel / CONFIG_KML=n), 1.0 = no change</text>\n"
		for (i = 1; i <= n; i++) {
			split(row[i], f, ",")
			y = 24 + 18 * (i - 1)
			r = f[5] + 0; bw = r * scale; if (bw > w - x0 - 60) bw = w - x0 - 60
			printf "<text x=\"4\" y=\"%d\">%s %s</text>\n", y + 11, f[1], f[2]
			printf "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"13\" fill=\"%s\"/>\n", x0, y, bw, (r < 1 ? "#3a7" : "#c55")
			printf "<text x=\"%.1f\" y=\"%d\">%.3f</text>\n", x0 + bw + 4, y + 11, r
		}
		printf "<line x1=\"%d\" y1=\"20\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>\n", x0 + scale, x0 + scale, h
		print "</svg>"
	}' "$out/summary.csv" > "$out/ratios.svg"

echo
echo "ns per operation (icount: guest instructions), stamped vs unstamped copy, same boot:"
printf '%-8s %-30s %14s %14s %8s\n' boot operation unstamped stamped ratio
awk -F, 'NR > 1 { printf "%-8s %-30s %14s %14s %8s\n", $1, $2, $3, $4, $5 }' "$out/summary.csv"
echo
echo "skylake boot, /sys/devices/system/cpu/vulnerabilities:"
sed 's/^/  /' "$out/vulnerabilities-skylake.txt"

echo
echo "instruction census of one getppid (tools/kml-census):"
"$top/tools/kml-census" --out "$out" "$kml" || bad=1
echo
echo "files: $out/{raw.csv,paths.csv,summary.csv,summary.json,ratios.svg,census.csv,census.md}"
exit $bad
