package dev.parley.client;

/** A "host:port" target; IPv6 literals in brackets. */
record HostPort(String host, int port) {

  static HostPort parse(String target, int defaultPort) {
    String t = target.trim();
    if (t.isEmpty()) {
      throw new IllegalArgumentException("empty server address");
    }
    if (t.startsWith("[")) {
      int close = t.indexOf(']');
      if (close < 0) {
        throw new IllegalArgumentException("unclosed [ in server address " + target);
      }
      String host = t.substring(1, close);
      String rest = t.substring(close + 1);
      return new HostPort(host, rest.isEmpty() ? defaultPort : port(rest.substring(1), target));
    }
    int colon = t.lastIndexOf(':');
    if (colon < 0) {
      return new HostPort(t, defaultPort);
    }
    if (t.indexOf(':') != colon) {
      return new HostPort(t, defaultPort); // a bare IPv6 address
    }
    return new HostPort(t.substring(0, colon), port(t.substring(colon + 1), target));
  }

  static String format(String host, int port) {
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }

  private static int port(String s, String target) {
    try {
      int p = Integer.parseInt(s);
      if (p < 1 || p > 65535) {
        throw new NumberFormatException();
      }
      return p;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "bad port in server address " + target + " (expected host:port)");
    }
  }
}
