package dev.spotdrill.lab;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * AWS FIS (restJson1, model 2020-12-01): experiment templates, experiments and their world-time state machine,
 * acting on {@code aws:ec2:send-spot-instance-interruptions}. As strict as AWS about input; see the README of the
 * lab for the few choices where AWS's behaviour is not documented.
 */
final class FisApi implements HttpHandler {

    private static final Logger LOG = LoggerFactory.getLogger(FisApi.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    static final String SPOT_ACTION = "aws:ec2:send-spot-instance-interruptions";
    static final String SPOT_TYPE = "aws:ec2:spot-instance";

    static final int DEFAULT_ACTIVE_LIMIT = 5;
    static final Pattern ROLE_ARN =
            Pattern.compile("arn:aws[a-z-]*:iam::(\\d{12}):role/(?:[^\\s]*/)?([\\w+=,.@-]{1,64})");
    static final Pattern INSTANCE_ARN =
            Pattern.compile("arn:aws[a-z-]*:ec2:([a-z0-9-]+):(\\d{12}):instance/(i-[0-9a-f]{8,17})");
    static final Pattern SELECTION = Pattern.compile("ALL|COUNT\\((\\d+)\\)|PERCENT\\((\\d+)\\)");

    private static final Set<String> ACTIVE = Set.of("pending", "initiating", "running", "stopping");

    private final LabContext ctx;
    private final Ec2Fleet fleet;
    private final IamApi iam;
    private final FisTemplateValidator validator;
    private final Map<String, Template> templates = new LinkedHashMap<>();
    private final Map<String, Experiment> experiments = new LinkedHashMap<>();
    private final Map<String, Idempotent> templateTokens = new LinkedHashMap<>();
    private final Map<String, Idempotent> experimentTokens = new LinkedHashMap<>();
    private volatile EventBus events;

    FisApi(LabContext ctx, Ec2Fleet fleet, IamApi iam) {
        this.ctx = ctx;
        this.fleet = fleet;
        this.iam = iam;
        this.validator = new FisTemplateValidator(ctx, iam);
    }

    /** Where experiment state changes go ("FIS Experiment State Change"); none until the lab wires it. */
    void events(EventBus events) {
        this.events = events;
    }

    private record Idempotent(JsonNode request, String id) {}

    private record Route(String operation, String id) {}

    private record Reply(int status, JsonNode body, String resource) {}

    // ------------------------------------------------------------------ HTTP

    @Override
    public void handle(HttpExchange ex) throws IOException {
        String requestId = ctx.requestId();
        String method = ex.getRequestMethod();
        String rawPath = ex.getRequestURI().getRawPath();
        Map<String, String> query = Http.decodeForm(ex.getRequestURI().getRawQuery());
        String body = Http.body(ex);
        Route route = route(method, rawPath);
        String caller = "";
        Reply reply;
        String code = "";
        try {
            String key = Http.accessKey(ex);
            caller = key == null ? "" : ctx.principalFor(key);
            if (key == null) {
                throw new ApiError(403, "MissingAuthenticationTokenException", "Missing Authentication Token");
            }
            if (caller.isEmpty()) {
                throw new ApiError(
                        403, "UnrecognizedClientException", "The security token included in the request is invalid.");
            }
            if (route == null) {
                throw new ApiError(404, "UnknownOperationException", "No FIS operation at " + method + " " + rawPath);
            }
            if (ctx.faults.consume("fis.throttle")) {
                throw new ApiError(429, "ThrottlingException", "Rate exceeded (lab fault fis.throttle)");
            }
            synchronized (ctx.lock) {
                reply = dispatch(route, query, body, ex);
            }
        } catch (ApiError e) {
            code = e.code;
            ObjectNode err = NODES.objectNode().put("message", e.getMessage());
            reply = new Reply(e.status, err, route == null ? "" : nullToEmpty(route.id));
            ex.getResponseHeaders().set("x-amzn-ErrorType", e.code);
        } catch (RuntimeException e) {
            LOG.error("lab {}: FIS {} failed", ctx.labId, route, e);
            code = "InternalServerException";
            reply = new Reply(500, NODES.objectNode().put("message", "lab error: " + e), "");
            ex.getResponseHeaders().set("x-amzn-ErrorType", code);
        }
        ctx.record(
                "fis",
                route == null ? method + " " + rawPath : route.operation,
                caller,
                reply.status,
                code,
                reply.resource);
        ex.getResponseHeaders().set("x-amzn-RequestId", requestId);
        Http.send(ex, reply.status, "application/json", JSON.writeValueAsString(reply.body));
    }

    private static Route route(String method, String rawPath) {
        String[] p = rawPath.replaceAll("/+$", "").split("/");
        // p[0] is "" (leading slash)
        if (p.length == 2 && p[1].equals("experimentTemplates")) {
            return method.equals("POST")
                    ? new Route("CreateExperimentTemplate", null)
                    : method.equals("GET") ? new Route("ListExperimentTemplates", null) : null;
        }
        if (p.length == 3 && p[1].equals("experimentTemplates")) {
            String id = Http.decodePathSegment(p[2]);
            return switch (method) {
                case "GET" -> new Route("GetExperimentTemplate", id);
                case "DELETE" -> new Route("DeleteExperimentTemplate", id);
                case "PATCH" -> new Route("UpdateExperimentTemplate", id);
                default -> null;
            };
        }
        if (p.length == 2 && p[1].equals("experiments")) {
            return method.equals("POST")
                    ? new Route("StartExperiment", null)
                    : method.equals("GET") ? new Route("ListExperiments", null) : null;
        }
        if (p.length == 3 && p[1].equals("experiments")) {
            String id = Http.decodePathSegment(p[2]);
            return switch (method) {
                case "GET" -> new Route("GetExperiment", id);
                case "DELETE" -> new Route("StopExperiment", id);
                default -> null;
            };
        }
        if (p.length == 4 && p[1].equals("experiments") && p[3].equals("resolvedTargets") && method.equals("GET")) {
            return new Route("ListExperimentResolvedTargets", Http.decodePathSegment(p[2]));
        }
        if (p.length == 2 && p[1].equals("actions") && method.equals("GET")) {
            return new Route("ListActions", null);
        }
        if (p.length == 3 && p[1].equals("actions") && method.equals("GET")) {
            return new Route("GetAction", Http.decodePathSegment(p[2]));
        }
        if (p.length == 3 && p[1].equals("tags")) {
            String arn = Http.decodePathSegment(p[2]);
            return switch (method) {
                case "GET" -> new Route("ListTagsForResource", arn);
                case "POST" -> new Route("TagResource", arn);
                case "DELETE" -> new Route("UntagResource", arn);
                default -> null;
            };
        }
        return null;
    }

    private Reply dispatch(Route r, Map<String, String> query, String body, HttpExchange ex) {
        return switch (r.operation) {
            case "CreateExperimentTemplate" -> createTemplate(parse(body));
            case "ListExperimentTemplates" -> listTemplates(query);
            case "GetExperimentTemplate" ->
                new Reply(200, wrap("experimentTemplate", template(r.id).json()), r.id);
            case "DeleteExperimentTemplate" -> {
                Template t = template(r.id);
                templates.remove(t.id);
                yield new Reply(200, wrap("experimentTemplate", t.json()), t.id);
            }
            case "UpdateExperimentTemplate" ->
                throw new ApiError(
                        400,
                        "ValidationException",
                        "UpdateExperimentTemplate is not supported by the lab; delete and create the template instead");
            case "StartExperiment" -> startExperiment(parse(body));
            case "ListExperiments" -> listExperiments(query);
            case "GetExperiment" -> {
                Experiment e = experiment(r.id);
                yield new Reply(200, wrap("experiment", e.json()), e.id);
            }
            case "StopExperiment" -> stopExperiment(experiment(r.id));
            case "ListExperimentResolvedTargets" -> resolvedTargets(experiment(r.id), query);
            case "ListActions" -> listActions(query);
            case "GetAction" ->
                new Reply(
                        200,
                        wrap(
                                "action",
                                FisActions.action(r.id, ctx.region())
                                        .orElseThrow(() -> new ApiError(
                                                404, "ResourceNotFoundException", "Action " + r.id + " not found."))),
                        r.id);
            case "ListTagsForResource" -> new Reply(200, wrap("tags", tagsOf(r.id)), r.id);
            case "TagResource" -> {
                JsonNode tags = parse(body).path("tags");
                FisTemplateValidator.checkTags(tags, "tags");
                ObjectNode target = tagsOf(r.id);
                tags.fields().forEachRemaining(e -> target.set(e.getKey(), e.getValue()));
                yield new Reply(200, NODES.objectNode(), r.id);
            }
            case "UntagResource" -> {
                ObjectNode target = tagsOf(r.id);
                String raw = ex.getRequestURI().getRawQuery();
                if (raw != null) {
                    for (String pair : raw.split("&")) {
                        if (pair.startsWith("tagKeys=")) {
                            target.remove(Http.decodePathSegment(pair.substring(8)));
                        }
                    }
                }
                yield new Reply(200, NODES.objectNode(), r.id);
            }
            default -> throw new IllegalStateException(r.operation);
        };
    }

    private static JsonNode parse(String body) {
        try {
            JsonNode n = JSON.readTree(body == null || body.isBlank() ? "{}" : body);
            if (!n.isObject()) {
                throw new ApiError(400, "ValidationException", "The request body must be a JSON object");
            }
            return n;
        } catch (JsonProcessingException e) {
            throw new ApiError(400, "SerializationException", "The request body is not valid JSON");
        }
    }

    private static ObjectNode wrap(String key, JsonNode value) {
        ObjectNode o = NODES.objectNode();
        o.set(key, value);
        return o;
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }

    // ------------------------------------------------------------------ templates

    private Reply createTemplate(JsonNode req) {
        validator.validate(req);
        String token = req.get("clientToken").asText();
        Idempotent prior = templateTokens.get(token);
        if (prior != null) {
            if (!prior.request.equals(req)) {
                throw new ApiError(
                        409,
                        "ConflictException",
                        "The clientToken " + token
                                + " was already used with a different request; use a new clientToken for a new template");
            }
            Template t = templates.get(prior.id);
            if (t == null) {
                throw new ApiError(
                        404,
                        "ResourceNotFoundException",
                        "Experiment template " + prior.id + " created with this clientToken was deleted");
            }
            return new Reply(200, wrap("experimentTemplate", t.json()), t.id);
        }
        if (templates.size() >= 500) {
            throw new ApiError(
                    402,
                    "ServiceQuotaExceededException",
                    "You have reached the maximum of 500 experiment templates; delete unused templates");
        }
        String id = "EXT" + ctx.alnum(14);
        Template t = new Template(
                id, "arn:aws:fis:" + ctx.region() + ":" + ctx.account() + ":experiment-template/" + id, req, ctx.now());
        templates.put(id, t);
        templateTokens.put(token, new Idempotent(req, id));
        return new Reply(200, wrap("experimentTemplate", t.json()), id);
    }

    private Reply listTemplates(Map<String, String> query) {
        List<Template> all = new ArrayList<>(templates.values());
        Page page = page(query, all.size());
        ArrayNode arr = NODES.arrayNode();
        for (Template t : all.subList(page.from, page.to)) {
            ObjectNode o = arr.addObject();
            o.put("id", t.id)
                    .put("arn", t.arn)
                    .put("description", t.req.path("description").asText());
            o.put("creationTime", Http.epoch(t.created)).put("lastUpdateTime", Http.epoch(t.created));
            o.set("tags", t.tags.deepCopy());
        }
        ObjectNode out = wrap("experimentTemplates", arr);
        page.next.ifPresent(n -> out.put("nextToken", n));
        return new Reply(200, out, "");
    }

    private Template template(String id) {
        Template t = templates.get(id);
        if (t == null) {
            throw new ApiError(404, "ResourceNotFoundException", "Experiment template " + id + " not found.");
        }
        return t;
    }

    private ObjectNode tagsOf(String arn) {
        for (Template t : templates.values()) {
            if (t.arn.equals(arn)) {
                return t.tags;
            }
        }
        for (Experiment e : experiments.values()) {
            if (e.arn.equals(arn)) {
                return e.tags;
            }
        }
        throw new ApiError(404, "ResourceNotFoundException", "Resource " + arn + " not found.");
    }

    // ------------------------------------------------------------------ experiments

    private Reply startExperiment(JsonNode req) {
        String token = requiredText(req, "clientToken");
        String templateId = requiredText(req, "experimentTemplateId");
        FisTemplateValidator.checkTags(req.path("tags"), "tags");
        String actionsMode = req.path("experimentOptions").path("actionsMode").asText("run-all");
        if (!actionsMode.equals("run-all") && !actionsMode.equals("skip-all")) {
            throw invalid("experimentOptions.actionsMode '" + actionsMode + "' is invalid; use run-all or skip-all");
        }
        Idempotent prior = experimentTokens.get(token);
        if (prior != null) {
            if (!prior.request.equals(req)) {
                throw new ApiError(
                        409,
                        "ConflictException",
                        "The clientToken " + token
                                + " was already used to start a different experiment; use a new clientToken");
            }
            Experiment e = experiments.get(prior.id);
            return new Reply(200, wrap("experiment", e.json()), e.id);
        }
        Template t = template(templateId);
        int limit = ctx.faults.number("fis.quota").orElse(DEFAULT_ACTIVE_LIMIT);
        long active = experiments.values().stream()
                .filter(e -> ACTIVE.contains(e.status))
                .count();
        if (active >= limit) {
            throw new ApiError(
                    402,
                    "ServiceQuotaExceededException",
                    "You have reached the maximum number of"
                            + " active experiments (" + limit + ") in this account and Region; wait for an experiment"
                            + " to end or stop one");
        }
        String id = "EXP" + ctx.alnum(14);
        Experiment e = new Experiment(
                id,
                "arn:aws:fis:" + ctx.region() + ":" + ctx.account() + ":experiment/" + id,
                t,
                req,
                actionsMode,
                ctx.now());
        experiments.put(id, e);
        experimentTokens.put(token, new Idempotent(req, id));
        Instant initiating = e.created.plusSeconds(1);
        Instant running =
                e.created.plusSeconds(2).truncatedTo(ChronoUnit.SECONDS).plusSeconds(1);
        e.futures.add(ctx.at(initiating, () -> locked(() -> initiate(e))));
        e.futures.add(ctx.at(running, () -> locked(() -> run(e, running))));
        return new Reply(200, wrap("experiment", e.json()), id);
    }

    private void locked(Runnable r) {
        synchronized (ctx.lock) {
            r.run();
        }
    }

    private void initiate(Experiment e) {
        if (!e.status.equals("pending")) {
            return;
        }
        e.setState("initiating", "Experiment is initiating.");
        for (Map.Entry<String, JsonNode> t : fields(e.template.req.path("targets"))) {
            if (!e.status.equals("initiating")) {
                return;
            }
            resolve(e, t.getKey(), t.getValue());
        }
    }

    private void resolve(Experiment e, String name, JsonNode t) {
        List<Ec2Fleet.Instance> found = new ArrayList<>();
        if (t.has("resourceArns")) {
            for (JsonNode a : t.get("resourceArns")) {
                Matcher m = INSTANCE_ARN.matcher(a.asText());
                m.matches();
                Ec2Fleet.Instance i =
                        m.group(1).equals(ctx.region()) && m.group(2).equals(ctx.account())
                                ? fleet.get(m.group(3)).orElse(null)
                                : null;
                if (i == null) {
                    e.fail(
                            "failed",
                            "Target resolution failed for target '" + name + "': the resource " + a.asText()
                                    + " could not be found.",
                            "TargetResolutionFailed",
                            "targets/" + name);
                    return;
                }
                if (!i.spot() || !i.state.equals("running")) {
                    e.fail(
                            "failed",
                            "Target resolution failed for target '" + name + "': instance " + i.id
                                    + " is not a running Spot Instance (lifecycle " + i.lifecycle + ", state " + i.state
                                    + ").",
                            "TargetResolutionFailed",
                            "targets/" + name);
                    return;
                }
                found.add(i);
            }
        } else {
            Map<String, String> want = new LinkedHashMap<>();
            fields(t.get("resourceTags"))
                    .forEach(f -> want.put(f.getKey(), f.getValue().asText()));
            for (Ec2Fleet.Instance i : fleet.all()) {
                if (i.spot()
                        && want.entrySet().stream().allMatch(w -> w.getValue().equals(i.tags.get(w.getKey())))
                        && matchesFilters(i, t.path("filters"))) {
                    found.add(i);
                }
            }
        }
        Matcher sm = SELECTION.matcher(t.path("selectionMode").asText());
        sm.matches();
        List<Ec2Fleet.Instance> chosen = new ArrayList<>(found);
        Collections.shuffle(chosen, new java.util.Random(ctx.nextInt(Integer.MAX_VALUE)));
        if (sm.group(1) != null) {
            chosen = chosen.subList(0, (int) Math.min(chosen.size(), Long.parseLong(sm.group(1))));
        } else if (sm.group(2) != null) {
            chosen = chosen.subList(0, (int) Math.floor(chosen.size() * Long.parseLong(sm.group(2)) / 100.0));
        }
        if (chosen.isEmpty()) {
            String mode = e.template
                    .req
                    .path("experimentOptions")
                    .path("emptyTargetResolutionMode")
                    .asText("fail");
            if (mode.equals("fail")) {
                e.fail(
                        "failed",
                        "Target resolution returned empty set for target '" + name + "'.",
                        "TargetResolutionFailed",
                        "targets/" + name);
                return;
            }
        }
        if (chosen.size() > 5) {
            e.fail(
                    "failed",
                    "Target '" + name + "' resolved " + chosen.size() + " Spot Instances; "
                            + SPOT_ACTION + " takes at most 5 per target; use selectionMode COUNT(5) or split the"
                            + " targets",
                    "TargetResolutionFailed",
                    "targets/" + name);
            return;
        }
        for (Ec2Fleet.Instance i : chosen) {
            if (!i.state.equals("running")) {
                // Seen on AWS: tag-selected targets that are not running end the experiment cancelled.
                e.fail(
                        "cancelled",
                        "Target '" + name + "' resolved instance " + i.id + " which is " + i.state
                                + "; add the filter State.Name=running to the target",
                        "TargetResolutionFailed",
                        "targets/" + name);
                return;
            }
        }
        e.resolved.put(name, chosen.stream().map(i -> i.id).toList());
    }

    private static boolean matchesFilters(Ec2Fleet.Instance i, JsonNode filters) {
        for (JsonNode f : filters) {
            String value =
                    switch (f.path("path").asText()) {
                        case "State.Name" -> i.state;
                        case "Placement.AvailabilityZone" -> i.zone;
                        case "InstanceType" -> i.type;
                        case "InstanceId" -> i.id;
                        default -> null;
                    };
            boolean any = false;
            for (JsonNode v : f.path("values")) {
                any |= v.asText().equals(value);
            }
            if (!any) {
                return false;
            }
        }
        return true;
    }

    private void run(Experiment e, Instant at) {
        if (e.status.equals("pending")) {
            initiate(e); // a starved scheduler may reach both steps at once; keep their order
        }
        if (!e.status.equals("initiating")) {
            return;
        }
        e.started = at;
        e.setState("running", "Experiment is running.");
        if (e.actionsMode.equals("skip-all")) {
            e.actions.values().forEach(a -> a.set("skipped", "Action was skipped.", null, null));
            e.finish("completed", "Experiment completed.", at);
            return;
        }
        startReadyActions(e, at);
        boolean fail = ctx.faults.active("fis.fail-experiment");
        boolean cancel = ctx.faults.active("fis.cancel-experiment");
        if (fail || cancel) {
            String first = e.actions.keySet().iterator().next();
            e.futures.add(ctx.at(
                    at.plusSeconds(1),
                    () -> locked(() -> {
                        if (e.status.equals("running")) {
                            if (fail) {
                                e.fail(
                                        "failed",
                                        "Action '" + first + "' failed: lab fault fis.fail-experiment.",
                                        "InternalFailure",
                                        "action/" + first);
                            } else {
                                e.fail(
                                        "cancelled",
                                        "Experiment cancelled: lab fault fis.cancel-experiment.",
                                        "ExperimentCancelled",
                                        "action/" + first);
                            }
                        }
                    })));
        }
    }

    private void startReadyActions(Experiment e, Instant at) {
        for (ActionRun a : e.actions.values()) {
            if (!a.status.equals("pending") || !e.status.equals("running")) {
                continue;
            }
            boolean ready =
                    a.startAfter.stream().allMatch(n -> e.actions.get(n).status.equals("completed"));
            if (!ready) {
                continue;
            }
            List<String> ids = e.resolved.getOrDefault(a.target, List.of());
            if (ids.isEmpty()) {
                a.set("skipped", "Target resolved to no resources; action skipped.", at, at);
                continue;
            }
            String denied = unauthorized(e, ids);
            if (denied != null) {
                a.set("failed", "Action failed: " + denied, at, at);
                e.fail(
                        "failed",
                        "Action '" + a.name + "' failed: " + denied,
                        "UnauthorizedOperation",
                        "action/" + a.name);
                return;
            }
            a.set("running", "Action is running.", at, null);
            a.remaining = ids.size();
            for (String id : ids) {
                Ec2Fleet.Instance i = fleet.get(id).orElseThrow();
                e.interrupting.add(i);
                fleet.scheduleInterruption(i, at, a.lead, () -> actionDone(e, a, i));
            }
        }
        if (e.status.equals("running") && e.actions.values().stream().allMatch(ActionRun::ended)) {
            e.finish("completed", "Experiment completed.", at);
        }
    }

    /**
     * Why the experiment's role may not send the Spot interruption to one of the instances (its policies, evaluated
     * with the instance's tags as {@code aws:ResourceTag/...}), or null when it may send it to all of them.
     */
    private String unauthorized(Experiment e, List<String> ids) {
        String roleArn = e.template.req.path("roleArn").asText();
        Matcher m = ROLE_ARN.matcher(roleArn);
        IamApi.Role role = m.matches() ? iam.role(m.group(2)).orElse(null) : null;
        if (role == null) {
            return "the role " + roleArn + " no longer exists";
        }
        for (String id : ids) {
            Ec2Fleet.Instance i = fleet.get(id).orElseThrow();
            String arn = "arn:aws:ec2:" + ctx.region() + ":" + ctx.account() + ":instance/" + id;
            LabPolicies.Result r = iam.evaluate(role, "ec2:SendSpotInstanceInterruptions", arn, i.tags);
            if (r.decision() != LabPolicies.Decision.ALLOWED) {
                return "the role " + roleArn + " is not authorized to perform ec2:SendSpotInstanceInterruptions on "
                        + arn + " (" + r.decision().wire
                        + (r.missingContext().isEmpty()
                                ? ""
                                : "; the instance lacks " + String.join(", ", r.missingContext()))
                        + ")";
            }
        }
        return null;
    }

    private void actionDone(Experiment e, ActionRun a, Ec2Fleet.Instance i) {
        e.interrupting.remove(i);
        if (--a.remaining > 0 || !a.status.equals("running")) {
            return;
        }
        Instant now = a.start.plus(a.lead);
        a.set("completed", "Action was completed.", a.start, now);
        startReadyActions(e, now);
    }

    private Reply stopExperiment(Experiment e) {
        if (ctx.faults.active("fis.deny-stop")) {
            throw new ApiError(
                    403,
                    "AccessDeniedException",
                    "User: " + ctx.principalArn + " is not authorized to perform: fis:StopExperiment on resource: "
                            + e.arn + " because no identity-based policy allows the fis:StopExperiment action"
                            + " (lab fault fis.deny-stop)");
        }
        if (!ACTIVE.contains(e.status) || e.status.equals("stopping")) {
            throw new ApiError(
                    409, "ConflictException", "Experiment " + e.id + " is " + e.status + " and cannot be stopped");
        }
        e.stopPending(fleet);
        e.setState("stopping", "Experiment is stopping.");
        e.futures.add(ctx.at(
                ctx.now().plusSeconds(1),
                () -> locked(() -> {
                    for (ActionRun a : e.actions.values()) {
                        if (a.status.equals("running")) {
                            a.set("stopped", "Action was stopped.", a.start, ctx.now());
                        } else if (a.status.equals("pending")) {
                            a.set("cancelled", "Action was cancelled.", null, null);
                        }
                    }
                    e.setState("stopped", "Experiment stopped.");
                    e.ended = ctx.now();
                })));
        return new Reply(200, wrap("experiment", e.json()), e.id);
    }

    private Reply listExperiments(Map<String, String> query) {
        String templateId = query.get("experimentTemplateId");
        List<Experiment> all = experiments.values().stream()
                .filter(e -> templateId == null || e.template.id.equals(templateId))
                .toList();
        Page page = page(query, all.size());
        ArrayNode arr = NODES.arrayNode();
        for (Experiment e : all.subList(page.from, page.to)) {
            ObjectNode o = arr.addObject();
            o.put("id", e.id).put("arn", e.arn).put("experimentTemplateId", e.template.id);
            o.set("state", e.stateJson());
            o.put("creationTime", Http.epoch(e.created));
            o.set("tags", e.tags.deepCopy());
            o.set("experimentOptions", e.optionsJson());
        }
        ObjectNode out = wrap("experiments", arr);
        page.next.ifPresent(n -> out.put("nextToken", n));
        return new Reply(200, out, nullToEmpty(templateId));
    }

    private Reply listActions(Map<String, String> query) {
        List<String> ids = LabRegions.offersSpotAction(ctx.region()) ? FisActions.ids() : List.of();
        Page page = page(query, ids.size());
        ArrayNode arr = NODES.arrayNode();
        for (String id : ids.subList(page.from, page.to)) {
            arr.add(FisActions.summary(id, ctx.region()));
        }
        ObjectNode out = wrap("actions", arr);
        page.next.ifPresent(n -> out.put("nextToken", n));
        return new Reply(200, out, "");
    }

    private Reply resolvedTargets(Experiment e, Map<String, String> query) {
        String only = query.get("targetName");
        ArrayNode arr = NODES.arrayNode();
        e.resolved.forEach((name, ids) -> {
            if (only != null && !only.equals(name)) {
                return;
            }
            for (String id : ids) {
                ObjectNode o = arr.addObject();
                o.put("resourceType", SPOT_TYPE).put("targetName", name);
                o.putObject("targetInformation")
                        .put("arn", "arn:aws:ec2:" + ctx.region() + ":" + ctx.account() + ":instance/" + id);
            }
        });
        return new Reply(200, wrap("resolvedTargets", arr), e.id);
    }

    private Experiment experiment(String id) {
        Experiment e = experiments.get(id);
        if (e == null) {
            throw new ApiError(404, "ResourceNotFoundException", "Experiment " + id + " not found.");
        }
        return e;
    }

    /** How many experiments are active now. Call holding the lab lock. */
    long activeExperiments() {
        return experiments.values().stream()
                .filter(e -> ACTIVE.contains(e.status))
                .count();
    }

    // ------------------------------------------------------------------ helpers

    private record Page(int from, int to, java.util.Optional<String> next) {}

    private static Page page(Map<String, String> query, int size) {
        int max = 100;
        if (query.containsKey("maxResults")) {
            try {
                max = Integer.parseInt(query.get("maxResults"));
            } catch (NumberFormatException e) {
                max = -1;
            }
            if (max < 1 || max > 100) {
                throw invalid("1 validation error detected: Value '" + query.get("maxResults")
                        + "' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 100");
            }
        }
        int from = 0;
        String token = query.get("nextToken");
        if (token != null) {
            try {
                from = Integer.parseInt(new String(Base64.getUrlDecoder().decode(token)).replace("page-", ""));
            } catch (IllegalArgumentException e) {
                throw invalid("The nextToken '" + token + "' is invalid; pass the nextToken of the previous page");
            }
        }
        from = Math.min(Math.max(from, 0), size);
        int to = Math.min(size, from + max);
        java.util.Optional<String> next = to < size
                ? java.util.Optional.of(Base64.getUrlEncoder().encodeToString(("page-" + to).getBytes()))
                : java.util.Optional.empty();
        return new Page(from, to, next);
    }

    static List<Map.Entry<String, JsonNode>> fields(JsonNode n) {
        List<Map.Entry<String, JsonNode>> out = new ArrayList<>();
        n.fields().forEachRemaining(out::add);
        return out;
    }

    static String requiredText(JsonNode req, String field) {
        JsonNode v = req.path(field);
        if (v.isMissingNode() || v.isNull()) {
            throw notNull(field);
        }
        if (!v.isTextual() || v.asText().isEmpty()) {
            throw constraint(field, v.asText(), "Member must be a non-empty string");
        }
        return v.asText();
    }

    static ApiError notNull(String field) {
        return invalid("1 validation error detected: Value null at '" + field
                + "' failed to satisfy constraint: Member must not be null");
    }

    static ApiError constraint(String field, String value, String rule) {
        return invalid("1 validation error detected: Value '" + value + "' at '" + field
                + "' failed to satisfy constraint: " + rule);
    }

    static ApiError invalid(String message) {
        return new ApiError(400, "ValidationException", message);
    }

    // ------------------------------------------------------------------ model

    /** A stored template: the validated request and its identity. */
    private static final class Template {
        final String id;
        final String arn;
        final JsonNode req;
        final Instant created;
        final ObjectNode tags;

        Template(String id, String arn, JsonNode req, Instant created) {
            this.id = id;
            this.arn = arn;
            this.req = req.deepCopy();
            this.created = created;
            this.tags = req.path("tags").isObject() ? ((ObjectNode) req.get("tags")).deepCopy() : NODES.objectNode();
        }

        ObjectNode json() {
            ObjectNode o = NODES.objectNode();
            o.put("id", id)
                    .put("arn", arn)
                    .put("description", req.path("description").asText());
            o.set("targets", req.path("targets").isObject() ? req.get("targets").deepCopy() : NODES.objectNode());
            o.set("actions", req.get("actions").deepCopy());
            o.set("stopConditions", req.get("stopConditions").deepCopy());
            o.put("creationTime", Http.epoch(created)).put("lastUpdateTime", Http.epoch(created));
            o.put("roleArn", req.path("roleArn").asText());
            o.set("tags", tags.deepCopy());
            if (req.has("logConfiguration")) {
                o.set("logConfiguration", req.get("logConfiguration").deepCopy());
            }
            ObjectNode opts = o.putObject("experimentOptions");
            opts.put("accountTargeting", "single-account");
            opts.put(
                    "emptyTargetResolutionMode",
                    req.path("experimentOptions")
                            .path("emptyTargetResolutionMode")
                            .asText("fail"));
            if (req.has("experimentReportConfiguration")) {
                o.set(
                        "experimentReportConfiguration",
                        req.get("experimentReportConfiguration").deepCopy());
            }
            o.put("targetAccountConfigurationsCount", 0);
            return o;
        }
    }

    /** One action's run inside an experiment. */
    private static final class ActionRun {
        final String name;
        final JsonNode def;
        final String target;
        final Duration lead;
        final List<String> startAfter = new ArrayList<>();
        String status = "pending";
        String reason = "Initial state";
        Instant start;
        Instant end;
        int remaining;

        ActionRun(String name, JsonNode def) {
            this.name = name;
            this.def = def;
            this.target = def.path("targets").path("SpotInstances").asText();
            this.lead = Duration.parse(
                    def.path("parameters").path("durationBeforeInterruption").asText());
            def.path("startAfter").forEach(n -> startAfter.add(n.asText()));
        }

        void set(String status, String reason, Instant start, Instant end) {
            this.status = status;
            this.reason = reason;
            if (start != null) {
                this.start = start;
            }
            if (end != null) {
                this.end = end;
            }
        }

        boolean ended() {
            return Set.of("completed", "stopped", "failed", "cancelled", "skipped")
                    .contains(status);
        }

        ObjectNode json() {
            ObjectNode o = (ObjectNode) def.deepCopy();
            o.putObject("state").put("status", status).put("reason", reason);
            if (start != null) {
                o.put("startTime", Http.epoch(start));
            }
            if (end != null) {
                o.put("endTime", Http.epoch(end));
            }
            return o;
        }
    }

    /** One experiment and its state machine; guarded by the lab lock. */
    private final class Experiment {
        final String id;
        final String arn;
        final Template template;
        final String actionsMode;
        final Instant created;
        final ObjectNode tags;
        final Map<String, ActionRun> actions = new LinkedHashMap<>();
        final Map<String, List<String>> resolved = new LinkedHashMap<>();
        final List<Ec2Fleet.Instance> interrupting = new ArrayList<>();
        final List<ScheduledFuture<?>> futures = new ArrayList<>();
        String status = "pending";
        String reason = "Experiment is pending.";
        String errorCode;
        String errorLocation;
        Instant started;
        Instant ended;

        Experiment(String id, String arn, Template template, JsonNode req, String actionsMode, Instant created) {
            this.id = id;
            this.arn = arn;
            this.template = template;
            this.actionsMode = actionsMode;
            this.created = created;
            this.tags = req.path("tags").isObject() ? ((ObjectNode) req.get("tags")).deepCopy() : NODES.objectNode();
            fields(template.req.get("actions"))
                    .forEach(a -> actions.put(a.getKey(), new ActionRun(a.getKey(), a.getValue())));
        }

        void setState(String status, String reason) {
            LOG.debug("lab {}: experiment {} {}", ctx.labId, id, status);
            String oldStatus = this.status;
            String oldReason = this.reason;
            this.status = status;
            this.reason = reason;
            EventBus bus = events;
            if (bus != null && !oldStatus.equals(status)) {
                bus.experimentStateChanged(id, arn, template.id, status, reason, oldStatus, oldReason);
            }
        }

        void finish(String status, String reason, Instant at) {
            setState(status, reason);
            ended = at;
        }

        void fail(String status, String reason, String code, String location) {
            cancelPending(fleet);
            for (ActionRun a : actions.values()) {
                if (a.status.equals("running")) {
                    a.set(status.equals("failed") ? "failed" : "cancelled", reason, null, ctx.now());
                } else if (a.status.equals("pending")) {
                    a.set("cancelled", "Action was cancelled.", null, null);
                }
            }
            this.errorCode = code;
            this.errorLocation = location;
            finish(status, reason, ctx.now());
        }

        /**
         * StopExperiment: the scheduled steps end, and each interruption is taken back only if its instance-action
         * notice has not been sent yet. Whether AWS takes back an interruption whose notice is out is not documented,
         * so the lab assumes the worst: the instance is still interrupted at the notice's time.
         */
        void stopPending(Ec2Fleet f) {
            futures.forEach(x -> x.cancel(false));
            futures.clear();
            interrupting.removeIf(f::withdrawInterruption);
        }

        void cancelPending(Ec2Fleet f) {
            futures.forEach(x -> x.cancel(false));
            futures.clear();
            interrupting.forEach(f::cancelInterruption);
            interrupting.clear();
        }

        ObjectNode stateJson() {
            ObjectNode s = NODES.objectNode().put("status", status).put("reason", reason);
            if (errorCode != null) {
                s.putObject("error")
                        .put("accountId", ctx.account())
                        .put("code", errorCode)
                        .put("location", errorLocation);
            }
            return s;
        }

        ObjectNode optionsJson() {
            return NODES.objectNode()
                    .put("accountTargeting", "single-account")
                    .put(
                            "emptyTargetResolutionMode",
                            template.req
                                    .path("experimentOptions")
                                    .path("emptyTargetResolutionMode")
                                    .asText("fail"))
                    .put("actionsMode", actionsMode);
        }

        ObjectNode json() {
            ObjectNode o = NODES.objectNode();
            o.put("id", id).put("arn", arn).put("experimentTemplateId", template.id);
            o.put("roleArn", template.req.path("roleArn").asText());
            o.set("state", stateJson());
            o.set(
                    "targets",
                    template.req.path("targets").isObject()
                            ? template.req.get("targets").deepCopy()
                            : NODES.objectNode());
            ObjectNode acts = o.putObject("actions");
            actions.forEach((n, a) -> acts.set(n, a.json()));
            o.set("stopConditions", template.req.get("stopConditions").deepCopy());
            o.put("creationTime", Http.epoch(created));
            o.put("startTime", Http.epoch(created));
            if (ended != null) {
                o.put("endTime", Http.epoch(ended));
            }
            o.set("tags", tags.deepCopy());
            if (template.req.has("logConfiguration")) {
                o.set("logConfiguration", template.req.get("logConfiguration").deepCopy());
            }
            o.set("experimentOptions", optionsJson());
            o.put("targetAccountConfigurationsCount", 0);
            return o;
        }
    }
}
