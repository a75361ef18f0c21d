package dev.spotdrill.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.imds.Ec2MetadataClient;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.fis.model.ExperimentStatus;

class LabSliceTest {

    @Test
    void spotInterruptionEndToEnd() {
        try (SpotLab lab = SpotLab.start(LabOptions.builder().pace(60).build());
                LabClients c = new LabClients(lab.world())) {
            String id = "i-0c0ffee0000000a01";
            Instance before = c.ec2.describeInstances(r -> r.instanceIds(id))
                    .reservations()
                    .get(0)
                    .instances()
                    .get(0);
            assertThat(before.state().nameAsString()).isEqualTo("running");

            String templateId = c.fis.createExperimentTemplate(
                            LabClients.spotTemplate("PT2M", id).build())
                    .experimentTemplate()
                    .id();
            String expId = c.fis.startExperiment(r -> r.experimentTemplateId(templateId))
                    .experiment()
                    .id();
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> c.fis.getExperiment(r -> r.id(expId))
                                    .experiment()
                                    .state()
                                    .status()
                            == ExperimentStatus.RUNNING);
            Ec2MetadataClient imds = c.imds(id);
            await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> imds.get(
                            "/latest/meta-data/spot/instance-action")
                    .asString()
                    .contains("terminate"));
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> c.fis.getExperiment(r -> r.id(expId))
                                    .experiment()
                                    .state()
                                    .status()
                            == ExperimentStatus.COMPLETED);
            Instant actionStart = c.fis.getExperiment(r -> r.id(expId))
                    .experiment()
                    .actions()
                    .get("interrupt")
                    .startTime();
            assertThat(lab.instance(id).orElseThrow().interruptionTime()).contains(actionStart.plusSeconds(120));
        }
    }
}
