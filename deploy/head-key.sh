#!/bin/bash
# head-key.sh DIR [SUBJECT] - a head's EDS key as the national certifying centre issues it, for
# development: DIR/head.p12 (PKCS#12, RSA-2048, the CA's certificate inside), its password in
# DIR/head.pass, under a CA of its own (DIR/ca.pem, DIR/ca.key). Made once: an existing key is
# kept. SUBJECT is the signer's, e.g. '/C=KZ/CN=ЖАҚСЫБЕКОВ ЕРЛАН/serialNumber=IIN750302400122'.
set -euo pipefail
dir=$1
subject=${2:-/C=KZ/CN=ЖАҚСЫБЕКОВ ЕРЛАН/SN=ЖАҚСЫБЕКОВ/GN=МАРАТҰЛЫ/serialNumber=IIN750302400122}
mkdir -p "$dir"
cd "$dir"
[ -s head.p12 ] && [ -s head.pass ] && [ -s ca.pem ] && exit 0
openssl req -x509 -newkey rsa:2048 -nodes -days 365 -keyout ca.key -out ca.pem \
  -subj '/C=KZ/O=Development NCA/CN=Development NCA' \
  -addext basicConstraints=critical,CA:TRUE 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout head.key -out head.csr -utf8 -subj "$subject" 2>/dev/null
openssl x509 -req -in head.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 365 \
  -out head.pem 2>/dev/null
pass=$(openssl rand -hex 12)
(umask 077 && printf '%s\n' "$pass" >head.pass.tmp)
openssl pkcs12 -export -inkey head.key -in head.pem -certfile ca.pem -out head.p12.tmp \
  -passout "pass:$pass"
mv head.pass.tmp head.pass
mv head.p12.tmp head.p12
