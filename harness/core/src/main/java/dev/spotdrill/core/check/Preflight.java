package dev.spotdrill.core.check;

import dev.spotdrill.core.SpotDrillConfig;
import dev.spotdrill.core.World;
import dev.spotdrill.core.aws.AwsClients;
import dev.spotdrill.core.aws.SdkAwsBackend;
import dev.spotdrill.core.drill.DrillOptions;
import dev.spotdrill.core.internal.AwsBackend;
import dev.spotdrill.core.internal.FisRoleGuard;
import dev.spotdrill.core.internal.Messages;
import dev.spotdrill.core.internal.SpotActionCheck;
import dev.spotdrill.core.internal.TemplateRequest;
import dev.spotdrill.core.kube.KubeClientFactory;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.sts.model.GetCallerIdentityResponse;

/**
 * The checks a drill makes before it creates anything, callable on their own (for {@code spotdrill doctor}): the
 * credentials and the account allowlist, FIS offers the Spot action in the region, the FIS role would not fail
 * mid-run, opt-in Spot instances run, the Kubernetes rights ({@link KubePermission#REQUIRED}), the IMDS route, and
 * access to EventBridge and SQS. They read only; nothing is created. {@link #all} runs them in that order.
 *
 * <pre>{@code
 * World world = World.aws(config);
 * DrillOptions options = DrillOptions.from(config, world);
 * for (Check c : List.of(Preflight.spotAction(world), Preflight.fisRole(world, options))) {
 *     System.out.println(c.line());
 * }
 * }</pre>
 */
public final class Preflight {
    /** The rule name the EventBridge check asks for; no drill creates it, so "not found" means "allowed". */
    public static final String ABSENT_RULE = "spotdrill-doctor-absent";
    /** The queue name the SQS check asks for; no drill creates it. */
    public static final String ABSENT_QUEUE = "spotdrill-doctor-absent";

    private Preflight() {}

    /**
     * Every check, in the order {@code spotdrill doctor} prints them: credentials, FIS action, FIS role, opt-in
     * instances, Kubernetes, IMDS, EventBridge, SQS.
     */
    public static List<Check> all(World world, DrillOptions options) {
        List<Check> out = new ArrayList<>();
        out.add(credentials(world, options));
        out.add(spotAction(world));
        out.add(fisRole(world, options));
        Check instances = optInInstances(world, options);
        out.add(instances);
        out.add(kube(world));
        out.add(imds(world, options));
        out.add(eventBridge(world));
        out.add(sqs(world));
        return List.copyOf(out);
    }

    /** Who the credentials are (STS GetCallerIdentity), and whether their account is in the allowlist. */
    public static Check credentials(World world, DrillOptions options) {
        String name = "credentials";
        GetCallerIdentityResponse me;
        try {
            me = AwsClients.of(world).sts().getCallerIdentity();
        } catch (SdkException e) {
            return Check.failed(
                    name,
                    "STS GetCallerIdentity failed: " + message(e),
                    "give the runner AWS credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or a role"
                            + " such as IRSA or EKS Pod Identity)");
        }
        String who = me.arn() + " in account " + me.account();
        if (options.accounts().isEmpty()) {
            if (World.AWS.equals(world.name())) {
                return Check.failed(
                        name,
                        who + "; " + SpotDrillConfig.GUARD_ACCOUNTS + " is not set",
                        "set " + SpotDrillConfig.GUARD_ACCOUNTS + "=" + me.account()
                                + " (or SPOTDRILL_GUARD_ACCOUNTS) if this account is intended");
            }
            return Check.ok(name, who + " (the " + world.name() + " world needs no allowlist)");
        }
        if (!options.accounts().contains(me.account())) {
            return Check.failed(
                    name,
                    who + ", which is not in " + SpotDrillConfig.GUARD_ACCOUNTS + "="
                            + String.join(",", options.accounts()),
                    "use credentials for an allowed account, or add " + me.account() + " to "
                            + SpotDrillConfig.GUARD_ACCOUNTS + " if this account is intended");
        }
        return Check.ok(name, who + ", listed in " + SpotDrillConfig.GUARD_ACCOUNTS);
    }

