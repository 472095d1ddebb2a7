#!/bin/sh
# Initialises PGDATA on first start from POSTGRES_USER, POSTGRES_PASSWORD and POSTGRES_DB (as
# the official image does), then runs postgres in the foreground as PID 1.
set -eu
: "${POSTGRES_USER:=postgres}"
: "${POSTGRES_DB:=$POSTGRES_USER}"
socket=/var/run/postgresql
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  : "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must be set}"
  mkdir -p "$PGDATA"
  chmod 700 "$PGDATA"
  pwfile="$(mktemp)"
  printf '%s' "$POSTGRES_PASSWORD" >"$pwfile"
  initdb -D "$PGDATA" -U "$POSTGRES_USER" --pwfile="$pwfile" -E UTF8 \
    --auth-local=trust --auth-host=scram-sha-256
  rm -f "$pwfile"
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  if [ "$POSTGRES_DB" != "postgres" ]; then
    pg_ctl -D "$PGDATA" -w -o "-c listen_addresses='' -c unix_socket_directories=$socket" start
    # The name goes in as a psql variable, quoted by psql (:"db"), never spliced into SQL;
    # psql expands variables only in what it reads, not in -c.
    echo 'CREATE DATABASE :"db"' |
      psql -v ON_ERROR_STOP=1 -h "$socket" -U "$POSTGRES_USER" -d postgres -v db="$POSTGRES_DB"
    pg_ctl -D "$PGDATA" -w -m fast stop
  fi
fi
exec postgres -D "$PGDATA" -c listen_addresses='*' -c unix_socket_directories="$socket"
