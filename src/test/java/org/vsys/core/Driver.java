package org.vsys.core;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.vsys.cli.Main;

/**
 * One worker of {@link ConcurrencyIT}: {@code Driver SEED COUNT TREE1 TREE2} runs COUNT random
 * vsys operations (create, alias, unalias, destroy, destroy --force on a small pool of names that
 * every worker shares; now and then restore or check --repair) in this JVM, one after the other, and prints one line per operation:
 * {@code <exit> <args...>} and, when it failed, {@code  ! <stderr>}.
 */
public final class Driver {
    private Driver() {
    }

    public static void main(String[] a) {
        Random rnd = new Random(Long.parseLong(a[0]));
        int count = Integer.parseInt(a[1]);
        String[] trees = {a[2], a[3]};
        PrintWriter out = new PrintWriter(System.out, true);
        for (int i = 0; i < count; i++) {
            String sys = "cc" + rnd.nextInt(4);
            String alias = "ca" + rnd.nextInt(4);
            List<String> args = new ArrayList<>();
            int k = rnd.nextInt(11);
            if (k == 10) {
                args.addAll(rnd.nextBoolean() ? List.of("restore") : List.of("check", "--repair"));
            } else if (k < 4) {
                args.addAll(List.of("create", sys, "dir:" + trees[rnd.nextInt(2)]));
                if (rnd.nextBoolean()) {
                    args.addAll(List.of("--mount", "/opt=" + trees[rnd.nextInt(2)] + "/data"));
                }
            } else if (k < 6) {
                args.addAll(List.of("alias", alias, rnd.nextBoolean() ? sys : "ca" + rnd.nextInt(4)));
            } else if (k < 7) {
                args.addAll(List.of("unalias", alias));
            } else if (k < 9) {
                args.addAll(List.of("destroy", sys));
            } else {
                args.addAll(List.of("destroy", "--force", sys));
            }
            StringWriter o = new StringWriter();
            StringWriter e = new StringWriter();
            int code = Main.run(new PrintWriter(o, true), new PrintWriter(e, true), args.toArray(new String[0]));
            out.println(code + " " + String.join(" ", args));
            if (code != 0) {
                out.println(" ! " + e.toString().strip().replace('\n', '|'));
            }
        }
        out.flush();
        System.exit(0);
    }
}
