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
import org.vsys.testing.Cmd;

import org.vsys.config.Installation;

class ProcessesTest {

    static Installation inst(Path root) {
        return new Installation(root, root.resolve("libexec"), () -> 0);
    }

    @Test
    void readsTheKmodTableNextToTheNamespaceDirectory(@TempDir Path r) throws IOException {
        Files.createDirectories(r.resolve(".ns"));
        Files.createDirectories(r.resolve(".root/.vsys"));
        Files.writeString(r.resolve(".root/.vsys/procs"), "123 web1 1000\n4567 db\ngarbage\n-1 x\n89 web1 0\n");
        Map<Long, String> links = Processes.kmodLinks(inst(r).kmodProcs());
        assertEquals(Map.of(123L, "web1", 4567L, "db", 89L, "web1"), links);
    }

    @Test
    void noKmodTableMeansNothingLinked(@TempDir Path r) {
        assertTrue(Processes.kmodLinks(inst(r).kmodProcs()).isEmpty());
    }

    @Test
    void aProcessLinkedToTheSystemIsAHolder(@TempDir Path r) throws IOException {
        // this JVM's own pid is skipped by using(); a child shell stands in for the process inside
        Process p = Cmd.of("sleep", "30").start();
        try {
            Files.createDirectories(r.resolve(".ns"));
            Files.createDirectories(r.resolve(".root/.vsys"));
            Files.writeString(r.resolve(".root/.vsys/procs"), p.pid() + " web1\n");
            List<Processes.Holder> web1 = Processes.using(inst(r), "web1");
            assertEquals(1, web1.size(), web1.toString());
            assertEquals(p.pid(), web1.get(0).pid());
            assertTrue(web1.get(0).how().contains("kmod link"), web1.get(0).how());
            assertTrue(Processes.using(inst(r), "db").isEmpty());
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void aWorkingDirectoryDeepInOneOfManySystemsNamesThatSystemOnly(@TempDir Path r) throws IOException {
        List<String> names = new java.util.ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            names.add("sys" + i);
        }
        Path deep = Files.createDirectories(r.resolve("sys7/home/u/src"));
        Files.createDirectories(r.resolve("sys70"));
        Process p = Cmd.of("sleep", "30").dir(deep).start();
        try {
            List<List<Processes.Holder>> h = Processes.using(inst(r), names);
            assertEquals(1, h.get(7).size(), h.get(7).toString());
            assertEquals(p.pid(), h.get(7).get(0).pid());
            assertTrue(h.get(7).get(0).how().startsWith("has its working directory in "), h.get(7).get(0).how());
            assertTrue(h.get(70).isEmpty(), "sys70 is not sys7: " + h.get(70));
            long others = h.stream().mapToLong(List::size).sum();
            assertEquals(1, others, "only sys7 is held");
        } finally {
            p.destroyForcibly();
        }
    }
}
