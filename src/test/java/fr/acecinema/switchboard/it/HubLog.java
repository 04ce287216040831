package fr.acecinema.switchboard.it;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.FileAppender;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.LoggerFactory;

/**
 * The log of a hub that runs inside the test's JVM, kept in {@code
 * target/testbed-logs/NAME-hub.log} for a failure's post-mortem (the agents' logs sit beside it):
 * every line at INFO and above while open, whatever level an in-process sbctl command left on the
 * console.
 */
final class HubLog implements AutoCloseable {
  private final FileAppender<ILoggingEvent> appender = new FileAppender<>();
  private final ch.qos.logback.classic.Level previous = root().getLevel();

  HubLog(String name) throws java.io.IOException {
    Path keep = Files.createDirectories(Path.of("target", "testbed-logs"));
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern("%d{HH:mm:ss.SSS} %-5level [%thread] %logger{20} - %msg%n");
    encoder.start();
    appender.setContext(context);
    appender.setName(name + "-hub");
    appender.setFile(keep.resolve(name + "-hub.log").toString());
    appender.setAppend(false);
    appender.setEncoder(encoder);
    appender.start();
    root().addAppender(appender);
    root().setLevel(ch.qos.logback.classic.Level.INFO);
  }

  @Override
  public void close() {
    root().detachAppender(appender);
    appender.stop();
    root().setLevel(previous);
  }

  private static Logger root() {
    return (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  }
}
