#!/usr/bin/env bash
# Multi-site testbed: a hub and two sites (dijon, thory) in network namespaces, linked by
# userspace WireGuard (wireguard-go) over veth "internet" links that exist only inside the
# namespaces. Needs root.
#
#   testbed.sh up                  create everything (removes leftovers of a crashed run first);
#                                  SBTB_HUBS=2 adds a second hub (sbhub2) with its own links and
#                                  WireGuard peers to every site
#   testbed.sh down                remove everything; idempotent
#   testbed.sh cut blackhole SITE [HUB]
#                                  silent cut: the hub (sbhub unless HUB) drops every packet
#                                  to/from the site's /24; the other hub, if any, keeps the site
#   testbed.sh cut off SITE        the site's tunnel and every process in its namespace are gone
#   testbed.sh heal SITE           undo either cut (processes killed by "off" are not restarted)
#   testbed.sh isolate HUB         the hub's namespace loses every link (its VPS is gone from the
#                                  network; its processes keep running, unreachable)
#   testbed.sh delay on SITE MIN_MS MAX_MS
#                                  every datagram from the site to the hub is held a uniformly
#                                  random MIN..MAX ms (netem is not available): delay_relay.py in
#                                  the site's namespace carries the site's WireGuard traffic
#   testbed.sh delay off SITE      back to the direct path, relay stopped
#   testbed.sh exec NS CMD...      run CMD inside namespace NS (sbhub, sbdijon, sbthory)
#   testbed.sh status              print addresses, routes and wg peers
#
# Addresses:
#   root <-> hub   veth sbtb-root (root ns) 169.254.77.1/30 <-> sbtb-hub (sbhub) 169.254.77.2/30
#                  the only link into the root namespace: Caddy's admin API and listener are
#                  reached there; the hub does not forward, so nothing else leaves the testbed.
#   hub  <-> site  veth 192.168.77.(4N+1)/30 (hub) <-> 192.168.77.(4N+2)/30 (site N)
#   WireGuard      hub sbtbwg-hub 10.200.255.1, site N sbtbwg-<site> 10.200.N.254/24,
#                  hub AllowedIPs 10.200.N.0/24 per site; backends bind 10.200.N.1-126
#                  (10.200.N.0/25 is local on the site's loopback).
#   delay relay    site N: 192.168.77.(4N+2):51821 (to/from the hub) and 127.0.0.1:51822 (to/from
#                  the site's wg, which listens on 51820 on every address of the site)
#   second hub     (SBTB_HUBS=2) veth sbtb-root2 (root ns) 169.254.77.5/30 <-> sbtb-hub (sbhub2)
#                  169.254.77.6/30, plus a route to 169.254.77.1 (what the root namespace serves
#                  both hubs: a database, a webhook receiver); veth 192.168.78.(4N+1)/30 (hub 2) <->
#                  192.168.78.(4N+2)/30 (site N, sbtb-hub2); WireGuard sbtbwg-hub2 10.200.254.1,
#                  a second peer on each site's interface (AllowedIPs 10.200.254.1/32)
set -euo pipefail

readonly HUB=sbhub
readonly HUB2=sbhub2
readonly SITES=(dijon thory)
readonly STATE=${SBTB_STATE:-/run/switchboard-testbed}
readonly ROOT_IF=sbtb-root
readonly WG_PORT=51820
readonly RELAY_OUTER_PORT=51821
readonly RELAY_INNER_PORT=51822
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly HERE
# Seconds between WireGuard keepalives, both ways. The hub judges a silent tunnel by its received
# bytes (spec.wireguard.trafficTimeout), so this bounds how fast a healed site is seen again.
readonly KEEPALIVE=${SBTB_KEEPALIVE:-1}
export WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD=1

die() {
  echo "testbed.sh: $*" >&2
  exit 2
}

[ "$(id -u)" = 0 ] || die "root is required (network namespaces, veth, wireguard-go); run with sudo"

site_index() {
  local i
  for i in "${!SITES[@]}"; do
    [ "${SITES[$i]}" = "$1" ] && { echo "$i"; return; }
  done
  die "unknown site '$1' (known: ${SITES[*]})"
}

ns_of() { echo "sb$1"; }
wg_of() { echo "sbtbwg-$1"; }

in_ns() {
  local ns=$1
  shift
  ip netns exec "$ns" "$@"
}

