package dev.spotdrill.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkServiceException;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.DescribeInstancesRequest;
import software.amazon.awssdk.services.ec2.model.Ec2Exception;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Instance;
import software.amazon.awssdk.services.ec2.model.InstanceLifecycleType;
import software.amazon.awssdk.services.iam.model.EntityAlreadyExistsException;
import software.amazon.awssdk.services.iam.model.IamException;
import software.amazon.awssdk.services.iam.model.MalformedPolicyDocumentException;
import software.amazon.awssdk.services.iam.model.NoSuchEntityException;
import software.amazon.awssdk.services.sts.model.GetCallerIdentityResponse;

/** EC2, STS and IAM over the query protocol, with real SDK clients. */
class QueryApisTest {
    private static SpotLab lab;
    private static LabClients c;

    @BeforeAll
    static void start() {
        lab = SpotLab.start(LabOptions.builder().pace(60).build());
        c = new LabClients(lab.world());
    }

    @AfterAll
    static void stop() {
        c.close();
        lab.close();
    }

    private static List<Instance> describe(DescribeInstancesRequest req) {
        return c.ec2.describeInstances(req).reservations().stream()
                .flatMap(r -> r.instances().stream())
                .toList();
    }

    private static List<String> ids(Filter... filters) {
        return describe(DescribeInstancesRequest.builder().filters(filters).build()).stream()
                .map(Instance::instanceId)
                .toList();
    }

    private static String code(Throwable e) {
        return ((software.amazon.awssdk.awscore.exception.AwsServiceException) e)
                .awsErrorDetails()
                .errorCode();
    }

    private static Filter f(String name, String... values) {
        return Filter.builder().name(name).values(values).build();
    }

    @Test
    void describeAllShowsTheShopScenario() {
        List<Instance> all = describe(DescribeInstancesRequest.builder().build());
        assertThat(all).hasSize(9);
        Instance a01 = all.get(0);
        assertThat(a01.instanceId()).isEqualTo("i-0c0ffee0000000a01");
        assertThat(a01.instanceTypeAsString()).isEqualTo("m5.large");
        assertThat(a01.placement().availabilityZone()).isEqualTo("us-east-1a");
        assertThat(a01.state().code()).isEqualTo(16);
        assertThat(a01.instanceLifecycle()).isEqualTo(InstanceLifecycleType.SPOT);
        assertThat(a01.spotInstanceRequestId()).startsWith("sir-");
        assertThat(a01.privateDnsName()).isEqualTo("ip-10-0-1-11.ec2.internal");
        assertThat(a01.launchTime()).isBefore(lab.clock().now());
        assertThat(a01.tags()).anySatisfy(t -> {
            assertThat(t.key()).isEqualTo("spotdrill/allowed");
            assertThat(t.value()).isEqualTo("true");
        });
        Instance onDemand = all.stream()
                .filter(i -> i.instanceId().equals("i-0c0ffee0000000b01"))
                .findFirst()
                .orElseThrow();
        assertThat(onDemand.instanceLifecycle()).isNull();
    }

    @Test
    void filtersSelectLikeEc2() {
        assertThat(ids(
                        f("tag:spotdrill/allowed", "true"),
                        f("instance-lifecycle", "spot"),
                        f("instance-state-name", "running")))
                .containsExactly(
                        "i-0c0ffee0000000a01",
                        "i-0c0ffee0000000a02",
                        "i-0c0ffee0000000a03",
                        "i-0c0ffee0000000a04",
                        "i-0c0ffee0000000a05",
                        "i-0c0ffee0000000a06");
        assertThat(ids(f("instance-state-name", "stopped"))).containsExactly("i-0c0ffee0000000c01");
        assertThat(ids(f("tag:workload", "checkout"), f("availability-zone", "us-east-1b")))
                .containsExactly("i-0c0ffee0000000a02", "i-0c0ffee0000000a03");
        assertThat(ids(f("instance-type", "c5.*"), f("tag:workload", "cart", "legacy")))
                .containsExactly("i-0c0ffee0000000a04", "i-0c0ffee0000000a06", "i-0c0ffee0000000d01");
        assertThat(ids(f("instance-id", "i-0c0ffee0000000b01"))).containsExactly("i-0c0ffee0000000b01");
        assertThat(ids(f("tag-key", "spotdrill/allowed"))).hasSize(8).doesNotContain("i-0c0ffee0000000d01");
        assertThat(ids(f("tag:workload", "nothing"))).isEmpty();
        assertThat(describe(DescribeInstancesRequest.builder()
                        .instanceIds("i-0c0ffee0000000a02", "i-0c0ffee0000000d01")
                        .build()))
                .extracting(Instance::instanceId)
                .containsExactly("i-0c0ffee0000000a02", "i-0c0ffee0000000d01");
    }

