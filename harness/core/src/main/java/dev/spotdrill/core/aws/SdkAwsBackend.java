package dev.spotdrill.core.aws;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotdrill.core.SpotDrillException;
import dev.spotdrill.core.World;
import dev.spotdrill.core.WorldClock;
import dev.spotdrill.core.internal.AwsBackend;
import dev.spotdrill.core.internal.Backoff;
import dev.spotdrill.core.internal.Messages;
import dev.spotdrill.core.internal.TemplateRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.services.ec2.model.DescribeInstancesRequest;
import software.amazon.awssdk.services.ec2.model.Ec2Exception;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.InstanceLifecycleType;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.fis.model.CreateExperimentTemplateActionInput;
import software.amazon.awssdk.services.fis.model.CreateExperimentTemplateStopConditionInput;
import software.amazon.awssdk.services.fis.model.CreateExperimentTemplateTargetInput;
import software.amazon.awssdk.services.fis.model.Experiment;
import software.amazon.awssdk.services.fis.model.ExperimentAction;
import software.amazon.awssdk.services.fis.model.ResourceNotFoundException;
import software.amazon.awssdk.services.fis.model.ServiceQuotaExceededException;
import software.amazon.awssdk.services.fis.model.ValidationException;
import software.amazon.awssdk.services.iam.model.NoSuchEntityException;

/** {@link AwsBackend} over the AWS SDK v2 clients of a {@link World}: the one code path for the lab and AWS. */
public final class SdkAwsBackend implements AwsBackend {
    /**
     * How long to retry while a fresh role stays invisible to FIS (IAM eventual consistency): 2 minutes of world
     * time, and at least 20 s of wall time, since at a fast pace the calls themselves take minutes of world time.
     */
    static final Duration ROLE_PROPAGATION = Duration.ofMinutes(2);

    static final Duration ROLE_PROPAGATION_WALL = Duration.ofSeconds(20);

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final World world;
    private final AwsClients clients;

    public SdkAwsBackend(World world) {
        this.world = world;
        this.clients = AwsClients.of(world);
    }

    @Override
    public List<Instance> describe(List<String> ids) {
        try {
            return collect(DescribeInstancesRequest.builder().instanceIds(ids).build());
        } catch (Ec2Exception e) {
            String code = e.awsErrorDetails() == null ? "" : e.awsErrorDetails().errorCode();
            if (code.startsWith("InvalidInstanceID")) {
                throw new UnknownInstancesException(
                        code + ": " + e.awsErrorDetails().errorMessage());
            }
            throw e;
        }
    }

    @Override
    public List<Instance> findRunningByTags(Map<String, String> tags) {
        List<Filter> filters = new ArrayList<>();
        tags.forEach((k, v) ->
                filters.add(Filter.builder().name("tag:" + k).values(v).build()));
        filters.add(
                Filter.builder().name("instance-state-name").values("running").build());
        return collect(DescribeInstancesRequest.builder().filters(filters).build());
    }

    private List<Instance> collect(DescribeInstancesRequest request) {
        List<Instance> out = new ArrayList<>();
        clients.ec2().describeInstancesPaginator(request).reservations().forEach(r -> r.instances()
                .forEach(i -> {
                    Map<String, String> tags = new LinkedHashMap<>();
                    for (Tag t : i.tags()) {
                        tags.put(t.key(), t.value());
                    }
                    String lifecycle = i.instanceLifecycle() == InstanceLifecycleType.SPOT
                            ? "spot"
                            : i.instanceLifecycleAsString() == null ? "on-demand" : i.instanceLifecycleAsString();
                    out.add(new Instance(
                            i.instanceId(),
                            i.instanceTypeAsString(),
                            i.placement() == null ? "" : i.placement().availabilityZone(),
                            lifecycle,
                            i.state() == null ? "unknown" : i.state().nameAsString(),
                            tags));
                }));
        out.sort(Comparator.comparing(Instance::id));
        return out;
    }

    @Override
    public String callerAccount() {
        return clients.sts().getCallerIdentity().account();
    }

    @Override
    public List<String> fisActionIds() {
        List<String> out = new ArrayList<>();
        String token = null;
        do {
            String next = token;
            var page = clients.fis().listActions(r -> r.maxResults(100).nextToken(next));
            page.actions().forEach(a -> out.add(a.id()));
            token = page.nextToken();
        } while (token != null && !token.isEmpty());
        return out;
    }

    @Override
    public Map<String, Map<String, String>> instanceTags(List<String> ids) {
        Map<String, Map<String, String>> out = new LinkedHashMap<>();
        ids.forEach(id -> out.put(id, new LinkedHashMap<>()));
        if (ids.isEmpty()) {
            return out;
        }
        clients.ec2()
                .describeTagsPaginator(r -> r.filters(
                        Filter.builder().name("resource-id").values(ids).build()))
                .tags()
                .forEach(t -> out.computeIfAbsent(t.resourceId(), k -> new LinkedHashMap<>())
                        .put(t.key(), t.value()));
        return out;
    }

