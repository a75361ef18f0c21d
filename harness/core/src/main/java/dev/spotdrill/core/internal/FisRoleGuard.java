package dev.spotdrill.core.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotdrill.core.GuardrailException;
import dev.spotdrill.core.Partition;
import dev.spotdrill.core.World;
import dev.spotdrill.core.WorldClock;
import dev.spotdrill.core.drill.Target;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The FIS role: the one spotdrill provisions ({@code spotdrill.fis.roleName}), scoped to the opt-in tag, and the
 * check that any role (given or provisioned) can do what a drill needs, made before anything is created.
 *
 * <p>The provisioned role trusts {@code fis.amazonaws.com} and allows {@code ec2:SendSpotInstanceInterruptions} only on
 * instances carrying the opt-in tag ({@code Condition: StringEquals aws:ResourceTag/<key> = <value>}), and
 * {@code ec2:DescribeInstances}, which FIS needs to resolve targets. So FIS itself refuses an untagged instance, even if
 * spotdrill had a bug.
 *
 * <p>Drills in parallel on a fresh account race to create it: the loser gets {@code EntityAlreadyExists} and, like any
 * caller that finds a role spotdrill created, does not use it until its policy is attached.
 */
public final class FisRoleGuard {
    /** The name of the provisioned role's inline policy. */
    public static final String POLICY_NAME = "spotdrill-send-spot-instance-interruptions";
    /** The action FIS calls with the role on each target. */
    public static final String PERMISSION = "ec2:SendSpotInstanceInterruptions";
    /** How long to wait for a role another drill is creating to get its policy: world time, and 20 s wall at least. */
    static final Duration POLICY_WAIT = Duration.ofMinutes(2);

    static final Duration POLICY_WAIT_WALL = Duration.ofSeconds(20);
    private static final ObjectMapper JSON = new ObjectMapper();

    private FisRoleGuard() {}

    /** The trust policy of the provisioned role: {@code fis.amazonaws.com} may assume it. */
    public static String trustPolicy() {
        ObjectNode doc = JSON.createObjectNode().put("Version", "2012-10-17");
        ObjectNode s = doc.putArray("Statement").addObject();
        s.put("Effect", "Allow");
        s.putObject("Principal").put("Service", "fis.amazonaws.com");
        s.put("Action", "sts:AssumeRole");
        return doc.toString();
    }

    /**
     * The provisioned role's policy: Spot interruptions only on instances with the opt-in tag, in the partition's
     * instances; DescribeInstances for FIS's target resolution.
     */
    public static String policy(Partition partition, String optInKey, String optInValue) {
        ObjectNode doc = JSON.createObjectNode().put("Version", "2012-10-17");
        var statements = doc.putArray("Statement");
        ObjectNode interrupt = statements.addObject();
        interrupt.put("Sid", "InterruptOptedInSpotInstances");
        interrupt.put("Effect", "Allow");
        interrupt.put("Action", PERMISSION);
        interrupt.put("Resource", "arn:" + partition.id() + ":ec2:*:*:instance/*");
        interrupt.putObject("Condition").putObject("StringEquals").put("aws:ResourceTag/" + optInKey, optInValue);
        ObjectNode describe = statements.addObject();
        describe.put("Sid", "DescribeInstancesForTargetResolution");
        describe.put("Effect", "Allow");
        describe.put("Action", "ec2:DescribeInstances");
        describe.put("Resource", "*");
        return doc.toString();
    }

    /**
     * What checking a role found.
     *
     * @param roleArn the role
     * @param checked whether IAM let the caller check it at all (GetRole, SimulatePrincipalPolicy)
     * @param problem why a drill would fail with it, or empty when it would not
     * @param fix how to fix the problem, or how to let spotdrill check the role
     * @param warnings what is not fatal, such as a policy that is not scoped to the opt-in tag
     */
    public record Verdict(
            String roleArn, boolean checked, Optional<String> problem, String fix, List<String> warnings) {
        public Verdict {
            warnings = List.copyOf(warnings);
        }

        /** Whether nothing found says a drill would fail with this role. */
        public boolean usable() {
            return problem.isEmpty();
        }
    }