kill_ns_processes() {
  local ns=$1 pids
  ip netns list | grep -qw "^$ns" || return 0
  pids=$(ip netns pids "$ns" 2>/dev/null || true)
  [ -n "$pids" ] || return 0
  kill $pids 2>/dev/null || true
  for _ in $(seq 1 30); do
    pids=$(ip netns pids "$ns" 2>/dev/null || true)
    [ -n "$pids" ] || return 0
    sleep 0.1
  done
  kill -9 $pids 2>/dev/null || true
}

down() {
  local ns
  for ns in "$HUB" "$HUB2" $(for s in "${SITES[@]}"; do ns_of "$s"; done); do
    kill_ns_processes "$ns"
    ip netns del "$ns" 2>/dev/null || true
  done
  ip link del "$ROOT_IF" 2>/dev/null || true
  ip link del "${ROOT_IF}2" 2>/dev/null || true
  rm -f /var/run/wireguard/sbtbwg-*.sock
  rm -rf "$STATE"
}

# Starts wireguard-go for SITE (or "hub") inside NS and configures it.
start_wg() {
  local ns=$1 name=$2 wg
  wg=$(wg_of "$name")
  # 9>&-: the daemon must not inherit (and hold forever) the invocation lock.
  in_ns "$ns" wireguard-go "$wg" >"$STATE/$wg.log" 2>&1 9>&-
  in_ns "$ns" wg set "$wg" listen-port "$WG_PORT" private-key "$STATE/$name.key"
}

configure_site_wg() {
  local site=$1 n ns wg
  n=$(site_index "$site")
  ns=$(ns_of "$site")
  wg=$(wg_of "$site")
  start_wg "$ns" "$site"
  in_ns "$ns" wg set "$wg" peer "$(cat "$STATE/hub.pub")" allowed-ips 10.200.255.1/32 \
    endpoint "192.168.77.$((4 * n + 1)):$WG_PORT" persistent-keepalive "$KEEPALIVE"
  in_ns "$ns" ip addr add "10.200.$n.254/24" dev "$wg"
  in_ns "$ns" ip link set "$wg" up
  in_ns "$ns" ip route add 10.200.255.1/32 dev "$wg"
  if two_hubs; then
    in_ns "$ns" wg set "$wg" peer "$(cat "$STATE/hub2.pub")" allowed-ips 10.200.254.1/32 \
      endpoint "192.168.78.$((4 * n + 1)):$WG_PORT" persistent-keepalive "$KEEPALIVE"
    in_ns "$ns" ip route add 10.200.254.1/32 dev "$wg"
  fi
}

two_hubs() { [ -f "$STATE/hubs" ] && [ "$(cat "$STATE/hubs")" = 2 ]; }

# The second hub: its namespace, its link to the root namespace, its WireGuard interface. Its
# peers are added per site (add_site_to_hub2).
up_hub2() {
  local wg
  ip netns add "$HUB2"
  in_ns "$HUB2" ip link set lo up
  ip link add "${ROOT_IF}2" type veth peer name sbtb-hub netns "$HUB2"
  ip addr add 169.254.77.5/30 dev "${ROOT_IF}2"
  ip link set "${ROOT_IF}2" up
  in_ns "$HUB2" ip addr add 169.254.77.6/30 dev sbtb-hub
  in_ns "$HUB2" ip link set sbtb-hub up
  in_ns "$HUB2" ip route add 169.254.77.1/32 via 169.254.77.5
  in_ns "$HUB2" sysctl -qw net.ipv4.ip_forward=0
  wg=$(wg_of hub2)
  start_wg "$HUB2" hub2
  in_ns "$HUB2" ip addr add 10.200.254.1/32 dev "$wg"
  in_ns "$HUB2" ip link set "$wg" up
}

# SITE's link to the second hub and its peer there (the site's own peer is configure_site_wg's).
add_site_to_hub2() {
  local site=$1 n ns
  n=$(site_index "$site")
  ns=$(ns_of "$site")
  ip link add "sbtb2-$site" netns "$HUB2" type veth peer name sbtb-hub2 netns "$ns"
  in_ns "$HUB2" ip addr add "192.168.78.$((4 * n + 1))/30" dev "sbtb2-$site"
  in_ns "$HUB2" ip link set "sbtb2-$site" up
  in_ns "$ns" ip addr add "192.168.78.$((4 * n + 2))/30" dev sbtb-hub2
  in_ns "$ns" ip link set sbtb-hub2 up
  in_ns "$HUB2" wg set "$(wg_of hub2)" peer "$(cat "$STATE/$site.pub")" \
    allowed-ips "10.200.$n.0/24" endpoint "192.168.78.$((4 * n + 2)):$WG_PORT" \
    persistent-keepalive "$KEEPALIVE"
  in_ns "$HUB2" ip route add "10.200.$n.0/24" dev "$(wg_of hub2)"
}

