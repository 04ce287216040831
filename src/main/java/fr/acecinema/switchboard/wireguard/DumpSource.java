package fr.acecinema.switchboard.wireguard;

/** Where dumps come from: {@link WireGuardReader} in production, a fake in unit tests. */
@FunctionalInterface
public interface DumpSource {
  /** The current dump of one interface. */
  WgDump dump(String iface) throws WireGuardException;
}