    @Override
    public List<InstanceTag> instanceTagsWithPrefix(String keyPrefix) {
        List<InstanceTag> out = new ArrayList<>();
        // EC2 filters accept wildcards in values; the prefix is checked here again all the same
        clients.ec2()
                .describeTagsPaginator(r -> r.filters(
                        Filter.builder()
                                .name("resource-type")
                                .values("instance")
                                .build(),
                        Filter.builder().name("key").values(keyPrefix + "*").build()))
                .tags()
                .forEach(t -> {
                    if (t.key().startsWith(keyPrefix)) {
                        out.add(new InstanceTag(t.resourceId(), t.key(), t.value()));
                    }
                });
        return out;
    }

    @Override
    public void createTags(List<String> ids, Map<String, String> tags) {
        clients.ec2().createTags(r -> r.resources(ids)
                .tags(tags.entrySet().stream()
                        .map(e -> Tag.builder()
                                .key(e.getKey())
                                .value(e.getValue())
                                .build())
                        .toList()));
    }

    @Override
    public void deleteTags(List<String> ids, List<String> keys) {
        clients.ec2().deleteTags(r -> r.resources(ids)
                .tags(keys.stream().map(k -> Tag.builder().key(k).build()).toList()));
    }

    @Override
    public List<String> experimentTargets(String experimentId) {
        java.util.Set<String> ids = new java.util.LinkedHashSet<>();
        try {
            clients.fis()
                    .listExperimentResolvedTargetsPaginator(r -> r.experimentId(experimentId))
                    .resolvedTargets()
                    .forEach(t -> instanceId(t.targetInformation().get("arn")).ifPresent(ids::add));
            clients.fis().getExperiment(r -> r.id(experimentId)).experiment().targets().values().stream()
                    .flatMap(t -> t.resourceArns().stream())
                    .forEach(arn -> instanceId(arn).ifPresent(ids::add));
        } catch (ResourceNotFoundException e) {
            // gone since it was listed
        }
        return List.copyOf(ids);
    }

    private static Optional<String> instanceId(String arn) {
        if (arn == null) {
            return Optional.empty();
        }
        int at = arn.lastIndexOf(":instance/");
        return at < 0 ? Optional.empty() : Optional.of(arn.substring(at + ":instance/".length()));
    }

    @Override
    public Optional<Role> role(String name) {
        try {
            var r = clients.iam().getRole(b -> b.roleName(name)).role();
            Map<String, String> tags = new LinkedHashMap<>();
            r.tags().forEach(t -> tags.put(t.key(), t.value()));
            return Optional.of(new Role(r.roleName(), r.arn(), decode(r.assumeRolePolicyDocument()), tags));
        } catch (NoSuchEntityException e) {
            return Optional.empty();
        } catch (software.amazon.awssdk.services.iam.model.IamException e) {
            throw denied(e);
        }
    }

    @Override
    public Role createRole(String name, String trustPolicy, String description, Map<String, String> tags) {
        try {
            var r = clients.iam()
                    .createRole(b -> b.roleName(name)
                            .description(description)
                            .assumeRolePolicyDocument(trustPolicy)
                            .tags(tags.entrySet().stream()
                                    .map(t -> software.amazon.awssdk.services.iam.model.Tag.builder()
                                            .key(t.getKey())
                                            .value(t.getValue())
                                            .build())
                                    .toList()))
                    .role();
            return new Role(r.roleName(), r.arn(), trustPolicy, tags);
        } catch (software.amazon.awssdk.services.iam.model.EntityAlreadyExistsException e) {
            throw new RoleExistsException(message(e));
        } catch (software.amazon.awssdk.services.iam.model.IamException e) {
            throw denied(e);
        }
    }

    @Override
    public void putRolePolicy(String roleName, String policyName, String document) {
        try {
            clients.iam()
                    .putRolePolicy(
                            r -> r.roleName(roleName).policyName(policyName).policyDocument(document));
        } catch (software.amazon.awssdk.services.iam.model.IamException e) {
            throw denied(e);
        }
    }

    @Override
    public Optional<String> rolePolicy(String roleName, String policyName) {
        try {
            return Optional.of(decode(clients.iam()
                    .getRolePolicy(r -> r.roleName(roleName).policyName(policyName))
                    .policyDocument()));
        } catch (NoSuchEntityException e) {
            return Optional.empty();
        } catch (software.amazon.awssdk.services.iam.model.IamException e) {
            throw denied(e);
        }
    }

