// Hello: the smallest picocli CLI shaped like vsys (a top command with a `list` subcommand),
// the baseline for the start-up of `vsys list`. Built by bench/run.sh with javac against the
// same picocli jar vsys ships, run with the same JVM flags as the vsys wrapper.
import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(name = "hello", mixinStandardHelpOptions = true, subcommands = {Hello.ListCmd.class},
         description = "picocli hello-world")
public class Hello implements Runnable {
    public void run() {
        System.out.println("hello");
    }

    @Command(name = "list", description = "print a header line")
    static class ListCmd implements Runnable {
        public void run() {
            System.out.println("NAME  STATE  SOURCE");
        }
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new Hello()).execute(args));
    }
}
