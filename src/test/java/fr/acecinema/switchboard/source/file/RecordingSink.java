package fr.acecinema.switchboard.source.file;

import fr.acecinema.switchboard.source.Declaration;
import fr.acecinema.switchboard.source.DeclarationSink;
import fr.acecinema.switchboard.source.Rejection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** Remembers what each location declares, and every call, for assertions. */
final class RecordingSink implements DeclarationSink {
  record Entry(List<Declaration> accepted, List<Rejection> rejected) {}

  final Map<String, Entry> state = new ConcurrentHashMap<>();
  final List<String> calls = new CopyOnWriteArrayList<>();

  @Override
  public void replace(
      String source, String location, List<Declaration> accepted, List<Rejection> rejected) {
    state.put(location, new Entry(List.copyOf(accepted), List.copyOf(rejected)));
    calls.add("replace " + location);
  }

  @Override
  public void removeLocation(String source, String location) {
    state.remove(location);
    calls.add("remove " + location);
  }

  @Override
  public Set<String> locations(String source) {
    return Set.copyOf(state.keySet());
  }

  List<String> names(String location) {
    Entry e = state.get(location);
    return e == null ? List.of() : e.accepted().stream().map(d -> d.key().toString()).toList();
  }

  long replaces(String location) {
    return calls.stream().filter(c -> c.equals("replace " + location)).count();
  }
}
