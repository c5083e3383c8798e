package org.vsys.core;

import java.util.ArrayList;
import java.util.List;

/** What {@code vsys create} was asked for, as given on the command line (validated by {@link Create}). */
public final class CreateRequest {
    public String name;
    /** null: the NFS default mode (the server's exports). */
    public String source;
    /** {@code PATH=SOURCE} items. */
    public List<String> mounts = new ArrayList<>();
    public List<String> readOnly = new ArrayList<>();
    public List<String> readWrite = new ArrayList<>();
    /** {@code PATH=OPTS} items. */
    public List<String> options = new ArrayList<>();
    public List<String> exclude = new ArrayList<>();
    public boolean suid;
    public boolean dev;
    public String identity;
    public String knownHosts;
    public String nfsVersion;
    public String users = "";
    public String groups = "";
    public boolean cwdFallback;
    public String hostfiles;
    public int timeoutSeconds = 10;
    /** none (default), persistent, or session (a throw-away layer per launch, made by the launcher). */
    public String layer;
    /** The paths the merge of a switch covers (layer.merge=); empty: /etc. */
    public List<String> merge = new ArrayList<>();
}