up() {
  down
  # A half-built testbed is worse than none: undo everything if any step fails.
  trap 'echo "testbed.sh: up failed, removing what was created" >&2; down' ERR
  mkdir -p "$STATE"
  local site n ns wg hubs=${SBTB_HUBS:-1}
  [[ $hubs == 1 || $hubs == 2 ]] || die "SBTB_HUBS is 1 or 2 (got '$hubs')"
  echo "$hubs" >"$STATE/hubs"
  for name in hub hub2 "${SITES[@]}"; do
    (umask 077 && wg genkey >"$STATE/$name.key")
    wg pubkey <"$STATE/$name.key" >"$STATE/$name.pub"
  done

  ip netns add "$HUB"
  in_ns "$HUB" ip link set lo up
  ip link add "$ROOT_IF" type veth peer name sbtb-hub netns "$HUB"
  ip addr add 169.254.77.1/30 dev "$ROOT_IF"
  ip link set "$ROOT_IF" up
  in_ns "$HUB" ip addr add 169.254.77.2/30 dev sbtb-hub
  in_ns "$HUB" ip link set sbtb-hub up
  in_ns "$HUB" sysctl -qw net.ipv4.ip_forward=0

  wg=$(wg_of hub)
  start_wg "$HUB" hub
  in_ns "$HUB" ip addr add 10.200.255.1/32 dev "$wg"
  in_ns "$HUB" ip link set "$wg" up
  if two_hubs; then
    up_hub2
  fi

  for site in "${SITES[@]}"; do
    n=$(site_index "$site")
    ns=$(ns_of "$site")
    ip netns add "$ns"
    in_ns "$ns" ip link set lo up
    in_ns "$ns" ip addr add "10.200.$n.0/25" dev lo
    ip link add "sbtb-$site" netns "$HUB" type veth peer name sbtb-hub netns "$ns"
    in_ns "$HUB" ip addr add "192.168.77.$((4 * n + 1))/30" dev "sbtb-$site"
    in_ns "$HUB" ip link set "sbtb-$site" up
    in_ns "$ns" ip addr add "192.168.77.$((4 * n + 2))/30" dev sbtb-hub
    in_ns "$ns" ip link set sbtb-hub up
    in_ns "$HUB" wg set "$wg" peer "$(cat "$STATE/$site.pub")" allowed-ips "10.200.$n.0/24" \
      endpoint "192.168.77.$((4 * n + 2)):$WG_PORT" persistent-keepalive "$KEEPALIVE"
    in_ns "$HUB" ip route add "10.200.$n.0/24" dev "$wg"
    if two_hubs; then
      add_site_to_hub2 "$site"
    fi
    configure_site_wg "$site"
  done

  wait_handshakes "$HUB" hub
  if two_hubs; then
    wait_handshakes "$HUB2" hub2
    echo "testbed up: hubs $HUB (169.254.77.2) and $HUB2 (169.254.77.6), sites ${SITES[*]}"
  else
    echo "testbed up: hub $HUB (169.254.77.2 from the root namespace), sites ${SITES[*]}"
  fi
  trap - ERR
}

# Waits (max 5 s) until every site peer has completed a WireGuard handshake with hub NS (NAME).
wait_handshakes() {
  local ns=$1 name=$2 _ missing
  for _ in $(seq 1 50); do
    missing=$(in_ns "$ns" wg show "$(wg_of "$name")" latest-handshakes | awk '$2 == 0' | wc -l)
    [ "$missing" = 0 ] && return 0
    sleep 0.1
  done
  die "WireGuard handshake of $name with a site did not complete within 5 s"
}

