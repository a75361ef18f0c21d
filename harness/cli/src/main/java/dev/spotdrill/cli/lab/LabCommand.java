package dev.spotdrill.cli.lab;

import dev.spotdrill.cli.ExitCodes;
import dev.spotdrill.cli.UsageException;
import dev.spotdrill.core.AwsService;
import dev.spotdrill.core.SpotDrillConfig;
import dev.spotdrill.core.SpotDrillConfigurationException;
import dev.spotdrill.lab.LabClientFiles;
import dev.spotdrill.lab.LabControl;
import dev.spotdrill.lab.LabInstance;
import dev.spotdrill.lab.LabOptions;
import dev.spotdrill.lab.LabPorts;
import dev.spotdrill.lab.Scenario;
import dev.spotdrill.lab.SpotLab;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code spotdrill lab}: starts a lab and serves it until Ctrl-C (SIGINT) or SIGTERM, for the user's own handler,
 * kubectl, the AWS CLI, and drills in other JVMs ({@code spotdrill.lab.url}).
 *
 * <p>It prints one table of the endpoints (each service, the control endpoint, each instance's IMDS), writes the
 * client files ({@link LabClientFiles}) into {@code --out}, prints how to use them, then "ready". Its subcommands
 * talk to a running lab: {@code fault} and {@code calls}.
 */
@Command(
        name = "lab",
        mixinStandardHelpOptions = true,
        versionProvider = dev.spotdrill.cli.Versions.class,
        description = {
            "Serve a lab until Ctrl-C: AWS (FIS, EC2, STS, IAM, EventBridge, SQS), an IMDS per instance, a Kubernetes"
                    + " API server, the Spot Advisor feed and CAST AI, on 127.0.0.1.",
            "Writes a kubeconfig, an AWS profile 'spotdrill-lab' and an env file into --out, and serves a control"
                    + " endpoint: drills in other JVMs attach with spotdrill.lab.url=<control URL>."
        },
        subcommands = {LabFaultCommand.class, LabCallsCommand.class})
public final class LabCommand implements Callable<Integer> {
    /** Printed once the lab serves; tests and scripts wait for it. */
    public static final String READY = "spotdrill lab: ready";

    @Spec
    CommandSpec spec;

    @Option(
            names = "--scenario",
            paramLabel = "<name|file>",
            defaultValue = "shop",
            description = "A built-in scenario (shop, fleet) or a scenario YAML file. Default: ${DEFAULT-VALUE}.")
    String scenario;

    @Option(
            names = "--pace",
            paramLabel = "<n>",
            defaultValue = "1",
            converter = PaceConverter.class,
            description = "World seconds per wall second: 1 runs in real time, 60 makes a two-minute notice take"
                    + " 2 s. Default: ${DEFAULT-VALUE}.")
    double pace;

    @Option(
            names = "--faults",
            paramLabel = "<fault[=value]>",
            split = ",",
            description = "Faults to switch on at start, comma-separated, e.g. imds.no-notice or"
                    + " terminationHandler.drain-delay=PT3M ('spotdrill lab fault list' shows them all).")
    List<String> faults = new ArrayList<>();

    @Option(
            names = "--port-base",
            paramLabel = "<port>",
            converter = PortBaseConverter.class,
            description = "Fixed ports instead of dynamic ones: FIS <port>, EC2 +1, STS +2, IAM +3, EventBridge +4,"
                    + " SQS +5, Spot Advisor +6, CAST AI +7, Kubernetes +8, control +9, the Slack sink +10, the n-th"
                    + " instance's IMDS +11+n.")
    Integer portBase;

    @Option(
            names = "--out",
            paramLabel = "<dir>",
            defaultValue = "spotdrill-lab",
            description = "Where to write kubeconfig, aws-config, aws-credentials and env. Default: ${DEFAULT-VALUE}.")
    Path out;

    @Option(
            names = {"-v", "--verbose"},
            description = "Log what the lab does (info level) on stderr.")
    boolean verbose;

    @Override
    public Integer call() throws InterruptedException {
        long t0 = System.nanoTime();
        PrintWriter o = spec.commandLine().getOut();
        Scenario sc;
        try {
            sc = Scenario.load(scenario);
        } catch (SpotDrillConfigurationException e) {
            throw new UsageException("--scenario " + scenario + ": " + e.getMessage(), e);
        }
        try {
            SpotLab.checkFaults(faults);
        } catch (SpotDrillConfigurationException e) {
            throw new UsageException(e.getMessage()
                    .replace(SpotDrillConfig.LAB_FAULTS + "=\"", "--faults \"")
                    .replace("e.g. " + SpotDrillConfig.LAB_FAULTS + "=", "e.g. --faults "));
        }
        LabOptions.Builder options =
                LabOptions.builder().scenario(sc).pace(pace).faults(faults);
        if (portBase != null) {
            options.portBase(portBase);
        }
        SpotLab lab;
        try {
            lab = SpotLab.start(options.build());
        } catch (SpotDrillConfigurationException e) {
            throw portOrScenario(e);
        }
        LabControl control;
        LabClientFiles files;
        try {
            control = LabControl.start(lab);
        } catch (RuntimeException e) {
            lab.close();
            throw e instanceof SpotDrillConfigurationException c ? portOrScenario(c) : e;
        }
        try {
            files = LabClientFiles.write(lab, out, control);
        } catch (UncheckedIOException e) {
            control.close();
            lab.close();
            throw new UsageException("--out " + out + ": " + e.getMessage() + " (" + e.getCause() + ")", e);
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            int calls = lab.callLog().calls().size();
                            control.close();
                            lab.close();
                            o.println("spotdrill lab: stopped " + lab.id() + " after " + calls
                                    + (calls == 1 ? " call" : " calls") + "; the files in "
                                    + files.directory() + " point at nothing now");
                            o.flush();
                            stopped.countDown();
                        },
                        "spotdrill-lab-stop"));
        print(o, lab, control, files);
        double ready = (System.nanoTime() - t0) / 1e9;
        long jvmStart = ManagementFactory.getRuntimeMXBean().getStartTime();
        double sinceJvm = (System.currentTimeMillis() - jvmStart) / 1000.0;
        o.printf(
                Locale.ROOT,
                "%s in %.1f s (%.1f s since the JVM started): lab %s at pace %s. Ctrl-C stops it.%n",
                READY,
                ready,
                sinceJvm,
                lab.id(),
                pace(lab.clock().pace()));
        o.flush();
        stopped.await();
        return ExitCodes.OK;
    }

    private UsageException portOrScenario(SpotDrillConfigurationException e) {
        String m = e.getMessage();
        if (portBase != null && m.startsWith("lab port")) {
            return new UsageException("--port-base " + portBase + ": " + m, e);
        }
        if (m.startsWith("scenario")) {
            return new UsageException("--scenario " + scenario + ": " + m, e);
        }
        return new UsageException(m, e);
    }

    private void print(PrintWriter o, SpotLab lab, LabControl control, LabClientFiles files) {
        var world = lab.world();
        o.printf(
                Locale.ROOT,
                "spotdrill lab %s: scenario %s, region %s, account %s, pace %s%n%n",
                lab.id(),
                lab.scenario().name(),
                world.region(),
                lab.scenario().account(),
                pace(lab.clock().pace()));
        List<String[]> rows = new ArrayList<>();
        for (AwsService s : AwsService.values()) {
            world.endpoint(s).ifPresent(u -> rows.add(row(s.name().toLowerCase(Locale.ROOT), u, "")));
        }
        rows.add(row(LabPorts.Server.SPOT_ADVISOR.label(), lab.spotAdvisor().url(), "spot-advisor-data.json"));
        rows.add(row(
                LabPorts.Server.CASTAI.label(),
                lab.castAi().url(),
                "organization " + lab.castAi().organizationId() + ", cluster "
                        + lab.castAi().clusterId()));
        lab.cluster().ifPresent(c -> rows.add(row("kubernetes", c.masterUrl(), "kubeconfig context spotdrill-lab")));
        rows.add(row("control", control.url(), "spotdrill.lab.url; spotdrill lab fault|calls --url"));
        URI firstImds = null;
        for (LabInstance i : lab.instances()) {
            URI imds = world.imdsEndpoint(i.id());
            if (firstImds == null && i.state().equals("running")) {
                firstImds = imds;
            }
            rows.add(row(
                    "imds " + i.id(),
                    imds,
                    i.type() + " " + i.zone() + " " + i.lifecycle() + " " + i.state()
                            + i.nodeName().map(n -> " node " + n).orElse("")));
        }
        table(o, rows);
        Path dir = files.directory();
        o.println();
        o.println("Client files in " + dir + " (their secret key works only against this lab):");
        if (lab.cluster().isPresent()) {
            o.println("  kubeconfig       context " + LabClientFiles.PROFILE);
        }
        o.println("  aws-config       profile " + LabClientFiles.PROFILE + ", endpoint_url per service");
        o.println("  aws-credentials  profile " + LabClientFiles.PROFILE);
        o.println("  env              AWS_ENDPOINT_URL_<SERVICE>, AWS_PROFILE, KUBECONFIG, SPOTDRILL_LAB_URL");
        o.println();
        o.println("Use them from another shell:");
        o.println("  set -a; . " + out.resolve("env") + "; set +a");
        o.println("  aws sts get-caller-identity");
        o.println("  aws ec2 describe-instances --query 'Reservations[].Instances[].[InstanceId,State.Name]'");
        if (lab.cluster().isPresent()) {
            o.println("  kubectl get nodes -o wide");
        }
        if (firstImds != null) {
            o.println("  TOKEN=$(curl -s -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' " + firstImds
                    + "/latest/api/token)");
            o.println(
                    "  curl -s -H \"X-aws-ec2-metadata-token: $TOKEN\" " + firstImds + "/latest/meta-data/instance-id");
        }
        o.println("  ./spotdrill lab fault set imds.no-notice      (list, clear: the same way)");
        o.println("  drills in another JVM attach with " + SpotDrillConfig.LAB_URL + "=" + control.url()
                + " (SPOTDRILL_LAB_URL in the env file)");
        o.println();
    }

    private static String[] row(String name, URI endpoint, String detail) {
        return new String[] {name, endpoint.toString().replaceAll("/+$", ""), detail};
    }

    private static void table(PrintWriter o, List<String[]> rows) {
        String[] header = {"SERVICE", "ENDPOINT", ""};
        int w0 = header[0].length();
        int w1 = header[1].length();
        for (String[] r : rows) {
            w0 = Math.max(w0, r[0].length());
            w1 = Math.max(w1, r[1].length());
        }
        String format = "%-" + w0 + "s  %-" + w1 + "s  %s";
        o.println(String.format(Locale.ROOT, format, (Object[]) header).stripTrailing());
        for (String[] r : rows) {
            o.println(String.format(Locale.ROOT, format, (Object[]) r).stripTrailing());
        }
    }

    private static String pace(double pace) {
        return pace == Math.rint(pace) ? Long.toString((long) pace) : Double.toString(pace);
    }

    /** {@code --pace}: a positive finite number. */
    static final class PaceConverter implements ITypeConverter<Double> {
        @Override
        public Double convert(String value) {
            try {
                double d = Double.parseDouble(value.trim());
                if (d > 0 && !Double.isInfinite(d)) {
                    return d;
                }
            } catch (NumberFormatException e) {
                // below
            }
            throw new TypeConversionException("'" + value + "' is not a positive number of world seconds per wall"
                    + " second; use for example --pace 1 (real time) or --pace 60 (a two-minute notice in 2 s)");
        }
    }

    /** {@code --port-base}: a whole number in {@link LabPorts}' range. */
    static final class PortBaseConverter implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            try {
                int p = Integer.parseInt(value.trim());
                if (p >= LabPorts.MIN_BASE && p <= LabPorts.MAX_BASE) {
                    return p;
                }
            } catch (NumberFormatException e) {
                // below
            }
            throw new TypeConversionException("'" + value + "' is not a port from " + LabPorts.MIN_BASE + " to "
                    + LabPorts.MAX_BASE + "; use for example --port-base 4600 (the lab then takes 4600-4610, and 4611"
                    + " on for the instances' IMDS)");
        }
    }
}
