package fr.acecinema.switchboard.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks of a {@code /metrics} output (Prometheus text format): every family has a HELP text, the
 * Grafana dashboard's queries name only series and labels that it holds, and {@code promtool check
 * metrics} (when installed) accepts it.
 */
public final class MetricsLint {
  public static final Path DASHBOARD = Path.of("docs", "grafana-dashboard.json");

  private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{.*})?\\s");
  private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"");
  private static final Pattern LABEL_VALUE = Pattern.compile("=\"(?:[^\"\\\\]|\\\\.)*\"");
  private static final Pattern HELP = Pattern.compile("^# HELP (\\S+)(?: (.*))?$");
  private static final Pattern TYPE = Pattern.compile("^# TYPE (\\S+) ");
  private static final Pattern GROUPING =
      Pattern.compile("\\b(?:by|without|on|ignoring|group_left|group_right)\\s*\\(([^)]*)\\)");
  private static final Pattern MATCHERS = Pattern.compile("\\{([^}]*)}");
  private static final Pattern MATCHER_LABEL =
      Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)\\s*(?:=~|!~|!=|=)");
  private static final Pattern LEGEND_LABEL =
      Pattern.compile("\\{\\{\\s*([a-zA-Z_][a-zA-Z0-9_]*)\\s*}}");
  private static final Pattern IDENTIFIER = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
  private static final Set<String> KEYWORDS =
      Set.of("and", "or", "unless", "bool", "offset", "inf", "nan");

  private MetricsLint() {}

  /** Sample name (e.g. {@code x_total}, {@code y_seconds_count}) → the label names it carries. */
  public static Map<String, Set<String>> series(String exposition) {
    Map<String, Set<String>> series = new TreeMap<>();
    for (String line : exposition.split("\n")) {
      Matcher m = SAMPLE.matcher(line);
      if (line.startsWith("#") || !m.find()) {
        continue;
      }
      Set<String> labels = series.computeIfAbsent(m.group(1), k -> new LinkedHashSet<>());
      if (m.group(2) != null) {
        // Label values may hold anything: drop them before reading the names.
        Matcher l = LABEL.matcher(LABEL_VALUE.matcher(m.group(2)).replaceAll("=\""));
        while (l.find()) {
          labels.add(l.group(1));
        }
      }
    }
    return series;
  }

  /** The families (from their TYPE line) whose HELP line is missing or blank. */
  public static List<String> withoutHelp(String exposition) {
    Set<String> helped = new LinkedHashSet<>();
    List<String> typed = new ArrayList<>();
    for (String line : exposition.split("\n")) {
      Matcher help = HELP.matcher(line);
      if (help.find() && help.group(2) != null && !help.group(2).isBlank()) {
        helped.add(help.group(1));
      }
      Matcher type = TYPE.matcher(line);
      if (type.find()) {
        typed.add(type.group(1));
      }
    }
    return typed.stream().filter(f -> !helped.contains(f)).toList();
  }

  /** What is wrong with the dashboard's queries against {@code exposition}; empty when nothing. */
  public static List<String> dashboardProblems(String exposition) throws IOException {
    return dashboardProblems(new ObjectMapper().readTree(DASHBOARD.toFile()), series(exposition));
  }

  /**
   * Every metric a query names must be served, and every label it groups by, matches on or shows in
   * its legend must be on each of those metrics.
   */
  public static List<String> dashboardProblems(
      JsonNode dashboard, Map<String, Set<String>> served) {
    List<String> problems = new ArrayList<>();
    List<JsonNode> targets = new ArrayList<>();
    collectTargets(dashboard, targets);
    if (targets.isEmpty()) {
      problems.add("the dashboard has no query");
    }
    for (JsonNode target : targets) {
      String expr = target.path("expr").asText();
      Set<String> labels = new LinkedHashSet<>();
      String rest = expr.replaceAll("\\$\\{[^}]*}|\\$\\w+", " ");
      rest = rest.replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", "\"\"");
      rest = extract(GROUPING, rest, labels, IDENTIFIER);
      rest = extract(MATCHERS, rest, labels, MATCHER_LABEL);
      rest = rest.replaceAll("\\[[^]]*]", " ").replaceAll("[a-zA-Z_][a-zA-Z0-9_]*\\s*\\(", "(");
      Matcher legend = LEGEND_LABEL.matcher(target.path("legendFormat").asText(""));
      while (legend.find()) {
        labels.add(legend.group(1));
      }
      Set<String> metrics = new LinkedHashSet<>();
      Matcher id = IDENTIFIER.matcher(rest);
      while (id.find()) {
        if (!KEYWORDS.contains(id.group().toLowerCase(java.util.Locale.ROOT))) {
          metrics.add(id.group());
        }
      }
      if (metrics.isEmpty()) {
        problems.add("no metric found in query: " + expr);
      }
      for (String metric : metrics) {
        Set<String> has = served.get(metric);
        if (has == null) {
          problems.add(metric + " is not served (query: " + expr + ")");
          continue;
        }
        for (String label : labels) {
          if (!has.contains(label)) {
            problems.add(
                metric + " has no label '" + label + "', only " + has + " (query: " + expr + ")");
          }
        }
      }
    }
    return problems;
  }

  /** Removes every match of {@code clause} from {@code expr}, adding the names found inside it. */
  private static String extract(Pattern clause, String expr, Set<String> names, Pattern name) {
    Matcher m = clause.matcher(expr);
    StringBuilder rest = new StringBuilder();
    while (m.find()) {
      Matcher n = name.matcher(m.group(1));
      while (n.find()) {
        names.add(n.group(1 <= n.groupCount() ? 1 : 0));
      }
      m.appendReplacement(rest, " ");
    }
    m.appendTail(rest);
    return rest.toString();
  }

  private static void collectTargets(JsonNode node, List<JsonNode> out) {
    if (node.isObject() && node.has("expr")) {
      out.add(node);
    }
    node.forEach(child -> collectTargets(child, out));
  }

  /** promtool's verdict on {@code exposition}, or empty when promtool is not installed. */
  public static Optional<Verdict> promtool(String exposition) throws Exception {
    Optional<Path> promtool = onPath("promtool");
    if (promtool.isEmpty()) {
      return Optional.empty();
    }
    Process p =
        new ProcessBuilder(promtool.get().toString(), "check", "metrics")
            .redirectErrorStream(true)
            .start();
    try (var in = p.getOutputStream()) {
      in.write(exposition.getBytes(StandardCharsets.UTF_8));
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("promtool check metrics did not finish in 30 s");
    }
    return Optional.of(new Verdict(p.exitValue(), out));
  }

  /** promtool's exit code and output. */
  public record Verdict(int code, String output) {}

  private static Optional<Path> onPath(String tool) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      Path candidate = Path.of(dir.isEmpty() ? "." : dir, tool);
      if (Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }
}
