package org.vsys.linux;

import java.nio.ByteBuffer;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;

/**
 * SHA-256 from OpenSSL's libcrypto. The installed vsys runs its JVM with C1 only (fast start), and
 * C1 has no SHA intrinsic: MessageDigest then hashes at about 40 MB/s, libcrypto at well over
 * 1 GB/s (SHA-NI). Direct buffers are hashed in place. {@link #available()} is false when
 * libcrypto cannot be loaded; callers fall back to MessageDigest.
 */
public final class Sha256 implements AutoCloseable {
    private interface Crypto extends Library {
        Pointer EVP_MD_CTX_new();

        void EVP_MD_CTX_free(Pointer ctx);

        Pointer EVP_sha256();

        int EVP_DigestInit_ex(Pointer ctx, Pointer type, Pointer engine);

        int EVP_DigestUpdate(Pointer ctx, Pointer d, NativeLong cnt);

        int EVP_DigestUpdate(Pointer ctx, byte[] d, NativeLong cnt);

        int EVP_DigestFinal_ex(Pointer ctx, byte[] md, Pointer size);
    }

    private static final Crypto CRYPTO = load();
    private static final Pointer MD = CRYPTO == null ? null : CRYPTO.EVP_sha256();
    private Pointer ctx;

    private static Crypto load() {
        if (Boolean.getBoolean("vsys.noLibcrypto")) {
            return null;
        }
        for (String name : new String[] {"crypto", "libcrypto.so.3", "libcrypto.so.1.1"}) {
            try {
                return Native.load(name, Crypto.class);
            } catch (UnsatisfiedLinkError e) {
                // next
            }
        }
        return null;
    }

    public static boolean available() {
        return CRYPTO != null && MD != null;
    }

    public Sha256() {
        ctx = CRYPTO.EVP_MD_CTX_new();
        if (ctx == null || CRYPTO.EVP_DigestInit_ex(ctx, MD, null) != 1) {
            throw new IllegalStateException("libcrypto: cannot start a SHA-256 digest");
        }
    }

    /** Hashes bytes [position, limit) of a direct buffer, in place. */
    public void update(ByteBuffer direct) {
        int n = direct.remaining();
        if (n == 0) {
            return;
        }
        Pointer p = Native.getDirectBufferPointer(direct).share(direct.position());
        if (CRYPTO.EVP_DigestUpdate(ctx, p, new NativeLong(n)) != 1) {
            throw new IllegalStateException("libcrypto: EVP_DigestUpdate failed");
        }
    }

    public void update(byte[] b, int off, int len) {
        byte[] c = off == 0 && len == b.length ? b : java.util.Arrays.copyOfRange(b, off, off + len);
        if (len > 0 && CRYPTO.EVP_DigestUpdate(ctx, c, new NativeLong(len)) != 1) {
            throw new IllegalStateException("libcrypto: EVP_DigestUpdate failed");
        }
    }

    /** The digest; the object is finished afterwards. */
    public byte[] digest() {
        byte[] out = new byte[32];
        if (CRYPTO.EVP_DigestFinal_ex(ctx, out, null) != 1) {
            throw new IllegalStateException("libcrypto: EVP_DigestFinal_ex failed");
        }
        close();
        return out;
    }

    @Override
    public void close() {
        if (ctx != null) {
            CRYPTO.EVP_MD_CTX_free(ctx);
            ctx = null;
        }
    }
}
