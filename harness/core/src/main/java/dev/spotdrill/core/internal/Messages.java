package dev.spotdrill.core.internal;

import dev.spotdrill.core.drill.Target;
import dev.spotdrill.core.drill.Timeline;
import dev.spotdrill.core.drill.Verdict;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Every user-facing message of spotdrill, built in one place so they all quote the attribute and the value, say
 * the rule, and give the fix.
 */
public final class Messages {
    private Messages() {}

    /** {@code @SpotInterruption(leadTime="PT1M")}: the attribute as the user wrote it. */
    public static String attr(String annotation, String attribute, Object value) {
        return "@" + annotation + "(" + attribute + "=" + quote(value) + ")";
    }

    public static String quote(Object value) {
        if (value instanceof String[] arr) {
            return arr.length == 1
                    ? quote(arr[0])
                    : List.of(arr).stream().map(Messages::quote).collect(Collectors.joining(", ", "{", "}"));
        }
        if (value instanceof Collection<?> c) {
            return c.stream().map(Messages::quote).collect(Collectors.joining(", ", "{", "}"));
        }
        if (value instanceof Number || value instanceof Boolean) {
            return String.valueOf(value);
        }
        return "\"" + value + "\"";
    }

    // ---- @SpotInterruption input

    public static String leadTimeEmpty() {
        return attr("SpotInterruption", "leadTime", "")
                + ": the lead time is empty; FIS needs an ISO-8601 duration of at least PT2M; use leadTime = \"PT2M\" or more";
    }

    public static String leadTimeNotIso(String value) {
        return attr("SpotInterruption", "leadTime", value)
                + ": not an ISO-8601 duration; FIS needs one of at least PT2M; write it like \"PT2M\" or \"PT150S\"";
    }

    public static String leadTimeTooShort(String value) {
        return attr("SpotInterruption", "leadTime", value)
                + ": FIS needs a lead time of at least PT2M; use PT2M or more";
    }

    public static String leadTimeFractional(String value) {
        return attr("SpotInterruption", "leadTime", value)
                + ": FIS takes whole seconds; round it, for example to \"PT"
                + Math.round(java.time.Duration.parse(value).toMillis() / 1000.0) + "S\"";
    }

    public static String noSelector() {
        return "@SpotInterruption: no targets given; set exactly one of instances = {\"i-...\"}, tags = {\"key=value\"}"
                + " or nodes = \"label=value\"";
    }

    public static String twoSelectors(List<String> given) {
        return "@SpotInterruption: " + String.join(" and ", given)
                + " are both set; targets come from exactly one of instances, tags or nodes; keep one";
    }

    public static String countNegative(int count) {
        return attr("SpotInterruption", "count", count)
                + ": must be 0 (all matching instances) or more; use count = 1 to interrupt one instance";
    }

    public static String badTag(String tag) {
        return attr("SpotInterruption", "tags", tag) + ": a tag is written key=value, for example \"team=checkout\"";
    }

    public static String badInstanceId(String id) {
        return attr("SpotInterruption", "instances", id)
                + ": not an EC2 instance id; ids look like \"i-0123456789abcdef0\"";
    }

    public static String emptyValue(String attribute) {
        return attr("SpotInterruption", attribute, "") + ": is empty; give a value or remove the attribute";
    }

    public static String badWithin(String annotation, String value) {
        return attr(annotation, "within", value)
                + ": not a positive ISO-8601 duration; write it like \"PT30S\", or leave it empty for \"until INTERRUPTION\"";
    }

    public static String unknownInstances(List<String> ids, String region, String awsMessage) {
        return attr("SpotInterruption", "instances", ids.size() == 1 ? ids.get(0) : ids)
                + ": no such instance in " + region + " (EC2 says: " + awsMessage
                + "); check the id and spotdrill.aws.region";
    }

    public static String nothingMatches(String attribute, Object value, String region) {
        return attr("SpotInterruption", attribute, value) + ": matches no running instance in " + region
                + "; check the selector, the region (spotdrill.aws.region) and that the instances are running";
    }

    public static String countTooHigh(int count, int eligible, String attribute, Object value) {
        return attr("SpotInterruption", "count", count) + ": only " + eligible + " eligible Spot instance"
                + (eligible == 1 ? "" : "s") + " match " + attribute + "=" + quote(value)
                + "; lower count, or use count = 0 for all of them";
    }

    // ---- @SpotInterruption(nodes=...)

    public static String badNodeSelector(String selector, String problem) {
        return attr("SpotInterruption", "nodes", selector) + ": not a Kubernetes label selector: " + problem
                + "; write it as kubectl -l takes it, for example \"workload=checkout\" or"
                + " \"workload in (checkout,cart),eks.amazonaws.com/capacityType=SPOT\"";
    }

    public static String nodesMatchNothing(String selector) {
        return attr("SpotInterruption", "nodes", selector)
                + ": matches no node in the cluster; check the labels with kubectl get nodes -l '" + selector
                + "' and the context (spotdrill.kube.context)";
    }

