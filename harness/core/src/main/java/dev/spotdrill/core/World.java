package dev.spotdrill.core;

import java.net.URI;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * The world a drill runs in: region, endpoints, credentials, Kubernetes access and the clock.
 *
 * <p>The lab and real AWS differ only in these values: core has no "if lab" branch. Use {@link #aws} for
 * real AWS, or the lab's {@code lab.world()}.
 */
public final class World {
    /** The name of the real AWS world. */
    public static final String AWS = "aws";
    /** The name of the embedded lab world. */
    public static final String LAB = "lab";

    private final String name;
    private final String region;
    private final WorldClock clock;
    private final Map<AwsService, URI> endpoints;
    private final AwsCredentials credentials;
    private final Function<String, URI> imdsEndpoints;
    private final KubeAccess kube;
    private final Map<String, String> facts;
    private final Map<String, java.util.function.Supplier<String>> attachments;
    private final Map<String, String> settings;
    private final Map<String, Secret> secrets;

    private World(Builder b) {
        this.name = requireText(b.name, "name");
        this.region = requireText(b.region, "region");
        this.clock = Objects.requireNonNull(b.clock, "clock");
        this.endpoints = Map.copyOf(b.endpoints);
        this.credentials = b.credentials;
        this.imdsEndpoints = b.imdsEndpoints;
        this.kube = b.kube;
        this.facts = Map.copyOf(b.facts);
        this.attachments = Map.copyOf(b.attachments);
        this.settings = Map.copyOf(b.settings);
        this.secrets = Map.copyOf(b.secrets);
    }

    /** A builder for a world with the given name, for example {@code "lab"} or {@code "aws"}. */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    /** Real AWS, from the default credential chain and the given configuration. */
    public static World aws(SpotDrillConfig config) {
        return AwsWorlds.fromConfig(config);
    }

    public String name() {
        return name;
    }

    public String region() {
        return region;
    }

    public WorldClock clock() {
        return clock;
    }

    /** The endpoint override for a service; empty means the service's public endpoint in the region. */
    public Optional<URI> endpoint(AwsService service) {
        return Optional.ofNullable(endpoints.get(service));
    }

    /** Static credentials; empty means the SDK's default credential chain. */
    public Optional<AwsCredentials> credentials() {
        return Optional.ofNullable(credentials);
    }

    /**
     * The IMDS endpoint that serves the given instance, for the {@code direct} IMDS route. On AWS this is the
     * link-local address, which only works on the instance itself.
     */
    public URI imdsEndpoint(String instanceId) {
        return imdsEndpoints.apply(instanceId);
    }

    /** How to reach the Kubernetes cluster, when the world has one. */
    public Optional<KubeAccess> kube() {
        return Optional.ofNullable(kube);
    }

    /** Descriptive facts for reports, for example {@code pace} or {@code scenario}; never secrets. */
    public Map<String, String> facts() {
        return facts;
    }

    /**
     * Evidence this world can give a report when a drill ends, by name: the lab gives its API-call log as
     * {@code lab-call-log}. Never secrets.
     */
    public Map<String, String> attachments() {
        Map<String, String> out = new LinkedHashMap<>();
        attachments.forEach((k, v) -> out.put(k, v.get()));
        return out;
    }

    /**
     * The world's default for a configuration key, such as {@code spotdrill.castai.url} in the lab; used only when
     * the configuration has no value for the key.
     */
    public Optional<String> setting(String key) {
        return Optional.ofNullable(settings.get(key));
    }

    /**
     * A secret the world supplies, by name, such as the lab's CAST AI API key under
     * {@code SPOTDRILL_CASTAI_API_KEY}; used only when the environment has no value. Never printed.
     */
    public Optional<Secret> secret(String name) {
        return Optional.ofNullable(secrets.get(name));
    }

    @Override
    public String toString() {
        return "World[" + name + ", region=" + region + ", pace=" + clock.pace() + "]";
    }

    private static String requireText(String value, String what) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("World " + what + " must not be blank");
        }
        return value;
    }

    /** Builds a {@link World}. */
    public static final class Builder {
        private final String name;
        private String region;
        private WorldClock clock = WorldClock.system();
        private final Map<AwsService, URI> endpoints = new EnumMap<>(AwsService.class);
        private AwsCredentials credentials;
        private Function<String, URI> imdsEndpoints = id -> URI.create("http://169.254.169.254");
        private KubeAccess kube;
        private final Map<String, String> facts = new LinkedHashMap<>();
        private final Map<String, java.util.function.Supplier<String>> attachments = new LinkedHashMap<>();
        private final Map<String, String> settings = new LinkedHashMap<>();
        private final Map<String, Secret> secrets = new LinkedHashMap<>();

        private Builder(String name) {
            this.name = name;
        }

        public Builder region(String region) {
            this.region = region;
            return this;
        }

        public Builder clock(WorldClock clock) {
            this.clock = clock;
            return this;
        }

        public Builder endpoint(AwsService service, URI endpoint) {
            endpoints.put(service, endpoint);
            return this;
        }

        public Builder credentials(AwsCredentials credentials) {
            this.credentials = credentials;
            return this;
        }

        public Builder imdsEndpoints(Function<String, URI> imdsEndpoints) {
            this.imdsEndpoints = Objects.requireNonNull(imdsEndpoints);
            return this;
        }

        public Builder kube(KubeAccess kube) {
            this.kube = kube;
            return this;
        }

        public Builder fact(String key, String value) {
            facts.put(key, value);
            return this;
        }

        public Builder attachment(String name, java.util.function.Supplier<String> content) {
            attachments.put(name, content);
            return this;
        }

        /** A default for a configuration key, used when the configuration has no value for it. */
        public Builder setting(String key, String value) {
            settings.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /** A secret the world supplies under a name, used when the environment has none; never printed. */
        public Builder secret(String name, Secret secret) {
            secrets.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(secret, "secret"));
            return this;
        }

        public World build() {
            return new World(this);
        }
    }
}
