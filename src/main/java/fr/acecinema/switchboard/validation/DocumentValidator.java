package fr.acecinema.switchboard.validation;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * Checks one manifest document on its own (schema, types, ranges, unknown fields, durations,
 * CIDRs). Checks that need other resources (address inside the site's subnet, dangling references)
 * belong to the reconcilers, because those resources change.
 */
public interface DocumentValidator {
  /** Problems found, empty when the document is valid. Never throws on bad input. */
  List<Problem> validate(JsonNode document);
}
