package fr.acecinema.switchboard.api;

import static org.assertj.core.api.Assertions.assertThat;

import fr.acecinema.switchboard.api.v1alpha1.BackendSpec;
import org.junit.jupiter.api.Test;

class BackendNamesTest {
  @Test
  void aPlainNameIsSiteDashContainer() {
    assertThat(BackendNames.of("dijon", "api-1")).isEqualTo("dijon-api-1");
  }

  @Test
  void capitalsAreLoweredAndOtherCharactersBecomeOneDash() {
    assertThat(BackendNames.of("dijon", "My_App..Web_1")).isEqualTo("dijon-my-app-web-1");
  }

  @Test
  void dashesAtTheEndsAreTrimmed() {
    assertThat(BackendNames.of("dijon", "web_")).isEqualTo("dijon-web");
    assertThat(BackendNames.of("dijon", "_")).isEqualTo("dijon");
  }

  @Test
  void aLongNameIsCutAndGivenAStableHashThatKeepsLongNamesApart() {
    String a = BackendNames.of("dijon", "x".repeat(80) + "-a");
    String b = BackendNames.of("dijon", "x".repeat(80) + "-b");

    assertThat(a).hasSize(BackendNames.MAX).matches(BackendSpec.NAME_PATTERN);
    assertThat(b).hasSize(BackendNames.MAX).matches(BackendSpec.NAME_PATTERN);
    assertThat(a).isNotEqualTo(b).isEqualTo(BackendNames.of("dijon", "x".repeat(80) + "-a"));
  }

  @Test
  void aCutThatEndsOnADashLosesIt() {
    // The cut (54 characters) ends on the dash after "dijon-" and 47 x: no "--" before the hash.
    String name = BackendNames.of("dijon", "x".repeat(47) + "-" + "y".repeat(40));

    assertThat(name).matches(BackendSpec.NAME_PATTERN).doesNotContain("--").hasSize(62);
  }

  @Test
  void everyNameMatchesTheResourceNamePattern() {
    for (String container :
        new String[] {"WEB", "a.b.c", "--x--", "ü-nicode", "9lives", "x".repeat(200), "a_b-"}) {
      assertThat(BackendNames.of("site-1", container))
          .as(container)
          .matches(BackendSpec.NAME_PATTERN);
    }
  }
}
