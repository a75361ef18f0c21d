package dev.spotdrill.lab;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * IAM (query protocol, Version 2010-05-08, a global service): the role calls core makes. Roles remember
 * their creation world time, so that FIS can refuse a role that IAM has not yet propagated.
 */
final class IamApi extends QueryApi {
    private static final String NS = "https://iam.amazonaws.com/doc/2010-05-08/";
    private static final Pattern ROLE_NAME = Pattern.compile("[\\w+=,.@-]{1,64}");
    private static final Pattern POLICY_NAME = Pattern.compile("[\\w+=,.@-]{1,128}");
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String FIS_TRUST = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
            + "\"Principal\":{\"Service\":\"fis.amazonaws.com\"},\"Action\":\"sts:AssumeRole\"}]}";
    /** The inline policy a scenario's role has: Spot interruptions only on instances tagged spotdrill/allowed=true. */
    static final String SCENARIO_POLICY_NAME = "spotdrill-send-spot-instance-interruptions";

    static final String SCENARIO_POLICY = "{\"Version\":\"2012-10-17\",\"Statement\":["
            + "{\"Sid\":\"InterruptOptedInSpotInstances\",\"Effect\":\"Allow\","
            + "\"Action\":\"ec2:SendSpotInstanceInterruptions\",\"Resource\":\"arn:aws:ec2:*:*:instance/*\","
            + "\"Condition\":{\"StringEquals\":{\"aws:ResourceTag/spotdrill/allowed\":\"true\"}}},"
            + "{\"Sid\":\"DescribeInstances\",\"Effect\":\"Allow\",\"Action\":\"ec2:DescribeInstances\","
            + "\"Resource\":\"*\"}]}";
    private static final Pattern ROLE_ARN =
            Pattern.compile("arn:aws[a-z-]*:iam::(\\d{12}):role/(?:[^\\s]*/)?([\\w+=,.@-]{1,64})");

    private final Map<String, Role> roles = new LinkedHashMap<>();

    IamApi(LabContext ctx) {
        super(ctx, "iam", "2010-05-08");
        Instant before = ctx.now().minus(Duration.ofDays(1));
        for (String name : ctx.scenario.roles()) {
            Role r = new Role(name, "/", FIS_TRUST, "", before, "AROA" + ctx.alnum(17));
            r.refusals.set(Integer.MAX_VALUE); // long propagated: iam.propagation-refusals never applies
            r.policies.put(SCENARIO_POLICY_NAME, SCENARIO_POLICY);
            roles.put(name, r);
        }
    }

    /** A role, for FIS's role check. Call holding the lab lock. */
    Optional<Role> role(String name) {
        return Optional.ofNullable(roles.get(name));
    }

    /**
     * Whether the role's policies allow the action on the resource, given the resource's tags (as
     * {@code aws:ResourceTag/<key>}). Call holding the lab lock.
     */
    LabPolicies.Result evaluate(Role role, String action, String resource, Map<String, String> resourceTags) {
        return LabPolicies.evaluate(role.policies, action, resource, LabPolicies.resourceTags(resourceTags));
    }

    @Override
    Result dispatch(String action, Map<String, String> p) {
        return switch (action) {
            case "SimulatePrincipalPolicy" -> simulate(p);
            case "CreateRole" -> createRole(p);
            case "GetRole" -> {
                Role r = existing(required(p, "RoleName"));
                yield result(action, "<Role>" + r.xml(ctx.account()) + "</Role>", r.name);
            }
            case "DeleteRole" -> {
                Role r = existing(required(p, "RoleName"));
                if (!r.policies.isEmpty()) {
                    throw new ApiError(409, "DeleteConflict", "Cannot delete entity, must delete policies first.");
                }
                roles.remove(r.name);
                yield result(action, null, r.name);
            }
            case "PutRolePolicy" -> {
                Role r = existing(required(p, "RoleName"));
                String policy = policyName(p);
                String doc = policyDocument(p, "PolicyDocument");
                r.policies.put(policy, doc);
                yield result(action, null, r.name);
            }
            case "GetRolePolicy" -> {
                Role r = existing(required(p, "RoleName"));
                String policy = policyName(p);
                String doc = r.policies.get(policy);
                if (doc == null) {
                    throw new ApiError(
                            404, "NoSuchEntity", "The role policy with name " + policy + " cannot be found.");
                }
                yield result(
                        action,
                        "<RoleName>" + Http.xml(r.name) + "</RoleName><PolicyName>" + Http.xml(policy)
                                + "</PolicyName><PolicyDocument>" + Http.xml(urlEncode(doc)) + "</PolicyDocument>",
                        r.name);
            }
            case "DeleteRolePolicy" -> {
                Role r = existing(required(p, "RoleName"));
                String policy = policyName(p);
                if (r.policies.remove(policy) == null) {
                    throw new ApiError(
                            404, "NoSuchEntity", "The role policy with name " + policy + " cannot be found.");
                }
                yield result(action, null, r.name);
            }
            case "ListRolePolicies" -> {
                Role r = existing(required(p, "RoleName"));
                StringBuilder names = new StringBuilder("<PolicyNames>");
                r.policies.keySet().forEach(n -> names.append("<member>")
                        .append(Http.xml(n))
                        .append("</member>"));
                names.append("</PolicyNames><IsTruncated>false</IsTruncated>");
                yield result(action, names.toString(), r.name);
            }
            case "TagRole" -> {
                Role r = existing(required(p, "RoleName"));
                r.tags.putAll(tags(p));
                yield result(action, null, r.name);
            }
            case "ListRoleTags" -> {
                Role r = existing(required(p, "RoleName"));
                yield result(action, "<Tags>" + r.tagsXml() + "</Tags><IsTruncated>false</IsTruncated>", r.name);
            }
            default -> throw unknownAction(action);
        };
    }

