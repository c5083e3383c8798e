package org.vsys.mount;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import org.vsys.config.Installation;

/** The kernel's mount table as {@code /proc/self/mountinfo} gives it (proc(5)), in kernel order. */
public final class MountTable {

    /**
     * One line of mountinfo. {@code mountPoint} and {@code root} are decoded (\040 is a space);
     * {@code device} is the filesystem's {@code major:minor}.
     */
    public record Mount(int id, int parentId, String root, String mountPoint, String options, List<String> optional,
            String fsType, String source, String superOptions, int index, String device) {

        /** True if this mount is at {@code dir} or below it. */
        public boolean atOrUnder(String dir) {
            return isAtOrUnder(mountPoint, dir);
        }

        public int depth() {
            if (mountPoint.equals("/")) {
                return 0;
            }
            int d = 0;
            for (int i = 0; i < mountPoint.length(); i++) {
                if (mountPoint.charAt(i) == '/') {
                    d++;
                }
            }
            return d;
        }
    }

    private final List<Mount> mounts;

    private MountTable(List<Mount> mounts) {
        this.mounts = Collections.unmodifiableList(mounts);
    }

    public static MountTable read() {
        return read(Path.of("/proc/self/mountinfo"));
    }

    public static MountTable read(Path file) {
        try {
            return parse(new String(Files.readAllBytes(file), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static MountTable parse(String text) {
        List<Mount> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.split(" ");
            int sep = -1;
            for (int i = 6; i < f.length; i++) {
                if (f[i].equals("-")) {
                    sep = i;
                    break;
                }
            }
            if (f.length < 10 || sep < 0 || sep + 3 >= f.length + 1) {
                throw new IllegalArgumentException("malformed mountinfo line: " + line);
            }
            List<String> optional = new ArrayList<>();
            for (int i = 6; i < sep; i++) {
                optional.add(f[i]);
            }
            out.add(new Mount(Integer.parseInt(f[0]), Integer.parseInt(f[1]), decode(f[3]), decode(f[4]), f[5],
                    Collections.unmodifiableList(optional), decode(f[sep + 1]),
                    sep + 2 < f.length ? decode(f[sep + 2]) : "", sep + 3 < f.length ? f[sep + 3] : "", out.size(), f[2]));
        }
        return new MountTable(out);
    }

    /** Undoes the kernel's octal escapes ({@code \040} space, {@code \011} tab, {@code \012} newline, {@code \134} backslash). */
    public static String decode(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && isOctal(s, i + 1)) {
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    private static boolean isOctal(String s, int from) {
        if (from + 3 > s.length()) {
            return false;
        }
        for (int i = from; i < from + 3; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '7') {
                return false;
            }
        }
        return true;
    }

    static boolean isAtOrUnder(String path, String dir) {
        if (dir.equals("/")) {
            return true;
        }
        return path.equals(dir) || (path.startsWith(dir) && path.charAt(dir.length()) == '/');
    }

    public List<Mount> mounts() {
        return mounts;
    }

    /** Mounts at or under {@code dir}, in table order. */
    public List<Mount> atOrUnder(String dir) {
        List<Mount> out = new ArrayList<>();
        for (Mount m : mounts) {
            if (m.atOrUnder(dir)) {
                out.add(m);
            }
        }
        return out;
    }

    /** The visible (last) mount exactly at {@code mountPoint}, or null. */
    public Mount at(String mountPoint) {
        Mount found = null;
        for (Mount m : mounts) {
            if (m.mountPoint.equals(mountPoint)) {
                found = m;
            }
        }
        return found;
    }

    /**
     * True if the view helper has prepared NAME, in either link mode: its namespace file exists
     * (namespace mode) or its tree is mounted at {@link Installation#kmodTree} (kmod mode). Decided from names
     * and this mount table only: nothing under a possibly dead mount is looked at.
     */
    public boolean isPrepared(Installation inst, String name) {
        return Files.exists(inst.nsFile(name), LinkOption.NOFOLLOW_LINKS)
                || at(inst.kmodTree(name).toString()) != null;
    }

    /** True if the namespace or kmod tree of NAME is mounted (a prepared, usable view). */
    public boolean isViewMounted(Installation inst, String name) {
        return at(inst.nsFile(name).toString()) != null || at(inst.kmodTree(name).toString()) != null;
    }

    public boolean isMountPoint(String path) {
        return at(path) != null;
    }
}
