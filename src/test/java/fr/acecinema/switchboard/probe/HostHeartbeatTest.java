package fr.acecinema.switchboard.probe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import fr.acecinema.switchboard.probe.HostHeartbeat.Verdict;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Real sockets on loopback. A listener that never accepts makes a silent host: once its accept
 * queue is full the kernel drops further SYNs without an answer, as a cut site does.
 */
class HostHeartbeatTest {
  private final List<String> changes = new CopyOnWriteArrayList<>();
  private HostHeartbeat heartbeat;

  private HostHeartbeat start() throws Exception {
    heartbeat =
        new HostHeartbeat(
                Duration.ofMillis(20),
                Duration.ofMillis(60),
                3,
                (host, before, after) -> changes.add(host + " " + before + "->" + after))
            .start();
    return heartbeat;
  }

  @AfterEach
  void stop() {
    if (heartbeat != null) {
      heartbeat.close();
    }
  }

  private static ServerSocket listener(String ip, int backlog) throws Exception {
    ServerSocket s = new ServerSocket();
    s.bind(new InetSocketAddress(InetAddress.getByName(ip), 0), backlog);
    return s;
  }

  @Test
  void aHostThatAcceptsOrRefusesIsAliveAndOneThatFallsSilentIsDead() throws Exception {
    HostHeartbeat hb = start();
    // Refused: nothing listens on this port, the kernel answers with a reset.
    int closedPort;
    try (ServerSocket probe = listener("127.0.60.2", 1)) {
      closedPort = probe.getLocalPort();
    }
    hb.track("Backend/refusing", "127.0.60.2", closedPort);
    await().atMost(Duration.ofSeconds(5)).until(() -> hb.verdict("127.0.60.2") == Verdict.ALIVE);

    // A listener that never accepts answers until its queue is full, then falls silent.
    try (ServerSocket silent = listener("127.0.60.3", 1)) {
      hb.track("Backend/silent", "127.0.60.3", silent.getLocalPort());
      await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> changes.contains("127.0.60.3 UNKNOWN->ALIVE"));
      await().atMost(Duration.ofSeconds(5)).until(() -> hb.verdict("127.0.60.3") == Verdict.DEAD);
      assertThat(hb.dead()).containsExactly("127.0.60.3");
    }
    // The listener is gone: the host refuses, so it is alive again.
    await().atMost(Duration.ofSeconds(5)).until(() -> hb.verdict("127.0.60.3") == Verdict.ALIVE);
    assertThat(changes).contains("127.0.60.3 ALIVE->DEAD", "127.0.60.3 DEAD->ALIVE");
    assertThat(hb.verdict("127.0.60.2")).isEqualTo(Verdict.ALIVE);
  }

  @Test
  void aHostThatNeverAnsweredIsNeverJudgedDead() throws Exception {
    try (ServerSocket silent = listener("127.0.60.4", 1)) {
      HostHeartbeat hb = start();
      // Fill the accept queue before the heartbeat starts.
      List<java.net.Socket> fill = new java.util.ArrayList<>();
      try {
        for (int i = 0; i < 4; i++) {
          java.net.Socket s = new java.net.Socket();
          try {
            s.connect(silent.getLocalSocketAddress(), 100);
            fill.add(s);
          } catch (java.io.IOException e) {
            s.close();
            break;
          }
        }
        hb.track("Backend/quiet", "127.0.60.4", silent.getLocalPort());
        // Ten intervals of silence: still nothing known, never dead.
        await()
            .during(Duration.ofMillis(300))
            .atMost(Duration.ofSeconds(2))
            .until(() -> hb.verdict("127.0.60.4") == Verdict.UNKNOWN);
        assertThat(changes).isEmpty();
      } finally {
        for (java.net.Socket s : fill) {
          s.close();
        }
      }
    }
  }

  @Test
  void untrackingTheLastOwnerForgetsTheHost() throws Exception {
    HostHeartbeat hb = start();
    try (ServerSocket open = listener("127.0.60.5", 50)) {
      hb.track("Backend/a", "127.0.60.5", open.getLocalPort());
      hb.track("Backend/b", "127.0.60.5", open.getLocalPort());
      await().atMost(Duration.ofSeconds(5)).until(() -> hb.verdict("127.0.60.5") == Verdict.ALIVE);
      hb.untrack("Backend/a");
      await().during(Duration.ofMillis(100)).until(() -> hb.verdict("127.0.60.5") == Verdict.ALIVE);
      hb.untrack("Backend/b");
      await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> hb.verdict("127.0.60.5") == Verdict.UNKNOWN);
    }
  }
}
