package fr.acecinema.switchboard.caddy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import fr.acecinema.switchboard.caddy.DnsWire.Srv;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class UpstreamResolverTest {

  /** A query as Go's resolver writes it: one question, RD set, an EDNS0 OPT record. */
  static byte[] query(int id, String name, int type) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    short16(out, id);
    short16(out, 0x0100);
    short16(out, 1);
    short16(out, 0);
    short16(out, 0);
    short16(out, 1);
    for (String label : name.split("\\.")) {
      byte[] b = label.getBytes(StandardCharsets.US_ASCII);
      out.write(b.length);
      out.writeBytes(b);
    }
    out.write(0);
    short16(out, type);
    short16(out, 1);
    out.write(0); // OPT: root name, type 41, udp size 1232, no options
    short16(out, 41);
    short16(out, 1232);
    short16(out, 0);
    short16(out, 0);
    short16(out, 0);
    return out.toByteArray();
  }

  private static void short16(ByteArrayOutputStream out, int v) {
    out.write((v >> 8) & 0xff);
    out.write(v & 0xff);
  }

  record Answer(int id, int flags, int rcode, List<int[]> srv, List<String> targets, byte[] addr) {}

  /** Reads back what the resolver wrote (a small decoder independent of DnsWire's writer). */
  static Answer decode(byte[] m) {
    ByteBuffer in = ByteBuffer.wrap(m);
    int id = in.getShort() & 0xffff;
    int flags = in.getShort() & 0xffff;
    int qd = in.getShort();
    int an = in.getShort();
    in.getShort();
    in.getShort();
    for (int i = 0; i < qd; i++) {
      skipName(in);
      in.getInt();
    }
    List<int[]> srv = new ArrayList<>();
    List<String> targets = new ArrayList<>();
    byte[] addr = null;
    for (int i = 0; i < an; i++) {
      skipName(in);
      int type = in.getShort() & 0xffff;
      in.getShort();
      in.getInt();
      int len = in.getShort() & 0xffff;
      int end = in.position() + len;
      if (type == DnsWire.TYPE_SRV) {
        srv.add(new int[] {in.getShort() & 0xffff, in.getShort() & 0xffff, in.getShort() & 0xffff});
        targets.add(readName(in));
      } else {
        addr = new byte[len];
        in.get(addr);
      }
      in.position(end);
    }
    return new Answer(id, flags, flags & 0xf, srv, targets, addr);
  }

  private static void skipName(ByteBuffer in) {
    while (true) {
      int len = in.get() & 0xff;
      if (len == 0) {
        return;
      }
      if ((len & 0xc0) == 0xc0) {
        in.get();
        return;
      }
      in.position(in.position() + len);
    }
  }

  private static String readName(ByteBuffer in) {
    StringBuilder sb = new StringBuilder();
    int len;
    while ((len = in.get() & 0xff) != 0) {
      byte[] b = new byte[len];
      in.get(b);
      sb.append(new String(b, StandardCharsets.US_ASCII)).append('.');
    }
    return sb.toString();
  }

  @Test
  void answersPublishedSrvRecordsAuthoritativelyOverTcp() throws Exception {
    try (UpstreamResolver r = UpstreamResolver.start(new InetSocketAddress("127.0.0.1", 0))) {
      String name = UpstreamResolver.serviceName("api", 0);
      r.publish(
          Map.of(
              name,
              List.of(
                  new Srv(0, 10, 8080, UpstreamResolver.hostName("10.200.0.23")),
                  new Srv(0, 1, 8081, UpstreamResolver.hostName("10.200.1.45")))));
      String[] hostPort = r.address().split(":");
      try (Socket s = new Socket(hostPort[0], Integer.parseInt(hostPort[1]))) {
        DataOutputStream out = new DataOutputStream(s.getOutputStream());
        DataInputStream in = new DataInputStream(s.getInputStream());
        byte[] q = query(4242, "T0.Api.svc.switchboard.internal.", DnsWire.TYPE_SRV);
        out.writeShort(q.length);
        out.write(q);
        byte[] reply = in.readNBytes(in.readUnsignedShort());
        Answer a = decode(reply);
        assertThat(a.id()).isEqualTo(4242);
        assertThat(a.flags() & 0x8000).as("QR").isNotZero();
        assertThat(a.flags() & 0x0400).as("AA").isNotZero();
        assertThat(a.rcode()).isZero();
        assertThat(a.srv()).extracting(x -> x[2]).containsExactly(8080, 8081);
        assertThat(a.targets())
            .containsExactly(
                "10-200-0-23.ip.switchboard.internal.", "10-200-1-45.ip.switchboard.internal.");
      }
    }
  }

  @Test
  void aQueryBeforeTheFirstAnswersWaitsForThemInsteadOfFailingOverToStaleUpstreams()
      throws Exception {
    try (UpstreamResolver r = UpstreamResolver.start(new InetSocketAddress("127.0.0.1", 0))) {
      String name = UpstreamResolver.serviceName("api", 0);
      String[] hostPort = r.address().split(":");
      try (Socket s = new Socket(hostPort[0], Integer.parseInt(hostPort[1]))) {
        s.setSoTimeout(5000);
        DataOutputStream out = new DataOutputStream(s.getOutputStream());
        DataInputStream in = new DataInputStream(s.getInputStream());
        byte[] q = query(7, name, DnsWire.TYPE_SRV);
        out.writeShort(q.length);
        out.write(q);
        out.flush();
        // Held: nothing to read until the router's first answers are published.
        await()
            .during(Duration.ofMillis(300))
            .atMost(Duration.ofSeconds(1))
            .until(() -> in.available() == 0);
        r.publish(
            Map.of(name, List.of(new Srv(0, 1, 8080, UpstreamResolver.hostName("10.200.0.23")))));
        Answer a = decode(in.readNBytes(in.readUnsignedShort()));
        assertThat(a.rcode()).isZero();
        assertThat(a.srv()).extracting(x -> x[2]).containsExactly(8080);
      }
    }
  }

  @Test
  void aQueryBeforeAnyAnswersGetsServerFailureOnceTheHoldIsOver() throws Exception {
    try (UpstreamResolver r = UpstreamResolver.start(new InetSocketAddress("127.0.0.1", 0))) {
      String[] hostPort = r.address().split(":");
      try (Socket s = new Socket(hostPort[0], Integer.parseInt(hostPort[1]))) {
        s.setSoTimeout(10_000);
        DataOutputStream out = new DataOutputStream(s.getOutputStream());
        DataInputStream in = new DataInputStream(s.getInputStream());
        byte[] q = query(8, UpstreamResolver.serviceName("api", 0), DnsWire.TYPE_SRV);
        out.writeShort(q.length);
        out.write(q);
        out.flush();
        long t0 = System.nanoTime();
        Answer a = decode(in.readNBytes(in.readUnsignedShort()));
        assertThat(a.rcode()).isEqualTo(DnsWire.RCODE_SERVER_FAILURE);
        assertThat(Duration.ofNanos(System.nanoTime() - t0))
            .isGreaterThanOrEqualTo(UpstreamResolver.COLD_START_HOLD.minusMillis(100));
      }
    }
  }

  @Test
  void spellsAddressesAsNamesAndReadsThemBackWithoutState() throws Exception {
    UpstreamResolver r = UpstreamResolver.start(new InetSocketAddress("127.0.0.1", 0));
    try (r) {
      Answer v4 =
          decode(r.answer(query(1, UpstreamResolver.hostName("10.200.0.23"), DnsWire.TYPE_A)));
      assertThat(v4.addr()).containsExactly(10, 200, 0, 23);
      Answer v6name = decode(r.answer(query(2, UpstreamResolver.hostName("fd00::17"), 28)));
      assertThat(v6name.addr()).hasSize(16).endsWith(0, 0x17);
      Answer noAaaa =
          decode(r.answer(query(3, UpstreamResolver.hostName("10.200.0.23"), DnsWire.TYPE_AAAA)));
      assertThat(noAaaa.rcode()).isZero();
      assertThat(noAaaa.addr()).isNull();
      Answer bogus =
          decode(r.answer(query(4, "999-1-1-1.ip.switchboard.internal.", DnsWire.TYPE_A)));
      assertThat(bogus.rcode()).isEqualTo(DnsWire.RCODE_NAME_ERROR);
    }
    assertThatThrownBy(() -> UpstreamResolver.hostName("db.example")).hasMessageContaining("IP");
  }

  @Test
  void answersServerFailureForAServiceNotPublishedYetAndNameErrorOutsideItsZone() throws Exception {
    try (UpstreamResolver r = UpstreamResolver.start(new InetSocketAddress("127.0.0.1", 0))) {
      String name = UpstreamResolver.serviceName("api", 0);
      assertThat(decode(r.answer(query(1, name, DnsWire.TYPE_SRV))).rcode())
          .isEqualTo(DnsWire.RCODE_SERVER_FAILURE);
      assertThat(decode(r.answer(query(2, "example.com.", DnsWire.TYPE_A))).rcode())
          .isEqualTo(DnsWire.RCODE_NAME_ERROR);
      r.publish(Map.of(name, List.of()));
      assertThat(decode(r.answer(query(3, name, DnsWire.TYPE_SRV))).rcode()).isZero();
    }
  }

  @Test
  void refusesMalformedQueries() {
    assertThatThrownBy(() -> DnsWire.parse(new byte[5]))
        .isInstanceOf(IllegalArgumentException.class);
    byte[] q = query(1, "a.b.", DnsWire.TYPE_A);
    q[2] |= (byte) 0x80; // a response, not a query
    assertThatThrownBy(() -> DnsWire.parse(q)).isInstanceOf(IllegalArgumentException.class);
  }
}
