package fr.acecinema.switchboard.caddy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import fr.acecinema.switchboard.api.v1alpha1.HealthCheck;
import fr.acecinema.switchboard.api.v1alpha1.ResolvedHealthCheck;
import fr.acecinema.switchboard.api.v1alpha1.ServiceSpec.LoadBalancing.Policy;
import fr.acecinema.switchboard.util.Durations;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Computes Switchboard's Caddy server ({@code apps.http.servers.switchboard}) from routed services.
 * Pure and deterministic: the same input gives a byte-identical tree and the same {@link
 * #revision}.
 *
 * <p>Per service: one route (host + path prefix, longest prefix first) whose {@code reverse_proxy}
 * holds the best tier only, with Caddy's active check, a one-strike passive check, retries and dial
 * / response-header timeouts so a dead backend costs no request before Switchboard pushes; the next
 * tier waits in an error route ({@code 502}/{@code 503}) so a whole dead tier is bridged until the
 * push. Every host ends in a 404 so unknown paths never look like success. See docs/caddy.md.
 */
public final class CaddyConfigBuilder {
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  private CaddyConfigBuilder() {}

  /** The {@code @id} of Switchboard's server object. */
  public static final String SERVER_ID = Settings.ID_PREFIX + "server";

  /** The desired server object for {@code apps.http.servers.}{@value Settings#SERVER_NAME}. */
  public static ObjectNode desired(List<RoutedService> services, Settings settings) {
    List<RoutedService> ordered =
        services.stream()
            .sorted(
                Comparator.comparing((RoutedService s) -> -s.prefixOrRoot().length())
                    .thenComparing(RoutedService::prefixOrRoot)
                    .thenComparing(RoutedService::name))
            .toList();
    ObjectNode server = JSON.objectNode();
    server.put("@id", SERVER_ID);
    ArrayNode listen = server.putArray("listen");
    settings.listen().stream().sorted().forEach(listen::add);
    if (!settings.automaticHttps()) {
      server.putObject("automatic_https").put("disable", true);
    }
    ArrayNode routes = server.putArray("routes");
    ArrayNode errorRoutes = JSON.arrayNode();
    for (RoutedService s : ordered) {
      routes.add(route(s, settings));
      if (s.tiers().size() > 1) {
        ObjectNode fallback = JSON.objectNode();
        fallback.put("@id", Settings.ID_PREFIX + "fallback-" + s.name());
        ObjectNode match = matcher(s);
        match.put("expression", "{http.error.status_code} in [502, 503]");
        fallback.putArray("match").add(match);
        fallback
            .putArray("handle")
            .add(proxy(s, s.tiers().get(1), s.balancing().tryDuration(), settings));
        fallback.put("terminal", true);
        errorRoutes.add(fallback);
      }
    }
    ObjectNode notFound = routes.addObject();
    notFound.put("@id", Settings.ID_PREFIX + "not-found");
    notFound
        .putArray("handle")
        .addObject()
        .put("handler", "static_response")
        .put("status_code", 404)
        .put("body", "404 not found\n");
    notFound.put("terminal", true);
    if (!errorRoutes.isEmpty()) {
      server.putObject("errors").set("routes", errorRoutes);
    }
    return server;
  }

  private static ObjectNode route(RoutedService s, Settings settings) {
    ObjectNode route = JSON.objectNode();
    route.put("@id", Settings.ID_PREFIX + "route-" + s.name());
    route.putArray("match").add(matcher(s));
    ArrayNode handle = route.putArray("handle");
    if (s.tiers().isEmpty()) {
      handle
          .addObject()
          .put("handler", "static_response")
          .put("status_code", 503)
          .put("body", "503 no ready backend for service " + s.name() + "\n");
    } else {
      Duration tryDuration = s.balancing().tryDuration();
      if (s.tiers().size() > 1 && settings.fallbackTryDuration().compareTo(tryDuration) < 0) {
        tryDuration = settings.fallbackTryDuration();
      }
      handle.add(proxy(s, s.tiers().get(0), tryDuration, settings));
    }
    route.put("terminal", true);
    return route;
  }

  private static ObjectNode matcher(RoutedService s) {
    ObjectNode match = JSON.objectNode();
    ArrayNode hosts = match.putArray("host");
    s.hosts().stream().map(String::toLowerCase).distinct().sorted().forEach(hosts::add);
    if (!"/".equals(s.prefixOrRoot())) {
      match.putArray("path").add(s.prefixOrRoot() + "*");
    }
    return match;
  }

  private static ObjectNode proxy(
      RoutedService s, Tier tier, Duration tryDuration, Settings settings) {
    RoutedService.Balancing b = s.balancing();
    ObjectNode proxy = JSON.objectNode();
    proxy.put("handler", "reverse_proxy");
    ArrayNode upstreams = proxy.putArray("upstreams");
    for (Upstream u : copies(tier, b.policy())) {
      upstreams.addObject().put("dial", u.dial());
    }
    ObjectNode lb = proxy.putObject("load_balancing");
    lb.putObject("selection_policy").put("policy", policyName(b.policy()));
    lb.put("try_duration", Durations.format(tryDuration));
    lb.put("try_interval", Durations.format(b.tryInterval()));
    ObjectNode health = proxy.putObject("health_checks");
    ResolvedHealthCheck hc = s.healthCheck();
    if (hc != null && hc.type() == HealthCheck.Type.HTTP) {
      ObjectNode active = health.putObject("active");
      active.put("uri", hc.path());
      active.put("interval", Durations.format(hc.interval()));
      active.put("timeout", Durations.format(hc.timeout()));
      Integer status = caddyExpectStatus(hc.expectStatus());
      if (status != null) {
        active.put("expect_status", status);
      }
      if (hc.expectBody() != null) {
        active.put("expect_body", quoteRegex(hc.expectBody()));
      }
    }
    ObjectNode passive = health.putObject("passive");
    passive.put("fail_duration", Durations.format(settings.failDuration()));
    passive.put("max_fails", 1);
    ObjectNode transport = proxy.putObject("transport");
    transport.put("protocol", "http");
    transport.put("dial_timeout", Durations.format(b.dialTimeout()));
    transport.put("response_header_timeout", Durations.format(b.responseTimeout()));
    return proxy;
  }

  /**
   * Caddy 2.6.2 has no upstream weights: an upstream of weight w appears w/g times (g the gcd of
   * the tier's weights), only for the policies where repetition means weight.
   */
  static List<Upstream> copies(Tier tier, Policy policy) {
    List<Upstream> sorted =
        tier.upstreams().stream()
            .sorted(Comparator.comparing((Upstream u) -> -u.weight()).thenComparing(Upstream::dial))
            .toList();
    if (policy != Policy.RANDOM && policy != Policy.ROUND_ROBIN) {
      return sorted;
    }
    int g = 0;
    for (Upstream u : sorted) {
      g = BigInteger.valueOf(g).gcd(BigInteger.valueOf(u.weight())).intValue();
    }
    List<Upstream> out = new ArrayList<>();
    for (Upstream u : sorted) {
      for (int i = 0; i < u.weight() / g; i++) {
        out.add(u);
      }
    }
    return out;
  }

  private static String policyName(Policy p) {
    return switch (p) {
      case RANDOM -> "random";
      case ROUND_ROBIN -> "round_robin";
      case LEAST_CONN -> "least_conn";
      case FIRST -> "first";
      case IP_HASH -> "ip_hash";
      case URI_HASH -> "uri_hash";
    };
  }

  /**
   * Caddy's {@code expect_status} is one code or a class ({@code 2} = 2xx); Switchboard's own
   * prober applies the exact list, Caddy's check only approximates it (null = Caddy's 200-399).
   */
  static Integer caddyExpectStatus(String expect) {
    if (expect == null || expect.contains(",")) {
      return null;
    }
    String[] range = expect.split("-");
    int lo = Integer.parseInt(range[0].trim());
    if (range.length == 1) {
      return lo;
    }
    int hi = Integer.parseInt(range[1].trim());
    if (lo % 100 == 0 && hi == lo + 99) {
      return lo / 100;
    }
    return null;
  }

  /** Go RE2 literal: escapes every regexp metacharacter. */
  static String quoteRegex(String text) {
    StringBuilder sb = new StringBuilder();
    for (char c : text.toCharArray()) {
      if ("\\.+*?()|[]{}^$".indexOf(c) >= 0) {
        sb.append('\\');
      }
      sb.append(c);
    }
    return sb.toString();
  }

  /**
   * Whether Caddy runs what we want: structural equality where numbers compare by value (Caddy
   * re-encodes them) and keys holding null are ignored.
   */
  public static boolean matches(JsonNode desired, JsonNode actual) {
    if (desired == null || desired.isNull() || desired.isMissingNode()) {
      return actual == null || actual.isNull() || actual.isMissingNode();
    }
    if (actual == null) {
      return false;
    }
    if (desired.isNumber() && actual.isNumber()) {
      return desired.decimalValue().compareTo(actual.decimalValue()) == 0;
    }
    if (desired.isObject() && actual.isObject()) {
      Map<String, JsonNode> a = nonNullFields(desired);
      Map<String, JsonNode> b = nonNullFields(actual);
      if (!a.keySet().equals(b.keySet())) {
        return false;
      }
      for (Map.Entry<String, JsonNode> e : a.entrySet()) {
        if (!matches(e.getValue(), b.get(e.getKey()))) {
          return false;
        }
      }
      return true;
    }
    if (desired.isArray() && actual.isArray()) {
      if (desired.size() != actual.size()) {
        return false;
      }
      for (int i = 0; i < desired.size(); i++) {
        if (!matches(desired.get(i), actual.get(i))) {
          return false;
        }
      }
      return true;
    }
    return desired.equals(actual);
  }

  private static Map<String, JsonNode> nonNullFields(JsonNode node) {
    Map<String, JsonNode> out = new TreeMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().isNull()) {
        out.put(e.getKey(), e.getValue());
      }
    }
    return out;
  }

  /** Short SHA-256 (12 hex digits) of the canonical JSON (keys sorted): a stable revision. */
  public static String revision(JsonNode config) {
    StringBuilder sb = new StringBuilder();
    canonical(config, sb);
    try {
      byte[] hash =
          MessageDigest.getInstance("SHA-256")
              .digest(sb.toString().getBytes(StandardCharsets.UTF_8));
      StringBuilder hex = new StringBuilder();
      for (int i = 0; i < 6; i++) {
        hex.append(String.format("%02x", hash[i]));
      }
      return hex.toString();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JRE", e);
    }
  }

  private static void canonical(JsonNode node, StringBuilder sb) {
    if (node.isObject()) {
      sb.append('{');
      boolean first = true;
      for (Map.Entry<String, JsonNode> e : nonNullFields(node).entrySet()) {
        if (!first) {
          sb.append(',');
        }
        first = false;
        sb.append(JSON.textNode(e.getKey())).append(':');
        canonical(e.getValue(), sb);
      }
      sb.append('}');
    } else if (node.isArray()) {
      sb.append('[');
      for (int i = 0; i < node.size(); i++) {
        if (i > 0) {
          sb.append(',');
        }
        canonical(node.get(i), sb);
      }
      sb.append(']');
    } else if (node.isNumber()) {
      sb.append(node.decimalValue().stripTrailingZeros().toPlainString());
    } else {
      sb.append(node);
    }
  }
}
