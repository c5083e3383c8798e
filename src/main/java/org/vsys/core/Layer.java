package org.vsys.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;

import org.vsys.base.Debug;
import org.vsys.base.ExitCode;
import org.vsys.base.VsysException;
import org.vsys.config.Installation;
import org.vsys.config.SystemRecord;
import org.vsys.linux.Posix;
import org.vsys.linux.PosixException;
import org.vsys.mount.MountTable;

/**
 * The persistent local layer of a system ({@code layer=persistent}): the system's root file
 * system is mounted read-only at {@code R/.lower/NAME} (the directory {@code R/.lower} is 0700
 * root: users never reach the lower tree directly), and an overlay is mounted at {@code R/NAME}
 * with that tree (or the checkout named by {@code layer.lower=}) as its lower layer and
 * {@code R/.layer/NAME/GEN/upper} as its upper layer ({@code work} beside it, both on local
 * disk). The view and the launcher see R/NAME as before; the remote and the store are never
 * written. The overlay is mounted with {@code index=off,metacopy=off,redirect_dir=off,xino=off}:
 * a change copies the whole file up and a renamed directory is copied, so the upper directory
 * alone says what changed (whiteouts, opaque directories, whole files), which diff, reset and
 * the merge of a switch read.
 */
public final class Layer {
    /** The options the overlay is always mounted with (before lowerdir, upperdir, workdir). */
    public static final String FIXED_OPTIONS = "index=off,metacopy=off,redirect_dir=off,xino=off";

    private final Installation inst;
    private final String name;

    public Layer(Installation inst, String name) {
        this.inst = inst;
        this.name = name;
    }

    /** {@code R/.lower}: mode 0700 root. */
    public static Path lowerBase(Installation inst) {
        return inst.root().resolve(".lower");
    }

    /** {@code R/.layer}: mode 0700 root. */
    public static Path layerBase(Installation inst) {
        return inst.root().resolve(".layer");
    }

    /** Where the root file system of a layered system is mounted: {@code R/.lower/NAME}. */
    public Path lowerMount() {
        return lowerBase(inst).resolve(name);
    }

    /** {@code R/.layer/NAME}: the generations of the system's layer. */
    public Path home() {
        return layerBase(inst).resolve(name);
    }

    public Path generation(String gen) {
        return home().resolve(gen);
    }

    public Path upper(String gen) {
        return generation(gen).resolve("upper");
    }

    public Path work(String gen) {
        return generation(gen).resolve("work");
    }

    /** The lower tree of the overlay: the checkout of {@code layer.lower=} or the mounted source. */
    public Path lowerTree(SystemRecord.LayerSpec spec) {
        return spec.lower() != null ? Path.of(spec.lower()) : lowerMount();
    }

    /** The overlay's option string for a record. */
    public String options(SystemRecord.LayerSpec spec) {
        return FIXED_OPTIONS + ",lowerdir=" + lowerTree(spec) + ",upperdir=" + upper(spec.gen()) + ",workdir=" + work(spec.gen());
    }

