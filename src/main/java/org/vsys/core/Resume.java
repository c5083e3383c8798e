package org.vsys.core;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.vsys.base.AtomicFile;
import org.vsys.store.Entry;
import org.vsys.store.Store;

/**
 * The resume index of one system's snapshot, {@code R/.store/resume/NAME}: for each regular file
 * the snapshot has hashed so far, its path below the source, size, mtime and ref (object id and
 * content hash). Rewritten after every batch of objects is published (temp + rename, not
 * flushed: a hint lost in a crash only costs a read) and removed when the commit is recorded, so
 * after a kill -9 the next snapshot of the system takes a file whose size and mtime still match
 * from here instead of reading it from the source again (the rule of
 * an incremental snapshot). Only hints: a hint is used only when the store has the object it
 * names (or its content, through the content index), so a stale, partial or damaged index costs
 * reads, never a wrong tree; gc and fsck ignore it.
 */
final class Resume {
    private static final String HEADER = "vsys-resume 1";
    private final Store store;
    private final Path file;
    private Map<String, String[]> hints = Map.of();
    /** Files with a ref, by path: written at the next save. */
    private final Map<String, Entry> seen = new ConcurrentHashMap<>();

    Resume(Store store, String system) {
        this.store = store;
        this.file = store.dir().resolve("resume").resolve(system);
    }

    Path file() {
        return file;
    }

    /** Reads the index an interrupted run left (lines that do not parse are skipped). */
    void load() {
        byte[] b;
        try {
            b = Files.readAllBytes(file);
        } catch (IOException e) {
            return; // none (the usual case), or unreadable: no hints
        }
        String[] lines = new String(b, StandardCharsets.US_ASCII).split("\n");
        if (lines.length == 0 || !lines[0].equals(HEADER)) {
            return;
        }
        Map<String, String[]> m = new HashMap<>(lines.length * 2);
        for (int i = 1; i < lines.length; i++) {
            String[] w = lines[i].split(" ", 4);
            if (w.length == 4 && w[2].matches("[0-9a-f]{64}:[0-9a-f]{64}") && w[0].matches("\\d+") && w[1].matches("\\d+\\.\\d{9}")) {
                m.put(w[3], w);
            }
        }
        hints = m;
    }

    int size() {
        return hints.size();
    }

    /**
     * A stand-in for the previous entry of a file, from the index, when its size and mtime match e;
     * its metadata never matches (mode -1), so the caller derives the object id from e's own
     * metadata and the hinted content hash, and uses it only if the store has it or the content.
     */
    Entry hint(String rel, Entry e) {
        String[] w = hints.get(rel);
        if (w == null || !w[0].equals(Long.toString(e.size)) || !w[1].equals(e.mtimeWord())) {
            return null;
        }
        String ch = w[2].substring(65);
        if (!store.has(Entry.fileId(e, ch), Store.FILE) && store.withContent(ch) == null && !store.has(w[2].substring(0, 64), Store.FILE)) {
            return null;
        }
        Entry h = new Entry();
        h.kind = 'f';
        h.mode = -1;
        h.size = e.size;
        h.mtimeSec = e.mtimeSec;
        h.mtimeNsec = e.mtimeNsec;
        h.ref = w[2];
        return h;
    }

    /** Remembers a file; its ref is read at the next save (files without one yet are skipped). */
    void track(String rel, Entry e) {
        seen.put(rel, e);
    }

    /** Writes the index ({@link AtomicFile#writeHint}): every tracked file whose ref is known by now. */
    void save() {
        StringBuilder sb = new StringBuilder(HEADER).append('\n');
        int n = 0;
        for (Map.Entry<String, Entry> x : seen.entrySet()) {
            Entry e = x.getValue();
            String ref = e.ref;
            if (ref != null && ref.length() == 129) {
                sb.append(e.size).append(' ').append(e.mtimeWord()).append(' ').append(ref).append(' ').append(x.getKey()).append('\n');
                n++;
            }
        }
        if (n == 0) {
            return;
        }
        // no fsync: a hint lost in a crash costs a read, and an fsync here (a journal commit
        // amid hundreds of MB of new objects) stalled a reader of the snapshot
        try {
            Files.createDirectories(file.getParent());
            AtomicFile.writeHint(file, sb.toString().getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            // only a hint: the next run reads more
        }
    }

    void remove() {
        try {
            Files.deleteIfExists(file);
        } catch (NoSuchFileException e) {
            // gone
        } catch (IOException e) {
            // stale hints are checked against the store before use
        }
    }
}
