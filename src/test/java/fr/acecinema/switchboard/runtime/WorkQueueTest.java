package fr.acecinema.switchboard.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class WorkQueueTest {
  @Test
  void handsOutAKeyAddedTwiceOnlyOnce() throws Exception {
    try (var q = new WorkQueue<String>()) {
      q.add("a");
      q.add("b");
      q.add("a");
      assertThat(q.depth()).isEqualTo(2);
      assertThat(q.take()).isEqualTo("a");
      assertThat(q.take()).isEqualTo("b");
      assertThat(q.depth()).isZero();
    }
  }

  @Test
  void neverHandsOutAKeyWhileItIsBeingProcessed() throws Exception {
    try (var q = new WorkQueue<String>()) {
      q.add("a");
      assertThat(q.take()).isEqualTo("a");
      q.add("a");
      assertThat(q.depth()).isZero();
      var second = CompletableFuture.supplyAsync(() -> takeQuietly(q));
      assertThat(second).isNotDone();
      q.done("a");
      assertThat(second.get(5, TimeUnit.SECONDS)).isEqualTo("a");
    }
  }

  @Test
  void forgetsAKeyProcessedWithoutNewAdds() throws Exception {
    try (var q = new WorkQueue<String>()) {
      q.add("a");
      q.take();
      q.done("a");
      assertThat(q.idle()).isTrue();
    }
  }

  @Test
  void isNotIdleWhileADelayedAddIsStillToCome() throws Exception {
    try (var q = new WorkQueue<String>()) {
      q.addAfter("a", Duration.ofMillis(100));

      assertThat(q.idle()).as("a reschedule pending").isFalse();
      assertThat(q.idle(Duration.ofSeconds(1))).as("due within the horizon").isFalse();
      assertThat(q.take()).isEqualTo("a");
      assertThat(q.idle()).as("being processed").isFalse();
      q.done("a");
      assertThat(q.idle()).isTrue();
    }
  }

  @Test
  void isIdleUpToAHorizonShorterThanAPeriodicRequeue() {
    try (var q = new WorkQueue<String>()) {
      q.addAfter("drift-check", Duration.ofMinutes(1));

      assertThat(q.idle(Duration.ofSeconds(1))).isTrue();
      assertThat(q.idle(Duration.ofMinutes(2))).isFalse();
      assertThat(q.idle()).isFalse();
    }
  }

  @Test
  void delaysAKeyAddedAfterADuration() throws Exception {
    try (var q = new WorkQueue<String>()) {
      long start = System.nanoTime();
      q.addAfter("a", Duration.ofMillis(200));
      assertThat(q.depth()).isZero();
      await().atMost(Duration.ofSeconds(5)).until(() -> q.depth() == 1);
      assertThat(Duration.ofNanos(System.nanoTime() - start))
          .isGreaterThanOrEqualTo(Duration.ofMillis(190));
    }
  }

  @Test
  void returnsNullToWaitingTakersOnClose() throws Exception {
    var q = new WorkQueue<String>();
    var taker = CompletableFuture.supplyAsync(() -> takeQuietly(q));
    q.close();
    assertThat(taker.get(5, TimeUnit.SECONDS)).isNull();
  }

  private static String takeQuietly(WorkQueue<String> q) {
    try {
      return q.take();
    } catch (InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }
}