    @Override
    public Simulation simulate(String roleArn, String action, String resourceArn, Map<String, String> context) {
        try {
            var result = clients.iam()
                    .simulatePrincipalPolicy(r -> r.policySourceArn(roleArn)
                            .actionNames(action)
                            .resourceArns(resourceArn)
                            .contextEntries(context.entrySet().stream()
                                    .map(e -> software.amazon.awssdk.services.iam.model.ContextEntry.builder()
                                            .contextKeyName(e.getKey())
                                            .contextKeyValues(e.getValue())
                                            .contextKeyType(
                                                    software.amazon.awssdk.services.iam.model.ContextKeyTypeEnum.STRING)
                                            .build())
                                    .toList()))
                    .evaluationResults()
                    .get(0);
            return new Simulation(result.evalDecisionAsString(), result.missingContextValues());
        } catch (software.amazon.awssdk.services.iam.model.IamException e) {
            throw denied(e);
        }
    }

    /** An IAM refusal for lack of permission as {@link AccessDeniedException}; any other error as it is. */
    private static RuntimeException denied(software.amazon.awssdk.services.iam.model.IamException e) {
        String code = e.awsErrorDetails() == null ? "" : e.awsErrorDetails().errorCode();
        if ("AccessDenied".equals(code) || "AccessDeniedException".equals(code) || e.statusCode() == 403) {
            return new AccessDeniedException(message(e));
        }
        return e;
    }

    private static String message(software.amazon.awssdk.awscore.exception.AwsServiceException e) {
        return e.awsErrorDetails() == null
                ? e.getMessage()
                : e.awsErrorDetails().errorMessage();
    }

    /** IAM answers policy documents URL-encoded. */
    private static String decode(String doc) {
        if (doc == null) {
            return "";
        }
        return doc.trim().startsWith("{")
                ? doc
                : java.net.URLDecoder.decode(doc, java.nio.charset.StandardCharsets.UTF_8);
    }

    @Override
    public String createTemplate(TemplateRequest request) {
        Map<String, CreateExperimentTemplateTargetInput> targets = new LinkedHashMap<>();
        Map<String, CreateExperimentTemplateActionInput> actions = new LinkedHashMap<>();
        for (TemplateRequest.Action a : request.actions()) {
            targets.put(
                    a.target(),
                    CreateExperimentTemplateTargetInput.builder()
                            .resourceType("aws:ec2:spot-instance")
                            .resourceArns(a.arns())
                            .selectionMode("ALL")
                            .build());
            actions.put(
                    a.name(),
                    CreateExperimentTemplateActionInput.builder()
                            .actionId(TemplateRequest.ACTION_ID)
                            .description("Interrupt " + a.arns().size() + " Spot instance(s)")
                            .parameters(Map.of("durationBeforeInterruption", a.durationParameter()))
                            .targets(Map.of("SpotInstances", a.target()))
                            .build());
        }
        CreateExperimentTemplateStopConditionInput stop = request.stopAlarmArn()
                .map(a -> CreateExperimentTemplateStopConditionInput.builder()
                        .source("aws:cloudwatch:alarm")
                        .value(a)
                        .build())
                .orElse(CreateExperimentTemplateStopConditionInput.builder()
                        .source("none")
                        .build());
        WorldClock clock = world.clock();
        Instant giveUp = clock.now().plus(ROLE_PROPAGATION);
        long giveUpWall = System.nanoTime() + ROLE_PROPAGATION_WALL.toNanos();
        Duration backoff = Duration.ofSeconds(2);
        while (true) {
            try {
                return clients.fis()
                        .createExperimentTemplate(r -> r.clientToken(request.clientToken())
                                .description(request.description())
                                .roleArn(request.roleArn())
                                .stopConditions(stop)
                                .targets(targets)
                                .actions(actions)
                                .tags(request.tags()))
                        .experimentTemplate()
                        .id();
            } catch (ValidationException e) {
                String msg = e.awsErrorDetails() == null
                        ? e.getMessage()
                        : e.awsErrorDetails().errorMessage();
                boolean roleProblem =
                        msg != null && msg.toLowerCase(Locale.ROOT).contains("role");
                if (!roleProblem) {
                    throw new SpotDrillException("FIS refused the experiment template: " + msg, e);
                }
                if (clock.now().isAfter(giveUp) && System.nanoTime() - giveUpWall > 0) {
                    throw new SpotDrillException(Messages.roleNotAccepted(request.roleArn(), msg), e);
                }
                Backoff.pause(clock, backoff);
                backoff = backoff.multipliedBy(2).compareTo(Duration.ofSeconds(10)) > 0
                        ? Duration.ofSeconds(10)
                        : backoff.multipliedBy(2);
            }
        }
    }

