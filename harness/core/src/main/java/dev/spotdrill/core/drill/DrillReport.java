package dev.spotdrill.core.drill;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Everything a drill knows when it ends: for reports.
 *
 * @param targets the targets
 * @param seed the selection seed
 * @param templateId the FIS template id, if one was created
 * @param experimentId the FIS experiment id, if one was started
 * @param experimentStatus the experiment's last status (e.g. {@code completed}), if one was started
 * @param experimentJson the last GetExperiment response, as JSON, if any
 * @param templateJson the template request, as JSON, if any
 * @param timeline the timeline
 * @param verdicts every verdict decided
 * @param failure what failed the drill itself (bad input, guardrail, FIS failure), or empty
 * @param attachments more evidence by name, e.g. the lab's call log; never secrets
 */
public record DrillReport(
        List<Target> targets,
        long seed,
        Optional<String> templateId,
        Optional<String> experimentId,
        Optional<String> experimentStatus,
        Optional<String> experimentJson,
        Optional<String> templateJson,
        Timeline timeline,
        List<Verdict> verdicts,
        Optional<Throwable> failure,
        Map<String, String> attachments) {

    public DrillReport {
        targets = List.copyOf(targets);
        verdicts = List.copyOf(verdicts);
        attachments = Map.copyOf(attachments);
    }

    /** What the experiment cost in FIS (action-minutes × $0.10), once it ran; empty for an observation-only drill. */
    public Optional<FisCost> cost() {
        return experimentJson.flatMap(FisCost::of);
    }

    /** Whether every verdict was met and nothing failed. */
    public boolean passed() {
        return failure.isEmpty() && verdicts.stream().allMatch(Verdict::met);
    }
}
