package org.vsys.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;

/** The layer.* keys of a system record: written, read back, and refused when malformed. */
class LayerRecordTest {
    static SystemRecord parse(String text) throws Exception {
        return SystemRecord.parse(RecordFile.parse(text.getBytes(StandardCharsets.UTF_8), "t"), "s");
    }

    static final String BASE = "version=1\nname=s\nstate=ready\nfs=/ dir:/srv/t ro\n";

    @Test
    void roundTripKeepsEveryLayerKey() throws Exception {
        SystemRecord r = SystemRecordTest.sample().withLayer(new SystemRecord.LayerSpec("live.1", null, List.of("/etc", "/var/lib/x"), null));
        SystemRecord next = r.withLayer(r.layer().withGen("ab12.1", "/OS/.store/checkouts/ab12"));
        SystemRecord back = SystemRecordTest.roundTrip(next);
        assertEquals("ab12.1", back.layer().gen());
        assertEquals("/OS/.store/checkouts/ab12", back.layer().lower());
        assertEquals(List.of("/etc", "/var/lib/x"), back.layer().merge());
        assertEquals("live.1", back.layer().prev());
        assertTrue(new String(next.toBytes(), StandardCharsets.UTF_8).contains("\nlayer=persistent\nlayer.gen=ab12.1\n"));
        assertEquals(back.layer(), SystemRecordTest.roundTrip(back.withState(SystemRecord.State.DESTROYING)).layer());
    }

    @Test
    void absentOrNoneIsNoLayer() throws Exception {
        assertNull(parse(BASE).layer());
        assertNull(parse(BASE + "layer=none\n").layer());
        assertEquals(List.of("/etc"), parse(BASE + "layer=persistent\nlayer.gen=live.1\n").layer().merge());
        assertNull(SystemRecord.LayerSpec.commitOf("live.3"));
        assertEquals("ab12", SystemRecord.LayerSpec.commitOf("ab12.3"));
    }

    @Test
    void sessionIsAFlagWithoutPersistentKeys() throws Exception {
        SystemRecord r = parse(BASE + "layer=session\n");
        assertTrue(r.session());
        assertNull(r.layer());
        SystemRecord back = SystemRecordTest.roundTrip(r.withState(SystemRecord.State.DESTROYING));
        assertTrue(back.session());
        assertTrue(new String(r.toBytes(), StandardCharsets.UTF_8).contains("\nlayer=session\n"));
        assertTrue(parse(BASE + "layer=session\nview=/OS/.store/checkouts/x\n").session());
        assertTrue(!parse(BASE).session() && !SystemRecordTest.roundTrip(r.withSession(false)).session());
    }

    @Test
    void malformedLayerKeysAreRefused() {
        for (String bad : List.of("layer=session\nlayer.gen=live.1\n", "layer=Session\n", "layer=none\nlayer.merge=/etc\n", "layer=persistent\n", "layer=persistent\nlayer.gen=../x\n",
                "layer=persistent\nlayer.gen=Live\n", "layer=persistent\nlayer.gen=live.1\nlayer.merge=etc\n",
                "layer=persistent\nlayer.gen=live.1\nlayer.merge=/etc/../x\n", "layer=persistent\nlayer.gen=live.1\nlayer.lower=rel/x\n",
                "layer=persistent\nlayer.gen=live.1\nview=/OS/.store/checkouts/x\n", "layer=persistent\nlayer.gen=live.1\nlayer.prev=a/b\n")) {
            assertThrows(RecordFormatException.class, () -> parse(BASE + bad), bad);
        }
    }
}
