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
 */
public final class KubeSource implements Source {

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
    }

    @Override
    public AutoCloseable start(SourceContext ctx, List<SourceRequest> requests) {
        return KubeProbe.start(ctx.world(), ctx.targets(), KubeExpectations.deployments(requests), ctx.timeline());
    }
}
