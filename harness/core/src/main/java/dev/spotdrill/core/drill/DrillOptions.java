package dev.spotdrill.core.drill;

import dev.spotdrill.core.SpotDrillConfig;
import dev.spotdrill.core.SpotDrillConfigurationException;
import dev.spotdrill.core.World;
import dev.spotdrill.core.internal.Messages;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The configuration a drill needs besides its spec: guardrails, the FIS role, stop condition, quota wait and
 * IMDS route. Built from {@link SpotDrillConfig} with {@link #from}, which checks every value.
 *
 * @param optInKey the opt-in tag key every target must carry
 * @param optInValue its value
 * @param accounts the AWS accounts a drill may touch; empty means any (allowed only in the lab)
 * @param maxTargets the blast-radius cap
 * @param roleArn the FIS role, when given
 * @param roleName the role to auto-provision and reuse when no ARN is given
 * @param stopAlarmArn a CloudWatch alarm ARN for the stop condition, when given
 * @param quotaWait how long to wait for a free FIS experiment slot, in world time
 * @param imdsVia how to read a target's IMDS: {@code direct}, {@code probe-pod} or {@code ssm}
 * @param seed the selection seed, when fixed
 * @param probeImage the image of the IMDS probe pod, for {@code imdsVia = probe-pod}
 * @param config the configuration these options came from, for the sources' own keys
 */
public record DrillOptions(
        String optInKey,
        String optInValue,
        List<String> accounts,
        int maxTargets,
        Optional<String> roleArn,
        String roleName,
        Optional<String> stopAlarmArn,
        Duration quotaWait,
        String imdsVia,
        Optional<Long> seed,
        String probeImage,
        SpotDrillConfig config) {

    public static final String DEFAULT_OPT_IN = "spotdrill/allowed=true";
    public static final String DEFAULT_ROLE_NAME = "spotdrill-fis";
    public static final int DEFAULT_MAX_TARGETS = 5;
    public static final Duration DEFAULT_QUOTA_WAIT = Duration.ofMinutes(10);

    public DrillOptions {
        accounts = List.copyOf(accounts);
        config = config == null ? SpotDrillConfig.of(java.util.Map.of()) : config;
    }

    /**
     * The gather window of coalesced drills ({@code spotdrill.fis.coalesce}, wall time), or empty when drills do not
     * share experiments (the default).
     */
    public Optional<Duration> coalesce() {
        return coalesceWindow(config);
    }

    private static Optional<Duration> coalesceWindow(SpotDrillConfig config) {
        Optional<String> raw = config.get(SpotDrillConfig.FIS_COALESCE);
        if (raw.isEmpty() || raw.get().isBlank()) {
            return Optional.empty();
        }
        Duration d = config.duration(SpotDrillConfig.FIS_COALESCE, Duration.ZERO);
        if (d.isNegative() || d.isZero() || d.compareTo(Duration.ofMinutes(1)) > 0) {
            throw new SpotDrillConfigurationException(SpotDrillConfig.FIS_COALESCE + "=\"" + raw.get()
                    + "\": the gather window must be more than zero and at most PT1M (wall time); for example"
                    + " spotdrill.fis.coalesce=PT2S, or leave it unset to give each drill its own experiment");
        }
        return Optional.of(d);
    }

    /** Options without a configuration behind them (sources read their defaults). */
    public DrillOptions(
            String optInKey,
            String optInValue,
            List<String> accounts,
            int maxTargets,
            Optional<String> roleArn,
            String roleName,
            Optional<String> stopAlarmArn,
            Duration quotaWait,
            String imdsVia,
            Optional<Long> seed,
            String probeImage) {
        this(
                optInKey,
                optInValue,
                accounts,
                maxTargets,
                roleArn,
                roleName,
                stopAlarmArn,
                quotaWait,
                imdsVia,
                seed,
                probeImage,
                null);
    }

    /** The options from configuration; every bad value throws before anything is called in AWS. */
    public static DrillOptions from(SpotDrillConfig config, World world) {
        String optIn = config.get(SpotDrillConfig.GUARD_OPT_IN_TAG, DEFAULT_OPT_IN);
        int eq = optIn.indexOf('=');
        if (eq <= 0 || eq == optIn.length() - 1) {
            throw new SpotDrillConfigurationException(Messages.badOptInTag(optIn));
        }
        List<String> accounts = config.list(SpotDrillConfig.GUARD_ACCOUNTS);
        for (String a : accounts) {
            if (!a.matches("\\d{12}")) {
                throw new SpotDrillConfigurationException(SpotDrillConfig.GUARD_ACCOUNTS + "=\""
                        + String.join(",", accounts) + "\": \"" + a
                        + "\" is not a 12-digit AWS account id; list account ids separated by commas");
            }
        }
        if (accounts.isEmpty() && World.AWS.equals(world.name())) {
            throw new SpotDrillConfigurationException(Messages.accountsRequired());
        }
        Optional<String> roleArn = config.get(SpotDrillConfig.FIS_ROLE_ARN);
        roleArn.ifPresent(arn -> {
            if (!arn.matches("arn:aws[a-z-]*:iam::\\d{12}:role/.+")) {
                throw new SpotDrillConfigurationException(SpotDrillConfig.FIS_ROLE_ARN + "=\"" + arn
                        + "\": not an IAM role ARN; write it like arn:aws:iam::123456789012:role/spotdrill-fis");
            }
        });
        String partition = dev.spotdrill.core.Partition.of(world.region()).id();
        roleArn.ifPresent(arn -> {
            if (!arn.startsWith("arn:" + partition + ":")) {
                throw new SpotDrillConfigurationException(SpotDrillConfig.FIS_ROLE_ARN + "=\"" + arn + "\": the region "
                        + world.region() + " is in partition " + partition + ", and a role there is written arn:"
                        + partition + ":iam::<account>:role/<name>; use the role of that partition");
            }
        });
        String roleName = config.get(SpotDrillConfig.FIS_ROLE_NAME, DEFAULT_ROLE_NAME);
        if (!roleName.matches("[\\w+=,.@-]{1,64}")) {
            throw new SpotDrillConfigurationException(SpotDrillConfig.FIS_ROLE_NAME + "=\"" + roleName
                    + "\": not a valid IAM role name; use up to 64 letters, digits and +=,.@_-");
        }
        Optional<String> alarm = config.get(SpotDrillConfig.FIS_STOP_ALARM_ARN);
        alarm.ifPresent(arn -> {
            if (!arn.matches("arn:aws[a-z-]*:cloudwatch:[a-z0-9-]+:\\d{12}:alarm:.+")) {
                throw new SpotDrillConfigurationException(SpotDrillConfig.FIS_STOP_ALARM_ARN + "=\"" + arn
                        + "\": not a CloudWatch alarm ARN; write it like"
                        + " arn:aws:cloudwatch:us-east-1:123456789012:alarm:checkout-5xx");
            }
        });
        String via = config.get(SpotDrillConfig.IMDS_VIA, "direct");
        if (!List.of("direct", "probe-pod").contains(via)) {
            throw new SpotDrillConfigurationException(SpotDrillConfig.IMDS_VIA + "=\"" + via + "\": "
                    + (via.equals("ssm") ? "the ssm route is not built yet" : "unknown IMDS route")
                    + "; use direct (the lab, or a runner on the instance) or probe-pod (a real cluster)");
        }
        Optional<Long> seed = config.get(SpotDrillConfig.SEED).map(s -> {
            try {
                return Long.parseLong(s);
            } catch (NumberFormatException e) {
                throw new SpotDrillConfigurationException(
                        SpotDrillConfig.SEED + "=\"" + s + "\": not a whole number; for example spotdrill.seed=42");
            }
        });
        coalesceWindow(config);
        return new DrillOptions(
                optIn.substring(0, eq),
                optIn.substring(eq + 1),
                accounts,
                config.positiveInt(SpotDrillConfig.GUARD_MAX_TARGETS, DEFAULT_MAX_TARGETS),
                roleArn,
                roleName,
                alarm,
                config.duration(SpotDrillConfig.FIS_QUOTA_WAIT, DEFAULT_QUOTA_WAIT),
                via,
                seed,
                dev.spotdrill.core.kube.ProbePodSpec.image(config),
                config);
    }

    /** Defaults for the lab: no account list, default guardrails. */
    public static DrillOptions defaults() {
        return new DrillOptions(
                "spotdrill/allowed",
                "true",
                List.of(),
                DEFAULT_MAX_TARGETS,
                Optional.empty(),
                DEFAULT_ROLE_NAME,
                Optional.empty(),
                DEFAULT_QUOTA_WAIT,
                "direct",
                Optional.empty(),
                dev.spotdrill.core.kube.ProbePodSpec.DEFAULT_IMAGE);
    }
}