cut() {
  local mode=$1 site=$2 hub=${3:-$HUB} n
  n=$(site_index "$site")
  [[ $hub == "$HUB" || $hub == "$HUB2" ]] || die "unknown hub '$hub' ($HUB or $HUB2)"
  case "$mode" in
    blackhole)
      # A real "ip route blackhole" fails local sends at once (EINVAL, measured), which Caddy
      # sees as an instant dial error: not silent. DROP in the hub loses packets like a dead
      # link does: connects and requests on pooled connections hang until their timeouts.
      in_ns "$hub" iptables -I OUTPUT -d "10.200.$n.0/24" -j DROP
      in_ns "$hub" iptables -I INPUT -s "10.200.$n.0/24" -j DROP
      ;;
    off)
      in_ns "$(ns_of "$site")" ip link del "$(wg_of "$site")" 2>/dev/null || true
      kill_ns_processes "$(ns_of "$site")"
      rm -f "/var/run/wireguard/$(wg_of "$site").sock"
      ;;
    *) die "unknown cut mode '$mode' (blackhole|off)" ;;
  esac
}

heal() {
  local site=$1 n hub
  n=$(site_index "$site")
  for hub in "$HUB" "$HUB2"; do
    ip netns list | grep -qw "^$hub" || continue
    while in_ns "$hub" iptables -D OUTPUT -d "10.200.$n.0/24" -j DROP 2>/dev/null; do :; done
    while in_ns "$hub" iptables -D INPUT -s "10.200.$n.0/24" -j DROP 2>/dev/null; do :; done
  done
  if ! in_ns "$(ns_of "$site")" ip link show "$(wg_of "$site")" >/dev/null 2>&1; then
    configure_site_wg "$site"
  fi
  # "off" killed the site's relay too (and a new tunnel points straight at the hub): delay again.
  if [ -f "$STATE/delay-$site" ] && ! relay_alive "$site"; then
    # shellcheck disable=SC2046
    delay_on "$site" $(cat "$STATE/delay-$site")
  fi
}

# Every link of hub namespace HUB goes down (lo stays): the hub's processes live on, unreachable.
isolate() {
  local hub=$1 link
  [[ $hub == "$HUB" || $hub == "$HUB2" ]] || die "unknown hub '$hub' ($HUB or $HUB2)"
  for link in $(in_ns "$hub" ip -o link show | awk -F': ' '{sub(/@.*/, "", $2); print $2}'); do
    [ "$link" = lo ] || in_ns "$hub" ip link set "$link" down
  done
}

relay_pidfile() { echo "$STATE/relay-$1.pid"; }

# True when SITE's relay runs (its pid file names a live delay_relay.py).
relay_alive() {
  local pidfile pid
  pidfile=$(relay_pidfile "$1")
  [ -f "$pidfile" ] || return 1
  pid=$(cat "$pidfile")
  grep -qa delay_relay.py "/proc/$pid/cmdline" 2>/dev/null
}

stop_relay() {
  local site=$1 pid
  if relay_alive "$site"; then
    pid=$(cat "$(relay_pidfile "$site")")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 20); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$(relay_pidfile "$site")"
}

# The site's WireGuard reaching the hub directly (both ways), on the site's veth.
direct_wg_rule() {
  local ns=$1 op=$2
  in_ns "$ns" iptables "$op" INPUT -i sbtb-hub -p udp --dport "$WG_PORT" -j DROP &&
    in_ns "$ns" iptables "$op" OUTPUT -o sbtb-hub -p udp --sport "$WG_PORT" -j DROP
}

