package dev.spotdrill.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** The kubeconfig, AWS config/credentials and env file that point real clients at a running lab. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LabClientFilesTest {
    @TempDir
    Path dir;

    private SpotLab lab;
    private String secret;

    @BeforeAll
    void start() {
        lab = SpotLab.start(LabOptions.builder().pace(60).build());
        secret = lab.world().credentials().orElseThrow().secretAccessKey().reveal();
    }

    @AfterAll
    void close() {
        lab.close();
    }

    @Test
    void theKubeconfigReachesTheLabsCluster() throws Exception {
        LabClientFiles files = LabClientFiles.write(lab, dir.resolve("a"));

        String kubeconfig = Files.readString(files.kubeconfig());
        assertThat(kubeconfig)
                .contains("current-context: spotdrill-lab")
                .contains("server: "
                        + lab.cluster().orElseThrow().masterUrl().toString().replaceAll("/$", ""));
        Config config = Config.fromKubeconfig(kubeconfig);
        try (KubernetesClient client =
                new KubernetesClientBuilder().withConfig(config).build()) {
            assertThat(client.nodes().withLabel("workload", "checkout").list().getItems())
                    .hasSize(3);
        }
    }

    @Test
    void theAwsProfileNamesEachServiceEndpointAndTheThrowawayKeys() throws Exception {
        LabClientFiles files = LabClientFiles.write(lab, dir.resolve("b"));

        String config = Files.readString(files.awsConfig());
        assertThat(config)
                .contains("[profile spotdrill-lab]\nregion = us-east-1\n")
                .contains("services = spotdrill-lab")
                .contains("[services spotdrill-lab]")
                .contains("fis =\n  endpoint_url = " + endpoint(dev.spotdrill.core.AwsService.FIS))
                .contains("ec2 =\n  endpoint_url = " + endpoint(dev.spotdrill.core.AwsService.EC2))
                .contains("sts =\n  endpoint_url = " + endpoint(dev.spotdrill.core.AwsService.STS))
                .contains("iam =\n  endpoint_url = " + endpoint(dev.spotdrill.core.AwsService.IAM))
                .doesNotContain(secret);
        String credentials = Files.readString(files.awsCredentials());
        assertThat(credentials)
                .startsWith("# The spotdrill lab's own throwaway credentials")
                .contains("[spotdrill-lab]\naws_access_key_id = "
                        + lab.world().credentials().orElseThrow().accessKeyId())
                .contains("aws_secret_access_key = " + secret);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(files.awsCredentials())))
                .isEqualTo("rw-------");
    }

    @Test
    void theEnvFileHasEveryVariableAndOnlyItsOwnerMayReadIt() throws Exception {
        LabClientFiles files = LabClientFiles.write(lab, dir.resolve("c"));

        var env = Cli.envFile(files.env());
        assertThat(env)
                .containsEntry("AWS_ENDPOINT_URL_FIS", endpoint(dev.spotdrill.core.AwsService.FIS))
                .containsEntry("AWS_ENDPOINT_URL_EC2", endpoint(dev.spotdrill.core.AwsService.EC2))
                .containsEntry("AWS_ENDPOINT_URL_STS", endpoint(dev.spotdrill.core.AwsService.STS))
                .containsEntry("AWS_ENDPOINT_URL_IAM", endpoint(dev.spotdrill.core.AwsService.IAM))
                .containsEntry("AWS_REGION", "us-east-1")
                .containsEntry("AWS_DEFAULT_REGION", "us-east-1")
                .containsEntry("AWS_SECRET_ACCESS_KEY", secret)
                .containsEntry("AWS_CONFIG_FILE", files.awsConfig().toString())
                .containsEntry(
                        "AWS_SHARED_CREDENTIALS_FILE", files.awsCredentials().toString())
                .containsEntry("KUBECONFIG", files.kubeconfig().toString());
        assertThat(Files.readString(files.env())).contains("# AWS_SECRET_ACCESS_KEY is the lab's own throwaway secret");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(files.env())))
                .isEqualTo("rw-------");
        assertThat(files.toString())
                .doesNotContain(secret)
                .contains(files.directory().toString());
        // writing again replaces the files
        assertThat(LabClientFiles.write(lab, dir.resolve("c")).env()).isEqualTo(files.env());
    }

    @Test
    void badInputSaysWhatToDo() throws Exception {
        Path notADirectory = Files.writeString(dir.resolve("file"), "x");

        assertThatThrownBy(() -> LabClientFiles.write(lab, notADirectory))
                .isInstanceOf(UncheckedIOException.class)
                .hasMessageStartingWith("cannot write the lab's client files into " + notADirectory)
                .hasMessageEndingWith("; choose a writable directory");
        assertThatThrownBy(() -> LabClientFiles.write(null, dir))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("LabClientFiles.write needs a running lab and a directory");
    }

    private String endpoint(dev.spotdrill.core.AwsService s) {
        return lab.world().endpoint(s).orElseThrow().toString().replaceAll("/+$", "");
    }
}
