package dev.spotdrill.core.drill;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The EventBridge expectations, for use through core's API without JUnit; {@code @ExpectInterruptionWarning} and
 * {@code @ExpectRebalanceEvent} create the same objects. They read what the EventBridge source ({@value #EVENTS})
 * writes: events on the drill's own rule and queue.
 */
public final class EventExpectations {
    /** The kind of the EventBridge source, and the source of its observations. */
    public static final String EVENTS = "events";
    /** "EC2 Spot Instance Interruption Warning" for a target; data {@code action}, {@code eventTime}, {@code eventId}. */
    public static final String INTERRUPTION_WARNING = "INTERRUPTION_WARNING";
    /** "EC2 Instance Rebalance Recommendation" for a target; data {@code eventTime}, {@code eventId}. */
    public static final String REBALANCE_EVENT = "REBALANCE_EVENT";
    /** "EC2 Instance State-change Notification" for a target; data {@code state}. */
    public static final String STATE_CHANGE_EVENT = "STATE_CHANGE_EVENT";
    /** "FIS Experiment State Change" for the drill's experiment (drill-level); data {@code status}. */
    public static final String FIS_STATE_EVENT = "FIS_STATE_EVENT";
    /** Status key: what the queue said about a target's warning. */
    public static final String STATUS_WARNING = "events:warning";
    /** Status key: what the queue said about a target's rebalance recommendation. */
    public static final String STATUS_REBALANCE = "events:rebalance";

    private static final List<SourceRequest> SOURCE = List.of(SourceRequest.of(EVENTS));

    private EventExpectations() {}

    /** The target's Spot interruption warning arrives on the drill's queue with this action. */
    public static Expectation interruptionWarning(String action, Window window) {
        return new Expectations.Observed(
                "@ExpectInterruptionWarning(action=\"" + action + "\")",
                window,
                SOURCE,
                o -> o.source().equals(EVENTS)
                        && o.kind().equals(INTERRUPTION_WARNING)
                        && action.equals(o.data().get("action")),
                STATUS_WARNING) {
            @Override
            protected String lastSeen(Timeline timeline, Target target, Instant deadline) {
                Optional<Observation> other = timeline.first(
                        o -> o.isAbout(target.instanceId()) && o.kind().equals(INTERRUPTION_WARNING));
                return other.map(o ->
                                "the warning said \"" + o.data().get("action") + "\" at " + timeline.offset(o.at()))
                        .orElseGet(() -> super.lastSeen(timeline, target, deadline));
            }
        };
    }

    /** The target's rebalance recommendation event arrives on the drill's queue. */
    public static Expectation rebalanceEvent(Window window) {
        return new Expectations.Observed(
                "@ExpectRebalanceEvent",
                window,
                SOURCE,
                o -> o.source().equals(EVENTS) && o.kind().equals(REBALANCE_EVENT),
                STATUS_REBALANCE);
    }
}
