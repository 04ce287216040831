package fr.acecinema.switchboard.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import fr.acecinema.switchboard.api.ResourceKey;
import fr.acecinema.switchboard.api.v1alpha1.ConditionTypes;
import fr.acecinema.switchboard.manifest.AtomicFiles;
import fr.acecinema.switchboard.manifest.ConfinedDirectory;
import fr.acecinema.switchboard.manifest.ManifestParser;
import fr.acecinema.switchboard.manifest.ParsedDocument;
import fr.acecinema.switchboard.manifest.ParsedFile;
import fr.acecinema.switchboard.source.Origin;
import fr.acecinema.switchboard.source.Rejection;
import fr.acecinema.switchboard.source.file.DocumentAdmission;
import fr.acecinema.switchboard.source.file.ManifestFileReader;
import fr.acecinema.switchboard.source.file.ManifestFileWriter;
import fr.acecinema.switchboard.source.file.ManifestFiles;
import fr.acecinema.switchboard.source.file.ManifestNames;
import fr.acecinema.switchboard.validation.SchemaValidator;
import fr.acecinema.switchboard.validation.SubnetPolicy;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The watched directory as sbctl and the API see it, read and changed without the operator: every
 * manifest parsed and admitted exactly as the operator would, with the status last written into it.
 */
public final class ManifestFleet implements FleetView, FleetWriter {
  private static final String SOURCE = ManifestFileWriter.SOURCE;
  private final Path root;
  private final ManifestParser parser = new ManifestParser();
  private final DocumentAdmission admission;

  /**
   * @param root the watched directory
   * @param subnets which Site subnets are accepted (as {@code sbctl run} accepts them)
   */
  public ManifestFleet(Path root, SubnetPolicy subnets) {
    this.root = root;
    this.admission = new DocumentAdmission(Optional.of(new SchemaValidator(subnets)));
  }

  @Override
  public String where() {
    return root.toString();
  }

  /** One document of one file, admitted or not. */
  private record Entry(Path file, ParsedDocument document, DocumentAdmission.Result result) {}

  @Override
  public List<ResourceRow> list() throws IOException {
    if (!Files.isDirectory(root)) {
      throw new NoSuchFileException(root + " (the manifests directory; see --manifests)");
    }
    List<ResourceRow> rows = new ArrayList<>();
    List<Entry> entries = new ArrayList<>();
    for (Path file : manifestFiles()) {
      readFile(file, entries, rows);
    }
    Map<ResourceKey, List<Entry>> byKey = new HashMap<>();
    for (Entry e : entries) {
      if (e.result() instanceof DocumentAdmission.Result.Accepted a) {
        byKey.computeIfAbsent(a.declaration().key(), k -> new ArrayList<>()).add(e);
      }
    }
    for (Entry e : entries) {
      switch (e.result()) {
        case DocumentAdmission.Result.Accepted a -> {
          List<Entry> same = byKey.get(a.declaration().key());
          if (same.size() > 1) {
            String others =
                same.stream()
                    .filter(o -> o != e)
                    .map(o -> origin(o.file(), o.document()).describe())
                    .collect(Collectors.joining(", "));
            rows.add(
                ResourceRow.of(
                    new Rejection(
                        a.declaration().key(),
                        a.declaration().origin(),
                        e.document().generation(),
                        ConditionTypes.CONFLICT,
                        a.declaration().key() + " is also declared in " + others,
                        true),
                    e.document().document()));
          } else {
            rows.add(ResourceRow.of(a.declaration(), ResourceRow.created(e.document().document())));
          }
        }
        case DocumentAdmission.Result.Rejected r ->
            rows.add(ResourceRow.of(r.rejection(), e.document().document()));
      }
    }
    rows.sort(
        Comparator.comparing((ResourceRow r) -> r.kind() == null ? "" : r.kind())
            .thenComparing(r -> r.name() == null ? "" : r.name()));
    return rows;
  }