    @Override
    public ExperimentView startExperiment(String templateId, String clientToken, Map<String, String> tags) {
        try {
            Experiment e = clients.fis()
                    .startExperiment(r -> r.experimentTemplateId(templateId)
                            .clientToken(clientToken)
                            .tags(tags))
                    .experiment();
            return view(e);
        } catch (ServiceQuotaExceededException e) {
            throw new QuotaExceededException(
                    e.awsErrorDetails() == null
                            ? e.getMessage()
                            : e.awsErrorDetails().errorMessage());
        }
    }

    @Override
    public ExperimentView getExperiment(String id) {
        return view(clients.fis().getExperiment(r -> r.id(id)).experiment());
    }

    @Override
    public void stopExperiment(String id) {
        try {
            clients.fis().stopExperiment(r -> r.id(id));
        } catch (ResourceNotFoundException | software.amazon.awssdk.services.fis.model.ConflictException e) {
            // already ended or gone: nothing to stop
        } catch (ValidationException e) {
            // FIS refuses to stop an experiment that has already ended
        }
    }

    @Override
    public void deleteTemplate(String id) {
        try {
            clients.fis().deleteExperimentTemplate(r -> r.id(id));
        } catch (ResourceNotFoundException e) {
            // already gone
        }
    }

    @Override
    public List<Tagged> taggedTemplates(String tagKey) {
        List<Tagged> out = new ArrayList<>();
        clients.fis()
                .listExperimentTemplatesPaginator(r -> r.maxResults(100))
                .experimentTemplates()
                .forEach(t -> {
                    if (t.tags().containsKey(tagKey)) {
                        out.add(new Tagged(t.id(), "", t.tags()));
                    }
                });
        return out;
    }

    @Override
    public List<Tagged> taggedExperiments(String tagKey) {
        List<Tagged> out = new ArrayList<>();
        clients.fis()
                .listExperimentsPaginator(r -> r.maxResults(100))
                .experiments()
                .forEach(e -> {
                    if (e.tags().containsKey(tagKey)) {
                        out.add(new Tagged(
                                e.id(), e.state() == null ? "" : e.state().statusAsString(), e.tags()));
                    }
                });
        return out;
    }

    private static ExperimentView view(Experiment e) {
        String status = e.state() == null ? "pending" : e.state().statusAsString();
        String reason = e.state() == null ? "" : nz(e.state().reason());
        String code = e.state() == null || e.state().error() == null
                ? ""
                : nz(e.state().error().code());
        String location = e.state() == null || e.state().error() == null
                ? ""
                : nz(e.state().error().location());
        Optional<Instant> actionsStart = e.actions().values().stream()
                .map(ExperimentAction::startTime)
                .filter(java.util.Objects::nonNull)
                .min(Comparator.naturalOrder());
        return new ExperimentView(
                e.id(),
                nz(e.experimentTemplateId()),
                status,
                reason,
                code,
                location,
                Optional.ofNullable(e.startTime()),
                actionsStart,
                Optional.ofNullable(e.endTime()),
                json(e));
    }

    private static String json(Experiment e) {
        ObjectNode root = JSON.createObjectNode();
        root.put("id", e.id());
        root.put("experimentTemplateId", e.experimentTemplateId());
        root.put("roleArn", e.roleArn());
        ObjectNode state = root.putObject("state");
        if (e.state() != null) {
            state.put("status", e.state().statusAsString());
            state.put("reason", e.state().reason());
            if (e.state().error() != null) {
                state.putObject("error")
                        .put("code", e.state().error().code())
                        .put("location", e.state().error().location());
            }
        }
        ObjectNode targets = root.putObject("targets");
        e.targets().forEach((k, t) -> {
            ObjectNode tn = targets.putObject(k);
            tn.put("resourceType", t.resourceType());
            tn.putPOJO("resourceArns", t.resourceArns());
            tn.put("selectionMode", t.selectionMode());
        });
        ObjectNode actions = root.putObject("actions");
        e.actions().forEach((k, a) -> {
            ObjectNode an = actions.putObject(k);
            an.put("actionId", a.actionId());
            an.putPOJO("parameters", new HashMap<>(a.parameters()));
            an.putPOJO("targets", new java.util.TreeMap<>(a.targets()));
            if (a.state() != null) {
                an.putObject("state")
                        .put("status", a.state().statusAsString())
                        .put("reason", a.state().reason());
            }
            an.put("startTime", a.startTime() == null ? null : a.startTime().toString());
            an.put("endTime", a.endTime() == null ? null : a.endTime().toString());
        });
        root.put("startTime", e.startTime() == null ? null : e.startTime().toString());
        root.put("endTime", e.endTime() == null ? null : e.endTime().toString());
        root.putPOJO("tags", new java.util.TreeMap<>(e.tags()));
        try {
            return JSON.writeValueAsString(root);
        } catch (com.fasterxml.jackson.core.JsonProcessingException ex) {
            return "{}";
        }
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }
}
