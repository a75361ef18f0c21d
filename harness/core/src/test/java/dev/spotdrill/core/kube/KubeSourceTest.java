package dev.spotdrill.core.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import dev.spotdrill.core.KubeAccess;
import dev.spotdrill.core.SpotDrillConfigurationException;
import dev.spotdrill.core.World;
import dev.spotdrill.core.drill.KubeExpectations;
import dev.spotdrill.core.drill.SourceContext;
import dev.spotdrill.core.drill.SourceRequest;
import dev.spotdrill.core.drill.Window;
import java.net.URI;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What the Kubernetes source accepts from expectations, checked before anything is created. */
class KubeSourceTest {
    private final KubeSource source = new KubeSource();

    private static SourceContext context(boolean withKube) {
        World.Builder b = World.builder("lab").region("us-east-1");
        if (withKube) {
            b.kube(KubeAccess.master(URI.create("http://127.0.0.1:1/")));
        }
        SourceContext ctx = mock(SourceContext.class);
        when(ctx.world()).thenReturn(b.build());
        return ctx;
    }

    @Test
    void theBuiltInExpectationsRequestsPassTheCheck() {
        Window w = Window.untilInterruption();
        List<SourceRequest> requests = List.of(
                KubeExpectations.cordon(w).sources().get(0),
                KubeExpectations.taint("k", "NoSchedule", w).sources().get(0),
                KubeExpectations.drain(false, w).sources().get(0),
                KubeExpectations.nodeRemoved(w).sources().get(0),
                KubeExpectations.availability("shop/checkout", 2, w).sources().get(0));
        assertThatCode(() -> source.check(context(true), requests)).doesNotThrowAnyException();
        assertThat(KubeExpectations.deployments(requests)).containsExactly("shop/checkout");
    }

    @Test
    void anUnknownJudgementOrATaintWithoutKeyIsRefusedWithTheFix() {
        assertThatThrownBy(() -> source.check(context(true), List.of(SourceRequest.of("kube", "expect", "evict"))))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessage("the Kubernetes source was asked kube{expect=evict}: expect=evict is not one of cordon,"
                        + " taint, drain; use one of those");
        assertThatThrownBy(() -> source.check(
                        context(true),
                        List.of(new SourceRequest("kube", Map.of("expect", "taint", "effect", "NoSchedule")))))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessage("the Kubernetes source was asked kube{effect=NoSchedule, expect=taint}: expect=taint needs"
                        + " a key and an effect; give both");
        assertThatThrownBy(() -> source.check(context(false), List.of(SourceRequest.of("kube"))))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessageStartingWith("the lab world has no Kubernetes access");
    }
}
