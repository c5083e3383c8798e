package org.vsys.store;

import java.nio.ByteBuffer;
import java.security.MessageDigest;

import org.vsys.linux.Sha256;

/** A SHA-256 over a stream: libcrypto when it loads (fast under C1), MessageDigest otherwise. */
public abstract class Hasher {
    public abstract void update(ByteBuffer direct);

    public abstract byte[] digest();

    public static Hasher create() {
        if (Sha256.available()) {
            Sha256 s = new Sha256();
            return new Hasher() {
                @Override
                public void update(ByteBuffer direct) {
                    s.update(direct);
                }

                @Override
                public byte[] digest() {
                    return s.digest();
                }
            };
        }
        MessageDigest md = Hashing.sha256();
        return new Hasher() {
            @Override
            public void update(ByteBuffer direct) {
                md.update(direct);
            }

            @Override
            public byte[] digest() {
                return md.digest();
            }
        };
    }
}
