package fr.acecinema.switchboard.cli;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The kinds sbctl knows and every spelling kubectl users type for them ({@code Backend}, {@code
 * backend}, {@code backends}, {@code be}), read from the model's annotations.
 */
public final class Kinds {
  /** Kinds in the order {@code sbctl get all} shows them: the ones others refer to first. */
  public static final List<String> ALL = fr.acecinema.switchboard.api.Kinds.NAMES;

  private static final Map<String, String> SPELLINGS = new LinkedHashMap<>();

  static {
    for (Class<? extends HasMetadata> type : fr.acecinema.switchboard.api.Kinds.TYPES) {
      String kind = HasMetadata.getKind(type);
      SPELLINGS.put(kind.toLowerCase(Locale.ROOT), kind);
      SPELLINGS.put(HasMetadata.getSingular(type), kind);
      SPELLINGS.put(HasMetadata.getPlural(type), kind);
      ShortNames shortNames = type.getAnnotation(ShortNames.class);
      if (shortNames != null) {
        for (String s : shortNames.value()) {
          SPELLINGS.put(s, kind);
        }
      }
    }
  }

  private Kinds() {}

  /** The canonical kind for {@code text} (case-insensitive), empty when unknown. */
  public static Optional<String> resolve(String text) {
    return Optional.ofNullable(SPELLINGS.get(text.trim().toLowerCase(Locale.ROOT)));
  }

  /** For usage errors: {@code sites (st), services (svc), backends (be)}. */
  public static String known() {
    return "site (st), service (svc), backend (be)";
  }
}
