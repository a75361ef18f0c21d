package dev.spotdrill.lab;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledFuture;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lab's EC2 instances and their lifecycle: the interruption schedule FIS sets (rebalance, notice,
 * interruption), running to shutting-down to terminated (or stopping to stopped), and ASG-like replacement.
 * Every method must be called holding {@code ctx.lock}, except where noted.
 */
final class Ec2Fleet {
    private static final Logger LOG = LoggerFactory.getLogger(Ec2Fleet.class);
    static final Duration NOTICE_LEAD = Duration.ofMinutes(2);
    static final Duration SHUTDOWN = Duration.ofSeconds(5);

    private final LabContext ctx;
    private final Map<String, Instance> instances = new LinkedHashMap<>();
    private final List<Consumer<LabInstance>> listeners = new CopyOnWriteArrayList<>();
    private volatile Events events = Events.NONE;

    /**
     * What the fleet tells EventBridge: called holding {@code ctx.lock}, so implementations only take note and
     * return (no I/O, no waiting on other threads).
     */
    interface Events {
        Events NONE = new Events() {};

        /** FIS sent the instance a rebalance recommendation. */
        default void rebalance(Instance i, Instant at) {}

        /** FIS sent the instance its interruption notice (the Spot Instance Interruption Warning). */
        default void notice(Instance i, Instant at) {}

        /** The instance changed state (or a replacement appeared, running). */
        default void stateChanged(Instance i, Instant at) {}
    }

    Ec2Fleet(LabContext ctx) {
        this.ctx = ctx;
        Instant launched = ctx.now().minus(Duration.ofHours(1));
        int n = 0;
        for (Scenario.InstanceSpec s : ctx.scenario.instances()) {
            instances.put(s.id(), new Instance(s, launched, n++));
        }
    }

    void events(Events events) {
        this.events = events;
    }

    /** Listeners are told of every state change, outside the lock's guarantees: keep them quick. */
    void addListener(Consumer<LabInstance> listener) {
        listeners.add(listener);
    }

    List<Instance> all() {
        return new ArrayList<>(instances.values());
    }

    Optional<Instance> get(String id) {
        return Optional.ofNullable(instances.get(id));
    }

    /**
     * Schedules an interruption: the rebalance recommendation at {@code start}, the notice two minutes before
     * {@code start + lead} and the interruption at {@code start + lead}.
     */
    void scheduleInterruption(Instance i, Instant start, Duration lead, Runnable afterInterruption) {
        Instant interruptAt = start.plus(lead);
        Instant noticeAt = interruptAt.minus(NOTICE_LEAD);
        if (i.rebalanceAt == null) {
            i.rebalanceAt = start;
            ctx.at(start, () -> {
                synchronized (ctx.lock) {
                    events.rebalance(i, start);
                }
            });
        }
        Instant shownAt = noticeAt.isBefore(start) ? start : noticeAt;
        i.noticeAt = shownAt;
        i.interruptAt = interruptAt;
        i.noticeEvent = ctx.at(shownAt, () -> {
            synchronized (ctx.lock) {
                if (i.noticeEvent != null && shownAt.equals(i.noticeAt)) {
                    i.noticeEvent = null;
                    events.notice(i, shownAt);
                }
            }
        });
        i.interruption = ctx.at(interruptAt, () -> {
            synchronized (ctx.lock) {
                i.interruption = null;
                interrupt(i, interruptAt);
                afterInterruption.run();
            }
        });
    }

    /**
     * Takes back a pending interruption whose instance-action notice has not been sent yet (its notice and
     * interruption are withdrawn; a rebalance recommendation already sent stays). Once the notice is out the
     * interruption stands and this returns false: the conservative reading of StopExperiment.
     */
    boolean withdrawInterruption(Instance i) {
        if (i.interruption == null) {
            return false;
        }
        if (i.noticeAt != null && !ctx.now().isBefore(i.noticeAt)) {
            return false;
        }
        cancelInterruption(i);
        return true;
    }

    /** Cancels a pending interruption; a notice already shown stays, one not yet shown is withdrawn. */
    void cancelInterruption(Instance i) {
        if (i.interruption != null) {
            i.interruption.cancel(false);
            i.interruption = null;
            if (i.noticeAt != null && ctx.now().isBefore(i.noticeAt)) {
                i.noticeAt = null;
                i.interruptAt = null;
                if (i.noticeEvent != null) {
                    i.noticeEvent.cancel(false);
                    i.noticeEvent = null;
                }
            }
        }
    }

