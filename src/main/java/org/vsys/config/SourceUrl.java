package org.vsys.config;

import java.nio.file.Path;
import java.util.Locale;

import org.vsys.base.ExitCode;
import org.vsys.base.VsysException;

/**
 * Where a filesystem comes from: {@code nfs://SERVER/PATH}, {@code ssh://[USER@]HOST[:PORT]/PATH},
 * {@code dir:/PATH} or a bare absolute path (a local tree). {@link #toString()} is the canonical
 * form stored in records.
 */
public final class SourceUrl {

    public enum Kind {
        NFS, SSH, DIR
    }

    private final Kind kind;
    private final String user;
    private final String host;
    private final int port;
    private final String path;

    private SourceUrl(Kind kind, String user, String host, int port, String path) {
        this.kind = kind;
        this.user = user;
        this.host = host;
        this.port = port;
        this.path = path;
    }

    public static SourceUrl nfs(String host, String path) {
        return new SourceUrl(Kind.NFS, null, host, 0, path);
    }

    public Kind kind() {
        return kind;
    }

    /** ssh user or null (root's ssh configuration decides). */
    public String user() {
        return user;
    }

    /** Server host, null for {@link Kind#DIR}. IPv6 literals without brackets. */
    public String host() {
        return host;
    }

    /** ssh port, 0 for the default. */
    public int port() {
        return port;
    }

    /** Absolute, normalised path on the server (or on this machine for DIR). */
    public String path() {
        return path;
    }

    /** The host as it goes into {@code host:path} (brackets around IPv6 literals). */
    public String hostForPath() {
        return host.indexOf(':') >= 0 ? "[" + host + "]" : host;
    }

