package fr.acecinema.switchboard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import fr.acecinema.switchboard.fleet.ResourceRow;
import fr.acecinema.switchboard.source.Origin;
import java.time.Instant;

/** Builds rows for tests from JSON text. */
final class Rows {
  static final ObjectMapper JSON = new ObjectMapper();
  static final Instant NOW = Instant.parse("2026-11-21T12:00:00Z");

  private Rows() {}

  static JsonNode json(String text) {
    try {
      return JSON.readTree(text.replace('\'', '"'));
    } catch (Exception e) {
      throw new IllegalArgumentException(e);
    }
  }

  static ResourceRow backend(
      String name, long generation, String readyStatus, String reason, long observed) {
    return new ResourceRow(
        "Backend",
        name,
        new Origin("file", "backends.yaml", 1, 12),
        generation,
        NOW.minusSeconds(300),
        json("{'service':'api','site':'dijon','address':'10.200.0.23','port':8080,'weight':10}"),
        json(
            "{'observedGeneration':"
                + observed
                + ",'conditions':[{'type':'Accepted','status':'True','reason':'Valid','message':'ok',"
                + "'lastTransitionTime':'2026-11-21T11:55:00Z','observedGeneration':"
                + observed
                + "},{'type':'Ready','status':'"
                + readyStatus
                + "','reason':'"
                + reason
                + "','message':'probe said so','lastTransitionTime':'2026-11-21T11:59:00Z',"
                + "'observedGeneration':"
                + observed
                + "}],'health':{'state':'Healthy','latencyMillis':3}}"),
        null,
        null);
  }

  static ResourceRow site(String name) {
    return new ResourceRow(
        "Site",
        name,
        new Origin("file", "sites.yaml", 0, 1),
        1,
        NOW.minusSeconds(3600),
        json("{'subnet':'10.200.0.0/24','priority':10}"),
        json(
            "{'conditions':[{'type':'Ready','status':'True','reason':'BackendsReady','message':'1"
                + " of 1','observedGeneration':1}],'backends':{'healthy':1,'total':1}}"),
        null,
        null);
  }

  static ResourceRow unreadable(String file) {
    return new ResourceRow(
        null,
        null,
        new Origin("file", file, 0, 3),
        0,
        null,
        MissingNode.getInstance(),
        MissingNode.getInstance(),
        "YamlSyntaxError",
        file + ":3: mapping values are not allowed here; indent the key under its parent");
  }
}
