package org.vsys.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vsys.config.Installation;

/** What a create whose overlay failed takes back of the layer it made: empty directories only. */
class LayerTest {
    @TempDir
    Path tmp;

    Installation inst;

    Layer layer(String name) throws Exception {
        inst = new Installation(tmp, tmp.resolve("libexec"), () -> 0);
        Layer l = new Layer(inst, name);
        Files.createDirectories(l.work("live.1").resolve("work"));
        Files.createDirectories(l.upper("live.1"));
        return l;
    }

    @Test
    void anEmptyGenerationGoesWithItsHome() throws Exception {
        Layer l = layer("fresh");
        l.removeEmptyGeneration("live.1");
        assertFalse(Files.exists(l.home()), "R/.layer/fresh");
        assertTrue(Files.isDirectory(Layer.layerBase(inst)), "R/.layer stays");
    }

    @Test
    void aLayerWithContentIsKept() throws Exception {
        Layer l = layer("kept");
        Files.writeString(l.upper("live.1").resolve("f"), "local\n");
        l.removeEmptyGeneration("live.1");
        assertEquals("local\n", Files.readString(l.upper("live.1").resolve("f")));
        assertFalse(Files.exists(l.work("live.1")), "the empty work directory went");
        assertTrue(Files.isDirectory(l.home()));
    }
}
