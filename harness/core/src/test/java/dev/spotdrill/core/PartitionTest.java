package dev.spotdrill.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spotdrill.core.drill.DrillOptions;
import dev.spotdrill.core.internal.FisRoleGuard;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** ARNs, the global IAM region and the console follow the region's partition. */
class PartitionTest {

    @Test
    void regionsMapToTheirPartition() {
        assertThat(Partition.of("us-east-1")).isEqualTo(Partition.AWS);
        assertThat(Partition.of("eu-central-1")).isEqualTo(Partition.AWS);
        assertThat(Partition.of("us-gov-west-1")).isEqualTo(Partition.AWS_US_GOV);
        assertThat(Partition.of("us-gov-east-1")).isEqualTo(Partition.AWS_US_GOV);
        assertThat(Partition.of("cn-north-1")).isEqualTo(Partition.AWS_CN);
        assertThat(Partition.of("cn-northwest-1")).isEqualTo(Partition.AWS_CN);
    }

    @Test
    void govCloudArnsIamRegionAndConsole() {
        Partition gov = Partition.of("us-gov-west-1");
        assertThat(gov.instanceArn("us-gov-west-1", "123456789012", "i-0abc"))
                .isEqualTo("arn:aws-us-gov:ec2:us-gov-west-1:123456789012:instance/i-0abc");
        assertThat(gov.roleArn("123456789012", "spotdrill-fis"))
                .isEqualTo("arn:aws-us-gov:iam::123456789012:role/spotdrill-fis");
        assertThat(gov.iamRegion()).isEqualTo("aws-us-gov-global");
        assertThat(gov.fisConsoleUrl("us-gov-west-1", "EXP1"))
                .isEqualTo("https://console.amazonaws-us-gov.com/fis/home?region=us-gov-west-1"
                        + "#ExperimentDetails:ExperimentId=EXP1");
        assertThat(FisRoleGuard.policy(gov, "spotdrill/allowed", "true"))
                .contains("\"Resource\":\"arn:aws-us-gov:ec2:*:*:instance/*\"");
    }

    @Test
    void chinaArnsIamRegionAndConsole() {
        Partition cn = Partition.of("cn-north-1");
        assertThat(cn.instanceArn("cn-north-1", "123456789012", "i-0abc"))
                .isEqualTo("arn:aws-cn:ec2:cn-north-1:123456789012:instance/i-0abc");
        assertThat(cn.arn("sqs", "cn-north-1", "123456789012", "spotdrill-sd-1"))
                .isEqualTo("arn:aws-cn:sqs:cn-north-1:123456789012:spotdrill-sd-1");
        assertThat(cn.iamRegion()).isEqualTo("aws-cn-global");
        assertThat(cn.fisConsoleUrl("cn-north-1", "EXP1"))
                .isEqualTo(
                        "https://console.amazonaws.cn/fis/home?region=cn-north-1#ExperimentDetails:ExperimentId=EXP1");
    }

    @Test
    void commercialConsoleIsRegional() {
        assertThat(Partition.of("eu-west-1").fisConsoleUrl("eu-west-1", "EXP1"))
                .isEqualTo("https://eu-west-1.console.aws.amazon.com/fis/home?region=eu-west-1"
                        + "#ExperimentDetails:ExperimentId=EXP1");
        assertThat(Partition.AWS.iamRegion()).isEqualTo("aws-global");
    }

    @Test
    void aRoleArnOfAnotherPartitionIsAConfigurationError() {
        World gov = World.builder(World.LAB).region("us-gov-west-1").build();
        assertThatThrownBy(() -> DrillOptions.from(
                        SpotDrillConfig.of(Map.of("spotdrill.fis.roleArn", "arn:aws:iam::123456789012:role/fis")), gov))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessage("spotdrill.fis.roleArn=\"arn:aws:iam::123456789012:role/fis\": the region us-gov-west-1 is"
                        + " in partition aws-us-gov, and a role there is written arn:aws-us-gov:iam::<account>:role/<name>;"
                        + " use the role of that partition");
        assertThat(DrillOptions.from(
                                SpotDrillConfig.of(
                                        Map.of("spotdrill.fis.roleArn", "arn:aws-us-gov:iam::123456789012:role/fis")),
                                gov)
                        .roleArn())
                .contains("arn:aws-us-gov:iam::123456789012:role/fis");
    }
}
