package dev.spotdrill.allure;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.spotdrill.core.Redactor;
import dev.spotdrill.core.World;
import dev.spotdrill.core.drill.FisCost;
import io.qameta.allure.util.PropertiesUtils;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Writes the report-level files of an Allure results directory: {@code environment.properties},
 * {@code categories.json} and, on GitHub Actions or GitLab CI, {@code executor.json}.
 *
 * <p>All values are redacted. Each file is written whole, through a temporary file, so that parallel test JVMs
 * writing the same directory never leave half a file.
 */
public final class AllureResultsFiles {
    /** The categories that spotdrill sorts failures into, by name. */
    public static final String DEADLINE_MISSED = "Deadline missed";

    public static final String GUARDRAIL_REFUSED = "Guardrail refused";
    public static final String FIS_EXPERIMENT_FAILED = "FIS experiment failed";
    public static final String INFRASTRUCTURE_ERROR = "Infrastructure error";

    static final String GUARDRAIL_REGEX = "(?s).*Guardrail refused.*";
    static final String FIS_REGEX = "(?s).*\\b[Ee]xperiment \\S+ (?:\\S+ )?(?:failed|cancelled)\\b.*";
    static final String MISSED_REGEX = "(?s)(?!.*Guardrail refused).*\\bmissed\\b.*";
    static final String INFRASTRUCTURE_REGEX =
            "(?s)(?!.*Guardrail refused)(?!.*\\b[Ee]xperiment \\S+ (?:\\S+ )?(?:failed|cancelled)\\b).*";

    private static final Set<Path> WRITTEN = ConcurrentHashMap.newKeySet();
    /** Per results directory: the night's action-minutes and the drills that ran an experiment. */
    private static final Map<Path, long[]> NIGHT = new java.util.HashMap<>();

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private AllureResultsFiles() {}

    /**
     * The Allure results directory, resolved as Allure itself does: the {@code allure.results.directory} system
     * property or {@code allure.properties} entry, else {@code allure-results}.
     */
    public static Path resultsDirectory() {
        return Path.of(
                PropertiesUtils.loadAllureProperties().getProperty("allure.results.directory", "allure-results"));
    }

