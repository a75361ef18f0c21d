package dev.spotdrill.junit.internal;

import dev.spotdrill.core.AwsWorldProvider;
import dev.spotdrill.core.Redactor;
import dev.spotdrill.core.SpotDrillConfig;
import dev.spotdrill.core.World;
import dev.spotdrill.core.WorldProvider;
import dev.spotdrill.core.drill.Drill;
import dev.spotdrill.core.drill.DrillListener;
import dev.spotdrill.core.drill.DrillOptions;
import dev.spotdrill.core.drill.DrillSpec;
import dev.spotdrill.core.drill.Expectation;
import dev.spotdrill.core.drill.Selector;
import dev.spotdrill.core.drill.Verdict;
import dev.spotdrill.core.internal.Messages;
import dev.spotdrill.junit.InterruptionRun;
import dev.spotdrill.junit.SpotInterruption;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.BeforeTestExecutionCallback;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ExtensionContext.Namespace;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.AnnotationSupport;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.MultipleFailuresError;

/**
 * The JUnit Jupiter extension behind the spotdrill annotations: it starts the drill before the test body, hands
 * the body an {@link InterruptionRun}, decides the verdicts after it, and cleans up.
 *
 * <p>State lives in the extension store under this class's namespace: the world (lab or AWS) in the root store,
 * shared by every test with the same world settings, and the drill in the test method's store.
 */