    /** The running Spot instances that carry the opt-in tag, counted per instance type and zone. */
    public static Check optInInstances(World world, DrillOptions options) {
        String name = "opt-in instances";
        String tag = options.optInKey() + "=" + options.optInValue();
        List<Instance> found = new ArrayList<>();
        try {
            AwsClients.of(world)
                    .ec2()
                    .describeInstancesPaginator(r -> r.filters(
                            Filter.builder()
                                    .name("tag:" + options.optInKey())
                                    .values(options.optInValue())
                                    .build(),
                            Filter.builder()
                                    .name("instance-lifecycle")
                                    .values("spot")
                                    .build(),
                            Filter.builder()
                                    .name("instance-state-name")
                                    .values("running")
                                    .build()))
                    .reservations()
                    .forEach(r -> found.addAll(r.instances()));
        } catch (SdkException e) {
            return Check.failed(
                    name, "EC2 DescribeInstances failed: " + message(e), "allow ec2:DescribeInstances to the runner");
        }
        if (found.isEmpty()) {
            return Check.failed(
                    name,
                    "no running Spot instance carries " + tag + " in " + world.region(),
                    "tag the Spot instances drills may interrupt with " + tag + " (or set "
                            + SpotDrillConfig.GUARD_OPT_IN_TAG + " to the tag they carry)");
        }
        Map<String, Integer> counts = new TreeMap<>();
        for (Instance i : found) {
            counts.merge(i.instanceTypeAsString() + " in " + i.placement().availabilityZone(), 1, Integer::sum);
        }
        List<String> parts = new ArrayList<>();
        counts.forEach((k, n) -> parts.add(n + " × " + k));
        return Check.ok(
                name, found.size() + " running Spot instance(s) tagged " + tag + ": " + String.join(", ", parts));
    }

    /**
     * The cluster: reachable, and every permission of {@link KubePermission#REQUIRED} allowed (SelfSubjectAccessReview,
     * in the probe pods' namespace or in every namespace). A world without Kubernetes access passes with a note.
     */
    public static Check kube(World world) {
        String name = "Kubernetes";
        if (world.kube().isEmpty()) {
            return Check.ok(
                    name,
                    "no cluster configured: skipped (drills with node selectors, probe pods or workload expectations"
                            + " need " + SpotDrillConfig.KUBE_CONTEXT + ")");
        }
        String namespace = world.kube().get().namespace();
        try (KubernetesClient client = KubeClientFactory.client(world.kube().get())) {
            String version;
            try {
                version = client.getKubernetesVersion().getGitVersion();
            } catch (RuntimeException e) {
                return Check.failed(
                        name,
                        "the API server does not answer: " + message(e),
                        "check " + SpotDrillConfig.KUBE_CONTEXT + " and " + SpotDrillConfig.KUBE_CONFIG
                                + " (kubectl --context <it> version should work from this runner)");
            }
            List<String> denied = new ArrayList<>();
            for (KubePermission p : KubePermission.REQUIRED) {
                for (String verb : p.verbs()) {
                    SelfSubjectAccessReview review = new SelfSubjectAccessReviewBuilder()
                            .withNewSpec()
                            .withNewResourceAttributes()
                            .withGroup(p.group())
                            .withResource(p.resource())
                            .withSubresource(p.subresource().isEmpty() ? null : p.subresource())
                            .withVerb(verb)
                            .withNamespace(p.clusterWide() ? null : namespace)
                            .endResourceAttributes()
                            .endSpec()
                            .build();
                    SelfSubjectAccessReview answer = client.authorization()
                            .v1()
                            .selfSubjectAccessReview()
                            .create(review);
                    if (answer.getStatus() == null
                            || !Boolean.TRUE.equals(answer.getStatus().getAllowed())) {
                        denied.add(verb + " " + p.name() + (p.clusterWide() ? "" : " in namespace " + namespace));
                    }
                }
            }
            if (!denied.isEmpty()) {
                return Check.failed(
                        name,
                        version + " reachable, but not allowed: " + String.join("; ", denied),
                        "bind the runner's identity to the Role and ClusterRole of ci/k8s/rbac.yaml (namespace "
                                + namespace + ")");
            }
            return Check.ok(
                    name,
                    version + " reachable; may create, get and delete pods and get pods/log in " + namespace
                            + ", list and watch nodes, pods and deployments, and patch deployments");
        } catch (RuntimeException e) {
            return Check.failed(
                    name,
                    "SelfSubjectAccessReview failed: " + message(e),
                    "allow the runner to create selfsubjectaccessreviews (every authenticated user may by default)");
        }
    }

