# Switchboard hub image: multi-stage, the runtime stage holds only a JRE and the shaded jar.
# Build:  docker build -t switchboard .
# Run:    see compose.yaml (Switchboard + PostgreSQL + Caddy).

FROM maven:3.9-eclipse-temurin-21 AS build
WORKDIR /src
COPY pom.xml .
RUN mvn -B -q dependency:go-offline -DskipTests || true
COPY src src
COPY crds crds
COPY manifests manifests
# Tests need root, network namespaces and Caddy: they run in CI (bin/test), not in the image build.
RUN mvn -B -q package -DskipTests -DskipITs -Dspotless.apply.skip=true

FROM eclipse-temurin:21-jre
# wg (a Site's TunnelUp from `wg show`) and ss (--kill-sockets) need CAP_NET_ADMIN; the process
# runs as uid 10001, which Docker gives no capability, so the two binaries carry it as a file
# capability. It takes effect only when the container is granted it (compose: cap_add NET_ADMIN).
RUN apt-get update \
 && apt-get install -y --no-install-recommends wireguard-tools iproute2 libcap2-bin \
 && setcap cap_net_admin+ep "$(command -v wg)" && setcap cap_net_admin+ep "$(command -v ss)" \
 && apt-get purge -y libcap2-bin && rm -rf /var/lib/apt/lists/*
RUN useradd --system --uid 10001 --home-dir /var/lib/switchboard --create-home switchboard
COPY --from=build /src/target/switchboard.jar /opt/switchboard/switchboard.jar
USER switchboard
WORKDIR /var/lib/switchboard
# The API listens on loopback by default: with compose's host networking that is the hub's
# 127.0.0.1; to reach it from elsewhere give SWITCHBOARD_TLS_CERT/SWITCHBOARD_TLS_KEY and a
# public SWITCHBOARD_LISTEN (plain HTTP on a public address is refused without
# SWITCHBOARD_INSECURE_LISTEN=true).
ENV SWITCHBOARD_MANIFESTS=/manifests \
    SWITCHBOARD_DATA_DIR=/var/lib/switchboard \
    SWITCHBOARD_LISTEN=127.0.0.1:7070 \
    SWITCHBOARD_LOG_FORMAT=json
EXPOSE 7070
# /healthz answers 200 while the process is alive; bash's /dev/tcp avoids needing curl in the image.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD bash -c 'exec 3<>/dev/tcp/127.0.0.1/7070 && printf "GET /healthz HTTP/1.0\r\n\r\n" >&3 && head -1 <&3 | grep -q " 200 "'
# JVM options: bin/sbctl's defaults (a bounded footprint: 256 MiB of heap, SerialGC, exit on an
# OutOfMemoryError so that Docker restarts the process; docs/operations.md). Override them with
# SWITCHBOARD_JAVA_OPTS (e.g. docker run -e SWITCHBOARD_JAVA_OPTS='-XX:+UseSerialGC -Xmx512m').
# Not JAVA_TOOL_OPTIONS: the JVM prints "Picked up ..." on stderr, a non-JSON line in JSON logs.
ENTRYPOINT ["sh", "-c", "exec java ${SWITCHBOARD_JAVA_OPTS--XX:+UseSerialGC -Xmx256m -XX:+ExitOnOutOfMemoryError} -jar /opt/switchboard/switchboard.jar \"$@\"", "switchboard"]
CMD ["run"]
