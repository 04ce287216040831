package fr.acecinema.switchboard.it;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Locale;

/**
 * A tiny WebSocket echo server on a loopback address for tests (RFC 6455 handshake and unfragmented
 * frames only): every text or binary message comes back prefixed with {@code echo: }. Plain TCP
 * connects (health probes) are accepted and closed.
 */
final class WebSocketEcho implements AutoCloseable {
  private static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  private final ServerSocket server;
  private final Thread acceptor;
  private final java.util.Set<Socket> open = java.util.concurrent.ConcurrentHashMap.newKeySet();

  WebSocketEcho(String address) throws IOException {
    server = new ServerSocket();
    server.bind(new InetSocketAddress(InetAddress.getByName(address), 0), 50);
    acceptor = Thread.ofVirtual().name("ws-echo").start(this::accept);
  }

  int port() {
    return server.getLocalPort();
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket s = server.accept();
        open.add(s);
        Thread.ofVirtual()
            .start(
                () -> {
                  serve(s);
                  open.remove(s);
                });
      } catch (IOException closed) {
        return;
      }
    }
  }

  private void serve(Socket socket) {
    try (socket) {
      InputStream in = socket.getInputStream();
      OutputStream out = socket.getOutputStream();
      String key = null;
      String line;
      while ((line = readLine(in)) != null && !line.isEmpty()) {
        if (line.toLowerCase(Locale.ROOT).startsWith("sec-websocket-key:")) {
          key = line.substring(line.indexOf(':') + 1).trim();
        }
      }
      if (key == null) {
        out.write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n".getBytes());
        return;
      }
      String accept =
          Base64.getEncoder()
              .encodeToString(
                  MessageDigest.getInstance("SHA-1")
                      .digest((key + GUID).getBytes(StandardCharsets.US_ASCII)));
      out.write(
          ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  + "Sec-WebSocket-Accept: "
                  + accept
                  + "\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      DataInputStream data = new DataInputStream(in);
      while (true) {
        int b0 = data.readUnsignedByte();
        int b1 = data.readUnsignedByte();
        int opcode = b0 & 0x0f;
        long len = b1 & 0x7f;
        if (len == 126) {
          len = data.readUnsignedShort();
        } else if (len == 127) {
          len = data.readLong();
        }
        byte[] mask = new byte[4];
        if ((b1 & 0x80) != 0) {
          data.readFully(mask);
        }
        byte[] payload = new byte[(int) len];
        data.readFully(payload);
        for (int i = 0; i < payload.length; i++) {
          payload[i] ^= mask[i % 4];
        }
        if (opcode == 8) {
          frame(out, 8, payload);
          return;
        }
        if (opcode == 9) {
          frame(out, 10, payload);
          continue;
        }
        ByteArrayOutputStream reply = new ByteArrayOutputStream();
        reply.write("echo: ".getBytes(StandardCharsets.UTF_8));
        reply.write(payload);
        frame(out, opcode, reply.toByteArray());
      }
    } catch (Exception e) {
      // connection closed by the peer, or a probe that only connects
    }
  }

  private static void frame(OutputStream out, int opcode, byte[] payload) throws IOException {
    out.write(0x80 | opcode);
    if (payload.length < 126) {
      out.write(payload.length);
    } else {
      out.write(126);
      out.write(payload.length >>> 8);
      out.write(payload.length & 0xff);
    }
    out.write(payload);
    out.flush();
  }

  private static String readLine(InputStream in) throws IOException {
    StringBuilder sb = new StringBuilder();
    int c;
    while ((c = in.read()) != -1) {
      if (c == '\n') {
        return sb.toString().stripTrailing();
      }
      sb.append((char) c);
    }
    return sb.isEmpty() ? null : sb.toString();
  }

  /** Dies as a crashed process does: the listener and every connection reset at once. */
  void kill() throws IOException {
    server.close();
    for (Socket s : open) {
      if (!s.isClosed()) {
        s.setSoLinger(true, 0);
        s.close();
      }
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
    acceptor.interrupt();
  }
}
