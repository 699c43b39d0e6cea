package dev.parley.client;

import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.grpc.NameResolverRegistry;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/**
 * Resolves {@code parley-static:///host1:port1,host2:port2} to those addresses, so that a channel
 * balances over a fixed list of servers (grpc-java resolves one name per target otherwise).
 */
final class StaticAddresses extends NameResolverProvider {
  static final String SCHEME = "parley-static";
  private static volatile boolean registered;

  /** The channel target for these addresses; registers the resolver on first use. */
  static String target(List<HostPort> addresses) {
    if (!registered) {
      synchronized (StaticAddresses.class) {
        if (!registered) {
          NameResolverRegistry.getDefaultRegistry().register(new StaticAddresses());
          registered = true;
        }
      }
    }
    StringBuilder t = new StringBuilder(SCHEME).append(":///");
    for (int i = 0; i < addresses.size(); i++) {
      t.append(i == 0 ? "" : ",")
          .append(HostPort.format(addresses.get(i).host(), addresses.get(i).port()));
    }
    return t.toString();
  }

  @Override
  protected boolean isAvailable() {
    return true;
  }

  @Override
  protected int priority() {
    return 5;
  }

  @Override
  public String getDefaultScheme() {
    return SCHEME;
  }

  @Override
  public NameResolver newNameResolver(URI uri, NameResolver.Args args) {
    if (!SCHEME.equals(uri.getScheme())) {
      return null;
    }
    List<HostPort> list = new ArrayList<>();
    for (String a : uri.getPath().substring(1).split(",")) {
      list.add(HostPort.parse(a, ParleyClient.DEFAULT_PORT));
    }
    return new NameResolver() {
      @Override
      public String getServiceAuthority() {
        return HostPort.format(list.get(0).host(), list.get(0).port());
      }

      @Override
      public void start(Listener2 listener) {
        List<EquivalentAddressGroup> groups = new ArrayList<>();
        for (HostPort hp : list) {
          groups.add(new EquivalentAddressGroup(new InetSocketAddress(hp.host(), hp.port())));
        }
        listener.onResult(
            ResolutionResult.newBuilder()
                .setAddressesOrError(io.grpc.StatusOr.fromValue(groups))
                .build());
      }

      @Override
      public void shutdown() {}
    };
  }
}