  @Override
  public List<HasMetadata> resources() throws IOException {
    if (!Files.isDirectory(root)) {
      throw new NoSuchFileException(root + " (the manifests directory; see --manifests)");
    }
    List<Entry> entries = new ArrayList<>();
    for (Path file : manifestFiles()) {
      readFile(file, entries, new ArrayList<>());
    }
    Map<ResourceKey, List<HasMetadata>> byKey = new HashMap<>();
    for (Entry e : entries) {
      if (e.result() instanceof DocumentAdmission.Result.Accepted a) {
        byKey
            .computeIfAbsent(a.declaration().key(), k -> new ArrayList<>())
            .add(a.declaration().resource());
      }
    }
    // A name declared twice is applied by neither declaration, as in the operator.
    return byKey.values().stream().filter(l -> l.size() == 1).map(l -> l.get(0)).toList();
  }

  private void readFile(Path file, List<Entry> entries, List<ResourceRow> rows) {
    String location = root.relativize(file).toString();
    byte[] bytes;
    switch (ManifestFileReader.read(root, file, SOURCE, location, parser.maxBytes())) {
      case ManifestFileReader.Missing m -> {
        return;
      }
      case ManifestFileReader.Unreadable u -> {
        rows.add(ResourceRow.of(u.rejection(), null));
        return;
      }
      case ManifestFileReader.Content c -> bytes = c.bytes();
    }
    ParsedFile parsed = parser.parse(bytes);
    if (parsed.error().isPresent()) {
      rows.add(
          ResourceRow.of(
              DocumentAdmission.syntaxError(SOURCE, location, parsed.error().get()), null));
      return;
    }
    for (ParsedDocument d : parsed.documents()) {
      entries.add(new Entry(file, d, admission.admit(origin(file, d), d)));
    }
  }

  private Origin origin(Path file, ParsedDocument d) {
    return new Origin(SOURCE, root.relativize(file).toString(), d.index(), d.line());
  }

  private List<Path> manifestFiles() {
    // Exactly the files the operator watches (a FIFO, a broken or looping link named *.yaml gets
    // a row saying why it cannot be read: ManifestFileReader never opens them).
    return ManifestFiles.under(root, root);
  }

  @Override
  public Check check(String fileName, String text) {
    List<ResourceKey> declares = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    Path target;
    try {
      target = target(fileName);
    } catch (IllegalArgumentException e) {
      return new Check(declares, List.of(e.getMessage()));
    }
    ParsedFile parsed = parser.parse(text.getBytes(StandardCharsets.UTF_8));
    if (parsed.error().isPresent()) {
      problems.add(DocumentAdmission.syntaxError(SOURCE, fileName, parsed.error().get()).message());
      return new Check(declares, problems);
    }
    Map<ResourceKey, String> elsewhere = declaredElsewhere(target);
    for (ParsedDocument d : parsed.documents()) {
      Origin origin = new Origin(SOURCE, fileName, d.index(), d.line());
      switch (admission.admit(origin, d)) {
        case DocumentAdmission.Result.Accepted a -> {
          ResourceKey key = a.declaration().key();
          if (declares.contains(key)) {
            problems.add(origin.describe() + ": " + key + " is declared twice in this file");
          } else if (elsewhere.containsKey(key)) {
            problems.add(
                origin.describe()
                    + ": "
                    + key
                    + " is already declared in "
                    + elsewhere.get(key)
                    + "; apply that file instead, or delete it first");
          }
          declares.add(key);
        }
        case DocumentAdmission.Result.Rejected r -> problems.add(r.rejection().message());
      }
    }
    if (parsed.documents().isEmpty()) {
      problems.add(fileName + ": declares nothing; write at least one Site, Service or Backend");
    }
    return new Check(declares, problems);
  }

