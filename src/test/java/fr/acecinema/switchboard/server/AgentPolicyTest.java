package fr.acecinema.switchboard.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import fr.acecinema.switchboard.api.ManagedBy;
import fr.acecinema.switchboard.api.ResourceKey;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class AgentPolicyTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final Map<ResourceKey, JsonNode> fleet = new HashMap<>();
  private final AgentPolicy policy = new AgentPolicy(k -> Optional.ofNullable(fleet.get(k)));

  AgentPolicyTest() {
    fleet.put(new ResourceKey("Site", "dijon"), site("dijon", "10.200.1.0/24"));
    fleet.put(new ResourceKey("Site", "thory"), site("thory", "10.200.2.0/24"));
  }

  private static JsonNode site(String name, String subnet) {
    ObjectNode s = JSON.createObjectNode().put("kind", "Site");
    s.putObject("metadata").put("name", name);
    s.putObject("spec").put("subnet", subnet);
    return s;
  }

  private static ObjectNode backend(String name, String site, String address, String managedBy) {
    ObjectNode b = JSON.createObjectNode().put("kind", "Backend");
    ObjectNode meta = b.putObject("metadata").put("name", name);
    if (managedBy != null) {
      meta.putObject("labels").put(ManagedBy.LABEL, managedBy);
    }
    b.putObject("spec")
        .put("site", site)
        .put("service", "api")
        .put("address", address)
        .put("port", 8080);
    return b;
  }

  @Test
  void anAgentRegistersItsSitesContainerInsideTheSubnet() {
    assertThat(
            policy.agentWrite(
                "dijon", "dijon-web1", backend("dijon-web1", "dijon", "10.200.1.7", "agent/dijon")))
        .isEmpty();
  }

  @Test
  void anAgentCannotRegisterForAnotherSiteOutsideItsSubnetOrWithoutItsLabel() {
    assertThat(policy.agentWrite("dijon", "x", backend("x", "thory", "10.200.2.7", "agent/dijon")))
        .hasValueSatisfying(r -> assertThat(r.code()).isEqualTo(403))
        .hasValueSatisfying(r -> assertThat(r.message()).contains("spec.site must be dijon"));
    assertThat(policy.agentWrite("dijon", "x", backend("x", "dijon", "10.200.2.7", "agent/dijon")))
        .hasValueSatisfying(r -> assertThat(r.code()).isEqualTo(403))
        .hasValueSatisfying(
            r -> assertThat(r.message()).contains("outside the site's subnet 10.200.1.0/24"));
    assertThat(policy.agentWrite("dijon", "x", backend("x", "dijon", "example.org", "agent/dijon")))
        .hasValueSatisfying(r -> assertThat(r.code()).isEqualTo(403));
    assertThat(policy.agentWrite("dijon", "x", backend("x", "dijon", "10.200.1.7", "agent/thory")))
        .hasValueSatisfying(r -> assertThat(r.code()).isEqualTo(422));
    assertThat(policy.agentWrite("dijon", "x", null))
        .hasValueSatisfying(r -> assertThat(r.code()).isEqualTo(400));
  }

  @Test
  void anAgentCannotTakeOverABackendDeclaredByHandOrByAnotherAgent() {
    fleet.put(
        new ResourceKey("Backend", "dijon-web1"),
        backend("dijon-web1", "dijon", "10.200.1.7", null));
    assertThat(
            policy.agentWrite(
                "dijon", "dijon-web1", backend("dijon-web1", "dijon", "10.200.1.8", "agent/dijon")))
        .hasValueSatisfying(r -> assertThat(r.message()).contains("not managed by agent/dijon"));
    assertThat(policy.agentDelete("dijon", "dijon-web1"))
        .hasValueSatisfying(r -> assertThat(r.code()).isEqualTo(404));
  }

  @Test
  void anAgentOfAnUndeclaredSiteRegistersNothing() {
    assertThat(policy.agentWrite("lyon", "x", backend("x", "lyon", "10.200.9.7", "agent/lyon")))
        .hasValueSatisfying(r -> assertThat(r.message()).contains("Site/lyon is not declared"));
  }

  @Test
  void anAgentMayReadItsSiteAndBackendsOnlyAndNeverWatch() {
    assertThat(policy.agentRequest("dijon", "GET", "Site", "dijon", false)).isEmpty();
    assertThat(policy.agentRequest("dijon", "GET", "Site", "thory", false)).isPresent();
    assertThat(policy.agentRequest("dijon", "GET", "Site", null, false)).isPresent();
    assertThat(policy.agentRequest("dijon", "GET", "Service", "api", false)).isPresent();
    assertThat(policy.agentRequest("dijon", "PUT", "Service", "api", false)).isPresent();
    assertThat(policy.agentRequest("dijon", "POST", "Backend", null, false)).isPresent();
    assertThat(policy.agentRequest("dijon", "GET", "Backend", null, true)).isPresent();
    assertThat(policy.agentRequest("dijon", "GET", "Backend", null, false)).isEmpty();
    assertThat(policy.agentRequest("dijon", "DELETE", "Backend", "dijon-web1", false)).isEmpty();
    assertThat(AgentPolicy.visibleTo("dijon", backend("a", "dijon", "10.200.1.7", "agent/dijon")))
        .isTrue();
    assertThat(AgentPolicy.visibleTo("dijon", backend("b", "dijon", "10.200.1.7", null))).isFalse();
    assertThat(AgentPolicy.visibleTo("dijon", backend("c", "thory", "10.200.2.7", "agent/thory")))
        .isFalse();
  }

  @Test
  void anAgentMayListAndReadDeploymentsButNotWriteNorWatchThem() {
    assertThat(policy.agentRequest("dijon", "GET", "Deployment", null, false)).isEmpty();
    assertThat(policy.agentRequest("dijon", "GET", "Deployment", "api", false)).isEmpty();
    assertThat(policy.agentRequest("dijon", "HEAD", "Deployment", "api", false)).isEmpty();
    for (String method : new String[] {"PUT", "POST", "DELETE", "PATCH"}) {
      assertThat(policy.agentRequest("dijon", method, "Deployment", "api", false))
          .as(method)
          .hasValueSatisfying(r -> assertThat(r.code()).isEqualTo(403))
          .hasValueSatisfying(
              r -> assertThat(r.message()).contains("may only read its Site and the Deployments"));
    }
    assertThat(policy.agentRequest("dijon", "GET", "Deployment", null, true))
        .hasValueSatisfying(r -> assertThat(r.code()).isEqualTo(403));
  }

  @Test
  void otherTokensCannotEditWhatAnAgentManagesNorClaimItsLabel() {
    ResourceKey key = new ResourceKey("Backend", "dijon-web1");
    fleet.put(key, backend("dijon-web1", "dijon", "10.200.1.7", "agent/dijon"));
    assertThat(policy.byHand(key, backend("dijon-web1", "dijon", "10.200.1.7", null)))
        .hasValueSatisfying(r -> assertThat(r.code()).isEqualTo(409))
        .hasValueSatisfying(r -> assertThat(r.message()).contains("managed by agent/dijon"));
    assertThat(policy.byHand(key, null))
        .hasValueSatisfying(r -> assertThat(r.code()).isEqualTo(409));
    ResourceKey fresh = new ResourceKey("Backend", "new");
    assertThat(policy.byHand(fresh, backend("new", "dijon", "10.200.1.9", "agent/dijon")))
        .hasValueSatisfying(r -> assertThat(r.code()).isEqualTo(403));
    assertThat(policy.byHand(fresh, backend("new", "dijon", "10.200.1.9", null))).isEmpty();
  }
}
