package org.vsys.mount;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

class MountTableTest {

    static final String TABLE = String.join("\n",
            "22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw",
            "30 22 0:5 / /dev rw,nosuid shared:2 - devtmpfs udev rw,size=10k",
            "40 22 254:0 /srv/tree /OS/web1 ro,nosuid,nodev,relatime master:1 - ext4 /dev/vda rw",
            "41 40 0:50 / /OS/web1/usr rw,nosuid,nodev - fuse.sshfs root@h:/usr rw,user_id=0",
            "42 40 0:51 / /OS/web1/my\\040dir rw - tmpfs tmp\\040fs rw",
            "43 41 0:52 / /OS/web1/usr/local rw - tmpfs tmpfs rw",
            "44 22 0:53 / /OS/web10 rw - tmpfs tmpfs rw",
            "45 40 0:54 / /OS/web1/usr rw - tmpfs over rw",
            "") + "\n";

    @Test
    void parsesFieldsAndOptionalTags() {
        MountTable t = MountTable.parse(TABLE);
        assertEquals(8, t.mounts().size());
        MountTable.Mount m = t.mounts().get(2);
        assertEquals(40, m.id());
        assertEquals(22, m.parentId());
        assertEquals("/srv/tree", m.root());
        assertEquals("/OS/web1", m.mountPoint());
        assertEquals(List.of("master:1"), m.optional());
        assertEquals("ext4", m.fsType());
        assertEquals("/dev/vda", m.source());
        assertEquals("rw", m.superOptions());
        assertTrue(t.mounts().get(3).optional().isEmpty());
        assertEquals("fuse.sshfs", t.mounts().get(3).fsType());
    }

    @Test
    void decodesOctalEscapes() {
        assertEquals("my dir", MountTable.decode("my\\040dir"));
        assertEquals("a\tb\nc\\d", MountTable.decode("a\\011b\\012c\\134d"));
        assertEquals("trail\\", MountTable.decode("trail\\"));
        assertEquals("\\09x", MountTable.decode("\\09x"));
        MountTable t = MountTable.parse(TABLE);
        assertEquals("/OS/web1/my dir", t.mounts().get(4).mountPoint());
        assertEquals("tmp fs", t.mounts().get(4).source());
    }

    @Test
    void atOrUnderRespectsPathBoundaries() {
        MountTable t = MountTable.parse(TABLE);
        List<String> under = t.atOrUnder("/OS/web1").stream().map(MountTable.Mount::mountPoint).collect(Collectors.toList());
        assertEquals(List.of("/OS/web1", "/OS/web1/usr", "/OS/web1/my dir", "/OS/web1/usr/local", "/OS/web1/usr"), under);
        assertFalse(under.contains("/OS/web10"));
        assertEquals(45, t.at("/OS/web1/usr").id(), "the upper of stacked mounts");
        assertNull(t.at("/OS/nothing"));
        assertEquals(8, t.atOrUnder("/").size());
    }

    @Test
    void unmountPlanTakesChildrenAndUpperMountsFirst() {
        MountTable t = MountTable.parse(TABLE);
        List<Integer> order = UnmountPlan.of(t, "/OS/web1").stream().map(MountTable.Mount::id).collect(Collectors.toList());
        assertEquals(5, order.size());
        assertTrue(order.indexOf(43) < order.indexOf(41), "child before parent");
        assertTrue(order.indexOf(45) < order.indexOf(41), "upper stacked mount before the one it hides");
        assertEquals(40, order.get(order.size() - 1), "the system's root last");
    }

    @Test
    void unmountPlanCoveredMount() {
        // /a/b mounted, then /a mounted over it: /a (upper) must go first, then /a/b, then the lower /a
        String t = "1 0 0:1 / / rw - ext4 r rw\n2 1 0:2 / /a rw - tmpfs x rw\n3 2 0:3 / /a/b rw - tmpfs y rw\n"
                + "4 2 0:4 / /a rw - tmpfs z rw\n";
        List<Integer> order = UnmountPlan.of(MountTable.parse(t), "/a").stream().map(MountTable.Mount::id).collect(Collectors.toList());
        assertEquals(List.of(4, 3, 2), order);
    }

    @Test
    void detachPlanTouchesOnlyTheTops() {
        MountTable t = MountTable.parse(TABLE);
        List<Integer> order = UnmountPlan.tops(t, "/OS/web1").stream().map(MountTable.Mount::id).collect(Collectors.toList());
        assertEquals(List.of(40), order, "only the system's root: its children go with it");
        order = UnmountPlan.tops(t, "/OS/web1/usr").stream().map(MountTable.Mount::id).collect(Collectors.toList());
        assertEquals(List.of(45, 41), order, "two mounts stacked on one point are both tops, the upper first; "
                + "the child of the lower one goes with it");
        String covered = "1 0 0:1 / / rw - ext4 r rw\n2 1 0:2 / /a rw - tmpfs x rw\n3 2 0:3 / /a/b rw - tmpfs y rw\n"
                + "4 2 0:4 / /a rw - tmpfs z rw\n";
        order = UnmountPlan.tops(MountTable.parse(covered), "/a").stream().map(MountTable.Mount::id).collect(Collectors.toList());
        assertEquals(List.of(2), order);
        assertTrue(UnmountPlan.tops(MountTable.parse(covered), "/nothing").isEmpty());
    }

    @Test
    void readsTheRealTable() {
        MountTable t = MountTable.read();
        assertTrue(t.isMountPoint("/"));
    }

    @Test
    void rejectsGarbage() {
        assertThrows(IllegalArgumentException.class, () -> MountTable.parse("1 2 3\n"));
    }
}
