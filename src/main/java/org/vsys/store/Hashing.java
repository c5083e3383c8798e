package org.vsys.store;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

public final class Hashing {
    private Hashing() {
    }

    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String sha256(byte[] b) {
        if (org.vsys.linux.Sha256.available()) {
            org.vsys.linux.Sha256 s = new org.vsys.linux.Sha256();
            s.update(b, 0, b.length);
            return Escape.hex(s.digest());
        }
        return Escape.hex(sha256().digest(b));
    }
}
