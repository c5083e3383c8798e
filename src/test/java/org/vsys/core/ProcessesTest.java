package org.vsys.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProcessesTest {

    @Test
    void readsTheKmodTableNextToTheNamespaceDirectory(@TempDir Path r) throws IOException {
        Files.createDirectories(r.resolve(".ns"));
        Files.createDirectories(r.resolve(".root/.vsys"));
        Files.writeString(r.resolve(".root/.vsys/procs"), "123 web1\n4567 db\ngarbage\n-1 x\n89 web1\n");
        Map<Long, String> links = Processes.kmodLinks(r.resolve(".ns/web1"));
        assertEquals(Map.of(123L, "web1", 4567L, "db", 89L, "web1"), links);
    }

    @Test
    void noKmodTableMeansNothingLinked(@TempDir Path r) {
        assertTrue(Processes.kmodLinks(r.resolve(".ns/web1")).isEmpty());
    }

    @Test
    void aProcessLinkedToTheSystemIsAHolder(@TempDir Path r) throws IOException {
        // this JVM's own pid is skipped by using(); a child shell stands in for the process inside
        Process p = new ProcessBuilder("sleep", "30").start();
        try {
            Files.createDirectories(r.resolve(".ns"));
            Files.createDirectories(r.resolve(".root/.vsys"));
            Files.writeString(r.resolve(".root/.vsys/procs"), p.pid() + " web1\n");
            List<Processes.Holder> web1 = Processes.using(r.resolve("web1"), r.resolve(".ns/web1"));
            assertEquals(1, web1.size(), web1.toString());
            assertEquals(p.pid(), web1.get(0).pid());
            assertTrue(web1.get(0).how().contains("kmod link"), web1.get(0).how());
            assertTrue(Processes.using(r.resolve("db"), r.resolve(".ns/db")).isEmpty());
        } finally {
            p.destroyForcibly();
        }
    }
}
