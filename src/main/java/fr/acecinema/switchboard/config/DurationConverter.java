package fr.acecinema.switchboard.config;

import fr.acecinema.switchboard.util.Durations;
import java.time.Duration;
import picocli.CommandLine.ITypeConverter;

/** Reads {@code 30s}, {@code 1m30s}, {@code 500ms} with {@link Durations}. */
public final class DurationConverter implements ITypeConverter<Duration> {
  @Override
  public Duration convert(String value) {
    return Durations.parse(value.trim());
  }
}