    /** Interrupts the instance at a world instant: the state changes carry that instant, however late this runs. */
    private void interrupt(Instance i, Instant at) {
        if (!i.state.equals("running")) {
            return;
        }
        if (ctx.faults.active("ec2.no-termination")) {
            LOG.info("lab {}: fault ec2.no-termination keeps {} running", ctx.labId, i.id);
            return;
        }
        boolean terminate = i.behaviour.equals("terminate");
        setState(i, terminate ? "shutting-down" : "stopping", at);
        Instant down = at.plus(SHUTDOWN);
        ctx.at(down, () -> {
            synchronized (ctx.lock) {
                setState(i, terminate ? "terminated" : "stopped", down);
                if (terminate && i.spot() && ctx.scenario.replaceInterrupted()) {
                    ctx.at(ctx.now().plus(ctx.scenario.replacementDelay()), () -> {
                        synchronized (ctx.lock) {
                            replace(i);
                        }
                    });
                }
            }
        });
    }

    private void replace(Instance old) {
        String id = "i-0" + ctx.hex(16);
        Optional<Scenario.NodeSpec> node = old.node.map(n -> new Scenario.NodeSpec(
                "ip-10-0-" + (100 + ctx.nextInt(150)) + "-" + (1 + ctx.nextInt(250)) + ".ec2.internal",
                n.labels(),
                n.raw()));
        // an ASG launches the replacement with the group's tags, not with tags written on the old instance since:
        // a spotdrill claim on the interrupted instance is not the replacement's
        Map<String, String> tags = new LinkedHashMap<>(old.tags);
        tags.keySet().removeIf(k -> k.startsWith("spotdrill:claim"));
        Scenario.InstanceSpec spec =
                new Scenario.InstanceSpec(id, old.type, old.zone, old.lifecycle, "running", old.behaviour, tags, node);
        Instance fresh = new Instance(spec, ctx.now(), instances.size());
        instances.put(id, fresh);
        old.replacedBy = id;
        LOG.info("lab {}: {} replaced by {}", ctx.labId, old.id, id);
        events.stateChanged(fresh, ctx.now());
        notifyListeners(fresh);
    }

    private void setState(Instance i, String state, Instant at) {
        i.state = state;
        i.stateChangedAt = at;
        LOG.debug("lab {}: {} is {}", ctx.labId, i.id, state);
        events.stateChanged(i, i.stateChangedAt);
        notifyListeners(i);
    }

    private void notifyListeners(Instance i) {
        LabInstance view = i.view(ctx.now());
        for (Consumer<LabInstance> l : listeners) {
            try {
                l.accept(view);
            } catch (RuntimeException e) {
                LOG.warn("lab {}: instance listener failed", ctx.labId, e);
            }
        }
    }

    static int stateCode(String state) {
        return switch (state) {
            case "pending" -> 0;
            case "running" -> 16;
            case "shutting-down" -> 32;
            case "terminated" -> 48;
            case "stopping" -> 64;
            case "stopped" -> 80;
            default -> throw new IllegalArgumentException(state);
        };
    }

    /** One instance; mutable, guarded by the lab lock. */
    static final class Instance {
        final String id;
        final String type;
        final String zone;
        final String lifecycle;
        final String behaviour;
        /** Its tags, changed by CreateTags and DeleteTags; guarded by the lab lock. */
        final Map<String, String> tags;

        final Optional<Scenario.NodeSpec> node;
        final Instant launchTime;
        final String spotRequestId;
        final String privateIp;
        final String privateDns;
        String state;
        Instant stateChangedAt;
        Instant rebalanceAt;
        Instant noticeAt;
        Instant interruptAt;
        String replacedBy;
        ScheduledFuture<?> interruption;
        ScheduledFuture<?> noticeEvent;

        Instance(Scenario.InstanceSpec s, Instant launchTime, int index) {
            this.id = s.id();
            this.type = s.type();
            this.zone = s.zone();
            this.lifecycle = s.lifecycle();
            this.behaviour = s.interruptionBehavior();
            this.tags = new LinkedHashMap<>(s.tags());
            this.node = s.node();
            this.launchTime = launchTime;
            this.spotRequestId = s.spot() ? "sir-" + s.id().substring(2, Math.min(s.id().length(), 10)) : null;
            this.privateIp = "10.0." + (1 + index / 250) + "." + (10 + index % 240);
            this.privateDns =
                    node.map(Scenario.NodeSpec::name).orElse("ip-" + privateIp.replace('.', '-') + ".ec2.internal");
            this.state = s.state();
            this.stateChangedAt = launchTime;
        }

        boolean spot() {
            return lifecycle.equals("spot");
        }

        LabInstance view(Instant now) {
            return new LabInstance(
                    id,
                    type,
                    zone,
                    lifecycle,
                    state,
                    tags,
                    node.map(Scenario.NodeSpec::name),
                    node.map(Scenario.NodeSpec::labels).orElse(Map.of()),
                    launchTime,
                    Optional.ofNullable(rebalanceAt).filter(t -> !t.isAfter(now)),
                    Optional.ofNullable(noticeAt).filter(t -> !t.isAfter(now)),
                    Optional.ofNullable(interruptAt),
                    Optional.ofNullable(replacedBy));
        }
    }
}
