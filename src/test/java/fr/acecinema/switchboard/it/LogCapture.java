package fr.acecinema.switchboard.it;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.slf4j.LoggerFactory;

/** Every log line of the process while open, to check what messages said. */
final class LogCapture implements AutoCloseable {
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

  private final ch.qos.logback.classic.Level previous = root().getLevel();

  LogCapture() {
    appender.start();
    root().addAppender(appender);
    // An in-process sbctl command earlier in this JVM (setUpLogging for a quiet command) may have
    // left the root at WARN; the lines tests look for are INFO.
    root().setLevel(ch.qos.logback.classic.Level.INFO);
  }

  /** The formatted messages logged so far. */
  List<String> messages() {
    // The appender adds under its own lock (AppenderBase.doAppend): read under it too, or lines
    // logged by other threads may be missed or the list seen mid-growth.
    synchronized (appender) {
      return appender.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    }
  }

  @Override
  public void close() {
    root().detachAppender(appender);
    root().setLevel(previous);
  }

  private static Logger root() {
    return (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  }
}
