package fr.acecinema.switchboard.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

/** Where the hub finds a site's WireGuard peer ({@code wg show INTERFACE dump}). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class WireGuardPeer {
  /** The hub's WireGuard interface the site is a peer of, e.g. {@code wg0}. */
  @JsonProperty("interface")
  @JsonPropertyDescription("The hub's WireGuard interface the site is a peer of, e.g. wg0.")
  @Required
  @Pattern("^[a-zA-Z0-9_.=+-]{1,15}$")
  public String interfaceName;

  /** The site's public key (base64, 44 characters) as listed by {@code wg show}. */
  @JsonPropertyDescription("The site's public key (base64, 44 characters) as listed by wg show.")
  @Required
  @Pattern("^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$")
  public String publicKey;

  /** A handshake older than this means the tunnel is down, e.g. {@code 180s}. Default 180s. */
  @JsonPropertyDescription(
      "A handshake older than this means the tunnel is down, e.g. 180s. Default 180s.")
  @Pattern(HealthCheck.DURATION_PATTERN)
  public String handshakeTimeout;

  /**
   * When set, a peer that sent nothing for this long is down, e.g. {@code 12s}; only for sites that
   * send persistent keepalives (set it above twice their period). Unset: judged on the handshake
   * alone.
   */
  @JsonPropertyDescription(
      "When set, a peer that sent nothing for this long is down, e.g. 12s; only for sites that"
          + " send persistent keepalives (set it above twice their period). Unset: handshake only.")
  @Pattern(HealthCheck.DURATION_PATTERN)
  public String trafficTimeout;
}
