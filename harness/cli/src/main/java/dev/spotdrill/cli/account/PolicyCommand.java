package dev.spotdrill.cli.account;

import dev.spotdrill.cli.CommandFailedException;
import dev.spotdrill.cli.ExitCodes;
import dev.spotdrill.cli.UsageException;
import dev.spotdrill.lab.CallLog;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SortedSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code spotdrill policy}: the nightly runner's least-privilege IAM policy, from a call log or from the calls drills
 * make in an embedded lab ({@link PolicyRun}). {@code ci/iam/spotdrill-runner-policy.json} is its output.
 */
@Command(
        name = "policy",
        mixinStandardHelpOptions = true,
        versionProvider = dev.spotdrill.cli.Versions.class,
        description = {
            "Print the runner's least-privilege IAM policy (JSON). Without --from, it runs drills covering the sample"
                    + " suite's AWS calls, doctor's checks and a sweep in an embedded lab, and shapes the policy from"
                    + " the lab's call log; ci/iam/spotdrill-runner-policy.json is this output.",
            "Replace <ACCOUNT_ID> and <FIS_ROLE_NAME> (and the partition outside aws) before attaching it."
        })
public final class PolicyCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(
            names = "--from",
            paramLabel = "<call log json>",
            description = "A lab's call log (a report's lab-call-log attachment, or `spotdrill lab calls`) instead of"
                    + " running drills.")
    Path from;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        SortedSet<String> actions;
        if (from != null) {
            String text;
            try {
                text = Files.readString(from, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UsageException(
                        "--from " + from + ": cannot read it (" + e.getClass().getSimpleName() + ": " + e.getMessage()
                                + "); give the path of a call log JSON file");
            }
            try {
                actions = CallLog.fromJson(text).iamActions();
            } catch (IllegalArgumentException e) {
                throw new UsageException("--from " + from + ": " + e.getMessage());
            }
            if (actions.isEmpty()) {
                throw new CommandFailedException("--from " + from + ": the log has no successful AWS call, so there is"
                        + " nothing to allow; use the log of a run that drilled");
            }
        } else {
            actions = PolicyRun.observe();
        }
        out.print(RunnerPolicy.of(actions));
        out.flush();
        return ExitCodes.OK;
    }
}
