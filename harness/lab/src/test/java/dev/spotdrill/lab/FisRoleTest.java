package dev.spotdrill.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.spotdrill.core.GuardrailException;
import dev.spotdrill.core.aws.AwsClients;
import dev.spotdrill.core.aws.SdkAwsBackend;
import dev.spotdrill.core.check.Check;
import dev.spotdrill.core.check.Preflight;
import dev.spotdrill.core.drill.Drill;
import dev.spotdrill.core.drill.DrillOptions;
import dev.spotdrill.core.drill.DrillSpec;
import dev.spotdrill.core.drill.Selector;
import dev.spotdrill.core.internal.FisRoleGuard;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.iam.IamClient;

/** The FIS role against the lab's IAM: provisioned once under a race, waited for, checked, refused when broken. */
class FisRoleTest {
    private static final String TRUST = FisRoleGuard.trustPolicy();

    private static DrillOptions options(Optional<String> arn, String name) {
        return new DrillOptions(
                "spotdrill/allowed",
                "true",
                List.of(),
                5,
                arn,
                name,
                Optional.empty(),
                Duration.ofMinutes(1),
                "direct",
                Optional.empty(),
                "unused");
    }

    @Test
    void parallelFirstTimeProvisioningCreatesOneRoleWithTheScopedPolicy() throws Exception {
        try (SpotLab lab = SpotLab.start(
                LabOptions.builder().scenario("safety.yaml").pace(60).build())) {
            SdkAwsBackend backend = new SdkAwsBackend(lab.world());
            int n = 6;
            CountDownLatch go = new CountDownLatch(1);
            ExecutorService pool = Executors.newFixedThreadPool(n);
            List<Future<String>> arns = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                String run = "sd-race" + i;
                arns.add(pool.submit(() -> {
                    go.await();
                    return FisRoleGuard.ensure(
                            backend,
                            lab.world(),
                            "spotdrill-fis-fresh",
                            "123456789012",
                            List.of(),
                            "spotdrill/allowed",
                            "true",
                            Map.of("spotdrill:run-id", run),
                            line -> {});
                }));
            }
            go.countDown();
            for (Future<String> f : arns) {
                assertThat(f.get()).isEqualTo("arn:aws:iam::123456789012:role/spotdrill-fis-fresh");
            }
            pool.shutdown();

            assertThat(lab.callLog().calls("iam", "CreateRole"))
                    .filteredOn(ApiCall::succeeded)
                    .hasSize(1);
            assertThat(lab.callLog().calls("iam", "CreateRole"))
                    .filteredOn(c -> !c.succeeded())
                    .allSatisfy(c -> assertThat(c.errorCode()).isEqualTo("EntityAlreadyExists"));
            assertThat(lab.callLog().calls("iam", "PutRolePolicy")).hasSize(1);
            IamClient iam = AwsClients.of(lab.world()).iam();
            String policy = java.net.URLDecoder.decode(
                    iam.getRolePolicy(r -> r.roleName("spotdrill-fis-fresh").policyName(FisRoleGuard.POLICY_NAME))
                            .policyDocument(),
                    java.nio.charset.StandardCharsets.UTF_8);
            assertThat(policy)
                    .contains("\"Action\":\"ec2:SendSpotInstanceInterruptions\"")
                    .contains("\"Condition\":{\"StringEquals\":{\"aws:ResourceTag/spotdrill/allowed\":\"true\"}}")
                    .contains("\"Action\":\"ec2:DescribeInstances\"");
        }
    }

    @Test
    void aRoleAnotherDrillIsCreatingIsNotUsedUntilItsPolicyIsAttached() {
        try (SpotLab lab = SpotLab.start(
                LabOptions.builder().scenario("safety.yaml").pace(60).build())) {
            IamClient iam = AwsClients.of(lab.world()).iam();
            // the other drill created the role and has not attached the policy yet
            iam.createRole(r -> r.roleName("spotdrill-fis-slow")
                    .assumeRolePolicyDocument(TRUST)
                    .tags(t -> t.key("spotdrill:run-id").value("sd-other")));
            SdkAwsBackend backend = new SdkAwsBackend(lab.world());
            CompletableFuture<String> ensured = CompletableFuture.supplyAsync(() -> FisRoleGuard.ensure(
                    backend,
                    lab.world(),
                    "spotdrill-fis-slow",
                    "123456789012",
                    List.of(),
                    "spotdrill/allowed",
                    "true",
                    Map.of("spotdrill:run-id", "sd-me"),
                    line -> {}));

            await("ensure to keep waiting while the role has no policy")
                    .during(Duration.ofMillis(800))
                    .atMost(Duration.ofSeconds(5))
                    .until(() -> !ensured.isDone());
            iam.putRolePolicy(r -> r.roleName("spotdrill-fis-slow")
                    .policyName(FisRoleGuard.POLICY_NAME)
                    .policyDocument(
                            FisRoleGuard.policy(dev.spotdrill.core.Partition.AWS, "spotdrill/allowed", "true")));

            assertThat(ensured.join()).isEqualTo("arn:aws:iam::123456789012:role/spotdrill-fis-slow");
            assertThat(lab.callLog().calls("iam", "CreateRole")).hasSize(1);
        }
    }

    @Test
    void aGivenRoleWithoutThePermissionIsRefusedByTheDrillAndThePreflightCheckBeforeAnythingIsCreated() {
        try (SpotLab lab = SpotLab.start(
                LabOptions.builder().scenario("safety.yaml").pace(60).build())) {
            IamClient iam = AwsClients.of(lab.world()).iam();
            iam.createRole(r -> r.roleName("describe-only").assumeRolePolicyDocument(TRUST));
            iam.putRolePolicy(r -> r.roleName("describe-only")
                    .policyName("describe")
                    .policyDocument("{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                            + "\"Action\":\"ec2:DescribeInstances\",\"Resource\":\"*\"}]}"));
            String arn = "arn:aws:iam::123456789012:role/describe-only";
            int before = lab.callLog().mutatingCalls().size();

            Drill drill = Drill.prepare(
                    lab.world(),
                    new DrillSpec(Selector.instances("i-0c0ffee0000000a01"), 1, "PT2M", List.of(), null),
                    options(Optional.of(arn), "spotdrill-fis"),
                    "FisRoleTest.broken",
                    List.of());
            assertThatThrownBy(drill::start)
                    .isInstanceOf(GuardrailException.class)
                    .hasMessageStartingWith("Guardrail refused the drill before anything was created: the FIS role "
                            + arn + " would fail: IAM does not allow it ec2:SendSpotInstanceInterruptions on"
                            + " arn:aws:ec2:us-east-1:123456789012:instance/i-0c0ffee0000000a01 (implicitDeny)");
            drill.close();
            assertThat(lab.callLog().mutatingCalls()).hasSize(before);
            assertThat(lab.callLog().count("fis", "CreateExperimentTemplate")).isZero();

            Check check = Preflight.fisRole(lab.world(), options(Optional.of(arn), "spotdrill-fis"));
            assertThat(check.ok()).isFalse();
            assertThat(check.line())
                    .startsWith("✗ FIS role: " + arn + " would fail: IAM does not allow it"
                            + " ec2:SendSpotInstanceInterruptions on")
                    .contains("→ allow ec2:SendSpotInstanceInterruptions on instances tagged spotdrill/allowed=true");
            // the scenario's own role is scoped to the opt-in tag and passes
            Check good = Preflight.fisRole(lab.world(), options(Optional.empty(), "spotdrill-fis"));
            assertThat(good.line())
                    .isEqualTo("✓ FIS role: arn:aws:iam::123456789012:role/spotdrill-fis trusts fis.amazonaws.com and"
                            + " may interrupt instances tagged spotdrill/allowed=true");
            assertThat(Preflight.spotAction(lab.world()).line())
                    .isEqualTo("✓ FIS action in us-east-1: FIS offers aws:ec2:send-spot-instance-interruptions in"
                            + " us-east-1");
            assertThat(lab.callLog().mutatingCalls()).hasSize(before);
        }
    }

    @Test
    void aRoleThatAllowsEveryInstanceIsUsableButTheCheckSaysItIsNotScoped() {
        try (SpotLab lab = SpotLab.start(
                LabOptions.builder().scenario("safety.yaml").pace(60).build())) {
            IamClient iam = AwsClients.of(lab.world()).iam();
            iam.createRole(r -> r.roleName("broad").assumeRolePolicyDocument(TRUST));
            iam.putRolePolicy(
                    r -> r.roleName("broad")
                            .policyName("everything")
                            .policyDocument(
                                    "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":"
                                            + "[\"ec2:SendSpotInstanceInterruptions\",\"ec2:DescribeInstances\"],\"Resource\":\"*\"}]}"));
            Check check = Preflight.fisRole(
                    lab.world(), options(Optional.of("arn:aws:iam::123456789012:role/broad"), "spotdrill-fis"));
            assertThat(check.ok()).isTrue();
            assertThat(check.detail())
                    .contains("but the role may interrupt instances without the opt-in tag spotdrill/allowed=true");
        }
    }
}