  private Map<ResourceKey, String> declaredElsewhere(Path target) {
    Map<ResourceKey, String> out = new HashMap<>();
    try {
      for (ResourceRow r : Files.isDirectory(root) ? list() : List.<ResourceRow>of()) {
        if (r.key().isPresent() && !root.resolve(r.origin().location()).equals(target)) {
          out.put(r.key().get(), r.origin().describe());
        }
      }
    } catch (IOException e) {
      // An unreadable directory shows up when the file is written.
    }
    return out;
  }

  @Override
  public List<Applied> apply(String fileName, String text) throws IOException {
    Path target = target(fileName);
    Map<ResourceKey, Long> before = new HashMap<>();
    if (Files.isDirectory(root)) {
      for (ResourceRow r : list()) {
        r.key().ifPresent(k -> before.put(k, r.generation()));
      }
    }
    List<Applied> applied = new ArrayList<>();
    for (ParsedDocument d : parser.parse(text.getBytes(StandardCharsets.UTF_8)).documents()) {
      ResourceKey key = new ResourceKey(d.kind(), d.name());
      Long previous = before.get(key);
      Change change =
          previous == null
              ? Change.created
              : previous == d.generation() ? Change.unchanged : Change.configured;
      applied.add(new Applied(key, change));
    }
    Path relative = root.relativize(target);
    switch (ConfinedDirectory.locate(Files.createDirectories(root), target)) {
      case ConfinedDirectory.Outside o -> throw outside(relative);
      case ConfinedDirectory.Inside inside -> {
        // Declared in a file reached through a link inside the directory: that file is written.
        try (ConfinedDirectory dir = inside.openParent()) {
          writeUnlessSame(dir.resolve(inside.name()), text);
        }
      }
      case ConfinedDirectory.Unresolved u -> {
        // A new file (or a broken link, refused by the write): its directories are made without
        // following a link, so none of them can lead the file out.
        try (ConfinedDirectory dir =
            ConfinedDirectory.open(root.toRealPath(), relative.getParent(), true)) {
          writeUnlessSame(dir.resolve(relative.getFileName().toString()), text);
        }
      }
    }
    return applied;
  }

  private static void writeUnlessSame(Path file, String text) throws IOException {
    byte[] bytes = AtomicFiles.readOrNull(file);
    if (bytes == null || !new String(bytes, StandardCharsets.UTF_8).equals(text)) {
      AtomicFiles.write(file, text);
    }
  }

  /**
   * Removes the declaration of {@code key}: deletes its file, or rewrites it without the document.
   * Only inside the directory: the file's directory is opened without following links, and what is
   * deleted is the directory entry itself (a link inside the directory is removed, never its
   * target).
   */
  @Override
  public boolean delete(ResourceKey key) throws IOException {
    for (ResourceRow r : list()) {
      if (r.key().filter(key::equals).isEmpty() || r.origin() == null) {
        continue;
      }
      Path file = root.resolve(r.origin().location()).normalize();
      Path relative = root.relativize(file);
      if (!(ConfinedDirectory.locate(root, file) instanceof ConfinedDirectory.Inside inside)) {
        throw outside(relative);
      }
      byte[] bytes;
      try (ConfinedDirectory dir = inside.openParent()) {
        bytes = AtomicFiles.readOrNull(dir.resolve(inside.name()));
      }
      if (bytes == null) {
        return false;
      }
      String text = new String(bytes, StandardCharsets.UTF_8);
      ParsedFile parsed = parser.parse(bytes);
      if (parsed.documents().size() <= 1) {
        // The entry as listed (a link inside the directory is removed, not its target).
        if (!(ConfinedDirectory.locate(root, file.getParent())
            instanceof ConfinedDirectory.Inside parent)) {
          throw outside(relative);
        }
        try (ConfinedDirectory dir =
            ConfinedDirectory.open(parent.realRoot(), parent.relative(), false)) {
          Files.delete(dir.resolve(file.getFileName().toString()));
        }
      } else {
        try (ConfinedDirectory dir = inside.openParent()) {
          AtomicFiles.write(
              dir.resolve(inside.name()), withoutDocument(text, parsed, r.origin().document()));
        }
      }
      return true;
    }
    return false;
  }

