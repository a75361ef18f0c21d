package dev.spotdrill.lab.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** JSON patch, merge patch and strategic merge patch as the lab's API server applies them. */
class PatchesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode j(String s) throws Exception {
        return JSON.readTree(s.replace('\'', '"'));
    }

    private static final String NODE = "{'metadata':{'name':'n','labels':{'a':'1','b':'2'},'annotations':{'x':'y'}},"
            + "'spec':{'providerID':'aws:///us-east-1a/i-1','taints':[{'key':'k1','effect':'NoSchedule'},"
            + "{'key':'k2','value':'v','effect':'NoExecute'}]}}";

    @Test
    void strategicMergeCordonsAndUncordonsAsKubectlSendsIt() throws Exception {
        JsonNode cordoned = Patches.strategicMerge(j(NODE), j("{'spec':{'unschedulable':true}}"));
        assertThat(cordoned.at("/spec/unschedulable").asBoolean()).isTrue();
        assertThat(cordoned.at("/spec/taints")).hasSize(2);

        // kubectl uncordon sends null, which removes the field
        JsonNode uncordoned = Patches.strategicMerge(cordoned, j("{'spec':{'unschedulable':null}}"));
        assertThat(uncordoned.path("spec").has("unschedulable")).isFalse();
        assertThat(uncordoned.at("/spec/providerID").asText()).isEqualTo("aws:///us-east-1a/i-1");
    }

    @Test
    void strategicMergeReplacesTheTaintListAsTheRealServerDoes() throws Exception {
        // kubectl taint sends the whole new list (taints are an atomic list): removing k1 leaves only k2
        JsonNode patched = Patches.strategicMerge(
                j(NODE), j("{'spec':{'taints':[{'key':'k2','value':'v','effect':'NoExecute'}]}}"));

        assertThat(patched.at("/spec/taints")).hasSize(1);
        assertThat(patched.at("/spec/taints/0/key").asText()).isEqualTo("k2");
    }

    @Test
    void strategicMergeOfLabelsAndAnnotationsRemovesKeysSetToNull() throws Exception {
        JsonNode patched = Patches.strategicMerge(
                j(NODE), j("{'metadata':{'labels':{'a':null,'c':'3'},'annotations':{'x':null}}}"));

        assertThat(patched.at("/metadata/labels").toString()).isEqualTo("{\"b\":\"2\",\"c\":\"3\"}");
        assertThat(patched.at("/metadata/annotations").toString()).isEqualTo("{}");
    }

    @Test
    void strategicMergeMergesListsThatHaveAMergeKeyAndHonoursDirectives() throws Exception {
        JsonNode pod = j("{'spec':{'containers':[{'name':'app','image':'a:1','env':[{'name':'A','value':'1'}]},"
                + "{'name':'sidecar','image':'s:1'}]},'metadata':{'finalizers':['f1']}}");

        JsonNode patched = Patches.strategicMerge(
                pod,
                j("{'$setElementOrder/containers':[{'name':'app'},{'name':'sidecar'}],"
                        + "'spec':{'containers':[{'name':'app','image':'a:2','env':[{'name':'B','value':'2'}]},"
                        + "{'name':'sidecar','$patch':'delete'}]},"
                        + "'metadata':{'finalizers':['f2'],'$deleteFromPrimitiveList/finalizers':['f1']}}"));

        assertThat(patched.at("/spec/containers")).hasSize(1);
        assertThat(patched.at("/spec/containers/0/image").asText()).isEqualTo("a:2");
        assertThat(patched.at("/spec/containers/0/env")).hasSize(2);
        assertThat(patched.at("/metadata/finalizers").toString()).isEqualTo("[\"f2\"]");
        assertThat(patched.has("$setElementOrder/containers")).isFalse();
    }

    @Test
    void strategicMergeRetainKeysAndReplaceDirectives() throws Exception {
        JsonNode d = j("{'spec':{'strategy':{'type':'RollingUpdate','rollingUpdate':{'maxSurge':1}},"
                + "'selector':{'matchLabels':{'app':'x','old':'y'}}}}");

        JsonNode patched = Patches.strategicMerge(
                d,
                j("{'spec':{'strategy':{'$retainKeys':['type'],'type':'Recreate'},"
                        + "'selector':{'$patch':'replace','matchLabels':{'app':'x'}}}}"));

        assertThat(patched.at("/spec/strategy").toString()).isEqualTo("{\"type\":\"Recreate\"}");
        assertThat(patched.at("/spec/selector").toString()).isEqualTo("{\"matchLabels\":{\"app\":\"x\"}}");
    }

    @Test
    void strategicMergeRefusesAListElementWithoutItsMergeKey() {
        assertThatThrownBy(() -> Patches.strategicMerge(
                        j("{'spec':{'containers':[{'name':'a'}]}}"), j("{'spec':{'containers':[{'image':'x'}]}}")))
                .isInstanceOfSatisfying(
                        ApiException.class, e -> assertThat(e.code).isEqualTo(400))
                .hasMessage("map: {\"image\":\"x\"} does not contain declared merge key: name");
        assertThatThrownBy(() -> Patches.strategicMerge(j(NODE), j("[]")))
                .isInstanceOf(ApiException.class)
                .hasMessageStartingWith("a strategic merge patch must be a JSON object");
    }

    @Test
    void mergePatchRemovesKeysSetToNullInsteadOfStoringTheNull() throws Exception {
        JsonNode patched = Patches.mergePatch(
                j(NODE), j("{'metadata':{'labels':{'a':null}},'spec':{'taints':[],'unschedulable':true}}"));

        assertThat(patched.at("/metadata/labels").toString()).isEqualTo("{\"b\":\"2\"}");
        assertThat(patched.at("/spec/taints")).isEmpty();
        assertThat(patched.at("/spec/unschedulable").asBoolean()).isTrue();
    }

    @Test
    void jsonPatchAppliesEveryOperation() throws Exception {
        JsonNode patched = Patches.jsonPatch(
                j(NODE),
                j("[{'op':'add','path':'/spec/unschedulable','value':true},"
                        + "{'op':'add','path':'/spec/taints/-','value':{'key':'k3','effect':'NoSchedule'}},"
                        + "{'op':'remove','path':'/spec/taints/0'},"
                        + "{'op':'replace','path':'/metadata/labels/a','value':'9'},"
                        + "{'op':'copy','from':'/metadata/labels/b','path':'/metadata/labels/c'},"
                        + "{'op':'move','from':'/metadata/annotations/x','path':'/metadata/annotations/z'},"
                        + "{'op':'add','path':'/metadata/annotations/a~1b','value':'slash'},"
                        + "{'op':'test','path':'/metadata/labels/a','value':'9'}]"));

        assertThat(patched.at("/spec/unschedulable").asBoolean()).isTrue();
        assertThat(patched.at("/spec/taints/0/key").asText()).isEqualTo("k2");
        assertThat(patched.at("/spec/taints/1/key").asText()).isEqualTo("k3");
        assertThat(patched.at("/metadata/labels").toString()).isEqualTo("{\"a\":\"9\",\"b\":\"2\",\"c\":\"2\"}");
        assertThat(patched.at("/metadata/annotations").toString()).isEqualTo("{\"z\":\"y\",\"a/b\":\"slash\"}");
    }

    @Test
    void jsonPatchFailuresSayWhichOperationAndPath() throws Exception {
        JsonNode node = j(NODE);
        assertThatThrownBy(() -> Patches.jsonPatch(node, j("[{'op':'remove','path':'/spec/nope'}]")))
                .isInstanceOfSatisfying(
                        ApiException.class, e -> assertThat(e.code).isEqualTo(422))
                .hasMessageStartingWith("the JSON patch does not apply: doc is missing path: \"/spec/nope\"");
        assertThatThrownBy(() -> Patches.jsonPatch(node, j("[{'op':'test','path':'/metadata/labels/a','value':'2'}]")))
                .isInstanceOf(ApiException.class)
                .hasMessage("the JSON patch does not apply: testing value /metadata/labels/a failed: it is \"1\","
                        + " not \"2\"");
        assertThatThrownBy(() -> Patches.jsonPatch(node, j("[{'op':'frob','path':'/a'}]")))
                .isInstanceOfSatisfying(
                        ApiException.class, e -> assertThat(e.code).isEqualTo(400))
                .hasMessageContaining("is unknown; use add, remove, replace, move, copy or test");
        assertThatThrownBy(() -> Patches.jsonPatch(node, j("{'op':'add'}")))
                .isInstanceOf(ApiException.class)
                .hasMessageStartingWith("a JSON patch must be a JSON array of operations");
        // the input is never changed
        assertThat(node).isEqualTo(j(NODE));
    }
}
