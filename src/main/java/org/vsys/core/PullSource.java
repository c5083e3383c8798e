package org.vsys.core;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

import org.vsys.base.ExitCode;

/**
 * Where {@link Pull} reads a store from: files named by their path in the published layout
 * ({@link Publish}): {@code refs/NAME}, {@code objects/XX/REST.commit}, {@code objects/XX/REST.tree},
 * {@code content/XX/REST}, and (a store itself, not published) {@code objects/XX/REST.file}.
 * Every name asked for is made by {@link Pull} from hex ids it checked, never taken from the source.
 */
public interface PullSource extends AutoCloseable {
    /**
     * The file at rel, at most max bytes of it, or null when the source has no such file. The
     * stream ends at the file's end; reading past max throws {@link Refused}.
     */
    InputStream open(String rel, long max) throws IOException;

    /** What the source is, for messages. */
    String describe();

    @Override
    default void close() throws IOException {
    }

    /** A source that cannot be used: its exit code and the reason. */
    final class Refused extends IOException {
        private static final long serialVersionUID = 1L;
        public final ExitCode code;

        public Refused(ExitCode code, String why) {
            super(why);
            this.code = code;
        }

        public Refused(ExitCode code, String why, Throwable cause) {
            super(why, cause);
            this.code = code;
        }
    }

    /**
     * SOURCE as given on the command line: http:// or https:// (a published store), ssh://, or a
     * local path (a published directory, a vsys root with {@code .store/}, or a store directory).
     */
    static PullSource of(String source, int timeoutSeconds, SshPullSource.Options ssh) throws Refused {
        String s = source;
        if (s.startsWith("http://") || s.startsWith("https://")) {
            return new HttpPullSource(s, timeoutSeconds);
        }
        if (s.startsWith("ssh://")) {
            return SshPullSource.of(s, timeoutSeconds, ssh);
        }
        if (s.startsWith("dir:")) {
            s = s.substring(4);
        }
        if (!s.startsWith("/")) {
            throw new Refused(ExitCode.BAD_SOURCE, "not a source: use http://HOST/PATH, ssh://HOST[/ROOT] or an absolute path");
        }
        Path p = Path.of(s);
        if (Files.isDirectory(p.resolve(".store").resolve("objects"), LinkOption.NOFOLLOW_LINKS)) {
            p = p.resolve(".store");
        }
        if (!Files.isDirectory(p.resolve("objects"), LinkOption.NOFOLLOW_LINKS)
                || !Files.isDirectory(p.resolve("refs"), LinkOption.NOFOLLOW_LINKS)) {
            throw new Refused(ExitCode.BAD_SOURCE, "neither a published store nor a vsys store (no objects/ and refs/ in " + p + ")");
        }
        return new DirPullSource(p);
    }
}
