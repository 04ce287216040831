package fr.acecinema.switchboard.cli;

import fr.acecinema.switchboard.config.EnvDefaults;
import fr.acecinema.switchboard.config.SwitchboardConfig;
import fr.acecinema.switchboard.config.SwitchboardConfig.LogLevel;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.function.UnaryOperator;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Spec;

/**
 * {@code sbctl}: runs Switchboard and manages its manifests the way kubectl manages a cluster. Exit
 * codes: 0 success, 1 failure (invalid manifest, not found, timeout, I/O), 2 usage error.
 */
@Command(
    name = "sbctl",
    mixinStandardHelpOptions = true,
    versionProvider = Sbctl.Version.class,
    sortOptions = false,
    description = {
      "Switchboard: Site, Service and Backend manifests in a watched directory; health probes,"
          + " PostgreSQL records and Caddy routes out.",
      ""
    },
    subcommands = {
      RunCommand.class,
      AgentCommand.class,
      ApplyCommand.class,
      GetCommand.class,
      DescribeCommand.class,
      DeleteCommand.class,
      WaitCommand.class,
      RolloutCommand.class,
      ValidateCommand.class,
      RenderCommand.class,
      DemoCommand.class,
      HistoryCommand.class,
      RevisionsCommand.class,
      EventsCommand.class,
      TokenCommand.class,
      BackupCommand.class,
      RestoreCommand.class,
      VersionCommand.class,
      CommandLine.HelpCommand.class
    },
    footer = {
      "",
      "Exit codes: 0 success, 1 failure, 2 usage error.",
      "Every option is also an environment variable; see docs/configuration.md."
    })
public final class Sbctl implements Runnable {
  static final int OK = 0;
  static final int FAILURE = 1;
  static final int USAGE = 2;

  private static final String ENVIRONMENT_SECTION = "environment";

  @Mixin SwitchboardConfig config = new SwitchboardConfig();

  @Spec CommandSpec spec;

  private final FleetAccess fleets;
  private final Clock clock;

  public Sbctl(FleetAccess fleets, Clock clock) {
    this.fleets = fleets;
    this.clock = clock;
  }

  /** Entry point of the jar. */
  public static void main(String[] args) {
    System.exit(
        commandLine(new Sbctl(new LocalFleetAccess(), Clock.systemUTC()), System::getenv)
            .execute(args));
  }

  /**
   * A configured command line: environment defaults, exit codes, short error messages. Tests call
   * this with fakes and a fake environment.
   */
  public static CommandLine commandLine(Sbctl sbctl, UnaryOperator<String> env) {
    CommandLine cl = new CommandLine(sbctl);
    cl.setDefaultValueProvider(new EnvDefaults(env));
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    cl.setExitCodeExceptionMapper(
        e -> e instanceof CommandLine.ParameterException ? USAGE : FAILURE);
    cl.setParameterExceptionHandler(Sbctl::usageError);
    cl.setExecutionExceptionHandler(
        (e, line, parsed) -> {
          line.getErr().println("error: " + describe(e));
          line.getErr().flush();
          return FAILURE;
        });
    addEnvironmentSection(cl);
    return cl;
  }

  @Override
  public void run() {
    // `sbctl` alone: show what it can do, as a usage error (kubectl does the same).
    throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
  }

  SwitchboardConfig config() {
    return config;
  }

  Clock clock() {
    return clock;
  }

  /** How commands reach the fleet. */
  FleetAccess fleets() {
    return fleets;
  }

  /**
   * Applies the log format. Commands other than {@code run} log warnings only, so their output
   * stays readable, unless the level asks for debug or trace.
   */
  void setUpLogging(boolean daemon) {
    LogLevel level = config.logLevel();
    if (!daemon && level.compareTo(LogLevel.info) <= 0) {
      level = level.compareTo(LogLevel.warn) < 0 ? level : LogLevel.warn;
    }
    LogSetup.apply(config.logFormat(), level);
  }

  private static int usageError(CommandLine.ParameterException e, String[] args) {
    CommandLine line = e.getCommandLine();
    PrintWriter err = line.getErr();
    String hint =
        e.getArgSpec() == null
            ? ""
            : EnvDefaults.variableFor(e.getArgSpec())
                .map(
                    v ->
                        " (from --"
                            + v.substring("SWITCHBOARD_".length())
                                .toLowerCase(java.util.Locale.ROOT)
                                .replace('_', '-')
                            + " or "
                            + v
                            + ")")
                .orElse("");
    err.println("error: " + e.getMessage() + hint);
    String path = line.getCommandSpec().qualifiedName();
    err.println("Run '" + path + " --help' for usage.");
    err.flush();
    return USAGE;
  }

  private static String describe(Throwable e) {
    Throwable t = e;
    while ((t.getMessage() == null || t.getMessage().isBlank()) && t.getCause() != null) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }

  /**
   * Gives every command {@code -h/--help} (the usage error says "Run 'sbctl get --help'", so it
   * must work) and lists the SWITCHBOARD_* variables under the options of every command's help.
   */
  private static void addEnvironmentSection(CommandLine cl) {
    CommandSpec command = cl.getCommandSpec();
    if (command.options().stream().noneMatch(OptionSpec::usageHelp)) {
      command.addOption(
          OptionSpec.builder("-h", "--help")
              .usageHelp(true)
              .description("Show this help message and exit.")
              .build());
    }
    List<String> keys = new ArrayList<>(cl.getHelpSectionKeys());
    int at = keys.indexOf(CommandLine.Model.UsageMessageSpec.SECTION_KEY_OPTION_LIST);
    keys.add(at + 1, ENVIRONMENT_SECTION);
    cl.setHelpSectionKeys(keys);
    cl.getHelpSectionMap()
        .put(
            ENVIRONMENT_SECTION,
            help -> {
              List<String[]> lines = new ArrayList<>();
              for (OptionSpec o : help.commandSpec().options()) {
                EnvDefaults.variableFor(o)
                    .ifPresent(v -> lines.add(new String[] {v, o.longestName()}));
              }
              if (lines.isEmpty()) {
                return "";
              }
              int width = lines.stream().mapToInt(l -> l[0].length()).max().orElse(0);
              StringBuilder out =
                  new StringBuilder("\nEnvironment (a flag wins over its variable):\n");
              lines.forEach(
                  l -> out.append(String.format("  %-" + width + "s   %s%n", l[0], l[1])));
              return out.append('\n').toString();
            });
    command.usageMessage().showDefaultValues(true);
    cl.getSubcommands().values().forEach(Sbctl::addEnvironmentSection);
  }

  /** {@code sbctl --version}: the Maven version baked into the jar. */
  static final class Version implements IVersionProvider {
    @Override
    public String[] getVersion() throws IOException {
      return new String[] {
        "sbctl " + version(),
        "Java " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")"
      };
    }

    /** This build's version (from the jar), or {@code (development build)}. */
    static String version() throws IOException {
      String version = Sbctl.class.getPackage().getImplementationVersion();
      if (version == null) {
        try (InputStream in =
            Sbctl.class.getResourceAsStream(
                "/META-INF/maven/fr.acecinema/switchboard/pom.properties")) {
          if (in != null) {
            Properties p = new Properties();
            p.load(in);
            version = p.getProperty("version");
          }
        }
      }
      return version == null ? "(development build)" : version;
    }
  }
}
