#!/usr/bin/env bash
# The classroom hub with 300 students on loopback and 10 more, each on a host of its own: a
# network namespace with its own address (10.77.N.2), joined to the hub's namespace by a veth
# pair. Run inside `unshare -Urnm` (a user, network and mount namespace of the test's own), so
# nothing here touches the machine's network. Prints the hub's summary as JSON.
#   class_namespaces.sh SOCKLAB STUDENTS.py
set -euo pipefail
socklab=$1
students=$2
mount -t tmpfs none /run
mkdir -p /run/netns
ip link set lo up
for n in $(seq 1 10); do
  ip netns add "s$n"
  ip link add "h$n" type veth peer name "p$n" netns "s$n"
  ip addr add "10.77.$n.1/24" dev "h$n"
  ip link set "h$n" up
  ip -n "s$n" addr add "10.77.$n.2/24" dev "p$n"
  ip -n "s$n" link set lo up
  ip -n "s$n" link set "p$n" up
done
"$socklab" class --headless --listen 0.0.0.0:7070 --code ROOM --max 400 > /dev/null &
hub=$!
trap 'kill $hub 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  python3 -c "import socket; socket.create_connection(('127.0.0.1', 7070), timeout=1).close()" 2>/dev/null && break
  sleep 0.05
done
pids=()
python3 "$students" students 127.0.0.1 7070 ROOM 300 0 3 > loopback.out & pids+=($!)
for n in $(seq 1 10); do
  ip netns exec "s$n" python3 "$students" students "10.77.$n.1" 7070 ROOM 1 $((299 + n)) 3 > "ns$n.out" & pids+=($!)
done
sleep 1.5
python3 "$students" watch 127.0.0.1 7070 ROOM
for pid in "${pids[@]}"; do wait "$pid"; done
cat loopback.out ns*.out >&2
