package org.vsys.config;

/** A record file that breaks the format of vsys.conf(5): the caller reports it as corrupt state. */
public final class RecordFormatException extends Exception {
    private static final long serialVersionUID = 1L;

    public RecordFormatException(String message) {
        super(message);
    }
}
