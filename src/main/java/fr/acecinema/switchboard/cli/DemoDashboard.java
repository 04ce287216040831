package fr.acecinema.switchboard.cli;

import fr.acecinema.switchboard.app.Switchboard;
import fr.acecinema.switchboard.server.ApiServer;
import fr.acecinema.switchboard.server.ManifestDirectoryTarget;
import fr.acecinema.switchboard.server.Scope;
import fr.acecinema.switchboard.server.TokenStore;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The API and its dashboard for {@code sbctl demo}: on a free 127.0.0.1 port (the demo may run
 * beside a hub's {@code sbctl run} on 7070), over the demo's scratch fleet, with a write token made
 * for the tour in a temporary data directory removed on close. The demo keeps no records, so the
 * dashboard's history panels say so.
 */
final class DemoDashboard implements AutoCloseable {
  private final ApiServer server;
  private final Path data;
  private final String token;

  private DemoDashboard(ApiServer server, Path data, String token) {
    this.server = server;
    this.data = data;
    this.token = token;
  }

  static DemoDashboard start(Switchboard operator, Path manifests) throws IOException {
    Path data = Files.createTempDirectory("switchboard-demo-data-");
    try {
      TokenStore tokens = TokenStore.in(data);
      String token = tokens.create("demo", Scope.write).secret();
      operator.withApi(
          tokens, new ManifestDirectoryTarget(manifests, DemoRunner.DEMO_SUBNETS), () -> "");
      ApiServer server =
          ApiServer.start(
              ApiServer.Settings.of(new InetSocketAddress("127.0.0.1", 0)),
              operator::readiness,
              operator.api());
      return new DemoDashboard(server, data, token);
    } catch (IOException | RuntimeException e) {
      DemoRunner.deleteTree(data);
      throw e;
    }
  }

  String url() {
    return "http://127.0.0.1:" + server.port() + "/ui/";
  }

  String token() {
    return token;
  }

  @Override
  public void close() {
    server.close();
    DemoRunner.deleteTree(data);
  }
}
