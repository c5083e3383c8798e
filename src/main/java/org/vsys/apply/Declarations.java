package org.vsys.apply;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.vsys.base.ExitCode;
import org.vsys.base.VsysException;

/**
 * The declarations directory ({@code /etc/vsys/systems.d} or {@code declarations=} of vsys.conf,
 * or {@code --dir}): every {@code NAME.conf} in it, in name order; files whose names start with a
 * dot or do not end in {@code .conf} are not read (editors' and package managers' leftovers). A bad
 * file is one problem and leaves out only its own system.
 */
public final class Declarations {
    private final Path dir;
    private final List<Declaration> declared;
    private final List<Declaration.Problem> problems;
    private Set<String> mentioned;

    private Declarations(Path dir, List<Declaration> declared, List<Declaration.Problem> problems) {
        this.dir = dir;
        this.declared = declared;
        this.problems = problems;
    }

    public Path dir() {
        return dir;
    }

    /** The declarations that parsed, by file name. */
    public List<Declaration> declared() {
        return declared;
    }

    /** One per bad file (or name clash), as {@code FILE:LINE: problem}. */
    public List<Declaration.Problem> problems() {
        return problems;
    }

    /**
     * Reads the directory. A missing or unreadable directory is an error of its own (exit 5): an
     * empty declaration would remove every declared system, so it must be an empty directory.
     */
    public static Declarations read(Path dir) throws VsysException {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(dir, BasicFileAttributes.class);
        } catch (IOException e) {
            throw new VsysException(ExitCode.NO_SUCH, dir.toString(), "no such declarations directory (nothing changed)");
        }
        if (!a.isDirectory()) {
            throw new VsysException(ExitCode.USAGE, dir.toString(), "not a directory");
        }
        String[] names = dir.toFile().list();
        if (names == null) {
            throw new VsysException(ExitCode.CORRUPT, dir.toString(), "cannot read the directory");
        }
        Arrays.sort(names);
        List<Declaration> declared = new ArrayList<>(names.length);
        List<Declaration.Problem> problems = new ArrayList<>();
        Map<String, String> owner = new HashMap<>(names.length * 2);
        // the systems' names first: an alias may not take the name of a system declared after it
        for (String n : names) {
            String sys = Declaration.nameOf(n);
            if (sys != null && !n.startsWith(".")) {
                owner.put(sys, dir.resolve(n).toString());
            }
        }
        // read and parse on every core (1000 small files), then checked in name order
        Object[] parsed = new Object[names.length];
        java.util.stream.IntStream.range(0, names.length).parallel().forEach(i -> {
            String n = names[i];
            if (n.startsWith(".") || Declaration.nameOf(n) == null) {
                return;
            }
            try {
                parsed[i] = Declaration.read(dir.resolve(n));
            } catch (Declaration.Problem p) {
                parsed[i] = p;
            }
        });
        for (Object o : parsed) {
            if (o == null) {
                continue;
            }
            if (o instanceof Declaration.Problem p) {
                problems.add(p);
                continue;
            }
            Declaration d = (Declaration) o;
            String clash = null;
            for (String alias : d.aliases()) {
                String other = owner.get(alias);
                if (other != null) {
                    clash = d.file() + ": alias " + alias + " is also declared by " + other;
                    break;
                }
            }
            if (clash != null) {
                problems.add(new Declaration.Problem(d.name(), clash));
                continue;
            }
            for (String alias : d.aliases()) {
                owner.put(alias, d.file());
            }
            declared.add(d);
        }
        return new Declarations(dir, declared, problems);
    }

    /** True if a file of the directory names {@code system}, good or bad (a bad one keeps it as it is). */
    public boolean mentions(String system) {
        if (mentioned == null) {
            Set<String> s = new HashSet<>();
            for (Declaration d : declared) {
                s.add(d.name());
            }
            for (Declaration.Problem p : problems) {
                if (p.system() != null) {
                    s.add(p.system());
                }
            }
            mentioned = s;
        }
        return mentioned.contains(system);
    }
}