public final class SpotDrillExtension
        implements BeforeTestExecutionCallback, AfterTestExecutionCallback, ParameterResolver {
    static final Namespace NAMESPACE = Namespace.create(SpotDrillExtension.class);
    private static final String DRILL = "drill";

    @Override
    public void beforeTestExecution(ExtensionContext context) {
        Method method = context.getRequiredTestMethod();
        Optional<SpotInterruption> annotation = AnnotationSupport.findAnnotation(method, SpotInterruption.class);
        List<Expectation> expectations = ExpectationReader.read(method);
        if (annotation.isEmpty() && expectations.isEmpty()) {
            return; // not a drill: a plain test in a @SpotDrill class
        }
        SpotDrillConfig config = SpotDrillConfig.from(context::getConfigurationParameter);
        // without @SpotInterruption the drill only observes: no FIS call, START is when its sources run
        DrillSpec spec = annotation
                .map(si -> new DrillSpec(selector(si), si.count(), si.leadTime(), expectations, null))
                .orElseGet(() -> DrillSpec.observationOnly(expectations));
        World world = world(context, config);
        DrillOptions options = DrillOptions.from(config, world);
        String testName = context.getRequiredTestClass().getSimpleName() + "." + method.getName();
        Drill drill = Drill.prepare(world, spec, options, testName, DrillListener.load());
        context.getStore(NAMESPACE).put(DRILL, drill);
        drill.start();
    }

    @Override
    public void afterTestExecution(ExtensionContext context) {
        Drill drill = context.getStore(NAMESPACE).remove(DRILL, Drill.class);
        if (drill == null) {
            return;
        }
        Optional<Throwable> bodyFailure = context.getExecutionException();
        List<Throwable> misses = new ArrayList<>();
        Throwable drillFailure = null;
        boolean started = drill.started();
        try {
            if (!started) {
                drill.abort(bodyFailure.orElse(new IllegalStateException("the drill did not start")));
            } else if (bodyFailure.isPresent()) {
                // what the timeline already decides goes with the user's failure; nothing is waited for
                for (Verdict v : drill.verdictsSoFar()) {
                    if (!v.met()) {
                        misses.add(new AssertionFailedError(Redactor.redact(v.message())));
                    }
                }
                drill.abort(bodyFailure.get());
            } else {
                for (Verdict v : drill.awaitVerdicts()) {
                    if (!v.met()) {
                        misses.add(new AssertionFailedError(Redactor.redact(v.message())));
                    }
                }
            }
        } catch (RuntimeException e) {
            drillFailure = e;
            drill.abort(e);
        } finally {
            Optional<Throwable> ended = drill.finish();
            if (drillFailure == null && ended.isPresent() && bodyFailure.isEmpty() && started) {
                drillFailure = ended.get();
            }
        }
        // a cleanup that failed (an experiment that could not be stopped) goes with whatever failure is primary
        Optional<Throwable> cleanup = drill.cleanupFailure();
        if (bodyFailure.isPresent() || !started) {
            // never hide the user's own failure (or the start failure JUnit already holds)
            bodyFailure.ifPresent(b -> {
                withTimeline(misses, drill).forEach(b::addSuppressed);
                cleanup.filter(c -> c != b).ifPresent(b::addSuppressed);
            });
            return;
        }
        if (drillFailure != null) {
            withTimeline(misses, drill).forEach(drillFailure::addSuppressed);
            Throwable primary = drillFailure;
            cleanup.filter(c -> c != primary).ifPresent(primary::addSuppressed);
            throwUnchecked(drillFailure);
        }
        if (misses.size() == 1) {
            throwUnchecked(withTimeline(misses, drill).get(0));
        }
        if (!misses.isEmpty()) {
            throw new Misses(
                    misses.size() + " spotdrill expectations missed in "
                            + drill.info().testName(),
                    misses,
                    Redactor.redact(Messages.timelineSection(drill.timeline())));
        }
    }

    /** The misses, the last one followed by the drill's timeline: printed once, after them. */
    private static List<Throwable> withTimeline(List<Throwable> misses, Drill drill) {
        if (misses.isEmpty()) {
            return misses;
        }
        List<Throwable> out = new ArrayList<>(misses.subList(0, misses.size() - 1));
        Throwable last = misses.get(misses.size() - 1);
        AssertionFailedError withTimeline = new AssertionFailedError(
                last.getMessage() + "\n" + Redactor.redact(Messages.timelineSection(drill.timeline())));
        withTimeline.setStackTrace(last.getStackTrace());
        out.add(withTimeline);
        return out;
    }

    /** Several misses, then the drill's timeline once. */
    static final class Misses extends MultipleFailuresError {
        private static final long serialVersionUID = 1L;
        private final String timeline;

        Misses(String heading, List<? extends Throwable> failures, String timeline) {
            super(heading, failures);
            this.timeline = timeline;
        }

        @Override
        public String getMessage() {
            return super.getMessage() + "\n" + timeline;
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameterContext, ExtensionContext extensionContext) {
        return parameterContext.getParameter().getType() == InterruptionRun.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameterContext, ExtensionContext context) {
        if (AnnotationSupport.findAnnotation(context.getRequiredTestMethod(), SpotInterruption.class)
                        .isEmpty()
                && ExpectationReader.read(context.getRequiredTestMethod()).isEmpty()) {
            throw new ExtensionConfigurationException(
                    "InterruptionRun is only available in a drill: a test method annotated with @SpotInterruption"
                            + " or with spotdrill expectations; add @SpotInterruption(...) to "
                            + context.getRequiredTestMethod().getName());
        }
        ExtensionContext.Store store = context.getStore(NAMESPACE);
        return new RunView(() -> store.get(DRILL, Drill.class));
    }

    private static Selector selector(SpotInterruption si) {
        List<String> given = new ArrayList<>();
        if (si.instances().length > 0) {
            given.add(
                    Messages.attr("", "instances", si.instances()).substring(2).replaceFirst("\\)$", ""));
        }
        if (si.tags().length > 0) {
            given.add(Messages.attr("", "tags", si.tags()).substring(2).replaceFirst("\\)$", ""));
        }
        if (!si.nodes().isEmpty()) {
            given.add(Messages.attr("", "nodes", si.nodes()).substring(2).replaceFirst("\\)$", ""));
        }
        if (given.isEmpty()) {
            throw new dev.spotdrill.core.SpotDrillConfigurationException(Messages.noSelector());
        }
        if (given.size() > 1) {
            throw new dev.spotdrill.core.SpotDrillConfigurationException(Messages.twoSelectors(given));
        }
        if (si.instances().length > 0) {
            return Selector.instances(si.instances());
        }
        if (si.tags().length > 0) {
            return Selector.tags(si.tags());
        }
        return Selector.nodes(si.nodes());
    }

    /** The world for these settings, opened once per test run and shared through the root store. */
    private static World world(ExtensionContext context, SpotDrillConfig config) {
        String name = config.get(SpotDrillConfig.WORLD, World.LAB);
        String key = "world|" + name + "|" + config.get(SpotDrillConfig.LAB_ATTACH, "") + "|"
                + config.get(SpotDrillConfig.LAB_URL, "") + "|"
                + config.get(SpotDrillConfig.LAB_SCENARIO, "") + "|" + config.get(SpotDrillConfig.LAB_PACE, "")
                + "|" + config.get(SpotDrillConfig.LAB_FAULTS, "") + "|" + config.get(SpotDrillConfig.AWS_REGION, "");
        WorldProvider provider = AwsWorldProvider.find(name);
        OpenWorld open = context.getRoot()
                .getStore(NAMESPACE)
                .getOrComputeIfAbsent(key, k -> new OpenWorld(provider.open(config)), OpenWorld.class);
        open.prewarmOnce();
        return open.handle.world();
    }

    /** An open world in the root store: closed when the test run ends. */
    static final class OpenWorld implements AutoCloseable {
        final WorldProvider.WorldHandle handle;

        private final java.util.concurrent.atomic.AtomicBoolean prewarmed =
                new java.util.concurrent.atomic.AtomicBoolean();

        OpenWorld(WorldProvider.WorldHandle handle) {
            this.handle = handle;
        }

        void prewarmOnce() {
            if (prewarmed.compareAndSet(false, true)) {
                dev.spotdrill.core.aws.AwsClients.of(handle.world()).prewarm();
            }
        }

        @Override
        public void close() {
            handle.close();
        }
    }

    @SuppressWarnings("unchecked")
    private static <T extends Throwable> void throwUnchecked(Throwable t) throws T {
        throw (T) t;
    }
}
