package fr.acecinema.switchboard.postgres;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/** The schema versions the build ships, read from its migration scripts (tests only). */
public final class Migrations {
  private static final Path DIR = Path.of("src", "main", "resources", "db", "migration");
  private static final Pattern VERSION = Pattern.compile("V(\\d+)__.*\\.sql");

  private Migrations() {}

  /** The newest schema version, e.g. {@code 2}. */
  public static int latest() {
    try (Stream<Path> files = Files.list(DIR)) {
      return files
          .map(f -> VERSION.matcher(f.getFileName().toString()))
          .filter(Matcher::matches)
          .mapToInt(m -> Integer.parseInt(m.group(1)))
          .max()
          .orElseThrow(() -> new IllegalStateException("no migration in " + DIR));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Flyway's history once every migration applied: {@code ["1:true", "2:true", ...]}. */
  public static List<String> appliedHistory() {
    return IntStream.rangeClosed(1, latest()).mapToObj(v -> v + ":true").toList();
  }
}
