package org.vsys.core;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** A store (published or not) in a local directory: its files opened without following symlinks. */
final class DirPullSource implements PullSource {
    private final Path dir;

    DirPullSource(Path dir) {
        this.dir = dir;
    }

    @Override
    public InputStream open(String rel, long max) throws IOException {
        FileChannel ch;
        try {
            ch = FileChannel.open(dir.resolve(rel), StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return null;
        }
        return new Bounded(Channels.newInputStream(ch), max, rel);
    }

    @Override
    public String describe() {
        return dir.toString();
    }
}
