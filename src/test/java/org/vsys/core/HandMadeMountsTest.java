package org.vsys.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.vsys.core.HandMadeMounts;

/** Which mounts under a system destroy must not throw away without --force. */
class HandMadeMountsTest {
    static final String TABLE = String.join("\n",
            "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw",
            "30 22 0:40 / /tmp rw shared:5 - tmpfs tmpfs rw",
            // the system: a bind of a host tree, a nested rw bind, a tmpfs copied by the rbind
            "100 22 8:1 /var/tree /OS/s1 ro master:1 - ext4 /dev/sda1 rw",
            "101 100 8:1 /var/data /OS/s1/opt rw master:1 - ext4 /dev/sda1 rw",
            "102 100 0:40 / /OS/s1/tmp rw master:5 - tmpfs tmpfs rw",
            // by hand: a bind of /home (on the root fs), a tmpfs that exists only here, one with a space
            "103 100 8:1 /home /OS/s1/mnt rw - ext4 /dev/sda1 rw",
            "104 100 0:77 / /OS/s1/srv rw - tmpfs tmpfs rw",
            "105 100 0:78 / /OS/s1/a\\040b rw - ramfs none rw",
            // network filesystems of the system itself
            "106 100 0:90 / /OS/s1/net rw - nfs4 srv:/x rw",
            "107 100 0:91 / /OS/s1/ssh rw - fuse.sshfs root@h:/y rw",
            // another system's tmpfs: not this one's business
            "108 22 0:79 / /OS/s10 rw - tmpfs tmpfs rw", "");

    @Test
    void onlyAFilesystemFoundNowhereElseCounts() {
        assertEquals(List.of("/OS/s1/srv (tmpfs)", "/OS/s1/a b (ramfs)"),
                HandMadeMounts.onlyHere(TABLE, "/OS/s1", Set.of("/OS/s1", "/OS/s1/opt")));
    }

    @Test
    void theSystemsOwnMountsNeverCount() {
        assertEquals(List.of(), HandMadeMounts.onlyHere(TABLE, "/OS/s10", Set.of("/OS/s10")));
        assertEquals(List.of(), HandMadeMounts.onlyHere(TABLE, "/OS/none", Set.of()));
    }
}