    /**
     * How this runner reads a target's IMDS ({@code spotdrill.imds.via}): {@code direct} is tried with an IMDSv2
     * token request (a runner on an instance of the fleet, or the lab); {@code probe-pod} needs a cluster.
     */
    public static Check imds(World world, DrillOptions options) {
        String name = "IMDS";
        if (options.imdsVia().equals("probe-pod")) {
            if (world.kube().isEmpty()) {
                return Check.failed(
                        name,
                        "probe-pod, but no cluster is configured",
                        "set " + SpotDrillConfig.KUBE_CONTEXT + ", or " + SpotDrillConfig.IMDS_VIA
                                + "=direct on a runner on an instance of the fleet");
            }
            return Check.ok(
                    name,
                    "probe-pod: a pod with " + options.probeImage() + " in namespace "
                            + world.kube().get().namespace() + " reads each target's IMDS (the Kubernetes line"
                            + " checks the rights)");
        }
        String instance = "i-00000000000000000";
        try {
            List<String> ids = new ArrayList<>();
            AwsClients.of(world)
                    .ec2()
                    .describeInstances(r -> r.filters(
                            Filter.builder()
                                    .name("tag:" + options.optInKey())
                                    .values(options.optInValue())
                                    .build(),
                            Filter.builder()
                                    .name("instance-state-name")
                                    .values("running")
                                    .build()))
                    .reservations()
                    .forEach(r -> r.instances().forEach(i -> ids.add(i.instanceId())));
            if (!ids.isEmpty()) {
                instance = ids.get(0);
            }
        } catch (SdkException e) {
            // the opt-in line reports it; ask the default endpoint
        }
        if (instance.equals("i-00000000000000000") && !World.AWS.equals(world.name())) {
            return Check.failed(
                    name,
                    "direct: no running opt-in instance whose IMDS to ask",
                    "see the opt-in instances line: the " + world.name() + " world serves IMDS per instance");
        }
        URI endpoint;
        try {
            endpoint = world.imdsEndpoint(instance);
        } catch (RuntimeException e) {
            return Check.failed(
                    name,
                    "direct: no IMDS endpoint for " + instance + ": " + message(e),
                    "run the suite where it can reach the instances' IMDS, or set " + SpotDrillConfig.IMDS_VIA
                            + "=probe-pod with a cluster");
        }
        HttpClient http =
                HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        try {
            HttpResponse<Void> r = http.send(
                    HttpRequest.newBuilder(endpoint.resolve("/latest/api/token"))
                            .timeout(Duration.ofSeconds(2))
                            .header("X-aws-ec2-metadata-token-ttl-seconds", "60")
                            .PUT(HttpRequest.BodyPublishers.noBody())
                            .build(),
                    HttpResponse.BodyHandlers.discarding());
            if (r.statusCode() == 200) {
                return Check.ok(name, "direct: IMDSv2 answers at " + endpoint);
            }
            return Check.failed(
                    name,
                    "direct: IMDS at " + endpoint + " answered " + r.statusCode() + " to a token request",
                    "allow IMDSv2 on the runner's instance (hop limit 2 in a container), or set "
                            + SpotDrillConfig.IMDS_VIA + "=probe-pod");
        } catch (java.io.IOException e) {
            return Check.failed(
                    name,
                    "direct: no IMDS answers at " + endpoint + " ("
                            + e.getClass().getSimpleName() + ")",
                    "run the suite on an instance of the fleet, or set " + SpotDrillConfig.IMDS_VIA
                            + "=probe-pod with a cluster");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Check.failed(name, "interrupted while asking IMDS", "run doctor again");
        }
    }

    /** EventBridge access, by DescribeRule on {@value #ABSENT_RULE}: not found means allowed. Creates nothing. */
    public static Check eventBridge(World world) {
        String name = "EventBridge";
        try {
            AwsClients.of(world).eventBridge().describeRule(r -> r.name(ABSENT_RULE));
            return Check.ok(name, "DescribeRule allowed (a rule " + ABSENT_RULE + " exists)");
        } catch (software.amazon.awssdk.services.eventbridge.model.ResourceNotFoundException e) {
            return Check.ok(name, "DescribeRule allowed (" + ABSENT_RULE + " not found, as expected)");
        } catch (SdkException e) {
            return Check.failed(
                    name,
                    "DescribeRule failed: " + message(e),
                    "allow events:DescribeRule, events:PutRule, events:PutTargets, events:RemoveTargets,"
                            + " events:DeleteRule and events:TagResource to the runner (ci/iam/spotdrill-runner-policy.json)");
        }
    }

