package dev.spotdrill.junit;

import static org.awaitility.Awaitility.await;

import dev.spotdrill.lab.LabOptions;
import dev.spotdrill.lab.SpotLab;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.opentest4j.MultipleFailuresError;

/** What the blacklist tests share: a shop lab whose blacklister runs only when a drill runs it, and their misses. */
final class BlacklistTests {
    static final String NAMESPACE = "cast-ai";
    static final String CRONJOB = "spot-blacklist";
    static final String MATCHES = "@ExpectBlacklistMatchesAdvisor(os=\"Linux\", threshold=10)";
    static final String RUN = "@RunCronJob(\"cast-ai/spot-blacklist\")";
    static final String BLACKLISTED =
            "@ExpectBlacklisted(instanceTypes={\"c5.large\", \"m5a.large\"}, lifecycle=\"spot\", minExpiry=\"PT4H\")";
    static final String NOT_BLACKLISTED =
            "@ExpectNotBlacklisted(instanceTypes={\"m5.large\", \"t3.large\", \"m6i.large\"}, lifecycle=\"spot\")";

    private BlacklistTests() {}

    /**
     * The shop lab with its blacklister's CronJob suspended: its schedule fires every 6 h of world time, which may be
     * any moment of a test run, and a blacklist filled by it would hide what a drill's own Job did.
     */
    static SpotLab lab(double pace) {
        SpotLab lab =
                SpotLab.start(LabOptions.builder().scenario("shop").pace(pace).build());
        // the lab's CronJob controller may update the CronJob's status meanwhile (409): edit until it sticks
        await("CronJob " + NAMESPACE + "/" + CRONJOB + " suspended")
                .atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(50))
                .ignoreExceptionsInstanceOf(KubernetesClientException.class)
                .until(() -> lab.cluster()
                        .orElseThrow()
                        .client()
                        .batch()
                        .v1()
                        .cronjobs()
                        .inNamespace(NAMESPACE)
                        .withName(CRONJOB)
                        .edit(cj -> {
                            cj.getSpec().setSuspend(true);
                            return cj;
                        })
                        .getSpec()
                        .getSuspend());
        return lab;
    }

    /** Faults off, the blacklist empty: each drill starts from the same state. */
    static void quiet(SpotLab lab) {
        lab.faults().clearAll();
        lab.castAi().clear();
    }

    /** The misses of the fixture's one test, by expectation name; empty when it passed. */
    static Map<String, String> misses(EngineExecutionResults results) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Throwable t : EngineRuns.failures(results).values()) {
            List<? extends Throwable> all = t instanceof MultipleFailuresError m ? m.getFailures() : List.of(t);
            for (Throwable f : all) {
                String m = f.getMessage();
                int at = m.indexOf(" missed for ");
                out.put(at < 0 ? m : m.substring(0, at), m);
            }
        }
        return out;
    }

    /** The whole failure of the fixture's one test (with the drill's timeline), or empty when it passed. */
    static String failure(EngineExecutionResults results) {
        return EngineRuns.failures(results).values().stream()
                .map(Throwable::getMessage)
                .findFirst()
                .orElse("");
    }

    /** The Jobs in the blacklister's namespace, any drill's or the schedule's. */
    static List<Job> jobs(SpotLab lab) {
        return lab.cluster()
                .orElseThrow()
                .client()
                .batch()
                .v1()
                .jobs()
                .inNamespace(NAMESPACE)
                .list()
                .getItems();
    }
}
