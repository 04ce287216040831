package fr.acecinema.switchboard.caddy;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;

/**
 * The few bits of the DNS wire format (RFC 1035, RFC 2782) that {@link UpstreamResolver} speaks:
 * parse one question, answer it with SRV, A or AAAA records, or with an error code. Pure.
 *
 * <p>Why so little: the only client is Caddy's Go resolver asking a server it was configured to
 * ask, for names Switchboard made up. Answers are authoritative (Go treats a non-authoritative
 * answer without recursion as a lame referral) and carry no EDNS record (Go accepts that).
 */
public final class DnsWire {
  private DnsWire() {}

  public static final int TYPE_A = 1;
  public static final int TYPE_AAAA = 28;
  public static final int TYPE_SRV = 33;
  public static final int RCODE_OK = 0;
  public static final int RCODE_FORMAT_ERROR = 1;
  public static final int RCODE_SERVER_FAILURE = 2;
  public static final int RCODE_NAME_ERROR = 3;
  public static final int RCODE_NOT_IMPLEMENTED = 4;

  /**
   * A parsed query.
   *
   * @param id the query's id, echoed in the answer
   * @param flags the query's flag word (opcode and RD are echoed)
   * @param name the question's name, lower case, with its final dot
   * @param type question type (1 A, 28 AAAA, 33 SRV, ...)
   * @param questionWire the question section as received (echoed byte for byte)
   */
  public record Query(int id, int flags, String name, int type, byte[] questionWire) {}

  /** One SRV record: RFC 2782 fields and a target name ending in a dot. */
  public record Srv(int priority, int weight, int port, String target) {}

  /** Parses a query; throws {@link IllegalArgumentException} for anything malformed. */
  public static Query parse(byte[] message) {
    try {
      ByteBuffer in = ByteBuffer.wrap(message);
      int id = in.getShort() & 0xffff;
      int flags = in.getShort() & 0xffff;
      int questions = in.getShort() & 0xffff;
      in.position(12);
      if ((flags & 0x8000) != 0 || questions != 1) {
        throw new IllegalArgumentException("not a query with one question");
      }
      int start = in.position();
      StringBuilder name = new StringBuilder();
      while (true) {
        int len = in.get() & 0xff;
        if (len == 0) {
          break;
        }
        if (len > 63) {
          throw new IllegalArgumentException("compressed or oversized label in a question");
        }
        byte[] label = new byte[len];
        in.get(label);
        name.append(new String(label, StandardCharsets.US_ASCII)).append('.');
        if (name.length() > 255) {
          throw new IllegalArgumentException("name too long");
        }
      }
      int type = in.getShort() & 0xffff;
      in.getShort(); // class: IN is the only one asked for
      byte[] question = new byte[in.position() - start];
      System.arraycopy(message, start, question, 0, question.length);
      String n = name.isEmpty() ? "." : name.toString().toLowerCase(Locale.ROOT);
      return new Query(id, flags, n, type, question);
    } catch (BufferUnderflowException e) {
      throw new IllegalArgumentException("truncated message", e);
    }
  }

  /** An answer carrying no records, with a response code (errors, or NOERROR for "no data"). */
  public static byte[] empty(Query q, int rcode) {
    ByteArrayOutputStream out = header(q, rcode, 0);
    return out.toByteArray();
  }

  /** An answer with SRV records. */
  public static byte[] srv(Query q, List<Srv> records) {
    ByteArrayOutputStream out = header(q, RCODE_OK, records.size());
    for (Srv r : records) {
      ByteArrayOutputStream rdata = new ByteArrayOutputStream();
      short16(rdata, r.priority());
      short16(rdata, r.weight());
      short16(rdata, r.port());
      name(rdata, r.target());
      record(out, TYPE_SRV, rdata.toByteArray());
    }
    return out.toByteArray();
  }

  /** An answer with one address record (A for IPv4, AAAA for IPv6). */
  public static byte[] address(Query q, InetAddress address) {
    byte[] raw = address.getAddress();
    ByteArrayOutputStream out = header(q, RCODE_OK, 1);
    record(out, raw.length == 4 ? TYPE_A : TYPE_AAAA, raw);
    return out.toByteArray();
  }

  private static ByteArrayOutputStream header(Query q, int rcode, int answers) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(64);
    short16(out, q.id());
    // QR, the query's opcode, AA, the query's RD; no recursion available.
    int flags = 0x8000 | (q.flags() & 0x7800) | 0x0400 | (q.flags() & 0x0100) | (rcode & 0xf);
    short16(out, flags);
    short16(out, 1);
    short16(out, answers);
    short16(out, 0);
    short16(out, 0);
    out.writeBytes(q.questionWire());
    return out;
  }

  private static void record(ByteArrayOutputStream out, int type, byte[] rdata) {
    short16(out, 0xc00c); // the owner name: a pointer to the question's name at offset 12
    short16(out, type);
    short16(out, 1); // IN
    short16(out, 0);
    short16(out, 1); // TTL 1 s; Caddy caches by its own `refresh`, not by TTL
    short16(out, rdata.length);
    out.writeBytes(rdata);
  }

  private static void name(ByteArrayOutputStream out, String name) {
    for (String label : name.split("\\.")) {
      if (label.isEmpty()) {
        continue;
      }
      byte[] b = label.getBytes(StandardCharsets.US_ASCII);
      out.write(b.length);
      out.writeBytes(b);
    }
    out.write(0);
  }

  private static void short16(ByteArrayOutputStream out, int v) {
    out.write((v >> 8) & 0xff);
    out.write(v & 0xff);
  }
}
