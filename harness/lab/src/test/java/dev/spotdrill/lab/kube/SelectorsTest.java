package dev.spotdrill.lab.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** Label and field selectors as the lab's API server applies them. */
class SelectorsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ApiResources.Type PODS = ApiResources.require("v1", "pods");
    private static final ApiResources.Type NODES = ApiResources.require("v1", "nodes");
    private static final ApiResources.Type EVENTS = ApiResources.require("v1", "events");

    private static JsonNode pod(String node, String phase, String labels) throws Exception {
        return JSON.readTree("{\"metadata\":{\"name\":\"p\",\"namespace\":\"shop\",\"labels\":" + labels + "},"
                + "\"spec\":{" + (node == null ? "" : "\"nodeName\":\"" + node + "\"") + "},"
                + "\"status\":{\"phase\":\"" + phase + "\"}}");
    }

    private static boolean matches(ApiResources.Type type, String labels, String fields, JsonNode o) {
        return Selectors.parse(type, labels, fields).matches(o);
    }

    @Test
    void podFieldSelectorsOnNodeNamePhaseNameAndNamespace() throws Exception {
        JsonNode onA = pod("node-a", "Running", "{\"app\":\"checkout\"}");
        JsonNode unbound = pod(null, "Pending", "{\"app\":\"checkout\"}");

        assertThat(matches(PODS, null, "spec.nodeName=node-a", onA)).isTrue();
        assertThat(matches(PODS, null, "spec.nodeName==node-a", onA)).isTrue();
        assertThat(matches(PODS, null, "spec.nodeName=node-b", onA)).isFalse();
        assertThat(matches(PODS, null, "spec.nodeName!=node-a", onA)).isFalse();
        // an unbound pod has spec.nodeName "" (kube-scheduler watches spec.nodeName= for them)
        assertThat(matches(PODS, null, "spec.nodeName=", unbound)).isTrue();
        assertThat(matches(PODS, null, "spec.nodeName=", onA)).isFalse();
        // kubectl describe node writes several requirements, comma-separated, all of which must hold
        assertThat(matches(PODS, null, "spec.nodeName=node-a,status.phase!=Failed,status.phase!=Succeeded", onA))
                .isTrue();
        assertThat(matches(PODS, null, "spec.nodeName=node-a,status.phase=Pending", onA))
                .isFalse();
        assertThat(matches(PODS, null, "metadata.name=p,metadata.namespace=shop", onA))
                .isTrue();
        assertThat(matches(PODS, null, "metadata.namespace=kube-system", onA)).isFalse();
    }

    @Test
    void labelAndFieldSelectorsCombine() throws Exception {
        JsonNode onA = pod("node-a", "Running", "{\"app\":\"checkout\",\"tier\":\"web\"}");

        assertThat(matches(PODS, "app in (checkout,cart),!canary", "spec.nodeName=node-a", onA))
                .isTrue();
        assertThat(matches(PODS, "app notin (checkout)", "spec.nodeName=node-a", onA))
                .isFalse();
        assertThat(matches(PODS, "tier", null, onA)).isTrue();
        assertThat(matches(PODS, "tier!=web", null, onA)).isFalse();
        assertThat(matches(PODS, "app=checkout", "spec.nodeName=node-b", onA)).isFalse();
    }

    @Test
    void booleanFieldsReadFalseWhenAbsentAndEscapesAreHonoured() throws Exception {
        JsonNode node = JSON.readTree("{\"metadata\":{\"name\":\"n,1\"},\"spec\":{}}");
        JsonNode cordoned = JSON.readTree("{\"metadata\":{\"name\":\"n2\"},\"spec\":{\"unschedulable\":true}}");

        assertThat(matches(NODES, null, "spec.unschedulable=false", node)).isTrue();
        assertThat(matches(NODES, null, "spec.unschedulable=true", cordoned)).isTrue();
        assertThat(matches(NODES, null, "metadata.name=n\\,1", node)).isTrue();
    }

    @Test
    void eventsAreSelectedByInvolvedObjectAsKubectlDescribeDoes() throws Exception {
        JsonNode e = JSON.readTree("{\"metadata\":{\"name\":\"n.1\",\"namespace\":\"default\"},"
                + "\"involvedObject\":{\"kind\":\"Node\",\"name\":\"n\",\"uid\":\"u-1\"},"
                + "\"reason\":\"Cordon\",\"source\":{\"component\":\"aws-node-termination-handler\"}}");

        assertThat(matches(
                        EVENTS,
                        null,
                        "involvedObject.name=n,involvedObject.namespace=,involvedObject.kind=Node,"
                                + "involvedObject.uid=u-1",
                        e))
                .isTrue();
        assertThat(matches(EVENTS, null, "source=aws-node-termination-handler,reason=Cordon", e))
                .isTrue();
        assertThat(matches(EVENTS, null, "involvedObject.uid=other", e)).isFalse();
    }

    @Test
    void anUnsupportedFieldIsRefusedWith400NamingTheFieldsThatWork() {
        assertThatThrownBy(() -> Selectors.parse(NODES, null, "spec.nodeName=x"))
                .isInstanceOfSatisfying(
                        ApiException.class, e -> assertThat(e.code).isEqualTo(400))
                .hasMessage("field label not supported: spec.nodeName (nodes can be selected by metadata.name,"
                        + " spec.unschedulable)");
        assertThatThrownBy(() -> Selectors.parse(PODS, null, "spec.nodeName"))
                .isInstanceOf(ApiException.class)
                .hasMessageContaining(
                        "\"spec.nodeName\" has no operator; write field=value, field==value or" + " field!=value");
    }

    @Test
    void aBadLabelSelectorIsRefusedWith400() {
        assertThatThrownBy(() -> Selectors.parse(PODS, "app in (a", null))
                .isInstanceOfSatisfying(
                        ApiException.class, e -> assertThat(e.code).isEqualTo(400))
                .hasMessageStartingWith("unable to parse requirement: label selector \"app in (a\": ");
    }
}
