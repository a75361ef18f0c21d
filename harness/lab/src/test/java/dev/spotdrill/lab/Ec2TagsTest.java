package dev.spotdrill.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.services.ec2.model.Filter;
import software.amazon.awssdk.services.ec2.model.Tag;
import software.amazon.awssdk.services.ec2.model.TagDescription;

/** EC2 CreateTags, DeleteTags and DescribeTags on the lab's instances, with a real SDK client. */
class Ec2TagsTest {
    private static final String A02 = "i-0c0ffee0000000a02";
    private static final String A03 = "i-0c0ffee0000000a03";
    private static SpotLab lab;
    private static LabClients c;

    @BeforeAll
    static void start() {
        lab = SpotLab.start(
                LabOptions.builder().scenario("safety.yaml").pace(60).build());
        c = new LabClients(lab.world());
    }

    @AfterAll
    static void stop() {
        c.close();
        lab.close();
    }

    private static Tag tag(String key, String value) {
        return Tag.builder().key(key).value(value).build();
    }

    private static Map<String, String> tagsOf(String id) {
        return c
                .ec2
                .describeTags(r -> r.filters(
                        Filter.builder().name("resource-id").values(id).build()))
                .tags()
                .stream()
                .collect(Collectors.toMap(TagDescription::key, TagDescription::value));
    }

    private static String code(Throwable e) {
        return ((AwsServiceException) e).awsErrorDetails().errorCode();
    }

    @Test
    void createTagsOverwritesAndDescribeTagsAndDescribeInstancesSeeIt() {
        c.ec2.createTags(r -> r.resources(A02, A03).tags(tag("spotdrill:claim:run-1", "2026-01-01T00:10:00Z")));
        c.ec2.createTags(r -> r.resources(A02).tags(tag("spotdrill:claim:run-1", "2026-01-01T00:20:00Z")));

        assertThat(tagsOf(A02))
                .containsEntry("spotdrill:claim:run-1", "2026-01-01T00:20:00Z")
                .containsEntry("spotdrill/allowed", "true");
        assertThat(tagsOf(A03)).containsEntry("spotdrill:claim:run-1", "2026-01-01T00:10:00Z");
        List<TagDescription> byKey = c.ec2.describeTags(r -> r.filters(
                        Filter.builder().name("key").values("spotdrill:claim:*").build(),
                        Filter.builder()
                                .name("resource-type")
                                .values("instance")
                                .build()))
                .tags();
        assertThat(byKey).extracting(TagDescription::resourceId).containsExactly(A02, A03);
        assertThat(byKey).extracting(TagDescription::resourceTypeAsString).containsOnly("instance");
        assertThat(lab.instance(A02).orElseThrow().tags()).containsKey("spotdrill:claim:run-1");

        // a value given to DeleteTags deletes only a matching tag
        c.ec2.deleteTags(r -> r.resources(A02, A03).tags(tag("spotdrill:claim:run-1", "2026-01-01T00:10:00Z")));
        assertThat(tagsOf(A02)).containsKey("spotdrill:claim:run-1");
        assertThat(tagsOf(A03)).doesNotContainKey("spotdrill:claim:run-1");
        // a key alone deletes whatever the value
        c.ec2.deleteTags(r ->
                r.resources(A02).tags(Tag.builder().key("spotdrill:claim:run-1").build()));
        assertThat(tagsOf(A02)).doesNotContainKey("spotdrill:claim:run-1").containsKey("spotdrill/allowed");
        assertThat(lab.callLog().calls())
                .anySatisfy(call -> assertThat(call.operation()).isEqualTo("CreateTags"))
                .anySatisfy(call -> assertThat(call.operation()).isEqualTo("DeleteTags"));
    }

    @Test
    void describeTagsPagesAndFiltersByTagOfTheResource() {
        var first = c.ec2.describeTags(r -> r.maxResults(5)
                .filters(
                        Filter.builder().name("tag:workload").values("checkout").build()));
        assertThat(first.tags()).hasSize(5);
        assertThat(first.nextToken()).isNotNull();
        var all = c
                .ec2
                .describeTagsPaginator(r -> r.filters(
                        Filter.builder().name("tag:workload").values("checkout").build()))
                .tags()
                .stream()
                .toList();
        assertThat(all).extracting(TagDescription::resourceId).containsOnly("i-0c0ffee0000000a01", A02, A03);
    }

    @Test
    void badInputIsRefusedAsEc2RefusesIt() {
        assertThatThrownBy(() ->
                        c.ec2.createTags(r -> r.resources("i-0c0ffee00000000ff").tags(tag("k", "v"))))
                .satisfies(e -> assertThat(code(e)).isEqualTo("InvalidInstanceID.NotFound"))
                .hasMessageContaining("The instance ID 'i-0c0ffee00000000ff' does not exist");
        assertThatThrownBy(() -> c.ec2.createTags(r -> r.resources("nonsense").tags(tag("k", "v"))))
                .satisfies(e -> assertThat(code(e)).isEqualTo("InvalidID"))
                .hasMessageContaining("The ID 'nonsense' is not valid");
        assertThatThrownBy(() -> c.ec2.createTags(r -> r.resources(A02).tags(tag("aws:claim", "v"))))
                .satisfies(e -> assertThat(code(e)).isEqualTo("InvalidParameterValue"))
                .hasMessageContaining("Tag keys starting with 'aws:' are reserved for internal use");
        assertThatThrownBy(() -> c.ec2.createTags(r -> r.resources(A02).tags(tag("k", "v".repeat(257)))))
                .satisfies(e -> assertThat(code(e)).isEqualTo("InvalidParameterValue"))
                .hasMessageContaining("Tag values can have at most 256 characters");
        assertThatThrownBy(() -> c.ec2.createTags(r -> r.resources(A02)))
                .satisfies(e -> assertThat(code(e)).isEqualTo("MissingParameter"));
        assertThatThrownBy(() -> c.ec2.describeTags(r -> r.maxResults(2)))
                .satisfies(e -> assertThat(code(e)).isEqualTo("InvalidParameterValue"))
                .hasMessageContaining("Expecting a value between 5 and 1000");
        assertThatThrownBy(() -> c.ec2.describeTags(r ->
                        r.filters(Filter.builder().name("colour").values("red").build())))
                .hasMessageContaining("The filter 'colour' is invalid");
        // the limit is 50 tags per resource; overwriting an existing key at the limit is allowed
        String id = "i-0c0ffee0000000a06";
        int have = tagsOf(id).size();
        List<Tag> fill = IntStream.range(0, 50 - have)
                .mapToObj(n -> tag("fill-" + n, "x"))
                .toList();
        c.ec2.createTags(r -> r.resources(id).tags(fill));
        c.ec2.createTags(r -> r.resources(id).tags(tag("fill-0", "y")));
        assertThatThrownBy(() -> c.ec2.createTags(r -> r.resources(id).tags(tag("one-more", "z"))))
                .satisfies(e -> assertThat(code(e)).isEqualTo("TagLimitExceeded"));
        assertThat(tagsOf(id)).hasSize(50).containsEntry("fill-0", "y");
    }
}
