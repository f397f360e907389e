#!/bin/bash
# test-pkcs11.sh - TAP tests of kml-stamp --key pkcs11:URI with a software
# token (SoftHSM 2, reached by OpenSSL's pkcs11 engine through p11-kit):
# the trusted key is imported into a fresh token, a program is stamped
# with it and verifies; a wrong PIN, a missing object, no --cert and an
# OpenSSL without any pkcs11 provider or engine fail with a clear message,
# exit 2, and the file untouched.
# Environment: STAMP KEY CERT (set by selftests/check.sh).
set -uo pipefail
: "${STAMP:?}" "${KEY:?}" "${CERT:?}"
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
n=0
ok() { n=$((n + 1)); if [ "$1" -eq 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; fi; }
note() { sed 's/^/#   /'; }
# fails CODE TEXT CMD...: CMD exits with CODE, says TEXT, leaves $t/app alone
fails() {
	local code=$1 text=$2 rc
	shift 2
	cp "$t/app" "$t/before"
	"$@" > "$t/out" 2> "$t/err"
	rc=$?
	if [ $rc -ne "$code" ] || ! grep -qF -- "$text" "$t/err" || ! cmp -s "$t/app" "$t/before"; then
		echo "# wanted exit $code and \"$text\", file untouched; got exit $rc:"; note < "$t/err"
		return 1
	fi
}

echo "TAP version 13"
echo "1..7"
export SOFTHSM2_CONF=$t/softhsm2.conf
mkdir -p "$t/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$t/tokens" > "$SOFTHSM2_CONF"
openssl pkey -in "$KEY" -out "$t/key.pem" 2>/dev/null
softhsm2-util --init-token --free --label kml-test --pin 1234 --so-pin 5678 > "$t/log" 2>&1 &&
	softhsm2-util --import "$t/key.pem" --token kml-test --label kml-key --id 4b4d --pin 1234 >> "$t/log" 2>&1
ok $? "SoftHSM token made, the trusted key imported"
note < "$t/log"
rm -f "$t/key.pem"	# from here on the key is only on the token

cat > "$t/app.c" <<'C'
int main(void) { return 0; }
C
cc -O2 -o "$t/app" "$t/app.c" -Wl,-T,"$(dirname "$0")/../../elfnote/kml.ld"
cp "$t/app" "$t/app.reserved"
uri='pkcs11:token=kml-test;object=kml-key;type=private'
"$STAMP" --key "$uri?pin-value=1234" --cert "$CERT" "$t/app" > "$t/out" 2> "$t/err" &&
	"$STAMP" --verify --cert "$CERT" "$t/app" > /dev/null 2>> "$t/err"
ok $? "kml-stamp --key '$uri?pin-value=...' --cert CERT: stamped, verifies"
note < "$t/err"
cp "$t/app.reserved" "$t/app2"
KML_KEY_PIN=1234 "$STAMP" --key "$uri" --cert "$CERT" "$t/app2" > /dev/null 2> "$t/err" &&
	"$STAMP" --verify --cert "$CERT" "$t/app2" > /dev/null 2>> "$t/err"
ok $? "the PIN from KML_KEY_PIN"
note < "$t/err"

fails 2 "cannot load private key $uri from its PKCS#11 token" \
	"$STAMP" --key "$uri?pin-value=9999" --cert "$CERT" "$t/app" &&
	! grep '^kml-stamp:' "$t/err" | grep -q 9999
ok $? "a wrong PIN: exit 2, a clear message (kml-stamp's own lines without the PIN), the file untouched"
fails 2 "cannot load private key pkcs11:token=kml-test;object=nope" \
	"$STAMP" --key "pkcs11:token=kml-test;object=nope;type=private?pin-value=1234" --cert "$CERT" "$t/app"
ok $? "an object that is not on the token: exit 2, clear message"
fails 2 "a pkcs11: key needs --cert CERT" "$STAMP" --key "$uri?pin-value=1234" "$t/app"
ok $? "a pkcs11: key without --cert: exit 2, clear message"
# OpenSSL that finds neither a provider nor an engine called pkcs11
fails 2 "OpenSSL has neither a pkcs11 provider nor a pkcs11 engine here" \
	env OPENSSL_ENGINES="$t/none" OPENSSL_MODULES="$t/none" \
	"$STAMP" --key "$uri?pin-value=1234" --cert "$CERT" "$t/app"
ok $? "no pkcs11 provider or engine: exit 2, says so"
