package fr.acecinema.switchboard.probe;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A minimal HTTP/1.1 backend on a raw loopback socket, so a test controls its connections: it keeps
 * them alive, can close the idle ones server-side (as a server's idle timeout or a restart does),
 * and can drop or leave unanswered each request.
 */
final class KeepAliveBackend implements AutoCloseable {
  /** What the backend does with a request. */
  enum Mode {
    /** Answers 200 "ok" and keeps the connection open. */
    ANSWER,
    /** Closes the connection without answering. */
    DROP,
    /** Never answers (until closed). */
    HANG
  }

  private final ServerSocket listening;
  private final Thread acceptor;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private final AtomicInteger connections = new AtomicInteger();
  private final AtomicInteger answered = new AtomicInteger();
  private final AtomicInteger dropped = new AtomicInteger();
  private final AtomicInteger hung = new AtomicInteger();
  private final CountDownLatch closing = new CountDownLatch(1);
  private volatile Mode mode = Mode.ANSWER;

  private KeepAliveBackend(String address) throws IOException {
    listening = new ServerSocket(0, 64, InetAddress.getByName(address));
    acceptor = Thread.ofVirtual().name("keep-alive backend").start(this::accept);
  }

  static KeepAliveBackend start(String address) throws IOException {
    return new KeepAliveBackend(address);
  }

  private void accept() {
    while (!listening.isClosed()) {
      try {
        Socket socket = listening.accept();
        if (listening.isClosed()) {
          // Accepted while closing: not served, as a closed listener would not have.
          socket.close();
          return;
        }
        connections.incrementAndGet();
        open.add(socket);
        Thread.ofVirtual().start(() -> serve(socket));
      } catch (IOException e) {
        return;
      }
    }
  }

  private void serve(Socket socket) {
    try (socket) {
      InputStream in = new BufferedInputStream(socket.getInputStream());
      OutputStream out = socket.getOutputStream();
      while (true) {
        String head = readHead(in);
        if (head == null) {
          return;
        }
        switch (mode) {
          case DROP -> {
            dropped.incrementAndGet();
            return;
          }
          case HANG -> {
            hung.incrementAndGet();
            closing.await(30, TimeUnit.SECONDS);
            return;
          }
          case ANSWER -> {
            answered.incrementAndGet();
            boolean close = head.toLowerCase().contains("\r\nconnection: close");
            out.write(
                ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n"
                        + (close ? "Connection: close\r\n" : "")
                        + "\r\nok")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            if (close) {
              return;
            }
          }
        }
      }
    } catch (IOException e) {
      // Closed by closeIdleConnections() or by the client: the connection is over.
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      open.remove(socket);
    }
  }

  /** The request line and headers, or null at end of stream. */
  private static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    byte[] end = {'\r', '\n', '\r', '\n'};
    for (int b; (b = in.read()) >= 0; ) {
      head.write(b);
      matched = b == end[matched] ? matched + 1 : b == '\r' ? 1 : 0;
      if (matched == end.length) {
        return head.toString(StandardCharsets.US_ASCII);
      }
    }
    return null;
  }

  void mode(Mode mode) {
    this.mode = mode;
  }

  /** Closes every open connection server-side, as an idle timeout would. */
  void closeIdleConnections() throws IOException {
    for (Socket socket : open) {
      socket.close();
    }
  }

  /**
   * Stops accepting: new connections are refused. Waits for the accepting thread to end, since the
   * JDK closes a listening socket blocked in accept only once that thread has returned.
   */
  void stopListening() throws IOException, InterruptedException {
    listening.close();
    if (!acceptor.join(java.time.Duration.ofSeconds(5))) {
      throw new IllegalStateException("accepting thread did not end");
    }
  }

  String address() {
    return listening.getInetAddress().getHostAddress();
  }

  int port() {
    return listening.getLocalPort();
  }

  int openConnections() {
    return open.size();
  }

  int connections() {
    return connections.get();
  }

  int answered() {
    return answered.get();
  }

  int dropped() {
    return dropped.get();
  }

  int hung() {
    return hung.get();
  }

  @Override
  public void close() throws IOException {
    closing.countDown();
    listening.close();
    closeIdleConnections();
  }
}