    private Result createRole(Map<String, String> p) {
        String name = required(p, "RoleName");
        if (!ROLE_NAME.matcher(name).matches()) {
            throw new ApiError(
                    400,
                    "ValidationError",
                    "1 validation error detected: Value '" + name
                            + "' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern:"
                            + " [\\w+=,.@-]+");
        }
        String trust = policyDocument(p, "AssumeRolePolicyDocument");
        if (roles.containsKey(name)) {
            throw new ApiError(409, "EntityAlreadyExists", "Role with name " + name + " already exists.");
        }
        String path = p.getOrDefault("Path", "/");
        Role r = new Role(name, path, trust, p.getOrDefault("Description", ""), ctx.now(), "AROA" + ctx.alnum(17));
        r.tags.putAll(tags(p));
        roles.put(name, r);
        return result("CreateRole", "<Role>" + r.xml(ctx.account()) + "</Role>", name);
    }

    /**
     * SimulatePrincipalPolicy for a role: each action on each resource (default {@code *}) with the context entries
     * given, evaluated over the role's inline policies.
     */
    private Result simulate(Map<String, String> p) {
        String source = required(p, "PolicySourceArn");
        java.util.regex.Matcher m = ROLE_ARN.matcher(source);
        if (!m.matches()) {
            throw new ApiError(
                    400,
                    "InvalidInput",
                    "Invalid ARN " + source + ": the lab simulates the policies of roles only (arn:aws:iam::<account>"
                            + ":role/<name>)");
        }
        Role r = existing(m.group(2));
        if (!m.group(1).equals(ctx.account()) || !r.arn(ctx.account()).equals(source)) {
            throw new ApiError(404, "NoSuchEntity", "The role with name " + m.group(2) + " cannot be found.");
        }
        java.util.List<String> actions = members(p, "ActionNames");
        if (actions.isEmpty()) {
            throw new ApiError(400, "MissingParameter", "The request must contain the parameter ActionNames.");
        }
        java.util.List<String> resources = members(p, "ResourceArns");
        if (resources.isEmpty()) {
            resources = java.util.List.of("*");
        }
        Map<String, String> context = new LinkedHashMap<>();
        for (int n = 1; p.containsKey("ContextEntries.member." + n + ".ContextKeyName"); n++) {
            String key = p.get("ContextEntries.member." + n + ".ContextKeyName");
            java.util.List<String> values = members(p, "ContextEntries.member." + n + ".ContextKeyValues");
            String type = p.getOrDefault("ContextEntries.member." + n + ".ContextKeyType", "string");
            if (!java.util.Set.of("string", "stringList").contains(type)) {
                throw new ApiError(
                        400,
                        "InvalidInput",
                        "ContextKeyType " + type + " of " + key + " is not supported by the lab; use string");
            }
            if (!values.isEmpty()) {
                context.put(key, values.get(0));
            }
        }
        StringBuilder x = new StringBuilder("<IsTruncated>false</IsTruncated><EvaluationResults>");
        for (String action : actions) {
            for (String resource : resources) {
                LabPolicies.Result res = LabPolicies.evaluate(r.policies, action, resource, context);
                x.append("<member><EvalActionName>")
                        .append(Http.xml(action))
                        .append("</EvalActionName><EvalResourceName>")
                        .append(Http.xml(resource))
                        .append("</EvalResourceName><EvalDecision>")
                        .append(res.decision().wire)
                        .append("</EvalDecision><MatchedStatements>");
                for (String policy : res.matched()) {
                    x.append("<member><SourcePolicyId>")
                            .append(Http.xml(policy))
                            .append("</SourcePolicyId><SourcePolicyType>role</SourcePolicyType></member>");
                }
                x.append("</MatchedStatements><MissingContextValues>");
                for (String key : res.missingContext()) {
                    x.append("<member>").append(Http.xml(key)).append("</member>");
                }
                x.append("</MissingContextValues></member>");
            }
        }
        x.append("</EvaluationResults>");
        return result("SimulatePrincipalPolicy", x.toString(), r.name);
    }

