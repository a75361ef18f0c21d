package dev.spotdrill.lab.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spotdrill.core.SpotDrillConfigurationException;
import dev.spotdrill.lab.LabFaults;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectAccessReviewBuilder;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** SelfSubjectAccessReviews on the lab's API server: answered as the real server answers them, denied by the fault. */
class AccessReviewsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static SelfSubjectAccessReview review(String group, String resource, String sub, String verb, String ns) {
        return new SelfSubjectAccessReviewBuilder()
                .withNewSpec()
                .withNewResourceAttributes()
                .withGroup(group)
                .withResource(resource)
                .withSubresource(sub)
                .withVerb(verb)
                .withNamespace(ns)
                .endResourceAttributes()
                .endSpec()
                .build();
    }

    @Test
    void everythingIsAllowedUntilTheFaultDeniesSomeVerbs() {
        AtomicReference<Optional<String>> deny = new AtomicReference<>(Optional.empty());
        try (ApiServerFixture f = new ApiServerFixture()) {
            f.server.accessReviews(deny::get);
            var reviews = f.client.authorization().v1().selfSubjectAccessReview();
            SelfSubjectAccessReview allowed = reviews.create(review("", "pods", "log", "get", "default"));
            assertThat(allowed.getStatus().getAllowed()).isTrue();
            assertThat(allowed.getSpec().getResourceAttributes().getSubresource())
                    .isEqualTo("log");

            deny.set(Optional.of("pods/log:get+deployments.apps:*"));
            SelfSubjectAccessReview denied = reviews.create(review("", "pods", "log", "get", "default"));
            assertThat(denied.getStatus().getAllowed()).isFalse();
            assertThat(denied.getStatus().getReason())
                    .isEqualTo("the lab's fault kube.rbac-deny=pods/log:get+deployments.apps:* denies pods/log:get");
            assertThat(reviews.create(review("apps", "deployments", null, "patch", null))
                            .getStatus()
                            .getAllowed())
                    .isFalse();
            // only what is named: pods themselves, and deployments of another group, stay allowed
            assertThat(reviews.create(review("", "pods", null, "get", "default"))
                            .getStatus()
                            .getAllowed())
                    .isTrue();
            assertThat(reviews.create(review("extensions", "deployments", null, "patch", null))
                            .getStatus()
                            .getAllowed())
                    .isTrue();
        }
    }

    @Test
    void aReviewWithoutAttributesIsInvalidAndOtherMethodsAreNotAllowed() throws Exception {
        try (ApiServerFixture f = new ApiServerFixture()) {
            HttpResponse<String> r = f.send(
                    "POST",
                    "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
                    "application/json",
                    "{\"kind\":\"SelfSubjectAccessReview\",\"apiVersion\":\"authorization.k8s.io/v1\",\"spec\":{}}");
            assertThat(r.statusCode()).isEqualTo(422);
            JsonNode status = JSON.readTree(r.body());
            assertThat(status.path("reason").asText()).isEqualTo("Invalid");
            assertThat(status.path("message").asText())
                    .isEqualTo("SelfSubjectAccessReview.authorization.k8s.io \"\" is invalid: spec.resourceAttributes:"
                            + " Invalid value: \"null\": exactly one of nonResourceAttributes or resourceAttributes must"
                            + " be specified");

            HttpResponse<String> wrongKind = f.send(
                    "POST",
                    "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
                    "application/json",
                    "{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"spec\":{\"resourceAttributes\":{\"verb\":\"get\"}}}");
            assertThat(wrongKind.statusCode()).isEqualTo(400);
            assertThat(wrongKind.body()).contains("expected kind SelfSubjectAccessReview of authorization.k8s.io/v1");

            assertThat(f.get("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", null)
                            .statusCode())
                    .isEqualTo(405);
            // discovery names the group and its one resource
            JsonNode list =
                    JSON.readTree(f.get("/apis/authorization.k8s.io/v1", null).body());
            assertThat(list.path("resources").get(0).path("name").asText()).isEqualTo("selfsubjectaccessreviews");
            assertThat(list.path("resources").get(0).path("verbs").toString()).isEqualTo("[\"create\"]");
        }
    }

    @Test
    void aMalformedDenialIsRefusedWhenTheFaultIsSet() {
        assertThatThrownBy(() -> LabFaults.of(List.of("kube.rbac-deny=pods")))
                .isInstanceOf(SpotDrillConfigurationException.class)
                .hasMessageContaining("entry \"pods\" is not resource[.group][/subresource]:verb, e.g. pods/log:get or"
                        + " deployments.apps:patch");
        assertThat(LabFaults.of(List.of("kube.rbac-deny=pods/log:get+nodes:list"))
                        .value("kube.rbac-deny"))
                .contains("pods/log:get+nodes:list");
    }
}
