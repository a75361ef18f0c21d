package dev.spotdrill.allure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotdrill.core.drill.DrillInfo;
import dev.spotdrill.core.drill.DrillReport;
import dev.spotdrill.core.drill.Phase;
import io.qameta.allure.AllureLifecycle;
import io.qameta.allure.model.Parameter;
import io.qameta.allure.model.StepResult;
import io.qameta.allure.model.TestResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each drill's FIS cost in its Allure test, and the night's total in environment.properties. */
class AllureCostTest {
    @TempDir
    Path results;

    private final Drills.MemoryWriter writer = new Drills.MemoryWriter();
    private final AllureLifecycle allure = new AllureLifecycle(writer);

    private static final String EXPERIMENT = "{\"id\":\"EXP456\",\"state\":{\"status\":\"completed\"},"
            + "\"targets\":{\"spot-instances-1\":{\"resourceArns\":[\"arn:aws:ec2:us-east-1:123456789012:instance/i-0abc\","
            + "\"arn:aws:ec2:us-east-1:123456789012:instance/i-0def\"]}},\"actions\":{\"interrupt-1\":{"
            + "\"actionId\":\"aws:ec2:send-spot-instance-interruptions\",\"targets\":{\"SpotInstances\":"
            + "\"spot-instances-1\"},\"startTime\":\"2025-06-01T10:00:00Z\",\"endTime\":\"2025-06-01T10:02:00Z\"}},"
            + "\"endTime\":\"2025-06-01T10:02:00Z\"}";

    private TestResult drill(String runId) {
        String uuid = UUID.randomUUID().toString();
        allure.scheduleTestCase(new TestResult().setUuid(uuid).setName(runId));
        allure.startTestCase(uuid);
        AllureDrillListener l = new AllureDrillListener(allure, results);
        DrillInfo info = Drills.info(Drills.lab(), runId);
        l.drillStarted(info);
        l.phaseStarted(info, Phase.CLEANUP);
        l.phaseFinished(info, Phase.CLEANUP, null);
        l.drillFinished(
                info,
                new DrillReport(
                        List.of(Drills.TARGET),
                        42L,
                        Optional.of("EXT123"),
                        Optional.of("EXP456"),
                        Optional.of("completed"),
                        Optional.of(EXPERIMENT),
                        Optional.empty(),
                        Drills.timeline(),
                        List.of(),
                        Optional.empty(),
                        Map.of()));
        allure.stopTestCase(uuid);
        allure.writeTestCase(uuid);
        return writer.results.get(writer.results.size() - 1);
    }

    @Test
    void theDrillShowsItsCostPerTargetAndTheNightsTotalGoesIntoTheEnvironment() throws Exception {
        TestResult tr = drill("run-cost-1");

        StepResult cost = tr.getSteps().stream()
                .filter(s -> s.getName().startsWith("FIS cost"))
                .findFirst()
                .orElseThrow();
        assertThat(cost.getName()).isEqualTo("FIS cost $0.20 (2 action-minutes × $0.10)");
        Map<String, String> params =
                cost.getParameters().stream().collect(Collectors.toMap(Parameter::getName, Parameter::getValue));
        assertThat(params)
                .containsEntry("interrupt-1", "2 min (ran 120.0s) = $0.20 for i-0abc, i-0def")
                .containsEntry("i-0abc", "$0.10")
                .containsEntry("i-0def", "$0.10");
        assertThat(Files.readString(results.resolve("environment.properties")))
                .contains("fis.cost=$0.20\n", "fis.actionMinutes=2\n", "fis.drills=1\n", "world=lab\n");

        drill("run-cost-2");
        assertThat(Files.readString(results.resolve("environment.properties")))
                .contains("fis.cost=$0.40\n", "fis.actionMinutes=4\n", "fis.drills=2\n");
    }
}
