package org.vsys.linux;

import java.util.List;

/**
 * Extended attributes of every namespace (security.capability, system.posix_acl_*, trusted.*),
 * which java.nio's UserDefinedFileAttributeView cannot reach. Paths are NUL-terminated bytes,
 * never Strings, so names that are not valid in the locale's charset pass unchanged; symlinks
 * are not followed.
 */
public interface Xattrs {
    /** The names of path's attributes; null when the filesystem has none (ENOTSUP, ENOSYS). */
    List<byte[]> list(byte[] cpath) throws PosixException;

    /** The value of one attribute, or null when it vanished (ENODATA). */
    byte[] get(byte[] cpath, byte[] name) throws PosixException;

    void set(byte[] cpath, byte[] name, byte[] value) throws PosixException;

    /** Sets one attribute of an open file. */
    void set(int fd, byte[] name, byte[] value) throws PosixException;

    static Xattrs get() {
        return JnaFileCalls.INSTANCE;
    }
}
