package dev.spotdrill.lab;

import dev.spotdrill.core.WorldClock;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What every lab component shares: the scenario, clock, scheduler, faults, call log and the one model lock. */
final class LabContext {
    private static final Logger LOG = LoggerFactory.getLogger(LabContext.class);
    private static final char[] HEX = "0123456789abcdef".toCharArray();
    private static final char[] ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".toCharArray();

    final String labId;
    final Scenario scenario;
    final WorldClock clock;
    final LabFaults faults;
    final CallLog log;
    final String accessKeyId;
    final String principalArn;
    /**
     * The access key of the lab's own responders (the queue-mode termination handler and the scenario's event
     * rules), so that their calls are told apart from the harness's in the call log.
     */
    final String responderAccessKeyId;

    final String responderPrincipalArn;
    /** The unique id of the lab user, as STS shows it; unrelated to the access key. */
    final String userId;

    final ScheduledExecutorService scheduler;
    final ExecutorService httpPool;
    /** Guards the whole model: instances, roles, templates and experiments. */
    final Object lock = new Object();

    private final SecureRandom random = new SecureRandom();

    LabContext(
            String labId,
            Scenario scenario,
            WorldClock clock,
            LabFaults faults,
            CallLog log,
            String accessKeyId,
            ScheduledExecutorService scheduler,
            ExecutorService httpPool) {
        this.labId = labId;
        this.scenario = scenario;
        this.clock = clock;
        this.faults = faults;
        this.log = log;
        this.accessKeyId = accessKeyId;
        this.principalArn = "arn:aws:iam::" + scenario.account() + ":user/spotdrill-lab";
        this.responderAccessKeyId = "AKIA" + alnum(16);
        this.responderPrincipalArn =
                "arn:aws:sts::" + scenario.account() + ":assumed-role/" + CallLog.RESPONDER_ROLE + "/responders";
        this.scheduler = scheduler;
        this.httpPool = httpPool;
        this.userId = "AIDA" + alnum(17);
    }

    String region() {
        return scenario.region();
    }

    String account() {
        return scenario.account();
    }

    Instant now() {
        return clock.now();
    }

    /** Runs the task at a world instant (at once when it has passed); failures are logged, never lost. */
    ScheduledFuture<?> at(Instant world, Runnable task) {
        long nanos = clock.wallUntil(world).toNanos();
        return scheduler.schedule(
                () -> {
                    try {
                        task.run();
                    } catch (RuntimeException e) {
                        LOG.error("lab {}: scheduled world event failed", labId, e);
                    }
                },
                nanos,
                TimeUnit.NANOSECONDS);
    }

    void record(String service, String operation, String caller, int status, String errorCode, String resource) {
        log.add(new ApiCall(now(), service, operation, caller, status, errorCode, resource));
    }

    /** The principal for an access key id, empty when the key is not the lab's (nor its responders'). */
    String principalFor(String accessKey) {
        if (accessKeyId.equals(accessKey)) {
            return principalArn;
        }
        return responderAccessKeyId.equals(accessKey) ? responderPrincipalArn : "";
    }

    String hex(int n) {
        StringBuilder sb = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            sb.append(HEX[random.nextInt(16)]);
        }
        return sb.toString();
    }

    String alnum(int n) {
        StringBuilder sb = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            sb.append(ALNUM[random.nextInt(ALNUM.length)]);
        }
        return sb.toString();
    }

    String requestId() {
        return (hex(8) + "-" + hex(4) + "-" + hex(4) + "-" + hex(4) + "-" + hex(12)).toLowerCase(Locale.ROOT);
    }

    int nextInt(int bound) {
        synchronized (random) {
            return random.nextInt(bound);
        }
    }
}
