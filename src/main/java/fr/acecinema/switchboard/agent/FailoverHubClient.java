package fr.acecinema.switchboard.agent;

import fr.acecinema.switchboard.api.v1alpha1.Deployment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * An agent's hubs when two (or more) hubs share one fleet ({@code sbctl agent --hub A,B}). Every
 * hub keeps its own memory of the agents' heartbeats, and any of them may lead next: a heartbeat
 * goes to every hub at once. Reads and writes of Backends and Deployments go to one hub (the fleet
 * is one table both serve): the one that answered last, else the next in order. A hub that does not
 * answer costs one timeout, after which the next one answered is kept; a refusal is an answer, not
 * a reason to ask another hub.
 */
public final class FailoverHubClient implements HubClient {
  /** One call to one hub. */
  @FunctionalInterface
  private interface Call<T> {
    T on(HubClient hub) throws HubException;
  }

  /** How long a heartbeat waits for the other hubs once one hub accepted it. */
  static final Duration STRAGGLER_WAIT = Duration.ofSeconds(1);

  private final List<HubClient> hubs;
  // Per hub, its heartbeat in flight (or last sent): one at a time per hub.
  private final AtomicReferenceArray<Future<Answer>> inFlight;
  // Heartbeats to every hub at once: a hub that hangs until its timeout must not delay the others.
  private final ExecutorService senders =
      Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("hub-report-", 0).factory());
  private volatile int preferred;

  /**
   * @param hubs the hubs, in the order they are tried first
   */
  public FailoverHubClient(List<HubClient> hubs) {
    if (hubs.isEmpty()) {
      throw new IllegalArgumentException("no hub");
    }
    this.hubs = List.copyOf(hubs);
    this.inFlight = new AtomicReferenceArray<>(hubs.size());
  }

  @Override
  public String subnet(String site) throws HubException {
    return first(h -> h.subnet(site));
  }

  @Override
  public List<HubBackend> backends() throws HubException {
    return first(HubClient::backends);
  }

  @Override
  public void putBackend(HubBackend backend) throws HubException {
    firstDoes(h -> h.putBackend(backend));
  }

  @Override
  public void deleteBackend(String name) throws HubException {
    firstDoes(h -> h.deleteBackend(name));
  }

  @Override
  public List<Deployment> deployments() throws HubException {
    return first(HubClient::deployments);
  }

  /**
   * Sends the heartbeat to every hub at once. It succeeds when one hub accepted it, unless a hub
   * that answered in time calls it a replay (the agent then dates the next one later, which every
   * hub accepts); when none accepted, a refusal is reported before a hub that did not answer.
   *
   * <p>Once one hub accepted, the others get {@link #STRAGGLER_WAIT} more: a hub that is cut off
   * costs a connect timeout, and the agent's turn must not wait for it every interval. A hub still
   * busy with the previous heartbeat is not sent another.
   */
  @Override
  public void report(String site, AgentReport report) throws HubException {
    CompletionService<Answer> answers = new ExecutorCompletionService<>(senders);
    int pending = 0;
    for (int i = 0; i < hubs.size(); i++) {
      Future<Answer> previous = inFlight.get(i);
      if (previous != null && !previous.isDone()) {
        continue;
      }
      HubClient h = hubs.get(i);
      inFlight.set(
          i,
          answers.submit(
              () -> {
                try {
                  h.report(site, report);
                  return new Answer(null);
                } catch (HubException e) {
                  return new Answer(e);
                } catch (RuntimeException e) {
                  return new Answer(
                      new HubException(HubException.Kind.UNAVAILABLE, 0, "heartbeat: " + e, e));
                }
              }));
      pending++;
    }
    if (pending == 0) {
      throw new HubException(
          HubException.Kind.UNAVAILABLE, 0, "every hub is still busy with the last heartbeat");
    }
    boolean accepted = false;
    long deadline = Long.MAX_VALUE;
    HubException replay = null;
    HubException refused = null;
    HubException unavailable = null;
    try {
      for (; pending > 0; pending--) {
        Future<Answer> done =
            accepted
                ? answers.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)
                : answers.take();
        if (done == null) {
          break; // the hubs still sending answer after this heartbeat; the next one waits less
        }
        HubException e = done.get().error();
        if (e == null) {
          if (!accepted) {
            accepted = true;
            deadline = System.nanoTime() + STRAGGLER_WAIT.toNanos();
          }
        } else if (e.kind() == HubException.Kind.REPLAY) {
          replay = e;
        } else if (e.kind() == HubException.Kind.REFUSED) {
          refused = e;
        } else {
          unavailable = e;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new HubException(HubException.Kind.UNAVAILABLE, 0, "interrupted", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("a heartbeat task failed", e.getCause());
    }
    if (replay != null) {
      throw replay;
    }
    if (!accepted) {
      throw refused != null
          ? refused
          : unavailable != null
              ? unavailable
              : new HubException(HubException.Kind.UNAVAILABLE, 0, "no hub answered");
    }
  }

  /** What one hub answered a heartbeat: null when it accepted it. */
  private record Answer(HubException error) {}

  /** One write to one hub, which answers nothing but success or a {@link HubException}. */
  @FunctionalInterface
  private interface Write {
    void on(HubClient hub) throws HubException;
  }

  /** {@code write} as {@link #first} does a call. */
  private void firstDoes(Write write) throws HubException {
    first(
        h -> {
          write.on(h);
          return null;
        });
  }

  /** {@code call} on the preferred hub, then on each next one while none answers. */
  private <T> T first(Call<T> call) throws HubException {
    int start = preferred;
    List<String> silent = new ArrayList<>();
    HubException last = null;
    for (int i = 0; i < hubs.size(); i++) {
      int at = (start + i) % hubs.size();
      try {
        T answer = call.on(hubs.get(at));
        preferred = at;
        return answer;
      } catch (HubException e) {
        if (e.kind() != HubException.Kind.UNAVAILABLE) {
          preferred = at;
          throw e;
        }
        silent.add(e.getMessage());
        last = e;
      }
    }
    throw new HubException(
        HubException.Kind.UNAVAILABLE,
        last.status(),
        "no hub answers: " + String.join("; ", silent),
        last);
  }
}
