package dev.spotdrill.cli.account;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotdrill.cli.CliRun;
import dev.spotdrill.cli.ExitCodes;
import dev.spotdrill.core.aws.AwsClients;
import dev.spotdrill.core.internal.FisRoleGuard;
import dev.spotdrill.lab.LabControl;
import dev.spotdrill.lab.LabOptions;
import dev.spotdrill.lab.SpotLab;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code spotdrill doctor} against a lab served through its control URL, as {@code spotdrill lab} serves it: every
 * check passes on the shop; each broken precondition gives its own ✗ line with the fix, and exit 1.
 */
class DoctorCommandTest {
    static SpotLab lab;
    static LabControl control;
    static String account;

    @BeforeAll
    static void startLab() {
        lab = SpotLab.start(LabOptions.builder().scenario("shop").pace(20).build());
        control = LabControl.start(lab);
        account = lab.world().facts().get("account");
    }

    @AfterAll
    static void stopLab() {
        if (control != null) {
            control.close();
        }
        if (lab != null) {
            lab.close();
        }
    }

    static CliRun doctor(String... extra) {
        List<String> args =
                new ArrayList<>(List.of("doctor", "--lab-url", control.url().toString()));
        args.addAll(List.of(extra));
        return CliRun.of(args.toArray(String[]::new));
    }

    static String line(CliRun run, String name) {
        return run.out()
                .lines()
                .filter(l -> l.startsWith("✓ " + name + ": ") || l.startsWith("✗ " + name + ": "))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no line for " + name + " in\n" + run));
    }

    @Test
    void everyCheckPassesInTheShop() {
        CliRun run = doctor();
        assertThat(run.exit()).as("%s", run).isEqualTo(ExitCodes.OK);
        assertThat(run.out())
                .startsWith("spotdrill doctor: world lab at " + control.url() + ", region us-east-1\n")
                .endsWith("all 8 checks passed\n")
                .doesNotContain("✗");
        assertThat(line(run, "credentials"))
                .isEqualTo("✓ credentials: " + lab.principalArn() + " in account " + account
                        + " (the lab world needs no allowlist)");
        assertThat(line(run, "FIS action in us-east-1"))
                .isEqualTo(
                        "✓ FIS action in us-east-1: FIS offers aws:ec2:send-spot-instance-interruptions in us-east-1");
        assertThat(line(run, "FIS role")).startsWith("✓ FIS role: ");
        assertThat(line(run, "opt-in instances"))
                .startsWith("✓ opt-in instances: ")
                .containsPattern("\\d+ running Spot instance\\(s\\) tagged spotdrill/allowed=true: \\d+ × ")
                .contains(" in us-east-1a");
        assertThat(line(run, "Kubernetes"))
                .isEqualTo("✓ Kubernetes: v1.32.0-spotdrill-lab reachable; may create, get and delete pods and get"
                        + " pods/log in default, list and watch nodes, pods and deployments, and patch deployments");
        assertThat(line(run, "IMDS")).startsWith("✓ IMDS: direct: IMDSv2 answers at http://127.0.0.1:");
        assertThat(line(run, "EventBridge"))
                .isEqualTo("✓ EventBridge: DescribeRule allowed (spotdrill-doctor-absent not found, as expected)");
        assertThat(line(run, "SQS"))
                .isEqualTo("✓ SQS: GetQueueUrl allowed (spotdrill-doctor-absent does not exist, as expected)");
        // it created nothing
        assertThat(lab.callLog().mutatingCalls()).isEmpty();
    }

    @Test
    void anAccountOutsideTheAllowlistIsAFinding() {
        CliRun run = doctor("-Dspotdrill.guard.accounts=111111111111");
        assertThat(run.exit()).as("%s", run).isEqualTo(ExitCodes.FINDINGS);
        assertThat(line(run, "credentials"))
                .isEqualTo("✗ credentials: " + lab.principalArn() + " in account " + account + ", which is not in"
                        + " spotdrill.guard.accounts=111111111111 → use credentials for an allowed account, or add "
                        + account + " to spotdrill.guard.accounts if this account is intended");
        assertThat(run.out()).endsWith("1 of 8 checks failed: fix them and run spotdrill doctor again\n");
    }

