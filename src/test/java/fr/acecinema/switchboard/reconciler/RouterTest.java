package fr.acecinema.switchboard.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.app.Switchboard;
import io.fabric8.kubernetes.api.model.HasMetadata;
import org.junit.jupiter.api.Test;

class RouterTest {
  @Test
  void survivesTheRuntimesJacksonCopyAsItself() {
    HasMetadata stored = Router.instance();
    Router copy = Switchboard.mapper().convertValue(stored, Router.class);
    assertThat(ResourceKey.of(copy)).isEqualTo(Router.KEY);
    assertThat(copy.getMetadata().getGeneration()).isEqualTo(1L);
  }
}
