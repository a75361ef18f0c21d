package dev.spotdrill.core.aws;

import dev.spotdrill.core.AwsService;
import dev.spotdrill.core.World;
import dev.spotdrill.core.internal.HttpClients;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.awscore.client.builder.AwsSyncClientBuilder;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.fis.FisClient;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sts.StsClient;

/**
 * The AWS SDK v2 clients of one {@link World}: the same code path for the lab and for AWS, differing only in
 * endpoints, credentials and region.
 */
public final class AwsClients {
    private static final Map<World, AwsClients> CACHE = new ConcurrentHashMap<>();

    private final World world;
    private final SdkHttpClient http;
    private final AwsCredentialsProvider credentials;
    private volatile FisClient fis;
    private volatile Ec2Client ec2;
    private volatile StsClient sts;
    private volatile IamClient iam;
    private volatile EventBridgeClient eventBridge;
    private volatile SqsClient sqs;

    private AwsClients(World world) {
        this.world = world;
        // FIS, EC2, STS and IAM answer in well under a second; a read silent for 10 s is retried by the SDK
        this.http = HttpClients.urlConnection(Duration.ofSeconds(5), Duration.ofSeconds(10));
        this.credentials = world.credentials()
                .<AwsCredentialsProvider>map(c -> StaticCredentialsProvider.create(
                        c.sessionToken().isPresent()
                                ? AwsSessionCredentials.create(
                                        c.accessKeyId(),
                                        c.secretAccessKey().reveal(),
                                        c.sessionToken().get().reveal())
                                : AwsBasicCredentials.create(
                                        c.accessKeyId(), c.secretAccessKey().reveal())))
                .orElseGet(() ->
                        registeringSecrets(DefaultCredentialsProvider.builder().build()));
    }

    /**
     * The default chain, with every secret it resolves (from a profile, SSO or a role) registered for redaction
     * before any text could carry it.
     */
    private static AwsCredentialsProvider registeringSecrets(AwsCredentialsProvider chain) {
        return () -> {
            var c = chain.resolveCredentials();
            dev.spotdrill.core.Secret.of(c.secretAccessKey());
            if (c instanceof AwsSessionCredentials session) {
                dev.spotdrill.core.Secret.of(session.sessionToken());
            }
            return c;
        };
    }

    /** The clients of a world, created once per world. */
    public static AwsClients of(World world) {
        return CACHE.computeIfAbsent(world, AwsClients::new);
    }

    public FisClient fis() {
        if (fis == null) {
            synchronized (this) {
                if (fis == null) {
                    fis = configure(FisClient.builder(), AwsService.FIS).build();
                }
            }
        }
        return fis;
    }

    public Ec2Client ec2() {
        if (ec2 == null) {
            synchronized (this) {
                if (ec2 == null) {
                    ec2 = configure(Ec2Client.builder(), AwsService.EC2).build();
                }
            }
        }
        return ec2;
    }

    public StsClient sts() {
        if (sts == null) {
            synchronized (this) {
                if (sts == null) {
                    sts = configure(StsClient.builder(), AwsService.STS).build();
                }
            }
        }
        return sts;
    }

    public IamClient iam() {
        if (iam == null) {
            synchronized (this) {
                if (iam == null) {
                    // IAM is global: it signs for the partition's global region (aws-global, aws-us-gov-global,
                    // aws-cn-global) whatever the drill's region.
                    iam = configure(
                                    IamClient.builder(),
                                    AwsService.IAM,
                                    Region.of(dev.spotdrill.core.Partition.of(world.region())
                                            .iamRegion()))
                            .build();
                }
            }
        }
        return iam;
    }

    /** EventBridge on the world's region: rules and targets on the default bus. */
    public EventBridgeClient eventBridge() {
        if (eventBridge == null) {
            synchronized (this) {
                if (eventBridge == null) {
                    eventBridge = configure(EventBridgeClient.builder(), AwsService.EVENTBRIDGE)
                            .build();
                }
            }
        }
        return eventBridge;
    }

    /**
     * SQS for short calls (create, delete, list, tag). Its HTTP client gives up on a read silent for 10 s, so a 20 s
     * long poll needs a client of its own: see {@link #sqs(SdkHttpClient)}.
     */
    public SqsClient sqs() {
        if (sqs == null) {
            synchronized (this) {
                if (sqs == null) {
                    sqs = configure(SqsClient.builder(), AwsService.SQS).build();
                }
            }
        }
        return sqs;
    }

    /**
     * A new SQS client of this world on the given HTTP client, for long polls (whose socket timeout must exceed the
     * 20 s wait); the caller closes it.
     */
    SqsClient sqs(SdkHttpClient longPollHttp) {
        return configure(SqsClient.builder(), AwsService.SQS)
                .httpClient(longPollHttp)
                .build();
    }

    /**
     * Builds every client on a background thread, so that the first drill does not pay for the SDK's class
     * loading (a second or more per client on a loaded machine).
     */
    public AwsClients prewarm() {
        Thread t = new Thread(
                () -> {
                    try {
                        fis();
                        ec2();
                        sts();
                        iam();
                        eventBridge();
                        sqs();
                    } catch (RuntimeException e) {
                        // the drill builds them again and reports what fails
                    }
                },
                "spotdrill-prewarm");
        t.setDaemon(true);
        t.start();
        return this;
    }

    /** The HTTP client every client of this world shares. */
    SdkHttpClient http() {
        return http;
    }

    private <B extends AwsClientBuilder<B, C> & AwsSyncClientBuilder<B, C>, C> B configure(
            B builder, AwsService service) {
        return configure(builder, service, Region.of(world.region()));
    }

    private <B extends AwsClientBuilder<B, C> & AwsSyncClientBuilder<B, C>, C> B configure(
            B builder, AwsService service, Region region) {
        builder.region(region).credentialsProvider(credentials).httpClient(http);
        Optional<URI> endpoint = world.endpoint(service);
        endpoint.ifPresent(builder::endpointOverride);
        return builder;
    }
}
