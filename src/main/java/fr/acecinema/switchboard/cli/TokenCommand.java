package fr.acecinema.switchboard.cli;

import fr.acecinema.switchboard.server.Scope;
import fr.acecinema.switchboard.server.TokenStore;
import java.io.PrintWriter;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code sbctl token create|revoke|list}: bearer tokens of the API, kept as SHA-256 hashes in
 * {@code DATA_DIR/tokens.json}. A local command: it runs on the hub, next to the data dir; the
 * running server sees changes without a restart. Parallel commands are safe: each change is made
 * under a lock beside the file (see {@link TokenStore}), and each exits 0 only when its change is
 * in the file (1 otherwise, with the reason on stderr).
 */
@Command(
    name = "token",
    description = "Create, revoke and list the API's bearer tokens (in DATA_DIR/tokens.json).",
    subcommands = {
      TokenCommand.Create.class,
      TokenCommand.Revoke.class,
      TokenCommand.ListTokens.class
    })
final class TokenCommand implements Runnable {
  @ParentCommand Sbctl root;
  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new picocli.CommandLine.ParameterException(
        spec.commandLine(), "a subcommand is required: create, revoke or list");
  }

  /**
   * The API's URL under this configuration (run on the hub with the server's settings): https only
   * when the server has a certificate, its real listen address and port. A loopback address is
   * reached from elsewhere through a tunnel to that same port.
   */
  String serverUrl() {
    var config = root.config();
    var listen = config.listen();
    return (config.tlsCert().isPresent() ? "https" : "http")
        + "://"
        + listen.getHostString()
        + ":"
        + listen.getPort();
  }

  TokenStore store() {
    root.setUpLogging(false);
    return TokenStore.in(root.config().dataDir());
  }

  /** {@code sbctl token create NAME --scope write}. */
  @Command(name = "create", description = "Create a token; its secret is printed once.")
  static final class Create implements Callable<Integer> {
    @ParentCommand TokenCommand parent;
    @Spec CommandSpec spec;

    @Parameters(paramLabel = "NAME", description = "What the token is for, e.g. laptop or ci.")
    String name;

    @Option(
        names = "--scope",
        defaultValue = "read",
        paramLabel = "read|write|admin|agent",
        description =
            "read: get, watch, /metrics; write: also apply; admin: also delete; agent: a site's"
                + " agent (with --site SITE), which may only register its site's containers."
                + " Default: read.")
    Scope scope;

    @Override
    public Integer call() throws Exception {
      TokenStore store = parent.store();
      // --site is the configuration's (sbctl agent reads it too): the site an agent token acts for.
      String site = parent.root.config().site().isEmpty() ? null : parent.root.config().site();
      TokenStore.Created created;
      try {
        created = store.create(name, scope, site);
      } catch (IllegalArgumentException e) {
        spec.commandLine().getErr().println("error: " + e.getMessage());
        return Sbctl.FAILURE;
      }
      PrintWriter out = spec.commandLine().getOut();
      out.println(created.secret());
      out.flush();
      PrintWriter err = spec.commandLine().getErr();
      err.println(
          "token '"
              + name
              + "' ("
              + created.token().id()
              + ", scope "
              + scope
              + (site == null ? "" : " for site " + site)
              + ") created in "
              + store.file()
              + "; copy it now, it is not shown again. Use it with:");
      err.println(
          site == null
              ? "  export SWITCHBOARD_SERVER="
                  + parent.serverUrl()
                  + " SWITCHBOARD_TOKEN=<the line above>"
              : "  sbctl agent --hub "
                  + parent.serverUrl()
                  + " --site "
                  + site
                  + " --token <the line above>");
      err.flush();
      return Sbctl.OK;
    }
  }

  /** {@code sbctl token revoke ID|NAME}. */
  @Command(name = "revoke", description = "Revoke a token by id or name; effective at once.")
  static final class Revoke implements Callable<Integer> {
    @ParentCommand TokenCommand parent;
    @Spec CommandSpec spec;

    @Parameters(paramLabel = "ID|NAME")
    String token;

    @Override
    public Integer call() throws Exception {
      Optional<TokenStore.Token> revoked;
      try {
        revoked = parent.store().revoke(token);
      } catch (IllegalArgumentException e) {
        spec.commandLine().getErr().println("error: " + e.getMessage());
        return Sbctl.FAILURE;
      }
      if (revoked.isEmpty()) {
        spec.commandLine()
            .getErr()
            .println("error: no token with id or name '" + token + "'; see sbctl token list");
        return Sbctl.FAILURE;
      }
      TokenStore.Token t = revoked.get();
      spec.commandLine().getOut().println("token " + t.name() + " (" + t.id() + ") revoked");
      return Sbctl.OK;
    }
  }

  /** {@code sbctl token list}. */
  @Command(name = "list", description = "List tokens (id, name, scope, creation); no secrets.")
  static final class ListTokens implements Callable<Integer> {
    @ParentCommand TokenCommand parent;
    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      out.println(
          String.format("%-10s %-24s %-6s %-12s %s", "ID", "NAME", "SCOPE", "SITE", "CREATED"));
      for (TokenStore.Token t : parent.store().list()) {
        out.println(
            String.format(
                "%-10s %-24s %-6s %-12s %s",
                t.id(), t.name(), t.scope(), t.site() == null ? "-" : t.site(), t.created()));
      }
      out.flush();
      return Sbctl.OK;
    }
  }
}
