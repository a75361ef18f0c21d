package dev.spotdrill.cli.account;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.spotdrill.core.SpotDrillConfig;
import dev.spotdrill.core.check.KubePermission;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The CI templates ({@code ci/nightly/*.yml}, {@code ci/k8s/*.yaml}) parse, name only settings the README documents,
 * hold no secret values, and the RBAC manifests grant exactly what {@code spotdrill doctor} checks.
 */
class CiTemplatesTest {
    static final Path ROOT = Path.of("..", "..");
    private static final YAMLMapper YAML = new YAMLMapper();
    private static final Pattern SETTING =
            Pattern.compile("(?:(?<=-D)|(?<![\\w.$/-]))spotdrill\\.[a-zA-Z]+(?:\\.[a-zA-Z]+)*");
    private static final Pattern ENV = Pattern.compile("(?<![\\w])SPOTDRILL_[A-Z0-9_]*[A-Z0-9]");
    private static final List<Pattern> SECRETS = List.of(
            Pattern.compile("(?<![A-Z0-9])(AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])"), // an AWS access key id
            Pattern.compile("hooks\\.slack\\.com/services/[A-Za-z0-9]"), // a Slack webhook
            Pattern.compile("xox[abposr]-[A-Za-z0-9-]{10,}"), // a Slack token
            Pattern.compile("-----BEGIN [A-Z ]*PRIVATE KEY-----"),
            Pattern.compile("(?i)aws_secret_access_key\\s*[:=]\\s*[A-Za-z0-9/+]{20,}"));

    static List<Path> templates() throws IOException {
        List<Path> out = new ArrayList<>();
        for (String dir : List.of("ci/nightly", "ci/k8s")) {
            try (Stream<Path> files = Files.list(ROOT.resolve(dir))) {
                files.filter(p -> p.toString().endsWith(".yml") || p.toString().endsWith(".yaml"))
                        .sorted()
                        .forEach(out::add);
            }
        }
        return out;
    }

    static List<JsonNode> documents(Path file) throws IOException {
        try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(file.toFile())) {
            return it.readAll().stream().filter(n -> n != null && !n.isNull()).toList();
        }
    }

    static List<JsonNode> k8s(String kind) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (Path p : templates()) {
            if (p.getParent().endsWith("k8s")) {
                documents(p).stream()
                        .filter(d -> d.path("kind").asText().equals(kind))
                        .forEach(out::add);
            }
        }
        return out;
    }

    /** Every key and variable the README's tables name, with each key's variable names. */
    static Set<String> documentedSettings() throws IOException {
        Set<String> out = new TreeSet<>();
        for (String line : Files.readAllLines(ROOT.resolve("README.md"), StandardCharsets.UTF_8)) {
            if (!line.startsWith("| `")) {
                continue;
            }
            String first = line.substring(0, line.indexOf('|', 1));
            Matcher m = SETTING.matcher(first);
            while (m.find()) {
                out.add(m.group());
                out.addAll(SpotDrillConfig.envNames(m.group()));
            }
            Matcher e = ENV.matcher(first);
            while (e.find()) {
                out.add(e.group());
            }
        }
        return out;
    }

    /** The settings a text names that the README does not document. */
    static Set<String> unknownSettings(String text, Set<String> known) {
        Set<String> unknown = new TreeSet<>();
        for (Pattern p : List.of(SETTING, ENV)) {
            Matcher m = p.matcher(text);
            while (m.find()) {
                if (!known.contains(m.group())) {
                    unknown.add(m.group());
                }
            }
        }
        return unknown;
    }

    /** The secret-looking values in a text. */
    static List<String> secrets(String text) {
        List<String> found = new ArrayList<>();
        for (Pattern p : SECRETS) {
            Matcher m = p.matcher(text);
            while (m.find()) {
                found.add(m.group());
            }
        }
        return found;
    }

    @Test
    void everyTemplateParses() throws IOException {
        List<Path> files = templates();
        assertThat(files)
                .extracting(p -> p.getFileName().toString())
                .contains(
                        "github-nightly.yml",
                        "gitlab-nightly.yml",
                        "namespace-and-serviceaccount.yaml",
                        "rbac.yaml",
                        "configmap.yaml",
                        "cronjob.yaml");
        for (Path p : files) {
            List<JsonNode> docs = documents(p);
            assertThat(docs).as("%s", p).isNotEmpty();
            if (p.getParent().endsWith("k8s")) {
                for (JsonNode d : docs) {
                    assertThat(d.path("apiVersion").asText())
                            .as("%s: apiVersion", p)
                            .isNotBlank();
                    assertThat(d.path("kind").asText()).as("%s: kind", p).isNotBlank();
                    assertThat(d.path("metadata").path("name").asText())
                            .as("%s: metadata.name", p)
                            .isNotBlank();
                }
            }
        }
        assertThat(documents(ROOT.resolve("ci/nightly/github-nightly.yml"))
                        .get(0)
                        .path("jobs")
                        .path("drill")
                        .path("steps")
                        .size())
                .isPositive();
    }

    @Test
    void theTemplatesNameOnlyDocumentedSettings() throws IOException {
        Set<String> known = documentedSettings();
        assertThat(known).contains("spotdrill.guard.accounts", "SPOTDRILL_GUARD_ACCOUNTS", "SPOTDRILL_REPORT_URL");
        for (Path p : templates()) {
            assertThat(unknownSettings(Files.readString(p), known))
                    .as("settings %s names that the README's configuration tables do not", p)
                    .isEmpty();
        }
        // the check itself catches a misspelt key and variable
        assertThat(unknownSettings("-Dspotdrill.guard.acounts=1 SPOTDRILL_IMDS_VIAA=x dev.spotdrill.core.World", known))
                .containsExactly("SPOTDRILL_IMDS_VIAA", "spotdrill.guard.acounts");
        // the ConfigMap's keys are settings' variables, every one
        JsonNode data = k8s("ConfigMap").get(0).path("data");
        data.fieldNames()
                .forEachRemaining(
                        k -> assertThat(known).as("ConfigMap key %s", k).contains(k));
    }

    @Test
    void theTemplatesHoldNoSecretValues() throws IOException {
        for (Path p : templates()) {
            assertThat(secrets(Files.readString(p)))
                    .as("secret-looking values in %s", p)
                    .isEmpty();
        }
        // a secret variable only ever comes from a Secret, never a literal value
        for (JsonNode job : k8s("CronJob")) {
            for (JsonNode c : job.path("spec")
                    .path("jobTemplate")
                    .path("spec")
                    .path("template")
                    .path("spec")
                    .path("containers")) {
                for (JsonNode env : c.path("env")) {
                    String name = env.path("name").asText();
                    if (name.matches(".*(KEY|WEBHOOK|TOKEN|SECRET|PASSWORD).*")) {
                        assertThat(env.has("value"))
                                .as("%s has a literal value", name)
                                .isFalse();
                        assertThat(env.path("valueFrom")
                                        .path("secretKeyRef")
                                        .path("name")
                                        .asText())
                                .as("%s comes from a Secret", name)
                                .isEqualTo("spotdrill-secrets");
                    }
                }
            }
        }
        // the check itself finds what it looks for
        assertThat(secrets("key: AKIAIOSFODNN7EXAMPLE\nurl: https://hooks.slack.com/services/T000/B000/XXXX"))
                .containsExactly("AKIAIOSFODNN7EXAMPLE", "hooks.slack.com/services/T");
    }

    /** {@code group|resource[/sub]|verb} for each rule of the RBAC kind. */
    static Set<String> granted(String kind) throws IOException {
        Set<String> out = new TreeSet<>();
        for (JsonNode role : k8s(kind)) {
            for (JsonNode rule : role.path("rules")) {
                for (JsonNode g : rule.path("apiGroups")) {
                    for (JsonNode r : rule.path("resources")) {
                        for (JsonNode v : rule.path("verbs")) {
                            out.add(g.asText() + "|" + r.asText() + "|" + v.asText());
                        }
                    }
                }
            }
        }
        return out;
    }

    static Set<String> required(boolean clusterWide) {
        Set<String> out = new TreeSet<>();
        for (KubePermission p : KubePermission.REQUIRED) {
            if (p.clusterWide() == clusterWide) {
                p.verbs().forEach(v -> out.add(p.group() + "|" + p.ruleResource() + "|" + v));
            }
        }
        return out;
    }

    @Test
    void theRbacGrantsExactlyWhatDoctorChecks() throws IOException {
        assertThat(granted("Role")).isEqualTo(required(false));
        assertThat(granted("ClusterRole")).isEqualTo(required(true));
        // the Role is where the probe pods run (the world's namespace, default), and both bind the CronJob's account
        JsonNode role = k8s("Role").get(0);
        assertThat(role.path("metadata").path("namespace").asText()).isEqualTo("default");
        JsonNode sa = k8s("ServiceAccount").get(0);
        String account = sa.path("metadata").path("name").asText();
        String namespace = sa.path("metadata").path("namespace").asText();
        assertThat(sa.path("metadata")
                        .path("annotations")
                        .path("eks.amazonaws.com/role-arn")
                        .asText())
                .isEqualTo("arn:aws:iam::<ACCOUNT_ID>:role/<RUNNER_ROLE_NAME>");
        for (String kind : List.of("RoleBinding", "ClusterRoleBinding")) {
            JsonNode b = k8s(kind).get(0);
            assertThat(b.path("subjects").get(0).path("name").asText()).as(kind).isEqualTo(account);
            assertThat(b.path("subjects").get(0).path("namespace").asText())
                    .as(kind)
                    .isEqualTo(namespace);
        }
        assertThat(k8s("RoleBinding").get(0).path("roleRef").path("name").asText())
                .isEqualTo(role.path("metadata").path("name").asText());
        assertThat(k8s("ClusterRoleBinding").get(0).path("roleRef").path("name").asText())
                .isEqualTo(
                        k8s("ClusterRole").get(0).path("metadata").path("name").asText());
        JsonNode pod = k8s("CronJob")
                .get(0)
                .path("spec")
                .path("jobTemplate")
                .path("spec")
                .path("template");
        assertThat(pod.path("spec").path("serviceAccountName").asText()).isEqualTo(account);
        assertThat(k8s("CronJob").get(0).path("metadata").path("namespace").asText())
                .isEqualTo(namespace);
    }
}
