#!/usr/bin/env bash
# Make sure a PostgreSQL server answers on 127.0.0.1:5432 for the test run, starting the
# installed cluster if it is stopped. The tests create and drop their own database in it.
set -euo pipefail

ready() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }

if ! command -v pg_isready >/dev/null 2>&1; then
  echo "error: PostgreSQL is not installed; the suite runs on PostgreSQL too." >&2
  echo "  install it (sudo apt-get install -y postgresql) with trust auth for 127.0.0.1," >&2
  echo "  or point LMS_TEST_PG_URL at a server you have." >&2
  exit 1
fi
ready && exit 0
if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
  for version in /etc/postgresql/*; do
    echo "starting PostgreSQL $(basename "$version")"
    pg_ctlcluster --skip-systemctl-redirect "$(basename "$version")" main start || true
  done
fi
for _ in $(seq 1 30); do
  ready && exit 0
  sleep 1
done
echo "error: PostgreSQL does not answer on 127.0.0.1:5432" >&2
exit 1