    private static java.util.List<String> members(Map<String, String> p, String prefix) {
        java.util.List<String> out = new java.util.ArrayList<>();
        for (int n = 1; p.containsKey(prefix + ".member." + n); n++) {
            out.add(p.get(prefix + ".member." + n));
        }
        return out;
    }

    private Role existing(String name) {
        Role r = roles.get(name);
        if (r == null) {
            throw new ApiError(404, "NoSuchEntity", "The role with name " + name + " cannot be found.");
        }
        return r;
    }

    private static String policyName(Map<String, String> p) {
        String n = required(p, "PolicyName");
        if (!POLICY_NAME.matcher(n).matches()) {
            throw new ApiError(
                    400,
                    "ValidationError",
                    "1 validation error detected: Value '" + n
                            + "' at 'policyName' failed to satisfy constraint: Member must satisfy regular expression"
                            + " pattern: [\\w+=,.@-]+");
        }
        return n;
    }

    private static String policyDocument(Map<String, String> p, String key) {
        String doc = required(p, key);
        try {
            if (!JSON.readTree(doc).isObject()) {
                throw new IOException("not a JSON object");
            }
        } catch (IOException e) {
            throw new ApiError(400, "MalformedPolicyDocument", "This policy contains invalid Json");
        }
        return doc;
    }

    private static Map<String, String> tags(Map<String, String> p) {
        Map<String, String> out = new TreeMap<>();
        for (int n = 1; p.containsKey("Tags.member." + n + ".Key"); n++) {
            out.put(p.get("Tags.member." + n + ".Key"), p.getOrDefault("Tags.member." + n + ".Value", ""));
        }
        return out;
    }

    private static Result result(String action, String inner, String resource) {
        String res = inner == null ? "" : "<" + action + "Result>" + inner + "</" + action + "Result>";
        return new Result(
                "<" + action + "Response xmlns=\"" + NS + "\">" + res
                        + "<ResponseMetadata><RequestId>@@REQUEST_ID@@</RequestId></ResponseMetadata></" + action
                        + "Response>",
                resource);
    }

    static String urlEncode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    @Override
    String errorXml(ApiError e, String requestId) {
        return errorResponse(NS, e, requestId);
    }

    @Override
    ApiError authError(boolean missing) {
        return missing
                ? new ApiError(403, "MissingAuthenticationToken", "Request is missing Authentication Token")
                : new ApiError(403, "InvalidClientTokenId", "The security token included in the request is invalid.");
    }

    /** One IAM role; guarded by the lab lock. */
    static final class Role {
        final String name;
        final String path;
        final String trustPolicy;
        final String description;
        final Instant created;
        final String roleId;
        final Map<String, String> policies = new LinkedHashMap<>();
        final Map<String, String> tags = new TreeMap<>();
        /** How often FIS has refused this role as not yet propagated (fault iam.propagation-refusals). */
        final java.util.concurrent.atomic.AtomicInteger refusals = new java.util.concurrent.atomic.AtomicInteger();

        Role(String name, String path, String trustPolicy, String description, Instant created, String roleId) {
            this.name = name;
            this.path = path;
            this.trustPolicy = trustPolicy;
            this.description = description;
            this.created = created;
            this.roleId = roleId;
        }

        String arn(String account) {
            return "arn:aws:iam::" + account + ":role" + path + name;
        }

        boolean trusts(String servicePrincipal) {
            return trustPolicy.contains("\"" + servicePrincipal + "\"");
        }

        String xml(String account) {
            return "<Path>" + Http.xml(path) + "</Path><RoleName>" + Http.xml(name) + "</RoleName><RoleId>" + roleId
                    + "</RoleId><Arn>" + Http.xml(arn(account)) + "</Arn><CreateDate>" + Http.iso(created)
                    + "</CreateDate><AssumeRolePolicyDocument>" + Http.xml(urlEncode(trustPolicy))
                    + "</AssumeRolePolicyDocument>"
                    + (description.isEmpty() ? "" : "<Description>" + Http.xml(description) + "</Description>")
                    + "<MaxSessionDuration>3600</MaxSessionDuration>"
                    + (tags.isEmpty() ? "" : "<Tags>" + tagsXml() + "</Tags>");
        }

        String tagsXml() {
            StringBuilder sb = new StringBuilder();
            tags.forEach((k, v) -> sb.append("<member><Key>")
                    .append(Http.xml(k))
                    .append("</Key><Value>")
                    .append(Http.xml(v))
                    .append("</Value></member>"));
            return sb.toString();
        }
    }
}
