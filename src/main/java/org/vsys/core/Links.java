package org.vsys.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

import org.vsys.base.AtomicFile;
import org.vsys.base.ExitCode;
import org.vsys.base.VsysException;

/** The launcher links {@code R/bin/<name> -> bin}: made atomically, removed only when they are ours. */
public final class Links {
    public static final String TARGET = "bin";

    private Links() {
    }

    /** True if {@code link} is a symlink whose target is exactly {@code bin}. */
    public static boolean isOurs(Path link) {
        if (!Files.isSymbolicLink(link)) {
            return false;
        }
        try {
            return Files.readSymbolicLink(link).toString().equals(TARGET);
        } catch (IOException e) {
            return false;
        }
    }

    public static boolean exists(Path link) {
        return Files.exists(link, LinkOption.NOFOLLOW_LINKS);
    }

    /** Refuses (exit 15) when something that is not our link sits at {@code link}. */
    public static void checkOursOrAbsent(Path link) throws VsysException {
        if (exists(link) && !isOurs(link)) {
            throw new VsysException(ExitCode.UNSAFE, link.toString(), "is not a symlink to 'bin' made by vsys; left alone");
        }
    }

    /** Creates {@code link -> bin} with a temporary link and a rename. */
    public static void create(Path link) throws VsysException {
        try {
            AtomicFile.symlink(link, Path.of(TARGET));
        } catch (IOException e) {
            throw new VsysException(ExitCode.INTERNAL, link.toString(), "cannot create the launcher link: " + e.getMessage(), e);
        }
    }

    /** Removes {@code link} if it is our link; leaves anything else alone. */
    public static void removeIfOurs(Path link) throws VsysException {
        if (!isOurs(link)) {
            return;
        }
        try {
            Files.delete(link);
            AtomicFile.fsyncDirectory(link.getParent());
        } catch (IOException e) {
            throw new VsysException(ExitCode.INTERNAL, link.toString(), "cannot remove the launcher link: " + e.getMessage(), e);
        }
    }
}