    @Test
    void paginatesWithMaxResultsAndNextToken() {
        var first = c.ec2.describeInstances(r -> r.maxResults(5));
        assertThat(first.reservations()).hasSize(5);
        assertThat(first.nextToken()).isNotBlank();
        var second = c.ec2.describeInstances(r -> r.maxResults(5).nextToken(first.nextToken()));
        assertThat(second.reservations()).hasSize(4);
        assertThat(second.nextToken()).isNull();
        assertThat(c.ec2.describeInstancesPaginator(r -> r.maxResults(5)).reservations())
                .hasSize(9);
    }

    @Test
    void badRequestsGetEc2ErrorCodes() {
        assertThatThrownBy(() -> c.ec2.describeInstances(r -> r.instanceIds("i-0123456789abcdef0")))
                .isInstanceOf(Ec2Exception.class)
                .satisfies(e -> assertThat(((Ec2Exception) e).awsErrorDetails().errorCode())
                        .isEqualTo("InvalidInstanceID.NotFound"))
                .hasMessageContaining("The instance ID 'i-0123456789abcdef0' does not exist");
        assertThatThrownBy(() -> c.ec2.describeInstances(r -> r.instanceIds("not-an-id")))
                .satisfies(e -> assertThat(((Ec2Exception) e).awsErrorDetails().errorCode())
                        .isEqualTo("InvalidInstanceID.Malformed"));
        assertThatThrownBy(() -> c.ec2.describeInstances(r -> r.filters(f("colour", "red"))))
                .hasMessageContaining("The filter 'colour' is invalid");
        assertThatThrownBy(() -> c.ec2.describeInstances(r -> r.maxResults(3)))
                .hasMessageContaining("Expecting a value between 5 and 1000");
        assertThatThrownBy(() -> c.ec2.describeInstances(r -> r.maxResults(5).instanceIds("i-0c0ffee0000000a01")))
                .satisfies(e -> assertThat(code(e)).isEqualTo("InvalidParameterCombination"));
    }

