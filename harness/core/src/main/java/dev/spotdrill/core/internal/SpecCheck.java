package dev.spotdrill.core.internal;

import dev.spotdrill.core.SpotDrillConfigurationException;
import dev.spotdrill.core.World;
import dev.spotdrill.core.drill.DrillSpec;
import dev.spotdrill.core.drill.Expectation;
import dev.spotdrill.core.drill.Moment;
import dev.spotdrill.core.drill.Selector;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.regex.Pattern;

/** Checks a {@link DrillSpec} before any AWS call; every problem names the attribute, the value and the fix. */
public final class SpecCheck {
    private static final Pattern INSTANCE_ID = Pattern.compile("i-([0-9a-f]{8}|[0-9a-f]{17})");
    private static final Duration MIN_LEAD = Duration.ofMinutes(2);
    /** FIS's upper bound of durationBeforeInterruption (the lab enforces the same). */
    private static final Duration MAX_LEAD = Duration.ofMinutes(15);

    private SpecCheck() {}

    public static void check(DrillSpec spec, World world) {
        if (spec.observationOnly()) {
            for (Expectation e : spec.expectations()) {
                if (e.perTarget()) {
                    throw new SpotDrillConfigurationException(Messages.observationOnlyTargets(e.name()));
                }
                if (e.window().from() != Moment.START) {
                    throw new SpotDrillConfigurationException(Messages.observationOnlyMoment(e.name(), e.window()));
                }
                if (e.window().within().isEmpty()) {
                    throw new SpotDrillConfigurationException(Messages.observationOnlyWithin(e.name()));
                }
            }
            return;
        }
        checkLeadTime(spec.leadTimeText());
        if (spec.count() < 0) {
            throw new SpotDrillConfigurationException(Messages.countNegative(spec.count()));
        }
        Selector s = spec.selector();
        if (s.values().isEmpty()) {
            throw new SpotDrillConfigurationException(Messages.emptyValue(s.attribute()));
        }
        for (String v : s.values()) {
            if (v == null || v.isBlank()) {
                throw new SpotDrillConfigurationException(Messages.emptyValue(s.attribute()));
            }
            switch (s.kind()) {
                case INSTANCES -> {
                    if (!INSTANCE_ID.matcher(v).matches()) {
                        throw new SpotDrillConfigurationException(Messages.badInstanceId(v));
                    }
                }
                case TAGS -> {
                    int eq = v.indexOf('=');
                    if (eq <= 0 || eq == v.length() - 1) {
                        throw new SpotDrillConfigurationException(Messages.badTag(v));
                    }
                }
                case NODES -> {
                    if (world.kube().isEmpty()) {
                        throw new SpotDrillConfigurationException(Messages.attr("SpotInterruption", "nodes", v)
                                + ": the " + world.name() + " world has no Kubernetes access; set"
                                + " spotdrill.kube.context (or a kubeconfig), or select by instances or tags");
                    }
                }
            }
        }
        for (Expectation e : spec.expectations()) {
            if (e.window().from() == Moment.INTERRUPTION && e.window().within().isEmpty()) {
                throw new SpotDrillConfigurationException(e.name() + "(from=INTERRUPTION)"
                        + ": a window from INTERRUPTION needs a length; set within, for example within = \"PT3M\"");
            }
        }
    }

    static void checkLeadTime(String text) {
        if (text == null || text.isBlank()) {
            throw new SpotDrillConfigurationException(Messages.leadTimeEmpty());
        }
        Duration d;
        try {
            d = Duration.parse(text);
        } catch (DateTimeParseException e) {
            throw new SpotDrillConfigurationException(Messages.leadTimeNotIso(text));
        }
        if (d.compareTo(MIN_LEAD) < 0) {
            throw new SpotDrillConfigurationException(Messages.leadTimeTooShort(text));
        }
        if (d.compareTo(MAX_LEAD) > 0) {
            throw new SpotDrillConfigurationException(Messages.leadTimeTooLong(text));
        }
        if (d.getNano() != 0) {
            throw new SpotDrillConfigurationException(Messages.leadTimeFractional(text));
        }
    }
}
