package fr.acecinema.switchboard.validation;

import com.fasterxml.jackson.databind.JsonNode;
import fr.acecinema.switchboard.api.v1alpha1.ResolvedHealthCheck;
import fr.acecinema.switchboard.util.Durations;
import java.math.BigInteger;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Checks that need more than a schema but only the document itself: CIDRs with their host bits
 * clear, literal IPs, health check timing, status ranges, unique hosts. Checks involving other
 * resources (address inside the site's subnet, references) belong to the reconcilers.
 *
 * <p>A field that already has a schema problem is skipped so each mistake is reported once.
 */
final class SpecChecks {
  private SpecChecks() {}

  static void check(String kind, JsonNode spec, SubnetPolicy subnets, List<Problem> out) {
    List<Problem> schemaProblems = List.copyOf(out);
    Consumer<Problem> add =
        p -> {
          boolean reported =
              schemaProblems.stream().anyMatch(s -> Paths.within(s.path(), p.path()));
          if (!reported) {
            out.add(p);
          }
        };
    switch (kind) {
      case "Site" -> checkSubnet(spec.path("subnet"), subnets, add);
      case "Service" -> {
        checkHosts(spec.path("hosts"), add);
        checkHealth(spec.path("healthCheck"), "spec.healthCheck", true, add);
      }
      case "Backend" -> {
        checkAddress(spec.path("address"), add);
        checkHealth(spec.path("healthCheck"), "spec.healthCheck", false, add);
      }
      default -> {}
    }
  }

  private static void checkSubnet(JsonNode v, SubnetPolicy subnets, Consumer<Problem> add) {
    if (!v.isTextual()) {
      return;
    }
    try {
      Subnets.Cidr cidr = Subnets.parseCidr(v.asText());
      if (!cidr.isNetworkAddress()) {
        add.accept(
            new Problem(
                "spec.subnet",
                "'" + v.asText() + "' has host bits set",
                "write the network address: " + cidr));
        return;
      }
      subnets
          .refusal(cidr)
          .ifPresent(why -> add.accept(new Problem("spec.subnet", why, SubnetPolicy.hint(cidr))));
    } catch (IllegalArgumentException e) {
      add.accept(new Problem("spec.subnet", "is not a valid CIDR block", e.getMessage()));
    }
  }

  private static void checkAddress(JsonNode v, Consumer<Problem> add) {
    if (!v.isTextual()) {
      return;
    }
    String text = v.asText();
    Subnets.Ip ip;
    try {
      ip = Subnets.parseIp(text);
    } catch (IllegalArgumentException e) {
      int colon = text.lastIndexOf(':');
      if (colon > 0
          && text.indexOf(':') == colon
          && Subnets.isIpLiteral(text.substring(0, colon))) {
        add.accept(
            new Problem(
                "spec.address",
                "'" + text + "' includes a port",
                "write address: "
                    + text.substring(0, colon)
                    + " and port: "
                    + text.substring(colon + 1)));
      } else {
        add.accept(
            new Problem("spec.address", "'" + text + "' is not an IP address", Hints.ADDRESS_WHY));
      }
      return;
    }
    if (ip.value().signum() == 0) {
      add.accept(
          new Problem(
              "spec.address",
              "'" + text + "' is the unspecified address, which no backend can listen on",
              "write the backend's own IP, e.g. 10.200.0.23"));
    } else if (isMulticast(ip)) {
      add.accept(
          new Problem(
              "spec.address",
              "'" + text + "' is a multicast address",
              "write the backend's own unicast IP, e.g. 10.200.0.23"));
    }
  }

  private static boolean isMulticast(Subnets.Ip ip) {
    BigInteger top = ip.bits() == 32 ? ip.value().shiftRight(28) : ip.value().shiftRight(120);
    return ip.bits() == 32 ? top.intValue() == 0xe : top.intValue() == 0xff;
  }

  private static void checkHosts(JsonNode hosts, Consumer<Problem> add) {
    if (!hosts.isArray()) {
      return;
    }
    Map<String, Integer> seen = new HashMap<>();
    for (int i = 0; i < hosts.size(); i++) {
      String h = hosts.get(i).asText();
      Integer first = seen.putIfAbsent(h, i);
      if (first != null) {
        add.accept(
            new Problem(
                Paths.index("spec.hosts", i),
                "'" + h + "' is listed twice (also spec.hosts[" + first + "])",
                "remove the duplicate"));
      }
    }
  }

  /**
   * @param base true for a Service, whose check is completed by the defaults; a Backend's check
   *     only overrides fields, so timeout and interval are compared only when both are set there
   */
  private static void checkHealth(JsonNode hc, String path, boolean base, Consumer<Problem> add) {
    if (!hc.isObject()) {
      return;
    }
    Duration interval =
        duration(hc.path("interval"), base ? ResolvedHealthCheck.DEFAULT_INTERVAL : null);
    Duration timeout =
        duration(hc.path("timeout"), base ? ResolvedHealthCheck.DEFAULT_TIMEOUT : null);
    if (interval != null && interval.isZero()) {
      add.accept(new Problem(path + ".interval", "is zero", "write a positive interval, e.g. 2s"));
    } else if (timeout != null && timeout.isZero()) {
      add.accept(new Problem(path + ".timeout", "is zero", "write a positive timeout, e.g. 1s"));
    } else if (interval != null && timeout != null && timeout.compareTo(interval) >= 0) {
      boolean timeoutSet = hc.has("timeout");
      String field = timeoutSet ? path + ".timeout" : path + ".interval";
      add.accept(
          new Problem(
              field,
              "timeout "
                  + Durations.format(timeout)
                  + (timeoutSet ? "" : " (default)")
                  + " is not below interval "
                  + Durations.format(interval)
                  + (hc.has("interval") ? "" : " (default)"),
              "a probe must end before the next one starts: make timeout shorter than interval,"
                  + " e.g. interval: "
                  + Durations.format(timeout.multipliedBy(2))
                  + " for timeout: "
                  + Durations.format(timeout)));
    }
    JsonNode status = hc.path("expectStatus");
    if (status.isTextual()) {
      for (String part : status.asText().split(",")) {
        String[] range = part.split("-");
        if (range.length == 2 && Integer.parseInt(range[0]) > Integer.parseInt(range[1])) {
          add.accept(
              new Problem(
                  path + ".expectStatus",
                  "range " + part + " is reversed",
                  "write the lower code first: " + range[1] + "-" + range[0]));
        }
      }
    }
  }

  private static Duration duration(JsonNode v, String fallback) {
    String text = v.isTextual() ? v.asText() : fallback;
    if (text == null) {
      return null;
    }
    try {
      return Durations.parse(text);
    } catch (IllegalArgumentException e) {
      return null; // reported by the schema walker
    }
  }
}