    @Override
    public String toString() {
        switch (kind) {
            case NFS:
                return "nfs://" + hostForPath() + path;
            case SSH:
                return "ssh://" + (user == null ? "" : user + "@") + hostForPath() + (port == 0 ? "" : ":" + port) + path;
            default:
                return "dir:" + path;
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SourceUrl && o.toString().equals(toString());
    }

    @Override
    public int hashCode() {
        return toString().hashCode();
    }

    private static VsysException bad(String url, String why) {
        return new VsysException(ExitCode.BAD_SOURCE, Names.display(url), why);
    }

    /** Parses a user-given source; exit 7 with the reason when it is malformed. */
    public static SourceUrl parse(String url) throws VsysException {
        if (url == null || url.isEmpty()) {
            throw bad(url, "empty source");
        }
        for (int i = 0; i < url.length(); i++) {
            char c = url.charAt(i);
            if (c <= ' ' || c == 0x7f || c == ',' || c == '\\') {
                throw bad(url, "source contains a space, control character, ',' or '\\'");
            }
        }
        if (url.startsWith("/")) {
            return new SourceUrl(Kind.DIR, null, null, 0, path(url, url));
        }
        if (url.startsWith("dir:")) {
            return new SourceUrl(Kind.DIR, null, null, 0, path(url, url.substring(4)));
        }
        int sep = url.indexOf("://");
        if (sep < 0) {
            throw bad(url, "not a source: use nfs://SERVER/PATH, ssh://[USER@]HOST[:PORT]/PATH, dir:/PATH or /PATH");
        }
        String scheme = url.substring(0, sep).toLowerCase(Locale.ROOT);
        String rest = url.substring(sep + 3);
        int slash = rest.indexOf('/');
        if (slash < 0) {
            throw bad(url, "no path after the server (add '/' for the root)");
        }
        String authority = rest.substring(0, slash);
        String p = path(url, rest.substring(slash));
        switch (scheme) {
            case "nfs": {
                if (authority.indexOf('@') >= 0) {
                    throw bad(url, "nfs:// takes no user");
                }
                String[] hp = hostPort(url, authority);
                if (hp[1] != null) {
                    throw bad(url, "nfs:// takes no port (use -o port=N)");
                }
                return new SourceUrl(Kind.NFS, null, hp[0], 0, p);
            }
            case "ssh": {
                String user = null;
                int at = authority.lastIndexOf('@');
                if (at >= 0) {
                    user = authority.substring(0, at);
                    authority = authority.substring(at + 1);
                    if (!validUser(user)) {
                        throw bad(url, "bad user name '" + Names.display(user) + "'");
                    }
                }
                String[] hp = hostPort(url, authority);
                int port = 0;
                if (hp[1] != null) {
                    try {
                        port = Integer.parseInt(hp[1]);
                    } catch (NumberFormatException e) {
                        port = -1;
                    }
                    if (port < 1 || port > 65535) {
                        throw bad(url, "bad port '" + Names.display(hp[1]) + "'");
                    }
                }
                return new SourceUrl(Kind.SSH, user, hp[0], port, p);
            }
            default:
                throw bad(url, "unknown scheme '" + Names.display(scheme) + "' (nfs, ssh or dir)");
        }
    }

    private static String[] hostPort(String url, String authority) throws VsysException {
        String host;
        String port = null;
        if (authority.startsWith("[")) {
            int close = authority.indexOf(']');
            if (close < 0) {
                throw bad(url, "unclosed '[' in the host");
            }
            host = authority.substring(1, close);
            String after = authority.substring(close + 1);
            if (!after.isEmpty()) {
                if (!after.startsWith(":")) {
                    throw bad(url, "junk after ']'");
                }
                port = after.substring(1);
            }
            if (!host.matches("[0-9A-Fa-f:.]+") || host.indexOf(':') < 0) {
                throw bad(url, "bad IPv6 address '" + Names.display(host) + "'");
            }
            return new String[] {host.toLowerCase(Locale.ROOT), port};
        }
        int colon = authority.indexOf(':');
        if (colon >= 0) {
            host = authority.substring(0, colon);
            port = authority.substring(colon + 1);
        } else {
            host = authority;
        }
        if (!validHost(host)) {
            throw bad(url, "bad host name '" + Names.display(host) + "'");
        }
        return new String[] {host, port};
    }

    /** Host names and IPv4 addresses: dot-separated labels of letters, digits, '-' and '_', no leading '-'. */
    public static boolean validHost(String host) {
        if (host.isEmpty() || host.length() > 253 || host.startsWith(".") || host.endsWith(".")) {
            return false;
        }
        for (String label : host.split("\\.", -1)) {
            if (label.isEmpty() || label.length() > 63 || label.startsWith("-") || label.endsWith("-")) {
                return false;
            }
            for (int i = 0; i < label.length(); i++) {
                char c = label.charAt(i);
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) {
                    return false;
                }
            }
        }
        return true;
    }

    static boolean validUser(String user) {
        return user.matches("[A-Za-z0-9_][A-Za-z0-9._-]{0,31}");
    }

    /** Checks a path is absolute and returns its normal form ({@code ..} refused, {@code .} and '//' folded). */
    static String path(String url, String p) throws VsysException {
        if (!p.startsWith("/")) {
            throw bad(url, "path must be absolute");
        }
        for (String part : p.split("/")) {
            if (part.equals("..")) {
                throw bad(url, "path must not contain '..'");
            }
        }
        return Path.of(p).normalize().toString();
    }

    /** Normalises a path inside a system ({@code --mount PATH=...}, {@code --ro PATH}); exit 7 when bad. */
    public static String systemPath(String p) throws VsysException {
        if (p == null || p.isEmpty()) {
            throw bad(p, "empty path");
        }
        for (int i = 0; i < p.length(); i++) {
            char c = p.charAt(i);
            if (c <= ' ' || c == 0x7f || c == ',' || c == '\\' || c == '=') {
                throw bad(p, "path contains a space, control character, ',', '=' or '\\'");
            }
        }
        return path(p, p);
    }
}