    /** SQS access, by GetQueueUrl on {@value #ABSENT_QUEUE}: "does not exist" means allowed. Creates nothing. */
    public static Check sqs(World world) {
        String name = "SQS";
        try {
            AwsClients.of(world).sqs().getQueueUrl(r -> r.queueName(ABSENT_QUEUE));
            return Check.ok(name, "GetQueueUrl allowed (a queue " + ABSENT_QUEUE + " exists)");
        } catch (software.amazon.awssdk.services.sqs.model.QueueDoesNotExistException e) {
            return Check.ok(name, "GetQueueUrl allowed (" + ABSENT_QUEUE + " does not exist, as expected)");
        } catch (SdkException e) {
            return Check.failed(
                    name,
                    "GetQueueUrl failed: " + message(e),
                    "allow sqs:GetQueueUrl, sqs:CreateQueue, sqs:ReceiveMessage, sqs:DeleteMessageBatch and"
                            + " sqs:DeleteQueue to the runner (ci/iam/spotdrill-runner-policy.json)");
        }
    }

    private static String message(Throwable e) {
        if (e instanceof AwsServiceException a && a.awsErrorDetails() != null) {
            return a.awsErrorDetails().errorCode() + " (" + a.awsErrorDetails().errorMessage() + ")";
        }
        String m = e.getMessage();
        return dev.spotdrill.core.Redactor.redact(m == null ? e.getClass().getSimpleName() : m);
    }

    /** Whether FIS offers {@code aws:ec2:send-spot-instance-interruptions} in the world's region (ListActions). */
    public static Check spotAction(World world) {
        return spotAction(world, new SdkAwsBackend(world));
    }

    static Check spotAction(World world, AwsBackend backend) {
        String name = "FIS action in " + world.region();
        try {
            if (SpotActionCheck.offered(backend, world)) {
                return Check.ok(name, "FIS offers " + TemplateRequest.ACTION_ID + " in " + world.region());
            }
        } catch (RuntimeException e) {
            return Check.failed(
                    name,
                    "ListActions failed: " + e.getMessage(),
                    "allow fis:ListActions to the runner, and check the region and the credentials");
        }
        String m = Messages.spotActionMissing(world.region());
        int fix = m.lastIndexOf("; ");
        return Check.failed(name, m.substring(0, fix), m.substring(fix + 2));
    }

    /**
     * Whether the FIS role would work: the role of {@code spotdrill.fis.roleArn}, or the one named
     * {@code spotdrill.fis.roleName} when it exists (when it does not, the first drill creates it, scoped to the opt-in
     * tag). It checks the trust policy and, with IAM's SimulatePrincipalPolicy, {@code ec2:SendSpotInstanceInterruptions}
     * on an instance carrying the opt-in tag.
     */
    public static Check fisRole(World world, DrillOptions options) {
        return fisRole(world, options, new SdkAwsBackend(world));
    }

    static Check fisRole(World world, DrillOptions options, AwsBackend backend) {
        String name = "FIS role";
        try {
            String account = backend.callerAccount();
            String roleName = options.roleArn()
                    .map(a -> a.substring(a.lastIndexOf('/') + 1))
                    .orElse(options.roleName());
            Optional<AwsBackend.Role> role = backend.role(roleName);
            if (role.isEmpty()
                    || (options.roleArn().isPresent()
                            && !role.get().arn().equals(options.roleArn().get()))) {
                if (options.roleArn().isPresent()) {
                    return Check.failed(
                            name,
                            options.roleArn().get() + " does not exist",
                            "check spotdrill.fis.roleArn, or drop it and let spotdrill provision its role");
                }
                return Check.ok(
                        name,
                        roleName + " does not exist yet: the first drill creates it (trusting fis.amazonaws.com,"
                                + " allowed ec2:SendSpotInstanceInterruptions only on instances tagged "
                                + options.optInKey() + "=" + options.optInValue()
                                + "); that needs iam:CreateRole, iam:PutRolePolicy and iam:TagRole");
            }
            FisRoleGuard.Verdict v = FisRoleGuard.check(
                    backend, world, role.get(), account, List.of(), options.optInKey(), options.optInValue());
            if (!v.checked()) {
                return Check.failed(name, role.get().arn() + ": " + String.join("; ", v.warnings()), v.fix());
            }
            if (!v.usable()) {
                return Check.failed(
                        name, role.get().arn() + " would fail: " + v.problem().orElseThrow(), v.fix());
            }
            return Check.ok(
                    name,
                    role.get().arn() + " trusts fis.amazonaws.com and may interrupt instances tagged "
                            + options.optInKey() + "=" + options.optInValue()
                            + (v.warnings().isEmpty() ? "" : "; but " + String.join("; ", v.warnings())));
        } catch (AwsBackend.AccessDeniedException e) {
            return Check.failed(
                    name,
                    "IAM refused to show the role: " + e.getMessage(),
                    "allow iam:GetRole and iam:SimulatePrincipalPolicy on the FIS role to the runner");
        }
    }
}