  private static IOException outside(Path relative) {
    return new ConfinedDirectory.LinkRefusedException(
        relative.toString(),
        "leads outside the manifests directory through a symbolic link; not changed");
  }

  /**
   * {@code fileName}'s text with the document that declares {@code key} replaced by {@code
   * document} (one document, no separator), every other document, separator and comment kept as it
   * is; empty when the file does not declare {@code key}. How the API writes a resource that shares
   * its file with others.
   */
  public Optional<String> withDocumentReplaced(String fileName, ResourceKey key, String document)
      throws IOException {
    byte[] bytes = read(fileName);
    if (bytes == null) {
      return Optional.empty();
    }
    String text = new String(bytes, StandardCharsets.UTF_8);
    ParsedFile parsed = parser.parse(bytes);
    for (ParsedDocument d : parsed.documents()) {
      if (key.kind().equals(d.kind()) && key.name().equals(d.name())) {
        String result = withDocument(text, parsed, d.index(), document);
        if (!othersKept(parsed, parser.parse(result.getBytes(StandardCharsets.UTF_8)), d.index())) {
          // A layout the line model does not follow (e.g. documents sharing a line): never
          // risk another resource's declaration.
          throw new IllegalStateException(
              fileName
                  + ": replacing the document of "
                  + key
                  + " would change the file's other documents; edit that file directly or move "
                  + key
                  + " into a file of its own");
        }
        return Optional.of(result);
      }
    }
    return Optional.empty();
  }

  /** The bytes of {@code fileName}, read without following a link out; null when it is gone. */
  private byte[] read(String fileName) throws IOException {
    Path file = target(fileName);
    if (!(ConfinedDirectory.locate(root, file) instanceof ConfinedDirectory.Inside inside)) {
      throw outside(root.relativize(file));
    }
    try (ConfinedDirectory dir = inside.openParent()) {
      return AtomicFiles.readOrNull(dir.resolve(inside.name()));
    }
  }

  /**
   * Rewrites the document declaring {@code key} in its file (alone in it, or in place among the
   * others, see {@link #withDocumentReplaced}); metadata the new document does not give is kept
   * from the old one.
   */
  @Override
  public boolean replace(ResourceKey key, String yaml, long generation) throws IOException {
    List<ResourceRow> declaring =
        list().stream().filter(r -> r.key().filter(key::equals).isPresent()).toList();
    if (declaring.isEmpty()) {
      return false;
    }
    if (declaring.size() > 1) {
      throw new IllegalStateException(
          key
              + " is declared "
              + declaring.size()
              + " times ("
              + String.join(", ", declaring.stream().map(r -> r.origin().describe()).toList())
              + "); delete the extra declarations first");
    }
    ResourceRow current = declaring.get(0);
    if (current.generation() != generation) {
      throw FleetWriter.changedSince(key, generation, current.generation());
    }
    String fileName = current.origin().location();
    byte[] bytes = read(fileName);
    ParsedFile parsed = parser.parse(bytes == null ? new byte[0] : bytes);
    Optional<ParsedDocument> old = parsed.document(current.origin().document());
    if (old.isEmpty() || old.get().generation() != generation) {
      throw FleetWriter.changedSince(
          key, generation, old.map(ParsedDocument::generation).orElse(0L));
    }
    String document = withMetadataOf(old.get().document(), yaml);
    Check check = check(fileName, document);
    if (!check.valid()) {
      throw new IllegalArgumentException(
          key + " is invalid: " + String.join("; ", check.problems()));
    }
    String text =
        parsed.documents().size() > 1
            ? withDocumentReplaced(fileName, key, document)
                .orElseThrow(() -> FleetWriter.changedSince(key, generation, 0))
            : document;
    apply(fileName, text);
    return true;
  }