# Puts delay_relay.py between SITE's WireGuard and the hub. WireGuard roams: each side sends to the
# source address of the last authenticated packet it received. So both endpoints are pointed at the
# relay and the direct path is dropped in the site's namespace: every packet that reaches either
# side came through the relay, and roaming can only settle there.
delay_on() {
  local site=$1 min=$2 max=$3 n ns wg hub_addr site_addr pidfile
  if ! [[ $min =~ ^(0|[1-9][0-9]{0,4})$ && $max =~ ^(0|[1-9][0-9]{0,4})$ ]] ||
    ((min > max || max > 10000)); then
    die "delay wants 0 <= MIN_MS <= MAX_MS <= 10000 (got '$min' '$max')"
  fi
  n=$(site_index "$site")
  ns=$(ns_of "$site")
  wg=$(wg_of "$site")
  hub_addr="192.168.77.$((4 * n + 1))"
  site_addr="192.168.77.$((4 * n + 2))"
  in_ns "$ns" ip link show "$wg" >/dev/null 2>&1 || die "site $site has no tunnel (cut off?)"
  stop_relay "$site"
  pidfile=$(relay_pidfile "$site")
  # Not a child of this invocation's lock (9>&-) nor of its output pipe: it outlives the call.
  # ip itself (not the in_ns function, which would fork a subshell), so $! is the relay's pid.
  ip netns exec "$ns" /usr/bin/python3 "$HERE/delay_relay.py" "$site_addr:$RELAY_OUTER_PORT" \
    "$hub_addr:$WG_PORT" "127.0.0.1:$RELAY_INNER_PORT" "127.0.0.1:$WG_PORT" "$min" "$max" \
    </dev/null >"$STATE/relay-$site.log" 2>&1 9>&- &
  echo $! >"$pidfile"
  for _ in $(seq 1 50); do
    grep -q '^relaying' "$STATE/relay-$site.log" 2>/dev/null && break
    relay_alive "$site" || break
    sleep 0.1
  done
  if ! grep -q '^relaying' "$STATE/relay-$site.log" 2>/dev/null; then
    stop_relay "$site"
    die "delay relay for $site did not start: $(cat "$STATE/relay-$site.log" 2>/dev/null)"
  fi
  direct_wg_rule "$ns" -C 2>/dev/null || direct_wg_rule "$ns" -I
  in_ns "$ns" wg set "$wg" peer "$(cat "$STATE/hub.pub")" endpoint "127.0.0.1:$RELAY_INNER_PORT"
  in_ns "$HUB" wg set "$(wg_of hub)" peer "$(cat "$STATE/$site.pub")" \
    endpoint "$site_addr:$RELAY_OUTER_PORT"
  echo "$min $max" >"$STATE/delay-$site"
}

delay_off() {
  local site=$1 n ns wg
  n=$(site_index "$site")
  ns=$(ns_of "$site")
  wg=$(wg_of "$site")
  rm -f "$STATE/delay-$site"
  while in_ns "$ns" iptables -D INPUT -i sbtb-hub -p udp --dport "$WG_PORT" -j DROP 2>/dev/null; do :; done
  while in_ns "$ns" iptables -D OUTPUT -o sbtb-hub -p udp --sport "$WG_PORT" -j DROP 2>/dev/null; do :; done
  if in_ns "$ns" ip link show "$wg" >/dev/null 2>&1; then
    in_ns "$ns" wg set "$wg" peer "$(cat "$STATE/hub.pub")" \
      endpoint "192.168.77.$((4 * n + 1)):$WG_PORT"
  fi
  in_ns "$HUB" wg set "$(wg_of hub)" peer "$(cat "$STATE/$site.pub")" \
    endpoint "192.168.77.$((4 * n + 2)):$WG_PORT"
  stop_relay "$site"
}

status() {
  for ns in "$HUB" $(for s in "${SITES[@]}"; do ns_of "$s"; done); do
    echo "== $ns"
    in_ns "$ns" ip -br addr || true
    in_ns "$ns" ip route || true
  done
  in_ns "$HUB" wg show "$(wg_of hub)" || true
  for s in "${SITES[@]}"; do
    if relay_alive "$s"; then
      echo "delay relay $s: $(head -1 "$STATE/relay-$s.log")"
    fi
  done
}

cmd=${1:-}
shift || true
# One testbed per machine: serialize invocations so an "up" never races a "down" of another run.
exec 9>/run/switchboard-testbed.lock
flock -w 120 9 || die "another testbed.sh holds /run/switchboard-testbed.lock for 120 s"
case "$cmd" in
  up) up ;;
  down) down ;;
  cut) [ $# = 2 ] || [ $# = 3 ] || die "usage: cut blackhole|off SITE [HUB]"; cut "$@" ;;
  isolate) [ $# = 1 ] || die "usage: isolate HUB"; isolate "$1" ;;
  heal) [ $# = 1 ] || die "usage: heal SITE"; heal "$1" ;;
  delay)
    case "${1:-} $#" in
      "on 4") delay_on "$2" "$3" "$4" ;;
      "off 2") delay_off "$2" ;;
      *) die "usage: delay on SITE MIN_MS MAX_MS | delay off SITE" ;;
    esac
    ;;
  exec) [ $# -ge 2 ] || die "usage: exec NS CMD..."; ns=$1; shift; exec 9>&-; exec ip netns exec "$ns" "$@" ;;
  status) status ;;
  *) die "usage: testbed.sh up|down|cut blackhole|off SITE [HUB]|heal SITE|isolate HUB|delay on SITE MIN MAX|delay off SITE|exec NS CMD...|status" ;;
esac
