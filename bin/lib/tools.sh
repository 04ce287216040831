# Sourced by bin/test and bin/bench: ensure_tools WHO TOOL=PACKAGE... installs the Debian packages
# of the tools missing from PATH (as root, with apt-get), or says which are missing and returns 1.

ensure_tools() {
  local who="$1" pair missing=()
  shift
  for pair in "$@"; do
    command -v "${pair%%=*}" >/dev/null 2>&1 || missing+=("${pair#*=}")
  done
  ((${#missing[@]})) || return 0
  if [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "$who: installing ${missing[*]}" >&2
    apt-get update -qq
    # --no-install-recommends: wireguard-tools otherwise pulls a kernel image.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
    return
  fi
  echo "$who: missing ${missing[*]} (install as root: apt-get install --no-install-recommends ${missing[*]})" >&2
  return 1
}
