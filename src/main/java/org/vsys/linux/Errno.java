package org.vsys.linux;

/** Linux errno numbers and their symbolic names (the ones vsys can meet). */
public final class Errno {
    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int ESRCH = 3;
    public static final int EINTR = 4;
    public static final int EIO = 5;
    public static final int EBADF = 9;
    public static final int EAGAIN = 11;
    public static final int ENOMEM = 12;
    public static final int EACCES = 13;
    public static final int EBUSY = 16;
    public static final int EEXIST = 17;
    public static final int ENODEV = 19;
    public static final int ENOTDIR = 20;
    public static final int EISDIR = 21;
    public static final int EINVAL = 22;
    public static final int EROFS = 30;
    public static final int ELOOP = 40;
    public static final int ENOTEMPTY = 39;
    public static final int ENOSYS = 38;
    public static final int EWOULDBLOCK = EAGAIN;
    public static final int ESTALE = 116;
    public static final int ETIMEDOUT = 110;
    public static final int ENOTCONN = 107;
    public static final int EMLINK = 31;
    public static final int ERANGE = 34;
    public static final int ENODATA = 61;
    public static final int ENOTSUP = 95;

    private static final String[] NAMES = new String[134];

    static {
        String[] n = {
            "1 EPERM", "2 ENOENT", "3 ESRCH", "4 EINTR", "5 EIO", "6 ENXIO", "7 E2BIG", "8 ENOEXEC",
            "9 EBADF", "10 ECHILD", "11 EAGAIN", "12 ENOMEM", "13 EACCES", "14 EFAULT", "15 ENOTBLK",
            "16 EBUSY", "17 EEXIST", "18 EXDEV", "19 ENODEV", "20 ENOTDIR", "21 EISDIR", "22 EINVAL",
            "23 ENFILE", "24 EMFILE", "25 ENOTTY", "26 ETXTBSY", "27 EFBIG", "28 ENOSPC", "29 ESPIPE",
            "30 EROFS", "31 EMLINK", "32 EPIPE", "34 ERANGE", "36 ENAMETOOLONG", "38 ENOSYS", "39 ENOTEMPTY",
            "40 ELOOP", "61 ENODATA", "95 EOPNOTSUPP", "107 ENOTCONN", "110 ETIMEDOUT", "111 ECONNREFUSED",
            "113 EHOSTUNREACH", "116 ESTALE", "122 EDQUOT", "125 ECANCELED",
        };
        for (String s : n) {
            int sp = s.indexOf(' ');
            NAMES[Integer.parseInt(s.substring(0, sp))] = s.substring(sp + 1);
        }
    }

    private Errno() {
    }

    /** libc's message for errno (strerror). */
    public static String message(int errno) {
        return JnaFileCalls.strerror(errno);
    }

    public static String name(int errno) {
        if (errno > 0 && errno < NAMES.length && NAMES[errno] != null) {
            return NAMES[errno];
        }
        return "errno " + errno;
    }
}
