package org.vsys.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.vsys.config.FsEntry;
import org.vsys.config.RecordFile;
import org.vsys.config.RecordFormatException;
import org.vsys.config.SourceUrl;
import org.vsys.config.SystemRecord;

/** view= in the system record: written only when set, read back, refused when not absolute. */
class ViewRecordTest {
    static SystemRecord rec() throws Exception {
        return new SystemRecord("web1", SystemRecord.State.READY, "2026-11-22T02:30:00Z",
                List.of(new FsEntry("/", SourceUrl.parse("nfs://fileserver/"), List.of("ro"))), false, "", "", false,
                SystemRecord.DEFAULT_HOSTFILES);
    }

    static SystemRecord roundTrip(SystemRecord r) throws Exception {
        return SystemRecord.parse(RecordFile.parse(r.toBytes(), "t"), r.name());
    }

    @Test
    void viewRoundTrips() throws Exception {
        SystemRecord live = rec();
        assertFalse(new String(live.toBytes(), StandardCharsets.UTF_8).contains("view="));
        assertNull(roundTrip(live).view());
        String dir = "/OS/.store/checkouts/" + "a".repeat(64);
        SystemRecord snap = live.withView(dir);
        assertTrue(new String(snap.toBytes(), StandardCharsets.UTF_8).contains("\nview=" + dir + "\n"));
        assertEquals(dir, roundTrip(snap).view());
        assertEquals(dir, roundTrip(snap).withState(SystemRecord.State.DESTROYING).view());
        assertNull(roundTrip(snap.withView(null)).view());
    }

    @Test
    void relativeViewIsRefused() throws Exception {
        byte[] b = (new String(rec().toBytes(), StandardCharsets.UTF_8) + "view=store/x\n").getBytes(StandardCharsets.UTF_8);
        assertThrows(RecordFormatException.class, () -> SystemRecord.parse(RecordFile.parse(b, "t"), "web1"));
        byte[] c = (new String(rec().toBytes(), StandardCharsets.UTF_8) + "view=/OS/.store/../etc\n").getBytes(StandardCharsets.UTF_8);
        assertThrows(RecordFormatException.class, () -> SystemRecord.parse(RecordFile.parse(c, "t"), "web1"));
    }

    @Test
    void escapeRoundTripsEveryByte() {
        byte[] all = new byte[256];
        for (int i = 0; i < 256; i++) {
            all[i] = (byte) i;
        }
        String e = Escape.of(all);
        assertFalse(e.contains(" ") || e.contains(",") || e.contains("=") || e.contains("\n"));
        assertEquals(Escape.hex(all), Escape.hex(Escape.parse(e)));
    }
}
