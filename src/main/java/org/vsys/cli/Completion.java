package org.vsys.cli;

import picocli.AutoComplete;

/**
 * {@code java -cp ... org.vsys.cli.Completion}: prints the bash completion of vsys (install.sh and
 * debian/rules install it). picocli's AutoComplete over the whole model of {@link Main#commandLine}:
 * Main's annotations alone name no subcommand (they are added there, so that a run builds the
 * model of only the one it names), and {@code picocli.AutoComplete org.vsys.cli.Main} completed
 * no subcommand.
 */
public final class Completion {
    private Completion() {
    }

    public static void main(String[] args) {
        System.out.print(script());
        System.out.flush();
    }

    static String script() {
        return AutoComplete.bash("vsys", Main.commandLine(new Main()));
    }
}
