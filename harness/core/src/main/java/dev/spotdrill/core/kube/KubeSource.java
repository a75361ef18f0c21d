package dev.spotdrill.core.kube;

import dev.spotdrill.core.SpotDrillConfigurationException;
import dev.spotdrill.core.drill.KubeExpectations;
import dev.spotdrill.core.drill.Source;
import dev.spotdrill.core.drill.SourceContext;
import dev.spotdrill.core.drill.SourceRequest;
import java.util.List;

/**
 * The Kubernetes source ({@value KubeExpectations#KUBE}): the targets' nodes and their pods, and the Ready count
 * of the Deployments that requests name ({@code kube{deployment=ns/name}}), through informers. It starts as soon as
 * the targets are resolved, whatever selected them: a handler may act within one poll of the notice, and an
 * unknown Deployment fails there, before any mutating call.
 *
 * <p>A request may also say what an expectation will judge, so that only fresh evidence counts: {@code
 * kube{expect=cordon}}, {@code kube{expect=taint, key=..., effect=...}} or {@code kube{expect=drain}}. A target
 * whose node already shows that state when the informers sync (already cordoned; already carrying that taint key
 * with that effect; running no pod a drain must evict) is refused with a
 * {@link dev.spotdrill.core.GuardrailException} that says why the drill would prove nothing and how to fix it,
 * before any mutating call.
 */
public final class KubeSource implements Source {
    /** Request parameter: the Deployment ({@code namespace/name}) whose Ready count to watch. */
    public static final String DEPLOYMENT = "deployment";
    /** Request parameter: what an expectation will judge ({@value #CORDON}, {@value #TAINT}, {@value #DRAIN}). */
    public static final String EXPECT = "expect";
    /** {@value #EXPECT} value: the node must not be cordoned yet. */
    public static final String CORDON = "cordon";
    /** {@value #EXPECT} value: the node must not carry the taint ({@value #KEY}, {@value #EFFECT}) yet. */
    public static final String TAINT = "taint";
    /** {@value #EXPECT} value: the node must run a pod that a drain must evict. */
    public static final String DRAIN = "drain";
    /** Request parameter of {@value #TAINT}: the taint key. */
    public static final String KEY = "key";
    /** Request parameter of {@value #TAINT}: the taint effect. */
    public static final String EFFECT = "effect";

    private static final List<String> EXPECTS = List.of(CORDON, TAINT, DRAIN);

    @Override
    public String kind() {
        return KubeExpectations.KUBE;
    }

    @Override
    public Stage stage() {
        return Stage.RESOLVED;
    }

    @Override
    public void check(SourceContext ctx, List<SourceRequest> requests) {
        if (ctx.world().kube().isEmpty()) {
            throw new SpotDrillConfigurationException("the " + ctx.world().name() + " world has no Kubernetes"
                    + " access; set spotdrill.kube.context (or a kubeconfig) so the harness can watch the nodes");
        }
        for (SourceRequest r : requests) {
            String expect = r.param(EXPECT);
            if (expect == null) {
                continue;
            }
            if (!EXPECTS.contains(expect)) {
                throw new SpotDrillConfigurationException("the Kubernetes source was asked " + r + ": " + EXPECT + "="
                        + expect + " is not one of " + String.join(", ", EXPECTS) + "; use one of those");
            }
            if (expect.equals(TAINT) && (blank(r.param(KEY)) || blank(r.param(EFFECT)))) {
                throw new SpotDrillConfigurationException("the Kubernetes source was asked " + r + ": " + EXPECT + "="
                        + TAINT + " needs a " + KEY + " and an " + EFFECT + "; give both");
            }
        }
    }

    @Override
    public AutoCloseable start(SourceContext ctx, List<SourceRequest> requests) {
        return KubeProbe.start(ctx.world(), ctx.targets(), ctx.timeline(), requests);
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