  /** {@code yaml} with the metadata fields it lacks taken from {@code old} (e.g. annotations). */
  private static String withMetadataOf(JsonNode old, String yaml) throws IOException {
    JsonNode oldMetadata = old.path("metadata");
    if (!oldMetadata.isObject()) {
      return yaml;
    }
    JsonNode tree = YAML.readTree(yaml);
    if (!(tree instanceof ObjectNode document)) {
      return yaml;
    }
    ObjectNode metadata =
        document.get("metadata") instanceof ObjectNode m ? m : document.putObject("metadata");
    boolean added = false;
    for (var field : oldMetadata.properties()) {
      if (!metadata.has(field.getKey())) {
        metadata.set(field.getKey(), field.getValue());
        added = true;
      }
    }
    return added ? YAML.writeValueAsString(document) : yaml;
  }

  private static final YAMLMapper YAML =
      YAMLMapper.builder()
          .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
          .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
          .build();

  /** Same number of documents, and every one but {@code replaced} declares the same thing. */
  private static boolean othersKept(ParsedFile before, ParsedFile after, int replaced) {
    if (after.error().isPresent() || after.documents().size() != before.documents().size()) {
      return false;
    }
    for (int i = 0; i < before.documents().size(); i++) {
      if (i != replaced
          && before.documents().get(i).generation() != after.documents().get(i).generation()) {
        return false;
      }
    }
    return true;
  }

  /**
   * The text with one document's lines replaced: from its first line of content to the separator of
   * the next document (its status and trailing comments go with it); the separator in front of it
   * and the comments above its content stay.
   */
  static String withDocument(String text, ParsedFile parsed, int index, String document) {
    List<String> lines = text.lines().toList();
    int from = parsed.documents().get(index).line() - 1;
    List<String> out = new ArrayList<>(lines.subList(0, from));
    if (lines.get(from).startsWith("---")) {
      // "--- kind: Backend": the content starts on the marker line, which goes with it.
      out.add("---");
    }
    int to =
        index + 1 < parsed.documents().size()
            ? separatorBefore(lines, parsed.documents().get(index + 1).line() - 1)
            : lines.size();
    out.addAll(document.stripTrailing().lines().toList());
    out.addAll(lines.subList(to, lines.size()));
    return String.join("\n", out) + "\n";
  }

  /** The text minus one document and the separator in front of it. */
  static String withoutDocument(String text, ParsedFile parsed, int index) {
    List<String> lines = text.lines().toList();
    int from = separatorBefore(lines, parsed.documents().get(index).line() - 1);
    int to =
        index + 1 < parsed.documents().size()
            ? separatorBefore(lines, parsed.documents().get(index + 1).line() - 1)
            : lines.size();
    List<String> kept = new ArrayList<>(lines.subList(0, from));
    kept.addAll(lines.subList(to, lines.size()));
    return String.join("\n", kept) + "\n";
  }

  private static int separatorBefore(List<String> lines, int line) {
    for (int i = Math.min(line, lines.size() - 1); i >= 0; i--) {
      if (lines.get(i).startsWith("---")) {
        return i;
      }
    }
    return 0;
  }

  /** Resolves a file name inside the watched directory, refusing escapes and non-YAML names. */
  private Path target(String fileName) {
    Path relative = Path.of(fileName).normalize();
    if (relative.isAbsolute() || relative.startsWith("..") || relative.toString().isEmpty()) {
      throw new IllegalArgumentException(
          fileName + ": must be a relative path inside the manifests directory");
    }
    if (!ManifestNames.isManifest(relative)) {
      throw new IllegalArgumentException(
          fileName + ": only visible .yaml or .yml files are watched; rename it");
    }
    return root.resolve(relative);
  }
}
