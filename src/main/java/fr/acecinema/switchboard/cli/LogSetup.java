package fr.acecinema.switchboard.cli;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.joran.spi.JoranException;
import fr.acecinema.switchboard.config.SwitchboardConfig.LogFormat;
import fr.acecinema.switchboard.config.SwitchboardConfig.LogLevel;
import java.net.URL;
import org.slf4j.LoggerFactory;

/**
 * Applies the configured log format and level once the command line is parsed: sets the properties
 * {@code logback.xml} reads and reloads it. Logback's {@code <if>} would need janino; reloading
 * keeps the choice in one XML file.
 */
public final class LogSetup {
  static final String FORMAT_PROPERTY = "switchboard.log.format";
  static final String LEVEL_PROPERTY = "switchboard.log.level";

  /**
   * Jetty's threshold: the configured one, but never below info. Jetty's HTTP parser logs whole
   * request headers at debug, bearer tokens included, and a debug run must not write tokens into
   * logs that are shipped and kept.
   */
  static final String JETTY_LEVEL_PROPERTY = "switchboard.log.jetty.level";

  private LogSetup() {}

  /** Switches every logger to {@code format} at {@code level}. */
  public static void apply(LogFormat format, LogLevel level) {
    System.setProperty(FORMAT_PROPERTY, format.name());
    System.setProperty(LEVEL_PROPERTY, level.name());
    boolean chatty = level == LogLevel.debug || level == LogLevel.trace;
    System.setProperty(JETTY_LEVEL_PROPERTY, chatty ? LogLevel.info.name() : level.name());
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return; // another SLF4J binding (e.g. in an embedding application) configures itself
    }
    URL xml = LogSetup.class.getResource("/logback.xml");
    if (xml == null) {
      return;
    }
    context.reset();
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    try {
      configurator.doConfigure(xml);
    } catch (JoranException e) {
      // Logback already printed its status; logging falls back to nothing rather than crashing.
      System.err.println("sbctl: cannot configure logging: " + e.getMessage());
    }
  }
}