    /**
     * Checks an existing role: its trust policy lets {@code fis.amazonaws.com} assume it, and IAM (SimulatePrincipalPolicy)
     * allows it {@value #PERMISSION} on each target with that target's tags. Without targets (a pre-flight check), it
     * asks about an instance of the account that carries the opt-in tag. It also notes when the role would interrupt
     * an instance without the opt-in tag. Nothing is created.
     */
    public static Verdict check(
            AwsBackend backend,
            World world,
            AwsBackend.Role role,
            String account,
            List<Target> targets,
            String optInKey,
            String optInValue) {
        Partition partition = Partition.of(world.region());
        List<String> warnings = new ArrayList<>();
        if (!trustsFis(role.trustPolicy())) {
            return new Verdict(
                    role.arn(),
                    true,
                    Optional.of("its trust policy does not let fis.amazonaws.com assume it"),
                    "add the statement {\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"fis.amazonaws.com\"},"
                            + "\"Action\":\"sts:AssumeRole\"} to the role's trust policy",
                    warnings);
        }
        List<Map.Entry<String, Map<String, String>>> asked = new ArrayList<>();
        if (targets.isEmpty()) {
            asked.add(Map.entry(
                    partition.instanceArn(world.region(), account, "i-00000000000000000"),
                    Map.of(optInKey, optInValue)));
        } else {
            for (Target t : targets) {
                asked.add(Map.entry(partition.instanceArn(world.region(), account, t.instanceId()), t.tags()));
            }
        }
        try {
            for (Map.Entry<String, Map<String, String>> a : asked) {
                AwsBackend.Simulation s = backend.simulate(role.arn(), PERMISSION, a.getKey(), context(a.getValue()));
                if (!s.allowed()) {
                    return new Verdict(
                            role.arn(),
                            true,
                            Optional.of(
                                    "IAM does not allow it " + PERMISSION + " on " + a.getKey() + " (" + s.decision()
                                            + (s.missingContext().isEmpty()
                                                    ? ""
                                                    : ", the policy asks for " + String.join(", ", s.missingContext()))
                                            + "), so FIS would fail the experiment mid-run"),
                            "allow " + PERMISSION + " on instances tagged " + optInKey + "=" + optInValue
                                    + " (Condition StringEquals aws:ResourceTag/" + optInKey + " = " + optInValue
                                    + "), or drop spotdrill.fis.roleArn and let spotdrill provision its role"
                                    + " (spotdrill.fis.roleName)",
                            warnings);
                }
            }
            String untagged = partition.instanceArn(world.region(), account, "i-00000000000000000");
            if (backend.simulate(role.arn(), PERMISSION, untagged, Map.of()).allowed()) {
                warnings.add("the role may interrupt instances without the opt-in tag " + optInKey + "=" + optInValue
                        + "; scope " + PERMISSION + " with Condition StringEquals aws:ResourceTag/" + optInKey + " = "
                        + optInValue + " so that FIS itself refuses an untagged instance");
            }
        } catch (AwsBackend.AccessDeniedException e) {
            return new Verdict(
                    role.arn(),
                    false,
                    Optional.empty(),
                    "allow iam:SimulatePrincipalPolicy on the role to the caller, so spotdrill can check it before"
                            + " anything is created",
                    List.of("could not check the role's permissions: " + e.getMessage()));
        }
        return new Verdict(role.arn(), true, Optional.empty(), "", warnings);
    }

    /** {@code aws:ResourceTag/<key>} for each tag, as IAM sees a resource's tags. */
    static Map<String, String> context(Map<String, String> tags) {
        Map<String, String> out = new LinkedHashMap<>();
        tags.forEach((k, v) -> out.put("aws:ResourceTag/" + k, v));
        return out;
    }

    /** Whether a trust policy has an Allow of sts:AssumeRole for the fis.amazonaws.com service principal. */
    static boolean trustsFis(String trustPolicy) {
        JsonNode doc;
        try {
            doc = JSON.readTree(trustPolicy);
        } catch (IOException e) {
            return false;
        }
        List<JsonNode> statements = new ArrayList<>();
        JsonNode st = doc.path("Statement");
        if (st.isArray()) {
            st.forEach(statements::add);
        } else if (st.isObject()) {
            statements.add(st);
        }
        for (JsonNode s : statements) {
            if (!s.path("Effect").asText().equals("Allow")) {
                continue;
            }
            boolean assume = values(s.path("Action")).stream()
                    .anyMatch(a -> a.equals("sts:AssumeRole") || a.equals("sts:*") || a.equals("*"));
            boolean fis = values(s.path("Principal").path("Service")).contains("fis.amazonaws.com");
            if (assume && fis) {
                return true;
            }
        }
        return false;
    }

    private static List<String> values(JsonNode n) {
        List<String> out = new ArrayList<>();
        if (n.isArray()) {
            n.forEach(x -> out.add(x.asText()));
        } else if (!n.isMissingNode() && !n.isNull()) {
            out.add(n.asText());
        }
        return out;
    }

