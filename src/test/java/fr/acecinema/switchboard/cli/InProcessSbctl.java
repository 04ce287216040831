package fr.acecinema.switchboard.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Clock;
import java.util.Map;

/** Runs an {@code sbctl} command in this JVM, with only the environment given. */
public final class InProcessSbctl {
  /** Exit code, standard output and standard error of one command. */
  public record Result(int code, String out, String err) {}

  private InProcessSbctl() {}

  public static Result run(Map<String, String> env, String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    var cl = Sbctl.commandLine(new Sbctl(new LocalFleetAccess(), Clock.systemUTC()), env::get);
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(err, true));
    int code = cl.execute(args);
    return new Result(code, out.toString(), err.toString());
  }
}
