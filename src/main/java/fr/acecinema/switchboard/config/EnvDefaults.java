package fr.acecinema.switchboard.config;

import java.lang.reflect.Field;
import java.util.Locale;
import java.util.Optional;
import java.util.function.UnaryOperator;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Makes every {@link SwitchboardConfig} option readable from the environment: {@code --caddy-admin}
 * from {@code SWITCHBOARD_CADDY_ADMIN}. The name is derived, not declared, so an option cannot
 * forget its variable. A set variable replaces the annotation's default; a flag on the command line
 * still wins. Other options (e.g. {@code get -o}) are left alone.
 */
public final class EnvDefaults implements IDefaultValueProvider {
  private static final String PREFIX = "SWITCHBOARD_";

  private final UnaryOperator<String> env;

  /** Reads the process environment. */
  public EnvDefaults() {
    this(System::getenv);
  }

  /** Reads {@code env} (tests pass a map's {@code get}). */
  public EnvDefaults(UnaryOperator<String> env) {
    this.env = env;
  }

  /** {@code --data-dir} → {@code SWITCHBOARD_DATA_DIR}. */
  public static String variableFor(String longName) {
    return PREFIX + longName.replaceFirst("^-+", "").replace('-', '_').toUpperCase(Locale.ROOT);
  }

  /** The variable of a {@link SwitchboardConfig} option, empty for any other option. */
  public static Optional<String> variableFor(ArgSpec arg) {
    if (arg instanceof OptionSpec option
        && option.userObject() instanceof Field field
        && field.getDeclaringClass() == SwitchboardConfig.class) {
      return Optional.of(variableFor(option.longestName()));
    }
    return Optional.empty();
  }

  @Override
  public String defaultValue(ArgSpec arg) {
    return variableFor(arg).map(env).filter(v -> !v.isEmpty()).orElse(null);
  }
}
