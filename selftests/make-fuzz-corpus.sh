#!/bin/bash
# make-fuzz-corpus.sh STAMP KEY OUTDIR - regenerate the fuzzer's seed corpus.
# The seeds are small (a 4 KiB static ELF) so libFuzzer mutates them quickly:
# reserved, stamped, and one seed per kind of damage the walker must survive.
# The output is committed in selftests/fuzz-corpus/; rerun after a format change.
# The guest runs the seeds too (mkcases.sh copies them to /kml/corpus/ and
# expects "stamped" to be refused as signed by an untrusted key): sign with a
# throw-away key, never with one a kernel trusts, e.g.
#   openssl req -new -x509 -nodes -batch -subj /CN=kml-fuzz -newkey rsa:2048 \
#       -keyout k.pem -out k.pem
# and add a case line to mkcases.sh for every new seed.
set -euo pipefail
stamp=$1 key=$2 out=$3
here=$(cd "$(dirname "$0")" && pwd)
t=$(mktemp -d); trap 'rm -rf "$t"' EXIT
gcc -nostdlib -static -Wl,-z,max-page-size=4096 -Wl,-z,norelro -o "$t/tiny" \
	"$here/fuzz-corpus-tiny.S" -Wl,-T,"$here/../elfnote/kml.ld"
strip -R .comment "$t/tiny"
mkdir -p "$out"
cp "$t/tiny" "$out/reserved"
cp "$t/tiny" "$out/stamped"; "$stamp" --key "$key" "$out/stamped" >/dev/null
n=$("$stamp" --show "$out/stamped" | sed -n 's/^note-offset: //p')
d=$("$stamp" --show "$out/stamped" | sed -n 's/^desc-offset: //p')
poke() { cp "$out/stamped" "$out/$1"; printf "$3" | dd of="$out/$1" bs=1 seek="$2" conv=notrunc status=none; }
poke descsz-huge $((n + 4)) '\xff\xff\xff\x7f'
poke descsz-small $((n + 4)) '\x0c\x04\x00\x00'
poke namesz-huge $n '\xff\xff\xff\xff'
poke type $((n + 8)) '\x02'
poke siglen-huge $((d + 12)) '\xff\xff\xff\xff'
poke siglen-zero $((d + 12)) '\x00\x00\x00\x00'
poke magic $d 'XMLSTAMP'
poke phnum 56 '\xff\xff'
poke phoff 32 '\xf0\xff\xff\xff\xff\xff\xff\xff'
head -c 300 "$out/stamped" > "$out/truncated"
