package dev.spotdrill.lab;

import dev.spotdrill.core.AwsService;
import dev.spotdrill.core.World;
import java.net.URI;
import java.time.Duration;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.imds.Ec2MetadataClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.fis.FisClient;
import software.amazon.awssdk.services.fis.model.CreateExperimentTemplateActionInput;
import software.amazon.awssdk.services.fis.model.CreateExperimentTemplateRequest;
import software.amazon.awssdk.services.fis.model.CreateExperimentTemplateStopConditionInput;
import software.amazon.awssdk.services.fis.model.CreateExperimentTemplateTargetInput;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sts.StsClient;

/** Real AWS SDK v2 clients pointed at a lab world, as core builds them. */
final class LabClients implements AutoCloseable {
    static final String ROLE_ARN = "arn:aws:iam::123456789012:role/spotdrill-fis";

    final SdkHttpClient http = UrlConnectionHttpClient.builder()
            .connectionTimeout(Duration.ofSeconds(5))
            .socketTimeout(Duration.ofSeconds(10))
            .build();
    final FisClient fis;
    final Ec2Client ec2;
    final StsClient sts;
    final IamClient iam;
    final EventBridgeClient events;
    /** SQS with a socket timeout above the 20 s long poll. */
    final SqsClient sqs;

    private final SdkHttpClient longHttp = UrlConnectionHttpClient.builder()
            .connectionTimeout(Duration.ofSeconds(5))
            .socketTimeout(Duration.ofSeconds(40))
            .build();
    private final World world;

    LabClients(World world) {
        this.world = world;
        var creds = StaticCredentialsProvider.create(AwsBasicCredentials.create(
                world.credentials().orElseThrow().accessKeyId(),
                world.credentials().orElseThrow().secretAccessKey().reveal()));
        Region region = Region.of(world.region());
        fis = FisClient.builder()
                .httpClient(http)
                .region(region)
                .credentialsProvider(creds)
                .endpointOverride(world.endpoint(AwsService.FIS).orElseThrow())
                .build();
        ec2 = Ec2Client.builder()
                .httpClient(http)
                .region(region)
                .credentialsProvider(creds)
                .endpointOverride(world.endpoint(AwsService.EC2).orElseThrow())
                .build();
        sts = StsClient.builder()
                .httpClient(http)
                .region(region)
                .credentialsProvider(creds)
                .endpointOverride(world.endpoint(AwsService.STS).orElseThrow())
                .build();
        iam = IamClient.builder()
                .httpClient(http)
                .region(Region.AWS_GLOBAL)
                .credentialsProvider(creds)
                .endpointOverride(world.endpoint(AwsService.IAM).orElseThrow())
                .build();
        events = EventBridgeClient.builder()
                .httpClient(http)
                .region(region)
                .credentialsProvider(creds)
                .endpointOverride(world.endpoint(AwsService.EVENTBRIDGE).orElseThrow())
                .build();
        sqs = SqsClient.builder()
                .httpClient(longHttp)
                .region(region)
                .credentialsProvider(creds)
                .endpointOverride(world.endpoint(AwsService.SQS).orElseThrow())
                .build();
    }

    Ec2MetadataClient imds(String instanceId) {
        URI endpoint = world.imdsEndpoint(instanceId);
        return Ec2MetadataClient.builder().endpoint(endpoint).httpClient(http).build();
    }

    /** A valid template request interrupting the given instances with the given lead time. */
    static CreateExperimentTemplateRequest.Builder spotTemplate(String lead, String... instanceIds) {
        java.util.List<String> arns = java.util.Arrays.stream(instanceIds)
                .map(id -> "arn:aws:ec2:us-east-1:123456789012:instance/" + id)
                .toList();
        return CreateExperimentTemplateRequest.builder()
                .description("spotdrill test")
                .roleArn(ROLE_ARN)
                .stopConditions(CreateExperimentTemplateStopConditionInput.builder()
                        .source("none")
                        .build())
                .targets(java.util.Map.of(
                        "spot",
                        CreateExperimentTemplateTargetInput.builder()
                                .resourceType("aws:ec2:spot-instance")
                                .resourceArns(arns)
                                .selectionMode("ALL")
                                .build()))
                .actions(java.util.Map.of(
                        "interrupt",
                        CreateExperimentTemplateActionInput.builder()
                                .actionId("aws:ec2:send-spot-instance-interruptions")
                                .parameters(java.util.Map.of("durationBeforeInterruption", lead))
                                .targets(java.util.Map.of("SpotInstances", "spot"))
                                .build()))
                .tags(java.util.Map.of("spotdrill", "test"));
    }

    @Override
    public void close() {
        fis.close();
        ec2.close();
        sts.close();
        iam.close();
        events.close();
        sqs.close();
        http.close();
        longHttp.close();
    }
}
