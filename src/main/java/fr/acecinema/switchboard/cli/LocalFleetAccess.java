package fr.acecinema.switchboard.cli;

import fr.acecinema.switchboard.config.SwitchboardConfig;
import fr.acecinema.switchboard.fleet.FleetView;
import fr.acecinema.switchboard.fleet.FleetWriter;
import fr.acecinema.switchboard.server.Pem;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import okhttp3.OkHttpClient;

/**
 * How sbctl reaches the fleet: the manifests directory and the rows of the resources table ({@link
 * LocalFleet}) and the operator in this process, or a running Switchboard's API when {@code
 * SWITCHBOARD_SERVER} is set.
 */
public final class LocalFleetAccess implements FleetAccess {
  @Override
  public FleetView view(SwitchboardConfig config) {
    return config.server().isPresent() ? remote(config) : new LocalFleet(config);
  }

  @Override
  public FleetWriter writer(SwitchboardConfig config) {
    return config.server().isPresent() ? remote(config) : new LocalFleet(config);
  }

  private static RemoteFleet remote(SwitchboardConfig config) {
    return new RemoteFleet(api(config));
  }

  /** The API of the server of {@code SWITCHBOARD_SERVER}, with the token. */
  static ApiClient api(SwitchboardConfig config) {
    if (config.token().isEmpty()) {
      throw new IllegalStateException(
          "SWITCHBOARD_SERVER is set but SWITCHBOARD_TOKEN is not; create a token on the hub with"
              + " sbctl token create NAME --scope write");
    }
    return new ApiClient(config.server().get(), config.token(), trusting(Http.CLIENT, config));
  }

  /**
   * {@code http} trusting the certificates of {@code --server-ca} instead of the JVM's CAs, or
   * {@code http} itself when the option is unset. Shared by the API client and the site agent.
   */
  static OkHttpClient trusting(OkHttpClient http, SwitchboardConfig config) {
    if (config.serverCa().isEmpty()) {
      return http;
    }
    Path ca = config.serverCa().get();
    try {
      X509TrustManager trust = Pem.trustManager(ca);
      SSLContext tls = SSLContext.getInstance("TLS");
      tls.init(null, new TrustManager[] {trust}, null);
      return http.newBuilder().sslSocketFactory(tls.getSocketFactory(), trust).build();
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException(
          "--server-ca / SWITCHBOARD_SERVER_CA " + ca + ": " + e.getMessage(), e);
    }
  }

  /** The process's one HTTP client (a CLI run makes a handful of calls). */
  private static final class Http {
    static final okhttp3.OkHttpClient CLIENT =
        new okhttp3.OkHttpClient.Builder()
            .connectTimeout(java.time.Duration.ofSeconds(5))
            .callTimeout(java.time.Duration.ofSeconds(30))
            .followRedirects(false)
            .build();
  }

  @Override
  public Demo demo() {
    return new DemoRunner();
  }
}