    /** The harness version, from the build, or {@code unknown}. */
    public static String harnessVersion() {
        try (InputStream in = AllureResultsFiles.class.getResourceAsStream("spotdrill.properties")) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                String v = p.getProperty("version", "");
                if (!v.isBlank() && !v.contains("${")) {
                    return v;
                }
            }
        } catch (IOException e) {
            // fall through
        }
        return Optional.ofNullable(AllureResultsFiles.class.getPackage().getImplementationVersion())
                .orElse("unknown");
    }

    /**
     * Writes every report-level file into the directory, once per directory and JVM; later calls do nothing.
     *
     * @return whether this call wrote them
     */
    public static boolean writeOnce(Path resultsDirectory, World world) {
        return writeOnce(resultsDirectory, world, System::getenv);
    }

    static boolean writeOnce(Path resultsDirectory, World world, Function<String, String> env) {
        if (!WRITTEN.add(resultsDirectory.toAbsolutePath().normalize())) {
            return false;
        }
        writeEnvironment(resultsDirectory, world);
        writeCategories(resultsDirectory);
        writeExecutor(resultsDirectory, env);
        return true;
    }

    /** Writes {@code environment.properties}: world, region, pace, harness version, Java, and the world's facts. */
    public static void writeEnvironment(Path resultsDirectory, World world) {
        writeEnvironment(resultsDirectory, world, Map.of());
    }

    /**
     * Adds a drill's FIS cost to the night's total of this JVM and directory, and rewrites {@code environment.properties}
     * with it: {@code fis.cost} (US dollars), {@code fis.actionMinutes} and {@code fis.drills} (the drills counted). A
     * suite split over several JVMs writing one directory shows the last JVM's total.
     */
    public static void addCost(Path resultsDirectory, World world, FisCost cost) {
        Path key = resultsDirectory.toAbsolutePath().normalize();
        long[] night;
        synchronized (NIGHT) {
            night = NIGHT.computeIfAbsent(key, k -> new long[2]);
            night[0] += cost.actionMinutes();
            night[1]++;
            Map<String, String> extra = new LinkedHashMap<>();
            extra.put(
                    "fis.cost",
                    FisCost.dollars(FisCost.PRICE_PER_ACTION_MINUTE.multiply(java.math.BigDecimal.valueOf(night[0]))));
            extra.put("fis.actionMinutes", Long.toString(night[0]));
            extra.put("fis.drills", Long.toString(night[1]));
            writeEnvironment(resultsDirectory, world, extra);
        }
    }

    private static void writeEnvironment(Path resultsDirectory, World world, Map<String, String> extra) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("world", world.name());
        env.put("region", world.region());
        env.put("pace", number(world.clock().pace()));
        env.put("spotdrill.version", harnessVersion());
        env.put("java.version", System.getProperty("java.version", "unknown"));
        world.facts().forEach(env::putIfAbsent);
        env.putAll(extra);
        StringBuilder sb = new StringBuilder();
        env.forEach((k, v) -> sb.append(escapeProperty(Redactor.redact(k), true))
                .append('=')
                .append(escapeProperty(Redactor.redact(v == null ? "" : v), false))
                .append('\n'));
        write(resultsDirectory.resolve("environment.properties"), sb.toString());
    }

    /** Writes {@code categories.json}: deadline missed, guardrail refused, FIS experiment failed, infrastructure error. */
    public static void writeCategories(Path resultsDirectory) {
        write(resultsDirectory.resolve("categories.json"), json(categories()));
    }

    /**
     * Writes {@code executor.json} when the environment is GitHub Actions ({@code GITHUB_ACTIONS=true}) or GitLab
     * CI ({@code GITLAB_CI=true}).
     *
     * @return whether it was written
     */
    public static boolean writeExecutor(Path resultsDirectory, Function<String, String> env) {
        Optional<Map<String, Object>> executor = executor(env);
        executor.ifPresent(e -> write(resultsDirectory.resolve("executor.json"), json(e)));
        return executor.isPresent();
    }

    static List<Map<String, Object>> categories() {
        List<Map<String, Object>> out = new ArrayList<>();
        out.add(category(GUARDRAIL_REFUSED, List.of("failed", "broken"), GUARDRAIL_REGEX));
        out.add(category(FIS_EXPERIMENT_FAILED, List.of("failed", "broken"), FIS_REGEX));
        out.add(category(DEADLINE_MISSED, List.of("failed"), MISSED_REGEX));
        out.add(category(INFRASTRUCTURE_ERROR, List.of("broken"), INFRASTRUCTURE_REGEX));
        return out;
    }

    private static Map<String, Object> category(String name, List<String> statuses, String regex) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("name", name);
        c.put("matchedStatuses", statuses);
        c.put("messageRegex", regex);
        return c;
    }

    static Optional<Map<String, Object>> executor(Function<String, String> env) {
        Map<String, Object> e = new LinkedHashMap<>();
        if ("true".equalsIgnoreCase(env.apply("GITHUB_ACTIONS"))) {
            String server = orElse(env.apply("GITHUB_SERVER_URL"), "https://github.com");
            String repo = env.apply("GITHUB_REPOSITORY");
            String run = env.apply("GITHUB_RUN_NUMBER");
            e.put("name", "GitHub Actions");
            e.put("type", "github");
            putIf(e, "url", repo == null ? server : server + "/" + repo);
            putIf(e, "buildOrder", number(run));
            putIf(e, "buildName", join(env.apply("GITHUB_WORKFLOW"), run == null ? null : "#" + run));
            String runId = env.apply("GITHUB_RUN_ID");
            putIf(e, "buildUrl", repo == null || runId == null ? null : server + "/" + repo + "/actions/runs/" + runId);
        } else if ("true".equalsIgnoreCase(env.apply("GITLAB_CI"))) {
            String iid = env.apply("CI_PIPELINE_IID");
            e.put("name", "GitLab CI");
            e.put("type", "gitlab");
            putIf(e, "url", orElse(env.apply("CI_PROJECT_URL"), env.apply("CI_SERVER_URL")));
            putIf(e, "buildOrder", number(iid));
            putIf(e, "buildName", join(env.apply("CI_PROJECT_NAME"), iid == null ? null : "pipeline #" + iid));
            putIf(e, "buildUrl", orElse(env.apply("CI_PIPELINE_URL"), env.apply("CI_JOB_URL")));
        } else {
            return Optional.empty();
        }
        e.put("reportName", "spotdrill");
        return Optional.of(e);
    }

    private static Object number(String s) {
        if (s == null) {
            return null;
        }
        try {
            return Long.parseLong(s.trim());
        } catch (NumberFormatException ex) {
            return null;
        }
    }

    private static void putIf(Map<String, Object> m, String key, Object value) {
        if (value instanceof String s) {
            if (!s.isBlank()) {
                m.put(key, Redactor.redact(s));
            }
        } else if (value != null) {
            m.put(key, value);
        }
    }

    private static String join(String a, String b) {
        if (a == null || a.isBlank()) {
            return b;
        }
        return b == null ? a : a + " " + b;
    }

    private static String orElse(String a, String b) {
        return a == null || a.isBlank() ? b : a;
    }

    static String number(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : String.valueOf(d);
    }

    static String json(Object value) {
        try {
            return Redactor.redact(JSON.writeValueAsString(value));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String escapeProperty(String s, boolean key) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '=', ':', '#', '!' -> sb.append('\\').append(c);
                case ' ' -> sb.append(key || i == 0 ? "\\ " : " ");
                default -> {
                    if (c < 0x20 || c > 0x7e) {
                        sb.append(String.format(java.util.Locale.ROOT, "\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.toString();
    }

    static void write(Path file, String content) {
        try {
            Path dir = file.toAbsolutePath().getParent();
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
            Files.writeString(tmp, content, StandardCharsets.UTF_8);
            try {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not write " + file + ": " + e.getMessage(), e);
        }
    }
}