    @Test
    void unknownActionAndForeignCredentialsAreRefused() {
        assertThatThrownBy(() -> c.ec2.describeRegions())
                .isInstanceOf(Ec2Exception.class)
                .satisfies(e -> assertThat(((Ec2Exception) e).statusCode()).isEqualTo(400))
                .satisfies(e -> assertThat(code(e)).isEqualTo("InvalidAction"))
                .hasMessageContaining("The action DescribeRegions is not valid for this web service");
        try (Ec2Client stranger = Ec2Client.builder()
                .httpClient(c.http)
                .region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(
                        AwsBasicCredentials.create("AKIASTRANGER00000000", "not-the-lab-secret")))
                .endpointOverride(
                        lab.world().endpoint(dev.spotdrill.core.AwsService.EC2).orElseThrow())
                .build()) {
            assertThatThrownBy(stranger::describeInstances)
                    .isInstanceOf(SdkServiceException.class)
                    .satisfies(e ->
                            assertThat(((SdkServiceException) e).statusCode()).isEqualTo(401));
        }
        assertThat(lab.callLog().calls("ec2", "DescribeInstances")).anySatisfy(call -> {
            assertThat(call.errorCode()).isEqualTo("AuthFailure");
            assertThat(call.caller()).isEmpty();
        });
    }

    @Test
    void stsNamesTheLabPrincipal() {
        GetCallerIdentityResponse id = c.sts.getCallerIdentity();
        assertThat(id.account()).isEqualTo("123456789012");
        assertThat(id.arn()).isEqualTo("arn:aws:iam::123456789012:user/spotdrill-lab");
        assertThat(id.userId())
                .startsWith("AIDA")
                .doesNotContain(
                        lab.world().credentials().orElseThrow().accessKeyId().substring(4));
    }

    @Test
    void iamRolesCanBeCreatedReadTaggedAndDeleted() {
        var created = c.iam.createRole(r -> r.roleName("drill-role")
                        .assumeRolePolicyDocument(IamApi.FIS_TRUST)
                        .description("for drills")
                        .tags(t -> t.key("owner").value("spotdrill")))
                .role();
        assertThat(created.arn()).isEqualTo("arn:aws:iam::123456789012:role/drill-role");
        assertThat(created.roleId()).startsWith("AROA");
        assertThat(java.net.URLDecoder.decode(
                        created.assumeRolePolicyDocument(), java.nio.charset.StandardCharsets.UTF_8))
                .contains("fis.amazonaws.com");
        assertThat(c.iam.getRole(r -> r.roleName("drill-role")).role().description())
                .isEqualTo("for drills");
        assertThat(c.iam.listRoleTags(r -> r.roleName("drill-role")).tags())
                .singleElement()
                .satisfies(t -> assertThat(t.value()).isEqualTo("spotdrill"));
        assertThatThrownBy(() ->
                        c.iam.createRole(r -> r.roleName("drill-role").assumeRolePolicyDocument(IamApi.FIS_TRUST)))
                .isInstanceOf(EntityAlreadyExistsException.class)
                .hasMessageContaining("Role with name drill-role already exists");
        String policy = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                + "\"Action\":\"ec2:SendSpotInstanceInterruptions\",\"Resource\":\"*\"}]}";
        c.iam.putRolePolicy(r -> r.roleName("drill-role").policyName("spot").policyDocument(policy));
        assertThat(java.net.URLDecoder.decode(
                        c.iam.getRolePolicy(r -> r.roleName("drill-role").policyName("spot"))
                                .policyDocument(),
                        java.nio.charset.StandardCharsets.UTF_8))
                .isEqualTo(policy);
        assertThat(c.iam.listRolePolicies(r -> r.roleName("drill-role")).policyNames())
                .containsExactly("spot");
        assertThatThrownBy(() -> c.iam.deleteRole(r -> r.roleName("drill-role")))
                .isInstanceOf(IamException.class)
                .hasMessageContaining("must delete policies first");
        c.iam.deleteRolePolicy(r -> r.roleName("drill-role").policyName("spot"));
        c.iam.deleteRole(r -> r.roleName("drill-role"));
        assertThatThrownBy(() -> c.iam.getRole(r -> r.roleName("drill-role")))
                .isInstanceOf(NoSuchEntityException.class)
                .hasMessageContaining("The role with name drill-role cannot be found");
    }

    @Test
    void iamRefusesBadInput() {
        assertThatThrownBy(() -> c.iam.createRole(r -> r.roleName("bad-policy").assumeRolePolicyDocument("{nope")))
                .isInstanceOf(MalformedPolicyDocumentException.class);
        assertThatThrownBy(() ->
                        c.iam.getRolePolicy(r -> r.roleName("spotdrill-fis").policyName("none")))
                .isInstanceOf(NoSuchEntityException.class)
                .hasMessageContaining("The role policy with name none cannot be found");
        assertThatThrownBy(
                        () -> c.iam.createRole(r -> r.roleName("has space").assumeRolePolicyDocument(IamApi.FIS_TRUST)))
                .isInstanceOf(IamException.class)
                .hasMessageContaining("roleName");
    }
}
