#!/bin/sh
# Writes /etc/cassandra from the environment, as the official image's entrypoint does, then runs
# Cassandra in the foreground as PID 1 (SIGTERM drains it).
set -eu
conf=/etc/cassandra
home=/usr/share/cassandra
data=/var/lib/cassandra

: "${CASSANDRA_LISTEN_ADDRESS:=auto}"
if [ "$CASSANDRA_LISTEN_ADDRESS" = auto ]; then
  # The pod's address, from the hosts file the kubelet writes.
  CASSANDRA_LISTEN_ADDRESS="$(hostname -i | cut -d' ' -f1)"
fi
: "${CASSANDRA_BROADCAST_ADDRESS:=$CASSANDRA_LISTEN_ADDRESS}"
: "${CASSANDRA_BROADCAST_RPC_ADDRESS:=$CASSANDRA_BROADCAST_ADDRESS}"
: "${CASSANDRA_SEEDS:=$CASSANDRA_BROADCAST_ADDRESS}"
: "${CASSANDRA_CLUSTER_NAME:=Test Cluster}"
: "${CASSANDRA_NUM_TOKENS:=16}"
: "${CASSANDRA_ENDPOINT_SNITCH:=SimpleSnitch}"
: "${CASSANDRA_DC:=datacenter1}"
: "${CASSANDRA_RACK:=rack1}"
: "${MAX_HEAP_SIZE:=1G}"
: "${HEAP_NEWSIZE:=256M}"

# Values are quoted for YAML; a double quote in one would end the string early.
for value in "$CASSANDRA_CLUSTER_NAME" "$CASSANDRA_SEEDS"; do
  case "$value" in *'"'* | *'\'*)
    echo "cassandra-entrypoint: quotes and backslashes are not allowed in $value" >&2
    exit 1
    ;;
  esac
done

cat >"$conf/cassandra.yaml" <<YAML
cluster_name: "$CASSANDRA_CLUSTER_NAME"
num_tokens: $CASSANDRA_NUM_TOKENS
allocate_tokens_for_local_replication_factor: 3
partitioner: org.apache.cassandra.dht.Murmur3Partitioner
endpoint_snitch: $CASSANDRA_ENDPOINT_SNITCH
seed_provider:
  - class_name: org.apache.cassandra.locator.SimpleSeedProvider
    parameters:
      - seeds: "$CASSANDRA_SEEDS"
listen_address: $CASSANDRA_LISTEN_ADDRESS
broadcast_address: $CASSANDRA_BROADCAST_ADDRESS
rpc_address: 0.0.0.0
broadcast_rpc_address: $CASSANDRA_BROADCAST_RPC_ADDRESS
storage_port: 7000
native_transport_port: 9042
start_native_transport: true
authenticator:
  class_name: org.apache.cassandra.auth.AllowAllAuthenticator
authorizer:
  class_name: org.apache.cassandra.auth.AllowAllAuthorizer
data_file_directories:
  - $data/data
commitlog_directory: $data/commitlog
hints_directory: $data/hints
saved_caches_directory: $data/saved_caches
cdc_raw_directory: $data/cdc_raw
commitlog_sync: periodic
commitlog_sync_period: 10000ms
storage_compatibility_mode: NONE
YAML
printf 'dc=%s\nrack=%s\n' "$CASSANDRA_DC" "$CASSANDRA_RACK" >"$conf/cassandra-rackdc.properties"
cp "$home/logback.xml" "$conf/logback.xml"

jamm="$(ls "$home"/lib/jamm-*.jar)"
# JNA unpacks its native library into jna.tmpdir (else below the home, the data volume), and must
# be able to map it executable.
# Word splitting of the options file is wanted: one option per line, none with spaces.
# shellcheck disable=SC2046
exec java $(cat "$home/jvm.options") \
  "-Xms$MAX_HEAP_SIZE" "-Xmx$MAX_HEAP_SIZE" "-Xmn$HEAP_NEWSIZE" \
  "-javaagent:$jamm" \
  "-Djna.tmpdir=/tmp" \
  "-Dcassandra.config=file://$conf/cassandra.yaml" \
  "-Dcassandra.storagedir=$data" \
  "-Dcassandra.logdir=$data/logs" \
  -cp "$conf:$home/lib/*" \
  org.apache.cassandra.service.CassandraDaemon
