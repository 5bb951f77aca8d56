#!/usr/bin/env bash
# Rebuilds internal/server/testdata/v5/, the SQLite database and master key of
# a server at schema 5, the last with users.password_hash, for the test that
# opens it with the current code (TestMainV5DatabaseSignsInAfterMigrating).
#
# It builds the gatehouse binary of commit 3d84ab8 (main before the
# credentials table), creates the superadmin with `gatehouse admin create`,
# then serves and, through the REST API, creates ada@example.com with a
# password and nopw@example.com without one. Password hashing is cheap
# (t=1, 64 KiB) so that the test runs fast; the hashes carry their parameters.
#
# Usage: scripts/v5-fixture.sh   (from anywhere inside the repository; needs git, go, curl)
set -euo pipefail

COMMIT=3d84ab8
ADDR=127.0.0.1:18931
ADMIN_PASSWORD=Kq-13cdf-eef53 # the server tests' adminPassword
ADA_PASSWORD=Kq-v5-lamp-4417  # the test's v5Password

root=$(git rev-parse --show-toplevel)
out="$root/internal/server/testdata/v5"
work=$(mktemp -d)
trap 'kill "${pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT

git -C "$root" archive "$COMMIT" | tar -x -C "$work"
(cd "$work" && go build -o "$work/gatehouse" ./cmd/gatehouse)

rm -rf "$out"
mkdir -p "$out"
export GATEHOUSE_DATA_DIR="$out" GATEHOUSE_PASSWORD_TIME=1 GATEHOUSE_PASSWORD_MEMORY_KIB=64
echo "$ADMIN_PASSWORD" | "$work/gatehouse" admin create --email admin@example.com --password-stdin

"$work/gatehouse" serve --listen "$ADDR" --log-level warn &
pid=$!
until curl -fs "http://$ADDR/readyz" >/dev/null; do sleep 0.1; done
api() { curl -fsS -H 'Content-Type: application/json' ${token:+-H "Authorization: Bearer $token"} "http://$ADDR/api/v1/$1" -d "$2"; }
token=$(api auth/login "{\"email\":\"admin@example.com\",\"password\":\"$ADMIN_PASSWORD\"}" | sed 's/.*"access_token":"\([^"]*\)".*/\1/')
api users "{\"email\":\"ada@example.com\",\"name\":\"Ada\",\"password\":\"$ADA_PASSWORD\"}" >/dev/null
api users '{"email":"nopw@example.com","name":"No Password"}' >/dev/null
kill "$pid"
wait "$pid" || true
pid=
# The server checkpoints its WAL when it closes; nothing else is needed.
ls "$out"