    public static String nodesOnlyOnDemand(String selector, List<String> nodes) {
        return attr("SpotInterruption", "nodes", selector) + ": matches only on-demand nodes ("
                + String.join(", ", nodes) + ") and FIS interrupts only Spot instances; select Spot nodes, for"
                + " example add eks.amazonaws.com/capacityType=SPOT (or karpenter.sh/capacity-type=spot) to the"
                + " selector";
    }

    public static String nodesWithoutInstances(String selector, List<String> nodes) {
        return attr("SpotInterruption", "nodes", selector) + ": matches only nodes that are not EC2 instances ("
                + String.join(", ", nodes) + ": spec.providerID is not aws:///<zone>/<instance id>, e.g. Fargate);"
                + " select EC2 Spot nodes";
    }

    // ---- guardrails

    public static String guardrail(Target t, String rule, String fix) {
        return "Guardrail refused " + t.describe() + ": " + rule + "; " + fix;
    }

    // ---- only fresh evidence counts: a state the node already has proves nothing

    public static String alreadyCordoned(Target t, String node) {
        return guardrail(
                t,
                "node " + node + " is already cordoned (spec.unschedulable=true) before the drill, so @ExpectCordon"
                        + " would pass whatever the handler does and prove nothing",
                "uncordon it first (kubectl uncordon " + node + ") or select another node");
    }

    public static String alreadyTainted(
            Target t, String node, String expectation, String taint, String key, String effect) {
        return guardrail(
                t,
                "node " + node + " already carries the taint " + taint + " before the drill, so " + expectation
                        + " would pass whatever the handler does and prove nothing",
                "remove it first (kubectl taint nodes " + node + " " + key + ":" + effect
                        + "-) or select another node");
    }

    public static String nothingToDrain(Target t, String node) {
        return guardrail(
                t,
                "node " + node + " runs no pod that a drain must evict (only DaemonSet or mirror pods), so @ExpectDrain"
                        + " would pass whatever the handler does and prove nothing",
                "select a node that runs a workload (kubectl get pods -A -o wide --field-selector spec.nodeName=" + node
                        + " shows what runs there) or schedule one on it");
    }

    /** Why @ExpectDrain missed when the node's pods went with the node rather than through a drain. */
    public static String podsLost(int pods, Instant at, Timeline timeline) {
        return "the node was never drained: its " + pods + (pods == 1 ? " pod was" : " pods were")
                + " lost with the node at " + timeline.offset(at);
    }

    public static String noneEligible(String attribute, Object value, List<String> refusals) {
        return "Guardrail refused every instance that " + attr("SpotInterruption", attribute, value) + " matches:\n  "
                + String.join("\n  ", refusals);
    }

    public static String tooManyTargets(int targets, int max) {
        return "Guardrail refused the drill: " + targets + " targets is more than spotdrill.guard.maxTargets=" + max
                + "; lower count, or raise spotdrill.guard.maxTargets if this blast radius is intended";
    }

    public static String accountsRequired() {
        return "spotdrill.guard.accounts is not set: the aws world needs the list of AWS accounts a drill may touch;"
                + " set spotdrill.guard.accounts=123456789012 (or SPOTDRILL_GUARD_ACCOUNTS)";
    }

    public static String wrongAccount(String account, List<String> allowed) {
        return "Guardrail refused the drill: the credentials belong to account " + account
                + ", which is not in spotdrill.guard.accounts=" + String.join(",", allowed)
                + "; use credentials for an allowed account, or add it if this account is intended";
    }

    public static String badOptInTag(String value) {
        return "spotdrill.guard.optInTag=\"" + value + "\": write it key=value, for example spotdrill/allowed=true";
    }

    // ---- FIS

    public static String experimentEnded(String id, String status, String reason, String errorCode, String location) {
        StringBuilder sb = new StringBuilder("FIS experiment ")
                .append(id)
                .append(" ended ")
                .append(status);
        if (reason != null && !reason.isBlank()) {
            sb.append(": ").append(reason);
        }
        if (errorCode != null && !errorCode.isBlank()) {
            sb.append(" (error ").append(errorCode);
            if (location != null && !location.isBlank()) {
                sb.append(" at ").append(location);
            }
            sb.append(')');
        }
        return sb.toString();
    }

    public static String experimentNotRunning(String id, String status, java.time.Duration waited, String reads) {
        return "FIS experiment " + id + " did not start running within " + waited + " (world time): it is still "
                + status + " (" + reads + "); check the experiment in the FIS console and the FIS role's permissions";
    }

    public static String stopRefused(String id, String runId, String awsMessage) {
        return "spotdrill could not stop FIS experiment " + id + " after the test aborted (" + awsMessage
                + "); it may still interrupt its targets: stop it with `aws fis stop-experiment --id " + id
                + "` and allow fis:StopExperiment to the caller (ci/iam/spotdrill-runner-policy.json); find this"
                + " run's leftovers by tag spotdrill:run-id=" + runId;
    }

    public static String quotaWaitExceeded(String wait) {
        return "FIS refused to start the experiment: the account already has its maximum of active experiments"
                + " (ServiceQuotaExceededException) and no slot freed within spotdrill.fis.quotaWait=" + wait
                + "; stop leftover experiments (find them by tag spotdrill:run-id) or raise spotdrill.fis.quotaWait";
    }