    private static void mkdir(Path d, String mode) throws VsysException {
        try {
            if (!Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) {
                if (Files.exists(d, LinkOption.NOFOLLOW_LINKS)) {
                    throw new VsysException(ExitCode.UNSAFE, d.toString(), "exists and is not a directory; left alone");
                }
                Files.createDirectory(d, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(mode)));
            }
            Files.setPosixFilePermissions(d, PosixFilePermissions.fromString(mode));
        } catch (IOException e) {
            throw new VsysException(ExitCode.INTERNAL, d.toString(), "cannot create: " + e.getMessage(), e);
        }
    }

    /** Makes {@code R/.lower} (0700) and {@code R/.lower/NAME} (0755, the mount point). */
    public void makeLowerMount() throws VsysException {
        mkdir(lowerBase(inst), "rwx------");
        mkdir(lowerMount(), "rwxr-xr-x");
    }

    /** Removes the empty mount point {@code R/.lower/NAME} (rmdir only, never when mounted). */
    public void removeLowerMount() throws VsysException {
        Path d = lowerMount();
        if (!Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (MountTable.read().isMountPoint(d.toString())) {
            throw new VsysException(ExitCode.MOUNT_FAILED, d.toString(), "still a mount point; not removed");
        }
        try {
            Posix.get().rmdir(d.toString());
        } catch (PosixException e) {
            throw new VsysException(ExitCode.UNSAFE, d.toString(), "not removed: " + e.reason());
        }
    }

    /**
     * Makes generation {@code gen} if it is not there: {@code R/.layer} and {@code R/.layer/NAME}
     * 0700, the generation 0700, {@code upper} with the owner and mode of {@code lowerRoot} (the
     * overlay's root directory shows the upper's), {@code work} 0700. An existing generation (a
     * layer kept by {@code destroy}) is used as it is.
     */
    public void makeGeneration(String gen, Path lowerRoot) throws VsysException {
        mkdir(layerBase(inst), "rwx------");
        mkdir(home(), "rwx------");
        if (Files.isDirectory(upper(gen), LinkOption.NOFOLLOW_LINKS)) {
            mkdir(work(gen), "rwx------");
            return;
        }
        mkdir(generation(gen), "rwx------");
        Path up = upper(gen);
        mkdir(up, "rwxr-xr-x");
        try {
            PosixFileAttributes a = Files.readAttributes(lowerRoot, PosixFileAttributes.class);
            Files.setPosixFilePermissions(up, a.permissions());
            Files.setOwner(up, a.owner());
            Files.getFileAttributeView(up, java.nio.file.attribute.PosixFileAttributeView.class).setGroup(a.group());
        } catch (IOException e) {
            throw new VsysException(ExitCode.INTERNAL, up.toString(), "cannot copy the owner and mode of " + lowerRoot + ": " + e.getMessage(), e);
        }
        mkdir(work(gen), "rwx------");
    }

    /**
     * Undoes {@link #makeGeneration} for a create whose overlay failed: rmdir of {@code work/work},
     * {@code work}, {@code upper}, the generation and {@code R/.layer/NAME}, innermost first, each
     * only while empty (a kept layer with content stays as it is). Never removes a file.
     */
    public void removeEmptyGeneration(String gen) {
        for (Path d : java.util.List.of(work(gen).resolve("work"), work(gen), upper(gen), generation(gen), home())) {
            try {
                if (Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) {
                    Files.delete(d);
                }
            } catch (IOException e) {
                return; // not empty (or not ours to take): the rest is kept
            }
        }
    }

    /** True if the overlay of this record is mounted at R/NAME (the last mount there). */
    public boolean mounted(MountTable table, SystemRecord rec) {
        MountTable.Mount m = table.at(inst.systemDir(name).toString());
        if (m == null || !m.fsType().equals("overlay")) {
            return false;
        }
        String so = "," + m.superOptions() + ",";
        return so.contains(",upperdir=" + upper(rec.layer().gen()) + ",") && so.contains(",lowerdir=" + lowerTree(rec.layer()) + ",");
    }

    /**
     * Mounts the overlay of {@code rec} at R/NAME, onto the directory reached without following a
     * symlink. nosuid and nodev unless the root file system has suid or dev.
     */
    public void mount(SystemRecord rec, Debug debug) throws VsysException {
        SystemRecord.LayerSpec spec = rec.layer();
        Path lower = lowerTree(spec);
        makeGeneration(spec.gen(), lower);
        String t = inst.systemDir(name).toString();
        Posix posix = Posix.get();
        int fd;
        try {
            fd = posix.openDirectoryNoFollow(t);
        } catch (PosixException e) {
            throw new VsysException(ExitCode.UNSAFE, t, "mount point not reachable without following a symlink: " + e.reason(), e);
        }
        long flags = (rec.root().suid() ? 0 : Posix.MS_NOSUID) | (rec.root().dev() ? 0 : Posix.MS_NODEV);
        try {
            posix.mount("vsys-layer-" + name, "/proc/self/fd/" + fd, "overlay", flags, options(spec));
        } catch (PosixException e) {
            throw new VsysException(ExitCode.MOUNT_FAILED, name, "cannot mount the layer (overlay over " + lower + "): " + e.reason()
                    + refusalHint(lower), e);
        } finally {
            posix.close(fd);
        }
        debug.line("layer " + upper(spec.gen()) + " over " + lower + " at " + t);
    }

    /** What overlayfs is known to refuse as a lower layer, named from the file system type there. */
    private static String refusalHint(Path lower) {
        MountTable.Mount m = null;
        for (MountTable.Mount x : MountTable.read().mounts()) {
            if (lower.toString().equals(x.mountPoint()) || lower.startsWith(x.mountPoint())) {
                if (m == null || x.mountPoint().length() >= m.mountPoint().length()) {
                    m = x;
                }
            }
        }
        if (m == null) {
            return "";
        }
        String why = m.fsType().equals("overlay") ? ": overlayfs stacks at most 2 deep and refuses a lower that is"
                + " an overlay over an overlay" : "";
        return " (the lower layer is " + m.fsType() + why + "; see vsys(8), LAYERS)";
    }
}
