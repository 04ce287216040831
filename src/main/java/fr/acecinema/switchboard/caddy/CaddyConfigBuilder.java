package fr.acecinema.switchboard.caddy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
 * asks {@link UpstreamResolver} for its upstreams ({@code dynamic_upstreams}, SRV), so health
 * changes never reload Caddy (every 2.6.2 reload closes every WebSocket). Its static {@code
 * upstreams} (the routable backends) serve only while the resolver does not answer, e.g. while
 * Switchboard restarts; they are left out of drift checks ({@link #shape}), so they alone never
 * cause a reload. A service with a next tier declared gets an error route ({@code 502}/{@code 503})
 * asking for the next tier. No Caddy health checks: Switchboard's probes and heartbeat are the one
 * view of health, and weights never multiply probes. Every host ends in a 404 so unknown paths
 * never look like success. See docs/caddy.md.
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
      if (s.fallbackRoute() && !s.tiers().isEmpty()) {
        ObjectNode fallback = JSON.objectNode();
        fallback.put("@id", Settings.ID_PREFIX + "fallback-" + s.name());
        ObjectNode match = matcher(s);
        match.put("expression", "{http.error.status_code} in [502, 503]");
        fallback.putArray("match").add(match);
        fallback.putArray("handle").add(proxy(s, 1, s.balancing().tryDuration(), settings));
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
      if (s.fallbackRoute() && settings.fallbackTryDuration().compareTo(tryDuration) < 0) {
        tryDuration = settings.fallbackTryDuration();
      }
      handle.add(proxy(s, 0, tryDuration, settings));
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
      RoutedService s, int tier, Duration tryDuration, Settings settings) {
    RoutedService.Balancing b = s.balancing();
    ObjectNode proxy = JSON.objectNode();
    proxy.put("handler", "reverse_proxy");
    ArrayNode upstreams = proxy.putArray("upstreams");
    if (tier < s.tiers().size()) {
      for (Upstream u : copies(s.tiers().get(tier), b.policy())) {
        upstreams.addObject().put("dial", u.dial());
      }
    }
    ObjectNode dynamic = proxy.putObject("dynamic_upstreams");
    dynamic.put("source", "srv");
    dynamic.put("name", UpstreamResolver.serviceName(s.name(), tier));
    dynamic.put("refresh", Durations.format(settings.resolverRefresh()));
    dynamic.putObject("resolver").putArray("addresses").add("tcp/" + settings.resolver());
    dynamic.put("dial_timeout", "1s");
    ObjectNode lb = proxy.putObject("load_balancing");
    lb.putObject("selection_policy").put("policy", policyName(b.policy()));
    lb.put("try_duration", Durations.format(tryDuration));
    lb.put("try_interval", Durations.format(b.tryInterval()));
    ObjectNode transport = proxy.putObject("transport");
    transport.put("protocol", "http");
    transport.put("dial_timeout", Durations.format(b.dialTimeout()));
    transport.put("response_header_timeout", Durations.format(b.responseTimeout()));
    // SRV targets are names (10-200-0-23.ip.switchboard.internal.): the same resolver spells them.
    transport.putObject("resolver").putArray("addresses").add("tcp/" + settings.resolver());
    return proxy;
  }

  /**
   * What must match for Caddy to run what we want: the server without the static upstreams, which
   * serve only while the resolver does not answer; refreshing them alone is not worth a reload.
   */
  public static JsonNode shape(JsonNode server) {
    if (server == null || !server.isContainerNode()) {
      return server;
    }
    JsonNode copy = server.deepCopy();
    strip(copy);
    return copy;
  }

  private static void strip(JsonNode node) {
    if (node.isObject()) {
      ObjectNode o = (ObjectNode) node;
      if ("reverse_proxy".equals(o.path("handler").asText())) {
        o.remove("upstreams");
      }
      o.elements().forEachRemaining(CaddyConfigBuilder::strip);
    } else if (node.isArray()) {
      node.elements().forEachRemaining(CaddyConfigBuilder::strip);
    }
  }

  /**
   * The SRV records the resolver answers for one tier: an upstream of weight w appears w/g times
   * (random, round_robin: Caddy 2.6.2 has no weights, repetition is weight), otherwise once, with
   * the order kept in the SRV priority (Go sorts by it) for {@code first}.
   */
  public static List<DnsWire.Srv> records(Tier tier, Policy policy) {
    List<DnsWire.Srv> out = new ArrayList<>();
    List<Upstream> copies = copies(tier, policy);
    boolean ordered = policy != Policy.RANDOM && policy != Policy.ROUND_ROBIN;
    for (int i = 0; i < copies.size(); i++) {
      Upstream u = copies.get(i);
      out.add(
          new DnsWire.Srv(
              ordered ? i : 0, u.weight(), u.port(), UpstreamResolver.hostName(u.host())));
    }
    return out;
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