    /**
     * The role to use for a drill with {@code spotdrill.fis.roleName}: the existing role, or one created now with the
     * scoped policy. A role another drill is creating (it carries {@code spotdrill:run-id} and lacks its policy) is
     * waited for until its policy is attached. Then the role is checked; one that would fail is refused.
     *
     * @throws GuardrailException when the role would fail mid-run, naming why and the fix
     */
    public static String ensure(
            AwsBackend backend,
            World world,
            String name,
            String account,
            List<Target> targets,
            String optInKey,
            String optInValue,
            Map<String, String> tags,
            Consumer<String> progress) {
        Optional<AwsBackend.Role> existing = backend.role(name);
        if (existing.isEmpty()) {
            try {
                AwsBackend.Role created = backend.createRole(
                        name,
                        trustPolicy(),
                        "FIS role for spotdrill drills: Spot interruptions of instances tagged " + optInKey + "="
                                + optInValue + " only",
                        tags);
                backend.putRolePolicy(name, POLICY_NAME, policy(Partition.of(world.region()), optInKey, optInValue));
                progress.accept("FIS role " + created.arn() + " created with policy " + POLICY_NAME);
                return created.arn();
            } catch (AwsBackend.RoleExistsException e) {
                progress.accept("FIS role " + name + " was created by another drill meanwhile; using it once its"
                        + " policy is attached");
                existing = backend.role(name);
            }
        }
        AwsBackend.Role role = existing.orElseThrow(() -> new GuardrailException("Guardrail refused the drill: IAM"
                + " says the FIS role " + name + " exists and then that it does not; retry, and check that nothing"
                + " deletes it"));
        Verdict v = check(backend, world, role, account, targets, optInKey, optInValue);
        if (!v.usable() && role.tags().containsKey("spotdrill:run-id")) {
            v = awaitPolicy(backend, world, role, account, targets, optInKey, optInValue, progress);
        }
        if (!v.usable()) {
            throw new GuardrailException(
                    Messages.roleRefused(role.arn(), v.problem().orElseThrow(), v.fix()));
        }
        v.warnings().forEach(w -> progress.accept("FIS role " + role.arn() + ": " + w));
        return role.arn();
    }

    /**
     * Checks a role given by ARN ({@code spotdrill.fis.roleArn}).
     *
     * @throws GuardrailException when it does not exist or would fail mid-run
     */
    public static String checkGiven(
            AwsBackend backend,
            World world,
            String roleArn,
            String account,
            List<Target> targets,
            String optInKey,
            String optInValue,
            Consumer<String> progress) {
        String name = roleArn.substring(roleArn.lastIndexOf('/') + 1);
        Optional<AwsBackend.Role> role;
        try {
            role = backend.role(name);
        } catch (AwsBackend.AccessDeniedException e) {
            progress.accept("could not check the FIS role " + roleArn + " (" + e.getMessage() + "); allow iam:GetRole"
                    + " and iam:SimulatePrincipalPolicy on it so spotdrill can check it before anything is created");
            return roleArn;
        }
        if (role.isEmpty() || !role.get().arn().equals(roleArn)) {
            throw new GuardrailException(Messages.roleRefused(
                    roleArn,
                    "IAM has no such role",
                    "check spotdrill.fis.roleArn, or drop it and let spotdrill provision its role"
                            + " (spotdrill.fis.roleName)"));
        }
        Verdict v = check(backend, world, role.get(), account, targets, optInKey, optInValue);
        if (!v.usable()) {
            throw new GuardrailException(
                    Messages.roleRefused(roleArn, v.problem().orElseThrow(), v.fix()));
        }
        v.warnings().forEach(w -> progress.accept("FIS role " + roleArn + ": " + w));
        return roleArn;
    }

    private static Verdict awaitPolicy(
            AwsBackend backend,
            World world,
            AwsBackend.Role role,
            String account,
            List<Target> targets,
            String optInKey,
            String optInValue,
            Consumer<String> progress) {
        WorldClock clock = world.clock();
        Instant giveUp = clock.now().plus(POLICY_WAIT);
        long giveUpWall = System.nanoTime() + POLICY_WAIT_WALL.toNanos();
        Duration backoff = Duration.ofSeconds(1);
        progress.accept("waiting for the FIS role " + role.arn() + " to get its policy " + POLICY_NAME);
        while (true) {
            boolean late = clock.now().isAfter(giveUp) && System.nanoTime() - giveUpWall > 0;
            if (late || backend.rolePolicy(role.name(), POLICY_NAME).isPresent()) {
                // IAM is eventually consistent: the policy may be there a moment before a simulation sees it
                Verdict v = check(backend, world, role, account, targets, optInKey, optInValue);
                if (v.usable() || late) {
                    return v;
                }
            }
            Backoff.pause(clock, backoff);
            backoff = Backoff.next(backoff, Duration.ofSeconds(10));
        }
    }
}
