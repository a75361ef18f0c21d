package dev.spotdrill.lab;

import dev.spotdrill.core.AwsCredentials;
import dev.spotdrill.core.AwsService;
import dev.spotdrill.core.World;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The files that point real clients at a running lab: a kubeconfig (context {@value #PROFILE}), an AWS CLI config
 * and credentials pair (profile {@value #PROFILE}, with a per-service {@code endpoint_url} in a {@code services}
 * section), and an {@code env} file of {@code KEY=value} lines ({@code AWS_ENDPOINT_URL_<SERVICE>},
 * {@code AWS_REGION}, the keys, {@code AWS_CONFIG_FILE}, {@code AWS_SHARED_CREDENTIALS_FILE}, {@code KUBECONFIG}).
 *
 * <pre>{@code
 * LabClientFiles files = LabClientFiles.write(lab, Path.of("lab-client"));
 * // then, in a shell:  set -a; . lab-client/env; set +a; aws sts get-caller-identity; kubectl get nodes
 * }</pre>
 *
 * <p>The credentials and env files hold the lab's own throwaway secret key, which works nowhere but in this lab;
 * they are written readable by their owner only, and the secret never appears in {@link #toString()} or a log.
 */
public final class LabClientFiles {
    /** The kubeconfig context, cluster and user, and the AWS profile name. */
    public static final String PROFILE = "spotdrill-lab";

    private static final Map<AwsService, String> CLI_NAMES = new EnumMap<>(Map.of(
            AwsService.FIS, "fis",
            AwsService.EC2, "ec2",
            AwsService.STS, "sts",
            AwsService.IAM, "iam",
            AwsService.SQS, "sqs",
            AwsService.EVENTBRIDGE, "eventbridge",
            AwsService.SSM, "ssm"));

    private final Path directory;
    private final Path kubeconfig;
    private final Path awsConfig;
    private final Path awsCredentials;
    private final Path env;

    private LabClientFiles(Path directory) {
        this.directory = directory;
        this.kubeconfig = directory.resolve("kubeconfig");
        this.awsConfig = directory.resolve("aws-config");
        this.awsCredentials = directory.resolve("aws-credentials");
        this.env = directory.resolve("env");
    }

    /**
     * Writes the files for a running lab into the directory (created if missing; files in it are replaced).
     *
     * @throws IllegalArgumentException when the lab is closed or has no credentials
     * @throws UncheckedIOException when a file cannot be written
     */
    public static LabClientFiles write(SpotLab lab, Path directory) {
        return write(lab, directory, Optional.empty());
    }

    /**
     * As {@link #write(SpotLab, Path)}, for a lab served with a {@link LabControl} endpoint: the {@code env} file
     * also sets {@code SPOTDRILL_LAB_URL} to it, so that drills and {@code spotdrill lab fault} run in that shell
     * attach to this lab.
     */
    public static LabClientFiles write(SpotLab lab, Path directory, LabControl control) {
        if (control == null) {
            throw new IllegalArgumentException("LabClientFiles.write needs the lab's control endpoint");
        }
        return write(lab, directory, Optional.of(control.url()));
    }

    private static LabClientFiles write(SpotLab lab, Path directory, Optional<URI> control) {
        if (lab == null || directory == null) {
            throw new IllegalArgumentException("LabClientFiles.write needs a running lab and a directory");
        }
        World world = lab.world();
        AwsCredentials credentials = world.credentials()
                .orElseThrow(() -> new IllegalArgumentException("lab " + lab.id() + " has no credentials"));
        LabClientFiles files = new LabClientFiles(directory.toAbsolutePath().normalize());
        Map<AwsService, URI> endpoints = new EnumMap<>(AwsService.class);
        for (AwsService s : AwsService.values()) {
            world.endpoint(s).ifPresent(u -> endpoints.put(s, u));
        }
        Optional<URI> kube = lab.cluster().map(c -> c.masterUrl());
        try {
            Files.createDirectories(files.directory);
            if (kube.isPresent()) {
                writeFile(files.kubeconfig, kubeconfig(kube.get()), false);
            }
            writeFile(files.awsConfig, awsConfig(world.region(), endpoints), false);
            writeFile(files.awsCredentials, awsCredentials(credentials), true);
            writeFile(files.env, env(files, world.region(), endpoints, credentials, kube.isPresent(), control), true);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot write the lab's client files into " + files.directory + "; choose a writable directory", e);
        }
        return files;
    }

    /** The directory the files are in. */
    public Path directory() {
        return directory;
    }

    /** The kubeconfig (context {@value #PROFILE}); it exists only when the lab has a cluster. */
    public Path kubeconfig() {
        return kubeconfig;
    }

    /** The AWS CLI/SDK config file: profile {@value #PROFILE} with its region and service endpoints. */
    public Path awsConfig() {
        return awsConfig;
    }

    /** The AWS shared credentials file: profile {@value #PROFILE} with the lab's throwaway keys. */
    public Path awsCredentials() {
        return awsCredentials;
    }

    /** The {@code KEY=value} environment file. */
    public Path env() {
        return env;
    }

    /** The env var that overrides one service's endpoint, e.g. {@code AWS_ENDPOINT_URL_FIS}. */
    static String endpointVariable(AwsService service) {
        return "AWS_ENDPOINT_URL_" + CLI_NAMES.get(service).toUpperCase(Locale.ROOT);
    }

    private static String kubeconfig(URI master) {
        String server = master.toString().replaceAll("/+$", "");
        return String.join(
                "\n",
                "# kubeconfig for a spotdrill lab (plain HTTP on loopback, no credentials needed)",
                "apiVersion: v1",
                "kind: Config",
                "clusters:",
                "- name: " + PROFILE,
                "  cluster:",
                "    server: " + server,
                "users:",
                "- name: " + PROFILE,
                "  user: {}",
                "contexts:",
                "- name: " + PROFILE,
                "  context:",
                "    cluster: " + PROFILE,
                "    user: " + PROFILE,
                "    namespace: default",
                "current-context: " + PROFILE,
                "preferences: {}",
                "");
    }

    private static String awsConfig(String region, Map<AwsService, URI> endpoints) {
        StringBuilder sb = new StringBuilder();
        sb.append("# AWS config for a spotdrill lab: use it with --profile ")
                .append(PROFILE)
                .append('\n');
        sb.append("[profile ").append(PROFILE).append("]\n");
        sb.append("region = ").append(region).append('\n');
        sb.append("output = json\n");
        sb.append("services = ").append(PROFILE).append('\n');
        sb.append('\n');
        sb.append("[services ").append(PROFILE).append("]\n");
        endpoints.forEach((s, u) -> sb.append(CLI_NAMES.get(s))
                .append(" =\n  endpoint_url = ")
                .append(endpoint(u))
                .append('\n'));
        return sb.toString();
    }

    private static String awsCredentials(AwsCredentials c) {
        return "# The spotdrill lab's own throwaway credentials: they work only against this lab, and only while it\n"
                + "# runs. Do not put real AWS keys here.\n"
                + "[" + PROFILE + "]\n"
                + "aws_access_key_id = " + c.accessKeyId() + "\n"
                + "aws_secret_access_key = " + c.secretAccessKey().reveal() + "\n";
    }

    private static String env(
            LabClientFiles f,
            String region,
            Map<AwsService, URI> endpoints,
            AwsCredentials c,
            boolean kube,
            Optional<URI> control) {
        StringBuilder sb = new StringBuilder();
        sb.append("# Environment for tools pointed at a spotdrill lab: KEY=value lines, for docker --env-file,\n");
        sb.append("# systemd EnvironmentFile, or a shell: set -a; . ./env; set +a\n");
        sb.append("# AWS_SECRET_ACCESS_KEY is the lab's own throwaway secret: it works only against this lab.\n");
        endpoints.forEach((s, u) ->
                sb.append(endpointVariable(s)).append('=').append(endpoint(u)).append('\n'));
        sb.append("AWS_REGION=").append(region).append('\n');
        sb.append("AWS_DEFAULT_REGION=").append(region).append('\n');
        sb.append("AWS_ACCESS_KEY_ID=").append(c.accessKeyId()).append('\n');
        sb.append("AWS_SECRET_ACCESS_KEY=").append(c.secretAccessKey().reveal()).append('\n');
        sb.append("AWS_CONFIG_FILE=").append(f.awsConfig).append('\n');
        sb.append("AWS_SHARED_CREDENTIALS_FILE=").append(f.awsCredentials).append('\n');
        sb.append("AWS_PROFILE=").append(PROFILE).append('\n');
        if (kube) {
            sb.append("KUBECONFIG=").append(f.kubeconfig).append('\n');
        }
        control.ifPresent(
                u -> sb.append(dev.spotdrill.core.SpotDrillConfig.envNames(dev.spotdrill.core.SpotDrillConfig.LAB_URL)
                                .get(0))
                        .append('=')
                        .append(endpoint(u))
                        .append('\n'));
        return sb.toString();
    }

    private static String endpoint(URI u) {
        return u.toString().replaceAll("/+$", "");
    }

    private static void writeFile(Path file, String content, boolean secret) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        if (secret && FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        Files.writeString(tmp, content, StandardCharsets.UTF_8);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    @Override
    public String toString() {
        return "LabClientFiles[" + directory + ": kubeconfig, aws-config, aws-credentials, env]";
    }
}
