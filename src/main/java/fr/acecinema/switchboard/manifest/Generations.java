package fr.acecinema.switchboard.manifest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Derives {@code metadata.generation} from what a user declares. Files have no API server to count
 * edits, so the generation is a hash of the declared content: the same content always gives the
 * same generation (across restarts and replicas), and writing a status never changes it.
 */
public final class Generations {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final List<String> METADATA_FIELDS =
      List.of("name", "namespace", "labels", "annotations");

  private Generations() {}

  /**
   * The generation of {@code document}: SHA-256 of the canonical JSON (sorted keys) of apiVersion,
   * kind, metadata name/namespace/labels/annotations and spec, folded into [1, 2^31-1].
   */
  public static long of(JsonNode document) {
    ObjectNode declared = JsonNodeFactory.instance.objectNode();
    copy(document, declared, "apiVersion");
    copy(document, declared, "kind");
    copy(document, declared, "spec");
    JsonNode metadata = document == null ? null : document.get("metadata");
    if (metadata != null && metadata.isObject()) {
      ObjectNode kept = declared.putObject("metadata");
      for (String field : METADATA_FIELDS) {
        copy(metadata, kept, field);
      }
    }
    byte[] digest = sha256(canonical(declared).getBytes(StandardCharsets.UTF_8));
    long bits = ByteBuffer.wrap(digest).getLong() & Long.MAX_VALUE;
    return bits % Integer.MAX_VALUE + 1;
  }

  private static void copy(JsonNode from, ObjectNode to, String field) {
    if (from != null && from.has(field)) {
      to.set(field, from.get(field));
    }
  }

  /** JSON with object keys sorted at every level, so key order in the file does not matter. */
  static String canonical(JsonNode node) {
    StringBuilder out = new StringBuilder();
    write(node, out);
    return out.toString();
  }

  private static void write(JsonNode node, StringBuilder out) {
    if (node.isObject()) {
      List<String> names = new ArrayList<>();
      node.fieldNames().forEachRemaining(names::add);
      Collections.sort(names);
      out.append('{');
      for (int i = 0; i < names.size(); i++) {
        if (i > 0) {
          out.append(',');
        }
        out.append(quote(names.get(i))).append(':');
        write(node.get(names.get(i)), out);
      }
      out.append('}');
    } else if (node.isArray()) {
      out.append('[');
      for (int i = 0; i < node.size(); i++) {
        if (i > 0) {
          out.append(',');
        }
        write(node.get(i), out);
      }
      out.append(']');
    } else {
      out.append(node.toString());
    }
  }

  private static String quote(String s) {
    try {
      return JSON.writeValueAsString(s);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every JVM", e);
    }
  }
}