    public static String roleNotAccepted(String roleArn, String awsMessage) {
        return "FIS did not accept the role " + roleArn + " (" + awsMessage + "); check that it trusts"
                + " fis.amazonaws.com and allows ec2:SendSpotInstanceInterruptions, or set spotdrill.fis.roleArn";
    }

    public static String roleRefused(String roleArn, String problem, String fix) {
        return "Guardrail refused the drill before anything was created: the FIS role " + roleArn + " would fail: "
                + problem + "; " + fix;
    }

    public static String spotActionMissing(String region) {
        return "FIS does not offer " + TemplateRequest.ACTION_ID + " in " + region + ": ListActions there does not list"
                + " it (AWS documents no Spot interruptions through FIS in Jakarta, Osaka, Beijing, Ningxia and the UAE),"
                + " so no drill can run there; nothing was created; set spotdrill.aws.region to a region whose FIS"
                + " offers the action";
    }

    public static String leadTimeTooLong(String value) {
        return attr("SpotInterruption", "leadTime", value)
                + ": FIS takes a lead time of at most PT15M; use PT15M or less";
    }

    public static String countAboveCap(int count, int max) {
        return attr("SpotInterruption", "count", count) + ": more than spotdrill.guard.maxTargets=" + max
                + " instances; lower count, or raise spotdrill.guard.maxTargets if this blast radius is intended";
    }

    public static String claimedByOtherRun(List<String> ids, List<String> conflicts, String wait) {
        return "Guardrail refused the drill: " + String.join(", ", ids) + " stayed claimed by another spotdrill run for"
                + " spotdrill.fis.quotaWait=" + wait + " (" + String.join("; ", conflicts) + "); run the drills one"
                + " after the other, give parallel jobs distinct targets, or raise spotdrill.fis.quotaWait";
    }

    // ---- sources and moments

    public static String noSource(String expectation, String kind, java.util.Set<String> known) {
        return expectation + " needs the \"" + kind + "\" source, and no source of that kind is on the class path"
                + " (found: " + (known.isEmpty() ? "none" : String.join(", ", known)) + "); add the module that"
                + " provides it (META-INF/services/dev.spotdrill.core.drill.Source)";
    }

    public static String momentUnobservable(
            dev.spotdrill.core.drill.Moment moment, List<String> expectations, String world, List<String> hints) {
        return String.join(", ", expectations) + (expectations.size() == 1 ? " is" : " are") + " measured from "
                + moment + ", but no source can see " + moment + " for these targets in the " + world + " world"
                + (hints.isEmpty() ? "" : ": " + String.join("; ", hints))
                + "; make " + moment + " observable as said, or measure from START (from = Moment.START)";
    }

    public static String momentNeverCame(dev.spotdrill.core.drill.Moment moment, List<String> watchers) {
        return moment + " never came"
                + (watchers.isEmpty() ? "" : ": no source saw it (watched by " + String.join(", ", watchers) + ")");
    }

    public static String observationOnlyTargets(String expectation) {
        return expectation + " is about interrupted instances, and this test has no @SpotInterruption to interrupt"
                + " any; add @SpotInterruption(...) to say which instances to interrupt";
    }

    public static String observationOnlyWithin(String expectation) {
        return expectation + " has no within: a drill without @SpotInterruption is observation-only and has no"
                + " INTERRUPTION to end the window; set within, for example within = \"PT2M\", or add"
                + " @SpotInterruption(...) to interrupt instances";
    }

    public static String observationOnlyMoment(String expectation, dev.spotdrill.core.drill.Window window) {
        return expectation + "(from=" + window.from() + "): a drill without @SpotInterruption is observation-only"
                + " and has no " + window.from() + "; use from = START, or add @SpotInterruption(...) to interrupt"
                + " instances";
    }

    // ---- verdicts

    public static String missed(Verdict v, Timeline timeline) {
        StringBuilder sb = new StringBuilder();
        sb.append(v.expectation())
                .append(" missed for ")
                .append(v.target().describe())
                .append('\n');
        sb.append("  window: ").append(v.window().describe());
        if (v.windowStart().isPresent() && v.deadline().isPresent()) {
            sb.append(", from ")
                    .append(timeline.offset(v.windowStart().get()))
                    .append(" to deadline ")
                    .append(timeline.offset(v.deadline().get()))
                    .append(" (")
                    .append(v.deadline().get())
                    .append(" world time)");
        } else {
            sb.append(", which never opened: ").append(v.window().from()).append(" never came");
        }
        sb.append('\n');
        sb.append("  last seen: ").append(v.lastSeen().isEmpty() ? "nothing" : v.lastSeen());
        return sb.toString();
    }

    /** The drill's timeline, once, to follow its misses. */
    public static String timelineSection(Timeline timeline) {
        return "timeline (world time from START):\n" + timeline.render();
    }

    public static String lateMet(Instant metAt, Timeline timeline) {
        return "seen at " + timeline.offset(metAt) + ", after the deadline";
    }
}
