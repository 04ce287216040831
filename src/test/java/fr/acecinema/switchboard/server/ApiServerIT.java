package fr.acecinema.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.api.v1alpha1.Backend;
import fr.acecinema.switchboard.app.Switchboard;
import fr.acecinema.switchboard.it.DirectorySnapshot;
import fr.acecinema.switchboard.operator.Readiness;
import fr.acecinema.switchboard.runtime.ResourceStore;
import fr.acecinema.switchboard.validation.SubnetPolicy;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import okio.BufferedSink;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The API server for real, on loopback: authentication, limits, validation, concurrency, TLS. */
class ApiServerIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final MediaType YAML = MediaType.get("application/yaml");
  private static final MediaType JSON_TYPE = MediaType.get("application/json");
  private static final String BACKENDS = "/apis/switchboard.acecinema.fr/v1alpha1/backends";

  @TempDir Path root;
  private Path manifests;
  private TokenStore tokens;
  private String readToken;
  private String writeToken;
  private String adminToken;
  private final ResourceStore store = new ResourceStore();
  private final List<String> audit = new java.util.concurrent.CopyOnWriteArrayList<>();
  private ApiServer server;
  private final OkHttpClient http =
      new OkHttpClient.Builder().callTimeout(Duration.ofSeconds(10)).build();

  @BeforeEach
  void start() throws IOException {
    manifests = Files.createDirectories(root.resolve("fleet/manifests"));
    tokens = TokenStore.in(root.resolve("data"));
    readToken = tokens.create("reader", Scope.read).secret();
    writeToken = tokens.create("writer", Scope.write).secret();
    adminToken = tokens.create("admin", Scope.admin).secret();
    server = start(ApiServer.Settings.of(new InetSocketAddress("127.0.0.1", 0)));
  }

  private ApiServer start(ApiServer.Settings settings) throws IOException {
    return start(settings, Duration.ofSeconds(1), Duration.ofSeconds(30));
  }

  private ApiServer start(ApiServer.Settings settings, Duration requestTimeout, Duration idle)
      throws IOException {
    PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    meters.counter("switchboard.test.counter").increment();
    WatchHub hub = new WatchHub(store, Switchboard.mapper());
    store.addListener(hub);
    return ApiServer.start(
        settings.withTimeouts(requestTimeout, idle),
        () -> Readiness.of(true),
        Optional.of(
            new ApiServer.Api(
                tokens,
                new ResourceApi(new ManifestDirectoryTarget(manifests, SubnetPolicy.SITES_ONLY)),
                hub,
                meters::scrape,
                Optional.empty(),
                (key, type, reason, message) ->
                    audit.add(key + " " + type.stored() + " " + reason + " " + message))));
  }

  @AfterEach
  void stop() {
    // Our idle keep-alive connections go first: the server's graceful stop would otherwise wait
    // for them until its 1 s stop timeout, a second per test.
    http.connectionPool().evictAll();
    if (server != null) {
      server.close();
    }
    http.dispatcher().executorService().shutdown();
  }

  private String url(String path) {
    return "http://127.0.0.1:" + server.port() + path;
  }

  private Response call(String method, String path, String token, RequestBody body)
      throws IOException {
    Request.Builder b = new Request.Builder().url(url(path)).method(method, body);
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return http.newCall(b.build()).execute();
  }

  private record Answer(int code, JsonNode body, Response response) {}

  private Answer send(String method, String path, String token, String body, MediaType type)
      throws IOException {
    try (Response r =
        call(method, path, token, body == null ? null : RequestBody.create(body, type))) {
      String text = r.body().string();
      JsonNode json;
      try {
        json = JSON.readTree(text);
      } catch (IOException e) {
        json = JSON.getNodeFactory().textNode(text);
      }
      return new Answer(r.code(), json, r);
    }
  }

  static String backend(String name, int port) {
    return """
        apiVersion: switchboard.acecinema.fr/v1alpha1
        kind: Backend
        metadata:
          name: %s
        spec:
          service: api
          site: dijon
          address: 127.0.20.2
          port: %d
        """
        .formatted(name, port);
  }

  private List<Path> filesUnder(Path dir) throws IOException {
    try (Stream<Path> walk = Files.walk(dir)) {
      return walk.filter(Files::isRegularFile).toList();
    }
  }

  @Test
  void healthIsOpenButTheApiAndMetricsNeedAToken() throws IOException {
    assertThat(send("GET", "/healthz", null, null, null).code()).isEqualTo(200);
    assertThat(send("GET", "/readyz", null, null, null).code()).isEqualTo(200);
    Answer none = send("GET", BACKENDS, null, null, null);
    assertThat(none.code()).isEqualTo(401);
    assertThat(none.body().path("reason").asText()).isEqualTo("Unauthorized");
    assertThat(none.body().path("message").asText()).contains("missing bearer token");
    assertThat(none.response().header("WWW-Authenticate")).startsWith("Bearer");
    Answer wrong = send("GET", BACKENDS, "sbt_00000000_not-a-token", null, null);
    assertThat(wrong.code()).isEqualTo(401);
    assertThat(wrong.body().path("message").asText()).contains("invalid bearer token");
    assertThat(send("GET", "/metrics", null, null, null).code()).isEqualTo(401);
    try (Response metrics = call("GET", "/metrics", readToken, null)) {
      assertThat(metrics.code()).isEqualTo(200);
      assertThat(metrics.body().string()).contains("switchboard_test_counter_total 1.0");
    }
    assertThat(send("GET", BACKENDS, readToken, null, null).code()).isEqualTo(200);
  }

  @Test
  void aRevokedTokenIsRefusedAtOnce() throws IOException {
    assertThat(send("GET", BACKENDS, readToken, null, null).code()).isEqualTo(200);
    assertThat(tokens.revoke("reader")).isPresent();
    assertThat(send("GET", BACKENDS, readToken, null, null).code()).isEqualTo(401);
  }

  @Test
  void aReadTokenCannotApplyAndAWriteTokenCannotDelete() throws IOException {
    Answer apply = send("PUT", BACKENDS + "/api-dijon", readToken, backend("api-dijon", 80), YAML);
    assertThat(apply.code()).isEqualTo(403);
    assertThat(apply.body().path("message").asText())
        .contains("token 'reader' has scope read")
        .contains("needs write");
    assertThat(filesUnder(manifests)).isEmpty();
    assertThat(
            send("PUT", BACKENDS + "/api-dijon", writeToken, backend("api-dijon", 80), YAML).code())
        .isEqualTo(201);
    Answer delete = send("DELETE", BACKENDS + "/api-dijon", writeToken, null, null);
    assertThat(delete.code()).isEqualTo(403);
    assertThat(delete.body().path("message").asText()).contains("needs admin");
    assertThat(manifests.resolve("api/backend-api-dijon.yaml")).exists();
    assertThat(send("DELETE", BACKENDS + "/api-dijon", adminToken, null, null).code())
        .isEqualTo(200);
    assertThat(manifests.resolve("api/backend-api-dijon.yaml")).doesNotExist();
  }

  @Test
  void appliesAsAFileAndReadsItBack() throws IOException {
    Answer created =
        send("PUT", BACKENDS + "/api-dijon", writeToken, backend("api-dijon", 8080), YAML);
    assertThat(created.code()).isEqualTo(201);
    assertThat(created.response().header(ResourceApi.CHANGE_HEADER)).isEqualTo("created");
    assertThat(Files.readString(manifests.resolve("api/backend-api-dijon.yaml")))
        .contains("kind: Backend")
        .contains("port: 8080");
    Answer again =
        send("PUT", BACKENDS + "/api-dijon", writeToken, backend("api-dijon", 8080), YAML);
    assertThat(again.code()).isEqualTo(200);
    assertThat(again.response().header(ResourceApi.CHANGE_HEADER)).isEqualTo("unchanged");
    Answer got = send("GET", BACKENDS + "/api-dijon", readToken, null, null);
    assertThat(got.code()).isEqualTo(200);
    assertThat(got.body().at("/spec/port").asInt()).isEqualTo(8080);
    assertThat(got.body().at("/metadata/annotations/switchboard.acecinema.fr~1origin").asText())
        .isEqualTo("file:api/backend-api-dijon.yaml:0:1");
    Answer list = send("GET", BACKENDS, readToken, null, null);
    assertThat(list.body().path("items")).hasSize(1);
    assertThat(send("GET", BACKENDS + "/nope", readToken, null, null).code()).isEqualTo(404);
  }

  @Test
  void writesAreAuditedAsEventsNamingTheTokenAndTheChangedFields() throws IOException {
    send("PUT", BACKENDS + "/api-dijon", writeToken, backend("api-dijon", 8080), YAML);
    send("PUT", BACKENDS + "/api-dijon?dryRun=All", writeToken, backend("api-dijon", 81), YAML);
    send("PUT", BACKENDS + "/api-dijon", writeToken, backend("api-dijon", 8080), YAML);
    send(
        "PUT",
        BACKENDS + "/api-dijon",
        writeToken,
        backend("api-dijon", 8080) + "  drain: true\n",
        YAML);
    send("PUT", BACKENDS + "/api-dijon", writeToken, backend("api-dijon", 70000), YAML);
    send("DELETE", BACKENDS + "/api-dijon", adminToken, null, null);
    // Neither the dry run, the unchanged apply nor the invalid one wrote anything.
    assertThat(audit)
        .containsExactly(
            "Backend/api-dijon Normal ChangedThroughApi token 'writer': created",
            "Backend/api-dijon Normal ChangedThroughApi token 'writer': spec.drain: true (was"
                + " unset)",
            "Backend/api-dijon Normal ChangedThroughApi token 'admin': deleted");
  }

  @Test
  void servesTheDashboardUncachedWithAStrictContentPolicy() throws IOException {
    try (Response page = call("GET", "/ui/", null, null)) {
      assertThat(page.code()).isEqualTo(200);
      assertThat(page.header("Content-Type")).startsWith("text/html");
      assertThat(page.header("Cache-Control")).isEqualTo("no-store");
      assertThat(page.header("Content-Security-Policy"))
          .contains("script-src 'self'")
          .contains("connect-src 'self'")
          .doesNotContain("unsafe");
      assertThat(page.body().string()).contains("<label for=\"token\">");
    }
    try (Response script = call("GET", "/ui/dashboard.js", null, null)) {
      assertThat(script.header("Content-Type")).startsWith("text/javascript");
      assertThat(script.header("Cache-Control")).isEqualTo("no-store");
    }
    try (Response bare = call("GET", "/ui", null, null)) {
      // OkHttp follows the 308 to /ui/.
      assertThat(bare.request().url().encodedPath()).isEqualTo("/ui/");
    }
    // Only the listed files exist: an escaped dot segment finds none (or Jetty refuses it).
    assertThat(send("GET", "/ui/%2e%2e/pom.xml", null, null, null).code()).isIn(400, 404);
    assertThat(send("GET", "/ui/secret.txt", null, null, null).code()).isEqualTo(404);
    assertThat(send("POST", "/ui/", null, "x", YAML).code()).isEqualTo(405);
  }

  @Test
  void aStaleResourceVersionGetsConflictAndNothingIsLost() throws IOException {
    String rv1 =
        send("PUT", BACKENDS + "/api-dijon", writeToken, backend("api-dijon", 8080), YAML)
            .body()
            .at("/metadata/resourceVersion")
            .asText();
    // Two clients read rv1; the first writes port 8081, the second tries 8082 on top of rv1.
    String first =
        backend("api-dijon", 8081)
            .replace("  name: api-dijon", "  name: api-dijon\n  resourceVersion: \"" + rv1 + "\"");
    Answer ok = send("PUT", BACKENDS + "/api-dijon", writeToken, first, YAML);
    assertThat(ok.code()).isEqualTo(200);
    assertThat(ok.body().at("/metadata/resourceVersion").asText()).isNotEqualTo(rv1);
    String second =
        backend("api-dijon", 8082)
            .replace("  name: api-dijon", "  name: api-dijon\n  resourceVersion: \"" + rv1 + "\"");
    Answer stale = send("PUT", BACKENDS + "/api-dijon", writeToken, second, YAML);
    assertThat(stale.code()).isEqualTo(409);
    assertThat(stale.body().path("message").asText()).contains("was changed since resourceVersion");
    assertThat(Files.readString(manifests.resolve("api/backend-api-dijon.yaml")))
        .contains("port: 8081");
    assertThat(
            send("DELETE", BACKENDS + "/api-dijon?resourceVersion=" + rv1, adminToken, null, null)
                .code())
        .isEqualTo(409);
    assertThat(send("POST", BACKENDS, writeToken, backend("api-dijon", 9), YAML).code())
        .isEqualTo(409);
  }

  @Test
  void malformedAndInvalidBodiesGet400WithTheValidationMessage() throws IOException {
    Answer json =
        send("PUT", BACKENDS + "/api-dijon", writeToken, "{\"kind\": \"Backend\",", JSON_TYPE);
    assertThat(json.code()).isEqualTo(400);
    assertThat(json.body().path("message").asText()).contains("not valid JSON").contains("line 1");
    Answer yaml = send("PUT", BACKENDS + "/api-dijon", writeToken, "kind: [Backend\nspec: {", YAML);
    assertThat(yaml.code()).isEqualTo(400);
    assertThat(yaml.body().path("message").asText()).contains("not valid YAML");
    Answer two =
        send(
            "PUT",
            BACKENDS + "/api-dijon",
            writeToken,
            backend("api-dijon", 1) + "---\n" + backend("api-dijon", 2),
            YAML);
    assertThat(two.code()).isEqualTo(400);
    assertThat(two.body().path("message").asText()).contains("exactly one resource");
    Answer invalid =
        send("PUT", BACKENDS + "/api-dijon", writeToken, backend("api-dijon", 70000), YAML);
    assertThat(invalid.code()).isEqualTo(400);
    assertThat(invalid.body().path("reason").asText()).isEqualTo("Invalid");
    assertThat(invalid.body().path("message").asText()).contains("spec.port").contains("65535");
    Answer wrongKind =
        send(
            "PUT",
            "/apis/switchboard.acecinema.fr/v1alpha1/sites/api-dijon",
            writeToken,
            backend("api-dijon", 80),
            YAML);
    assertThat(wrongKind.code()).isEqualTo(400);
    assertThat(wrongKind.body().path("message").asText()).contains("the path is for Site");
    assertThat(filesUnder(manifests)).isEmpty();
    assertThat(send("GET", "/healthz", null, null, null).code()).isEqualTo(200);
  }

  /**
   * A write token cannot turn the hub into a port scanner: a Site whose subnet is the whole
   * internet, the metadata service or the hub's loopback is refused with the field and the fix, and
   * nothing is written.
   */
  @Test
  void aSiteSubnetThatIsNotASitesLanIsRefusedWithTheFieldAndTheFix() throws IOException {
    for (String subnet : List.of("0.0.0.0/0", "::/0", "169.254.169.254/32", "127.0.0.0/16")) {
      String site =
          """
          apiVersion: switchboard.acecinema.fr/v1alpha1
          kind: Site
          metadata: {name: scan}
          spec: {subnet: "%s"}
          """
              .formatted(subnet);
      Answer refused =
          send("PUT", "/apis/switchboard.acecinema.fr/v1alpha1/sites/scan", writeToken, site, YAML);
      assertThat(refused.code()).as(subnet).isEqualTo(400);
      assertThat(refused.body().path("reason").asText()).isEqualTo("Invalid");
      assertThat(refused.body().path("message").asText())
          .as(subnet)
          .contains("spec.subnet: '" + subnet + "'")
          .contains("--allow-subnets " + subnet);
    }
    assertThat(filesUnder(manifests)).isEmpty();
  }

  @Test
  void bodiesOverOneMebibyteGet413WithOrWithoutALength() throws IOException {
    byte[] big = new byte[2 * 1024 * 1024];
    java.util.Arrays.fill(big, (byte) 'a');
    try (Response r =
        call("PUT", BACKENDS + "/api-dijon", writeToken, RequestBody.create(big, YAML))) {
      assertThat(r.code()).isEqualTo(413);
      assertThat(r.body().string()).contains("larger than 1048576 bytes");
    }
    RequestBody chunked =
        new RequestBody() {
          @Override
          public MediaType contentType() {
            return YAML;
          }

          @Override
          public long contentLength() {
            return -1; // Chunked: the server must count, not trust a header.
          }

          @Override
          public void writeTo(BufferedSink sink) throws IOException {
            sink.write(big);
          }
        };
    try (Response r = call("PUT", BACKENDS + "/api-dijon", writeToken, chunked)) {
      assertThat(r.code()).isEqualTo(413);
    } catch (IOException e) {
      // The server may close the connection while the client is still sending: also a refusal.
      assertThat(e).isNotNull();
    }
    assertThat(filesUnder(manifests)).isEmpty();
    assertThat(send("GET", BACKENDS, readToken, null, null).code()).isEqualTo(200);
  }

  @Test
  void aMalformedChunkSizeIsABadRequestNotAnInternalError() throws IOException {
    String yaml = backend("api-dijon", 80);
    for (String sizeLine : List.of("zz", "-5", "1x")) {
      String head =
          "PUT "
              + BACKENDS
              + "/api-dijon HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
              + writeToken
              + "\r\nContent-Type: application/yaml\r\nTransfer-Encoding: chunked\r\n\r\n";
      String body = sizeLine + "\r\n" + yaml + "\r\n0\r\n\r\n";
      try (Socket s = new Socket("127.0.0.1", server.port())) {
        s.setSoTimeout(5000);
        s.getOutputStream().write((head + body).getBytes(StandardCharsets.UTF_8));
        String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(answer).as("chunk size %s", sizeLine).startsWith("HTTP/1.1 400 ");
        assertThat(answer).as("chunk size %s", sizeLine).contains("malformed request body");
      }
    }
    assertThat(filesUnder(manifests)).isEmpty();
    assertThat(send("GET", BACKENDS, readToken, null, null).code()).isEqualTo(200);
  }

  /** Sends a raw request line (no client-side normalization) and returns the status code. */
  private int raw(String method, String target, String token, String body) throws IOException {
    try (Socket s = new Socket("127.0.0.1", server.port())) {
      s.setSoTimeout(5000);
      String request =
          method
              + " "
              + target
              + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
              + token
              + "\r\nContent-Type: application/yaml\r\nContent-Length: "
              + body.getBytes(StandardCharsets.UTF_8).length
              + "\r\nConnection: close\r\n\r\n"
              + body;
      s.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
      String status =
          new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8))
              .readLine();
      return Integer.parseInt(status.split(" ")[1]);
    }
  }

  @Test
  void pathTraversalInNamesIsRefusedAndNothingIsWrittenOutside() throws IOException {
    List<Path> before = filesUnder(root);
    for (String name :
        List.of(
            "../../etc/passwd",
            "..%2f..%2fetc%2fpasswd",
            "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
            "..%252f..%252fetc",
            "..\\..\\etc\\passwd",
            "x/../../../../passwd",
            "Passwd.yaml")) {
      assertThat(raw("PUT", BACKENDS + "/" + name, adminToken, backend("x", 80)))
          .as(name)
          .isEqualTo(400);
      assertThat(raw("DELETE", BACKENDS + "/" + name, adminToken, "")).as(name).isEqualTo(400);
    }
    String escaping = backend("x", 80).replace("name: x", "name: ../../etc/passwd");
    Answer post = send("POST", BACKENDS, writeToken, escaping, YAML);
    assertThat(post.code()).isEqualTo(400);
    assertThat(post.body().path("message").asText()).contains("metadata.name");
    assertThat(filesUnder(root)).containsExactlyInAnyOrderElementsOf(before);
    assertThat(send("GET", "/healthz", null, null, null).code()).isEqualTo(200);
  }

  @Test
  void aPutOfOneDocumentOfASharedFileReplacesThatDocumentAndKeepsEveryOtherByte()
      throws IOException {
    String head = "# the team's fleet file: this comment stays\n";
    String other =
        "---\n# api-thory: kept byte for byte\n" + backend("api-thory", 8081) + "status: {a: 1}\n";
    Files.writeString(manifests.resolve("shared.yaml"), head + backend("api-shared", 8080) + other);

    Answer put =
        send(
            "PUT",
            BACKENDS + "/api-shared",
            writeToken,
            backend("api-shared", 8080) + "  drain: true\n",
            YAML);

    assertThat(put.code()).as(put.body().toString()).isEqualTo(200);
    assertThat(Files.readString(manifests.resolve("shared.yaml")))
        .isEqualTo(head + backend("api-shared", 8080) + "  drain: true\n" + other);
    assertThat(Files.exists(manifests.resolve("api/backend-api-shared.yaml"))).isFalse();
  }

  @Test
  void readsReturnLabelsSoAReadModifyWriteKeepsThem() throws IOException {
    Files.writeString(
        manifests.resolve("labelled.yaml"),
        backend("api-labelled", 8080)
            .replace("  name: api-labelled\n", "  name: api-labelled\n  labels: {team: core}\n"));

    Answer get = send("GET", BACKENDS + "/api-labelled", readToken, null, null);

    assertThat(get.code()).isEqualTo(200);
    assertThat(get.body().at("/metadata/labels/team").asText()).isEqualTo("core");
  }

  @Test
  void aPutIntoADirectoryLinkLeavingTheManifestsIsRefusedAndWritesNothingOutside()
      throws IOException {
    Path outside = Files.createDirectories(root.resolve("outside"));
    Files.createSymbolicLink(manifests.resolve("api"), outside);
    List<String> before = DirectorySnapshot.of(outside);

    Answer put = send("PUT", BACKENDS + "/api-dijon", writeToken, backend("api-dijon", 8080), YAML);

    assertThat(put.code()).isEqualTo(409);
    assertThat(put.body().path("message").asText()).contains("symbolic link");
    assertThat(DirectorySnapshot.of(outside)).isEqualTo(before);
  }

  @Test
  void aResourceBehindALinkLeavingTheManifestsCanBeNeitherReplacedNorDeleted() throws IOException {
    Path outside = Files.createDirectories(root.resolve("outside"));
    Files.writeString(outside.resolve("be.yaml"), backend("api-outside", 8080));
    Files.createSymbolicLink(manifests.resolve("ext"), outside);
    Files.createSymbolicLink(manifests.resolve("link.yaml"), outside.resolve("be.yaml"));
    List<String> before = DirectorySnapshot.of(outside);

    Answer list = send("GET", BACKENDS, readToken, null, null);
    assertThat(list.body().path("items")).isEmpty();
    assertThat(list.body().path("rejected").findValuesAsText("message"))
        .hasSize(2)
        .allSatisfy(m -> assertThat(m).contains("outside the manifests directory"));
    assertThat(send("DELETE", BACKENDS + "/api-outside", adminToken, null, null).code())
        .isEqualTo(404);
    // Not declared anywhere the API can see: a PUT creates the API's own file, inside.
    assertThat(
            send("PUT", BACKENDS + "/api-outside", writeToken, backend("api-outside", 9090), YAML)
                .code())
        .isEqualTo(201);

    assertThat(DirectorySnapshot.of(outside)).isEqualTo(before);
    assertThat(manifests.resolve("api/backend-api-outside.yaml")).isRegularFile();
  }

  @Test
  void rejectionsNeverQuoteTheContentOfAFileBehindALink() throws IOException {
    Path outside = Files.createDirectories(root.resolve("outside"));
    // Colon-separated, like /etc/shadow: it parses as YAML (keys ending in ':').
    Path shadow = outside.resolve("shadow");
    Files.writeString(
        shadow,
        "root:$6$s3cr3tSalt$hashhashhash:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n");
    Files.createSymbolicLink(manifests.resolve("shadow.yaml"), shadow);

    Answer list = send("GET", BACKENDS, readToken, null, null);

    assertThat(list.code()).isEqualTo(200);
    String body = list.body().toString();
    assertThat(body).contains("shadow.yaml").contains("outside the manifests directory");
    assertThat(body).doesNotContain("s3cr3tSalt").doesNotContain("daemon").doesNotContain("19000");
    assertThat(DirectorySnapshot.of(outside)).hasSize(2);
  }

  /** The server again with a request deadline long enough that only the limits can save it. */
  private void restartWithTimeouts(Duration requestTimeout, Duration idle) throws IOException {
    server.close();
    server =
        start(ApiServer.Settings.of(new InetSocketAddress("127.0.0.1", 0)), requestTimeout, idle);
  }

  /** A 200 from /healthz and from an authenticated list, each within {@code within}. */
  private void healthAndAnotherClientAnswer(Duration within) throws IOException {
    OkHttpClient quick = http.newBuilder().callTimeout(within).build();
    for (String[] call :
        List.of(new String[] {"/healthz", null}, new String[] {BACKENDS, readToken})) {
      Request.Builder b = new Request.Builder().url(url(call[0]));
      if (call[1] != null) {
        b.header("Authorization", "Bearer " + call[1]);
      }
      try (Response r = quick.newCall(b.build()).execute()) {
        assertThat(r.code()).as(call[0]).isEqualTo(200);
      }
    }
  }

  /**
   * 400 sockets opened from one client address and left silent used to fill the 256 connections and
   * hold /healthz in the accept queue until they timed out: one address now holds at most 64 (the
   * rest are closed at once), so /healthz and another client still answer.
   */
  @Test
  void fourHundredIdleSocketsFromOneClientLeaveHealthAndOtherClientsServed() throws Exception {
    restartWithTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(30));
    List<Socket> idle = new java.util.ArrayList<>();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    try {
      for (int i = 0; i < 400 && System.nanoTime() < deadline; i++) {
        Socket s = new Socket();
        idle.add(s);
        s.bind(new InetSocketAddress("127.0.0.2", 0));
        s.connect(new InetSocketAddress("127.0.0.1", server.port()), 2000);
      }
      assertThat(idle).hasSize(400);
      healthAndAnotherClientAnswer(Duration.ofSeconds(3));
    } finally {
      for (Socket s : idle) {
        s.close();
      }
    }
  }

  /**
   * 120 PUTs with a write token whose bodies never come used to hold every thread of the pool until
   * the request deadline: one token now has at most 8 bodies being received, the others get 429 at
   * once, and /healthz and other clients are served meanwhile.
   */
  @Test
  void slowBodiesOfOneTokenGet429BeyondEightAndStarveNobody() throws Exception {
    // A body that stops coming ends at the idle timeout (408), one that trickles at the request
    // deadline: both longer than the 3 s within which /healthz must answer.
    restartWithTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(6));
    List<Socket> slow = new java.util.ArrayList<>();
    try {
      for (int i = 0; i < 120; i++) {
        // Two client addresses, 60 each: below the per-address connection cap, so only the body
        // limit is at work.
        Socket s = new Socket();
        slow.add(s);
        s.bind(new InetSocketAddress(i % 2 == 0 ? "127.0.0.3" : "127.0.0.4", 0));
        s.connect(new InetSocketAddress("127.0.0.1", server.port()), 2000);
        s.setSoTimeout(15_000);
        s.getOutputStream()
            .write(
                ("PUT "
                        + BACKENDS
                        + "/slow-"
                        + i
                        + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
                        + writeToken
                        + "\r\nContent-Type: application/yaml\r\nContent-Length: 1000\r\n\r\n"
                        + "kind: Backend\n")
                    .getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
      }
      healthAndAnotherClientAnswer(Duration.ofSeconds(3));
      Map<String, Integer> answers = new TreeMap<>();
      for (Socket s : slow) {
        String line = new BufferedReader(new InputStreamReader(s.getInputStream())).readLine();
        answers.merge(String.valueOf(line), 1, Integer::sum);
      }
      assertThat(answers)
          .containsExactlyEntriesOf(
              new TreeMap<>(
                  Map.of(
                      "HTTP/1.1 408 Request Timeout",
                      ResourceRoutes.BODIES_PER_TOKEN,
                      "HTTP/1.1 429 Too Many Requests",
                      120 - ResourceRoutes.BODIES_PER_TOKEN)));
    } finally {
      for (Socket s : slow) {
        s.close();
      }
    }
    assertThat(filesUnder(manifests)).isEmpty();
  }

  /** Sends a raw GET with a bearer token and returns the socket with the status line read. */
  private Socket rawGet(String path, String token, String[] statusLine) throws IOException {
    Socket s = new Socket("127.0.0.1", server.port());
    s.setSoTimeout(5000);
    s.getOutputStream()
        .write(
            ("GET "
                    + path
                    + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
                    + token
                    + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
    s.getOutputStream().flush();
    statusLine[0] = new BufferedReader(new InputStreamReader(s.getInputStream())).readLine();
    return s;
  }

  /**
   * A read token could hold all 32 watch slots (and threads) for days; one token now holds at most
   * 8, and another token still gets its watch.
   */
  @Test
  void oneTokenHoldsAtMostEightWatchesAndOthersStillGetTheirs() throws Exception {
    List<Socket> open = new java.util.ArrayList<>();
    String[] line = new String[1];
    try {
      for (int i = 0; i < WatchStream.WATCHES_PER_TOKEN; i++) {
        open.add(rawGet(BACKENDS + "?watch=true&timeoutSeconds=999999", readToken, line));
        assertThat(line[0]).isEqualTo("HTTP/1.1 200 OK");
      }
      Answer ninth = send("GET", BACKENDS + "?watch=true", readToken, null, null);
      assertThat(ninth.code()).isEqualTo(429);
      assertThat(ninth.body().path("message").asText())
          .isEqualTo(
              "token 'reader' already has 8 watches open (at most 8 per token); close one or poll"
                  + " instead");
      open.add(rawGet(BACKENDS + "?watch=true", adminToken, line));
      assertThat(line[0]).isEqualTo("HTTP/1.1 200 OK");
    } finally {
      for (Socket s : open) {
        s.close();
      }
    }
  }

  /** Guessing tokens no longer writes one line per guess: one per client and minute. */
  @Test
  void badTokensFromOneClientAreLoggedOncePerMinute() throws Exception {
    ch.qos.logback.classic.Logger log =
        (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(ApiServer.class);
    ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> lines =
        new ch.qos.logback.core.read.ListAppender<>();
    lines.start();
    log.addAppender(lines);
    try {
      for (int i = 0; i < 200; i++) {
        assertThat(send("GET", BACKENDS, "guess-" + i, null, null).code()).isEqualTo(401);
      }
    } finally {
      log.detachAppender(lines);
    }
    assertThat(lines.list)
        .extracting(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage)
        .filteredOn(m -> m.contains("bearer token"))
        .containsExactly("rejected an unknown or revoked bearer token from 127.0.0.1");
  }

  /**
   * At --log-level debug, Jetty's parser used to log every request header, the bearer token
   * included; its loggers now stop at INFO while Switchboard's own log at DEBUG.
   */
  @Test
  void aDebugLevelLogHoldsNoBearerToken() throws Exception {
    java.io.PrintStream original = System.err;
    java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
    try {
      System.setErr(new java.io.PrintStream(err, true, StandardCharsets.UTF_8));
      fr.acecinema.switchboard.cli.LogSetup.apply(
          fr.acecinema.switchboard.config.SwitchboardConfig.LogFormat.text,
          fr.acecinema.switchboard.config.SwitchboardConfig.LogLevel.debug);
      org.slf4j.LoggerFactory.getLogger(ApiServerIT.class).debug("debug is on");
      // A fresh server, so Jetty's start-up runs at the debug setting too.
      server.close();
      server = start(ApiServer.Settings.of(new InetSocketAddress("127.0.0.1", 0)));
      assertThat(send("GET", BACKENDS, readToken, null, null).code()).isEqualTo(200);
      assertThat(send("GET", BACKENDS, "guessed-0123456789", null, null).code()).isEqualTo(401);
      assertThat(send("PUT", BACKENDS + "/a", writeToken, backend("a", 80), YAML).code())
          .isEqualTo(201);
    } finally {
      fr.acecinema.switchboard.cli.LogSetup.apply(
          fr.acecinema.switchboard.config.SwitchboardConfig.LogFormat.text,
          fr.acecinema.switchboard.config.SwitchboardConfig.LogLevel.info);
      System.setErr(original);
    }
    String log = err.toString(StandardCharsets.UTF_8);
    assertThat(log).contains("DEBUG").contains("debug is on").contains("applied through the API");
    assertThat(log)
        .doesNotContain(readToken)
        .doesNotContain(writeToken)
        .doesNotContain("guessed-0123456789")
        .doesNotContainIgnoringCase("authorization: bearer");
  }

  @Test
  void aSlowLorisClientIsCutOffWhileOthersAreServed() throws Exception {
    ScheduledExecutorService trickle = Executors.newSingleThreadScheduledExecutor();
    try (Socket slow = new Socket("127.0.0.1", server.port())) {
      OutputStream out = slow.getOutputStream();
      byte[] start =
          "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: ".getBytes(StandardCharsets.US_ASCII);
      int[] sent = {0};
      // One byte every 100 ms, forever: the headers never end, as in a slow-loris attack.
      trickle.scheduleAtFixedRate(
          () -> {
            try {
              out.write(sent[0] < start.length ? start[sent[0]] : 'a');
              out.flush();
              sent[0]++;
            } catch (IOException e) {
              throw new java.io.UncheckedIOException(e);
            }
          },
          0,
          100,
          TimeUnit.MILLISECONDS);
      InputStream in = slow.getInputStream();
      CompletableFuture<Integer> closed =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return in.read();
                } catch (IOException e) {
                  return -1;
                }
              });
      // Others are served while the slow client trickles.
      for (int i = 0; i < 5; i++) {
        assertThat(send("GET", "/healthz", null, null, null).code()).isEqualTo(200);
      }
      assertThat(closed.get(5, TimeUnit.SECONDS)).isEqualTo(-1);
      assertThat(sent[0]).isGreaterThan(5);
      assertThat(send("GET", BACKENDS, readToken, null, null).code()).isEqualTo(200);
    } finally {
      trickle.shutdownNow();
    }
  }

  @Test
  void watchStreamsAddedModifiedAndDeletedEvents() throws Exception {
    Backend existing = backendResource("api-dijon", 1);
    store.put(existing);
    BlockingQueue<JsonNode> events = new LinkedBlockingQueue<>();
    Request request =
        new Request.Builder()
            .url(url(BACKENDS + "?watch=true"))
            .header("Authorization", "Bearer " + readToken)
            .build();
    OkHttpClient streaming =
        http.newBuilder().callTimeout(Duration.ZERO).readTimeout(Duration.ofSeconds(30)).build();
    okhttp3.Call call = streaming.newCall(request);
    Response response = call.execute();
    Thread reader = null;
    try {
      assertThat(response.code()).isEqualTo(200);
      assertThat(response.header("Content-Type")).contains("ndjson");
      reader =
          Thread.ofVirtual()
              .start(
                  () -> {
                    try (BufferedReader lines =
                        new BufferedReader(
                            new InputStreamReader(
                                response.body().byteStream(), StandardCharsets.UTF_8))) {
                      String line;
                      while ((line = lines.readLine()) != null) {
                        events.add(JSON.readTree(line));
                      }
                    } catch (IOException e) {
                      // Stream closed by the test.
                    }
                  });
      JsonNode added = events.poll(5, TimeUnit.SECONDS);
      assertThat(added.path("type").asText()).isEqualTo("ADDED");
      assertThat(added.at("/object/metadata/name").asText()).isEqualTo("api-dijon");
      store.put(backendResource("api-dijon", 2));
      JsonNode modified = events.poll(5, TimeUnit.SECONDS);
      assertThat(modified.path("type").asText()).isEqualTo("MODIFIED");
      assertThat(modified.at("/object/metadata/resourceVersion").asText()).startsWith("2-");
      store.remove(new ResourceKey("Backend", "api-dijon"));
      assertThat(events.poll(5, TimeUnit.SECONDS).path("type").asText()).isEqualTo("DELETED");
    } finally {
      // Cancel rather than close: the reader thread owns the stream.
      call.cancel();
      if (reader != null) {
        reader.join(5000);
      }
    }
  }

  private static Backend backendResource(String name, long generation) {
    Backend b = new Backend();
    b.getMetadata().setName(name);
    b.getMetadata().setGeneration(generation);
    b.setSpec(new fr.acecinema.switchboard.api.v1alpha1.BackendSpec());
    b.getSpec().service = "api";
    b.getSpec().site = "dijon";
    b.getSpec().address = "127.0.20.2";
    b.getSpec().port = 80;
    return b;
  }

  @Test
  void refusesAPublicAddressWithoutTls() {
    assertThatThrownBy(
            () -> start(ApiServer.Settings.of(new InetSocketAddress("0.0.0.0", 0))).close())
        .isInstanceOf(IOException.class)
        .hasMessageContaining("refusing to serve the API on 0.0.0.0 without TLS")
        .hasMessageContaining("--insecure-listen");
  }

  @Test
  void servesTlsFromAPemCertificateAndKey() throws Exception {
    SelfSigned cert = SelfSigned.create(Files.createDirectories(root.resolve("tls")));
    // The handshake of a cold JVM can take over a second, and it counts against the deadline of
    // the first request: the default 10 s here, not the 1 s of the other tests.
    try (ApiServer tls =
        start(
            ApiServer.Settings.of(new InetSocketAddress("127.0.0.1", 0))
                .withTls(cert.cert, cert.key),
            Duration.ofSeconds(10),
            Duration.ofSeconds(30))) {
      OkHttpClient client =
          http.newBuilder()
              .sslSocketFactory(cert.clientContext().getSocketFactory(), cert.trustManager())
              .build();
      try (Response r =
          client
              .newCall(
                  new Request.Builder()
                      .url("https://127.0.0.1:" + tls.port() + BACKENDS)
                      .header("Authorization", "Bearer " + readToken)
                      .build())
              .execute()) {
        assertThat(r.code()).isEqualTo(200);
        assertThat(r.handshake()).isNotNull();
      }
      // Plain HTTP to the TLS port does not get an answer from the API.
      assertThatThrownBy(
              () -> {
                try (Response r =
                    http.newCall(
                            new Request.Builder()
                                .url("http://127.0.0.1:" + tls.port() + "/healthz")
                                .build())
                        .execute()) {
                  assertThat(r.code()).isNotEqualTo(200);
                  throw new IOException("answered " + r.code());
                }
              })
          .isInstanceOf(IOException.class);
      // The client's idle connection would hold the TLS server's graceful stop for 1 s.
      http.connectionPool().evictAll();
    }
  }
}
