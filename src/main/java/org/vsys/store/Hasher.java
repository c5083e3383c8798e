package org.vsys.store;

import java.nio.ByteBuffer;
import java.security.MessageDigest;

import org.vsys.linux.Sha256;

/** A SHA-256 over a stream: libcrypto when it loads (fast under C1), MessageDigest otherwise. */
abstract class Hasher {
    abstract void update(ByteBuffer direct);

    abstract byte[] digest();

    static Hasher create() {
        if (Sha256.available()) {
            Sha256 s = new Sha256();
            return new Hasher() {
                @Override
                void update(ByteBuffer direct) {
                    s.update(direct);
                }

                @Override
                byte[] digest() {
                    return s.digest();
                }
            };
        }
        MessageDigest md = Hashing.sha256();
        return new Hasher() {
            @Override
            void update(ByteBuffer direct) {
                md.update(direct);
            }

            @Override
            byte[] digest() {
                return md.digest();
            }
        };
    }
}
