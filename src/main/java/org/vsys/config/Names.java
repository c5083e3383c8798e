package org.vsys.config;

import java.nio.charset.StandardCharsets;
import java.util.Set;

import org.vsys.base.ExitCode;
import org.vsys.base.VsysException;

/**
 * System and alias names: {@code [A-Za-z0-9][A-Za-z0-9._-]*}, at most 64 bytes, not {@code bin},
 * {@code etc} or a name starting with a dot. Systems and aliases share one name space.
 */
public final class Names {
    public static final int MAX_LENGTH = 64;
    public static final Set<String> RESERVED = Set.of("bin", "etc");

    private Names() {
    }

    /** Why {@code name} is not acceptable, or null when it is. */
    public static String problem(String name) {
        if (name == null || name.isEmpty()) {
            return "empty name";
        }
        if (name.getBytes(StandardCharsets.UTF_8).length > MAX_LENGTH) {
            return "longer than " + MAX_LENGTH + " bytes";
        }
        if (name.charAt(0) == '.') {
            return "reserved name (names starting with '.' belong to vsys)";
        }
        if (RESERVED.contains(name)) {
            return "reserved name (" + String.join(", ", RESERVED.stream().sorted().toList()) + " are taken by /OS itself)";
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
            if (!(alnum || (i > 0 && (c == '.' || c == '_' || c == '-')))) {
                return "invalid name: must match [A-Za-z0-9][A-Za-z0-9._-]*";
            }
        }
        return null;
    }

    public static boolean isValid(String name) {
        return problem(name) == null;
    }

    /** Returns {@code name} or throws exit 3 with one line naming the problem. */
    public static String check(String name) throws VsysException {
        String p = problem(name);
        if (p != null) {
            throw new VsysException(ExitCode.BAD_NAME, display(name), p);
        }
        return name;
    }

    /** A name made safe to print on one line: control characters become '?', long ones are cut. */
    public static String display(String name) {
        if (name == null) {
            return "(none)";
        }
        if (name.isEmpty()) {
            return "''";
        }
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < name.length(); i++) {
            if (b.length() >= 80) {
                b.append("...");
                break;
            }
            char c = name.charAt(i);
            b.append(c < 0x20 || c == 0x7f || Character.isISOControl(c) ? '?' : c);
        }
        return b.toString();
    }
}