    @Test
    void noOptInInstancesIsAFinding() {
        CliRun run = doctor("-Dspotdrill.guard.optInTag=team/chaos=yes");
        assertThat(run.exit()).as("%s", run).isEqualTo(ExitCodes.FINDINGS);
        assertThat(line(run, "opt-in instances"))
                .isEqualTo("✗ opt-in instances: no running Spot instance carries team/chaos=yes in us-east-1 → tag"
                        + " the Spot instances drills may interrupt with team/chaos=yes (or set"
                        + " spotdrill.guard.optInTag to the tag they carry)");
        assertThat(line(run, "IMDS"))
                .isEqualTo("✗ IMDS: direct: no running opt-in instance whose IMDS to ask → see the opt-in instances"
                        + " line: the lab world serves IMDS per instance");
        // and the lab's role, scoped to the default opt-in tag, would not interrupt instances with this one
        assertThat(line(run, "FIS role"))
                .startsWith("✗ FIS role: arn:aws:iam::" + account + ":role/spotdrill-fis would fail: ")
                .contains("allow ec2:SendSpotInstanceInterruptions on instances tagged team/chaos=yes");
        assertThat(run.out()).endsWith("3 of 8 checks failed: fix them and run spotdrill doctor again\n");
    }

    @Test
    void aRoleWithoutThePermissionIsAFinding() {
        String arn = AwsClients.of(lab.world())
                .iam()
                .createRole(
                        r -> r.roleName("doctor-no-permission").assumeRolePolicyDocument(FisRoleGuard.trustPolicy()))
                .role()
                .arn();
        CliRun run = doctor("-Dspotdrill.fis.roleArn=" + arn);
        assertThat(run.exit()).as("%s", run).isEqualTo(ExitCodes.FINDINGS);
        assertThat(line(run, "FIS role"))
                .startsWith("✗ FIS role: " + arn + " would fail: ")
                .contains("ec2:SendSpotInstanceInterruptions")
                .contains(" → ");
    }

    @Test
    void missingRbacIsAFindingNamingTheVerbs() {
        lab.faults().set("kube.rbac-deny=pods/log:get+deployments.apps:patch");
        try {
            CliRun run = doctor();
            assertThat(run.exit()).as("%s", run).isEqualTo(ExitCodes.FINDINGS);
            assertThat(line(run, "Kubernetes"))
                    .isEqualTo("✗ Kubernetes: v1.32.0-spotdrill-lab reachable, but not allowed: get pods/log in"
                            + " namespace default; patch deployments.apps → bind the runner's identity to the Role and"
                            + " ClusterRole of ci/k8s/rbac.yaml (namespace default)");
        } finally {
            lab.faults().clear("kube.rbac-deny");
        }
    }

    @Test
    void aSettingThatIsNotSpotdrillsIsUsage() {
        CliRun run = CliRun.of("doctor", "--lab-url", control.url().toString(), "-Dfoo.bar=1");
        assertThat(run.exit()).isEqualTo(ExitCodes.USAGE);
        assertThat(run.err())
                .contains("spotdrill doctor: -Dfoo.bar: not a spotdrill setting; settings start with spotdrill.");
    }

    @Test
    void aBadSettingIsAFindingAndTheOtherChecksStillRun() {
        CliRun run = doctor("-Dspotdrill.fis.roleArn=not-an-arn");
        assertThat(run.exit()).as("%s", run).isEqualTo(ExitCodes.FINDINGS);
        assertThat(run.out())
                .contains("✗ settings: spotdrill.fis.roleArn=\"not-an-arn\": not an IAM role ARN → write it like"
                        + " arn:aws:iam::123456789012:role/spotdrill-fis")
                .contains("✓ SQS: ")
                .endsWith("1 of 9 checks failed: fix them and run spotdrill doctor again\n");
    }
}
