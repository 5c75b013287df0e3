#!/bin/sh
# Makes the certificates the TLS tests use, into build/tls-certs/ of the repository (run by
# tests/run.py for every test with "# setup: .../_make_certs.sh", once per run; it may be run
# from anywhere: sh tests/io/tls/_make_certs.sh).
# They are made at test time and never committed: each is valid for two days, and they are made
# again when older than 12 hours.
#
#   server.pem, server.key   self-signed, CN=localhost, valid for localhost and 127.0.0.1
#   other.pem, other.key     another self-signed certificate (CN=other.example)
#   server.enc.key           server.key encrypted with the pass phrase "sesame"
#
# EC keys (P-256): making them takes milliseconds, where RSA keys can take a second.
# Files are written under temporary names and renamed, so a run of the suite in parallel
# never sees half a file.
set -e
out="$(dirname "$0")/../../../build/tls-certs"
mkdir -p "$out"
cd "$out"
if [ -n "$(find server.enc.key -mmin -720 2>/dev/null)" ] && [ -f other.pem ]; then exit 0; fi
make_cert() { # name subject alt-names
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
        -subj "$2" -addext "subjectAltName=$3" \
        -keyout "$1.key.$$" -out "$1.pem.$$" 2>/dev/null
    mv "$1.key.$$" "$1.key"
    mv "$1.pem.$$" "$1.pem"
}
make_cert server /CN=localhost DNS:localhost,IP:127.0.0.1
make_cert other /CN=other.example DNS:other.example
openssl ec -in server.key -aes256 -passout pass:sesame -out server.enc.key.$$ 2>/dev/null
mv server.enc.key.$$ server.enc.key
