# Sourced by bin/sbctl, bin/test and bin/bench: find_jdk sets JAVA_HOME to a JDK >= 21 and puts it on PATH.

jdk_major() { # prints the major version of the JDK at $1, or nothing
  [[ -x "$1/bin/java" && -x "$1/bin/javac" ]] || return 0
  "$1/bin/java" -XshowSettings:properties -version 2>&1 |
    sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p'
}

find_jdk() {
  local candidate major
  for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25* /usr/lib/jvm/*; do
    [[ -n "$candidate" && -d "$candidate" ]] || continue
    major="$(jdk_major "$candidate")"
    if [[ -n "$major" && "$major" -ge 21 ]]; then
      export JAVA_HOME="$candidate"
      export PATH="$JAVA_HOME/bin:$PATH"
      return 0
    fi
  done
  echo "error: no JDK 21 or newer found (looked at JAVA_HOME='${JAVA_HOME:-}' and /usr/lib/jvm/*)." >&2
  echo "       Install one, e.g. 'apt-get install temurin-25-jdk' or 'apt-get install openjdk-21-jdk'," >&2
  echo "       or set JAVA_HOME to it." >&2
  return 1
}
